"""Batched collection: an env that can step many episodes at once becomes a VecEnv of them.

NAT's MDP has one-step episodes, so an update's ``m`` inputs × ``n`` samples are independent and can be
collected side by side: one policy forward for the whole batch instead of one per episode (the forward
costs nearly the same for 1 graph as for 64; ``benchmarks/learner_speed.py`` records both). An env
offers this with a ``vector_env(n_envs, n_samples, seed)`` method, as the exact NAS-Bench-201 envs
do; others (the supernet envs, whose reward dominates a step) are collected one episode at a time.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import gymnasium as gym
from stable_baselines3.common.vec_env import VecEnv, VecMonitor


def can_batch(env: Any) -> TypeGuard[gym.Env[Any, Any]]:
    """Whether ``env`` is a plain env with a batched form."""
    return isinstance(env, gym.Env) and callable(getattr(env.unwrapped, "vector_env", None))


def batched_env(env: gym.Env[Any, Any], n_envs: int, n_samples: int = 1, seed: int | None = None) -> VecEnv:
    """``n_envs`` copies of ``env`` as one VecEnv, groups of ``n_samples`` consecutive envs sharing each
    input, with SB3's episode statistics (``VecMonitor``).

    Raises:
        TypeError: if ``env`` has no batched form (see :func:`can_batch`).
    """
    if not can_batch(env):
        raise TypeError(f"{env} has no batched form (no vector_env method)")
    vec: VecEnv = env.unwrapped.vector_env(n_envs, n_samples, seed)  # type: ignore[attr-defined]
    return VecMonitor(vec)
