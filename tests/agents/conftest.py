"""Fixtures for the agents' tests: small environments with fake evaluators of known optimum."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nat_env import FunctionEvaluator, Genotype, GenotypeSampler, GraphEncoder, TransformEnv, transitions

LAYOUTS = [("darts", "nat"), ("darts", "nat++"), ("nb201", "nat"), ("nb201", "nat++")]


def skip_then_null(genotype: Genotype) -> float:
    """Accuracy = fraction of edges matching (skip, null, null, ...): the unique optimum is action
    (1, 2, 2, ...) under NAT's transitions, whatever β."""
    want = ["skip_connect"] + ["none"] * (len(genotype.ops) - 1)
    return float(np.mean([a == b for a, b in zip(genotype.ops, want, strict=True)]))


def fraction_null(genotype: Genotype) -> float:
    """Accuracy = fraction of null edges (cheap, smooth reward for smoke runs)."""
    return float(np.mean([op == "none" for op in genotype.ops]))


def make_env(
    space: str = "nb201",
    name: str = "nat",
    accuracy: Callable[[Genotype], float] = fraction_null,
    on_illegal: str = "raise",
) -> TransformEnv:
    """A transformation env of one layout with a fake evaluator (illegal choices raise by default)."""
    rules = transitions.get(name, space)
    sampler = GenotypeSampler(space=space, vocabulary="nat++" if name == "nat++" else "nat")
    return TransformEnv(
        FunctionEvaluator(accuracy),
        sampler,
        rules,
        GraphEncoder(rules, space),
        on_illegal=on_illegal,  # type: ignore[arg-type]
    )


def assert_legal(env: TransformEnv, obs: dict[str, np.ndarray], actions: np.ndarray) -> None:
    """Every row of ``actions`` picks legal choices under ``obs["action_mask"]``."""
    mask = obs["action_mask"].reshape(env.action_space.shape[0], -1).astype(bool)
    for action in np.atleast_2d(actions):
        assert mask[np.arange(mask.shape[0]), action].all(), action
