"""The exact-reward environments: NAT on NAS-Bench-201 cells, rewards from the table.

``gym.make("NAT-NB201-CIFAR10-v0")`` (and ``-CIFAR100-v0``, ``-ImageNet16-v0``) build an
:class:`NB201Env`: the :class:`~nat_env.envs.transform.TransformEnv` MDP on a
:class:`~nat_env.nb201.TableEvaluator` and a sampler over the table's cells, its episodes held as cell
codes and read from :mod:`nat_env.nb201.lookup`. The table path comes from ``table_path`` or
``NAT_NB201_TABLE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from nat_env.encoding import Observation
from nat_env.envs.nb201_vector import NB201VecEnv
from nat_env.envs.transform import TransformEnv
from nat_env.genotypes import Genotype, resolve
from nat_env.nb201.cells import code_of, genotype_of_code
from nat_env.nb201.evaluator import TableEvaluator, input_codes, load_table
from nat_env.nb201.lookup import cell_tables
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


class NB201Env(TransformEnv):
    """NAT on NAS-Bench-201 cells with exact rewards: :class:`TransformEnv`'s MDP, episodes held as codes.

    ## Description
    :class:`TransformEnv`'s one-step MDP with the table as evaluator. Observations, rewards and infos
    are the composed env's (the tests compare the two); a step reads the cell tables of
    :mod:`nat_env.nb201.lookup` and the table by cell code instead of building, validating, encoding and
    formatting genotypes, so a first visit of a cell costs what a repeated one does.

    ## Action Space, Observation Space, Rewards, Starting State, Episode End, Info
    As :class:`TransformEnv`. Info also holds ``test_accuracy_beta``/``_alpha`` (reported, never
    rewarded).

    ## Arguments
    See :func:`make_nb201_env`.

    ## Version History
    * v0: initial version.
    """

    def __init__(
        self,
        evaluator: TableEvaluator,
        sampler: TableSampler,
        transitions: str = "nat",
        on_illegal: IllegalPolicy = "keep",
        render_mode: str | None = None,
    ) -> None:
        tables = cell_tables(transitions)
        encoder = tables.encoder
        super().__init__(evaluator, sampler, encoder.transitions, encoder, None, on_illegal, render_mode)
        self.table = evaluator
        self.tables = tables
        self.code_sampler = sampler
        self.truth = evaluator  # exact rewards: the reward is the truth
        self._code: int | None = None
        self._alpha_code: int | None = None
        self._given: Genotype | None = None  # a genotype passed to reset keeps its name for pictures

    @property
    def beta(self) -> Genotype:
        if self._code is None:
            raise RuntimeError("call reset() before using the environment")
        return self._given if self._given is not None else genotype_of_code(self._code)

    @property
    def alpha(self) -> Genotype | None:
        return None if self._alpha_code is None else genotype_of_code(self._alpha_code)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        gym.Env.reset(self, seed=seed)
        spec = (options or {}).get("genotype")
        if spec is None:
            self._given, code = None, self.code_sampler.code(self.np_random)
        else:
            self._given = resolve(spec)
            self.encoder.check(self._given)
            code = code_of(self._given)
        self._code, self._alpha_code, self._accuracies = code, None, None
        return self.tables.observation(code), {"beta": self.tables.text(code)}

    def vector_env(self, n_envs: int, n_samples: int = 1, seed: int | None = None) -> NB201VecEnv:
        """``n_envs`` copies of this env stepped together as an SB3 VecEnv (one policy forward and one
        table lookup per step for all of them), consecutive groups of ``n_samples`` sharing each input.

        Same table, fidelity, inputs, transitions and illegal-choice policy; infos carry no genotypes.
        The learners of :mod:`agents` collect their episodes through it.
        """
        return NB201VecEnv.of(
            self.table, self.code_sampler.codes, self.tables, self.on_illegal, n_envs, n_samples, seed
        )

    def action_masks(self) -> npt.NDArray[np.bool_]:
        if self._code is None:
            raise RuntimeError("call reset() before action_masks()")
        return self.tables.mask(self._code)

    def step(self, action: npt.NDArray[np.int64]) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        beta = self._code
        if beta is None:
            raise RuntimeError("call reset() before using the environment")
        self._refuse_a_finished_episode()
        rewrite = self.tables.rewrite(beta, action, self.on_illegal)
        if rewrite is None:  # the genotype path raises its error, or accepts whole floats
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
