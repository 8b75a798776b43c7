"""Supernet checkpoints: atomic writes, ``weights_only`` loads, refusal of a foreign configuration.

Data flow: a trained supernet's weights and the configuration that produced them → a file in the cache
directory named by the configuration's hash → back into a frozen supernet for a stationary MDP.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import torch

from nat_env.records import atomic_save, config_differences, plain


class CheckpointMismatch(ValueError):
    """A checkpoint was written for another configuration; the message names the differing keys."""


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


def read_config(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The configuration and the notes stored in a checkpoint (notes are empty in older files)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    config: dict[str, Any] = json.loads(payload["config_json"])
    return config, json.loads(payload.get("notes_json", "{}"))


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
    """
    payload = torch.load(path, map_location=map_location, weights_only=True)
    differences = config_differences(json.loads(payload["config_json"]), config, free)
    if differences:
        raise CheckpointMismatch(
            f"checkpoint {path} was written for another configuration; differing keys: "
            + "; ".join(differences)
        )
    state: dict[str, Any] = payload["state_dict"]
    return state
