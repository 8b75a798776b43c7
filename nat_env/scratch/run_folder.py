"""The folder of one from-scratch training run: ``config.json``, ``checkpoint.pt``, ``results.json``.

The data flow runs a run's configuration (its *signature*: genotype, protocol, seed, images, device type)
→ ``config.json`` → the trainer's checkpoints after every epoch → ``results.json`` at the end. Every file
is written atomically through :mod:`nat_env.records`, so an interrupted run leaves the previous or the new
version of a file, never half of one. A folder holds one run: training again in it needs ``resume``, and a
resume with another signature is refused before anything trains.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nat_env.records import config_differences, flatten, plain, provenance, read_json, write_json

CONFIG = "config.json"
"""The run's signature, the provenance of its latest session and one entry per session."""
CHECKPOINT = "checkpoint.pt"
"""Model, optimiser, RNG states and history after the last completed epoch."""
RESULTS = "results.json"
"""Test accuracy, cost, configuration and provenance, written once training is complete."""


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
        RecordError: for an unreadable ``config.json``.
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
    differences = config_differences(flatten(saved.get("signature", {})), flatten(signature))
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
        "provenance": provenance(),
        "sessions": sessions,
    }
    write_json(log_dir / CONFIG, record)
