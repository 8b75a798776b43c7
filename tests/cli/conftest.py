"""Fixtures of the command-line tests: one thread, the NB201 table as an env keyword."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def table_kwarg(any_table: Path) -> str:
    """``table_path=...`` for ``--env-kwargs`` (the real table when present, else a synthetic one)."""
    return f"table_path={any_table}"
