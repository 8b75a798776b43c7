"""The Python examples of the README and of docs/ run as written."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "policies.md", ROOT / "docs" / "clients.md")
OPTIONAL = ("torchrl", "sb3_contrib", "matplotlib")
"""Extras a block may import: the block is skipped where one is not installed."""


def _blocks() -> list[str]:
    return [
        block
        for document in DOCUMENTS
        for block in re.findall(r"```python\n(.*?)```", document.read_text(), flags=re.S)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(_blocks())))
def test_readme_example_runs(index: int, real_table: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = _blocks()[index]
    for name in OPTIONAL:
        if re.search(rf"^(from|import) {name}\b", block, flags=re.M):
            pytest.importorskip(name)
    monkeypatch.setenv("NAT_NB201_TABLE", str(real_table))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, f"example {index}", "exec"), {})
