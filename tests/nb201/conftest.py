"""Fixtures: the real NAS-Bench-201 table and archive records beside the checkout, and generated tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nat_env.nb201.schema import ACCURACY_COLUMNS, TableRow, write_table
from nat_env.nb201.table import NB201Table
from tests.conftest import shared_or_skip

SMALL_CODES = np.random.default_rng(0).choice(5**6, size=200, replace=False)
"""Cells of the generated small table (codes), in row order."""


def synthetic_rows(codes: np.ndarray) -> list[TableRow]:
    """Rows with made-up but deterministic accuracies: column ``j`` of code ``c`` is ``(c * 7 + j) % 97``."""
    rows = []
    for row, code in enumerate(codes.tolist()):
        ops = tuple((code // 5**edge) % 5 for edge in range(6))
        accuracies = {name: float((code * 7 + j) % 97) + 0.5 for j, name in enumerate(ACCURACY_COLUMNS)}
        rows.append(TableRow(index=1000 + row, ops=ops, accuracies=accuracies))
    return rows


@pytest.fixture(scope="session")
def nb201_csv(real_table: Path) -> Path:
    return real_table


@pytest.fixture(scope="session")
def nb201_table(nb201_csv: Path) -> NB201Table:
    return NB201Table.load(nb201_csv)


@pytest.fixture(scope="session")
def nats_fixtures() -> Path:
    return shared_or_skip(
        "NAT_NATS_FIXTURES", "data/nb201/nats_tss_fixtures", "the NATS-Bench archive records are absent"
    )


@pytest.fixture
def small_table_path(tmp_path: Path) -> Path:
    """A generated 200-cell table (a partial table) in a temporary directory."""
    path = tmp_path / "small.csv"
    write_table(path, synthetic_rows(SMALL_CODES))
    return path
