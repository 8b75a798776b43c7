"""transform(): Sampling-GCN and Maximum-GCN pick α on validation accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from agents import REINFORCE, GCNPolicy, RandomAgent, transform
from nat_env import FunctionEvaluator, Genotype, GenotypeSampler
from tests.agents.conftest import make_env, skip_then_null


def _beta(space: str = "nb201") -> Genotype:
    return GenotypeSampler(space=space).sample(np.random.default_rng(0))


def test_sampling_keeps_the_best_candidate_and_reports_cost() -> None:
    evaluator = FunctionEvaluator(skip_then_null)
    beta = _beta()
    result = transform(RandomAgent(seed=0), beta, evaluator, "nat", k=32, cost=lambda g: (len(g.ops), 0))
    assert result.method == "sampling"
    assert 1 <= result.candidates <= 32
    assert result.acc_alpha >= result.acc_beta
    assert result.improved
    assert result.acc_alpha == pytest.approx(skip_then_null(result.alpha))
    assert result.cost_beta == (6, 0)


def test_maximum_uses_the_argmax_and_matches_a_trained_policy() -> None:
    env = make_env("nb201", "nat", skip_then_null)
    model = REINFORCE(GCNPolicy, env, seed=0, learning_rate=1e-3, n_steps=16).learn(1600)
    result = transform(model, _beta(), FunctionEvaluator(skip_then_null), method="maximum")
    assert result.candidates == 1
    assert result.alpha.ops == ("skip_connect", "none", "none", "none", "none", "none")
    sampled = transform(model, _beta(), FunctionEvaluator(skip_then_null), method="sampling", k=4)
    assert sampled.acc_alpha >= result.acc_alpha - 1e-9


def test_keep_beta_if_worse() -> None:
    beta = _beta()
    worse = FunctionEvaluator(lambda g: 1.0 if g == beta else 0.0)
    kept = transform(RandomAgent(seed=0), beta, worse, "nat", k=4)
    assert not kept.improved
    assert kept.alpha == beta
    assert kept.gain == 0.0
    forced = transform(RandomAgent(seed=0), beta, worse, "nat", k=4, keep_beta_if_worse=False)
    assert forced.alpha != beta or forced.acc_alpha == 1.0


def test_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="method"):
        transform(RandomAgent(), _beta(), FunctionEvaluator(skip_then_null), "nat", method="best")  # type: ignore[arg-type]
