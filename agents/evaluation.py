"""How a trained policy is scored: held-out inputs, the paper's two inference modes and the references.

Data flow: an env (its sampler, transitions, reward evaluator and, on NAS-Bench-201, the table's truth)
→ fixed held-out input genotypes β → each method's transformed genotype α per β → :class:`Scores`: the
gain of α over β per input, on the reward's validation accuracy and, where the env has them, on the
test accuracy and the table's validation accuracy. This is the one place that scores policies: ``nat
train``, the benchmarks and the README examples all call :func:`score`.

Methods (Guo et al., 2019, Table 3 and section 4):

* ``maximum``: the most probable choice per edge; α is taken even when it is worse than β.
* ``sampling``: ``k`` samples, the best by the env's *validation* accuracy; β is kept when none beats it.
* ``keep``: α = β (gain 0), the floor.
* ``random``: one uniformly random legal rewrite per input.
* ``exhaustive``: the best of all legal rewrites by the env's reward evaluator (no learner: what a
  perfect optimiser of this reward would choose; on an exact env it is the oracle).
* ``rerank`` (two-stage selection, no learner): the ``shortlist`` legal rewrites the env's reward ranks
  first, scored again with β by a ``second`` evaluator (on a supernet env by default: each fine-tuned
  alone from the supernet's weights, :class:`~nat_env.supernet.finetune.FineTunedEvaluator`), whose
  validation accuracies choose α; β is kept when none beats it.
* ``oracle`` (NAS-Bench-201 envs): the best of all legal rewrites by the table's validation accuracy
  (:mod:`nat_env.nb201.oracle`), the ceiling of every NAT policy.

Test accuracies never choose anything; they are only reported.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from agents.inference import Method, Predictor, second_stage, transform
from agents.names import HELD_OUT_SEED as HELD_OUT_SEED  # re-exported: its home before names.py
from agents.names import SECOND_STAGES
from agents.random_agent import RandomAgent
from nat_env import Evaluation, Evaluator, Genotype, TransformEnv
from nat_env.envs.nb201 import NB201Env
from nat_env.envs.supernet import SupernetEnv
from nat_env.nb201 import TableEvaluator
from nat_env.nb201.cells import code_of, genotype_of_code
from nat_env.nb201.oracle import best_transformation, oracle, ranked_transformations
from nat_env.progress import Phase

logger = logging.getLogger(__name__)

METHODS = ("maximum", "sampling", "keep", "random", "exhaustive", "rerank", "oracle")
"""Every scoring method (see the module docstring)."""
SPLITS = ("val", "test", "table_val")
"""What a gain is measured on: the env's validation accuracy (the reward's), the test accuracy (where
the evaluator reports one), and the table's validation accuracy (where the reward is a proxy of it)."""

Array = npt.NDArray[np.float64]


NATEnv = TransformEnv | NB201Env
"""A NAT transformation env: :class:`~nat_env.TransformEnv`, or the exact env that computes its MDP on
cell codes (:class:`~nat_env.envs.nb201.NB201Env`); both hold the evaluator, truth, transitions and
encoder that scoring uses."""


def transform_env(env: gym.Env[Any, Any]) -> NATEnv:
    """The NAT transformation env inside a ``gym.make`` env (its evaluator and transitions)."""
    base = env.unwrapped
    if not isinstance(base, TransformEnv | NB201Env):
        raise TypeError(f"{type(base).__name__} is no NAT transformation env")
    return base


def held_out_inputs(env: gym.Env[Any, Any], n: int, seed: int = HELD_OUT_SEED) -> list[Genotype]:
    """``n`` input genotypes from the env's own sampler, reset with seeds ``seed``, ``seed + 1``, ..."""
    base = transform_env(env)
    inputs = []
    for i in range(n):
        base.reset(seed=seed + i)
        inputs.append(base.beta)
    return inputs


@dataclass(frozen=True)
class Scores:
    """Gains of each method's α over β per held-out input, in accuracy points.

    Attributes:
        inputs: the held-out input genotypes β.
        gains: ``gains[method][split]``, one value per input (splits of :data:`SPLITS` the env has).
        improved: ``improved[method]``: whether the method's α beat β on the env's validation accuracy.
        k: samples per input of ``sampling``.
        evaluator: which evaluator gave the validation accuracies, in words.
    """

    inputs: list[Genotype]
    gains: dict[str, dict[str, Array]]
    improved: dict[str, npt.NDArray[np.bool_]]
    k: int
    evaluator: str
    splits: tuple[str, ...] = field(default=())

    def mean(self, method: str, split: str = "val") -> float:
        """The mean gain of a method (points)."""
        return float(self.gains[method][split].mean())

    def fraction_of_oracle(self, method: str, split: str = "test") -> float:
        """A method's mean gain over the oracle's (``nan`` without an oracle or when its gain is 0)."""
        if "oracle" not in self.gains or split not in self.gains["oracle"]:
            return float("nan")
        reference = self.mean("oracle", split)
        return self.mean(method, split) / reference if reference else float("nan")

    def summary(self) -> dict[str, Any]:
        """Mean gains per method and split, the share of inputs each method improved (JSON-ready)."""
        return {
            "n_inputs": len(self.inputs),
            "k": self.k,
            "evaluator": self.evaluator,
            "mean_gains": {m: {s: float(v.mean()) for s, v in by.items()} for m, by in self.gains.items()},
            "improved_fraction": {m: float(v.mean()) for m, v in self.improved.items()},
        }


