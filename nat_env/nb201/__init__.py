"""NAS-Bench-201: the accuracy table, its exact evaluator, batched episodes and reference policies."""

from __future__ import annotations

from nat_env.nb201.cells import code_of, genotype_of_code
from nat_env.nb201.evaluator import TableEvaluator
from nat_env.nb201.schema import ACCURACY_COLUMNS, COLUMNS, DATASETS, EPOCHS, SPLITS, TableRow, write_table
from nat_env.nb201.table import ENV_VAR, NB201Table, TableError, TableNotFoundError

__all__ = [
    "ACCURACY_COLUMNS",
    "COLUMNS",
    "DATASETS",
    "ENV_VAR",
    "EPOCHS",
    "SPLITS",
    "NB201Table",
    "TableError",
    "TableEvaluator",
    "TableNotFoundError",
    "TableRow",
    "code_of",
    "genotype_of_code",
    "write_table",
]
