"""Training protocols for genotypes trained from scratch: the paper's DARTS protocol, NAS-Bench-201's, and
smaller named presets of both.

The data flow runs genotype → a :class:`Protocol` (network size, optimiser, schedule, regularisers, data)
→ :func:`nat_env.scratch.train_from_scratch` → test accuracy. NAT evaluates β and α this way (Guo et al.,
2019, Tables 1-3: the cell in DARTS' 20-cell, 36-channel CIFAR-10 network, trained for 600 epochs). A
NAS-Bench-201 cell is trained in that benchmark's network with its protocol instead (Dong & Yang, 2020),
so its accuracy can be set beside the table's.

Presets (:mod:`nat_env.presets`), one family per genotype space (:func:`preset` picks by the genotype's
space); each space's published protocol is named after it:

* ``darts``: DARTS' protocol, for DARTS cells; ``nb201``: NAS-Bench-201's 200 epochs, for its cells.
* ``short``: a few GPU minutes per run (not measured here): DARTS' protocol in its search-phase network
  (8 cells, 16 channels) for 20 epochs; NAS-Bench-201's own 12-epoch protocol.
* ``tiny``: a CPU pipeline check of a few minutes: 5 cells of 8 channels (NAS-Bench-201: one cell per
  stage), 16 px images, 5,000 training images, 6 epochs. Its accuracies are far below trained numbers
  and say nothing about which cell is better: a pipeline check, not evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

from nat_env.presets import Presets

Space = Literal["darts", "nb201"]


@dataclass(frozen=True)
class Protocol:
    """How a genotype's evaluation network is trained from scratch and tested.

    Raises:
        ValueError: for sizes that are not positive or rates outside their ranges.
    """

    name: str
    """The preset it came from (``darts`` or ``nb201``, ``short``, ``tiny``), recorded with every result."""
    space: Space
    """The genotypes it trains: ``darts`` (DARTS' CIFAR network) or ``nb201`` (NAS-Bench-201's network)."""
    layers: int
    """Cells of the DARTS network (reductions at 1/3 and 2/3), or NAS-Bench-201 cells per stage."""
    channels: int
    """Initial channels (doubled at each reduction)."""
    epochs: int
    """Passes over the training images."""
    batch_size: int
    """Training images per SGD step; an epoch drops the last incomplete batch."""
    learning_rate: float
    """Initial learning rate, annealed by a cosine to ``lr_min`` over the epochs."""
    lr_min: float
    """Learning rate at the end of the cosine (0 in both DARTS and NAS-Bench-201)."""
    cosine_per_step: bool
    """Anneal after every step (NAS-Bench-201) instead of once per epoch (DARTS)."""
    momentum: float
    """SGD momentum."""
    nesterov: bool
    """Nesterov momentum (NAS-Bench-201 uses it, DARTS does not)."""
    weight_decay: float
    """L2 weight decay of SGD, on every parameter."""
    drop_path: float
    """Final drop-path probability, raised linearly from 0 at the first epoch (DARTS'
    ``drop_path_prob * epoch / epochs``); 0 disables it."""
    auxiliary_weight: float
    """Weight of DARTS' auxiliary head's loss; 0 builds no head."""
    cutout: int
    """Side in pixels of the cutout square on each training image; 0 disables it."""
    grad_clip: float
    """Maximal gradient norm (clipped before each step); 0 disables clipping."""
    image_size: int
    """Side of the images in pixels (32: CIFAR-10's own; smaller ones are area-downsampled on the device)."""
    max_train_images: int | None
    """Training images used, a seeded random subset; ``None`` for all 50,000."""
    max_test_images: int | None
    """Test images scored at the end, a seeded random subset; ``None`` for all 10,000."""
    subset_seed: int
    """Seed of the subsets above, fixed across training seeds so every run sees the same images."""
    eval_batch_size: int
    """Test images per forward pass (no gradients; batch norm in eval mode)."""
    purpose: str
    """What the preset is good for, printed with its results."""

    def __post_init__(self) -> None:
        sizes = ("layers", "channels", "epochs", "batch_size", "image_size", "eval_batch_size")
        for name in sizes:
            if getattr(self, name) < 1:
                raise ValueError(f"protocol {self.name}: {name} must be positive, got {getattr(self, name)}")
        for name in ("max_train_images", "max_test_images"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"protocol {self.name}: {name} must be positive or None, got {value}")
        if not 0 <= self.drop_path < 1:
            raise ValueError(f"protocol {self.name}: drop_path must be in [0, 1), got {self.drop_path}")
        for name in ("learning_rate", "lr_min", "momentum", "weight_decay", "auxiliary_weight", "grad_clip"):
            if getattr(self, name) < 0:
                raise ValueError(f"protocol {self.name}: {name} must be >= 0, got {getattr(self, name)}")
        if self.cutout < 0:
            raise ValueError(f"protocol {self.name}: cutout must be >= 0, got {self.cutout}")
        if self.space == "nb201" and (self.auxiliary_weight or self.drop_path):
            raise ValueError("NAS-Bench-201's network has no auxiliary head and no drop-path")

    def learning_rate_at(self, epoch: int, step: int = 0, steps_per_epoch: int = 1) -> float:
        """The cosine-annealed learning rate of a step (SGDR without restarts, Loshchilov & Hutter, 2017).

        Args:
            epoch: the epoch, from 0.
            step: the step within the epoch (ignored unless :attr:`cosine_per_step`).
            steps_per_epoch: steps in an epoch.
        """
        progress = epoch + step / steps_per_epoch if self.cosine_per_step else float(epoch)
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress / self.epochs))
        return self.lr_min + (self.learning_rate - self.lr_min) * cosine

    def drop_path_at(self, epoch: int) -> float:
        """The drop-path probability of an epoch (from 0)."""
        return self.drop_path * epoch / self.epochs

    def with_epochs(self, epochs: int) -> Protocol:
        """The same protocol over another number of epochs (the schedules stretch with it)."""
        return replace(self, epochs=epochs)


