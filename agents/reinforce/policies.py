"""Policy aliases for :class:`agents.REINFORCE` (as ``PPO("MlpPolicy", ...)`` resolves names)."""

from __future__ import annotations

from stable_baselines3.common.policies import ActorCriticPolicy, MultiInputActorCriticPolicy

from agents.policies import GCNPolicy, LSTMPolicy, ReferenceGCNPolicy

MlpPolicy = ActorCriticPolicy
MultiInputPolicy = MultiInputActorCriticPolicy

__all__ = ["GCNPolicy", "LSTMPolicy", "MlpPolicy", "MultiInputPolicy", "ReferenceGCNPolicy"]
