"""The weight-sharing supernet: every op on every edge slot; a genotype runs as a single path through it.

Data flow: a genotype (β or α) and a batch of images → :class:`Supernet` → logits, which the evaluator
turns into a validation accuracy (the reward's two terms) and the trainer into a loss on shared weights.

Design choices (docs/background.md, sections 3 and 5):

* **Edge slots.** A DARTS cell of the supernet has ``2 + n_nodes`` nodes and one slot per (source,
  target) pair with source < target; each slot holds an ``nn.ModuleDict`` with a module for every
  non-null op of the vocabulary (:func:`nat_env.nn.make_op`, DARTS definitions, ``affine=False``). A
  genotype's edge picks the module ``slots[(source, target)][op]``, so any genotype with up to
  ``n_nodes`` intermediate nodes runs, including nodes whose two inputs come from the same source.
* **Single path.** Null edges are skipped (not multiplied by zero); a node sums only its non-null edges
  from live nodes; dead nodes (see :meth:`nat_env.genotypes.Cell.live_nodes`) are never computed
  (docs/background.md, mistake 8).
* **Fixed-width concatenation.** A supernet's channel counts cannot depend on the genotype, so a DARTS
  cell outputs ``n_nodes * C`` channels: node ``k`` occupies channel block ``k`` if it is a live concat
  node and is zeros otherwise. The next cell's 1x1 preprocessing then computes exactly what a standalone
  network that concatenates only the live concat nodes computes with the matching slice of the weight
  (zero channels contribute nothing), so every architecture trains and is scored with its own sub-weights.
* **Batch norm.** Every batch norm of the supernet keeps no running statistics
  (``track_running_stats=False``) and so always normalises with the statistics of the batch it sees, in
  training and at evaluation alike. Running statistics would average over all architectures sampled in
  warm-up and be wrong for any particular one (the weight-sharing BN problem; docs/background.md, mistake 3 asks for
  consistent handling). Batch statistics of a fixed, un-augmented evaluation chunk are per architecture
  and deterministic, so α and β are normalised alike; the evaluation chunk size (256 by default) is part
  of the reward's definition. Edge ops use ``affine=False`` as in DARTS' search supernet. The batch
  norms are :class:`~nat_env.supernet.batchnorm.ChunkedBatchNorm2d`, so that a grouped pass of many
  architectures (:mod:`nat_env.supernet.grouped`) keeps every architecture's statistics its own.
* **NAS-Bench-201.** ``space="nb201"`` builds NAS-Bench-201's macro network (stem, three stages of
  ``layers`` cells with 1x, 2x, 4x channels, a residual stride-2 block between stages); every node of its
  4-node cell sums all its predecessors, so supernet accuracies can be checked against the exact table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from nat_env import ops as _ops
from nat_env.genotypes import NB201_NODES, Cell, Genotype
from nat_env.nn import FactorizedReduce, ReLUConvBN, ResidualReduction, make_op
from nat_env.supernet.batchnorm import use_chunked_batch_norm


@dataclass(frozen=True)
class SupernetConfig:
    """The shape of a supernet (part of every checkpoint's configuration).

    Attributes:
        space: ``darts`` (normal and reduction cells) or ``nb201`` (one cell type).
        vocabulary: the op set on each edge slot: ``nat``, ``nat++`` or ``nb201``.
        layers: DARTS: number of cells (reductions at ``layers // 3`` and ``2 * layers // 3``);
            NAS-Bench-201: cells per stage.
        channels: initial channels (DARTS: 20 in the paper's supernet; NAS-Bench-201: 16).
        n_nodes: intermediate nodes per DARTS cell.
        num_classes: classifier outputs.
        stem_multiplier: DARTS stem width as a multiple of ``channels``.
    """

    space: str = "darts"
    vocabulary: str = "nat"
    layers: int = 8
    channels: int = 20
    n_nodes: int = 4
    num_classes: int = 10
    stem_multiplier: int = 3

    def __post_init__(self) -> None:
        if self.space not in ("darts", "nb201"):
            raise ValueError(f"unknown space {self.space!r}; use 'darts' or 'nb201'")
        if self.vocabulary not in _ops.VOCABULARIES or self.vocabulary == "all":
            raise ValueError(f"unknown vocabulary {self.vocabulary!r}; use 'nat', 'nat++' or 'nb201'")
        if self.space == "nb201" and self.vocabulary != "nb201":
            raise ValueError("the nb201 space uses the nb201 vocabulary")

    @property
    def ops(self) -> tuple[str, ...]:
        """The ops every edge slot holds (the vocabulary without ``none``)."""
        return tuple(op for op in _ops.VOCABULARIES[self.vocabulary] if op != "none")

    def to_dict(self) -> dict[str, Any]:
        """Plain configuration (for checkpoint keys)."""
        return asdict(self)


def _slot(source: int, target: int) -> str:
    return f"{source}_{target}"


def disable_running_stats(module: nn.Module) -> None:
    """Make every batch norm inside ``module`` normalise with batch statistics, always."""
    for child in module.modules():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            child.track_running_stats = False
            child.running_mean = None
            child.running_var = None
            child.num_batches_tracked = None


class _EdgeSlots(nn.Module):
    """One ``ModuleDict`` of ops per (source, target) pair of a cell."""

    def __init__(
        self, pairs: Sequence[tuple[int, int]], ops: Sequence[str], channels: int, stride_of: Any
    ) -> None:
        super().__init__()
        self.ops = frozenset(ops)
        self.slots = nn.ModuleDict(
            {
                _slot(s, t): nn.ModuleDict(
                    {op: make_op(op, channels, stride_of(s), affine=False) for op in ops}
                )
                for s, t in pairs
            }
        )

    def run(self, cell: Cell, states: dict[int, torch.Tensor]) -> None:
        """Compute the nodes of ``cell`` into ``states``; dead nodes stay absent."""
        for edge in cell.edges:
            if edge.op == "none" or edge.source not in states:
                continue
            if edge.op not in self.ops:
                raise ValueError(
                    f"op {edge.op!r} is not in this supernet's vocabulary ({', '.join(sorted(self.ops))})"
                )
            out = self.slots[_slot(edge.source, edge.target)][edge.op](states[edge.source])  # type: ignore[index]
            states[edge.target] = out if edge.target not in states else states[edge.target] + out


class DartsSupernetCell(nn.Module):
    """A DARTS cell with every (source, target) edge slot.

    Shapes:
        ``s0``: ``(B, C_pp, H0, W0)``, ``s1``: ``(B, C_p, H, W)`` → ``(B, n_nodes * C, H', W')`` with
        ``H' = H / 2`` in a reduction cell.
    """

    def __init__(
        self,
        ops: Sequence[str],
        n_nodes: int,
        c_pp: int,
        c_p: int,
        c: int,
        reduction: bool,
        reduction_prev: bool,
    ) -> None:
        super().__init__()
        self.reduction, self.n_nodes, self.channels = reduction, n_nodes, c
        self.preprocess0: nn.Module = (
            FactorizedReduce(c_pp, c, affine=False)
            if reduction_prev
            else ReLUConvBN(c_pp, c, 1, 1, affine=False)
        )
        self.preprocess1 = ReLUConvBN(c_p, c, 1, 1, affine=False)
        pairs = [(s, t) for t in range(2, 2 + n_nodes) for s in range(t)]
        self.edges = _EdgeSlots(pairs, ops, c, lambda s: 2 if reduction and s < 2 else 1)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, cell: Cell) -> torch.Tensor:
        """Run ``cell`` (its live part) on the two inputs; see the class docstring for shapes."""
        if cell.n_nodes - 2 > self.n_nodes:
            raise ValueError(
                f"cell has {cell.n_nodes - 2} intermediate nodes; the supernet holds {self.n_nodes}"
            )
        states = {0: self.preprocess0(s0), 1: self.preprocess1(s1)}
        self.edges.run(cell, states)
        outputs = set(cell.output_nodes())
        b, _, h, w = s1.shape
        if self.reduction:
            h, w = (h + 1) // 2, (w + 1) // 2
        blocks: list[torch.Tensor] = []
        zeros: torch.Tensor | None = None
        for node in range(2, 2 + self.n_nodes):
            if node in outputs:
                blocks.append(states[node])
            else:
                if zeros is None:
                    zeros = states[1].new_zeros(b, self.channels, h, w)
                blocks.append(zeros)
        return torch.cat(blocks, dim=1)


class NB201SupernetCell(nn.Module):
    """A NAS-Bench-201 cell with all 6 edge slots; every node sums its live predecessors.

    Shapes:
        ``(B, C, H, W)`` → ``(B, C, H, W)``.
    """

    def __init__(self, ops: Sequence[str], c: int) -> None:
        super().__init__()
        pairs = [(s, t) for t in range(1, NB201_NODES) for s in range(t)]
        self.edges = _EdgeSlots(pairs, ops, c, lambda s: 1)

    def forward(self, x: torch.Tensor, cell: Cell) -> torch.Tensor:
        """Run ``cell``; a cell whose output node is dead outputs zeros."""
        states = {0: x}
        self.edges.run(cell, states)
        out = states.get(NB201_NODES - 1)
        return out if out is not None else torch.zeros_like(x)


class Supernet(nn.Module):
    """A weight-sharing network over a cell space; ``forward(x, genotype)`` runs one architecture.

    Args:
        config: the supernet's shape.

    Shapes:
        ``x``: ``(B, 3, S, S)`` normalised images → logits ``(B, num_classes)``.
    """

    def __init__(self, config: SupernetConfig) -> None:
        super().__init__()
        self.config = config
        ops, c = config.ops, config.channels
        self.cells = nn.ModuleList()
        self.stages: nn.ModuleList | None = None
        if config.space == "darts":
            c_stem = config.stem_multiplier * c
            self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
            c_pp, c_p, c_cur = c_stem, c_stem, c
            reduction_prev = False
            self.reductions = {config.layers // 3, 2 * config.layers // 3}
            for layer in range(config.layers):
                reduction = layer in self.reductions
                c_cur = c_cur * 2 if reduction else c_cur
                cell = DartsSupernetCell(ops, config.n_nodes, c_pp, c_p, c_cur, reduction, reduction_prev)
                self.cells.append(cell)
                c_pp, c_p, reduction_prev = c_p, config.n_nodes * c_cur, reduction
            c_out = c_p
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
            self.reductions = set()
            self.stages = nn.ModuleList()
            for stage in range(3):
                width = c * 2**stage
                blocks: list[nn.Module] = [ResidualReduction(width // 2, width)] if stage else []
                blocks.extend(NB201SupernetCell(ops, width) for _ in range(config.layers))
                self.stages.append(nn.ModuleList(blocks))
            c_out = c * 4
        self.head = (
            nn.Sequential(nn.BatchNorm2d(c_out), nn.ReLU()) if config.space == "nb201" else nn.Identity()
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_out, config.num_classes)
        disable_running_stats(self)
        use_chunked_batch_norm(self)

    def check(self, genotype: Genotype) -> None:
        """Raise ``ValueError`` unless the supernet can run ``genotype``."""
        if genotype.space != self.config.space:
            raise ValueError(f"a {genotype.space} genotype cannot run in a {self.config.space} supernet")
        allowed = set(self.config.ops) | {"none"}
        outside = sorted({op for op in genotype.ops if op not in allowed})
        if outside:
            raise ValueError(
                f"op(s) {', '.join(outside)} are outside the supernet's {self.config.vocabulary!r} vocabulary"
            )
        for cell in genotype.cells:
            if cell.style == "darts" and cell.n_nodes - 2 > self.config.n_nodes:
                raise ValueError(
                    f"cell has {cell.n_nodes - 2} intermediate nodes; the supernet holds {self.config.n_nodes}"
                )

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The architecture-independent stem (shared by every genotype evaluated on the same images)."""
        return self.stem(x)  # type: ignore[no-any-return]

    def forward_cells(self, stem: torch.Tensor, genotype: Genotype) -> torch.Tensor:
        """Logits of ``genotype`` from the stem's output."""
        if self.stages is None:
            assert genotype.reduce is not None
            s0 = s1 = stem
            for index, cell in enumerate(self.cells):
                spec = genotype.reduce if index in self.reductions else genotype.normal
                s0, s1 = s1, cell(s0, s1, spec)
            out = s1
        else:
            out = stem
            for stage in self.stages:
                for block in stage:  # type: ignore[attr-defined]
                    out = block(out, genotype.normal) if isinstance(block, NB201SupernetCell) else block(out)
        out = self.pool(self.head(out)).flatten(1)
        return self.classifier(out)  # type: ignore[no-any-return]

    def forward(self, x: torch.Tensor, genotype: Genotype) -> torch.Tensor:
        """Logits of ``genotype`` on images ``x``; see the class docstring for shapes."""
        return self.forward_cells(self.forward_stem(x), genotype)
