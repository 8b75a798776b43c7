"""The distribution p(β) of input genotypes, seeded by a numpy Generator.

The paper samples β uniformly: each intermediate node draws its two inputs uniformly from earlier
nodes and each edge an op uniformly from the non-null ops. Options tilt the op distribution so that
null- and skip-rich cells (which transformed genotypes often are) are also seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nat_env import ops as _ops
from nat_env.genotypes import NB201_NODES, Cell, Edge, Genotype, nb201_cell


@dataclass(frozen=True)
class GenotypeSampler:
    """Samples input genotypes.

    Args:
        space: ``darts`` (normal and reduction cell) or ``nb201`` (one 4-node cell).
        n_nodes: intermediate nodes per DARTS cell (4 for DARTS, 5 for ENAS-sized cells).
        ops: the ops drawn for each edge; default: the vocabulary's ops other than ``none``
            (``nat``: 10 ops; ``nb201``: 4 ops).
        null_prob: probability that an edge is ``none`` instead (0 in the paper).
        skip_prob: probability that an edge is ``skip_connect``; ``None`` leaves skip as one op among
            ``ops``.
        vocabulary: the op set ``ops`` defaults from (``nat``, ``nat++`` or ``nb201``).
        distinct_inputs: whether a DARTS node's two inputs come from different nodes.
    """

    space: str = "darts"
    n_nodes: int = 4
    ops: Sequence[str] | None = None
    null_prob: float = 0.0
    skip_prob: float | None = None
    vocabulary: str = "nat"
    distinct_inputs: bool = True
    choices: tuple[str, ...] = field(init=False)
    """The ops drawn uniformly when an edge is neither forced null nor skip."""

    def __post_init__(self) -> None:
        if self.space not in ("darts", "nb201"):
            raise ValueError(f"unknown space {self.space!r}; use 'darts' or 'nb201'")
        if not 0.0 <= self.null_prob < 1.0:
            raise ValueError(f"null_prob must lie in [0, 1), got {self.null_prob}")
        if self.skip_prob is not None and not 0.0 <= self.skip_prob + self.null_prob < 1.0:
            raise ValueError("null_prob + skip_prob must lie in [0, 1)")
        vocabulary = "nb201" if self.space == "nb201" else self.vocabulary
        ops = [_ops.canonical(op) for op in (self.ops or _ops.VOCABULARIES[vocabulary])]
        ops = [op for op in ops if op != "none"]
        if self.skip_prob is not None:
            ops = [op for op in ops if op != "skip_connect"]
        if not ops:
            raise ValueError("the sampler needs at least one op besides none and skip_connect")
        _ops.check_vocabulary(ops, vocabulary if self.space == "nb201" else "all")
        object.__setattr__(self, "choices", tuple(ops))

    def _op(self, rng: np.random.Generator) -> str:
        u = rng.random()
        if u < self.null_prob:
            return "none"
        if self.skip_prob is not None and u < self.null_prob + self.skip_prob:
            return "skip_connect"
        choices = self.choices
        return choices[int(rng.integers(len(choices)))]

    def _darts_cell(self, rng: np.random.Generator) -> Cell:
        edges: list[Edge] = []
        for node in range(2, 2 + self.n_nodes):
            if self.distinct_inputs:
                sources = sorted(rng.choice(node, size=2, replace=False).tolist())
            else:
                sources = sorted(rng.integers(node, size=2).tolist())
            edges.extend(Edge(self._op(rng), int(s), node) for s in sources)
        return Cell(tuple(edges), tuple(range(2, 2 + self.n_nodes)), "darts")

    def sample(self, rng: np.random.Generator) -> Genotype:
        """One input genotype."""
        if self.space == "nb201":
            n_edges = NB201_NODES * (NB201_NODES - 1) // 2
            return Genotype(nb201_cell([self._op(rng) for _ in range(n_edges)]))
        return Genotype(self._darts_cell(rng), self._darts_cell(rng))
