"""A training run's folder: ``config.json``, ``checkpoints/step_*.zip``, ``model.zip``, logs and results.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``), so an
interrupted run leaves either the previous or the new version of a file, never half of one.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from nat_cli import CommandError

CONFIG = "config.json"
"""The run's configuration (arguments and versions)."""
FINAL_MODEL = "model.zip"
"""The model at the end of training."""
RESULTS = "results.json"
"""What the model learned (validation gains on held-out inputs)."""
PROGRESS = "progress.csv"
"""SB3's training log."""
_CHECKPOINT = re.compile(r"^step_(\d+)\.zip$")
_VERSIONED = ("nat-gym", "torch", "stable-baselines3", "sb3-contrib", "gymnasium", "numpy", "torch-geometric")


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


@contextmanager
def atomic_file(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` that replaces ``path`` when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_save(save: Callable[[IO[bytes]], None], path: str | Path) -> Path:
    """Write a model with ``save(file)`` (e.g. SB3's ``model.save``) atomically to ``path``."""
    with atomic_file(path, "wb") as file:
        save(file)
    return Path(path)


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON atomically."""
    with atomic_file(path) as file:
        json.dump(data, file, indent=2, sort_keys=True)
        file.write("\n")
    return Path(path)


def read_config(log_dir: str | Path) -> dict[str, Any] | None:
    """The ``config.json`` of a run folder, or ``None`` if it has none.

    Raises:
        CommandError: for an unreadable file.
    """
    path = Path(log_dir) / CONFIG
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    return data


def versions() -> dict[str, str]:
    """Versions of Python and the installed packages that shape a run."""
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def config_record(args: dict[str, Any], history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What ``config.json`` holds: the arguments, the command, versions, data paths and the run history."""
    entry = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "total_timesteps": args.get("total_timesteps"),
        "command": sys.argv,
    }
    return {
        "args": args,
        "versions": versions(),
        "data": {
            key: os.environ.get(key) for key in ("NAT_NB201_TABLE", "NAT_DATA_DIR", "NAT_CIFAR10_ARCHIVE")
        },
        "history": [*(history or []), entry],
    }


def config_differences(saved: dict[str, Any], current: dict[str, Any], ignore: tuple[str, ...]) -> list[str]:
    """The arguments that differ between a saved and a current configuration, as ``name: old -> new``."""
    names = sorted((set(saved) | set(current)) - set(ignore))
    return [
        f"{name}: {saved.get(name)!r} -> {current.get(name)!r}"
        for name in names
        if saved.get(name) != current.get(name)
    ]
