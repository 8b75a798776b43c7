"""The job runner: failures reported with their configuration, resumes, and the Ray backend's numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.common.jobs import Job, JobsArgs, JobsFailed, run_jobs


def square(argument: tuple[int, str]) -> int:
    """A job that leaves a trace of every call, and fails on a negative number."""
    value, trace = argument
    with Path(trace).open("a") as handle:
        handle.write(f"{value}\n")
    if value < 0:
        raise ValueError(f"negative input {value}")
    return value * value


def jobs(values: list[int], trace: Path) -> list[Job]:
    return [Job(f"v{i}", {"value": v}, (v, str(trace))) for i, v in enumerate(values)]


def calls(trace: Path) -> list[int]:
    return [int(line) for line in trace.read_text().split()]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_job_is_reported_with_its_config_and_the_others_finish(workers: int, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    with pytest.raises(
        JobsFailed, match=r'1 of 3 jobs failed .*v1 \{"value": -2\}: ValueError: negative input -2'
    ):
        run_jobs(square, jobs([1, -2, 3], trace), JobsArgs(workers=workers), tmp_path / "jobs")
    assert sorted(calls(trace)) == [-2, 1, 3]
    assert len(list((tmp_path / "jobs").glob("*.pkl"))) == 2


def test_resume_reruns_only_the_missing_jobs(tmp_path: Path) -> None:
    trace, folder = tmp_path / "trace", tmp_path / "jobs"
    with pytest.raises(JobsFailed):
        run_jobs(square, jobs([1, -2, 3], trace), JobsArgs(), folder)
    trace.unlink()
    fixed = jobs([1, 2, 3], trace)  # the failed job's configuration changed: it has no result yet
    assert run_jobs(square, fixed, JobsArgs(resume=True), folder) == [1, 4, 9]
    assert calls(trace) == [2]
    assert run_jobs(square, fixed, JobsArgs(), folder) == [1, 4, 9]  # no --resume: everything again
    assert calls(trace) == [2, 1, 2, 3]


@pytest.mark.slow
def test_the_agents_smoke_run_gives_the_same_numbers_on_ray(
    synthetic_table: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("ray")
    from benchmarks import learners
    from nat_env.envs.nb201 import load_table

    monkeypatch.setenv("NAT_NB201_TABLE", str(synthetic_table))
    load_table.cache_clear()
    found = {}
    for backend in ("local", "ray"):
        args = learners.parse(["--smoke", "--agents", "random,reinforce-gcn", "--backend", backend])
        args.out = str(tmp_path / backend / "agents.json")
        found[backend] = learners.run(args)
    local, ray = found["local"], found["ray"]
    assert local["summary"] == ray["summary"]
    for mine, theirs in zip(local["runs"], ray["runs"], strict=True):
        assert (mine["agent"], mine["seed"], mine["curve"]) == (
            theirs["agent"],
            theirs["seed"],
            theirs["curve"],
        )
        np.testing.assert_equal(mine["maximum"], theirs["maximum"])
