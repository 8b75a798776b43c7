"""REINFORCE, NAT's policy learner, as a Stable-Baselines3 on-policy algorithm."""

from __future__ import annotations

from agents.reinforce.policies import GCNPolicy, LSTMPolicy, MlpPolicy, MultiInputPolicy, ReferenceGCNPolicy
from agents.reinforce.reinforce import PAPER_SETTINGS, REINFORCE
from agents.repeat import RepeatInput

__all__ = [
    "PAPER_SETTINGS",
    "REINFORCE",
    "GCNPolicy",
    "LSTMPolicy",
    "MlpPolicy",
    "MultiInputPolicy",
    "ReferenceGCNPolicy",
    "RepeatInput",
]
