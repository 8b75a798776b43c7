"""``nat pretrain``: its checkpoint is what ``gym.make(..., checkpoint=...)`` loads, and only there."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
import torch

import nat_env  # noqa: F401 - registers the env ids
from nat_cli.main import main
from nat_env.supernet.calibration import Calibration
from nat_env.supernet.checkpoint import (
    CheckpointMismatch,
    UnreadableCheckpoint,
    read_calibrations,
    read_config,
)
from nat_env.supernet.setup import clear_cache
from tests.data.fake_cifar import write_image_tree

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_image_tree(tmp_path_factory.mktemp("pretrain-images") / "tree", 30, 2, size=16)


@pytest.fixture(autouse=True)
def _fresh_setups() -> None:
    clear_cache()


def pretrain(images: Path, out: Path, *flags: str) -> list[str]:
    return ["pretrain", "--preset", "tiny", "--batches", "4", "--out", str(out), "--archive", str(images),
            "--cache-dir", str(out.parent / "cache"), "--device", "cpu", *flags]  # fmt: skip


def make(env_id: str, images: Path, checkpoint: Path, **kwargs: object) -> gym.Env:  # type: ignore[type-arg]
    options: dict[str, object] = {"preset": "tiny", "device": "cpu", "archive": str(images)}
    options.update(kwargs)
    return gym.make(env_id, checkpoint=str(checkpoint), cache_dir=str(checkpoint.parent / "cache"), **options)


@pytest.mark.parametrize("env_id", ["NAT-CIFAR10-v0", "NAT-NB201-Supernet-CIFAR10-v0"])
def test_the_env_steps_with_the_written_checkpoint(env_id: str, images: Path, tmp_path: Path) -> None:
    out = tmp_path / "supernet.pt"
    assert main(pretrain(images, out, "--env", env_id)) == 0
    config, notes = read_config(out)
    assert config["warmup_steps"] == 4
    assert notes["ranks"] == 1
    env = make(env_id, images, out)
    env.reset(seed=0)
    _, reward, terminated, _, _ = env.step(env.action_space.sample())
    assert terminated
    assert isinstance(reward, float)
    stored = torch.load(out, weights_only=True)["state_dict"]
    loaded = env.unwrapped.supernet_evaluator.supernet.state_dict()  # type: ignore[attr-defined]
    assert all(torch.equal(loaded[name], tensor) for name, tensor in stored.items())


def test_a_checkpoint_of_another_configuration_is_refused(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "supernet.pt"
    assert main(pretrain(images, out)) == 0
    with pytest.raises(CheckpointMismatch, match=r"another configuration; differing keys: .*supernet"):
        make("NAT-CIFAR10-v0", images, out, preset="cpu-small")
    with pytest.raises(CheckpointMismatch, match="training"):
        make("NAT-CIFAR10-v0", images, out, lr=0.5)


def test_a_calibrated_checkpoint_round_trips_and_a_mismatching_one_is_refused(
    images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "supernet.pt"
    calibration = ("calibration_landmarks=4", "calibration_batches=1")
    env_id = "NAT-NB201-Supernet-CIFAR10-v0"
    assert main(pretrain(images, out, "--env", env_id, "--overrides", *calibration)) == 0
    assert "calibrated the reward on 4 landmarks" in capsys.readouterr().out
    (stored,) = read_calibrations(out).values()
    clear_cache()
    env = make(env_id, images, out, calibration_landmarks=4, calibration_batches=1)
    found = env.unwrapped.setup.calibration  # type: ignore[attr-defined]
    assert found is not None
    assert found == Calibration.from_record(stored)
    clear_cache()
    with pytest.raises(CheckpointMismatch, match="holds no reward calibration"):
        make(env_id, images, out, calibration_landmarks=5, calibration_batches=1)
    clear_cache()
    with pytest.raises(CheckpointMismatch, match="holds no reward calibration"):
        make(env_id, images, out, calibration_landmarks=4, calibration_batches=1, reward_images=32)
    assert len(read_calibrations(out)) == 1


def test_without_out_the_checkpoint_lands_where_the_env_cache_looks(images: Path, tmp_path: Path) -> None:
    flags = pretrain(images, tmp_path / "unused.pt")
    flags = flags[: flags.index("--out")] + flags[flags.index("--out") + 2 :]
    assert main(flags) == 0
    written = list((tmp_path / "cache").glob("supernet-*.pt"))
    assert len(written) == 1
    stamp = written[0].stat().st_mtime_ns
    env = gym.make("NAT-CIFAR10-v0", preset="tiny", device="cpu", archive=str(images), warmup_steps=4,
                   cache_dir=str(tmp_path / "cache"))  # fmt: skip
    assert written[0].stat().st_mtime_ns == stamp  # loaded, not trained again and rewritten
    stored = torch.load(written[0], weights_only=True)["state_dict"]
    loaded = env.unwrapped.supernet_evaluator.supernet.state_dict()  # type: ignore[attr-defined]
    assert all(torch.equal(loaded[name], tensor) for name, tensor in stored.items())


def test_a_missing_checkpoint_is_a_one_line_error(images: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no supernet checkpoint"):
        make("NAT-CIFAR10-v0", images, tmp_path / "absent.pt")


def test_a_file_that_is_no_checkpoint_is_refused_in_one_line(
    images: Path, damaged_checkpoints: dict[str, Path]
) -> None:
    for env_id in ("NAT-CIFAR10-v0", "NAT-NB201-Supernet-CIFAR10-v0"):
        for kind, path in damaged_checkpoints.items():
            with pytest.raises(UnreadableCheckpoint) as raised:
                make(env_id, images, path)
            message = str(raised.value)
            assert message.startswith(f"{path} is not a readable nat-gym supernet checkpoint"), kind
            assert "`nat pretrain" in message, kind
            assert "\n" not in message, kind


def test_a_checkpoint_that_cannot_be_written_is_named(
    images: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "supernet.pt"
    assert main(pretrain(images, out)) == 0
    before = out.read_bytes()

    def too_large(obj: object, file: object) -> None:
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(torch, "save", too_large)
    capsys.readouterr()
    assert main(pretrain(images, out)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"nat pretrain: error: cannot write {out} (File too large); the previous supernet.pt is intact"
    ]
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "supernet.pt"]


@pytest.mark.slow
def test_torchrun_two_processes_write_a_checkpoint_the_env_loads(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "ddp.pt"
    torchrun = Path(sys.executable).with_name("torchrun")
    command = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "nat_cli"]
    command += [a if a != "4" else "20" for a in pretrain(images, out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run(command, check=True, cwd=ROOT, env=env, timeout=300)
    assert read_config(out)[1]["ranks"] == 2
    steps = make("NAT-CIFAR10-v0", images, out)
    steps.reset(seed=0)
    assert steps.step(steps.action_space.sample())[2]
