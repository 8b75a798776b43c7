"""Agents on exact NAS-Bench-201 rewards: mean validation gain of learned transformers vs the oracle.

Trains each agent on ``NAT-NB201-CIFAR10-v0`` (table rewards; the env reads the table from
``NAT_NB201_TABLE``) for a fixed budget of env steps, then transforms a fixed, seeded set of held-out
input cells with Maximum-GCN (argmax per edge) and Sampling-GCN (best of k samples on validation) and
compares the mean validation gain with the oracle's (best of all legal NAT rewrites; NAT.md section 6:
+5.57 points over all cells). Target: REINFORCE+GCN >= 90 % of the oracle within 20k steps.

    python -m benchmarks.agents_nb201            # full run (minutes per agent and seed on CPU)
    python -m benchmarks.agents_nb201 --smoke    # tiny budgets, checks the pipeline
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from sb3_contrib import MaskablePPO
from stable_baselines3 import A2C, PPO

import nat_env  # noqa: F401 - registers the env ids
from agents import (
    REINFORCE,
    GCNPolicy,
    LSTMPolicy,
    MaskableGCNPolicy,
    RandomAgent,
    ReferenceGCNPolicy,
    transform,
)
from benchmarks import report


@dataclass
class Args:
    """Configuration of the agents benchmark on NAS-Bench-201."""

    env_id: str = "NAT-NB201-CIFAR10-v0"
    """Environment id (exact table rewards)."""
    agents: tuple[str, ...] = ("reinforce-gcn", "reinforce-reference", "reinforce-lstm", "ppo-mlp", "random")
    """Agents to compare (any of: reinforce-gcn, reinforce-reference, reinforce-lstm, ppo-gcn, a2c-gcn,
    ppo-mlp, maskableppo-gcn, random)."""
    total_timesteps: int = 20_000
    """Env steps (episodes) of training per agent and seed."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Training seeds."""
    learning_rate: float = 1e-3
    """Learning rate of every learner (paper: 3e-4 with one sample per update)."""
    n_steps: int = 16
    """Rollout length of A2C (PPO: at least 64)."""
    reinforce_n_steps: int = 32
    """Episodes per REINFORCE update: m = reinforce_n_steps / n_samples inputs × n_samples samples."""
    n_samples: int = 4
    """Samples per input in a REINFORCE update (a leave-one-out baseline per input; 1: moving average)."""
    normalize_advantage: bool = True
    """Standardise REINFORCE's advantages within each update (rewards are fractions of ~0.05)."""
    ent_coef: float = 0.01
    """REINFORCE's entropy bonus (paper: 0.003 on raw rewards; here on standardised advantages)."""
    n_eval: int = 1000
    """Held-out input cells drawn with ``eval_seed`` (the same for every agent)."""
    eval_seed: int = 1_000_000
    """Seed of the held-out inputs (far from training seeds)."""
    k: int = 8
    """Samples per input for Sampling-GCN."""
    out: str = "agents_nb201.json"
    """Result file (a bare name goes into ``benchmarks/results``)."""
    smoke: bool = False
    """Tiny budgets (200 steps, 1 seed, 20 inputs): checks the pipeline only."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Set by the script: derived numbers recorded with the configuration."""


def make_model(agent: str, env: gym.Env[Any, Any], seed: int, args: Args) -> Any:
    """An untrained agent by name."""
    lr, n = args.learning_rate, args.n_steps
    ppo = {"n_steps": max(n, 64), "batch_size": 64, "n_epochs": 4, "learning_rate": lr}
    reinforce = {
        "learning_rate": lr,
        "n_steps": args.reinforce_n_steps,
        "n_samples": args.n_samples,
        "normalize_advantage": args.normalize_advantage,
        "ent_coef": args.ent_coef,
        "seed": seed,
    }
    table: dict[str, Any] = {
        "reinforce-gcn": lambda: REINFORCE(GCNPolicy, env, **reinforce),
        "reinforce-reference": lambda: REINFORCE(ReferenceGCNPolicy, env, **reinforce),
        "reinforce-lstm": lambda: REINFORCE(LSTMPolicy, env, **reinforce),
        "ppo-gcn": lambda: PPO(GCNPolicy, env, seed=seed, **ppo),
        "a2c-gcn": lambda: A2C(GCNPolicy, env, learning_rate=lr, n_steps=n, seed=seed),
        "ppo-mlp": lambda: PPO("MultiInputPolicy", env, seed=seed, **ppo),
        "maskableppo-gcn": lambda: MaskablePPO(MaskableGCNPolicy, env, seed=seed, **ppo),
        "random": lambda: RandomAgent(seed=seed),
    }
    if agent not in table:
        raise ValueError(f"unknown agent {agent!r}; known: {', '.join(table)}")
    return table[agent]()


