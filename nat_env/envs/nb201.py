"""The exact-reward environments: NAT on NAS-Bench-201 cells, rewards from the table.

``gym.make("NAT-NB201-CIFAR10-v0")`` (and ``-CIFAR100-v0``, ``-ImageNet16-v0``) build an
:class:`NB201Env`: the :class:`~nat_env.envs.transform.TransformEnv` MDP composed of table-backed parts,
a :class:`~nat_env.nb201.TableEvaluator`, a sampler over the table's cells and the transitions and
encoder of :mod:`nat_env.nb201.lookup`, which read each cell by its code. The table path comes from
``table_path`` or ``NAT_NB201_TABLE``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from nat_env.envs import checked_arguments
from nat_env.envs.nb201_vector import NB201VecEnv
from nat_env.envs.transform import TransformEnv
from nat_env.genotypes import Genotype
from nat_env.nb201.cells import genotype_of_code
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


class NB201Env(TransformEnv):
    """NAT on NAS-Bench-201 cells with exact rewards: :class:`TransformEnv` composed of table-backed parts.

    ## Description
    :class:`TransformEnv`'s one-step MDP, run by its own ``reset`` and ``step``, with the table as
    evaluator and the transitions and encoder of :mod:`nat_env.nb201.lookup`: they read a cell's legal
    choices, rewrite and observation from per-cell tables by its code, and β and α are the genotypes of
    their codes, decoded once per process. Observations, rewards and infos are those of the same env
    composed of the genotype-level parts (the tests compare the two), so a first visit of a cell costs
    what a repeated one does.

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
        super().__init__(
            evaluator,
            sampler,
            TableTransitions(tables),
            TableEncoder(tables),
            None,
            on_illegal,
            render_mode,
            truth=evaluator,
        )
        self.table = evaluator
        self.tables = tables
        self.code_sampler = sampler

    def vector_env(self, num_envs: int, n_samples: int = 1, seed: int | None = None) -> NB201VecEnv:
        """``num_envs`` copies of this env stepped together as a Gymnasium vector env (one policy forward
        and one table lookup per step for all of them), consecutive groups of ``n_samples`` sharing each
        input.

        Same table, fidelity, inputs, transitions and illegal-choice policy; infos carry no genotypes.
        The learners of :mod:`agents` collect their episodes through it.
        """
        return NB201VecEnv.of(
            self.table, self.code_sampler.codes, self.tables, self.on_illegal, num_envs, n_samples, seed
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
