"""The grouping comparison: which fidelity runs it accepts, and the paired rows it reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.fidelity_grouping import Args, check_comparable, compare, compare_all, load, summary

CODES = list(range(40))


def fidelity_file(
    tmp_path: Path, name: str, accuracy: dict[int, list[float]], per_step: int | None, **config: Any
) -> Path:
    """A fidelity result with per-cell accuracies by budget (``per_step=None``: written before grouping)."""
    settings: dict[str, Any] = {"n_cells": len(CODES), "seed": 0, "layers": 1, **config}
    results: dict[str, Any] = {"codes": CODES, "label": "test", "budgets": []}
    if per_step is not None:
        settings.update(archs_per_step=per_step, lr_scaling="linear")
        results.update(archs_per_step=per_step, lr_scaling="linear" if per_step > 1 else "none")
    for steps, values in accuracy.items():
        entry = {"steps": steps, "train_s": 1.0, "accuracy": values, "all": {"val": {"tau_ci": [0.0, 1.0]}}}
        if per_step is not None:
            entry["sgd_steps"] = steps // per_step
        results["budgets"].append(entry)
    path = tmp_path / name
    path.write_text(json.dumps({"config": settings, "results": results}))
    return path


def test_rows_pair_budgets_and_skip_the_untrained_one(tmp_path: Path) -> None:
    truth = np.linspace(0.5, 0.9, len(CODES))
    rng = np.random.default_rng(0)
    good, poor = truth + 0.02 * rng.normal(size=40), truth + 0.2 * rng.normal(size=40)
    reference = load(str(fidelity_file(tmp_path, "one.json", {0: list(poor), 100: list(good)}, None)))
    grouped = load(
        str(fidelity_file(tmp_path, "k4.json", {0: list(poor), 100: list(poor), 200: list(good)}, 4))
    )
    check_comparable(reference, grouped)
    rows = compare(truth, reference, grouped, Args(bootstrap=100))
    assert [(row["batches"], row["sgd_steps"], row["archs_per_step"]) for row in rows] == [(100, 25, 4)]
    row = rows[0]
    assert row["difference"] == pytest.approx(row["tau"] - row["tau_reference"])
    assert row["difference"] < 0
    assert row["difference_ci"][1] < 0


def test_runs_meet_the_reference_of_their_seed_and_are_averaged_over_seeds(tmp_path: Path) -> None:
    truth = np.linspace(0.5, 0.9, len(CODES))
    rng = np.random.default_rng(1)
    noisy = [list(truth + scale * rng.normal(size=40)) for scale in (0.02, 0.05, 0.2, 0.3, 0.1)]
    references = [
        load(str(fidelity_file(tmp_path, f"one{seed}.json", {100: noisy[seed]}, None, seed=seed)))
        for seed in (0, 1)
    ]
    runs = [
        load(str(fidelity_file(tmp_path, f"k4_{seed}.json", {100: noisy[2 + seed]}, 4, seed=seed)))
        for seed in (0, 1, 2)  # seed 2 has no reference: skipped
    ]
    results = compare_all(truth, references, runs, Args(bootstrap=50))
    assert [(row["seed"], row["batches"]) for row in results["rows"]] == [(0, 100), (1, 100)]
    (mean,) = results["over_seeds"]
    assert mean["seeds"] == [0, 1]
    assert mean["difference"] == pytest.approx(np.mean([row["difference"] for row in results["rows"]]))
    low, high = mean["difference_range"]
    assert low <= mean["difference"] <= high
    assert set(results["reference_tau_by_seed"]["100"]) == {"0", "1"}
    table = summary(results)
    assert "| 100 | 4 | linear | 0 | 25 | 0, 1 |" in table
    assert "(seed 1)" in table


def test_runs_of_another_configuration_or_cells_are_refused(tmp_path: Path) -> None:
    truth = np.linspace(0.5, 0.9, len(CODES))
    narrow = load(str(fidelity_file(tmp_path, "narrow.json", {}, None)))
    wide = load(str(fidelity_file(tmp_path, "wide1.json", {}, None, layers=2, seed=1)))
    with pytest.raises(SystemExit, match="layers"):
        compare_all(truth, [narrow, wide], [], Args())
    reference = load(str(fidelity_file(tmp_path, "one.json", {}, 1)))
    wider = load(str(fidelity_file(tmp_path, "wide.json", {}, 8, layers=2)))
    with pytest.raises(SystemExit, match="layers"):
        check_comparable(reference, wider)
    other = load(str(fidelity_file(tmp_path, "other.json", {}, 8)))
    other["results"]["codes"] = CODES[::-1]
    with pytest.raises(SystemExit, match="cells"):
        check_comparable(reference, other)


def test_missing_or_foreign_files_get_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no fidelity result"):
        load(str(tmp_path / "absent.json"))
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"config": {}, "results": {}}))
    with pytest.raises(SystemExit, match="not a supernet-fidelity result"):
        load(str(foreign))
    foreign.write_text("{not json")
    with pytest.raises(SystemExit, match="not a supernet-fidelity result"):
        load(str(foreign))