DARTS = Protocol(
    name="darts",
    space="darts",
    layers=20,
    channels=36,
    epochs=600,
    batch_size=96,
    learning_rate=0.025,
    lr_min=0.0,
    cosine_per_step=False,
    momentum=0.9,
    nesterov=False,
    weight_decay=3e-4,
    drop_path=0.2,
    auxiliary_weight=0.4,
    cutout=16,
    grad_clip=5.0,
    image_size=32,
    max_train_images=None,
    max_test_images=None,
    subset_seed=0,
    eval_batch_size=500,
    purpose="the paper's CIFAR-10 protocol (DARTS' evaluation: 20 cells, 36 channels, 600 epochs)",
)

NB201 = replace(  # what both protocols share (cosine to 0, momentum 0.9, 32 px, all images) is DARTS'
    DARTS,
    name="nb201",
    space="nb201",
    layers=5,
    channels=16,
    epochs=200,
    batch_size=256,
    learning_rate=0.1,
    cosine_per_step=True,
    nesterov=True,
    weight_decay=5e-4,
    drop_path=0.0,
    auxiliary_weight=0.0,
    cutout=0,
    grad_clip=0.0,
    purpose="NAS-Bench-201's CIFAR-10 protocol (3 stages of 5 cells, 16 channels, 200 epochs)",
)

_TINY: dict[str, Any] = {
    "name": "tiny",
    "channels": 8,
    "epochs": 6,
    "batch_size": 64,
    "image_size": 16,
    "max_train_images": 5000,
    "purpose": "a CPU pipeline check of a few minutes (5,000 images of 16 px, 6 epochs): a pipeline check, "
    "not evidence",
}
"""What the ``tiny`` protocol of either space changes (each also shrinks its own depth)."""

PRESETS: dict[Space, Presets[Protocol]] = {
    "darts": Presets(
        "from-scratch protocols of DARTS genotypes",
        {
            "darts": DARTS,
            "short": replace(
                DARTS,
                name="short",
                layers=8,
                channels=16,
                epochs=20,
                purpose="a few GPU minutes (unmeasured): DARTS' protocol in its 8-cell, 16-channel search "
                "network for 20 epochs",
            ),
            "tiny": replace(DARTS, **_TINY, layers=5, learning_rate=0.05, drop_path=0.1, cutout=8),
        },
    ),
    "nb201": Presets(
        "from-scratch protocols of NAS-Bench-201 genotypes",
        {
            "nb201": NB201,
            "short": replace(
                NB201,
                name="short",
                epochs=12,
                purpose="NAS-Bench-201's 12-epoch protocol (its cheap 'hp=12' fidelity), a few GPU minutes "
                "(unmeasured)",
            ),
            "tiny": replace(NB201, **_TINY, layers=1),
        },
    ),
}
"""Each space's protocols by name."""


def preset(name: str | None = None, space: Space = "darts") -> Protocol:
    """A named protocol for genotypes of a space.

    Args:
        name: ``darts`` (DARTS genotypes) or ``nb201`` (NAS-Bench-201 genotypes), ``short`` or ``tiny``;
            ``None``: the space's published protocol (the one named after the space).
        space: the genotype's space (``Genotype.space``).

    Raises:
        UnknownPreset: for a name the space has no protocol of; the message lists those it has.
    """
    return PRESETS[space][space if name is None else name]
