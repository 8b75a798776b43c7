"""The exact-reward environments on the real table (or a generated one): contract, rewards, ecosystem."""

from __future__ import annotations

import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import nat_env
from nat_env import transitions
from nat_env.envs import NB201_IDS
from nat_env.envs.nb201 import load_table
from nat_env.envs.nb201_vector import NB201VecEnv
from nat_env.nb201.cells import codes_of, op_ids


@pytest.fixture(params=sorted(NB201_IDS))
def env_id(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _make(env_id: str, table: Path, **kwargs: object) -> nat_env.TransformEnv:
    return gym.make(env_id, table_path=str(table), **kwargs).unwrapped  # type: ignore[return-value]


def test_checkers(env_id: str, any_table: Path) -> None:
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    check_env(gym.make(env_id, table_path=str(any_table)).unwrapped, skip_render_check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sb3_check_env(_make(env_id, any_table))


def test_reward_is_validation_gain(env_id: str, any_table: Path) -> None:
    env = _make(env_id, any_table)
    evaluator = env.evaluator
    beta = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    env.reset(options={"genotype": beta})
    action = transitions.get("nat", "nb201").keep_action(env.beta)
    action[2] = transitions.NULL
    _, reward, terminated, _, info = env.step(action)
    alpha_code = codes_of(op_ids(nat_env.genotypes.parse(info["alpha"])))
    beta_code = codes_of(op_ids(env.beta))
    assert terminated
    assert reward == pytest.approx(evaluator.val[alpha_code] - evaluator.val[beta_code])
    assert -1.0 <= reward <= 1.0
    assert info["test_accuracy_beta"] == pytest.approx(evaluator.test[beta_code])
    assert info["alpha"].startswith("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|")
    assert not info["alpha_equals_beta"]


def test_real_table_reward_values(real_table: Path) -> None:
    env = _make("NAT-NB201-CIFAR10-v0", real_table)
    best = nat_env.nb201.cells.genotype_of(nat_env.nb201.cells.ops_of(int(np.nanargmax(env.evaluator.val))))
    env.reset(options={"genotype": best})
    _, reward, *_, info = env.step(transitions.get("nat", "nb201").keep_action(env.beta))
    assert reward == 0.0
    assert info["acc_beta"] == pytest.approx(0.91607, abs=1e-5)
    assert info["test_accuracy_beta"] == pytest.approx(0.94373, abs=1e-5)


def test_inputs_fidelity_and_seeding(any_table: Path) -> None:
    env = _make("NAT-NB201-CIFAR10-v0", any_table, inputs="connected", epochs=12)
    assert env.evaluator.epochs == 12
    seen = {env.reset(seed=s)[1]["beta"] for s in range(50)}
    assert all(nat_env.genotypes.parse(b).normal.is_connected for b in seen)
    assert env.reset(seed=3)[1]["beta"] == env.reset(seed=3)[1]["beta"]
    with pytest.raises(ValueError, match="unknown inputs"):
        _make("NAT-NB201-CIFAR10-v0", any_table, inputs="some")
    with pytest.raises(ValueError, match="epochs must be 200 or 12"):
        _make("NAT-NB201-CIFAR10-v0", any_table, epochs=50)


def test_natpp_stays_in_the_space(any_table: Path) -> None:
    env = _make("NAT-NB201-CIFAR10-v0", any_table, transitions="nat++")
    rng = np.random.default_rng(0)
    for seed in range(20):
        env.reset(seed=seed)
        action = transitions.random_legal_action(env.action_masks().reshape(6, -1), rng)
        *_, info = env.step(action)
        nat_env.ops.check_vocabulary(nat_env.genotypes.parse(info["alpha"]).ops, "nb201")


def test_missing_table_error_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAT_NB201_TABLE", raising=False)
    load_table.cache_clear()
    with pytest.raises((ValueError, FileNotFoundError), match="NAT_NB201_TABLE"):
        gym.make("NAT-NB201-CIFAR10-v0")
    with pytest.raises((ValueError, FileNotFoundError), match=r"absent\.csv"):
        gym.make("NAT-NB201-CIFAR10-v0", table_path=str(tmp_path / "absent.csv"))


def test_vector_env_matches_single_env(any_table: Path) -> None:
    vec = NB201VecEnv(8, table_path=str(any_table), seed=0)
    observations = vec.reset()
    masks = vec.action_masks()
    assert (masks == observations["action_mask"].astype(bool)).all()
    rng = np.random.default_rng(0)
    actions = np.stack([transitions.random_legal_action(m.reshape(6, 3), rng) for m in masks])
    env = _make("NAT-NB201-CIFAR10-v0", any_table)
    expected = []
    for i in range(8):
        beta = nat_env.nb201.cells.genotype_of(vec._ops[i])
        env.reset(options={"genotype": beta})
        expected.append(env.step(actions[i])[1])
    _, rewards, dones, infos = vec.step(actions)
    assert dones.all()
    assert rewards == pytest.approx(np.array(expected, np.float32))
    assert "terminal_observation" in infos[0]
    assert vec.env_method("action_masks")[0].shape == (18,)


@pytest.mark.parametrize("algo", ["PPO", "A2C"])
def test_sb3_trains(algo: str, any_table: Path) -> None:
    import stable_baselines3

    env = gym.make("NAT-NB201-CIFAR10-v0", table_path=str(any_table))
    model = getattr(stable_baselines3, algo)("MultiInputPolicy", env, n_steps=32, seed=0, device="cpu")
    model.learn(total_timesteps=96)
    action, _ = model.predict(env.reset(seed=0)[0], deterministic=True)
    assert env.action_space.contains(action)


def test_maskable_ppo_with_masks(any_table: Path) -> None:
    contrib = pytest.importorskip("sb3_contrib")
    env = gym.make("NAT-NB201-CIFAR10-v0", table_path=str(any_table))
    model = contrib.MaskablePPO("MultiInputPolicy", env, n_steps=32, batch_size=32, seed=0, device="cpu")
    model.learn(total_timesteps=64)
    observation, _ = env.reset(seed=1)
    masks = env.unwrapped.action_masks()
    action, _ = model.predict(observation, action_masks=masks, deterministic=True)
    assert masks.reshape(6, 3)[np.arange(6), action].all()


def test_generated_table_runs_episodes(synthetic_table: Path) -> None:
    env = _make("NAT-NB201-CIFAR10-v0", synthetic_table)
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    _, reward, *_ = env.step(env.action_space.sample())
    assert -1.0 <= reward <= 1.0
