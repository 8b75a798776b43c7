"""A vectorised exact-reward environment: N NAS-Bench-201 episodes per step, one table lookup.

An SB3 :class:`~stable_baselines3.common.vec_env.VecEnv` whose episodes are held as cell codes, so a
step of all N environments costs a few numpy operations on the tables of :mod:`nat_env.nb201.lookup`;
its observations, rewards and legal choices are those of :class:`~nat_env.envs.nb201.NB201Env` for the
same cells and actions (the tests compare them). Learners get one from an env with
:meth:`NB201Env.vector_env <nat_env.envs.nb201.NB201Env.vector_env>`.
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

from nat_env.nb201.cells import N_EDGES, PLACES, ops_of
from nat_env.nb201.evaluator import TableEvaluator, input_codes, load_table
from nat_env.nb201.lookup import CellTables, cell_tables
from nat_env.transitions import IllegalPolicy


class NB201VecEnv(VecEnv):
    """N copies of ``NAT-NB201-*`` stepped together, consecutive groups of ``n_samples`` sharing an input.

    Every step ends every episode (one-step MDP) and starts the next one, as SB3's VecEnvs auto-reset:
    the returned observation is the new β, the info holds ``terminal_observation`` (α) and the
    accuracies of β and α when ``full_info`` is set. With ``n_samples > 1``, each new β is drawn once for
    ``n_samples`` consecutive envs, as REINFORCE's several samples per input need.

    Args:
        n_envs: number of environments (a multiple of ``n_samples``).
        dataset: ``cifar10``, ``cifar100`` or ``imagenet16``.
        table_path: the compact CSV; ``None`` reads ``NAT_NB201_TABLE``.
        epochs: reward fidelity, 200 or 12.
        inputs: ``all`` or ``connected`` input cells.
        seed: seed of the input-cell draws.
        full_info: whether infos carry the terminal observation and accuracies (SB3 needs neither for
            a one-step MDP; leaving them out makes a step several times cheaper).
        n_samples: consecutive envs that share each drawn input.
        transitions: ``nat`` or ``nat++``.
        on_illegal: what a choice the mask forbids does: ``keep`` the edge's op, or ``raise``.
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
        n_samples: int = 1,
        transitions: str = "nat",
        on_illegal: IllegalPolicy = "keep",
    ) -> None:
        evaluator = TableEvaluator(
            load_table(None if table_path is None else str(table_path)), dataset, epochs
        )
        self._setup(evaluator, input_codes(evaluator, inputs), cell_tables(transitions), on_illegal)
        self._start(n_envs, n_samples, seed, full_info)

    @classmethod
    def of(
        cls,
        evaluator: TableEvaluator,
        codes: npt.NDArray[np.int64],
        tables: CellTables,
        on_illegal: IllegalPolicy,
        n_envs: int,
        n_samples: int = 1,
        seed: int | None = None,
        full_info: bool = False,
    ) -> NB201VecEnv:
        """``n_envs`` copies of an exact env's episodes: its evaluator, input codes, tables and illegal-choice
        policy (what :meth:`NB201Env.vector_env <nat_env.envs.nb201.NB201Env.vector_env>` passes)."""
        vec = cls.__new__(cls)
        vec._setup(evaluator, codes, tables, on_illegal)
        vec._start(n_envs, n_samples, seed, full_info)
        return vec

    def _setup(
        self,
        evaluator: TableEvaluator,
        codes: npt.NDArray[np.int64],
        tables: CellTables,
        on_illegal: IllegalPolicy,
    ) -> None:
        if codes.size == 0:
            raise ValueError("no input cells to sample from")
        if on_illegal not in ("keep", "raise"):
            raise ValueError(f"on_illegal must be 'keep' or 'raise', got {on_illegal!r}")
        self.evaluator, self.codes, self.tables, self.on_illegal = evaluator, codes, tables, on_illegal
        self._rule = tables.rule
        self._legal = tables.legal

    def _start(self, n_envs: int, n_samples: int, seed: int | None, full_info: bool) -> None:
        if n_envs < 1 or n_samples < 1:
            raise ValueError(f"n_envs and n_samples must be at least 1, got {n_envs} and {n_samples}")
        if n_envs % n_samples:
            raise ValueError(f"n_envs ({n_envs}) must be a multiple of n_samples ({n_samples})")
        self.n_samples = n_samples
        self.full_info = full_info
        self.render_mode = None
        observation_space = self.tables.encoder.observation_space()
        action_space = spaces.MultiDiscrete(np.full(N_EDGES, self.tables.n_choices, np.int64))
        super().__init__(n_envs, observation_space, action_space)
        self._rng = np.random.default_rng(seed)
        self._draw()
        self._actions: npt.NDArray[np.int64] | None = None

    def _draw(self) -> None:
        drawn = self.codes[self._rng.integers(self.codes.size, size=self.num_envs // self.n_samples)]
        self._codes = np.repeat(drawn, self.n_samples)
        self._ops = ops_of(self._codes)

    def reset(self) -> VecEnvObs:
        if self._seeds[0] is not None:
            self._rng = np.random.default_rng(self._seeds[0])
        self._reset_seeds()
        self._draw()
        return self.tables.observations(self._codes)

    def step_async(self, actions: np.ndarray) -> None:
        array = np.asarray(actions)
        if array.size != self.num_envs * N_EDGES:
            raise ValueError(f"actions must have shape ({self.num_envs}, {N_EDGES}), got {array.shape}")
        array = array.reshape(self.num_envs, N_EDGES)
        if array.dtype.kind not in "iu" and not np.array_equal(array, np.round(array)):
            raise ValueError("actions must be whole numbers")
        array = array.astype(np.int64)
        if array.min() < 0 or array.max() >= self.tables.n_choices:
            raise ValueError(f"action values must lie in 0..{self.tables.n_choices - 1}")
        self._actions = array

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("call step_async() before step_wait()")
        beta, alpha = self._codes, self._rewrite(self._actions)
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
        self._draw()
        self._actions = None
        return self.tables.observations(self._codes), rewards, dones, infos

    def _rewrite(self, actions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Codes of α: every edge's choice applied by the transitions' rule (a forbidden one keeps the op)."""
        result = self._rule[self._ops, actions]
        illegal = result < 0
        if illegal.any() and self.on_illegal == "raise":
            env, edge = np.argwhere(illegal)[0]
            raise ValueError(f"env {env}: choice {actions[env, edge]} is illegal on edge {edge}")
        codes: npt.NDArray[np.int64] = np.where(illegal, self._ops, result) @ PLACES
        return codes

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """Flat legal-choice masks of the current inputs, shape ``(n_envs, 6 * K)``."""
        masks: npt.NDArray[np.bool_] = self._legal[self._ops].reshape(self.num_envs, -1)
        return masks

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
