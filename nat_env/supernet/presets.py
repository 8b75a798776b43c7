"""Named sizes of the supernet environments: the paper's (for a GPU), a small one for a CPU, and a tiny one for tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nat_env.presets import Presets
from nat_env.supernet.calibration import CalibrationConfig


@dataclass(frozen=True)
class Preset:
    """Sizes of data, supernet and budgets.

    Attributes:
        layers: DARTS cells (the paper's supernet: 8).
        channels: DARTS initial channels (20).
        n_nodes: intermediate nodes per DARTS cell.
        nb201_layers: NAS-Bench-201 cells per stage (5 in the benchmark's network).
        nb201_channels: NAS-Bench-201 stem channels (16).
        image_size: image side; smaller than 32 downsamples once on the device.
        batch_size: supernet training batch (64).
        max_train_images: training images used before the 40/60 split (``None``: all 50,000).
        max_test_images: test images kept for reporting (``None``: all 10,000).
        warmup_steps: pre-training steps of the ``pretrained`` mode (10,000 = 32 epochs of the 20,000
            weight images at batch 64, a third of the paper's 100 epochs).
        reward_images: images per reward evaluation.
        eval_batch_size: images per evaluation chunk (batch-norm statistics are per chunk).
        online_epochs: cosine horizon of the ``online`` mode, in passes over the weights split.
        nb201_sampler: the training distribution of the NAS-Bench-201 supernet when none is given
            (:mod:`nat_env.supernet.samplers`).
        faithful_from: the smallest warm-up (batches) after which this preset's supernet was measured to
            rank NAS-Bench-201 cells positively against the table (``benchmarks/README.md``, "Supernet
            fidelity"); ``None`` where unmeasured. A shorter warm-up logs a warning: its rewards may rank
            cells inversely to their accuracy.
        nb201_calibration: the reward calibration of a frozen NAS-Bench-201 supernet when no
            ``calibration_*`` field is given (:mod:`nat_env.supernet.calibration`; ``benchmarks/README.md``,
            "The calibration against K and the landmark draw"). Fitted once per checkpoint and stored in it.
    """

    layers: int
    channels: int
    n_nodes: int
    nb201_layers: int
    nb201_channels: int
    image_size: int
    batch_size: int
    max_train_images: int | None
    max_test_images: int | None
    warmup_steps: int
    reward_images: int
    eval_batch_size: int
    online_epochs: int
    nb201_sampler: str = "mixture"
    faithful_from: int | None = None
    nb201_calibration: CalibrationConfig = field(default_factory=CalibrationConfig)


PAPER = Preset(
    layers=8,
    channels=20,
    n_nodes=4,
    nb201_layers=5,
    nb201_channels=16,
    image_size=32,
    batch_size=64,
    max_train_images=None,
    max_test_images=None,
    warmup_steps=10_000,
    reward_images=3072,
    eval_batch_size=256,
    online_epochs=100,
    nb201_sampler="unique",
    nb201_calibration=CalibrationConfig(landmarks=32, batches=600, l2=1.0, fit="offset"),
)
"""The paper's supernet (for a GPU), and the base of the smaller presets."""

PRESETS: Presets[Preset] = Presets(
    "supernet sizes",
    {
        "paper": PAPER,
        "cpu-small": replace(
            PAPER,
            layers=5,
            channels=12,
            nb201_layers=1,
            image_size=16,
            max_train_images=20_000,
            max_test_images=2_000,
            warmup_steps=20_000,
            reward_images=2048,
            faithful_from=10_000,
        ),
        "tiny": replace(
            PAPER,
            nb201_calibration=CalibrationConfig(),
            layers=3,
            channels=8,
            nb201_layers=1,
            nb201_channels=8,
            image_size=16,
            batch_size=32,
            max_train_images=500,
            max_test_images=200,
            warmup_steps=30,
            reward_images=64,
            eval_batch_size=64,
            online_epochs=10,
            nb201_sampler="mixture",
        ),
    },
)
"""The named presets: the paper's, a small one for a CPU and a tiny one for tests."""


def get_preset(name: str) -> Preset:
    """A preset by name.

    Raises:
        UnknownPreset: for an unknown name; the message lists the known ones.
    """
    return PRESETS[name]
