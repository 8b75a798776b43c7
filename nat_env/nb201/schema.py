"""The compact NAS-Bench-201 CSV: its columns, one row of it, and the writer.

One row per cell of the NAS-Bench-201 / NATS-Bench topology space::

    index,arch_str,e0,...,e5,c10_val_200,c10_test_200,c10_rank_test_200,c100_val_200,...,in16_test_12

``index`` is the official NAS-Bench-201 index, ``e0..e5`` the op ids of :data:`nat_env.ops.NB201_OPS` per
edge (:mod:`nat_env.nb201.cells`) and the accuracy columns top-1 percentages, mean over seeds.
:class:`nat_env.nb201.table.NB201Table` reads the file; :mod:`nat_env.nb201.convert` builds it from the
official archive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nat_env import ops as _ops
from nat_env.nb201.cells import N_EDGES, arch_str
from nat_env.records import atomic_file

DATASETS: tuple[str, ...] = ("cifar10", "cifar100", "imagenet16")
"""CIFAR-10, CIFAR-100 and ImageNet16-120, the three datasets of the table."""
SPLITS: tuple[str, ...] = ("val", "test")
EPOCHS: tuple[int, ...] = (200, 12)
"""Fidelities: the final 200-epoch numbers and the cheap 12-epoch ("hp=12") ones."""

_PREFIX = {"cifar10": "c10", "cifar100": "c100", "imagenet16": "in16"}


def column_name(dataset: str, split: str, epochs: int) -> str:
    """The CSV column of one accuracy, e.g. ``column_name("cifar10", "val", 200) == "c10_val_200"``.

    Raises:
        ValueError: for an unknown dataset, split or number of epochs.
    """
    if dataset not in _PREFIX:
        raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    if epochs not in EPOCHS:
        raise ValueError(f"epochs must be one of {', '.join(map(str, EPOCHS))}, got {epochs!r}")
    return f"{_PREFIX[dataset]}_{split}_{epochs}"


ACCURACY_COLUMNS: tuple[str, ...] = tuple(
    column_name(dataset, split, epochs) for epochs in EPOCHS for dataset in DATASETS for split in SPLITS
)
"""The twelve accuracy columns (percent), in file order."""
RANK_COLUMN = "c10_rank_test_200"
"""Rank by CIFAR-10 200-epoch test accuracy, 1 = best."""
EDGE_COLUMNS: tuple[str, ...] = tuple(f"e{edge}" for edge in range(N_EDGES))
COLUMNS: tuple[str, ...] = (
    "index",
    "arch_str",
    *EDGE_COLUMNS,
    *ACCURACY_COLUMNS[:2],
    RANK_COLUMN,
    *ACCURACY_COLUMNS[2:],
)
"""The header of the compact CSV."""


@dataclass(frozen=True)
class TableRow:
    """One row of the compact CSV.

    Attributes:
        index: the official NAS-Bench-201 index.
        ops: the six op ids (ids of :data:`nat_env.ops.NB201_OPS`, in edge order).
        accuracies: percent per accuracy column (the keys of :data:`ACCURACY_COLUMNS`).
        rank: rank by ``c10_test_200`` (1 = best); ``None`` lets :func:`write_table` compute it.
    """

    index: int
    ops: tuple[int, ...]
    accuracies: Mapping[str, float]
    rank: int | None = None


def _rank(rows: list[TableRow]) -> list[int]:
    """Ranks by CIFAR-10 200-epoch test accuracy, best first, ties by index."""
    order = sorted(range(len(rows)), key=lambda i: (-rows[i].accuracies["c10_test_200"], rows[i].index))
    ranks = [0] * len(rows)
    for rank, i in enumerate(order, start=1):
        ranks[i] = rank
    return ranks


def write_table(path: str | Path, rows: Iterable[TableRow]) -> int:
    """Write rows as a compact CSV (accuracies with 6 decimals, as in the published table).

    Ranks are taken from the rows; if no row has one, they are computed over the rows written
    (descending ``c10_test_200``, ties by index).

    Args:
        path: the CSV to (over)write.
        rows: the rows, written in the order given.

    Returns:
        The number of rows written.

    Raises:
        ValueError: if some rows have a rank and others not, or a row lacks an accuracy column or has
            other than six op ids in 0..4.
    """
    rows = list(rows)
    for row in rows:
        if len(row.ops) != N_EDGES or not all(0 <= op < len(_ops.NB201_OPS) for op in row.ops):
            raise ValueError(f"row of index {row.index}: ops must be six op ids in 0..4, got {row.ops}")
        if set(row.accuracies) != set(ACCURACY_COLUMNS):
            raise ValueError(
                f"row of index {row.index}: accuracies must have the columns {', '.join(ACCURACY_COLUMNS)}"
            )
    given = [row.rank is not None for row in rows]
    if any(given) and not all(given):
        raise ValueError("either every row has a rank or none has")
    ranks = [row.rank for row in rows] if all(given) else _rank(rows)
    lines = [",".join(COLUMNS)]
    for row, rank in zip(rows, ranks, strict=True):
        values = {name: f"{row.accuracies[name]:.6f}" for name in ACCURACY_COLUMNS}
        values |= {"index": str(row.index), "arch_str": arch_str(row.ops), RANK_COLUMN: str(rank)}
        values |= {name: str(op) for name, op in zip(EDGE_COLUMNS, row.ops, strict=True)}
        lines.append(",".join(values[name] for name in COLUMNS))
    with atomic_file(path) as file:
        file.write("\n".join(lines) + "\n")
    return len(rows)
