"""Training genotypes from scratch: the paper's evaluation of β and α (DARTS' protocol), runnable.

The data flow runs a genotype (β or its transformation α) → :mod:`~nat_env.scratch.protocol` (how to
train it) → :mod:`~nat_env.scratch.trainer` over :mod:`~nat_env.scratch.data` (CIFAR-10 on the device),
checkpointed in a :mod:`~nat_env.scratch.run_folder` → test accuracy, parameters and multiply-adds.

Example:
    >>> from nat_env.scratch import train_from_scratch
    >>> result = train_from_scratch("DARTS_V2", "tiny", "runs/scratch-darts")  # doctest: +SKIP
    >>> result.test_accuracy, result.params  # doctest: +SKIP
"""

from __future__ import annotations

from nat_env.scratch.data import ScratchData
from nat_env.scratch.protocol import PRESETS, Protocol, preset
from nat_env.scratch.run_folder import RunFolderError
from nat_env.scratch.trainer import EpochStats, ScratchResult, build_network, train_from_scratch

__all__ = [
    "PRESETS",
    "EpochStats",
    "Protocol",
    "RunFolderError",
    "ScratchData",
    "ScratchResult",
    "build_network",
    "preset",
    "train_from_scratch",
]
