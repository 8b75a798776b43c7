"""What a trained model learned: mean validation gains on fixed held-out inputs, against keep and the oracle.

Maximum takes each edge's most probable choice (kept even when worse than β); Sampling keeps the best of
``k`` samples on validation accuracy, or β when none beats it (Guo et al., 2019, Table 3). On the
NAS-Bench-201 envs the oracle (the best legal rewrite) gives the ceiling; keep scores 0.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from agents import transform
from agents.inference import Predictor
from nat_env.envs import NB201_IDS, TransformEnv
from nat_env.genotypes import Genotype
from nat_env.nb201.evaluator import TableEvaluator
from nat_env.nb201.oracle import best_transformation


def transform_env(env: gym.Env[Any, Any]) -> TransformEnv:
    """The :class:`~nat_env.TransformEnv` inside a ``gym.make`` env (its evaluator and transitions)."""
    base = env.unwrapped
    if not isinstance(base, TransformEnv):
        raise TypeError(f"{type(base).__name__} is no NAT transformation env")
    return base


def held_out_inputs(env: gym.Env[Any, Any], n: int, seed: int) -> list[Genotype]:
    """``n`` input genotypes from the env's own sampler, seeded ``seed``, ``seed + 1``, ..."""
    inputs = []
    for i in range(n):
        env.reset(seed=seed + i)
        inputs.append(transform_env(env).beta)
    return inputs


def describe_evaluator(env: gym.Env[Any, Any]) -> str:
    """Which evaluator gives the accuracies, in words."""
    evaluator = transform_env(env).evaluator
    if isinstance(evaluator, TableEvaluator):
        return f"NAS-Bench-201 table, {evaluator.dataset}, {evaluator.epochs} epochs, validation split"
    return f"{type(evaluator).__name__} (shared-weight supernet), validation split"


def evaluate(
    model: Predictor, env: gym.Env[Any, Any], env_id: str, n_eval: int, seed: int, k: int
) -> dict[str, Any]:
    """Mean validation gains in accuracy points over ``n_eval`` held-out inputs.

    Returns:
        ``gains`` (keep, maximum, sampling and, on NAS-Bench-201, oracle), ``n_eval``, ``k``,
        ``evaluator`` (in words) and ``improved_fraction`` (share of inputs Sampling improved).
    """
    base = transform_env(env)
    evaluator, transitions = base.evaluator, base.transitions
    rows: dict[str, list[float]] = {"keep": [], "maximum": [], "sampling": [], "oracle": []}
    improved = 0
    for i, beta in enumerate(held_out_inputs(env, n_eval, seed)):
        maximum = transform(model, beta, evaluator, transitions, "maximum", keep_beta_if_worse=False, seed=i)
        sampling = transform(model, beta, evaluator, transitions, "sampling", k=k, seed=i)
        rows["keep"].append(0.0)
        rows["maximum"].append(maximum.gain)
        rows["sampling"].append(sampling.gain)
        improved += sampling.improved
        if env_id in NB201_IDS:
            _, best = best_transformation(beta, evaluator, transitions)
            rows["oracle"].append(best - sampling.acc_beta)
    return {
        "gains": {name: 100 * float(np.mean(values)) for name, values in rows.items() if values},
        "n_eval": n_eval,
        "k": k,
        "evaluator": describe_evaluator(env),
        "improved_fraction": improved / max(1, n_eval),
    }


def format_results(results: dict[str, Any]) -> str:
    """The evaluation as a few lines of text."""
    lines = [
        f"mean validation-accuracy gain over {results['n_eval']} held-out inputs (points; {results['evaluator']}):"
    ]
    labels = {
        "keep": "keep (β itself)",
        "maximum": "Maximum",
        "sampling": f"Sampling (best of {results['k']})",
        "oracle": "oracle (best rewrite)",
    }
    for name, value in results["gains"].items():
        lines.append(f"  {labels[name]:>24}: {value:+.2f}")
    oracle = results["gains"].get("oracle")
    if oracle:
        lines.append(f"  Sampling reaches {100 * results['gains']['sampling'] / oracle:.0f} % of the oracle")
    return "\n".join(lines)
