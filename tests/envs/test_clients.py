"""Every client from the id string: render modes on every id; SB3, sb3-contrib, make_vec and TorchRL on NB201.

The libraries build the environments themselves from the id (SB3 with ``render_mode="rgb_array"``), so
the table comes from ``NAT_NB201_TABLE``, as it does for a user.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from nat_env.envs import NB201_IDS, SUPERNET_IDS
from nat_env.envs.nb201 import load_table
from tests.data.fake_cifar import write_image_tree, write_tarball

EXACT_ID = "NAT-NB201-CIFAR10-v0"


@pytest.fixture
def table_variable(any_table: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``NAT_NB201_TABLE`` names the test's table (clients pass no keyword arguments)."""
    monkeypatch.setenv("NAT_NB201_TABLE", str(any_table))
    load_table.cache_clear()
    yield any_table
    load_table.cache_clear()


@pytest.fixture(scope="module")
def supernet_kwargs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Keyword arguments for a supernet id on the tiny preset and fake images."""
    root = tmp_path_factory.mktemp("clients-images")
    tree = write_image_tree(root / "tree", train_per_class=50, test_per_class=2)
    return {
        "archive": str(write_tarball(tree, root / "fake.tar.gz")),
        "cache_dir": str(root / "cache"),
        "preset": "tiny",
        "device": "cpu",
        "warmup_steps": 10,
        "reward_images": 64,
    }


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("env_id", sorted(NB201_IDS) + list(SUPERNET_IDS))
def test_every_id_renders_both_modes(
    env_id: str, any_table: Path, supernet_kwargs: dict[str, object]
) -> None:
    kwargs = supernet_kwargs if env_id in SUPERNET_IDS else {"table_path": str(any_table)}
    env = gym.make(env_id, render_mode="rgb_array", **kwargs)
    assert set(env.metadata["render_modes"]) == {"ansi", "rgb_array"}
    env.reset(seed=0)
    before = env.render()
    env.step(env.action_space.sample())
    after = env.render()
    assert isinstance(before, np.ndarray)
    assert isinstance(after, np.ndarray)
    assert before.dtype == np.uint8
    assert before.ndim == 3
    assert before.shape[2] == 3
    assert before.shape == after.shape  # one frame size per episode, for video recorders
    assert not np.array_equal(before, after)
    text = gym.make(env_id, render_mode="ansi", **kwargs)
    text.reset(seed=0)
    assert str(text.render()).startswith("beta:  ")


@pytest.mark.usefixtures("table_variable")
@pytest.mark.parametrize("env_id", sorted(NB201_IDS))
def test_sb3_learns_from_the_id(env_id: str) -> None:
    from stable_baselines3 import PPO

    model = PPO("MultiInputPolicy", env_id, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu")
    assert model.get_env().render_mode == "rgb_array"  # type: ignore[union-attr]
    model.learn(total_timesteps=64)
    assert model.num_timesteps == 64


@pytest.mark.usefixtures("table_variable")
def test_maskable_ppo_learns_from_the_id() -> None:
    contrib = pytest.importorskip("sb3_contrib")
    model = contrib.MaskablePPO("MultiInputPolicy", EXACT_ID, n_steps=32, batch_size=32, seed=0, device="cpu")
    model.learn(total_timesteps=64)
    env = model.get_env()
    masks = np.stack(env.env_method("action_masks"))
    action, _ = model.predict(env.reset(), action_masks=masks, deterministic=True)
    assert masks.reshape(-1, 6, 3)[0, np.arange(6), action[0]].all()


@pytest.mark.usefixtures("table_variable")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec(mode: str) -> None:
    envs = gym.make_vec(EXACT_ID, num_envs=2, vectorization_mode=mode)
    try:
        observations, _ = envs.reset(seed=0)
        assert observations["action_mask"].shape[0] == 2
        _, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())
        assert rewards.shape == (2,)
        assert terminated.all()
        assert not truncated.any()
        assert len(infos["alpha"]) == 2
    finally:
        envs.close()


@pytest.mark.usefixtures("table_variable")
def test_torchrl_gym_env() -> None:
    pytest.importorskip("torchrl")
    from torchrl.envs import GymEnv

    env = GymEnv(EXACT_ID)
    rollout = env.rollout(4, break_when_any_done=False)
    assert rollout.batch_size[0] == 4
    assert rollout["next", "done"].all()
