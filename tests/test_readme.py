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


@pytest.mark.parametrize(
    "document",
    ["README.md", "benchmarks/README.md", "docs/background.md", "docs/policies.md", "docs/clients.md"],
)
def test_every_link_points_at_a_file_of_the_tree(document: str) -> None:
    path = ROOT / document
    targets = re.findall(r"\]\(([^)#\s]+)", path.read_text())
    missing = [t for t in targets if "://" not in t and not (path.parent / t).exists()]
    assert not missing, f"{document} links to files that do not exist: {missing}"


def test_every_path_of_the_readme_exists() -> None:
    named = re.findall(
        r"`((?:nat_env|agents|nat_cli|benchmarks|tests|docs)/[\w./-]*)`", (ROOT / "README.md").read_text()
    )
    missing = [name for name in named if "STUDY" not in name and not (ROOT / name).exists()]
    assert named
    assert not missing, f"README.md names paths that do not exist: {missing}"


def test_the_folder_map_names_every_module_of_nat_env() -> None:
    readme = (ROOT / "README.md").read_text()
    parts = [
        f"nat_env/{path.name}/" if path.is_dir() else f"nat_env/{path.name}"
        for path in (ROOT / "nat_env").iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py") or (path / "__init__.py").exists()
    ]
    missing = [part for part in parts if f"`{part}`" not in readme]
    assert not missing, f"README.md's folder map does not name {missing}"
