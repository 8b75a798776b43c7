"""DARTS' auxiliary classifier: a second loss from the middle of the network, used only in training.

The data flow runs the evaluation network's features after its second reduction cell → this head →
logits that training from scratch adds to the loss with a weight (0.4 in DARTS' CIFAR protocol, Liu et
al., 2019, ``cnn/model.py``; it comes from Szegedy et al.'s Inception). The head is never part of the
cost: DARTS counts parameters without it, and so does :mod:`nat_env.cost`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class AuxiliaryHeadCIFAR(nn.Module):
    """ReLU → 5×5 average pooling with stride 3 → 1×1 convolution to 128 → BN → ReLU → 2×2 convolution
    to 768 → BN → ReLU → linear classifier.

    DARTS' head expects the 8×8 map of 32 px images (pooled to 2×2). At any other size the map is pooled
    adaptively to 2×2 instead, so small-image presets keep the head with the same parameters.

    Args:
        c_in: channels of the features it reads.
        num_classes: classifier outputs.

    Shapes:
        ``(N, c_in, H, W)`` with ``H, W >= 2`` → logits ``(N, num_classes)``.
    """

    def __init__(self, c_in: int, num_classes: int) -> None:
        super().__init__()
        # DARTS' first ReLU is in place and so also rectified the features the next cells read; every
        # cell preprocessing starts with a ReLU, so an out-of-place one gives the same values.
        self.relu = nn.ReLU(inplace=False)
        self.features = nn.Sequential(
            nn.Conv2d(c_in, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Classify from intermediate features."""
        x = self.relu(x)
        if x.shape[-2:] == (8, 8):
            x = F.avg_pool2d(x, 5, stride=3, count_include_pad=False)
        else:
            x = F.adaptive_avg_pool2d(x, 2)
        return self.classifier(self.features(x).flatten(1))  # type: ignore[no-any-return]
