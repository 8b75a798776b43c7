"""Shared fixtures: paths of the offline data beside the checkout, found as CI finds them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_file(env_var: str, relative: str) -> Path | None:
    """A data file from an environment variable or ``../shared`` beside the repo, if it exists."""
    value = os.environ.get(env_var)
    path = Path(value) if value else SHARED / relative
    return path if path.exists() else None


@pytest.fixture(scope="session")
def reference_genotypes_json() -> Path:
    path = SHARED / "reference" / "genotypes.json"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared reference genotypes sit beside the checkout in CI)")
    return path
