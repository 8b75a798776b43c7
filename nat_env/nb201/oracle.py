"""Reference policies with exact rewards: the oracle (best NAT rewrite), keep-everything and random.

The oracle of a cell enumerates every NAT rewrite (at most 3^6 = 729) and keeps the best by validation
accuracy; its test-accuracy gain is reported, never used to choose. These give the scale on which
learners are judged: keep scores 0 and the oracle the most any NAT policy can gain. The rewrites and
legal choices are NAT's rule as :mod:`nat_env.transitions` states it, read from the cell tables of
:mod:`nat_env.nb201.lookup`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from nat_env import transitions as _transitions
from nat_env.evaluation import Evaluation, Evaluator
from nat_env.genotypes import Genotype
from nat_env.nb201.cells import N_EDGES, NONE, codes_of, ops_of
from nat_env.nb201.lookup import cell_tables
from nat_env.transitions import Transitions

NAT = cell_tables("nat")
"""NAT's rule on NAS-Bench-201 cells (keep / skip / null)."""
ALL_NAT_ACTIONS = np.array(list(itertools.product(range(NAT.n_choices), repeat=N_EDGES)), np.int64)
"""Every NAT action on a 6-edge cell (3^6 rows); illegal "keep"s duplicate legal rewrites."""

Array = npt.NDArray[np.float64]


class Gains(NamedTuple):
    """Per-cell accuracy gains of a policy, in the unit of the accuracies given.

    Attributes:
        val: validation-accuracy gain per input cell.
        test: test-accuracy gain per input cell.
    """

    val: Array
    test: Array


class OracleResult(NamedTuple):
    """The oracle's choice per input cell.

    Attributes:
        alpha_codes: the best transformed cell per input.
        gains: its gains over the input.
    """

    alpha_codes: npt.NDArray[np.int64]
    gains: Gains


def rewrites(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Codes of the outcome of every NAT action on each cell, in action order (the first is the cell itself;
    illegal "keep"s repeat legal outcomes). Shapes: ``(B,)`` → ``(B, 729)``."""
    rewritten, _ = NAT.apply(ops_of(codes)[:, None, :], ALL_NAT_ACTIONS[None])
    return codes_of(rewritten)


def oracle(
    codes: npt.NDArray[np.int64], val: Array, test: Array, allow_null_to_skip: bool = True
) -> OracleResult:
    """The best NAT rewrite of every cell by validation accuracy (ties: the first in action order).

    Args:
        codes: input cell codes, shape ``(B,)``.
        val: validation accuracy by cell code, shape ``(5**6,)`` (gains come out in its unit).
        test: test accuracy by cell code, shape ``(5**6,)``.
        allow_null_to_skip: whether N→S (adding a shortcut) is allowed.
    """
    outcomes = rewrites(codes)
    scores = val[outcomes]
    if not allow_null_to_skip:
        adds_shortcut = (ops_of(codes)[:, None, :] == NONE) & (ALL_NAT_ACTIONS[None] == _transitions.SKIP)
        scores = np.where(adds_shortcut.any(-1), -np.inf, scores)
    best = outcomes[np.arange(codes.size), np.argmax(scores, axis=1)]
    return OracleResult(best, Gains(val[best] - val[codes], test[best] - test[codes]))


def random_policy(codes: npt.NDArray[np.int64], val: Array, test: Array, legal_only: bool = True) -> Gains:
    """Expected gains of a uniformly random policy, computed exactly over all 729 actions.

    Args:
        codes: input cell codes, shape ``(B,)``.
        val: validation accuracy by cell code.
        test: test accuracy by cell code.
        legal_only: uniform over the legal choices of each edge (the masked policy); otherwise uniform
            over keep / skip / null as the authors parametrised it (keep on a skip edge = skip).
    """
    outcomes = rewrites(codes)
    if legal_only:
        masks = NAT.legal[ops_of(codes)]  # (B, 6, 3)
        legal = masks[:, np.arange(N_EDGES)[None, :], ALL_NAT_ACTIONS]  # (B, 729, 6)
        weights = np.prod(np.where(legal, 1.0 / masks.sum(-1)[:, None, :], 0.0), axis=-1)
    else:
        weights = np.full(outcomes.shape, 1.0 / ALL_NAT_ACTIONS.shape[0])
    return Gains(
        (weights * val[outcomes]).sum(1) - val[codes], (weights * test[outcomes]).sum(1) - test[codes]
    )


def ranked_transformations(
    genotype: Genotype, evaluator: Evaluator, transitions: Transitions, limit: int = 4096
) -> list[tuple[Genotype, Evaluation]]:
    """Every distinct legal transformation of a genotype (β included), best first by an evaluator.

    Enumerates the legal actions (distinct transformed genotypes, β first) and evaluates them in one call;
    the sort is stable, so β comes first among equals and wins ties.

    Args:
        genotype: the input genotype β.
        evaluator: scores every candidate (e.g. the table evaluator, or a supernet's).
        transitions: the legal rewrites.
        limit: refuse to enumerate more candidates than this.

    Raises:
        ValueError: for more than ``limit`` candidates.
    """
    mask = transitions.mask(genotype)
    choices: Sequence[Sequence[int]] = [np.flatnonzero(row).tolist() for row in mask]
    count = int(np.prod([len(c) for c in choices]))
    if count > limit:
        raise ValueError(f"{count} candidate transformations exceed the limit of {limit}")
    rewrites = (transitions.apply(genotype, np.array(a)) for a in itertools.product(*choices))
    candidates = list(dict.fromkeys([genotype, *rewrites]))  # β first: it wins ties
    evaluations = evaluator.evaluate(candidates)
    order = sorted(range(len(candidates)), key=lambda i: -evaluations[i].accuracy)
    return [(candidates[i], evaluations[i]) for i in order]


def best_transformation(
    genotype: Genotype, evaluator: Evaluator, transitions: Transitions, limit: int = 4096
) -> tuple[Genotype, float]:
    """The exhaustive best transformation of any genotype under any evaluator (validation accuracy):
    the first of :func:`ranked_transformations` (β wins ties).

    Returns:
        The best α (β itself among the candidates) and its validation accuracy.
    """
    alpha, evaluation = ranked_transformations(genotype, evaluator, transitions, limit)[0]
    return alpha, evaluation.accuracy
