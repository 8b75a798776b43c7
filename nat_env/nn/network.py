"""DARTS' evaluation networks: a genotype's cells stacked into the CIFAR or ImageNet network, and the
builder that picks the standard network (DARTS or NAS-Bench-201) of a genotype and dataset.

The data flow runs genotype → :mod:`nat_env.nn.cell` → these networks → training from scratch
(:mod:`nat_env.scratch`) or :mod:`nat_env.cost`. The macro-architectures are DARTS' (Liu et al., 2019,
``cnn/model.py``); the CIFAR network takes DARTS' auxiliary head on request
(:mod:`nat_env.nn.auxiliary`), which is used only in training and never counted as cost.

The constructors take their cells from :func:`cell_specs` and each cell's modules from
:func:`nat_env.nn.cell.cell_layout`; :mod:`nat_env.cost` walks the same two functions instead of building
the network, so they cannot drift.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from torch import nn

from nat_env.genotypes import Genotype
from nat_env.nn.auxiliary import AuxiliaryHeadCIFAR
from nat_env.nn.cell import CellModule, CellSpec, cell_multiplier
from nat_env.nn.nb201_network import NetworkNB201

Dataset = Literal["cifar10", "cifar100", "imagenet"]

INPUT_SIZES: dict[str, int] = {"cifar10": 32, "cifar100": 32, "imagenet": 224}
"""Image side in pixels of each dataset's network input."""

NUM_CLASSES: dict[str, int] = {"cifar10": 10, "cifar100": 100, "imagenet": 1000}
"""Number of classes of each dataset."""


class _DartsNetwork(nn.Module):
    """A stem, ``layers`` cells with reductions at 1/3 and 2/3 of the depth, global pooling, a classifier.

    Attributes:
        drop_path_prob: drop-path probability of every edge in training (DARTS raises it linearly over
            training: set it each epoch).
        auxiliary_head: the auxiliary classifier, or ``None`` (subclasses that support one set it).
        auxiliary_index: the cell whose output the auxiliary head reads (the second reduction cell).
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
        self.auxiliary_head: nn.Module | None = None
        self.auxiliary_index = 2 * layers // 3
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
        return self._run(x, auxiliary=False)[0]

    def forward_auxiliary(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Classify a batch, and in training also with the auxiliary head (DARTS' training forward).

        Returns:
            The logits, and the auxiliary head's logits in training mode (``None`` in eval mode or
            without a head).

        Shapes:
            ``x``: ``(N, 3, H, W)`` → two ``(N, num_classes)`` logits.
        """
        return self._run(x, auxiliary=self.training)

    def _run(self, x: torch.Tensor, auxiliary: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        s0, s1 = self.stems(x)
        logits_aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, drop_prob=self.drop_path_prob)
            if auxiliary and i == self.auxiliary_index and self.auxiliary_head is not None:
                logits_aux = self.auxiliary_head(s1)
        return self.classifier(self.global_pooling(s1).flatten(1)), logits_aux


class NetworkCIFAR(_DartsNetwork):
    """DARTS' CIFAR network: a 3×3 convolution stem to ``3C`` channels, then the cells.

    Args:
        genotype: a DARTS genotype.
        channels: initial channels ``C`` (doubled at each reduction).
        layers: number of cells; reduction cells sit at ``layers // 3`` and ``2 * layers // 3``.
        num_classes: classifier outputs.
        drop_path_prob: initial drop-path probability.
        auxiliary: add DARTS' auxiliary head after the second reduction cell (training only; not part
            of the cost: :func:`main_parameters` leaves it out).

    Raises:
        ValueError: for an auxiliary head without cells.
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
        auxiliary: bool = False,
    ) -> None:
        super().__init__(genotype, channels, layers, num_classes, drop_path_prob)
        self.stem = nn.Sequential(
            nn.Conv2d(3, self.stem_multiplier * channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(self.stem_multiplier * channels),
        )
        if auxiliary:
            if not layers:
                raise ValueError("an auxiliary head needs at least one cell")
            cell = self.cells[self.auxiliary_index]
            assert isinstance(cell, CellModule)
            self.auxiliary_head = AuxiliaryHeadCIFAR(cell.out_channels, num_classes)

    def stems(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both inputs of the first cell are the stem's output."""
        s = self.stem(x)
        return s, s


class NetworkImageNet(_DartsNetwork):
    """DARTS' ImageNet network: two stems that reduce 224 px to 28 px, then the cells.

    Args:
        genotype, channels, layers, num_classes, drop_path_prob: as :class:`NetworkCIFAR` (this network
            has no auxiliary head).
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


def main_parameters(network: nn.Module) -> int:
    """Parameters of a network without its auxiliary head: what DARTS and :mod:`nat_env.cost` count."""
    head = getattr(network, "auxiliary_head", None)
    extra = sum(p.numel() for p in head.parameters()) if isinstance(head, nn.Module) else 0
    return sum(p.numel() for p in network.parameters()) - extra


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
    auxiliary: bool = False,
) -> nn.Module:
    """The standard evaluation network of a genotype for a dataset.

    Args:
        genotype: a DARTS or NAS-Bench-201 genotype.
        dataset: ``cifar10`` / ``cifar100`` (DARTS: 20 cells, C=36; NAS-Bench-201: 3×5 cells, C=16) or
            ``imagenet`` (DARTS: 14 cells, C=48, 224 px).
        channels: overrides the initial channels.
        layers: overrides the number of cells (cells per stage for NAS-Bench-201).
        num_classes: overrides the dataset's number of classes.
        auxiliary: add DARTS' auxiliary head (DARTS CIFAR networks only; see :class:`NetworkCIFAR`).

    Raises:
        ValueError: for a NAS-Bench-201 genotype on ImageNet (the benchmark has no such network; its
            ImageNet16-120 is the CIFAR network with ``num_classes=120`` on 16 px images), or an
            auxiliary head on a network other than DARTS' CIFAR one.
    """
    network, c, n = _network(genotype, dataset, channels, layers)
    classes = num_classes if num_classes is not None else NUM_CLASSES[dataset]
    if auxiliary:
        if network is not NetworkCIFAR:
            raise ValueError("only DARTS' CIFAR network has an auxiliary head here")
        return NetworkCIFAR(genotype, c, n, classes, auxiliary=True)
    return network(genotype, c, n, classes)


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