def describe_evaluator(env: gym.Env[Any, Any]) -> str:
    """Which evaluator gives the env's validation accuracies, in words."""
    base = transform_env(env)
    evaluator = base.evaluator
    if isinstance(evaluator, TableEvaluator):
        return f"NAS-Bench-201 table, {evaluator.dataset}, {evaluator.epochs} epochs, validation split"
    truth = "; the table's accuracies reported beside it" if base.truth is not None else ""
    return f"shared-weight supernet, validation split{truth}"


def score(
    model: Predictor | None,
    env: gym.Env[Any, Any],
    inputs: Sequence[Genotype],
    methods: Sequence[str] = ("maximum", "sampling", "keep", "oracle"),
    k: int = 8,
    seed: int = 0,
    shortlist: int = 10,
    second: Evaluator | None = None,
) -> Scores:
    """Score a policy (and references) on held-out inputs.

    Args:
        model: anything with SB3's ``predict`` (``None`` when only reference methods are asked for).
        env: the env the model was trained on (its evaluator, transitions and truth are used).
        inputs: the held-out inputs (:func:`held_out_inputs`).
        methods: any of :data:`METHODS`; ``oracle`` is left out on envs without a table.
        k: samples per input for ``sampling``.
        seed: seed of the sampling (input ``i`` samples with ``seed + i``) and of ``random``.
        shortlist: rewrites that ``rerank`` scores again.
        second: ``rerank``'s second-stage evaluator; ``None`` on a supernet env fine-tunes each candidate
            for :data:`RERANK_BATCHES` batches from its weights.

    Raises:
        ValueError: for an unknown method, a policy method without a model, or ``rerank`` without a
            second evaluator on an env that has no supernet.
    """
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(METHODS)}")
    if model is None and {"maximum", "sampling"} & set(methods):
        raise ValueError("maximum and sampling need a model")
    base = transform_env(env)
    truth = base.truth
    chosen = [m for m in methods if m != "oracle" or isinstance(truth, TableEvaluator)]
    randomiser = RandomAgent(seed=seed)
    if "rerank" in chosen and second is None:
        second = second_stage_of(base)
    picks: dict[str, list[_Pick]] = {m: [] for m in chosen}
    phase = Phase(logger, "scoring", len(inputs), "held-out input")
    phase.start(f" by {', '.join(chosen)} (k = {k}) on the {describe_evaluator(env)}")
    for i, beta in enumerate(inputs):
        for method in chosen:
            if method == "rerank":
                assert second is not None
                picks[method].append(_rerank(beta, base, second, shortlist))
            else:
                picks[method].append(_choose(method, model, randomiser, beta, base, k, seed + i))
        if i + 1 < len(inputs):  # the last one is counted once every α is evaluated
            phase.advance(i + 1)
    gains = {m: _gains(base, list(inputs), picks[m]) for m in chosen}
    improved = {m: np.array([pick.improved for pick in picks[m]], bool) for m in chosen}
    phase.advance(len(inputs))
    return Scores(
        list(inputs),
        gains,
        improved,
        k,
        describe_evaluator(env),
        tuple(next(iter(gains.values())).keys()) if gains else (),
    )


RERANK_BATCHES = 200
"""Fine-tuning batches per candidate of ``rerank``'s default second stage."""


def second_stage_of(
    env: gym.Env[Any, Any], batches: int = RERANK_BATCHES, stage: str = "finetune"
) -> Evaluator:
    """A second stage of two-stage selection on a supernet env, scored on the reward's fixed window:
    ``finetune`` (the default) fine-tunes each candidate alone from the supernet's weights for ``batches``
    batches; ``neighbourhood`` trains one copy of the weights for ``batches`` batches on β's neighbourhood
    alone (NAT's few-shot split) and scores β and every candidate with it.

    Raises:
        ValueError: for an env without a supernet or an unknown stage.
    """
    if stage not in SECOND_STAGES:
        raise ValueError(f"unknown second stage {stage!r}; use one of {', '.join(SECOND_STAGES)}")
    base = transform_env(env)
    if not isinstance(base, SupernetEnv):
        raise ValueError(
            f"two-stage selection fine-tunes from a supernet; {type(base).__name__} has none "
            "(pass a second evaluator)"
        )
    if stage == "neighbourhood":
        return base.setup.neighbourhood_evaluator(batches)
    return base.setup.finetuned_evaluator(batches)


