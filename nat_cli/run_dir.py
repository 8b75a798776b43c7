"""A training run's folder: ``config.json``, ``checkpoints/step_*.zip``, ``model.zip``, logs and results.

Every file is written atomically (:func:`nat_env.records.atomic_file`), so an interrupted run leaves
either the previous or the new version of a file, never half of one.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nat_env.records import provenance, read_json

CONFIG = "config.json"
"""The run's configuration (arguments and versions)."""
FINAL_MODEL = "model.zip"
"""The model at the end of training."""
RESULTS = "results.json"
"""What the model learned (validation gains on held-out inputs)."""
PROGRESS = "progress.csv"
"""SB3's training log."""
_CHECKPOINT = re.compile(r"^step_(\d+)\.zip$")


def checkpoint_dir(log_dir: str | Path) -> Path:
    """Where periodic checkpoints go."""
    return Path(log_dir) / "checkpoints"


def checkpoint_path(log_dir: str | Path, timesteps: int) -> Path:
    """The checkpoint after ``timesteps`` env steps."""
    return checkpoint_dir(log_dir) / f"step_{timesteps:09d}.zip"


def checkpoints(log_dir: str | Path) -> list[tuple[int, Path]]:
    """Every complete checkpoint of a run as ``(timesteps, path)``, oldest first."""
    folder = checkpoint_dir(log_dir)
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = _CHECKPOINT.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found)


def latest_checkpoint(log_dir: str | Path) -> tuple[int, Path] | None:
    """The checkpoint with the most env steps, or ``None``."""
    found = checkpoints(log_dir)
    return found[-1] if found else None


def read_config(log_dir: str | Path) -> dict[str, Any] | None:
    """The ``config.json`` of a run folder, or ``None`` if it has none.

    Raises:
        RecordError: for an unreadable file.
    """
    return read_json(Path(log_dir) / CONFIG)


def config_record(args: dict[str, Any], history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What ``config.json`` holds: the arguments, the command, versions, data paths and the run history."""
    entry = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "total_timesteps": args.get("total_timesteps"),
        "command": sys.argv,
        "cwd": os.getcwd(),
    }
    return {
        "args": args,
        "provenance": provenance(),
        "data": {
            key: os.environ.get(key) for key in ("NAT_NB201_TABLE", "NAT_DATA_DIR", "NAT_CIFAR10_ARCHIVE")
        },
        "history": [*(history or []), entry],
    }
