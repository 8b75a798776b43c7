"""Inference: turn a trained policy and an input genotype β into a transformed genotype α.

Sampling-GCN (the paper's NAT) draws several α from the policy and keeps the best on the evaluator's
validation accuracy; Maximum-GCN takes each edge's most probable choice (Guo et al., 2019, Table 3).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import torch as th

from nat_env import Encoder, Evaluation, Evaluator, Genotype, GraphEncoder
from nat_env import transitions as nat_transitions
from nat_env.transitions import Transitions

Method = Literal["sampling", "maximum"]
CostModel = Callable[[Genotype], tuple[int, int]]


class Predictor(Protocol):
    """Anything with SB3's ``predict`` (an algorithm, a policy, :class:`agents.RandomAgent`)."""

    def predict(self, observation: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]: ...


@dataclass(frozen=True)
class TransformResult:
    """What :func:`transform` returns.

    Attributes:
        beta: the input genotype β.
        alpha: the chosen transformed genotype α (β itself if no candidate beat it and
            ``keep_beta_if_worse``).
        acc_beta: β's validation accuracy.
        acc_alpha: α's validation accuracy.
        improved: whether any candidate beat β on validation accuracy.
        method: ``sampling`` or ``maximum``.
        candidates: distinct candidates evaluated (β excluded).
        cost_beta: β's (params, madds), with a cost model.
        cost_alpha: α's (params, madds), with a cost model.
        evaluations: the evaluations of β and α from the call that chose α (one call scored β and
            every candidate on the same data), with whatever extras the evaluator reports.
    """

    beta: Genotype
    alpha: Genotype
    acc_beta: float
    acc_alpha: float
    improved: bool
    method: str
    candidates: int
    cost_beta: tuple[int, int] | None = None
    cost_alpha: tuple[int, int] | None = None
    evaluations: tuple[Evaluation, Evaluation] | None = None

    @property
    def gain(self) -> float:
        """``acc_alpha - acc_beta`` (validation)."""
        return self.acc_alpha - self.acc_beta


def encoder_of(genotype: Genotype, transitions: Transitions) -> GraphEncoder:
    """The observation layout of a genotype's space (for callers without an env that has one)."""
    if genotype.space == "nb201":
        return GraphEncoder(transitions, "nb201")
    return GraphEncoder(transitions, "darts", genotype.normal.n_nodes - genotype.normal.n_inputs)


def _n_choices(model: Predictor) -> int | None:
    space = getattr(model, "action_space", None)
    nvec = getattr(space, "nvec", None)
    return None if nvec is None else int(np.asarray(nvec).reshape(-1)[0])


def propose(
    model: Predictor,
    observation: dict[str, npt.NDArray[Any]],
    k: int,
    deterministic: bool,
    seed: int = 0,
) -> npt.NDArray[np.int64]:
    """``k`` actions for one observation in one batched ``predict`` call.

    Shapes:
        observation: one unbatched observation; returns ``(k, E)``.
    """
    batch = {key: np.repeat(value[None], k, axis=0) for key, value in observation.items()}
    kwargs: dict[str, Any] = {"deterministic": deterministic}
    if "action_masks" in inspect.signature(model.predict).parameters:
        kwargs["action_masks"] = batch["action_mask"].astype(bool)
    with th.random.fork_rng(devices=[]):
        th.manual_seed(seed)
        actions, _ = model.predict(batch, **kwargs)
    return np.asarray(actions, np.int64).reshape(k, -1)


