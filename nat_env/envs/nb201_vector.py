"""The batched exact-reward environment: N NAS-Bench-201 episodes per step, one table lookup.

A Gymnasium :class:`~gymnasium.vector.VectorEnv` whose episodes are held as cell codes, so a step of all
N environments costs a few numpy operations on the tables of :mod:`nat_env.nb201.lookup`; its
observations, rewards and legal choices are those of :class:`~nat_env.envs.nb201.NB201Env` for the same
cells and actions (the tests compare them). ``gym.make_vec("NAT-NB201-CIFAR10-v0", num_envs=N)`` returns
one (it is each exact id's ``vector_entry_point``), and so does
:meth:`NB201Env.vector_env <nat_env.envs.nb201.NB201Env.vector_env>`; the learners of :mod:`agents`
collect from it through their Stable-Baselines3 adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from nat_env.encoding import Observation
from nat_env.nb201.cells import N_EDGES, codes_of, ops_of
from nat_env.nb201.evaluator import TableEvaluator, input_codes, load_table
from nat_env.nb201.lookup import CellTables, cell_tables
from nat_env.transitions import IllegalPolicy

Infos = dict[str, Any]


class NB201VecEnv(VectorEnv[Observation, npt.NDArray[np.int64], npt.NDArray[Any]]):
    """N copies of ``NAT-NB201-*`` stepped together, consecutive groups of ``n_samples`` sharing an input.

    Every step ends every episode (a one-step MDP) and starts the next one in the same call
    (``metadata["autoreset_mode"]`` is Gymnasium's ``SAME_STEP``): the returned observation is the new β,
    so no call is spent on a reset and every step's rewards are real. With ``full_info`` the infos hold,
    as arrays over the envs, the accuracies of β and α (``acc_*``, ``test_accuracy_*``) and Gymnasium's
    ``final_obs`` (α's observations). With ``n_samples > 1``, each new β is drawn once for ``n_samples``
    consecutive envs, as REINFORCE's several samples per input need. ``reset(seed=s)`` restarts the draws
    of inputs from ``s``.

    Args:
        num_envs: number of environments (a multiple of ``n_samples``).
        dataset: ``cifar10``, ``cifar100`` or ``imagenet16``.
        table_path: the compact CSV; ``None`` reads ``NAT_NB201_TABLE``.
        epochs: reward fidelity, 200 or 12.
        inputs: ``all`` or ``connected`` input cells.
        seed: seed of the input-cell draws until ``reset(seed=...)`` gives another.
        full_info: whether infos carry the accuracies and final observations (learners need neither for
            a one-step MDP; leaving them out makes a step several times cheaper).
        n_samples: consecutive envs that share each drawn input.
        transitions: ``nat`` or ``nat++``.
        on_illegal: what a choice the mask forbids does: ``keep`` the edge's op, or ``raise``.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}  # noqa: RUF012

    def __init__(
        self,
        num_envs: int = 16,
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
        self._start(num_envs, n_samples, seed, full_info)

    @classmethod
    def of(
        cls,
        evaluator: TableEvaluator,
        codes: npt.NDArray[np.int64],
        tables: CellTables,
        on_illegal: IllegalPolicy,
        num_envs: int,
        n_samples: int = 1,
        seed: int | None = None,
        full_info: bool = False,
    ) -> NB201VecEnv:
        """``num_envs`` copies of an exact env's episodes: its evaluator, input codes, tables and
        illegal-choice policy (what :meth:`NB201Env.vector_env <nat_env.envs.nb201.NB201Env.vector_env>`
        passes)."""
        vec = cls.__new__(cls)
        vec._setup(evaluator, codes, tables, on_illegal)
        vec._start(num_envs, n_samples, seed, full_info)
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
        self._legal = tables.legal

    def _start(self, num_envs: int, n_samples: int, seed: int | None, full_info: bool) -> None:
        if num_envs < 1 or n_samples < 1:
            raise ValueError(f"num_envs and n_samples must be at least 1, got {num_envs} and {n_samples}")
        if num_envs % n_samples:
            raise ValueError(f"num_envs ({num_envs}) must be a multiple of n_samples ({n_samples})")
        self.num_envs = num_envs
        self.n_samples = n_samples
        self.full_info = full_info
        self.render_mode = None
        self.single_observation_space = self.tables.encoder.observation_space()
        self.single_action_space = spaces.MultiDiscrete(np.full(N_EDGES, self.tables.n_choices, np.int64))
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._rng = np.random.default_rng(seed)
        self._draw()

    def _draw(self) -> None:
        drawn = self.codes[self._rng.integers(self.codes.size, size=self.num_envs // self.n_samples)]
        self._codes = np.repeat(drawn, self.n_samples)
        self._ops = ops_of(self._codes)

    @property
    def input_codes(self) -> npt.NDArray[np.int64]:
        """The cell codes of the current inputs β, one per env."""
        return self._codes.copy()

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, Infos]:
        """Draw new inputs (restarting the draws from ``seed``, or its first item, when given)."""
        if isinstance(seed, list):
            seed = seed[0] if seed else None
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._draw()
        return self.tables.observations(self._codes), {}

    def step(
        self, actions: npt.NDArray[Any]
    ) -> tuple[Observation, npt.NDArray[np.float32], npt.NDArray[np.bool_], npt.NDArray[np.bool_], Infos]:
        """Rewrite every env's β, reward acc(α) − acc(β), and draw the next inputs (same-step autoreset).

        Raises:
            ValueError: for a wrong shape, values that are not whole numbers or lie outside
                ``0..K-1``, or (with ``on_illegal="raise"``) a choice the mask forbids.
        """
        chosen = self._checked(actions)
        beta, alpha = self._codes, self._rewrite(chosen)
        val = self.evaluator.val
        rewards = (val[alpha] - val[beta]).astype(np.float32)
        infos: Infos = {}
        if self.full_info:
            test = self.evaluator.test
            infos = {
                "acc_beta": val[beta].astype(np.float64),
                "acc_alpha": val[alpha].astype(np.float64),
                "test_accuracy_beta": test[beta].astype(np.float64),
                "test_accuracy_alpha": test[alpha].astype(np.float64),
                "final_obs": self._split(self.tables.observations(alpha)),
                "_final_obs": np.ones(self.num_envs, bool),
            }
        self._draw()
        done = np.ones(self.num_envs, bool)
        return self.tables.observations(self._codes), rewards, done, np.zeros(self.num_envs, bool), infos

    def _checked(self, actions: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        array = np.asarray(actions)
        if array.size != self.num_envs * N_EDGES:
            raise ValueError(f"actions must have shape ({self.num_envs}, {N_EDGES}), got {array.shape}")
        array = array.reshape(self.num_envs, N_EDGES)
        if array.dtype.kind not in "iu" and not np.array_equal(array, np.round(array)):
            raise ValueError("actions must be whole numbers")
        chosen = array.astype(np.int64)
        if chosen.min() < 0 or chosen.max() >= self.tables.n_choices:
            raise ValueError(f"action values must lie in 0..{self.tables.n_choices - 1}")
        return chosen

    def _split(self, observations: Observation) -> npt.NDArray[np.object_]:
        """Batched observations as an object array of one observation per env (Gymnasium's final_obs)."""
        split = np.empty(self.num_envs, object)
        for i in range(self.num_envs):
            split[i] = {key: value[i] for key, value in observations.items()}
        return split

    def _rewrite(self, actions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Codes of α: every edge's choice applied by the transitions' rule (a forbidden one keeps the op)."""
        ops, illegal = self.tables.apply(self._ops, actions)
        if illegal.any() and self.on_illegal == "raise":
            env, edge = np.argwhere(illegal)[0]
            raise ValueError(f"env {env}: choice {actions[env, edge]} is illegal on edge {edge}")
        return codes_of(ops)

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """Flat legal-choice masks of the current inputs, shape ``(num_envs, 6 * K)``."""
        masks: npt.NDArray[np.bool_] = self._legal[self._ops].reshape(self.num_envs, -1)
        return masks


def make_nb201_vector_env(num_envs: int = 16, dataset: str = "cifar10", **kwargs: Any) -> NB201VecEnv:
    """The ``vector_entry_point`` of the exact ids: ``gym.make_vec(id, num_envs=N, **kwargs)``.

    Args:
        num_envs: number of environments.
        dataset: the id's data set.
        **kwargs: :class:`NB201VecEnv`'s other arguments (``table_path``, ``epochs``, ``inputs``,
            ``transitions``, ``on_illegal``, ``n_samples``, ``seed``, ``full_info``).

    Raises:
        TypeError: for ``render_mode`` (the batched env draws nothing) or an unknown argument.
    """
    if kwargs.pop("render_mode", None) is not None:
        raise TypeError("the batched NAS-Bench-201 env has no render modes; use gym.make for pictures")
    return NB201VecEnv(num_envs, dataset, **kwargs)
