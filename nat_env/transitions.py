"""Transitions: what a policy may do to each edge of an input genotype β to get α.

An action holds one integer per edge (edges in :attr:`Genotype.edges` order, normal cell first). Its
meaning is the *resulting* state of the edge, so no two legal choices give the same α (the authors'
"keep" on a skip or null edge duplicated "skip"/"null"; see docs/background.md, mistake 4):

* NAT (Guo et al., 2019): 0 = keep the op, 1 = skip connection, 2 = null. Legal: O→{O, S, N},
  S→{S, N}, N→{N, S}; "keep" is legal only on compute edges.
* NAT++: the index of the resulting op in :data:`nat_env.ops.NATPP_OPS`, legal per the authors'
  two-level table (a cheaper op type or a smaller kernel), restricted to the genotype's vocabulary.

Dead nodes and disconnected outputs are not repaired here: :meth:`Genotype.pruned` defines how a
genotype computes (dead nodes output zeros and leave the concatenation), and evaluators use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from nat_env import ops as _ops
from nat_env.genotypes import Genotype

KEEP, SKIP, NULL = 0, 1, 2

_TYPE_RANK: dict[str, int] = {
    family: rank for rank, family in enumerate(dict.fromkeys(_ops.OPS[op].family for op in _ops.NATPP_OPS))
}
"""NAT++'s op types by cost, 0 the most expensive: conv, sep_conv, dil_conv, pool, skip, none (the order
of :data:`nat_env.ops.NATPP_OPS`)."""


def _natpp_legal(current: str, result: str) -> bool:
    """NAT++'s two-level rule: an op may move to a type no more expensive with a kernel no larger; a null
    edge may also become a skip connection (NAT's N -> S shortcut)."""
    before, after = _ops.OPS[current], _ops.OPS[result]
    if before.kind == "none" and after.kind == "skip":
        return True
    return _TYPE_RANK[after.family] >= _TYPE_RANK[before.family] and after.kernel <= before.kernel


_NATPP_TARGETS: dict[str, tuple[str, ...]] = {
    op: tuple(result for result in _ops.NATPP_OPS if _natpp_legal(op, result)) for op in _ops.NATPP_OPS
}
"""NAT++'s table (docs/background.md, section 1): current op -> allowed resulting ops, in
:data:`nat_env.ops.NATPP_OPS` order. ``tests/test_transitions.py`` checks every row against the authors'."""

Action = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


class Transitions(Protocol):
    """A set of legal per-edge rewrites.

    Attributes:
        name: ``nat`` or ``nat++``.
        n_choices: choices per edge (the action's ``nvec`` entry).
    """

    name: str
    n_choices: int

    def mask(self, genotype: Genotype) -> Mask:
        """Legal choices, shape ``(n_edges, n_choices)``; every row has at least one ``True``."""
        ...

    def apply(
        self, genotype: Genotype, action: npt.ArrayLike, on_illegal: IllegalPolicy = "raise"
    ) -> Genotype:
        """The transformed genotype α; raises ``ValueError`` on a malformed (or, by default, illegal) action."""
        ...

    def keep_action(self, genotype: Genotype) -> Action:
        """The action that returns the genotype unchanged."""
        ...

    def choice_ops(self, genotype: Genotype) -> list[list[str]]:
        """Per edge, the op each choice leads to (for display and for tabulating rewards)."""
        ...


IllegalPolicy = Literal["raise", "keep"]
"""What :meth:`Transitions.apply` does with an in-range choice that the mask forbids: raise a
``ValueError``, or keep that edge's op unchanged (for learners that ignore the mask). Wrong shapes,
non-integers and out-of-range values always raise."""


def _check_action(
    genotype: Genotype, action: npt.ArrayLike, mask: Mask, keep: Action, on_illegal: IllegalPolicy
) -> Action:
    array = np.asarray(action)
    n_edges, n_choices = mask.shape
    if array.shape != (n_edges,):
        raise ValueError(f"action must have shape ({n_edges},) (one choice per edge), got {array.shape}")
    whole_floats = np.issubdtype(array.dtype, np.floating) and bool(np.all(array == np.round(array)))
    if not (np.issubdtype(array.dtype, np.integer) or whole_floats):
        raise ValueError(f"action must hold integers, got dtype {array.dtype}")
    values = array.astype(np.int64)
    bad = np.flatnonzero((values < 0) | (values >= n_choices))
    if bad.size:
        raise ValueError(
            f"action values must lie in 0..{n_choices - 1}; edge(s) {bad.tolist()} hold {values[bad].tolist()}"
        )
    illegal = np.flatnonzero(~mask[np.arange(n_edges), values])
    if illegal.size and on_illegal == "keep":
        values = values.copy()
        values[illegal] = keep[illegal]
    elif illegal.size:
        details = ", ".join(f"edge {i} ({genotype.edges[i].op}) -> choice {values[i]}" for i in illegal[:5])
        raise ValueError(f"illegal transition(s): {details}")
    return values


class NatTransitions:
    """NAT's keep / skip / null transitions (Guo et al., 2019, section 3)."""

    name = "nat"
    n_choices = 3

    def mask(self, genotype: Genotype) -> Mask:
        kinds = np.array([_ops.kind(op) == "compute" for op in genotype.ops])
        mask = np.ones((len(kinds), 3), dtype=bool)
        mask[:, KEEP] = kinds
        return mask

    def choice_ops(self, genotype: Genotype) -> list[list[str]]:
        return [[op, "skip_connect", "none"] for op in genotype.ops]

    def apply(
        self, genotype: Genotype, action: npt.ArrayLike, on_illegal: IllegalPolicy = "raise"
    ) -> Genotype:
        keep = self.keep_action(genotype)
        values = _check_action(genotype, action, self.mask(genotype), keep, on_illegal)
        choices = self.choice_ops(genotype)
        return genotype.with_ops([choices[i][v] for i, v in enumerate(values)])

    def keep_action(self, genotype: Genotype) -> Action:
        state = {"compute": KEEP, "skip": SKIP, "none": NULL}
        return np.array([state[_ops.kind(op)] for op in genotype.ops], dtype=np.int64)


class NatPlusPlusTransitions:
    """NAT++'s op-type and kernel transitions with a binary-masked softmax (Guo et al., TPAMI).

    Args:
        vocabulary: the ops a result may hold (``nat++`` for DARTS-style genotypes; ``nb201`` keeps
            NAS-Bench-201 genotypes inside their space).
    """

    name = "nat++"
    n_choices = len(_ops.NATPP_OPS)

    def __init__(self, vocabulary: str = "nat++") -> None:
        self.vocabulary = vocabulary
        allowed = set(_ops.VOCABULARIES[vocabulary])
        self._rows = {
            op: np.array([t in targets and t in allowed for t in _ops.NATPP_OPS])
            for op, targets in _NATPP_TARGETS.items()
        }

    def mask(self, genotype: Genotype) -> Mask:
        outside = sorted({op for op in genotype.ops if op not in self._rows})
        if outside:
            raise ValueError(
                f"NAT++ has no transitions for op(s) {', '.join(outside)} (not in its 13-op table)"
            )
        return np.stack([self._rows[op] for op in genotype.ops])

    def choice_ops(self, genotype: Genotype) -> list[list[str]]:
        return [list(_ops.NATPP_OPS) for _ in genotype.ops]

    def apply(
        self, genotype: Genotype, action: npt.ArrayLike, on_illegal: IllegalPolicy = "raise"
    ) -> Genotype:
        mask = self.mask(genotype)
        values = _check_action(genotype, action, mask, self.keep_action(genotype), on_illegal)
        return genotype.with_ops([_ops.NATPP_OPS[v] for v in values])

    def keep_action(self, genotype: Genotype) -> Action:
        return np.array([_ops.NATPP_OPS.index(op) for op in genotype.ops], dtype=np.int64)


NAMES = ("nat", "nat++")
"""Names of the transitions (``natpp`` is read as ``nat++``, for file names and shells)."""


def canonical_name(name: str) -> str:
    """``nat`` or ``nat++`` for any accepted spelling.

    Raises:
        ValueError: for an unknown name.
    """
    found = "nat++" if name == "natpp" else name
    if found not in NAMES:
        raise ValueError(f"unknown transitions {name!r}; use 'nat' or 'nat++'")
    return found


def get(name: str, space: str = "darts") -> Transitions:
    """The transitions called ``nat`` or ``nat++`` for genotypes of a space (``darts`` or ``nb201``)."""
    if canonical_name(name) == "nat":
        return NatTransitions()
    return NatPlusPlusTransitions("nb201" if space == "nb201" else "nat++")


def random_legal_action(mask: Mask, rng: np.random.Generator) -> Action:
    """A uniformly random legal choice per edge."""
    scores = rng.random(mask.shape)
    return np.asarray(np.argmax(np.where(mask, scores, -1.0), axis=1), dtype=np.int64)


def changed_edges(beta: Genotype, alpha: Genotype) -> Sequence[int]:
    """Indices of the edges whose op differs between two genotypes of the same shape."""
    return [i for i, (a, b) in enumerate(zip(beta.ops, alpha.ops, strict=True)) if a != b]
