"""Scaling of data-parallel supernet pre-training: the same global batches on 1, 2, ... processes.

Runs ``torchrun --standalone --nproc_per_node N -m nat_cli pretrain`` for every ``N`` of ``processes``
with the same configuration (so the same global batch, split ``batch_size / N`` rows per rank) and reads
the training time each run records in its checkpoint (process start-up and data loading left out).
Reports images per second and the scaling efficiency, ``speed(N) / (N * speed(1))``, as ratios measured
in one run on one machine: on a CPU each process runs one torch thread, so ``N`` processes use ``N``
cores; absolute figures are only meaningful beside the machine they came from.

    python -m benchmarks.pretrain_scaling                # cpu-small, 1 vs 2 processes (minutes)
    python -m benchmarks.pretrain_scaling --smoke        # tiny preset, a few batches: checks the pipeline
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import report
from nat_env.flags import parse_dataclass
from nat_env.supernet.checkpoint import read_config


@dataclass
class Args:
    """Configuration of the pre-training scaling benchmark."""

    env: str = "NAT-NB201-Supernet-CIFAR10-v0"
    """The environment whose supernet trains (its default preset unless --preset)."""
    preset: str = "cpu-small"
    """Supernet preset (its batch_size is the global batch)."""
    batches: int = 200
    """Global batches per run."""
    processes: tuple[int, ...] = (1, 2)
    """Process counts to compare (the first is the reference of the efficiency)."""
    device: str = "cpu"
    """cpu (gloo, one torch thread per process) or cuda (NCCL, one GPU per process)."""
    out: str = "pretrain_scaling/cpu.json"
    """Result file (relative to benchmarks/results unless absolute)."""
    smoke: bool = False
    """Tiny preset, 10 batches: checks the pipeline only; writes *_smoke.json."""


def train(args: Args, processes: int, folder: Path) -> dict[str, Any]:
    """One ``nat pretrain`` run on ``processes`` processes; the notes its checkpoint records."""
    out = folder / f"supernet-{processes}.pt"
    command = [
        str(Path(sys.executable).with_name("torchrun")),
        *("--standalone", "--nproc_per_node", str(processes), "-m", "nat_cli", "pretrain"),
        *("--env", args.env, "--preset", args.preset, "--batches", str(args.batches)),
        *("--device", args.device, "--out", str(out)),
        *("--overrides", "calibration_landmarks=0"),  # times the warm-up alone
    ]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(command, check=True, env=environment)
    config, notes = read_config(out)
    images = args.batches * int(config["training"]["batch_size"])
    return {"processes": processes, "seconds": notes["seconds"], "images_per_s": images / notes["seconds"]}


def run(args: Args) -> dict[str, Any]:
    """Every process count, then the speed-up and efficiency against the first."""
    with tempfile.TemporaryDirectory() as folder:
        runs = [train(args, n, Path(folder)) for n in args.processes]
    base = runs[0]
    for r in runs:
        r["speedup"] = r["images_per_s"] / base["images_per_s"]
        r["efficiency"] = r["speedup"] * base["processes"] / r["processes"]
    return {"runs": runs}


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args`."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.preset, args.batches = "tiny", 10
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    results = run(args)
    target = report.resolve(args.out)
    if args.smoke:
        target = target.with_name(target.stem + "_smoke" + target.suffix)
    rows = [
        [r["processes"], f"{r['images_per_s']:.0f}", f"{r['speedup']:.2f}", f"{r['efficiency']:.2f}"]
        for r in results["runs"]
    ]
    print(report.markdown_table(["processes", "images/s", "speed-up", "efficiency"], rows))
    print(f"wrote {report.write(target, args, results)}")


if __name__ == "__main__":
    main()
