"""One name per study: ``nat bench NAME`` runs ``benchmarks/NAME.py``, which writes to ``benchmarks/results/NAME/``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from benchmarks.common.report import RESULTS
from nat_cli.bench import BENCHMARKS

SCRIPTS = RESULTS.parent


def test_every_script_is_a_study_of_nat_bench() -> None:
    scripts = {path.stem for path in SCRIPTS.glob("*.py")} - {"__init__", "smoke"}
    assert scripts == set(BENCHMARKS)


def test_every_results_folder_belongs_to_a_study() -> None:
    folders = {path.name for path in RESULTS.iterdir() if path.is_dir()}
    assert folders <= set(BENCHMARKS)


def test_the_smoke_run_runs_every_study() -> None:
    smoke = (SCRIPTS / "smoke.py").read_text()
    assert set(re.findall(r'script\("(\w+)"\)', smoke)) == set(BENCHMARKS)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_a_study_writes_into_its_own_folder(name: str) -> None:
    args = importlib.import_module(f"benchmarks.{name}").Args()
    assert Path(args.out).parts[0] == name
