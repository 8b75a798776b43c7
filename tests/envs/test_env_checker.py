"""Gymnasium's env checker passes on every registered id, every advertised render mode included, on a base
install: matplotlib (the ``plot`` extra) is hidden, so ``rgb_array`` frames must come from Pillow. And the
order Gymnasium's checkers expect holds: a finished one-step episode is stepped again only after ``reset``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

from nat_env.envs import NB201_IDS, SUPERNET_IDS
from tests.data.fake_cifar import write_image_tree, write_tarball

CHECK = """
import json, sys
sys.modules["matplotlib"] = None  # a base install: importing matplotlib fails
import gymnasium as gym
from gymnasium.utils.env_checker import check_env
import nat_env  # registers the ids
for env_id, kwargs in json.loads(sys.argv[1]):
    env = gym.make(env_id, **kwargs)
    check_env(env.unwrapped)  # makes the env in every render mode of its metadata and renders it
    frames = gym.make(env_id, render_mode="rgb_array", **kwargs)
    frames.reset(seed=0)
    before = frames.render()
    frames.step(frames.action_space.sample())
    after = frames.render()
    assert before.shape == after.shape and before.dtype.name == "uint8", (before.shape, after.shape)
    print(env_id, env.metadata["render_modes"], after.shape)
"""


def _check(cases: list[tuple[str, dict[str, object]]]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(cases)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


def test_the_table_ids_pass_without_matplotlib(any_table: Path) -> None:
    lines = _check([(env_id, {"table_path": str(any_table)}) for env_id in sorted(NB201_IDS)])
    assert [line.split()[0] for line in lines] == sorted(NB201_IDS)
    assert all("'rgb_array'" in line for line in lines)


def test_the_supernet_ids_pass_without_matplotlib(tmp_path: Path) -> None:
    archive = write_tarball(write_image_tree(tmp_path / "tree", 20, 2), tmp_path / "images.tar.gz")
    kwargs = {
        "preset": "tiny", "device": "cpu", "warmup_steps": 4, "reward_images": 32,
        "archive": str(archive), "cache_dir": str(tmp_path / "cache"),
    }  # fmt: skip
    lines = _check([(env_id, kwargs) for env_id in SUPERNET_IDS])
    assert [line.split()[0] for line in lines] == list(SUPERNET_IDS)


def test_stepping_a_finished_episode_of_a_table_id_needs_a_reset(any_table: Path) -> None:
    for env_id in sorted(NB201_IDS):
        env = gym.make(env_id, table_path=str(any_table))
        env.reset(seed=0)
        env.step(env.action_space.sample())
        with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
            env.step(env.action_space.sample())
        env.reset(seed=1)
        assert env.step(env.action_space.sample())[2]
