"""``nat train`` (checkpoints, logs, resume) and ``nat transform`` with its checkpoint, on NAS-Bench-201."""

from __future__ import annotations

import csv
import errno
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stable_baselines3.common.base_class import BaseAlgorithm

from agents import REINFORCE
from nat_cli import callbacks
from nat_cli.main import main
from nat_cli.run_dir import checkpoints

ENV = "NAT-NB201-CIFAR10-v0"
NB201_CELL = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|"


def train_argv(log_dir: Path, table_kwarg: str, total: int, *extra: str) -> list[str]:
    return [
        "train", "--env-id", ENV, "--algo", "reinforce", "--policy", "gcn", "--seed", "0",
        "--total-timesteps", str(total), "--n-steps", "16", "--checkpoint-every", "32", "--device", "cpu",
        "--log-dir", str(log_dir), "--n-eval", "4", "-k", "2", "--progress", "plain",
        "--env-kwargs", table_kwarg, *extra,
    ]  # fmt: skip


def logged_steps(log_dir: Path) -> list[int]:
    with open(log_dir / "progress.csv", newline="") as file:
        return [int(float(row["time/total_timesteps"])) for row in csv.DictReader(file)]


@pytest.fixture(scope="module")
def resumed_run(tmp_path_factory: pytest.TempPathFactory, table_kwarg: str) -> Path:
    """A run trained to 64 steps (checkpoints every 32), then resumed to 128."""
    log_dir = tmp_path_factory.mktemp("run")
    assert main(train_argv(log_dir, table_kwarg, 64)) == 0
    assert [steps for steps, _ in checkpoints(log_dir)] == [32, 64]
    assert logged_steps(log_dir) == [16, 32, 48, 64]
    assert main(train_argv(log_dir, table_kwarg, 128, "--resume")) == 0
    return log_dir


def test_train_writes_config_checkpoints_logs_and_results(resumed_run: Path) -> None:
    config = json.loads((resumed_run / "config.json").read_text())
    assert config["args"]["env_id"] == ENV
    assert config["args"]["total_timesteps"] == 128
    assert config["provenance"]["versions"]["stable-baselines3"] != "absent"
    assert [entry["total_timesteps"] for entry in config["history"]] == [64, 128]
    assert (resumed_run / "model.zip").exists()
    results = json.loads((resumed_run / "results.json").read_text())
    assert set(results["mean_gains"]) == {"keep", "maximum", "sampling", "oracle"}
    assert set(results["mean_gains"]["oracle"]) == {"val", "test"}
    assert results["timesteps"] == 128
    assert not list(resumed_run.rglob("*.partial"))


def test_resume_continues_the_step_count_and_the_log(resumed_run: Path) -> None:
    assert [steps for steps, _ in checkpoints(resumed_run)] == [32, 64, 96, 128]
    model = REINFORCE.load(resumed_run / "model.zip", device="cpu")
    assert model.num_timesteps == 128
    assert logged_steps(resumed_run) == [16, 32, 48, 64, 80, 96, 112, 128]


