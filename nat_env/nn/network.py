"""Evaluation networks: a genotype stacked into the standard DARTS or NAS-Bench-201 network.

The data flow runs genotype → these networks → training from scratch or :mod:`nat_env.cost`. The
macro-architectures are the published ones (DARTS ``cnn/model.py`` without the auxiliary head;
NAS-Bench-201's ``TinyNetwork``); only how a cell turns into modules is defined here.

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

The constructors take their cells from :func:`cell_specs` and each cell's modules from :func:`cell_layout`;
:mod:`nat_env.cost` walks the same two functions instead of building the network, so they cannot drift.
"""

from __future__ import annotations

from typing import ClassVar, Literal, NamedTuple

import torch
from torch import nn

from nat_env.genotypes import Cell, Edge, Genotype
from nat_env.nn.operations import FactorizedReduce, ReLUConvBN, make_op

Dataset = Literal["cifar10", "cifar100", "imagenet"]


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


INPUT_SIZES: dict[str, int] = {"cifar10": 32, "cifar100": 32, "imagenet": 224}
"""Image side in pixels of each dataset's network input."""

NUM_CLASSES: dict[str, int] = {"cifar10": 10, "cifar100": 100, "imagenet": 1000}
"""Number of classes of each dataset."""


class _DartsNetwork(nn.Module):
    """A stem, ``layers`` cells with reductions at 1/3 and 2/3 of the depth, global pooling, a classifier.

    Attributes:
        drop_path_prob: drop-path probability of every edge in training (DARTS raises it linearly over
            training: set it each epoch).
    """

    stem_multiplier: ClassVar[int]
    """Stem output channels over ``C``."""
    stem_reduces: ClassVar[bool]
    """Whether the first cell's input two back has twice its size (as after a reduction)."""

    def __init__(
        self, genotype: Genotype, channels: int, layers: int, num_classes: int, drop_path_prob: float
    ) -> None:
        super().__init__()
        specs = self.cell_specs(genotype, channels, layers)
        self.genotype = genotype
        self.drop_path_prob = drop_path_prob
        self.cells = nn.ModuleList(CellModule(*spec) for spec in specs)
        c_prev = (
            cell_multiplier(specs[-1].cell) * specs[-1].channels if specs else self.stem_multiplier * channels
        )
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    @classmethod
    def cell_specs(cls, genotype: Genotype, channels: int, layers: int) -> tuple[CellSpec, ...]:
        """The cells of the network, in forward order.

        Raises:
            ValueError: for a NAS-Bench-201 genotype.
        """
        if genotype.reduce is None:
            raise ValueError("a DARTS network needs a DARTS genotype (normal and reduction cells)")
        c_prev_prev = c_prev = cls.stem_multiplier * channels
        c, reduction_prev = channels, cls.stem_reduces
        specs = []
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            c = 2 * c if reduction else c
            cell = genotype.reduce if reduction else genotype.normal
            specs.append(CellSpec(cell, (c_prev_prev, c_prev), c, reduction, reduction_prev))
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell_multiplier(cell) * c
        return tuple(specs)

    def stems(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two inputs of the first cell."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Classify a batch of images.

        Shapes:
            ``x``: ``(N, 3, H, W)`` → logits ``(N, num_classes)``.
        """
        s0, s1 = self.stems(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, drop_prob=self.drop_path_prob)
        return self.classifier(self.global_pooling(s1).flatten(1))  # type: ignore[no-any-return]


class NetworkCIFAR(_DartsNetwork):
    """DARTS' CIFAR network: a 3×3 convolution stem to ``3C`` channels, then the cells.

    Args:
        genotype: a DARTS genotype.
        channels: initial channels ``C`` (doubled at each reduction).
        layers: number of cells; reduction cells sit at ``layers // 3`` and ``2 * layers // 3``.
        num_classes: classifier outputs.
        drop_path_prob: initial drop-path probability.
    """

    stem_multiplier = 3
    stem_reduces = False

    def __init__(
        self,
        genotype: Genotype,
        channels: int = 36,
        layers: int = 20,
        num_classes: int = 10,
        drop_path_prob: float = 0.0,
    ) -> None:
        super().__init__(genotype, channels, layers, num_classes, drop_path_prob)
        self.stem = nn.Sequential(
            nn.Conv2d(3, self.stem_multiplier * channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(self.stem_multiplier * channels),
        )

    def stems(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both inputs of the first cell are the stem's output."""
        s = self.stem(x)
        return s, s


class NetworkImageNet(_DartsNetwork):
    """DARTS' ImageNet network: two stems that reduce 224 px to 28 px, then the cells.

    Args:
        genotype: a DARTS genotype.
        channels: initial channels ``C`` (doubled at each reduction).
        layers: number of cells; reduction cells sit at ``layers // 3`` and ``2 * layers // 3``.
        num_classes: classifier outputs.
        drop_path_prob: initial drop-path probability.
    """

    stem_multiplier = 1
    stem_reduces = True

    def __init__(
        self,
        genotype: Genotype,
        channels: int = 48,
        layers: int = 14,
        num_classes: int = 1000,
        drop_path_prob: float = 0.0,
    ) -> None:
        super().__init__(genotype, channels, layers, num_classes, drop_path_prob)
        self.stem0 = nn.Sequential(
            nn.Conv2d(3, channels // 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // 2, channels, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )
        # DARTS' in-place ReLU here also rectified s0, which the first cell reads; every preprocessing
        # starts with a ReLU anyway, so an out-of-place one gives the same values without the aliasing.
        self.stem1 = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(channels, channels, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )
        # DARTS pools a fixed 7×7 window; adaptive pooling equals it at 224 px and accepts other sizes.
        self.global_pooling = nn.AdaptiveAvgPool2d(1)

    def stems(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The first cell reads both stems (the first one at twice the size)."""
        s0 = self.stem0(x)
        return s0, self.stem1(s0)


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block: a two-convolution residual block with stride 2.

    Args:
        c_in: input channels.
        c_out: output channels.

    Shapes:
        ``(N, c_in, H, W)`` → ``(N, c_out, H / 2, W / 2)``.
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual sum of the convolutions and the pooled, projected input."""
        return self.downsample(x) + self.conv_b(self.conv_a(x))  # type: ignore[no-any-return]


class NetworkNB201(nn.Module):
    """NAS-Bench-201's network: a stem, three stages of cells, residual reductions between them.

    Args:
        genotype: a NAS-Bench-201 genotype.
        channels: channels of the first stage (16; doubled by each reduction).
        cells_per_stage: cells in each of the three stages (5).
        num_classes: classifier outputs.
    """

    stages: ClassVar[int] = 3

    def __init__(
        self, genotype: Genotype, channels: int = 16, cells_per_stage: int = 5, num_classes: int = 10
    ) -> None:
        super().__init__()
        specs = self.cell_specs(genotype, channels, cells_per_stage)
        self.genotype = genotype
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        blocks: list[nn.Module] = []
        c = channels
        for stage in range(self.stages):
            if stage:
                blocks.append(ResidualReduction(c, 2 * c))
                c *= 2
            stage_specs = specs[stage * cells_per_stage : (stage + 1) * cells_per_stage]
            blocks.extend(CellModule(*spec) for spec in stage_specs)
        self.cells = nn.Sequential(*blocks)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    @classmethod
    def cell_specs(cls, genotype: Genotype, channels: int, cells_per_stage: int) -> tuple[CellSpec, ...]:
        """The cells of the network, in forward order (a residual reduction precedes stages 2 and 3).

        Raises:
            ValueError: for a DARTS genotype.
        """
        if genotype.space != "nb201":
            raise ValueError("NetworkNB201 needs a NAS-Bench-201 genotype")
        return tuple(
            CellSpec(genotype.normal, (c,), c)
            for c in (channels << stage for stage in range(cls.stages))
            for _ in range(cells_per_stage)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Classify a batch of images.

        Shapes:
            ``x``: ``(N, 3, H, W)`` → logits ``(N, num_classes)``.
        """
        features = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.global_pooling(features).flatten(1))  # type: ignore[no-any-return]


def _network(
    genotype: Genotype, dataset: Dataset, channels: int | None, layers: int | None
) -> tuple[type[NetworkCIFAR] | type[NetworkImageNet] | type[NetworkNB201], int, int]:
    """The network class of :func:`build`, with its channels and layers after the defaults."""
    if genotype.space == "nb201":
        if dataset == "imagenet":
            raise ValueError(
                "NAS-Bench-201 has no ImageNet network; for ImageNet16-120 use dataset='cifar10', "
                "num_classes=120 and 16 px images"
            )
        return NetworkNB201, channels or 16, layers or 5
    if dataset == "imagenet":
        return NetworkImageNet, channels or 48, layers or 14
    return NetworkCIFAR, channels or 36, layers or 20


def build(
    genotype: Genotype,
    dataset: Dataset = "cifar10",
    *,
    channels: int | None = None,
    layers: int | None = None,
    num_classes: int | None = None,
) -> nn.Module:
    """The standard evaluation network of a genotype for a dataset.

    Args:
        genotype: a DARTS or NAS-Bench-201 genotype.
        dataset: ``cifar10`` / ``cifar100`` (DARTS: 20 cells, C=36; NAS-Bench-201: 3×5 cells, C=16) or
            ``imagenet`` (DARTS: 14 cells, C=48, 224 px).
        channels: overrides the initial channels.
        layers: overrides the number of cells (cells per stage for NAS-Bench-201).
        num_classes: overrides the dataset's number of classes.

    Raises:
        ValueError: for a NAS-Bench-201 genotype on ImageNet (the benchmark has no such network; its
            ImageNet16-120 is the CIFAR network with ``num_classes=120`` on 16 px images).
    """
    network, c, n = _network(genotype, dataset, channels, layers)
    return network(genotype, c, n, num_classes if num_classes is not None else NUM_CLASSES[dataset])


def cell_specs(
    genotype: Genotype,
    dataset: Dataset = "cifar10",
    *,
    channels: int | None = None,
    layers: int | None = None,
) -> tuple[CellSpec, ...]:
    """The cells that :func:`build` stacks, in forward order, without building them.

    The last cell's output feeds the classifier. Arguments and errors are those of :func:`build`.
    """
    network, c, n = _network(genotype, dataset, channels, layers)
    return network.cell_specs(genotype, c, n)
