"""Agents for nat-gym: GCN, reference-GCN and LSTM policies, REINFORCE, baselines, inference and scoring.

Learners are built by name in :mod:`agents.zoo` and scored on held-out inputs by :mod:`agents.evaluation`.

``agents`` uses only the public names of :mod:`nat_env`. Every name below is imported when first used
(``from agents import REINFORCE`` loads torch; ``import agents.names`` does not), and the MaskablePPO
policies need the ``contrib`` extra (sb3-contrib): ``from agents import MaskableGCNPolicy``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.evaluation import Scores, held_out_inputs, score
    from agents.inference import TransformResult, transform
    from agents.policies import EdgePolicy, GCNPolicy, LSTMPolicy, ReferenceGCNPolicy
    from agents.policies.maskable import (
        MaskableEdgePolicy,
        MaskableGCNPolicy,
        MaskableLSTMPolicy,
        MaskableReferenceGCNPolicy,
    )
    from agents.random_agent import RandomAgent
    from agents.reinforce import PAPER_SETTINGS, REINFORCE, RepeatInput
    from agents.zoo import LearnerSpec, load_learner, make_learner

_HOMES = {
    "agents.evaluation": ("Scores", "held_out_inputs", "score"),
    "agents.inference": ("TransformResult", "transform"),
    "agents.policies": ("EdgePolicy", "GCNPolicy", "LSTMPolicy", "ReferenceGCNPolicy"),
    "agents.policies.maskable": (
        "MaskableEdgePolicy",
        "MaskableGCNPolicy",
        "MaskableLSTMPolicy",
        "MaskableReferenceGCNPolicy",
    ),
    "agents.random_agent": ("RandomAgent",),
    "agents.reinforce": ("PAPER_SETTINGS", "REINFORCE", "RepeatInput"),
    "agents.zoo": ("LearnerSpec", "load_learner", "make_learner"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

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
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
