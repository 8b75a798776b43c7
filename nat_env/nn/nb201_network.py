"""NAS-Bench-201's evaluation network: a genotype's cell stacked in three stages with residual reductions.

The data flow runs genotype → :mod:`nat_env.nn.cell` → this network → training from scratch or
:mod:`nat_env.cost`. The macro-architecture is NAS-Bench-201's ``TinyNetwork`` (Dong & Yang, ICLR 2020).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from nat_env.genotypes import Genotype
from nat_env.nn.cell import CellModule, CellSpec
from nat_env.nn.operations import ReLUConvBN


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block: a two-convolution residual block with stride 2, between the stages
    of its network and of the NAS-Bench-201 supernet (:mod:`nat_env.supernet.model`).

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
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``conv_b(conv_a(x)) + shortcut(x)``: the convolutions plus the pooled, projected input."""
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)  # type: ignore[no-any-return]


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
