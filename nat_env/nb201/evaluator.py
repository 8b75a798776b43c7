"""The exact evaluator: a NAS-Bench-201 table lookup in place of a supernet.

NAT's rewrites map the NAS-Bench-201 cell space onto itself (conv/pool = O, skip = S, none = N), so the
table gives the true reward of any transformation (docs/background.md, section 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from nat_env.evaluation import Evaluation
from nat_env.genotypes import Genotype
from nat_env.nb201.cells import N_CELLS, arch_str, code_of, live_nodes, ops_of
from nat_env.nb201.schema import DATASETS, EPOCHS
from nat_env.nb201.table import NB201Table


class TableEvaluator:
    """Validation accuracy from the table (the reward); test accuracy only as an extra for reports.

    Args:
        table: a loaded :class:`NB201Table`.
        dataset: ``cifar10``, ``cifar100`` or ``imagenet16``.
        epochs: the fidelity: 200 (the final numbers) or 12 (a cheap, noisier proxy).
    """

    def __init__(self, table: NB201Table, dataset: str = "cifar10", epochs: int = 200) -> None:
        if dataset not in DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
        if epochs not in EPOCHS:
            raise ValueError(f"epochs must be 200 or 12, got {epochs}")
        self.table = table
        self.dataset = dataset
        self.epochs = epochs
        self.val = table.accuracies(np.arange(N_CELLS), dataset, "val", epochs, missing=np.nan)
        """Validation accuracy (fraction) by cell code; NaN where the table lacks the cell."""
        self.test = table.accuracies(np.arange(N_CELLS), dataset, "test", epochs, missing=np.nan)
        """Test accuracy (fraction) by cell code; reported, never rewarded."""
        self._val: list[float] = self.val.tolist()
        self._test: list[float] = self.test.tolist()
        self._evaluations: list[Evaluation | None] = [None] * N_CELLS

    def lookup(self, code: int) -> tuple[float, float]:
        """The validation and test accuracy of a cell code (what :meth:`evaluate` reports, without a genotype).

        Raises:
            KeyError: for a cell the table lacks.
        """
        val = self._val[code]
        if val != val:  # NaN: a cell a partial table lacks
            raise KeyError(f"cell {arch_str(ops_of(code))} is not in {self.table.path}")
        return val, self._test[code]

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        return [self._evaluation(code_of(genotype)) for genotype in genotypes]

    def _evaluation(self, code: int) -> Evaluation:
        evaluation = self._evaluations[code]
        if evaluation is None:  # evaluations are immutable: one per cell serves every call
            val, test = self.lookup(code)
            evaluation = self._evaluations[code] = Evaluation(val, {"test_accuracy": test})
        return evaluation


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
