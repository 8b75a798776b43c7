"""The exact-reward environments: NAT on NAS-Bench-201 cells, rewards from the table.

``gym.make("NAT-NB201-CIFAR10-v0")`` (and ``-CIFAR100-v0``, ``-ImageNet16-v0``) build an
:class:`NB201Env`: the MDP of :class:`~nat_env.envs.transform.TransformEnv` on a
:class:`~nat_env.nb201.TableEvaluator` and a sampler over the table's cells, computed on cell codes
with the per-cell tables of :mod:`nat_env.nb201.lookup`. The table path comes from ``table_path`` or
``NAT_NB201_TABLE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from nat_env.encoding import Observation
from nat_env.envs import checked_arguments
from nat_env.envs.nb201_vector import NB201VecEnv
from nat_env.envs.transform import EPISODE_ENDED, TransformEnv
from nat_env.frames import frame
from nat_env.genotypes import Genotype, resolve
from nat_env.nb201.cells import N_EDGES, code_of, genotype_of_code
from nat_env.nb201.evaluator import TableEvaluator, input_codes, load_table
from nat_env.nb201.lookup import TableEncoder, TableTransitions, cell_tables
from nat_env.transitions import IllegalPolicy


class TableSampler:
    """Draws β uniformly from a set of cells (given by their codes).

    Args:
        codes: the cell codes to draw from.
    """

    def __init__(self, codes: npt.NDArray[np.int64]) -> None:
        if codes.size == 0:
            raise ValueError("no input cells to sample from")
        self.codes = codes

    def code(self, rng: np.random.Generator) -> int:
        """The code of a drawn cell (the draw :meth:`__call__` makes)."""
        return int(self.codes[rng.integers(self.codes.size)])

    def __call__(self, rng: np.random.Generator) -> Genotype:
        return genotype_of_code(self.code(rng))


class NB201Env(gym.Env[Observation, npt.NDArray[np.int64]]):
    """NAT on NAS-Bench-201 cells with exact rewards: :class:`TransformEnv`'s MDP, computed on cell codes.

    ## Description
    The one-step MDP of :class:`TransformEnv` with the table as evaluator: the same spaces, rewards,
    masks, infos and errors, and the same attributes (``evaluator``, ``truth``, ``transitions``,
    ``encoder``, ``beta``, ``alpha``); the tests compare the two step for step. What differs is how it
    runs: an episode is held as the cell codes of β and α, and ``reset`` and ``step`` read the
    observation, legal choices, rewrite, text and accuracies of a cell from the tables of
    :mod:`nat_env.nb201.lookup` and the table evaluator by its code, so a first visit of a cell costs
    what a repeated one does and genotypes are decoded only when asked for (``beta``, ``alpha``).

    It is a class of its own, not a :class:`TransformEnv`, because composing :class:`TransformEnv` of
    the same tables behind its genotype-level parts (``transitions`` and ``encoder`` here, which agents
    use to score policies) doubles the time of a reset + step, measured side by side with
    ``benchmarks/env_speed.py``; this env is the one whose speed the benchmarks set beside CartPole.

    ## Action Space, Observation Space, Rewards, Starting State, Episode End, Info
    As :class:`TransformEnv`. Info also holds ``test_accuracy_beta``/``_alpha`` (reported, never
    rewarded).

    ## Arguments
    See :func:`make_nb201_env`.

    ## Version History
    * v0: initial version.
    """

    metadata = TransformEnv.metadata

    def __init__(
        self,
        evaluator: TableEvaluator,
        sampler: TableSampler,
        transitions: str = "nat",
        on_illegal: IllegalPolicy = "keep",
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None")
        tables = cell_tables(transitions)
        self.evaluator = self.truth = self.table = evaluator
        """The table evaluator: the reward's accuracies are the ground truth."""
        self.sampler = sampler
        self.tables = tables
        self.transitions = TableTransitions(tables)
        """The transitions as :class:`~nat_env.transitions.Transitions` on genotypes (read from the tables)."""
        self.encoder = TableEncoder(tables)
        """The observations as an :class:`~nat_env.encoding.Encoder` of genotypes (read from the tables)."""
        self.on_illegal: IllegalPolicy = on_illegal
        self.render_mode = render_mode
        self.observation_space = self.encoder.observation_space()  # type: ignore[assignment]
        self.action_space = spaces.MultiDiscrete(np.full(N_EDGES, tables.n_choices, np.int64))
        self._code: int | None = None
        self._alpha_code: int | None = None
        self._accuracies: tuple[float, float] | None = None
        self._given: Genotype | None = None  # a genotype passed to reset keeps its name for pictures

    @property
    def beta(self) -> Genotype:
        """The current input genotype."""
        if self._code is None:
            raise RuntimeError("call reset() before using the environment")
        return self._given if self._given is not None else genotype_of_code(self._code)

    @property
    def alpha(self) -> Genotype | None:
        """The transformed genotype of the last step (``None`` before it)."""
        return None if self._alpha_code is None else genotype_of_code(self._alpha_code)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        super().reset(seed=seed)
        spec = (options or {}).get("genotype")
        if spec is None:
            self._given, code = None, self.sampler.code(self.np_random)
        else:
            self._given = resolve(spec)
            self.encoder.check(self._given)
            code = code_of(self._given)
        self._code, self._alpha_code, self._accuracies = code, None, None
        return self.tables.observation(code), {"beta": self.tables.text(code)}

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """The flat legal-choice mask of the current β, edge-major (for sb3-contrib's MaskablePPO)."""
        if self._code is None:
            raise RuntimeError("call reset() before action_masks()")
        return self.tables.mask(self._code)

    def step(self, action: npt.NDArray[np.int64]) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        beta = self._code
        if beta is None:
            raise RuntimeError("call reset() before using the environment")
        if self._alpha_code is not None:
            raise RuntimeError(EPISODE_ENDED)
        rewrite = self.tables.rewrite(beta, action, self.on_illegal)
        if rewrite is None:  # the transitions raise their error, or accept whole floats
            self.transitions.apply(self.beta, action, self.on_illegal)
            rewrite = self.tables.rewrite(beta, np.asarray(action, np.int64), "keep")
            assert rewrite is not None
        alpha = self._alpha_code = rewrite.code
        acc_beta, test_beta = self.table.lookup(beta)
        acc_alpha, test_alpha = self.table.lookup(alpha)
        self._accuracies = (acc_beta, acc_alpha)
        info: dict[str, Any] = {
            "beta": self.tables.text(beta),
            "alpha": self.tables.text(alpha),
            "acc_beta": acc_beta,
            "acc_alpha": acc_alpha,
            "changed_edges": rewrite.changed_edges,
            "alpha_equals_beta": alpha == beta,
            "illegal_edges": rewrite.illegal_edges,
            "test_accuracy_beta": test_beta,
            "test_accuracy_alpha": test_alpha,
        }
        return self.tables.observation(alpha), float(acc_alpha - acc_beta), True, False, info

    def render(self) -> str | npt.NDArray[np.uint8] | None:
        return frame(self.render_mode, self.beta, self.alpha, self._accuracies)

    def vector_env(self, num_envs: int, n_samples: int = 1, seed: int | None = None) -> NB201VecEnv:
        """``num_envs`` copies of this env stepped together as a Gymnasium vector env (one policy forward
        and one table lookup per step for all of them), consecutive groups of ``n_samples`` sharing each
        input.

        Same table, fidelity, inputs, transitions and illegal-choice policy; infos carry no genotypes.
        The learners of :mod:`agents` collect their episodes through it.
        """
        return NB201VecEnv.of(
            self.table, self.sampler.codes, self.tables, self.on_illegal, num_envs, n_samples, seed
        )


