"""Grouped passes: many genotypes through one supernet, each (edge slot, op) run once for all of them.

Data flow: ``A`` genotypes + a stacked batch of ``A * R`` rows (architecture ``a`` owns rows
``a * R .. a * R + R - 1``) → :class:`GroupPlan` (host-side row indices) → :func:`grouped_forward` →
logits of every row, each row computed by its own architecture. The evaluator scores α and β of many
episodes this way and the trainer trains several genotypes per SGD step.

At batch 64 a single-path pass is bound by kernel launches (``benchmarks/README.md``, "Speed of the
supernet"). Here the launches scale with the (slot, op) pairs in use, not with ``A`` times the
edges: for every edge slot and op, the rows of all architectures whose cell has that edge (from a live
source) are gathered with ``index_select``, the op runs once, and the result is scattered into the
target node's accumulator with ``index_add_``. The semantics are the single path's (:mod:`.model`):

* null edges and edges leaving dead nodes are skipped; a dead node's rows stay zero;
* a DARTS cell concatenates ``n_nodes`` blocks; block ``k`` holds node ``k`` for the architectures
  where it is a live concat node and zeros for the others;
* every batch norm normalises each architecture's ``R`` rows with their own statistics
  (:mod:`.batchnorm`), so the logits of architecture ``a`` equal a single-path pass on its rows alone.

Row indices are built on the host from the genotypes and moved to the device once per pass
(``non_blocking``), so the pass itself never waits for the host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nat_env.genotypes import NB201_NODES, Cell, Genotype
from nat_env.supernet.batchnorm import rows_per_architecture
from nat_env.supernet.model import DartsSupernetCell, NB201SupernetCell, Supernet, _EdgeSlots


@dataclass(frozen=True)
class EdgeGroup:
    """One op on one edge slot, run on the rows of every architecture that uses it.

    Attributes:
        source: source node.
        target: target node.
        op: op name.
        rows: row indices (device, int64; an architecture with the edge twice appears twice), or
            ``None`` for all rows in order.
    """

    source: int
    target: int
    op: str
    rows: torch.Tensor | None


@dataclass(frozen=True)
class CellPlan:
    """How one cell type runs for all architectures of a pass.

    Attributes:
        groups: the edge groups, in increasing order of target node.
        outputs: per output node (DARTS: every intermediate node; NAS-Bench-201: the last node):
            ``True`` when the node is a live output of every architecture, ``False`` when of none,
            otherwise a ``(A * R, 1, 1, 1)`` boolean mask of the rows to zero.
    """

    groups: tuple[EdgeGroup, ...]
    outputs: tuple[bool | torch.Tensor, ...]


class _Uploads:
    """Collects host arrays and moves them to the device in one copy per dtype."""

    def __init__(self) -> None:
        self.indices: list[np.ndarray] = []
        self.masks: list[np.ndarray] = []

    def index(self, array: np.ndarray) -> int:
        self.indices.append(array.astype(np.int64))
        return len(self.indices) - 1

    def mask(self, array: np.ndarray) -> int:
        self.masks.append(array.astype(np.bool_))
        return len(self.masks) - 1

    @staticmethod
    def _move(arrays: list[np.ndarray], device: torch.device) -> list[torch.Tensor]:
        if not arrays:
            return []
        flat = torch.from_numpy(np.concatenate(arrays))
        if device.type == "cuda":
            flat = flat.pin_memory()
        flat = flat.to(device, non_blocking=True)
        return list(torch.split(flat, [len(a) for a in arrays]))

    def move(self, device: torch.device) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        return self._move(self.indices, device), self._move(self.masks, device)


@dataclass(frozen=True)
class GroupPlan:
    """Everything a grouped pass needs from its genotypes, on the device.

    Attributes:
        archs: number of architectures ``A``.
        rows: rows per architecture ``R``.
        cells: the plan of each cell type (DARTS: normal, reduction; NAS-Bench-201: its one cell).
    """

    archs: int
    rows: int
    cells: tuple[CellPlan, ...]

    @classmethod
    def build(
        cls, supernet: Supernet, genotypes: Sequence[Genotype], rows: int, device: torch.device
    ) -> GroupPlan:
        """Check the genotypes against ``supernet`` and index their rows.

        Args:
            supernet: the supernet the pass runs through.
            genotypes: the ``A`` architectures, in row order.
            rows: rows per architecture.
            device: where the row indices go.
        """
        if not genotypes:
            raise ValueError("a grouped pass needs at least one genotype")
        if rows < 1:
            raise ValueError(f"rows must be positive, got {rows}")
        for genotype in genotypes:
            supernet.check(genotype)
        config = supernet.config
        if config.space == "darts":
            kinds = [[g.normal for g in genotypes], [g.reduce for g in genotypes]]
            outputs = list(range(2, 2 + config.n_nodes))
        else:
            kinds = [[g.normal for g in genotypes]]
            outputs = [NB201_NODES - 1]
        uploads = _Uploads()
        drafts = [_draft(cells, rows, outputs, uploads) for cells in kinds]  # type: ignore[arg-type]
        indices, masks = uploads.move(device)
        plans = tuple(
            CellPlan(
                tuple(
                    EdgeGroup(s, t, op, None if slot is None else indices[slot]) for s, t, op, slot in groups
                ),
                tuple(out if isinstance(out, bool) else masks[out].view(-1, 1, 1, 1) for out in outs),
            )
            for groups, outs in drafts
        )
        return cls(len(genotypes), rows, plans)


_Draft = tuple[list[tuple[int, int, str, int | None]], list[bool | int]]


def _draft(cells: Sequence[Cell], rows: int, outputs: Sequence[int], uploads: _Uploads) -> _Draft:
    """Host-side plan of one cell type: groups with upload slots for their rows, output masks."""
    archs = len(cells)
    users: dict[tuple[int, int, str], list[int]] = {}
    live_outputs: list[frozenset[int]] = []
    for arch, cell in enumerate(cells):
        live = cell.live_nodes()
        for edge in cell.edges:
            if edge.op != "none" and edge.source in live:
                users.setdefault((edge.source, edge.target, edge.op), []).append(arch)
        live_outputs.append(frozenset(cell.output_nodes()))
    offsets = np.arange(rows)
    groups: list[tuple[int, int, str, int | None]] = []
    for (source, target, op), who in sorted(users.items(), key=lambda item: item[0][1]):
        if who == list(range(archs)):
            groups.append((source, target, op, None))
        else:
            index = (np.asarray(who)[:, None] * rows + offsets).ravel()
            groups.append((source, target, op, uploads.index(index)))
    outs: list[bool | int] = []
    for node in outputs:
        keep = np.array([node in live for live in live_outputs])
        if keep.all() or not keep.any():
            outs.append(bool(keep.all()))
        else:
            outs.append(uploads.mask(np.repeat(~keep, rows)))
    return groups, outs


def _zeros_like_format(y: torch.Tensor, batch: int) -> torch.Tensor:
    fmt = (
        torch.channels_last
        if y.dim() == 4 and not y.is_contiguous() and y.is_contiguous(memory_format=torch.channels_last)
        else torch.contiguous_format
    )
    return torch.empty((batch, *y.shape[1:]), dtype=y.dtype, device=y.device, memory_format=fmt).zero_()


def _run_groups(edges: _EdgeSlots, groups: Sequence[EdgeGroup], states: dict[int, torch.Tensor]) -> None:
    """Compute every node into ``states`` (full ``A * R`` rows; absent if dead in all architectures)."""
    batch = states[0].shape[0]
    owned: set[int] = set()  # accumulators allocated here, safe to add into in place
    for group in groups:
        source = states[group.source]
        x = source if group.rows is None else source.index_select(0, group.rows)
        y = edges.slots[f"{group.source}_{group.target}"][group.op](x)  # type: ignore[index]
        acc = states.get(group.target)
        if acc is None and group.rows is None:
            states[group.target] = y  # may alias a state (identity op): never modified in place
            continue
        if acc is None:
            acc = _zeros_like_format(y, batch)
            owned.add(group.target)
        if y.dtype != acc.dtype:
            y = y.to(acc.dtype)
        if group.rows is None:
            states[group.target] = acc + y
            owned.add(group.target)
        elif group.target in owned:
            states[group.target] = acc.index_add_(0, group.rows, y)
        else:
            states[group.target] = acc.index_add(0, group.rows, y)
            owned.add(group.target)


def _output(state: torch.Tensor | None, plan: bool | torch.Tensor) -> torch.Tensor | None:
    """The node's rows as the cell outputs them; ``None`` means all zeros."""
    if state is None or plan is False:
        return None
    if plan is True:
        return state
    assert isinstance(plan, torch.Tensor)
    return state.masked_fill(plan, 0.0)


