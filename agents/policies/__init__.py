"""Policies that read the graph observation and score every edge (GCN, the authors' GCN, LSTM)."""

from __future__ import annotations

from agents.policies.base import EdgeNetwork, EdgePolicy, GraphShape
from agents.policies.gcn import GCNNetwork, GCNPolicy, ReferenceGCNNetwork, ReferenceGCNPolicy
from agents.policies.inputs import GraphBatch
from agents.policies.lstm import LSTMNetwork, LSTMPolicy

__all__ = [
    "EdgeNetwork",
    "EdgePolicy",
    "GCNNetwork",
    "GCNPolicy",
    "GraphBatch",
    "GraphShape",
    "LSTMNetwork",
    "LSTMPolicy",
    "ReferenceGCNNetwork",
    "ReferenceGCNPolicy",
]