def test_resume_with_another_configuration_is_refused(
    resumed_run: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*train_argv(resumed_run, table_kwarg, 256, "--resume"), "--learning-rate", "0.5"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("nat train: error: refusing to resume")
    assert "learning_rate: 0.001 -> 0.5" in err[0]
    assert [steps for steps, _ in checkpoints(resumed_run)][-1] == 128


def test_a_fresh_run_in_a_used_folder_is_refused(
    resumed_run: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(train_argv(resumed_run, table_kwarg, 64)) == 1
    assert "already holds a run" in capsys.readouterr().err


def test_an_interrupted_run_loses_only_the_steps_since_its_last_checkpoint(
    tmp_path: Path, table_kwarg: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = callbacks.CheckpointCallback._on_rollout_start

    def interrupt_after_48(self: callbacks.CheckpointCallback) -> None:
        original(self)
        if self.num_timesteps >= 48:
            raise KeyboardInterrupt

    monkeypatch.setattr(callbacks.CheckpointCallback, "_on_rollout_start", interrupt_after_48)
    assert main(train_argv(tmp_path, table_kwarg, 64)) == 130
    assert "--resume" in capsys.readouterr().err
    assert [steps for steps, _ in checkpoints(tmp_path)] == [32]
    assert logged_steps(tmp_path) == [16, 32, 48]
    monkeypatch.undo()
    assert main(train_argv(tmp_path, table_kwarg, 64, "--resume")) == 0
    assert logged_steps(tmp_path) == [16, 32, 48, 64]
    assert REINFORCE.load(tmp_path / "model.zip", device="cpu").num_timesteps == 64


def test_resume_skips_checkpoints_that_do_not_load(
    tmp_path: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(train_argv(tmp_path, table_kwarg, 64)) == 0
    (_, first), (_, last) = checkpoints(tmp_path)
    good = first.read_bytes()
    last.write_bytes(last.read_bytes()[:1000])
    first.write_bytes(b"")
    capsys.readouterr()
    assert main(train_argv(tmp_path, table_kwarg, 96, "--resume")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"nat train: error: no checkpoint in {tmp_path / 'checkpoints'} loads")
    assert "step_000000064.zip, step_000000032.zip" in err[-1]
    first.write_bytes(good)
    assert main(train_argv(tmp_path, table_kwarg, 96, "--resume")) == 0
    out, err = capsys.readouterr()
    assert f"skipping a checkpoint that does not load: {last} is not a Stable-Baselines3 checkpoint" in err
    assert f"resuming from {first} at step 32 (skipped step_000000064.zip, which do not load)" in out
    assert logged_steps(tmp_path) == [16, 32, 48, 64, 80, 96]
    assert [steps for steps, _ in checkpoints(tmp_path)] == [32, 64, 96]
    assert REINFORCE.load(last, device="cpu").num_timesteps == 64  # written again


def test_a_checkpoint_that_cannot_be_written_is_named(
    tmp_path: Path, table_kwarg: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = REINFORCE.save

    def too_large_after_32(self: REINFORCE, path: Any, *args: Any, **kwargs: Any) -> None:
        if self.num_timesteps > 32:
            path.write(b"the first bytes")
            raise OSError(errno.EFBIG, "File too large")
        original(self, path, *args, **kwargs)

    monkeypatch.setattr(REINFORCE, "save", too_large_after_32)
    assert main(train_argv(tmp_path, table_kwarg, 64)) == 1
    first, failed = (
        tmp_path / "checkpoints" / "step_000000032.zip",
        tmp_path / "checkpoints" / "step_000000064.zip",
    )
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"nat train: error: cannot write {failed} (File too large); no partial file was left; "
        f"the last checkpoint, {first}, is intact and --resume continues from it"
    )
    assert sorted(p.name for p in first.parent.iterdir()) == [first.name]
    assert REINFORCE.load(first, device="cpu").num_timesteps == 32


def test_transform_with_the_checkpoint(
    resumed_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    picture = tmp_path / "diff.png"
    argv = ["transform", "--genotype", NB201_CELL, "--checkpoint", str(resumed_run), "--out", str(picture)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert NB201_CELL in out
    assert "val acc (%)" in out
    assert "NAS-Bench-201 table" in out
    assert "128 env steps" in out
    accuracy_rows = [line.split() for line in out.splitlines() if line.strip().startswith(("β", "α"))]
    assert [row[0] for row in accuracy_rows] == ["β", "α"]
    assert all(float(row[3]) > 0 for row in accuracy_rows)
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_transform_without_checkpoint_warns_and_uses_a_random_policy(
    table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["transform", "--genotype", NB201_CELL, "--env-kwargs", table_kwarg, "--method", "maximum"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "random policy" in captured.err
    assert "policy: random" in captured.out


def test_checkpoints_load_without_unpickling(resumed_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cloudpickle

    from agents.zoo import load_learner
    from nat_cli.train import learner_of, make_env

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("cloudpickle.loads was called")

    monkeypatch.setattr(cloudpickle, "loads", refuse)
    config = json.loads((resumed_run / "config.json").read_text())["args"]
    env = make_env(ENV, config["env_kwargs"])
    model = load_learner(resumed_run / "model.zip", learner_of(config, device="cpu"), env)
    assert isinstance(model, BaseAlgorithm)
    assert model.num_timesteps == 128


@pytest.mark.parametrize(
    ("algo", "policy"),
    [
        ("ppo", "gcn"),
        ("a2c", "mlp"),
        ("maskable_ppo", "gcn"),
        ("reinforce", "lstm"),
        ("reinforce", "reference"),
        ("random", "gcn"),
    ],
)
def test_every_algorithm_trains_and_transforms(
    algo: str, policy: str, tmp_path: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if algo == "maskable_ppo":
        pytest.importorskip("sb3_contrib")
    argv = train_argv(tmp_path, table_kwarg, 32, "--algo", algo, "--policy", policy, "--progress", "none")
    assert main(argv) == 0
    assert "Sampling (best of 2)" in capsys.readouterr().out
    if algo == "random":
        assert not (tmp_path / "model.zip").exists()
        return
    assert main(["transform", "--genotype", NB201_CELL, "--checkpoint", str(tmp_path), "-k", "2"]) == 0
    assert f"({algo}-{policy}, 32 env steps)" in capsys.readouterr().out


@pytest.mark.parametrize("route", ["relative", "symlink", "copy", "relative table"])
def test_resume_through_another_path_to_the_run_folder(
    route: str, resumed_run: Path, tmp_path: Path, table_kwarg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(resumed_run, copy)  # the module's run stays as the other tests expect it
    if route == "relative":
        monkeypatch.chdir(tmp_path)
        log_dir = Path("copy")
    elif route == "relative table":  # the same table by another spelling of its path
        table = Path(table_kwarg.partition("=")[2])
        monkeypatch.chdir(table.parent)
        table_kwarg, log_dir = f"table_path=./{table.name}", copy
    elif route == "symlink":
        log_dir = tmp_path / "link"
        log_dir.symlink_to(copy, target_is_directory=True)
    else:
        log_dir = copy
    assert main(train_argv(log_dir, table_kwarg, 144, "--resume")) == 0
    assert [steps for steps, _ in checkpoints(copy)][-2:] == [128, 144]
    assert REINFORCE.load(copy / "model.zip", device="cpu").num_timesteps == 144
    config = json.loads((copy / "config.json").read_text())
    assert [entry["total_timesteps"] for entry in config["history"]] == [64, 128, 144]
    assert Path(config["args"]["env_kwargs"]["table_path"]).is_absolute()  # found from any folder


def test_resume_on_another_env_says_which_env_the_run_was_trained_on(
    resumed_run: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = train_argv(resumed_run, table_kwarg, 256, "--resume")
    argv[argv.index(ENV)] = "NAT-CIFAR10-v0"
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert (
        "a run trained on NAT-NB201-CIFAR10-v0 (NAS-Bench-201 cells), not NAT-CIFAR10-v0 (DARTS cells)" in err
    )
    assert "resume it with --env-id NAT-NB201-CIFAR10-v0" in err
    assert [steps for steps, _ in checkpoints(resumed_run)][-1] == 128


@pytest.mark.parametrize(
    ("extra", "cause", "fix"),
    [
        (
            ["--genotype", "DARTS_V2"],
            "the policy in {run} was trained on NAT-NB201-CIFAR10-v0 (NAS-Bench-201 cells)",
            "or a --checkpoint of a run trained on NAT-CIFAR10-v0",
        ),
        (
            ["--genotype", NB201_CELL, "--env-id", "NAT-CIFAR10-v0"],
            "cannot act on NAT-CIFAR10-v0 (DARTS cells)",
            "drop --env-id to use NAT-NB201-CIFAR10-v0",
        ),
    ],
)
def test_transform_with_a_run_of_the_other_space_says_what_to_pass(
    extra: list[str], cause: str, fix: str, resumed_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["transform", "--checkpoint", str(resumed_run), *extra]) == 1
    err = capsys.readouterr().err
    assert cause.format(run=resumed_run) in err
    assert fix in err
    assert "state_dict" not in err


def test_transform_of_a_genotype_of_the_other_space_says_which_env_to_pass(
    table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["transform", "--genotype", "DARTS_V2", "--env-id", ENV, "--env-kwargs", table_kwarg]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "the genotype is made of DARTS cells but NAT-NB201-CIFAR10-v0 (NAS-Bench-201 cells)" in err
    assert "pass --env-id NAT-CIFAR10-v0" in err


def test_a_darts_run_given_nas_bench_201_cells_says_what_to_pass(
    tmp_path: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "darts_run"  # all that the checks before loading read of a NAT-CIFAR10-v0 run
    run.mkdir()
    args = {
        "env_id": "NAT-CIFAR10-v0",
        "algo": "reinforce",
        "policy": "gcn",
        "env_kwargs": {"preset": "tiny"},
    }
    (run / "config.json").write_text(json.dumps({"args": args}))
    (run / "model.zip").write_bytes(b"")
    assert main(["transform", "--genotype", NB201_CELL, "--checkpoint", str(run)]) == 1
    err = capsys.readouterr().err
    assert f"the policy in {run} was trained on NAT-CIFAR10-v0 (DARTS cells)" in err
    assert "pass a genotype of DARTS cells, or a --checkpoint of a run trained on NAT-NB201-CIFAR10-v0" in err
    assert main(train_argv(run, table_kwarg, 64, "--resume")) == 1
    assert "resume it with --env-id NAT-CIFAR10-v0" in capsys.readouterr().err


def test_progress_rounds_up_to_whole_updates_and_never_passes_100(
    tmp_path: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(train_argv(tmp_path, table_kwarg, 40, "--n-eval", "0")) == 0  # updates of 16 steps
    err = capsys.readouterr().err
    assert "--total-timesteps 40 rounds up to 48: learners update after whole rollouts of 16 env steps" in err
    steps = [line for line in err.splitlines() if line.startswith("step ")]
    assert steps[-1].startswith("step 48/48 (100 %)")
    assert all("/48 (" in line for line in steps)


def test_the_report_names_the_split_and_both_shares_of_the_oracle() -> None:
    from agents.evaluation import Scores
    from nat_cli.train import format_scores

    gains = {
        "maximum": {"val": np.array([1.0, 2.0]), "test": np.array([1.0, 1.0])},
        "sampling": {"val": np.array([3.0, 3.0]), "test": np.array([2.0, 2.0])},
        "oracle": {"val": np.array([4.0, 4.0]), "test": np.array([4.0, 4.0])},
    }
    improved = {m: np.array([True, True]) for m in gains}
    text = format_scores(Scores([], gains, improved, 8, "NAS-Bench-201 table", ("val", "test")))
    assert "share of the oracle's validation gain: Maximum 38 %, Sampling 75 %" in text
    assert "share of the oracle's test gain: Maximum 25 %, Sampling 50 %" in text


def test_threads_default_to_one_on_the_table_envs_and_are_recorded(tmp_path: Path, table_kwarg: str) -> None:
    argv = train_argv(tmp_path / "default", table_kwarg, 16, "--algo", "random", "--n-eval", "0")
    assert main(argv) == 0
    assert json.loads((tmp_path / "default" / "config.json").read_text())["provenance"]["torch_threads"] == 1
    argv = train_argv(
        tmp_path / "two", table_kwarg, 16, "--algo", "random", "--n-eval", "0", "--threads", "2"
    )
    assert main(argv) == 0
    assert json.loads((tmp_path / "two" / "config.json").read_text())["provenance"]["torch_threads"] == 2
