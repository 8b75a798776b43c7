"""Cells as modules: which edges of a genotype's cell get modules, and how a cell computes.

The data flow runs genotype → these cells → the evaluation networks (:mod:`nat_env.nn.network`,
:mod:`nat_env.nn.nb201_network`) → training from scratch or :mod:`nat_env.cost`.

How a cell computes (the same rule as :meth:`nat_env.genotypes.Cell.pruned`, docs/background.md, mistake 8):

* A node sums ``op(source)`` over its incoming edges. Null edges are *skipped*, not multiplied by zero,
  so they cost nothing.
* A dead node (every incoming edge null or from a dead node, see :meth:`Cell.live_nodes`) outputs zero:
  its outgoing edges get no modules and it is left out of the concatenation.
* Edges whose result cannot reach the cell output get no modules either, and an input node that no
  remaining edge reads gets no preprocessing. For published cells this changes nothing (every node is
  concatenated or read); for transformed cells it keeps the cost honest.
* DARTS cells concatenate their live concat nodes only, so a cell outputs
  ``len(cell.output_nodes()) * C`` channels and the next cells' preprocessing sees that many.
* A *disconnected* cell (no live concat node) outputs zeros with the channels of one node (``C``, a
  multiplier of 1) and the cell's spatial size. The network still runs and its cost stays defined; the
  zeros carry no signal, so whatever follows only sees the skip path of later cells (the cell two back).

:class:`CellModule` builds each cell's modules from :func:`cell_layout`; :mod:`nat_env.cost` walks the
same function instead of building the network, so they cannot drift.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from nat_env.genotypes import Cell, Edge
from nat_env.nn.operations import FactorizedReduce, ReLUConvBN, make_op


def computing_edges(cell: Cell) -> tuple[Edge, ...]:
    """The edges that get modules: non-null, from a live node, and on a path to the cell output.

    Args:
        cell: a DARTS or NAS-Bench-201 cell.

    Returns:
        The edges in the cell's order (grouped by increasing target); empty for a disconnected cell.
    """
    live = cell.live_nodes()
    edges = [edge for edge in cell.edges if edge.op != "none" and edge.source in live]
    useful = set(cell.output_nodes())
    # Walking targets downwards settles every node before any of its sources is looked at.
    for edge in reversed(edges):
        if edge.target in useful:
            useful.add(edge.source)
    return tuple(edge for edge in edges if edge.target in useful)


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero whole samples of an edge's output with probability ``drop_prob`` (DARTS' regulariser).

    Kept samples are scaled by ``1 / (1 - drop_prob)`` so the expectation is unchanged.

    Shapes:
        ``x``: ``(N, C, H, W)``; the output has the same shape.
    """
    keep = 1.0 - drop_prob
    mask = torch.empty(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)
    return x / keep * mask


def preprocessing(c_in: int, channels: int, factorized: bool) -> nn.Module:
    """DARTS' input preprocessing: match the channels, and the size of an input from before a reduction.

    Args:
        c_in: channels of the input.
        channels: channels ``C`` of the cell.
        factorized: whether the input has twice the cell's size (the cell two back, before a reduction).
    """
    return FactorizedReduce(c_in, channels) if factorized else ReLUConvBN(c_in, channels, 1, 1)


def cell_multiplier(cell: Cell) -> int:
    """Output channels of a cell over its ``C``: live concat nodes, or 1 (NAS-Bench-201, disconnected)."""
    outputs = cell.output_nodes()
    return len(outputs) if cell.style == "darts" and outputs else 1


class CellSpec(NamedTuple):
    """The arguments of one :class:`CellModule` of a network (see :func:`cell_specs`)."""

    cell: Cell
    in_channels: tuple[int, ...]
    channels: int
    reduction: bool = False
    reduction_prev: bool = False


class CellLayout(NamedTuple):
    """The modules a :class:`CellModule` gets, as the arguments of their factories.

    Attributes:
        edges: the computing edges (:func:`computing_edges`).
        outputs: the live concat nodes.
        multiplier: :func:`cell_multiplier`.
        preprocess: per input node, the arguments of :func:`preprocessing`, or ``None`` for an identity
            (NAS-Bench-201 cells, and DARTS inputs that no computing edge reads).
        ops: per computing edge, the arguments ``(name, channels, stride)`` of
            :func:`~nat_env.nn.operations.make_op`.
    """

    edges: tuple[Edge, ...]
    outputs: tuple[int, ...]
    multiplier: int
    preprocess: tuple[tuple[int, int, bool] | None, ...]
    ops: tuple[tuple[str, int, int], ...]


