"""Batched collection and the Stable-Baselines3 adapters: how a learner's env becomes SB3's VecEnv.

NAT's MDP has one-step episodes, so an update's ``m`` inputs × ``n`` samples are independent and can be
collected side by side: one policy forward for the whole batch instead of one per episode (the forward
costs nearly the same for 1 graph as for 64; ``benchmarks/learner_speed.py`` records both). An env
offers this with a ``vector_env(num_envs, n_samples, seed)`` method that returns a Gymnasium
:class:`~gymnasium.vector.VectorEnv` with same-step autoreset, as the exact NAS-Bench-201 envs do
(``gym.make_vec`` returns the same class); others (the supernet envs, whose reward dominates a step) are
collected one episode at a time.

This module is the one place that decides batching (:func:`learner_env` for a new learner,
:func:`vectorize` for a loaded one) and the one home of the SB3 adapters (:class:`VectorEnvAdapter`,
:class:`SupernetVecEnv`), so :mod:`nat_env` itself never imports Stable-Baselines3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeGuard

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.type_aliases import GymEnv
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvObs, VecEnvStepReturn

from agents.repeat import RepeatInput
from nat_env import Genotype
from nat_env.envs.supernet import SupernetEnv


def can_batch(env: Any) -> TypeGuard[gym.Env[Any, Any]]:
    """Whether ``env`` is a plain env with a batched form (a ``vector_env`` method)."""
    return isinstance(env, gym.Env) and callable(getattr(env.unwrapped, "vector_env", None))


def vectorize(env: GymEnv | VectorEnv[Any, Any, Any], n_envs: int, n_samples: int = 1) -> GymEnv:
    """The env a learner with ``n_envs`` envs and ``n_samples`` samples per input collects from.

    * a Gymnasium ``VectorEnv`` (e.g. ``gym.make_vec``): adapted to SB3 (:class:`VectorEnvAdapter`);
    * an SB3 ``VecEnv``: unchanged (grouping inputs is then its business);
    * a plain env with a batched form and ``n_envs > 1``: that form, ``n_envs`` envs in groups of
      ``n_samples``;
    * any other plain env: itself, one env (SB3 accepts another number of envs than a checkpoint was
      saved with), with :class:`~agents.RepeatInput` when ``n_samples > 1``.
    """
    if isinstance(env, VectorEnv):
        return VecMonitor(VectorEnvAdapter(env))
    if isinstance(env, VecEnv):
        return env
    if n_envs > 1 and can_batch(env):
        vector: VectorEnv[Any, Any, Any] = env.unwrapped.vector_env(n_envs, n_samples)  # type: ignore[attr-defined]
        return VecMonitor(VectorEnvAdapter(vector))
    if n_samples > 1 and not isinstance(env, RepeatInput):
        return RepeatInput(env, n_samples)
    return env


def learner_env(env: GymEnv, episodes: int, n_samples: int = 1) -> tuple[GymEnv, int]:
    """The env and ``n_steps`` of a new learner that collects ``episodes`` episodes per update.

    An env with a batched form is collected as ``episodes`` envs of one step each (for one-step
    episodes the same rollout as ``episodes`` steps of one env, with one policy forward per update);
    any other env as ``episodes`` steps of its own envs.
    """
    if can_batch(env) and episodes > 1:
        return vectorize(env, episodes, n_samples), 1
    return vectorize(env, 1, n_samples), episodes


class VectorEnvAdapter(VecEnv):
    """A Gymnasium ``VectorEnv`` with same-step autoreset as an SB3 ``VecEnv``.

    Observations and rewards pass through; Gymnasium's dict of info arrays becomes SB3's list of dicts
    (``final_obs`` becomes ``terminal_observation``); SB3's ``seed(s)`` reseeds the next ``reset``.
    ``env_method("action_masks")`` and :meth:`action_masks` serve sb3-contrib's MaskablePPO.

    Args:
        venv: the Gymnasium vector env (``metadata["autoreset_mode"]`` must be ``SAME_STEP``).

    Raises:
        ValueError: for another autoreset mode (SB3 expects the next episode's observation at once).
    """

    def __init__(self, venv: VectorEnv[Any, Any, Any]) -> None:
        if venv.metadata.get("autoreset_mode") != AutoresetMode.SAME_STEP:
            raise ValueError("VectorEnvAdapter needs a vector env with same-step autoreset")
        self.venv = venv
        self.render_mode = None
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: npt.NDArray[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if name == "venv":
            raise AttributeError(name)
        return getattr(self.venv, name)

    def reset(self) -> VecEnvObs:
        observations, _ = self.venv.reset(seed=self._seeds[0])
        self._reset_seeds()
        reset: VecEnvObs = observations
        return reset

    def step_async(self, actions: npt.NDArray[Any]) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("call step_async() before step_wait()")
        observations, rewards, terminated, truncated, infos = self.venv.step(self._actions)
        self._actions = None
        dones = np.logical_or(terminated, truncated)
        listed: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for key, values in infos.items():
            if key.startswith("_"):
                continue
            present = infos.get(f"_{key}")
            name = "terminal_observation" if key == "final_obs" else key
            for i in range(self.num_envs):
                if present is None or present[i]:
                    listed[i][name] = values[i]
        for cut in np.flatnonzero(truncated & ~terminated):
            listed[int(cut)]["TimeLimit.truncated"] = True
        return observations, np.asarray(rewards, np.float32), dones, listed

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """The flat legal-choice masks of all envs, ``(n_envs, E * K)``."""
        masks: npt.NDArray[np.bool_] = self.venv.action_masks()  # type: ignore[attr-defined]
        return masks

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self.venv, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        if method_name != "action_masks":
            raise AttributeError(f"{type(self.venv).__name__} supports env_method('action_masks') only")
        masks = self.action_masks()
        return [masks[i] for i in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]


class SupernetVecEnv(DummyVecEnv):
    """SB3 ``DummyVecEnv`` over supernet envs that share one supernet: one grouped pass per step.

    ``step_wait`` rewrites every env's β (:meth:`~nat_env.TransformEnv.rewrite`), evaluates all N β and
    N α in one call of the first env's evaluator (one window of reward images for the whole step), and
    concludes each env's step with its own two evaluations (:meth:`~nat_env.TransformEnv.conclude`):
    nothing is left in an evaluator between calls. Auto-reset and ``terminal_observation`` follow SB3's
    ``DummyVecEnv``. :meth:`action_masks` stacks the envs' masks for sb3-contrib's MaskablePPO.

    Args:
        env_fns: callables that each return a supernet env (``lambda: gym.make("NAT-CIFAR10-v0", ...)``;
            equal configurations share one supernet).

    Raises:
        TypeError: if an env is not a :class:`~nat_env.envs.supernet.SupernetEnv`, or they do not share
            one supernet.
    """

    def __init__(self, env_fns: Sequence[Callable[[], gym.Env[Any, Any]]]) -> None:
        super().__init__(list(env_fns))
        self.transform_envs: list[SupernetEnv] = []
        for env in self.envs:
            base = env.unwrapped
            if not isinstance(base, SupernetEnv):
                raise TypeError(f"SupernetVecEnv needs supernet envs, got {type(base).__name__}")
            self.transform_envs.append(base)
        supernets = {id(env.setup.supernet) for env in self.transform_envs}
        if len(supernets) != 1:
            raise TypeError("the envs of a SupernetVecEnv must share one supernet (equal configurations)")
        self.grouped_calls = 0

    def step_wait(self) -> VecEnvStepReturn:
        """Evaluate every β and α in one grouped pass, then conclude each env's step."""
        pairs: list[tuple[Genotype, Genotype]] = [
            (env.beta, env.rewrite(np.asarray(action, np.int64)))
            for env, action in zip(self.transform_envs, self.actions, strict=True)
        ]
        evaluations = self.transform_envs[0].evaluator.evaluate([g for pair in pairs for g in pair])
        self.grouped_calls += 1
        for i, (env, action) in enumerate(zip(self.transform_envs, self.actions, strict=True)):
            alpha = pairs[i][1]
            obs, reward, terminated, truncated, info = env.conclude(
                action, alpha, evaluations[2 * i], evaluations[2 * i + 1]
            )
            self.buf_rews[i] = reward
            self.buf_dones[i] = terminated or truncated
            info["TimeLimit.truncated"] = truncated and not terminated
            self.buf_infos[i] = info
            if self.buf_dones[i]:
                info["terminal_observation"] = obs
                obs, self.reset_infos[i] = self.envs[i].reset()
            self._save_obs(i, obs)
        return self._obs_from_buf(), np.copy(self.buf_rews), np.copy(self.buf_dones), list(self.buf_infos)

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """The flat legal-choice masks of all envs, ``(N, E * K)``."""
        return np.stack([env.action_masks() for env in self.transform_envs])
