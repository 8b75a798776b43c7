"""The one genotype type: immutable edges, cells and genotypes, validated on construction, and its writers.

Every other form of an architecture (text, observation arrays, torch modules, pictures) is a pure
function of a :class:`Genotype`. The text writers (DARTS text, NAS-Bench-201 strings, the published
genotypes file's layout) are here; their readers are in :mod:`nat_env.genotypes.parsing`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any, Literal

from nat_env import ops as _ops

CellStyle = Literal["darts", "nb201"]
"""How a cell's nodes combine their inputs.

* ``darts``: two input nodes (0 and 1), then intermediate nodes that each sum exactly two incoming
  edges; the cell output concatenates the ``concat`` nodes.
* ``nb201``: one input node (0), then nodes that each sum one edge from every earlier node; the cell
  output is the last node.
"""

NB201_NODES = 4


@dataclass(frozen=True, order=True)
class Edge:
    """One (op, source, target) triple: ``target`` adds ``op(source)`` to its sum."""

    op: str
    source: int
    target: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", _ops.canonical(self.op))


@dataclass(frozen=True)
class Cell:
    """A DAG of nodes whose edges carry ops.

    Attributes:
        edges: the edges, grouped by target in increasing order (the order of actions).
        concat: the nodes concatenated into the cell output.
        style: ``darts`` or ``nb201`` (see :data:`CellStyle`).

    Raises:
        ValueError: on a source not before its target, a wrong number of inputs or a concat node out
            of range; the message names the edge or node.
    """

    edges: tuple[Edge, ...]
    concat: tuple[int, ...]
    style: CellStyle = "darts"

    def __post_init__(self) -> None:
        object.__setattr__(self, "edges", tuple(self.edges))
        object.__setattr__(self, "concat", tuple(int(n) for n in self.concat))
        if self.style == "darts":
            _check_darts(self)
        elif self.style == "nb201":
            _check_nb201(self)
        else:
            raise ValueError(f"unknown cell style {self.style!r}; use 'darts' or 'nb201'")

    @property
    def n_inputs(self) -> int:
        """Number of input nodes (2 for DARTS cells, 1 for NAS-Bench-201 cells)."""
        return 2 if self.style == "darts" else 1

    @property
    def n_nodes(self) -> int:
        """Number of nodes, inputs included."""
        return max(edge.target for edge in self.edges) + 1

    @cached_property
    def ops(self) -> tuple[str, ...]:
        """The op of every edge, in edge order."""
        return tuple(edge.op for edge in self.edges)

    def with_ops(self, ops: Sequence[str]) -> Cell:
        """The same cell with new ops on its edges (in edge order)."""
        if len(ops) != len(self.edges):
            raise ValueError(f"expected {len(self.edges)} ops, got {len(ops)}")
        edges = tuple(replace(edge, op=op) for edge, op in zip(self.edges, ops, strict=True))
        return Cell(edges, self.concat, self.style)

    def live_nodes(self) -> frozenset[int]:
        """Nodes that carry a signal: the inputs, and every node with a non-null edge from a live node.

        A node all of whose inputs are null or dead is *dead*: its output is zero, so its outgoing
        edges compute nothing and it is left out of the concatenation (see :meth:`pruned`).
        """
        return self._live

    @cached_property
    def _live(self) -> frozenset[int]:
        live = set(range(self.n_inputs))
        for edge in self.edges:  # edges are grouped by increasing target
            if edge.op != "none" and edge.source in live:
                live.add(edge.target)
        return frozenset(live)

    def output_nodes(self) -> tuple[int, ...]:
        """The concat nodes that are live."""
        live = self.live_nodes()
        return tuple(node for node in self.concat if node in live)

    @property
    def is_connected(self) -> bool:
        """Whether any input reaches the cell output through non-null edges."""
        return bool(self.output_nodes())

    def pruned(self) -> Cell:
        """The cell as it computes: edges leaving dead nodes become ``none``.

        The concat list is kept; use :meth:`output_nodes` for the live part of it. Networks built from
        a cell concatenate only live nodes, and a disconnected cell outputs zeros.
        """
        live = self.live_nodes()
        ops = [edge.op if edge.source in live else "none" for edge in self.edges]
        return self.with_ops(ops)


def _node_name(node: int) -> str:
    return f"node {node}"


def _check_common(cell: Cell) -> None:
    if not cell.edges:
        raise ValueError("a cell needs at least one edge")
    for index, edge in enumerate(cell.edges):
        if not isinstance(edge, Edge):
            raise ValueError(f"edge {index}: expected an Edge, got {edge!r}")
        if edge.target < cell.n_inputs:
            raise ValueError(
                f"edge {index} ({edge.op}, {edge.source}, {edge.target}): target is an input node"
            )
        if not 0 <= edge.source < edge.target:
            raise ValueError(
                f"edge {index} ({edge.op}, {edge.source}, {edge.target}): "
                "the source must be a node before the target"
            )
    targets = [edge.target for edge in cell.edges]
    if targets != sorted(targets):
        raise ValueError(f"edges must be grouped by increasing target, got targets {targets}")


def _check_darts(cell: Cell) -> None:
    _check_common(cell)
    n_nodes = cell.n_nodes
    for node in range(2, n_nodes):
        count = sum(edge.target == node for edge in cell.edges)
        if count != 2:
            raise ValueError(f"{_node_name(node)} has {count} inputs; DARTS cells need exactly 2")
    if not cell.concat:
        raise ValueError("the concat list is empty")
    for node in cell.concat:
        if not 2 <= node < n_nodes:
            raise ValueError(f"concat node {node} is out of range: intermediate nodes are 2..{n_nodes - 1}")
    if len(set(cell.concat)) != len(cell.concat):
        raise ValueError(f"concat list {list(cell.concat)} repeats a node")


def _check_nb201(cell: Cell) -> None:
    _check_common(cell)
    expected = [(s, t) for t in range(1, NB201_NODES) for s in range(t)]
    found = [(edge.source, edge.target) for edge in cell.edges]
    if found != expected:
        raise ValueError(
            f"a NAS-Bench-201 cell has one edge from every earlier node to each of nodes "
            f"1..{NB201_NODES - 1}, in the order {expected}; got {found}"
        )
    _ops.check_vocabulary(cell.ops, "nb201")
    if cell.concat != (NB201_NODES - 1,):
        raise ValueError(f"a NAS-Bench-201 cell outputs node {NB201_NODES - 1}, got concat {cell.concat}")


@dataclass(frozen=True)
class Genotype:
    """A discrete architecture: a normal cell and, for DARTS-style networks, a reduction cell.

    Attributes:
        normal: the normal cell.
        reduce: the reduction cell, or ``None`` for NAS-Bench-201 genotypes (one cell).
        name: an optional label (a published genotype's name); not part of equality.

    ``str(genotype)`` gives the DARTS text for DARTS genotypes and the NAS-Bench-201 string for
    NAS-Bench-201 genotypes; :func:`nat_env.genotypes.parse` reads it back.
    """

    normal: Cell
    reduce: Cell | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.normal.style == "darts":
            if self.reduce is None or self.reduce.style != "darts":
                raise ValueError("a DARTS genotype needs a DARTS-style reduction cell")
        elif self.reduce is not None:
            raise ValueError("a NAS-Bench-201 genotype has a single cell (reduce must be None)")

    @property
    def space(self) -> CellStyle:
        """``darts`` or ``nb201``."""
        return self.normal.style

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The cells in action order: (normal, reduce) or (normal,)."""
        return (self.normal,) if self.reduce is None else (self.normal, self.reduce)

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        """All edges in action order (normal cell first)."""
        return tuple(edge for cell in self.cells for edge in cell.edges)

    @cached_property
    def ops(self) -> tuple[str, ...]:
        """The op of every edge in action order."""
        return tuple(op for cell in self.cells for op in cell.ops)

    def with_ops(self, ops: Sequence[str]) -> Genotype:
        """The same genotype with new ops on its edges (in action order); the name is dropped."""
        ops = list(ops)
        if len(ops) != len(self.edges):
            raise ValueError(f"expected {len(self.edges)} ops, got {len(ops)}")
        cells = []
        start = 0
        for cell in self.cells:
            cells.append(cell.with_ops(ops[start : start + len(cell.edges)]))
            start += len(cell.edges)
        return Genotype(cells[0], cells[1] if len(cells) > 1 else None)

    def pruned(self) -> Genotype:
        """Every cell :meth:`Cell.pruned`."""
        cells = [cell.pruned() for cell in self.cells]
        return Genotype(cells[0], cells[1] if len(cells) > 1 else None, self.name)

    def named(self, name: str | None) -> Genotype:
        """The same genotype with another label."""
        return replace(self, name=name)

    @cached_property
    def _text(self) -> str:
        return format_nb201(self) if self.space == "nb201" else format_darts(self)

    def __str__(self) -> str:
        return self._text


def pad_nodes(genotype: Genotype, n_nodes: int) -> Genotype:
    """A DARTS genotype with dead intermediate nodes (null edges from inputs 0 and 1) up to ``n_nodes``.

    The padded nodes compute nothing and leave the concatenation, so the padded genotype is the same
    network; it lets a cell with fewer nodes run in a supernet (or be rewritten by a policy) sized for more.
    """

    def padded(cell: Cell) -> Cell:
        extra = [Edge("none", s, t) for t in range(cell.n_nodes, 2 + n_nodes) for s in (0, 1)]
        return Cell((*cell.edges, *extra), cell.concat, cell.style)

    if genotype.reduce is None:
        raise ValueError("padding is for DARTS genotypes")
    return Genotype(padded(genotype.normal), padded(genotype.reduce), genotype.name)


def unpad_nodes(genotype: Genotype, n_nodes: int) -> Genotype:
    """Drop the edges into nodes beyond ``n_nodes`` intermediate nodes (the inverse of :func:`pad_nodes`)."""

    def cut(cell: Cell) -> Cell:
        return Cell(tuple(e for e in cell.edges if e.target < 2 + n_nodes), cell.concat, cell.style)

    if genotype.reduce is None:
        raise ValueError("padding is for DARTS genotypes")
    return Genotype(cut(genotype.normal), cut(genotype.reduce), genotype.name)


def darts_cell(edges: Iterable[tuple[str, int, int]], concat: Iterable[int]) -> Cell:
    """A DARTS-style cell from (op, source, target) triples."""
    return Cell(tuple(Edge(op, s, t) for op, s, t in edges), tuple(concat), "darts")


def nb201_cell(ops: Sequence[str]) -> Cell:
    """A NAS-Bench-201 cell from its six ops in edge order 0→1, 0→2, 1→2, 0→3, 1→3, 2→3."""
    pairs = [(s, t) for t in range(1, NB201_NODES) for s in range(t)]
    if len(ops) != len(pairs):
        raise ValueError(f"a NAS-Bench-201 cell has {len(pairs)} edges, got {len(ops)} ops")
    return Cell(
        tuple(_edge(op, s, t) for op, (s, t) in zip(ops, pairs, strict=True)), (NB201_NODES - 1,), "nb201"
    )


@lru_cache(maxsize=1024)
def _edge(op: str, source: int, target: int) -> Edge:
    """An edge, one object per triple (edges are immutable; the exact envs decode every cell of the space)."""
    return Edge(op, source, target)


def format_nb201(genotype: Genotype) -> str:
    """The NAS-Bench-201 string of a NAS-Bench-201 genotype."""
    if genotype.space != "nb201":
        raise ValueError("only NAS-Bench-201 genotypes have a NAS-Bench-201 string")
    nodes: list[list[str]] = [[] for _ in range(NB201_NODES)]
    for edge in genotype.normal.edges:
        nodes[edge.target].append(f"{_ops.NB201_NAMES.get(edge.op, edge.op)}~{edge.source}")
    return "+".join("|" + "|".join(items) + "|" for items in nodes[1:])


def format_darts(genotype: Genotype) -> str:
    """DARTS text with (op, source) pairs, two per node, as in DARTS' ``genotypes.py``."""
    return _format(genotype, triples=False)


def format_triples(genotype: Genotype) -> str:
    """DARTS text with (op, source, target) triples."""
    return _format(genotype, triples=True)


def to_dict(genotype: Genotype) -> dict[str, Any]:
    """The JSON-ready layout of the published genotypes file (DARTS genotypes only)."""
    if genotype.reduce is None:
        raise ValueError("to_dict is for DARTS genotypes; use format_nb201 for NAS-Bench-201 cells")
    return {
        "normal": [[e.op, e.source, e.target] for e in genotype.normal.edges],
        "normal_concat": list(genotype.normal.concat),
        "reduce": [[e.op, e.source, e.target] for e in genotype.reduce.edges],
        "reduce_concat": list(genotype.reduce.concat),
    }


def _format(genotype: Genotype, triples: bool) -> str:
    if genotype.reduce is None:
        raise ValueError("DARTS text is for DARTS genotypes; NAS-Bench-201 genotypes use format_nb201")
    parts = []
    for key, cell in (("normal", genotype.normal), ("reduce", genotype.reduce)):
        items = ", ".join(
            f"('{e.op}', {e.source}, {e.target})" if triples else f"('{e.op}', {e.source})"
            for e in cell.edges
        )
        concat = ", ".join(str(n) for n in cell.concat)
        parts.append(f"{key}=[{items}], {key}_concat=[{concat}]")
    return f"Genotype({', '.join(parts)})"
