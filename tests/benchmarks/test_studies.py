"""One name per study: ``nat bench NAME`` runs ``benchmarks/NAME.py``, which writes to ``benchmarks/results/NAME/``."""

from __future__ import annotations

import importlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks import end_to_end
from benchmarks.common.report import RESULTS, resolve
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


def test_a_result_path_is_found_from_the_results_folder_or_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert resolve("end_to_end/x.json") == RESULTS / "end_to_end" / "x.json"
    assert resolve(tmp_path / "x.json") == tmp_path / "x.json"
    monkeypatch.chdir(RESULTS.parents[1])  # the repository's root: the path people copy from the README
    assert resolve("benchmarks/results/end_to_end/x.json") == RESULTS / "end_to_end" / "x.json"
    assert resolve("end_to_end/x.json") == RESULTS / "end_to_end" / "x.json"
    monkeypatch.chdir(RESULTS / "end_to_end")
    assert resolve("x.json") == RESULTS / "end_to_end" / "x.json"  # inside the results folder: as named
    assert resolve("../end_to_end/x.json") == RESULTS / "end_to_end" / "x.json"


def test_the_end_to_end_header_describes_two_stage_rows_only_where_a_file_has_them() -> None:
    args = end_to_end.Args(variants=("base",))
    assert end_to_end.rerank_words(args) == ""  # no --rerank
    assert end_to_end.rerank_words(replace(args, rerank=(5,), rerank_variants=("other",))) == ""
    words = end_to_end.rerank_words(replace(args, rerank=(5,), rerank_batches=7, rerank_variants=("base",)))
    assert "fine-tuning each alone for 7 batches" in words
    assert "shortlist-K (a diagnostic)" in words