def transform(
    model: Predictor,
    genotype: Genotype,
    evaluator: Evaluator,
    transitions: Transitions | str | None = None,
    method: Method = "sampling",
    k: int = 8,
    cost: CostModel | None = None,
    keep_beta_if_worse: bool = True,
    seed: int = 0,
    encoder: Encoder | None = None,
    second: Evaluator | None = None,
    shortlist: int = 0,
) -> TransformResult:
    """Transform one input genotype with a trained policy.

    With a ``second`` evaluator the choice has two stages: the ``shortlist`` candidates that ``evaluator``
    ranks first are scored again, with β, by ``second`` (e.g. fine-tuned accuracies:
    :class:`~nat_env.supernet.finetune.FineTunedEvaluator`), and ``second``'s numbers choose α.

    Args:
        model: an SB3 algorithm or policy (or anything with its ``predict``) trained on this layout.
        genotype: the input genotype β.
        evaluator: gives the validation accuracies that pick α (never test accuracies).
        transitions: the transitions the model was trained with (an object, ``nat`` or ``nat++``);
            ``None`` infers them from the model's action space (K = 3: NAT, K = 13: NAT++).
        method: ``sampling`` (``k`` samples, the best on validation) or ``maximum`` (the argmax per
            edge, one candidate).
        k: samples for ``sampling``.
        cost: optional cost model ``genotype -> (params, madds)``.
        keep_beta_if_worse: return β when no candidate beats it (else the best candidate anyway).
        seed: seed of the sampling (torch's generator is forked, so global state is untouched).
        encoder: the observation layout the model was trained on (an env's ``encoder``); ``None``
            builds the layout of β's space.
        second: the second stage's evaluator, or ``None`` (one stage).
        shortlist: candidates the second stage scores (with ``second``; at least 1).

    Raises:
        ValueError: for an unknown method, a non-positive ``k``, or a second stage without a shortlist.
    """
    if method not in ("sampling", "maximum"):
        raise ValueError(f"method must be 'sampling' or 'maximum', got {method!r}")
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    if transitions is None or isinstance(transitions, str):
        name = transitions or ("nat++" if _n_choices(model) == 13 else "nat")
        transitions = nat_transitions.get(name, genotype.space)
    observation = (encoder or encoder_of(genotype, transitions)).encode(genotype)
    actions = propose(model, observation, 1 if method == "maximum" else k, method == "maximum", seed)
    candidates = list(dict.fromkeys(transitions.apply(genotype, a, on_illegal="keep") for a in actions))
    evaluations = evaluator.evaluate([genotype, *candidates])
    if second is not None:
        candidates, evaluations = second_stage(genotype, candidates, evaluations[1:], second, shortlist)
    acc_beta = evaluations[0].accuracy
    best = int(np.argmax([e.accuracy for e in evaluations[1:]]))
    alpha, chosen = candidates[best], evaluations[1 + best]
    improved = chosen.accuracy > acc_beta
    if not improved and keep_beta_if_worse:
        alpha, chosen = genotype, evaluations[0]
    return TransformResult(
        beta=genotype,
        alpha=alpha,
        acc_beta=acc_beta,
        acc_alpha=chosen.accuracy,
        improved=improved,
        method=method if second is None else f"{method}, re-ranked top {shortlist}",
        candidates=len(candidates),
        cost_beta=None if cost is None else cost(genotype),
        cost_alpha=None if cost is None else cost(alpha),
        evaluations=(evaluations[0], chosen),
    )


def second_stage(
    beta: Genotype,
    candidates: Sequence[Genotype],
    evaluations: Sequence[Evaluation],
    second: Evaluator,
    shortlist: int,
) -> tuple[list[Genotype], list[Evaluation]]:
    """The ``shortlist`` candidates the first stage ranks first (``evaluations``, β excluded), and the
    second stage's evaluations of β and of each of them (β first).

    Raises:
        ValueError: for a shortlist below 1.
    """
    if shortlist < 1:
        raise ValueError(f"a second stage needs a shortlist of at least 1 candidate, got {shortlist}")
    ranked = sorted(
        (i for i, g in enumerate(candidates) if g != beta), key=lambda i: -evaluations[i].accuracy
    )
    top = [candidates[i] for i in ranked[:shortlist]] or [beta]
    return top, second.evaluate([beta, *top])
