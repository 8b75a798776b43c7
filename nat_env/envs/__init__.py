"""Environments: the one-step transformation MDP and the registered ids."""

from __future__ import annotations

from nat_env.envs.transform import TransformEnv

__all__ = ["TransformEnv"]
