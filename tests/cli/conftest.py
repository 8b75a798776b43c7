"""Fixtures of the command-line tests: one thread, the NB201 table as an env keyword."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread: None) -> None:
    """Every test here runs torch on one thread (:func:`tests.conftest.one_thread`)."""


@pytest.fixture(scope="session")
def table_kwarg(any_table: Path) -> str:
    """``table_path=...`` for ``--env-kwargs`` (the real table when present, else a synthetic one)."""
    return f"table_path={any_table}"
