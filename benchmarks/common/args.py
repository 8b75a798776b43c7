"""Fields that several studies' configurations share, each declared once: a study's ``Args`` extends the
bases it takes, as it extends :class:`~benchmarks.common.jobs.JobsArgs` for how its jobs run.

:func:`nat_env.flags.parse_dataclass` reads a base's fields and their docstrings as the study's own, so a
shared field has one flag, one default and one help text everywhere; a base's fields come first in
``--help`` and in the configuration a result file records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableArgs:
    """The NAS-Bench-201 table of a study that reads it."""

    table: str | None = None
    """The compact NAS-Bench-201 CSV; default NAT_NB201_TABLE."""


@dataclass
class DataArgs(TableArgs):
    """The data of a study that scores NAS-Bench-201 cells on CIFAR-10: the table and the images."""

    archive: str | None = None
    """CIFAR-10 tarball or class-folder directory; default NAT_CIFAR10_ARCHIVE."""


@dataclass
class DeviceArgs:
    """Where a study's networks run."""

    device: str = "cpu"
    """Torch device: cpu, cuda, cuda:1, or auto (CUDA when available)."""


@dataclass
class TorchArgs(DeviceArgs):
    """Where a study's networks run, and on how many CPU threads (set once for the whole study)."""

    threads: int = 1
    """Torch CPU threads."""


@dataclass
class DerivedArgs:
    """Numbers a study derives from its flags and records with its configuration (not a flag)."""

    extra: dict[str, Any] = field(default_factory=dict, metadata={"cli": False})
    """Set by the script: derived numbers recorded with the configuration."""
