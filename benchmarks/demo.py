"""The main job on sensible defaults: train a GCN transformer with REINFORCE and show what it learned.

With the NAS-Bench-201 table (``NAT_NB201_TABLE``) it trains on ``NAT-NB201-CIFAR10-v0`` (exact
rewards, a few minutes on a laptop CPU), then transforms held-out input cells and compares the mean
validation and test gains with the oracle's. Without the table it falls back to ``NAT-CIFAR10-v0`` with
the ``tiny`` preset (CIFAR-10 from ``NAT_CIFAR10_ARCHIVE`` / ``NAT_DATA_DIR``, downloaded by torchvision
where a network exists). Results go to ``runs/demo/`` (configuration, numbers, a before/after picture).

    python -m benchmarks.demo [--steps 8000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import nat_env  # noqa: F401 - registers the env ids
from agents import REINFORCE, GCNPolicy, transform
from benchmarks import report
from nat_env.nb201.oracle import best_transformation


@dataclass
class Args:
    """Configuration of the demo run."""

    steps: int = 8000
    """Training episodes (env steps)."""
    seed: int = 0
    """Seed of training and of the held-out inputs."""
    n_eval: int = 200
    """Held-out input cells scored after training."""
    learning_rate: float = 1e-3
    """Adam learning rate of REINFORCE."""
    n_steps: int = 16
    """Episodes per REINFORCE update."""
    out_dir: str = "runs/demo"
    """Where the result file and the picture go."""


def _env_id() -> tuple[str, dict[str, Any]]:
    if os.environ.get("NAT_NB201_TABLE"):
        return "NAT-NB201-CIFAR10-v0", {}
    print("NAT_NB201_TABLE is not set: falling back to NAT-CIFAR10-v0 (tiny preset, CPU)")
    return "NAT-CIFAR10-v0", {"preset": "tiny", "device": "cpu"}


def run(args: Args) -> dict[str, Any]:
    """Train, then score Maximum- and Sampling-GCN on held-out inputs against the oracle."""
    torch.set_num_threads(max(1, (os.cpu_count() or 1)))
    env_id, kwargs = _env_id()
    env = gym.make(env_id, **kwargs)
    model = REINFORCE(
        GCNPolicy, env, learning_rate=args.learning_rate, n_steps=args.n_steps, seed=args.seed, device="cpu"
    )
    print(f"training REINFORCE + GCN on {env_id} for {args.steps} episodes ...")
    model.learn(total_timesteps=args.steps)
    base: Any = env.unwrapped  # the NB201 env: its beta, evaluator and transitions
    inputs = []
    for i in range(args.n_eval):
        base.reset(seed=10_000_000 + args.seed * 100_000 + i)
        inputs.append(base.beta)
    rows: dict[str, list[float]] = {"maximum": [], "sampling": [], "oracle": []}
    examples = []
    for i, beta in enumerate(inputs):
        maximum = transform(model, beta, base.evaluator, base.transitions, method="maximum", seed=i)
        sampling = transform(model, beta, base.evaluator, base.transitions, method="sampling", k=8, seed=i)
        rows["maximum"].append(maximum.gain)
        rows["sampling"].append(sampling.gain)
        if env_id.startswith("NAT-NB201"):
            _, best = best_transformation(beta, base.evaluator, base.transitions)
            rows["oracle"].append(best - base.evaluator.evaluate([beta])[0].accuracy)
        if i < 3:
            examples.append((beta, maximum))
    results: dict[str, Any] = {
        "env_id": env_id,
        "mean_val_gain_points": {k: 100 * float(np.mean(v)) for k, v in rows.items() if v},
    }
    print(f"\nmean validation-accuracy gain over {len(inputs)} held-out inputs (points):")
    for name, value in results["mean_val_gain_points"].items():
        print(f"  {name:>9}: {value:+.2f}")
    print("\nexamples (Maximum-GCN):")
    for beta, result in examples:
        print(
            f"  {beta}\n    -> {result.alpha}  val {100 * result.acc_beta:.2f} -> {100 * result.acc_alpha:.2f}"
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=Args.steps, help="training episodes")
    parser.add_argument("--seed", type=int, default=Args.seed, help="seed")
    parser.add_argument("--n-eval", type=int, default=Args.n_eval, help="held-out inputs")
    parser.add_argument("--out-dir", default=Args.out_dir, help="output folder")
    args = Args(**vars(parser.parse_args(argv)))
    results = run(args)
    path = report.write(os.path.join(args.out_dir, "demo.json"), args, results)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
