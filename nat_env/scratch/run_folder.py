"""The folder of one from-scratch training run: ``config.json``, ``checkpoint.pt``, ``results.json``.

The data flow runs a run's configuration (its *signature*: genotype, protocol, seed, images, device type)
→ ``config.json`` → the trainer's checkpoints after every epoch → ``results.json`` at the end. Every file
is written atomically (a temporary file in the same folder, then ``os.replace``), so an interrupted run
leaves the previous or the new version of a file, never half of one. A folder holds one run: training
again in it needs ``resume``, and a resume with another signature is refused before anything trains.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

CONFIG = "config.json"
"""The run's signature, the versions that ran it and one entry per session."""
CHECKPOINT = "checkpoint.pt"
"""Model, optimiser, RNG states and history after the last completed epoch."""
RESULTS = "results.json"
"""Test accuracy, cost, configuration and versions, written once training is complete."""
_VERSIONED = ("nat-gym", "torch", "torchvision", "numpy")


class RunFolderError(ValueError):
    """A run folder that does not fit the request: used without resume, nothing to resume, or another
    configuration; the message says which and how to proceed."""


def check_folder(log_dir: Path, resume: bool) -> dict[str, Any] | None:
    """Check that a folder may take this run, before any data is loaded.

    Args:
        log_dir: the run folder.
        resume: whether the run continues the folder's run.

    Returns:
        The folder's ``config.json`` when resuming, else ``None``.

    Raises:
        RunFolderError: a fresh run in a used folder, or a resume without a run.
    """
    config = read_json(log_dir / CONFIG)
    used = config is not None or (log_dir / CHECKPOINT).exists() or (log_dir / RESULTS).exists()
    if not resume:
        if used:
            raise RunFolderError(
                f"{log_dir} already holds a run; pass --resume (resume=True) to continue it or choose "
                "another log dir"
            )
        return None
    if config is None:
        raise RunFolderError(f"nothing to resume: {log_dir / CONFIG} does not exist")
    return config


def check_signature(log_dir: Path, saved: dict[str, Any] | None, signature: dict[str, Any]) -> None:
    """Refuse to resume a run whose signature differs from this one.

    Raises:
        RunFolderError: naming every differing entry with its saved and requested values.
    """
    if saved is None:
        return
    stored = flatten(saved.get("signature", {}))
    wanted = flatten(plain(signature))
    differences = [
        f"{key}: {stored.get(key, '<absent>')!r} -> {wanted.get(key, '<absent>')!r}"
        for key in sorted(set(stored) | set(wanted))
        if stored.get(key, "<absent>") != wanted.get(key, "<absent>")
    ]
    if differences:
        raise RunFolderError(
            f"refusing to resume {log_dir} with a different configuration: " + "; ".join(differences)
        )


def start_session(
    log_dir: Path, saved: dict[str, Any] | None, signature: dict[str, Any], name: str | None, epoch: int
) -> None:
    """Write ``config.json`` with this session appended to the folder's sessions."""
    sessions = list(saved.get("sessions", [])) if saved else []
    sessions.append(
        {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "from_epoch": epoch}
    )
    record = {
        "signature": plain(signature),
        "genotype_name": name,
        "versions": versions(),
        "sessions": sessions,
    }
    write_json(log_dir / CONFIG, record)


def versions() -> dict[str, str]:
    """Python, the platform, the packages that shape a run, and the GPU when there is one."""
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for package in _VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    if torch.cuda.is_available():
        found["gpu"] = torch.cuda.get_device_name(0)
    return found


def plain(data: Any) -> Any:
    """``data`` as JSON gives it back (tuples become lists), so saved and new configurations compare."""
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one dict with dotted keys (``protocol.epochs``), for readable differences."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file of the folder, or ``None`` if there is none.

    Raises:
        RunFolderError: for an unreadable file.
    """
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RunFolderError(f"cannot read {path}: {error}") from None
    return data


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, sort_keys=True)
            file.write("\n")
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path
