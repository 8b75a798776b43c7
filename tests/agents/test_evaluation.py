"""Scoring policies on held-out inputs: every method, the oracle from the table, test gains where they exist."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import nat_env
from agents import RandomAgent
from agents.evaluation import METHODS, held_out_inputs, score, transform_env
from nat_env import Evaluation, Genotype
from nat_env.envs.nb201 import load_table
from nat_env.nb201.oracle import ranked_transformations
from tests.agents.conftest import make_env


@pytest.fixture
def table_env(synthetic_table: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[gym.Env]:  # type: ignore[type-arg]
    monkeypatch.setenv("NAT_NB201_TABLE", str(synthetic_table))
    load_table.cache_clear()
    yield gym.make("NAT-NB201-CIFAR10-v0")
    load_table.cache_clear()


def test_held_out_inputs_are_fixed_by_their_seed(table_env: gym.Env) -> None:  # type: ignore[type-arg]
    first = held_out_inputs(table_env, 5, seed=7)
    assert held_out_inputs(table_env, 5, seed=7) == first
    assert held_out_inputs(table_env, 5, seed=8)[0] == first[1]


def test_every_method_on_the_exact_env(table_env: gym.Env) -> None:  # type: ignore[type-arg]
    inputs = held_out_inputs(table_env, 12, seed=3)
    methods = tuple(m for m in METHODS if m != "rerank")  # rerank: below
    found = score(RandomAgent(0), table_env, inputs, methods=methods, k=4)
    assert set(found.gains) == set(methods)
    assert set(found.splits) == {"val", "test"}
    oracle = found.gains["oracle"]
    assert np.all(oracle["val"] >= 0)
    for method in methods:  # nothing beats the oracle on validation accuracy
        assert np.all(found.gains[method]["val"] <= oracle["val"] + 1e-9), method
    np.testing.assert_allclose(found.gains["exhaustive"]["val"], oracle["val"])  # exact reward: the same
    assert np.all(found.gains["keep"]["val"] == 0)
    assert np.all(found.gains["sampling"]["val"] >= 0)  # β is kept when no sample beats it
    assert found.fraction_of_oracle("oracle") == pytest.approx(1.0)
    summary = found.summary()
    assert summary["n_inputs"] == 12
    assert set(summary["mean_gains"]["oracle"]) == {"val", "test"}


class Skips:
    """A second opinion that prefers skips: accuracy = the share of skip edges (it counts its calls)."""

    def __init__(self) -> None:
        self.scored: list[Genotype] = []

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        self.scored += genotypes
        return [Evaluation(float(np.mean([op == "skip_connect" for op in g.ops]))) for g in genotypes]


def skip_share(genotype: Genotype) -> float:
    return float(np.mean([op == "skip_connect" for op in genotype.ops]))


def skips_pick(base: Any, beta: Genotype, shortlist: int) -> Genotype:
    """The α that re-ranking the reward's top ``shortlist`` rewrites of β by :class:`Skips` picks."""
    ranked = [g for g, _ in ranked_transformations(beta, base.evaluator, base.transitions)]
    top = [g for g in ranked if g != beta][:shortlist]
    best = max(top, key=skip_share)  # the first of equals, as argmax
    return best if skip_share(best) > skip_share(beta) else beta


def test_rerank_chooses_among_the_rewards_shortlist_by_the_second_stage(table_env: gym.Env) -> None:  # type: ignore[type-arg]
    inputs = held_out_inputs(table_env, 10, seed=4)
    second = Skips()
    found = score(None, table_env, inputs, methods=("rerank",), shortlist=3, second=second)
    base = transform_env(table_env)
    for i, beta in enumerate(inputs):
        alpha = skips_pick(base, beta, 3)
        assert bool(found.improved["rerank"][i]) == (alpha != beta)
        # the val gain is the second stage's: the numbers that chose α
        assert found.gains["rerank"]["val"][i] == pytest.approx(100 * (skip_share(alpha) - skip_share(beta)))
    assert len(second.scored) == 4 * len(inputs)
    assert set(found.splits) >= {"val", "test"}


def test_rerank_without_a_second_stage_needs_a_supernet(table_env: gym.Env) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match="fine-tunes from a supernet"):
        score(None, table_env, held_out_inputs(table_env, 2), methods=("rerank",))


def computing(genotype: Genotype) -> float:
    """Accuracy = the share of edges with compute: every NAT rewrite but keep loses."""
    return float(np.mean([op not in ("none", "skip_connect") for op in genotype.ops]))


def test_maximum_takes_alpha_even_when_it_is_worse() -> None:
    env = make_env("nb201", "nat", computing, on_illegal="keep")
    inputs = held_out_inputs(env, 20, seed=0)
    found = score(RandomAgent(1), env, inputs, methods=("maximum", "sampling"), k=4)
    assert found.gains["maximum"]["val"].min() < 0  # random rewrites lose, and Maximum keeps them
    assert found.gains["sampling"]["val"].min() >= 0
    assert "oracle" not in found.gains  # no table: no oracle
    assert found.splits == ("val",)


def test_unknown_methods_and_missing_models_are_refused(table_env: gym.Env) -> None:  # type: ignore[type-arg]
    inputs = held_out_inputs(table_env, 2)
    with pytest.raises(ValueError, match="unknown method"):
        score(None, table_env, inputs, methods=("best",))
    with pytest.raises(ValueError, match="need a model"):
        score(None, table_env, inputs, methods=("maximum",))


class NoisyEvaluator:
    """Every call scores each distinct genotype with fresh noise, as a supernet on rotating windows does."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def evaluate(self, genotypes: list[Genotype]) -> list[nat_env.Evaluation]:
        window = {g: float(self.rng.uniform(0.4, 0.6)) for g in dict.fromkeys(genotypes)}
        return [nat_env.Evaluation(window[g]) for g in genotypes]


def test_sampling_reports_the_evaluation_that_chose_alpha() -> None:
    env = make_env("darts", "nat")
    env.evaluator = NoisyEvaluator()
    inputs = held_out_inputs(env, 20, seed=0)
    found = score(RandomAgent(0), env, inputs, methods=("sampling", "maximum", "keep"), k=4)
    sampling = found.gains["sampling"]["val"]
    # β is kept unless a sample beat it in the call that chose: never a loss, and a gain exactly when improved
    assert np.all(sampling >= 0)
    assert np.array_equal(sampling > 0, found.improved["sampling"])
    assert found.improved["sampling"].mean() < 1.0
    assert np.all(found.gains["keep"]["val"] == 0)


class Proxy(Skips):
    """A second stage that reports test accuracies of its own (as a 12-epoch table does)."""

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        return [
            Evaluation(e.accuracy, {"test_accuracy": 0.5 * e.accuracy}) for e in super().evaluate(genotypes)
        ]


def test_test_gains_are_the_truths_whatever_the_second_stage_reports(table_env: gym.Env) -> None:  # type: ignore[type-arg]
    truth = transform_env(table_env).evaluator
    env = make_env("nb201", "nat", computing)
    env.truth = truth
    inputs = held_out_inputs(table_env, 8, seed=5)
    found = score(None, env, inputs, methods=("rerank",), shortlist=3, second=Proxy())
    picked = [truth.evaluate([beta, skips_pick(env, beta, 3)]) for beta in inputs]
    expected = [100 * (a.extra["test_accuracy"] - b.extra["test_accuracy"]) for b, a in picked]
    np.testing.assert_allclose(found.gains["rerank"]["test"], expected)
    assert any(found.improved["rerank"])
