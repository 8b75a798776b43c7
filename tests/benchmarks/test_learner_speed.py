"""The learner-speed benchmark: its smoke budgets, the env passes, and a whole smoke run (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import learner_speed
from tests.conftest import REPO


def test_smoke_shrinks_every_budget() -> None:
    full, smoke = learner_speed.parse([]), learner_speed.parse(["--smoke"])
    for name in ("episodes", "cartpole_steps", "cartpole_n_steps", "forward_calls", "env_steps"):
        assert getattr(smoke, name) < getattr(full, name), name
    assert full.batch_sizes == (1, 64, 1024)


@pytest.mark.parametrize("env_id", [learner_speed.ENV_ID, learner_speed.YARDSTICK_ID])
def test_env_passes_time_cold_and_warm(env_id: str, any_table: Path) -> None:
    passes = learner_speed.env_passes(env_id, str(any_table), episodes=20, seed=0)
    assert set(passes) == {"cold", "warm", "make_ms"}
    assert all(value > 0 for value in passes.values())


@pytest.mark.slow
def test_smoke_run_writes_every_measurement(any_table: Path, tmp_path: Path) -> None:
    out = tmp_path / "speed.json"
    command = [sys.executable, "-m", "benchmarks.learner_speed", "--smoke", "--table", str(any_table)]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([*command, "--out", str(out)], check=True, cwd=REPO, env=environment, timeout=600)
    results = json.loads((tmp_path / "speed_smoke.json").read_text())["results"]
    assert results["threads"] == 1
    assert set(results["policy_forward_ms"]) == {"1", "64", "1024"}
    assert set(results["env_step_us"]) == {learner_speed.ENV_ID, learner_speed.YARDSTICK_ID}
    assert results["learner"]["learner"] == "reinforce-gcn"
    assert results["ratios"]["learner_episodes_vs_cartpole_steps"] > 0
    assert len(results["rounds"]) == 1
    threads = results["thread_comparison"]
    assert threads["default_torch_threads"] >= 1
    assert threads["one_thread_per_second"] > 0
    assert threads["default_threads_per_second"] > 0
    assert results["rounds"][0]["threads"]["one"]["torch_threads"] == 1
    assert results["ratios"]["one_thread_vs_default_threads"] > 0
    assert json.loads(out.with_name("speed_smoke.json").read_text())["machine"]["torch_threads"] == 1
