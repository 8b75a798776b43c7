"""The exact-reward environments: NAT on NAS-Bench-201 cells, rewards from the table.

``gym.make("NAT-NB201-CIFAR10-v0")`` (and ``-CIFAR100-v0``, ``-ImageNet16-v0``) build a
:class:`~nat_env.envs.transform.TransformEnv` from a :class:`~nat_env.nb201.TableEvaluator` and a
sampler over the table's cells. The table path comes from ``table_path`` or ``NAT_NB201_TABLE``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nat_env import transitions as _transitions
from nat_env.encoding import GraphEncoder
from nat_env.envs.transform import TransformEnv
from nat_env.genotypes import Genotype
from nat_env.nb201.cells import N_CELLS, genotype_of_code, live_nodes, ops_of
from nat_env.nb201.evaluator import TableEvaluator
from nat_env.nb201.table import NB201Table
from nat_env.transitions import IllegalPolicy

INPUT_SETS = ("all", "connected")
"""Input-cell sets: every cell of the table, or only cells whose output is reachable from the input."""


@lru_cache(maxsize=4)
def load_table(table_path: str | None) -> NB201Table:
    """The table at a path (or ``NAT_NB201_TABLE``), loaded once per process and shared by all envs."""
    return NB201Table.load(table_path)


def input_codes(evaluator: TableEvaluator | None, inputs: str = "all") -> npt.NDArray[np.int64]:
    """Codes of the cells an episode may start from.

    Args:
        evaluator: the table evaluator (cells missing from a partial table are left out); ``None``: every
            cell of the space.
        inputs: ``all`` or ``connected`` (see :data:`INPUT_SETS`).
    """
    if inputs not in INPUT_SETS:
        raise ValueError(f"unknown inputs {inputs!r}; use one of {', '.join(INPUT_SETS)}")
    codes = np.arange(N_CELLS) if evaluator is None else np.flatnonzero(~np.isnan(evaluator.val))
    if inputs == "connected":
        codes = codes[live_nodes(ops_of(codes))[:, 3]]
    return codes


class TableSampler:
    """Draws β uniformly from a set of cells (given by their codes).

    Args:
        codes: the cell codes to draw from.
    """

    def __init__(self, codes: npt.NDArray[np.int64]) -> None:
        if codes.size == 0:
            raise ValueError("no input cells to sample from")
        self.codes = codes

    def __call__(self, rng: np.random.Generator) -> Genotype:
        return genotype_of_code(int(self.codes[rng.integers(self.codes.size)]))


def make_nb201_env(
    dataset: str = "cifar10",
    table_path: str | Path | None = None,
    epochs: int = 200,
    inputs: str = "all",
    transitions: str = "nat",
    on_illegal: IllegalPolicy = "keep",
    render_mode: str | None = None,
) -> TransformEnv:
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
    rules = _transitions.get(transitions, "nb201")
    env = TransformEnv(
        evaluator,
        TableSampler(input_codes(evaluator, inputs)),
        rules,
        GraphEncoder(rules, "nb201"),
        on_illegal=on_illegal,
        render_mode=render_mode,
    )
    env.truth = evaluator  # exact rewards: the reward is the truth
    return env
