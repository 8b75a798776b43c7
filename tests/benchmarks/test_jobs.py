"""The job runner: failures reported with their configuration, resumes, and the Ray backend's numbers."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from benchmarks.common.jobs import Job, JobsArgs, JobsFailed, read_result, result_bytes, run_jobs


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


class Tampered:
    """Unpickling this would run a command: a stored result must never be read that way."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("code ran",))


def test_a_stored_result_holds_plain_values_and_arrays_only(tmp_path: Path) -> None:
    result = {"gains": [np.arange(3.0)], "seconds": np.float64(2.5), "names": ("a", 1, None)}
    found = read_result(result_bytes(result))
    np.testing.assert_array_equal(found["gains"][0], [0.0, 1.0, 2.0])
    assert (found["seconds"], found["names"]) == (2.5, ("a", 1, None))
    with pytest.raises(ValueError, match=r"builtins\.print"):
        read_result(pickle.dumps(Tampered()))
    with pytest.raises(ValueError, match=r"builtins\.print"):
        result_bytes(Tampered())  # refused when made, not only when a later run resumes


def test_a_stored_result_that_does_not_load_runs_its_job_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace, folder = tmp_path / "trace", tmp_path / "jobs"
    work = jobs([1, 2], trace)
    run_jobs(square, work, JobsArgs(), folder)
    damaged = folder / work[0].file_name
    damaged.write_bytes(pickle.dumps(Tampered()))
    (folder / work[1].file_name).write_bytes(b"\x80\x05trunc")
    trace.unlink()
    assert run_jobs(square, work, JobsArgs(resume=True), folder) == [1, 4]
    assert sorted(calls(trace)) == [1, 2]
    out = capsys.readouterr().out
    assert f"{damaged} does not load" in out
    assert "code ran" not in out
    assert read_result(damaged.read_bytes()) == 1  # rewritten with the new result


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
