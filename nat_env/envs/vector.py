"""A vectorised CIFAR-10 environment for Stable-Baselines3 whose N episodes share supernet passes.

Data flow: N actions → N transformed genotypes (pure functions of β and the action) → one evaluator
call with all 2N genotypes (same images, shared stem, duplicates evaluated once) → each environment's
ordinary ``step``, which finds its two evaluations already computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from stable_baselines3.common.vec_env import DummyVecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from nat_env.envs.cifar10 import Cifar10Env
from nat_env.genotypes import Genotype


class SupernetVecEnv(DummyVecEnv):
    """SB3 ``DummyVecEnv`` over :class:`Cifar10Env` instances that share one supernet.

    ``step_wait`` evaluates all N β and N α in one call of the first environment's evaluator (one
    window of reward images for the whole step), then lets each environment step with those results;
    auto-reset and ``terminal_observation`` follow SB3's ``DummyVecEnv``. :meth:`action_masks` stacks
    the environments' masks for sb3-contrib's MaskablePPO.

    Args:
        env_fns: callables that each return a :class:`Cifar10Env` (e.g. ``lambda: make_cifar10_env(...)``;
            equal configurations share one supernet).

    Raises:
        TypeError: if an environment is not a :class:`Cifar10Env` or they do not share one supernet.
    """

    def __init__(self, env_fns: Sequence[Callable[[], gym.Env]]) -> None:
        super().__init__(list(env_fns))
        self.cifar_envs: list[Cifar10Env] = []
        for env in self.envs:
            if not isinstance(env.unwrapped, Cifar10Env):
                raise TypeError(
                    f"SupernetVecEnv needs Cifar10Env instances, got {type(env.unwrapped).__name__}"
                )
            self.cifar_envs.append(env.unwrapped)
        supernets = {id(env.supernet_evaluator.supernet) for env in self.cifar_envs}
        if len(supernets) != 1:
            raise TypeError(
                "the environments of a SupernetVecEnv must share one supernet (equal configurations)"
            )
        self.grouped_calls = 0

    def step_wait(self) -> VecEnvStepReturn:
        """Evaluate every β and α in one grouped pass, then step each environment."""
        pairs: list[tuple[Genotype, Genotype]] = []
        for env, action in zip(self.cifar_envs, self.actions, strict=True):
            alpha = env.transitions.apply(env.beta, np.asarray(action, np.int64), env.on_illegal)
            pairs.append((env.beta, alpha))
        flat = [genotype for pair in pairs for genotype in pair]
        evaluations = self.cifar_envs[0].supernet_evaluator.evaluate(flat)
        self.grouped_calls += 1
        for index, (env, pair) in enumerate(zip(self.cifar_envs, pairs, strict=True)):
            env.supernet_evaluator.provide(pair, evaluations[2 * index : 2 * index + 2])
        return super().step_wait()

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """The flat legal-choice masks of all environments, ``(N, E * K)``."""
        return np.stack([env.action_masks() for env in self.cifar_envs])
