"""A vectorised exact-reward environment: N NAS-Bench-201 episodes per step, one table lookup.

An SB3 :class:`~stable_baselines3.common.vec_env.VecEnv` whose episodes are held as op-id arrays, so a
step of all N environments costs a few numpy operations on the array forms of :mod:`nat_env.nb201.cells`;
the observations are read from :mod:`nat_env.nb201.lookup`, exactly as
:class:`~nat_env.encoding.GraphEncoder` encodes genotypes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvObs, VecEnvStepReturn

from nat_env.envs.nb201 import input_codes, load_table
from nat_env.nb201.cells import codes_of, nat_apply, nat_masks, ops_of
from nat_env.nb201.evaluator import TableEvaluator
from nat_env.nb201.lookup import cell_tables


class NB201VecEnv(VecEnv):
    """N independent copies of ``NAT-NB201-*`` (NAT transitions) stepped together.

    Every step ends every episode (one-step MDP) and starts the next one, as SB3's VecEnvs auto-reset:
    the returned observation is the new β, the info holds ``terminal_observation`` (α) when
    ``full_info`` is set, and the accuracies of β and α.

    Args:
        n_envs: number of environments.
        dataset: ``cifar10``, ``cifar100`` or ``imagenet16``.
        table_path: the compact CSV; ``None`` reads ``NAT_NB201_TABLE``.
        epochs: reward fidelity, 200 or 12.
        inputs: ``all`` or ``connected`` input cells.
        seed: seed of the input-cell draws.
        full_info: whether infos carry the terminal observation and accuracies (SB3 needs neither for
            a one-step MDP; leaving them out makes a step several times cheaper).
    """

    def __init__(
        self,
        n_envs: int = 16,
        dataset: str = "cifar10",
        table_path: str | Path | None = None,
        epochs: int = 200,
        inputs: str = "all",
        seed: int | None = None,
        full_info: bool = True,
    ) -> None:
        if n_envs < 1:
            raise ValueError(f"n_envs must be at least 1, got {n_envs}")
        table = load_table(None if table_path is None else str(table_path))
        self.evaluator = TableEvaluator(table, dataset, epochs)
        self.codes = input_codes(self.evaluator, inputs)
        self.tables = cell_tables("nat")
        self.full_info = full_info
        observation_space = self.tables.encoder.observation_space()
        action_space = spaces.MultiDiscrete(np.full(6, 3, np.int64))
        self.render_mode = None
        super().__init__(n_envs, observation_space, action_space)
        self._rng = np.random.default_rng(seed)
        self._codes = self._draw(n_envs)
        self._ops = ops_of(self._codes)
        self._actions: npt.NDArray[np.int64] | None = None

    def _draw(self, n: int) -> npt.NDArray[np.int64]:
        return self.codes[self._rng.integers(self.codes.size, size=n)]

    def reset(self) -> VecEnvObs:
        if self._seeds[0] is not None:
            self._rng = np.random.default_rng(self._seeds[0])
        self._reset_seeds()
        self._codes = self._draw(self.num_envs)
        self._ops = ops_of(self._codes)
        return self.tables.observations(self._codes)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs, 6)

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("call step_async() before step_wait()")
        beta, alpha = self._codes, codes_of(nat_apply(self._ops, self._actions))
        val, test = self.evaluator.val, self.evaluator.test
        rewards = (val[alpha] - val[beta]).astype(np.float32)
        dones = np.ones(self.num_envs, bool)
        if self.full_info:
            terminal = self.tables.observations(alpha)
            infos = [
                {
                    "terminal_observation": {key: value[i] for key, value in terminal.items()},
                    "acc_beta": float(val[beta[i]]),
                    "acc_alpha": float(val[alpha[i]]),
                    "test_accuracy_beta": float(test[beta[i]]),
                    "test_accuracy_alpha": float(test[alpha[i]]),
                }
                for i in range(self.num_envs)
            ]
        else:
            infos = [{} for _ in range(self.num_envs)]
        self._codes = self._draw(self.num_envs)
        self._ops = ops_of(self._codes)
        self._actions = None
        return self.tables.observations(self._codes), rewards, dones, infos

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """Flat legal-choice masks of the current inputs, shape ``(n_envs, 18)``."""
        return nat_masks(self._ops).reshape(self.num_envs, -1)

    def close(self) -> None:
        return None

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self, attr_name) for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        if method_name != "action_masks":
            raise AttributeError(f"NB201VecEnv supports env_method('action_masks') only, not {method_name!r}")
        masks = self.action_masks()
        return [masks[i] for i in self._indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._indices(indices)]

    def _indices(self, indices: VecEnvIndices) -> Sequence[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return list(indices) if isinstance(indices, Iterable) else [int(indices)]
