"""Agents for nat-gym: GCN, reference-GCN and LSTM policies, REINFORCE, baselines, inference and scoring.

Learners are built by name in :mod:`agents.zoo` and scored on held-out inputs by :mod:`agents.evaluation`.

``agents`` uses only the public names of :mod:`nat_env`. MaskablePPO policies need the ``contrib``
extra (sb3-contrib) and are imported lazily: ``from agents import MaskableGCNPolicy``.
"""

from __future__ import annotations

from typing import Any

from agents.evaluation import Scores, held_out_inputs, score
from agents.inference import TransformResult, transform
from agents.policies import EdgePolicy, GCNPolicy, LSTMPolicy, ReferenceGCNPolicy
from agents.random_agent import RandomAgent
from agents.reinforce import PAPER_SETTINGS, REINFORCE, RepeatInput
from agents.zoo import LearnerSpec, load_learner, make_learner

_MASKABLE = ("MaskableEdgePolicy", "MaskableGCNPolicy", "MaskableLSTMPolicy", "MaskableReferenceGCNPolicy")

__all__ = [
    "PAPER_SETTINGS",
    "REINFORCE",
    "EdgePolicy",
    "GCNPolicy",
    "LSTMPolicy",
    "LearnerSpec",
    "MaskableEdgePolicy",
    "MaskableGCNPolicy",
    "MaskableLSTMPolicy",
    "MaskableReferenceGCNPolicy",
    "RandomAgent",
    "ReferenceGCNPolicy",
    "RepeatInput",
    "Scores",
    "TransformResult",
    "held_out_inputs",
    "load_learner",
    "make_learner",
    "score",
    "transform",
]


def __getattr__(name: str) -> Any:
    if name in _MASKABLE:
        from agents.policies import maskable

        return getattr(maskable, name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
