"""Speed of the exact-reward environments: one env step, and the batched path (many envs, one lookup).

Pinned to one CPU core. Run:

    python -m benchmarks.env_speed [--table PATH] [--out env_speed/nb201.json]
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

import nat_env  # noqa: F401 - registers the env ids
from benchmarks.common import report
from benchmarks.common.args import TableArgs
from nat_env.envs.nb201_vector import NB201VecEnv
from nat_env.flags import parse_dataclass


@dataclass
class Args(TableArgs):
    """Configuration of the env_speed benchmark."""

    out: str = "env_speed/nb201.json"
    """Result file (relative to ``benchmarks/results`` unless absolute)."""
    single_steps: int = 20_000
    """Episodes timed on the single env."""
    n_envs: int = 4096
    """Environments in the batched path."""
    batched_steps: int = 200
    """Batched steps timed per configuration."""
    repeats: int = 5
    """Timed repeats; the median is reported."""
    seed: int = 0
    """Seed of inputs and actions."""


def _median_seconds(function: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def single_env(args: Args) -> dict[str, float]:
    """Microseconds per ``reset`` + ``step``, per ``reset`` and per ``step`` of ``NAT-NB201-CIFAR10-v0``.

    A one-step episode refuses a second ``step`` before ``reset``, so a step's cost is the difference of
    the timed episodes and the timed resets.
    """
    env = gym.make("NAT-NB201-CIFAR10-v0", table_path=args.table).unwrapped
    rng = np.random.default_rng(args.seed)
    env.reset(seed=args.seed)
    actions = rng.integers(0, 3, size=(args.single_steps, 6))

    def resets_only() -> None:
        for _ in actions:
            env.reset()

    def episodes() -> None:
        for action in actions:
            env.reset()
            env.step(action)

    episodes()  # warm the caches of genotypes and encodings
    reset_and_step = 1e6 * _median_seconds(episodes, args.repeats) / args.single_steps
    reset = 1e6 * _median_seconds(resets_only, args.repeats) / args.single_steps
    return {"step_us": reset_and_step - reset, "reset_us": reset, "reset_and_step_us": reset_and_step}


def batched(args: Args, full_info: bool) -> dict[str, float]:
    """Environment steps per second of :class:`NB201VecEnv` (every step is a whole episode)."""
    env = NB201VecEnv(args.n_envs, table_path=args.table, seed=args.seed, full_info=full_info)
    env.reset()
    rng = np.random.default_rng(args.seed)
    actions = rng.integers(0, 3, size=(args.batched_steps, args.n_envs, 6))

    def run() -> None:
        for action in actions:
            env.step(action)

    seconds = _median_seconds(run, args.repeats)
    return {"steps_per_second": args.n_envs * args.batched_steps / seconds, "n_envs": float(args.n_envs)}


def main(argv: list[str] | None = None) -> None:
    args = parse_dataclass(Args, argv, __doc__)
    pinned = hasattr(os, "sched_setaffinity")
    if pinned:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    results: dict[str, Any] = {
        "pinned_to_one_core": pinned,
        "single_env": single_env(args),
        "batched_minimal_info": batched(args, full_info=False),
        "batched_full_info": batched(args, full_info=True),
    }
    single = results["single_env"]
    print(f"single env: step {single['step_us']:.1f} us, reset+step {single['reset_and_step_us']:.1f} us")
    for key in ("batched_minimal_info", "batched_full_info"):
        print(f"{key}: {results[key]['steps_per_second']:,.0f} steps/s with {args.n_envs} envs")
    print(f"wrote {report.write(args.out, args, results)}")


if __name__ == "__main__":
    main()