@checked_arguments
def make_nb201_env(
    dataset: str = "cifar10",
    table_path: str | Path | None = None,
    epochs: int = 200,
    inputs: str = "all",
    transitions: str = "nat",
    on_illegal: IllegalPolicy = "keep",
    render_mode: str | None = None,
) -> NB201Env:
    """A NAS-Bench-201 transformation env with exact rewards.

    Args:
        dataset: ``cifar10``, ``cifar100`` or ``imagenet16`` (ImageNet16-120).
        table_path: the compact CSV; ``None`` reads ``NAT_NB201_TABLE``.
        epochs: reward fidelity, 200 or 12 training epochs.
        inputs: input-cell set, ``all`` (uniform over every cell) or ``connected``.
        transitions: ``nat`` (keep / skip / null) or ``nat++`` (cheaper ops within the NB201 vocabulary).
        on_illegal: what an in-range choice the mask forbids does (see :class:`TransformEnv`).
        render_mode: ``ansi``, ``rgb_array`` or ``None``.
    """
    table = load_table(None if table_path is None else str(table_path))
    evaluator = TableEvaluator(table, dataset, epochs)
    sampler = TableSampler(input_codes(evaluator, inputs))
    return NB201Env(evaluator, sampler, transitions, on_illegal, render_mode)