def _darts_cell(cell: DartsSupernetCell, s0: torch.Tensor, s1: torch.Tensor, plan: CellPlan) -> torch.Tensor:
    states = {0: cell.preprocess0(s0), 1: cell.preprocess1(s1)}
    _run_groups(cell.edges, plan.groups, states)
    b, _, h, w = s1.shape
    if cell.reduction:
        h, w = (h + 1) // 2, (w + 1) // 2
    blocks: list[torch.Tensor] = []
    zeros: torch.Tensor | None = None
    for node, out_plan in zip(range(2, 2 + cell.n_nodes), plan.outputs, strict=True):
        block = _output(states.get(node), out_plan)
        if block is None:
            if zeros is None:
                zeros = states[1].new_zeros(b, cell.channels, h, w)
            block = zeros
        blocks.append(block)
    return torch.cat(blocks, dim=1)


def _nb201_cell(cell: NB201SupernetCell, x: torch.Tensor, plan: CellPlan) -> torch.Tensor:
    states = {0: x}
    _run_groups(cell.edges, plan.groups, states)
    out = _output(states.get(NB201_NODES - 1), plan.outputs[0])
    return out if out is not None else torch.zeros_like(x)


def grouped_forward_cells(supernet: Supernet, stem: torch.Tensor, plan: GroupPlan) -> torch.Tensor:
    """Logits of every row from the stem's output, each row through its own architecture.

    Shapes:
        ``stem``: ``(A * R, C_stem, S, S)`` → ``(A * R, num_classes)``.
    """
    if stem.shape[0] != plan.archs * plan.rows:
        raise ValueError(f"expected {plan.archs} x {plan.rows} rows, got {stem.shape[0]}")
    with rows_per_architecture(plan.rows):
        if supernet.stages is None:
            normal, reduce = plan.cells
            s0 = s1 = stem
            for index, cell in enumerate(supernet.cells):
                assert isinstance(cell, DartsSupernetCell)
                spec = reduce if index in supernet.reductions else normal
                s0, s1 = s1, _darts_cell(cell, s0, s1, spec)
            out = s1
        else:
            out = stem
            for stage in supernet.stages:
                assert isinstance(stage, nn.ModuleList)
                for block in stage:
                    out = (
                        _nb201_cell(block, out, plan.cells[0])
                        if isinstance(block, NB201SupernetCell)
                        else block(out)
                    )
        out = supernet.pool(supernet.head(out)).flatten(1)
        return supernet.classifier(out)  # type: ignore[no-any-return]


def grouped_forward_stem(supernet: Supernet, x: torch.Tensor, rows: int) -> torch.Tensor:
    """The stem on a stacked batch, with batch-norm statistics per chunk of ``rows`` rows."""
    with rows_per_architecture(rows):
        return supernet.forward_stem(x)


def grouped_forward(supernet: Supernet, x: torch.Tensor, genotypes: Sequence[Genotype]) -> torch.Tensor:
    """Logits of ``A`` genotypes on their own ``R`` rows each, in one grouped pass.

    Equal (up to float rounding) to ``torch.cat([supernet(x_a, g_a) for a])`` with ``x_a`` the ``a``-th
    chunk of ``R`` rows.

    Shapes:
        ``x``: ``(A * R, 3, S, S)``, architecture ``a`` on rows ``a * R`` to ``a * R + R - 1`` →
        ``(A * R, num_classes)``.
    """
    archs = len(genotypes)
    if archs == 0 or x.shape[0] % archs:
        raise ValueError(f"{x.shape[0]} rows do not split among {archs} genotypes")
    rows = x.shape[0] // archs
    plan = GroupPlan.build(supernet, genotypes, rows, x.device)
    return grouped_forward_cells(supernet, grouped_forward_stem(supernet, x, rows), plan)
