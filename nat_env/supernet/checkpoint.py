"""Supernet checkpoints: atomic writes, ``weights_only`` loads, refusal of a foreign configuration or file.

Data flow: a trained supernet's weights and the configuration that produced them → a file in the cache
directory named by the configuration's hash → back into a frozen supernet for a stationary MDP.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from nat_env.records import atomic_save, config_differences, plain


class CheckpointMismatch(ValueError):
    """A checkpoint was written for another configuration; the message names the differing keys."""


class UnreadableCheckpoint(ValueError):
    """A file is no checkpoint written by :func:`save_checkpoint` (damaged, truncated, empty, or foreign).

    Args:
        path: the file.
        reason: what is wrong with it, in a few words.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(
            f"{path} is not a readable nat-gym supernet checkpoint ({reason}); "
            "write one with `nat pretrain --env ENV --preset PRESET --out FILE`"
        )


def config_hash(config: Mapping[str, Any]) -> str:
    """A short, stable digest of a JSON-serialisable configuration."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_checkpoint(
    path: str | os.PathLike[str],
    state_dict: Mapping[str, Any],
    config: Mapping[str, Any],
    notes: Mapping[str, Any] | None = None,
) -> None:
    """Write weights and their configuration atomically (temporary file, then ``os.replace``).

    Args:
        path: destination file.
        state_dict: tensors to store (or nested dicts and lists of tensors and numbers, which
            ``torch.load(weights_only=True)`` reads back: optimiser states, RNG states).
        config: JSON-serialisable configuration that produced the weights (compared on loading).
        notes: how the weights were produced without changing what they are meant to be (processes,
            seconds); stored, never compared.
    """
    payload = {
        "config_json": json.dumps(plain(config), sort_keys=True),
        "notes_json": json.dumps(plain(notes or {}), sort_keys=True),
        "state_dict": dict(state_dict),
    }
    atomic_save(lambda handle: torch.save(payload, handle), path)


def _payload(path: str | os.PathLike[str], map_location: str | torch.device) -> dict[str, Any]:
    """A checkpoint's whole stored dictionary, loaded with ``weights_only=True``, checked for its weights.

    Raises:
        UnreadableCheckpoint: for any file :func:`save_checkpoint` did not write.
        FileNotFoundError: when ``path`` holds no file.
    """
    with open(path, "rb") as file:  # a missing or forbidden file is not a damaged one: its error passes
        # torch's errors are replaced, not chained: its text advises ``weights_only=False``, unsafe here
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # torch's remark on a foreign pickle's protocol
                payload = torch.load(file, map_location=map_location, weights_only=True)
        except EOFError:
            raise UnreadableCheckpoint(path, "it ends early: empty or truncated") from None
        except pickle.UnpicklingError:
            reason = "no torch.save archive of tensors: garbage, compressed, or a pickle of other objects"
            raise UnreadableCheckpoint(path, reason) from None
        except (RuntimeError, ValueError, OSError) as error:  # torch's zip reader on a cut or altered archive
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            reason = f"a damaged or cut-short archive: {first[:120]}"
            raise UnreadableCheckpoint(path, reason) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("state_dict"), dict):
        raise UnreadableCheckpoint(
            path, f"it holds a {type(payload).__name__} without weights and configuration"
        )
    return payload


def _read(
    path: str | os.PathLike[str], map_location: str | torch.device
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The configuration, notes and weights of a checkpoint, loaded with ``weights_only=True``.

    Raises:
        UnreadableCheckpoint: for any file :func:`save_checkpoint` did not write.
        FileNotFoundError: when ``path`` holds no file.
    """
    payload = _payload(path, map_location)
    try:
        config, notes = json.loads(payload["config_json"]), json.loads(payload.get("notes_json", "{}"))
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableCheckpoint(path, f"its configuration does not read: {error}") from error
    if not isinstance(config, dict) or not isinstance(notes, dict):
        raise UnreadableCheckpoint(path, "its configuration is no JSON object")
    return config, notes, payload["state_dict"]


def read_calibrations(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The reward calibrations stored in a checkpoint, by the hash of their configuration (none in files
    written without one).

    Raises:
        UnreadableCheckpoint: for any file :func:`save_checkpoint` did not write, or damaged calibrations.
    """
    return _calibrations(path, _payload(path, "cpu"))


def _calibrations(path: str | os.PathLike[str], payload: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The calibration records of a loaded checkpoint payload (see :func:`read_calibrations`)."""
    text = payload.get("calibrations_json", "{}")
    try:
        found = json.loads(text)
    except (TypeError, ValueError) as error:
        raise UnreadableCheckpoint(path, f"its calibrations do not read: {error}") from error
    if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
        raise UnreadableCheckpoint(path, "its calibrations are no JSON object of records")
    return found


def store_calibration(path: str | os.PathLike[str], key: str, record: Mapping[str, Any]) -> None:
    """Add a calibration record under ``key`` to a checkpoint, rewriting it atomically (weights, configuration
    and other calibrations unchanged).

    Raises:
        UnreadableCheckpoint: for any file :func:`save_checkpoint` did not write.
    """
    payload = _payload(path, "cpu")
    calibrations = _calibrations(path, payload)
    calibrations[key] = plain(dict(record))
    payload["calibrations_json"] = json.dumps(calibrations, sort_keys=True)
    atomic_save(lambda handle: torch.save(payload, handle), path)


def read_config(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The configuration and the notes stored in a checkpoint (notes are empty in older files).

    Raises:
        UnreadableCheckpoint: for any file :func:`save_checkpoint` did not write.
    """
    config, notes, _ = _read(path, "cpu")
    return config, notes


def load_checkpoint(
    path: str | os.PathLike[str],
    config: Mapping[str, Any],
    map_location: str | torch.device = "cpu",
    free: Iterable[str] = (),
) -> dict[str, Any]:
    """Load weights written by :func:`save_checkpoint` for exactly ``config``.

    Loads with ``torch.load(..., weights_only=True)`` (no arbitrary unpickling).

    Args:
        path: the checkpoint.
        config: the configuration the weights must have been written for.
        map_location: where the tensors go.
        free: top-level keys that may differ (a budget, when any budget will do).

    Raises:
        CheckpointMismatch: when the stored configuration differs; the message lists each differing key
            as ``key: stored -> requested``.
        UnreadableCheckpoint: for any file :func:`save_checkpoint` did not write (damaged, truncated,
            empty, compressed, a plain pickle, another object saved with ``torch.save``).
    """
    saved, _, state = _read(path, map_location)
    differences = config_differences(saved, config, free)
    if differences:
        raise CheckpointMismatch(
            f"checkpoint {path} was written for another configuration; differing keys: "
            + "; ".join(differences)
        )
    return state
