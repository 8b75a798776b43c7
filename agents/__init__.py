"""Agents for nat-gym: GCN, reference-GCN and LSTM policies, REINFORCE, baselines and inference.

``agents`` uses only the public names of :mod:`nat_env`. MaskablePPO policies need the ``contrib``
extra (sb3-contrib) and are imported lazily: ``from agents import MaskableGCNPolicy``.
"""

from __future__ import annotations

from typing import Any

from agents.inference import TransformResult, transform
from agents.policies import EdgePolicy, GCNPolicy, LSTMPolicy, ReferenceGCNPolicy
from agents.random_agent import RandomAgent
from agents.reinforce import REINFORCE, RepeatInput

_MASKABLE = ("MaskableEdgePolicy", "MaskableGCNPolicy", "MaskableLSTMPolicy", "MaskableReferenceGCNPolicy")

__all__ = [
    "REINFORCE",
    "EdgePolicy",
    "GCNPolicy",
    "LSTMPolicy",
    "MaskableEdgePolicy",
    "MaskableGCNPolicy",
    "MaskableLSTMPolicy",
    "MaskableReferenceGCNPolicy",
    "RandomAgent",
    "ReferenceGCNPolicy",
    "RepeatInput",
    "TransformResult",
    "transform",
]


def __getattr__(name: str) -> Any:
    if name in _MASKABLE:
        from agents.policies import maskable

        return getattr(maskable, name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
