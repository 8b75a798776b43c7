"""Per-cell tables of the NAS-Bench-201 space: observations, legal choices, rewrites and texts by cell code.

Between the genotype and the exact environments. :class:`CellTables` holds, by cell code (see
:mod:`nat_env.nb201.cells`), what the genotype path gives for every cell (:meth:`GraphEncoder.encode`,
:meth:`Transitions.mask` and :meth:`Transitions.apply`, ``str``); the NAT or NAT++ rule itself is read
from :mod:`nat_env.transitions` (:func:`rewrite_rule`), so the rule has one home. The exact
:class:`~nat_env.envs.nb201.NB201Env` steps on the tables by cell code, and offers them through the
genotype-level protocols as its ``transitions`` and ``encoder`` (:class:`TableTransitions`,
:class:`TableEncoder`, which look a genotype's cell up instead of building, validating and encoding
it); :class:`~nat_env.envs.nb201_vector.NB201VecEnv` and the oracle (:mod:`nat_env.nb201.oracle`)
rewrite many cells at once (:meth:`CellTables.apply`). The tests compare the tables with the genotype
path over the space. The tables are built vectorised, once per process and set of transitions
(:func:`cell_tables`); the texts on first use of each cell.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from nat_env import ops as _ops
from nat_env import transitions as _transitions
from nat_env.encoding import OP_IDS, GraphEncoder, Observation
from nat_env.genotypes import Genotype
from nat_env.nb201.cells import (
    N_CELLS,
    N_EDGES,
    N_OPS,
    PLACES,
    SKIP,
    arch_str,
    code_of,
    decoded_code,
    genotype_of,
    genotype_of_code,
    live_nodes,
    ops_of,
)
from nat_env.transitions import Action, IllegalPolicy, Mask, Transitions

_TO_ALL_OPS = np.array([OP_IDS[op] for op in _ops.NB201_OPS], np.int64)
_PLACES = PLACES.tolist()


class Rewrite(NamedTuple):
    """What an action does to a cell: the code of α, the edges it changed, and the forbidden choices."""

    code: int
    changed_edges: list[int]
    illegal_edges: int


def rewrite_rule(transitions: Transitions) -> npt.NDArray[np.int64]:
    """The op id each choice gives an edge, per op id; -1 where the mask forbids the choice.

    NAT and NAT++ decide each edge from its own op, so one row per op holds the whole rule.
    Shapes: ``(N_OPS, K)``.
    """
    rule = np.full((N_OPS, transitions.n_choices), -1, np.int64)
    for op in range(N_OPS):
        cell = genotype_of(np.full(N_EDGES, op))
        legal, results = transitions.mask(cell)[0], transitions.choice_ops(cell)[0]
        for choice in np.flatnonzero(legal):
            rule[op, choice] = _ops.NB201_OPS.index(results[choice])
    return rule


class CellTables:
    """The observation, legal choices and rewrites of every NAS-Bench-201 cell, by cell code.

    Args:
        encoder: the NAS-Bench-201 encoder whose observations and transitions the tables reproduce.

    Raises:
        ValueError: for an encoder of another space.
    """

    def __init__(self, encoder: GraphEncoder) -> None:
        if encoder.space != "nb201":
            raise ValueError(f"cell tables are for NAS-Bench-201 encoders, got a {encoder.space!r} one")
        self.encoder = encoder
        self.n_choices = encoder.transitions.n_choices
        rule = rewrite_rule(encoder.transitions)
        self.rule = rule
        """The op id each choice gives an edge, per op id (-1: forbidden), ``(N_OPS, K)``."""
        self.legal: npt.NDArray[np.bool_] = rule >= 0
        """Legal choices per op id, ``(N_OPS, K)``."""
        self._rule: list[list[int]] = rule.tolist()
        self._template = encoder.encode(genotype_of(np.full(N_EDGES, SKIP)))
        all_ops = ops_of(np.arange(N_CELLS))
        self._ops: list[list[int]] = all_ops.tolist()
        self._varying = self.encode(all_ops)
        self._layout = [
            (key, self._varying.get(key, value), key in self._varying)
            for key, value in self._template.items()
        ]
        """Per observation key, in the encoder's order: the per-cell table or the constant array."""
        self._masks: npt.NDArray[np.bool_] = self.legal[all_ops].reshape(N_CELLS, -1)
        self._texts: list[str | None] = [None] * N_CELLS

    def encode(self, ops: npt.NDArray[np.int64]) -> Observation:
        """Stacked observations of op-id arrays. Shapes: ``ops (B, 6)`` → each array gains a leading ``B``."""
        batch = ops.shape[0]
        observation = {key: np.repeat(value[None], batch, axis=0) for key, value in self._template.items()}
        live = live_nodes(ops)
        features = observation["node_features"]
        features[:, :4, 5] = live
        features[:, 4, 5] = live[:, 3]
        observation["edge_op"] = _TO_ALL_OPS[ops]
        observation["action_mask"] = self.legal[ops].reshape(batch, -1).astype(np.int8)
        return observation

    def observation(self, code: int) -> Observation:
        """The observation of one cell (fresh arrays, as :meth:`GraphEncoder.encode` gives)."""
        return {key: (table[code] if varying else table).copy() for key, table, varying in self._layout}

    def observations(self, codes: npt.NDArray[np.int64]) -> Observation:
        """Stacked observations of many cells. Shapes: ``codes (B,)`` → each array gains a leading ``B``."""
        return {
            key: self._varying[key][codes] if key in self._varying else np.repeat(value[None], codes.size, 0)
            for key, value in self._template.items()
        }

    def mask(self, code: int) -> npt.NDArray[np.bool_]:
        """The flat legal-choice mask of a cell, edge-major, ``(6 * K,)`` (a fresh array)."""
        mask: npt.NDArray[np.bool_] = self._masks[code].copy()
        return mask

    def text(self, code: int) -> str:
        """The NAS-Bench-201 string of a cell (``str`` of its genotype)."""
        text = self._texts[code]
        if text is None:
            text = self._texts[code] = arch_str(self._ops[code])
        return text

    def rewrite(self, code: int, action: npt.ArrayLike, on_illegal: IllegalPolicy) -> Rewrite | None:
        """α of an integer action on a cell, as :meth:`Transitions.apply` gives it.

        Returns:
            The rewrite, or ``None`` for an action this fast path does not take: not an integer array of
            shape ``(6,)``, a value out of range, or a forbidden choice under ``on_illegal="raise"``
            (:meth:`Transitions.apply` then raises its error, or accepts whole floats).
        """
        array = np.asarray(action)
        if array.shape != (N_EDGES,) or array.dtype.kind not in "iu":
            return None
        alpha, changed, illegal = 0, [], 0
        for edge, (op, choice) in enumerate(zip(self._ops[code], array.tolist(), strict=True)):
            if not 0 <= choice < self.n_choices:
                return None
            result = self._rule[op][choice]
            if result < 0:
                if on_illegal != "keep":
                    return None
                illegal += 1
                result = op
            if result != op:
                changed.append(edge)
            alpha += result * _PLACES[edge]
        return Rewrite(alpha, changed, illegal)

    def apply(
        self, ops: npt.NDArray[np.int64], actions: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """α of many cells at once: each edge's choice by the rule, a forbidden one keeping the op.

        Shapes: ``ops (..., 6)`` op ids, ``actions (..., 6)`` choices in ``0..K-1`` → the op ids of α and
        where the choice was forbidden, both ``(..., 6)``.
        """
        result = self.rule[ops, actions]
        illegal = result < 0
        return np.where(illegal, ops, result), illegal


class TableTransitions:
    """The :class:`~nat_env.transitions.Transitions` of the tables, read by cell code.

    The legal choices and rewrites of the transitions the tables were built from (``tables.encoder.
    transitions``), with α the decoded genotype of its cell code. An action the tables' fast path does
    not take (:meth:`CellTables.rewrite`: floats, a wrong shape, a value out of range, a forbidden choice
    under ``on_illegal="raise"``) goes to those transitions, which raise their error or rewrite whole
    floats.

    Args:
        tables: the cell tables of a set of transitions.
    """

    def __init__(self, tables: CellTables) -> None:
        self.tables = tables
        self.rules = tables.encoder.transitions
        self.name = self.rules.name
        self.n_choices = self.rules.n_choices

    def mask(self, genotype: Genotype) -> Mask:
        return self.tables.mask(code_of(genotype)).reshape(N_EDGES, self.n_choices)

    def apply(
        self, genotype: Genotype, action: npt.ArrayLike, on_illegal: IllegalPolicy = "raise"
    ) -> Genotype:
        rewrite = self.tables.rewrite(code_of(genotype), action, on_illegal)
        if rewrite is None:
            return self.rules.apply(genotype, action, on_illegal)
        return genotype_of_code(rewrite.code)

    def keep_action(self, genotype: Genotype) -> Action:
        return self.rules.keep_action(genotype)

    def choice_ops(self, genotype: Genotype) -> list[list[str]]:
        return self.rules.choice_ops(genotype)


class TableEncoder:
    """The observations of the tables' :class:`~nat_env.encoding.GraphEncoder`, read by cell code.

    Args:
        tables: the cell tables of a set of transitions.
    """

    def __init__(self, tables: CellTables) -> None:
        self.tables = tables
        self.graph = tables.encoder
        """The encoder whose observations the tables hold (it checks shapes)."""

    @property
    def n_edges(self) -> int:
        return N_EDGES

    def observation_space(self) -> spaces.Dict:
        return self.graph.observation_space()

    def check(self, genotype: Genotype) -> None:
        if decoded_code(genotype) is None:  # a decoded cell fits by construction
            self.graph.check(genotype)

    def encode(self, genotype: Genotype) -> Observation:
        return self.tables.observation(code_of(genotype))


def cell_tables(transitions: str = "nat") -> CellTables:
    """The tables of NAS-Bench-201 cells under ``nat`` or ``nat++`` transitions, built once per process."""
    return _cell_tables(_transitions.canonical_name(transitions))


@lru_cache(maxsize=len(_transitions.NAMES))
def _cell_tables(transitions: str) -> CellTables:
    return CellTables(GraphEncoder(_transitions.get(transitions, "nb201"), "nb201"))
