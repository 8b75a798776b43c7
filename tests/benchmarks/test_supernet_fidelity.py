"""The supernet-fidelity benchmark's pure parts: flags, resuming across added fields, the grouping note."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from benchmarks.supernet_fidelity import Args, grouping, parse, previous


def written(tmp_path: Path, config: dict[str, object], steps: tuple[int, ...]) -> Path:
    """A result file as :func:`benchmarks.report.write` lays it out, with one entry per budget."""
    path = tmp_path / "fidelity.json"
    budgets = [{"steps": s} for s in steps]
    path.write_text(json.dumps({"config": config, "results": {"budgets": budgets, "wall_s": 12.5}}))
    return path


def test_grouped_training_flags_are_parsed() -> None:
    args = parse(["--archs-per-step", "64", "--lr-scaling", "sqrt"])
    assert (args.archs_per_step, args.lr_scaling) == (64, "sqrt")
    assert parse([]).archs_per_step == 1


def test_resume_accepts_a_file_written_before_the_grouping_fields(tmp_path: Path) -> None:
    config = dataclasses.asdict(Args())
    del config["archs_per_step"], config["lr_scaling"]
    path = written(tmp_path, config, (0, 500))
    kept, wall_s = previous(parse(["--out", str(path), "--budgets", "0,500,1000", "--resume"]))
    assert [entry["steps"] for entry in kept] == [0, 500]
    assert wall_s == 12.5


def test_resume_refuses_another_grouping(tmp_path: Path) -> None:
    path = written(tmp_path, dataclasses.asdict(Args()), (0,))
    with pytest.raises(SystemExit, match="archs_per_step"):
        previous(parse(["--out", str(path), "--archs-per-step", "8", "--resume"]))


def test_the_grouping_note_says_how_budgets_become_steps() -> None:
    assert "paper's semantics" in grouping({})
    sentence = grouping({"archs_per_step": 64, "lr_scaling": "linear"})
    assert "64 genotypes per SGD step" in sentence
    assert "B/64 SGD steps" in sentence