def _rerank(beta: Genotype, base: NATEnv, second: Evaluator, shortlist: int) -> _Pick:
    """``rerank``'s α: the shortlist of β's rewrites by the env's reward, chosen among by ``second``."""
    ranked = ranked_transformations(beta, base.evaluator, base.transitions)
    candidates = [g for g, _ in ranked]
    top, evaluations = second_stage(beta, candidates, [e for _, e in ranked], second, shortlist)
    best = int(np.argmax([e.accuracy for e in evaluations[1:]]))
    if evaluations[1 + best].accuracy > evaluations[0].accuracy:
        return _Pick(top[best], True, (evaluations[0], evaluations[1 + best]))
    return _Pick(beta, False, (evaluations[0], evaluations[0]))


@dataclass(frozen=True)
class _Pick:
    """One method's α for one β, whether it beat β, and the evaluations that chose it (if any did)."""

    alpha: Genotype
    improved: bool
    evaluations: tuple[Evaluation, Evaluation] | None = None


def _choose(
    method: str,
    model: Predictor | None,
    randomiser: RandomAgent,
    beta: Genotype,
    base: NATEnv,
    k: int,
    seed: int,
) -> _Pick:
    """One method's α for one β (with the env's own transitions and observation layout)."""
    evaluator, transitions, encoder = base.evaluator, base.transitions, base.encoder
    if method in ("maximum", "sampling", "random"):
        mode: Method = "sampling" if method == "sampling" else "maximum"
        predictor = randomiser if method == "random" else model
        assert predictor is not None
        result = transform(
            predictor,
            beta,
            evaluator,
            transitions,
            mode,
            k=k,
            keep_beta_if_worse=mode == "sampling",
            seed=seed,
            encoder=encoder,
        )
        return _Pick(result.alpha, result.improved, result.evaluations)
    if method == "keep":
        return _Pick(beta, False)
    if method == "exhaustive":
        alpha, _ = best_transformation(beta, evaluator, transitions)
        return _Pick(alpha, alpha != beta)
    truth = base.truth
    assert isinstance(truth, TableEvaluator)
    found = oracle(np.array([code_of(beta)]), truth.val, truth.test)
    code = int(found.alpha_codes[0])
    return _Pick(beta if code == code_of(beta) else genotype_of_code(code), bool(found.gains.val[0] > 0))


def _gains(base: NATEnv, inputs: list[Genotype], picks: list[_Pick]) -> dict[str, Array]:
    """Gains in points of every α over its β: on the reward's validation accuracy, the test accuracy
    (the truth's where there is one, else the evaluator's where it reports one) and the truth's validation
    accuracy (where the reward is a proxy of it).

    A pick chosen by an evaluation reports that evaluation (the numbers that made the choice); the
    others are scored together in one call, so a supernet scores each pair on the same images.
    """
    pending = [i for i, pick in enumerate(picks) if pick.evaluations is None]
    # no call when every pick carries its evaluations: a supernet would score an empty batch (and move its window)
    scored = (
        base.evaluator.evaluate([g for i in pending for g in (inputs[i], picks[i].alpha)]) if pending else []
    )
    fresh = {i: (scored[2 * j], scored[2 * j + 1]) for j, i in enumerate(pending)}
    pairs = [pick.evaluations or fresh[i] for i, pick in enumerate(picks)]
    gains = {"val": 100 * np.array([a.accuracy - b.accuracy for b, a in pairs])}
    if all("test_accuracy" in e.extra for pair in pairs for e in pair):
        gains["test"] = 100 * np.array(
            [a.extra["test_accuracy"] - b.extra["test_accuracy"] for b, a in pairs]
        )
    truth = base.truth if base.truth is not base.evaluator else None
    if truth is None and "test" not in gains and isinstance(base.evaluator, TableEvaluator):
        truth = base.evaluator  # picks chosen by a second stage: the table's own accuracies report them
    if truth is not None:
        true = truth.evaluate([g for i, pick in enumerate(picks) for g in (inputs[i], pick.alpha)])
        true_pairs = list(zip(true[::2], true[1::2], strict=True))
        gains["table_val"] = 100 * np.array([a.accuracy - b.accuracy for b, a in true_pairs])
        if all("test_accuracy" in e.extra for e in true):  # the truth's, over a proxy's (a 12-epoch table)
            gains["test"] = 100 * np.array(
                [a.extra["test_accuracy"] - b.extra["test_accuracy"] for b, a in true_pairs]
            )
    return gains