def held_out_inputs(env: gym.Env[Any, Any], args: Args) -> list[Any]:
    """The fixed evaluation inputs: the env's own sampler, seeded by ``eval_seed``."""
    inputs = []
    for i in range(args.n_eval):
        env.reset(seed=args.eval_seed + i)
        inputs.append(env.unwrapped.beta)  # type: ignore[attr-defined]
    return inputs


def oracle_gains(inputs: list[Any], evaluator: Any, transitions: Any) -> np.ndarray:
    """Per input, the best validation gain over every legal rewrite (keeping β included)."""
    gains = []
    for beta in inputs:
        mask = transitions.mask(beta)
        choices = [np.flatnonzero(row) for row in mask]
        alphas = list(
            dict.fromkeys(transitions.apply(beta, np.array(a)) for a in itertools.product(*choices))
        )
        accs = [e.accuracy for e in evaluator.evaluate([beta, *alphas])]
        gains.append(max(accs) - accs[0])
    return 100 * np.asarray(gains)


def evaluate_agent(
    model: Any, inputs: list[Any], evaluator: Any, transitions: Any, k: int
) -> dict[str, float]:
    """Mean validation gains (points): Maximum (raw and kept-if-better) and Sampling (kept-if-better)."""
    maximum, maximum_kept, sampling = [], [], []
    for i, beta in enumerate(inputs):
        best = transform(
            model, beta, evaluator, transitions, method="maximum", keep_beta_if_worse=False, seed=i
        )
        maximum.append(best.gain)
        maximum_kept.append(max(best.gain, 0.0))
        sampling.append(transform(model, beta, evaluator, transitions, method="sampling", k=k, seed=i).gain)
    return {
        "maximum": 100 * float(np.mean(maximum)),
        "maximum_kept": 100 * float(np.mean(maximum_kept)),
        "sampling": 100 * float(np.mean(sampling)),
    }


def run(args: Args) -> dict[str, Any]:
    """Train and evaluate every agent over every seed."""
    env = gym.make(args.env_id)
    evaluator, transitions = env.unwrapped.evaluator, env.unwrapped.transitions  # type: ignore[attr-defined]
    inputs = held_out_inputs(env, args)
    oracle = float(oracle_gains(inputs, evaluator, transitions).mean())
    results: dict[str, Any] = {"oracle_val_gain": oracle, "agents": {}}
    print(f"oracle mean validation gain on {len(inputs)} held-out inputs: {oracle:+.2f} points")
    for agent in args.agents:
        runs = []
        for seed in args.seeds:
            start = time.perf_counter()
            model = make_model(agent, gym.make(args.env_id), seed, args).learn(
                total_timesteps=args.total_timesteps
            )
            train_s = time.perf_counter() - start
            gains = evaluate_agent(model, inputs, evaluator, transitions, args.k)
            runs.append({"seed": seed, "train_s": train_s, "sps": args.total_timesteps / train_s, **gains})
            print(f"{agent} seed {seed}: {gains} ({train_s:.0f} s)")
        summary = {
            key: float(np.mean([r[key] for r in runs])) for key in ("maximum", "maximum_kept", "sampling")
        }
        summary.update({f"{key}_fraction_of_oracle": value / oracle for key, value in list(summary.items())})
        results["agents"][agent] = {"runs": runs, "mean": summary}
    return results


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args` (tuples comma-separated)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    for f in dataclasses.fields(Args):
        if f.name == "extra":
            continue
        default = f.default
        if isinstance(default, bool):
            parser.add_argument(
                f"--{f.name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=default
            )
        elif isinstance(default, tuple):
            kind = type(default[0])
            parser.add_argument(
                f"--{f.name.replace('_', '-')}",
                type=lambda text, kind=kind: tuple(kind(v) for v in text.split(",")),
                default=default,
            )
        else:
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(default), default=default)
    args = Args(**vars(parser.parse_args(argv)))
    if args.smoke:
        args.total_timesteps, args.seeds, args.n_eval, args.k = 200, args.seeds[:1], 20, 4
        args.out = args.out.replace(".json", "_smoke.json")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    results = run(args)
    rows = [
        [agent, r["mean"]["maximum"], r["mean"]["sampling"], r["mean"]["sampling_fraction_of_oracle"]]
        for agent, r in results["agents"].items()
    ]
    print(report.markdown_table(["agent", "Maximum gain", "Sampling gain", "Sampling / oracle"], rows))
    path = report.write(args.out, args, results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
