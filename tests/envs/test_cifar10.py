"""The NAT-CIFAR10 environment on generated images (fast) and on the shared JPEG copy (slow)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from agents.batching import SupernetVecEnv
from nat_env.envs.supernet import SupernetEnv, make_cifar10_env
from nat_env.records import CacheWarning
from nat_env.supernet.setup import clear_cache
from tests.conftest import shared_file
from tests.envs.conftest import tiny_supernet_env

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_env(archive: Path, cache: Path, **kwargs: object) -> SupernetEnv:
    return tiny_supernet_env(make_cifar10_env, archive, cache, **kwargs)


def test_checkers_pass(archive: Path, cache: Path) -> None:
    env = tiny_env(archive, cache)
    gym_check_env(env, skip_render_check=True)
    sb3_check_env(tiny_env(archive, cache), warn=True)


def test_step_info_and_shared_supernet(archive: Path, cache: Path) -> None:
    env = tiny_env(archive, cache)
    other = tiny_env(archive, cache)
    assert env.supernet_evaluator.supernet is other.supernet_evaluator.supernet
    env.reset(seed=1)
    keep = env.transitions.keep_action(env.beta)
    _, reward, terminated, truncated, info = env.step(keep)
    assert reward == 0.0
    assert terminated
    assert not truncated
    assert info["reward_images_beta"] == 64
    assert info["params_alpha"] == info["params_beta"] > 0


def test_a_damaged_cached_supernet_is_set_aside_and_warmed_up_again(archive: Path, tmp_path: Path) -> None:
    options = {"preset": "tiny", "device": "cpu", "warmup_steps": 2, "reward_images": 64}
    gym.make("NAT-CIFAR10-v0", archive=str(archive), cache_dir=str(tmp_path), **options)
    (cached,) = tmp_path.glob("supernet-*.pt")
    cached.write_bytes(cached.read_bytes()[:1000])
    clear_cache()
    with pytest.warns(
        CacheWarning, match=rf"{cached.name} does not load .*set aside as .*{cached.name}\.corrupt"
    ):
        env = gym.make("NAT-CIFAR10-v0", archive=str(archive), cache_dir=str(tmp_path), **options)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    assert cached.with_name(cached.name + ".corrupt").stat().st_size == 1000
    clear_cache()
    stamp = cached.stat().st_mtime_ns
    gym.make("NAT-CIFAR10-v0", archive=str(archive), cache_dir=str(tmp_path), **options)
    assert cached.stat().st_mtime_ns == stamp  # the rebuilt entry loads


def test_unknown_override_is_refused(archive: Path, cache: Path) -> None:
    with pytest.raises(ValueError, match="unknown override"):
        tiny_env(archive, cache, layerz=3)


def test_online_mode_trains_between_episodes(archive: Path, cache: Path) -> None:
    env = tiny_env(archive, cache, supernet_mode="online", warmup_steps=0)
    schedule = env.setup.schedule
    assert schedule is not None
    before = schedule.trainer.steps_done
    for _ in range(3):
        env.reset()
        env.step(env.action_space.sample())
    assert schedule.trainer.steps_done == before + 2


def test_nat_plus_plus(archive: Path, cache: Path) -> None:
    env = tiny_env(archive, cache, transitions="nat++")
    env.reset(seed=0)
    _, reward, *_ = env.step(env.action_space.sample())
    assert -1.0 <= reward <= 1.0
    with pytest.raises(TypeError, match="space"):  # NAS-Bench-201 cells have their own id
        tiny_env(archive, cache, space="nb201")


def test_vector_env_groups_evaluations(archive: Path, cache: Path) -> None:
    vec = SupernetVecEnv([lambda: tiny_env(archive, cache) for _ in range(3)])
    vec.seed(0)
    obs = vec.reset()
    assert obs["action_mask"].shape[0] == 3
    masks = vec.action_masks()
    assert masks.shape == (3, vec.action_space.nvec.sum())  # type: ignore[union-attr]
    assert np.array_equal(np.stack(vec.env_method("action_masks")), masks)
    evaluator = vec.transform_envs[0].supernet_evaluator
    calls = evaluator.calls
    betas = [env.beta for env in vec.transform_envs]
    actions = np.stack([vec.action_space.sample() for _ in range(3)])
    _, rewards, dones, infos = vec.step(actions)
    assert evaluator.calls == calls + 1
    assert vec.grouped_calls == 1
    assert all(e.supernet_evaluator.calls == 0 for e in vec.transform_envs[1:])
    assert rewards.shape == (3,)
    assert dones.all()
    assert all("terminal_observation" in info for info in infos)
    # each env's step is concluded with its own pair: the reward is the difference its info reports
    for beta, reward, info in zip(betas, rewards, infos, strict=True):
        assert info["beta"] == str(beta)
        assert reward == pytest.approx(info["acc_alpha"] - info["acc_beta"])


@pytest.mark.slow
def test_real_cifar10_jpeg_copy(tmp_path_factory: pytest.TempPathFactory) -> None:
    path = shared_file("NAT_CIFAR10_ARCHIVE", "data/cifar10-jpeg.tar.gz")
    if path is None:
        pytest.skip("the CIFAR-10 JPEG tarball is absent (set NAT_CIFAR10_ARCHIVE or put ../shared/data/)")
    cache = tmp_path_factory.getbasetemp() / "real-cifar-cache"
    env = make_cifar10_env(
        archive=str(path), cache_dir=str(cache), preset="tiny", device="cpu", warmup_steps=5
    )
    data = env.supernet_evaluator.data
    assert len(data.weights_labels) == 200
    assert len(data.reward_labels) == 300
    env.reset(seed=0)
    _, reward, *_ = env.step(env.action_space.sample())
    assert -1.0 <= reward <= 1.0
    assert isinstance(gym.spaces.Dict, type)