def cell_layout(spec: CellSpec) -> CellLayout:
    """What :class:`CellModule` builds for a cell; the cost model walks the same layout.

    Args:
        spec: the cell and its channels and reductions.

    Raises:
        ValueError: on a number of inputs other than the cell's, or a NAS-Bench-201 cell whose input
            channels differ from ``C``.
    """
    cell, in_channels, channels, reduction, reduction_prev = spec
    if len(in_channels) != cell.n_inputs:
        raise ValueError(f"a {cell.style} cell has {cell.n_inputs} input(s), got {len(in_channels)}")
    if cell.style == "nb201" and in_channels != (channels,):
        raise ValueError(f"a NAS-Bench-201 cell keeps its channels: got {in_channels[0]} in, {channels} out")
    edges = computing_edges(cell)
    read = {edge.source for edge in edges}
    preprocess = tuple(
        (c_in, channels, node == 0 and reduction_prev) if cell.style == "darts" and node in read else None
        for node, c_in in enumerate(in_channels)
    )
    ops = tuple((edge.op, channels, 2 if reduction and edge.source < cell.n_inputs else 1) for edge in edges)
    return CellLayout(edges, cell.output_nodes(), cell_multiplier(cell), preprocess, ops)


class CellModule(nn.Module):
    """One cell of a network: preprocessing of its inputs, the ops of its edges, the output.

    Args:
        cell: the genotype's cell (DARTS or NAS-Bench-201 style).
        in_channels: channels of each input (two for DARTS cells: the cells two and one back).
        channels: channels ``C`` of every node.
        reduction: whether edges leaving input nodes have stride 2.
        reduction_prev: whether the previous cell reduced, so the input two back has twice the size
            and is preprocessed by :class:`FactorizedReduce` (DARTS cells only).

    Attributes:
        multiplier: output channels / ``C`` (the number of live concat nodes, or 1 if disconnected).
        out_channels: ``multiplier * C``.

    Shapes:
        inputs ``(N, in_channels[i], H, W)`` (``2H`` for the first input after a reduction) →
        output ``(N, out_channels, H', W')``, ``H' = H / 2`` in reduction cells.
    """

    def __init__(
        self,
        cell: Cell,
        in_channels: tuple[int, ...],
        channels: int,
        reduction: bool = False,
        reduction_prev: bool = False,
    ) -> None:
        super().__init__()
        layout = cell_layout(CellSpec(cell, in_channels, channels, reduction, reduction_prev))
        self.channels = channels
        self.reduction = reduction
        self.edges = layout.edges
        self.outputs = layout.outputs
        self.multiplier = layout.multiplier
        self.out_channels = self.multiplier * channels
        self.preprocess = nn.ModuleList(
            nn.Identity() if args is None else preprocessing(*args) for args in layout.preprocess
        )
        self.ops = nn.ModuleList(make_op(*args) for args in layout.ops)

    def forward(self, *inputs: torch.Tensor, drop_prob: float = 0.0) -> torch.Tensor:
        """Compute the cell; ``drop_prob`` applies drop-path to non-identity edges in training."""
        states = {node: pre(x) for node, (pre, x) in enumerate(zip(self.preprocess, inputs, strict=True))}
        for edge, op in zip(self.edges, self.ops, strict=True):
            h = op(states[edge.source])
            if self.training and drop_prob > 0 and not isinstance(op, nn.Identity):
                h = drop_path(h, drop_prob)
            states[edge.target] = states[edge.target] + h if edge.target in states else h
        if not self.outputs:
            last = inputs[-1]
            stride = 2 if self.reduction else 1
            size = (-(-last.size(2) // stride), -(-last.size(3) // stride))
            return last.new_zeros(last.size(0), self.out_channels, *size)
        return torch.cat([states[node] for node in self.outputs], dim=1)
