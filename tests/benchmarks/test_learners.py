"""The Table 3 analogue's helpers on a synthetic NAS-Bench-201 table: oracle, jobs, curves, outputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from benchmarks import learners
from benchmarks.learners import MODES
from nat_env.envs.nb201 import load_table


@pytest.fixture
def table_env(synthetic_table: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``gym.make`` of the NB201 env ids reads the synthetic table."""
    monkeypatch.setenv("NAT_NB201_TABLE", str(synthetic_table))
    load_table.cache_clear()
    yield
    load_table.cache_clear()


def small_args(**overrides: object) -> learners.Args:
    config: dict[str, object] = {
        "total_timesteps": 64,
        "seeds": (0,),
        "n_eval": 6,
        "k": 2,
        "curve_every": 32,
        "curve_n": 3,
        "n_boot": 50,
    }
    return learners.Args(**{**config, **overrides})  # type: ignore[arg-type]


def test_the_oracle_never_loses_on_validation(table_env: None) -> None:
    args = small_args()
    held = learners.held_out(gym.make(args.env_id), args)
    assert len(held.inputs) == 6
    assert held.oracle_val.shape == held.oracle_test.shape == (6,)
    assert np.all(held.oracle_val >= 0)
    again = learners.held_out(gym.make(args.env_id), args)
    assert again.inputs == held.inputs


def test_a_job_scores_both_modes_and_records_a_curve(table_env: None) -> None:
    args = small_args()
    held = learners.held_out(gym.make(args.env_id), args)
    result = learners.run_job(("reinforce-gcn", 0, args, held))
    assert result["curve"]["steps"] == [0, 32, 64]
    assert len(result["curve"]["fraction_test"]) == 3
    for mode in MODES:
        assert result["gains"][mode]["test"].shape == result["gains"][mode]["val"].shape == (6,)
    assert np.all(result["gains"]["sampling"]["val"] >= 0)  # β is kept when no sample beats it
    assert learners.run_job(("reinforce-gcn", 0, args, held))["gains"]["maximum"]["test"].tolist() == (
        result["gains"]["maximum"]["test"].tolist()
    )


def test_the_random_learner_has_a_flat_curve(table_env: None) -> None:
    args = small_args()
    held = learners.held_out(gym.make(args.env_id), args)
    curve = learners.run_job(("random", 0, args, held))["curve"]
    assert curve["steps"] == [0, 32, 64]
    assert len(set(curve["fraction_test"])) == 1


def test_main_writes_every_output_beside_out(table_env: None, tmp_path: Path) -> None:
    out = tmp_path / "agents.json"
    learners.main(
        [
            *("--agents", "random", "--seeds", "0,1", "--n-eval", "8", "--total-timesteps", "100"),
            *("--curve-every", "50", "--curve-n", "4", "--n-boot", "50", "--out", str(out)),
        ]
    )
    results = json.loads(out.read_text())["results"]
    assert set(results["summary"]["random"]) == set(MODES)
    assert len(results["runs"]) == 2
    assert results["curves"]["random"]["steps"] == [0, 50, 100]
    assert len((tmp_path / "agents.csv").read_text().splitlines()) == 1 + 2 * 2
    assert len((tmp_path / "agents_summary.csv").read_text().splitlines()) == 1 + 2
    table = (tmp_path / "agents.md").read_text()
    assert "| random | sampling |" in table
    assert "| oracle |" in table
    assert (tmp_path / "agents.png").stat().st_size > 0


def test_unknown_learners_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown algorithm"):
        learners.learner_spec("sarsa-gcn", 0, learners.Args())
