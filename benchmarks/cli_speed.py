"""How long ``nat --help`` and each command's ``--help`` take, in fresh interpreters, beside Python's own start.

Each call is ``python -m nat_cli [COMMAND] --help`` in a new process (what the ``nat`` script runs),
timed from its start to its exit, ``rounds`` times per command with the commands interleaved, so a busy
machine slows them alike. A bare ``python -c pass`` measured the same way is the floor. The file records
every time, the median per command and whether all medians stay under ``target_s``; no test times the
help (timings belong to benchmarks).

Run:

    python -m benchmarks.cli_speed [--rounds 5] [--out cli_speed/cli_speed.json]
    python -m benchmarks.cli_speed --smoke     # one round (writes *_smoke.json)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import report
from benchmarks.common.report import output_path
from nat_cli.main import COMMANDS
from nat_env.flags import parse_dataclass

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "python -c pass"
"""The name of the floor: an interpreter that imports nothing."""


@dataclass
class Args:
    """Configuration of the command-line speed benchmark."""

    rounds: int = 5
    """Calls per command; the medians are over rounds."""
    target_s: float = 1.5
    """The time every help should stay under (issue 24)."""
    out: str = "cli_speed/cli_speed.json"
    """Result file (relative to ``benchmarks/results`` unless absolute)."""
    smoke: bool = False
    """One round: checks the pipeline only; writes ``*_smoke.json``."""


def invocations() -> dict[str, list[str]]:
    """Every help the benchmark times, by its command line, and the floor."""
    calls = {"nat --help": ["-m", "nat_cli", "--help"]}
    for name in COMMANDS:
        calls[f"nat {name} --help"] = ["-m", "nat_cli", name, "--help"]
    calls["nat table build --help"] = ["-m", "nat_cli", "table", "build", "--help"]
    calls[FLOOR] = ["-c", "pass"]
    return calls


def seconds(argv: list[str]) -> float:
    """Wall time of ``python ARGV`` in a fresh process, from the checkout.

    Raises:
        RuntimeError: when the call fails.
    """
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], capture_output=True, env=environment, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def run(args: Args) -> dict[str, Any]:
    """Every help ``rounds`` times, interleaved; the medians and the slowest against the target."""
    calls = invocations()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.rounds):
        for name, argv in calls.items():
            times[name].append(seconds(argv))
    medians = {name: float(np.median(values)) for name, values in times.items()}
    helps = {name: value for name, value in medians.items() if name != FLOOR}
    slowest = max(helps, key=helps.__getitem__)
    return {
        "seconds": times,
        "median_seconds": medians,
        "slowest": {"call": slowest, "median_seconds": helps[slowest]},
        "all_under_target": all(value < args.target_s for value in helps.values()),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.rounds = 1
    results = run(args)
    for name, value in results["median_seconds"].items():
        print(f"{name:<28} {value:6.2f} s")
    slowest = results["slowest"]
    verdict = "all under" if results["all_under_target"] else "not all under"
    print(f"slowest: {slowest['call']} {slowest['median_seconds']:.2f} s ({verdict} {args.target_s} s)")
    path = output_path(args.out, ".json", "_smoke" if args.smoke else "")
    print(f"wrote {report.write(path, args, results)}")


if __name__ == "__main__":
    main()
