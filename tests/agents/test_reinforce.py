"""REINFORCE: learns a trivial transformation, baselines follow the reward, save/load round-trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents import PAPER_SETTINGS, REINFORCE, GCNPolicy, RepeatInput
from tests.agents.conftest import make_env, skip_then_null


def test_learns_a_known_best_rewrite() -> None:
    """SB3's test_identity in spirit: (skip, null, null, ...) is optimal for every β."""
    env = make_env("nb201", "nat", skip_then_null)
    model = REINFORCE(GCNPolicy, env, seed=0, learning_rate=1e-3, n_steps=16).learn(1600)
    for seed in range(100, 110):
        obs, _ = env.reset(seed=seed)
        action, _ = model.predict(obs, deterministic=True)
        assert action.tolist() == [1, 2, 2, 2, 2, 2]


def test_class_defaults_are_the_settings_that_work() -> None:
    model = REINFORCE(GCNPolicy, make_env(), seed=0)
    assert (model.n_steps, model.n_samples) == (32, 4)  # 8 inputs x 4 samples, per-input baseline
    assert model.normalize_advantage
    assert model.ent_coef == pytest.approx(0.01)
    optimizer = model.policy.optimizer
    assert optimizer.defaults["lr"] == pytest.approx(1e-3)
    assert optimizer.defaults["betas"] == (0.5, 0.999)  # the authors' Adam otherwise
    assert optimizer.defaults["weight_decay"] == pytest.approx(5e-4)


def test_paper_settings() -> None:
    model = REINFORCE(GCNPolicy, make_env(), seed=0, **PAPER_SETTINGS)
    assert (model.n_steps, model.n_samples, model.normalize_advantage) == (1, 1, False)
    assert model.policy.optimizer.defaults["lr"] == pytest.approx(3e-4)
    assert model.ent_coef == pytest.approx(0.003)
    assert model.baseline_decay == pytest.approx(0.99)


def test_moving_baseline_is_updated_with_the_reward() -> None:
    model = REINFORCE(GCNPolicy, make_env(), seed=0, n_steps=1, n_samples=1, baseline_decay=0.5)
    returns = np.array([1.0, 1.0, 3.0], np.float32)
    first = model._baselines(np.array([2.0, 2.0], np.float32), [b"a", b"b"])
    np.testing.assert_allclose(first, [2.0, 2.0])  # starts at the first rollout's mean
    model.baseline = 0.0
    np.testing.assert_allclose(model._baselines(returns, [b"a", b"b", b"c"]), [0.0, 0.5, 0.75])
    assert model.baseline == pytest.approx(1.875)  # 0.5 * 0.75 + 0.5 * 3, not the advantage


def test_per_input_baseline_with_repeated_inputs() -> None:
    model = REINFORCE(GCNPolicy, make_env(), seed=0, n_steps=4, n_samples=2)
    assert isinstance(model.get_env().envs[0].env, RepeatInput)  # type: ignore[attr-defined]
    returns = np.array([1.0, 3.0, 5.0, 7.0], np.float32)
    np.testing.assert_allclose(model._baselines(returns, [b"x", b"x", b"y", b"z"])[:2], [3.0, 1.0])
    model.learn(8)


def test_repeat_input_repeats_beta() -> None:
    env = RepeatInput(make_env(), 3)
    betas = [env.reset(seed=0 if i == 0 else None)[1]["beta"] for i in range(6)]
    assert betas[0] == betas[1] == betas[2] != betas[3]
    assert betas[3] == betas[4] == betas[5]


def test_save_load_round_trips_predictions(tmp_path: Path) -> None:
    env = make_env("darts", "nat++")
    model = REINFORCE(GCNPolicy, env, seed=0, n_steps=8, policy_kwargs={"network_kwargs": {"hidden_dim": 16}})
    model.learn(32)
    model.save(tmp_path / "model.zip")
    loaded = REINFORCE.load(tmp_path / "model.zip", env=env)
    assert loaded.baseline == model.baseline
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        expected, _ = model.predict(obs, deterministic=True)
        actual, _ = loaded.predict(obs, deterministic=True)
        np.testing.assert_array_equal(expected, actual)


def _repeat_wrapper(model: REINFORCE) -> object:
    env = model.get_env().envs[0]  # type: ignore[union-attr]
    while not isinstance(env, RepeatInput) and hasattr(env, "env"):
        env = env.env
    return env


def test_load_and_set_env_keep_repeating_inputs(tmp_path: Path) -> None:
    model = REINFORCE(GCNPolicy, make_env("nb201", "nat"), seed=0, n_steps=8, n_samples=4)
    model.learn(16)
    model.save(tmp_path / "model.zip")
    loaded = REINFORCE.load(tmp_path / "model.zip", env=make_env("nb201", "nat"))
    assert loaded.n_samples == 4
    assert isinstance(_repeat_wrapper(loaded), RepeatInput)
    loaded.set_env(make_env("nb201", "nat"))
    assert isinstance(_repeat_wrapper(loaded), RepeatInput)
    loaded.learn(16, reset_num_timesteps=False)


def test_kept_log_probs_are_those_of_the_stored_rollout() -> None:
    """The log-probabilities train() uses (kept from collection) are the policy's for the buffer's rows."""
    import torch as th
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.vec_env import DummyVecEnv

    env = DummyVecEnv([lambda: make_env("darts", "nat"), lambda: make_env("darts", "nat")])
    model = REINFORCE(GCNPolicy, env, seed=0, n_steps=3, n_samples=1)
    model._setup_learn(6, CallbackList([]))
    callback = CallbackList([])
    callback.init_callback(model)
    assert model.collect_rollouts(model.env, callback, model.rollout_buffer, 3)  # type: ignore[arg-type]
    buffer = model.rollout_buffer
    rows = 6
    obs = {
        key: th.as_tensor(value.reshape(rows, *value.shape[2:])) for key, value in buffer.observations.items()
    }  # type: ignore[union-attr]
    actions = th.as_tensor(buffer.actions.reshape(rows, -1))
    _, expected, entropy = model.policy.evaluate_actions(obs, actions)
    assert model._rollout_log_probs is not None
    assert model._rollout_log_probs.requires_grad
    th.testing.assert_close(model._rollout_log_probs, expected)
    th.testing.assert_close(model._rollout_entropies, entropy)


def test_an_exact_env_is_collected_in_a_batch(any_table: Path, tmp_path: Path) -> None:
    import gymnasium as gym
    from stable_baselines3.common.vec_env import VecEnv

    import nat_env  # noqa: F401

    def env() -> gym.Env:  # type: ignore[type-arg]
        return gym.make("NAT-NB201-CIFAR10-v0", table_path=str(any_table))

    plain = REINFORCE(GCNPolicy, env(), seed=0, n_steps=16, n_samples=4)  # n_steps keeps SB3's meaning
    assert (plain.n_envs, plain.n_steps) == (1, 16)
    batched = gym.make_vec("NAT-NB201-CIFAR10-v0", num_envs=16, table_path=str(any_table), n_samples=4)
    model = REINFORCE(GCNPolicy, batched, seed=0, n_steps=1, n_samples=4)
    assert isinstance(model.env, VecEnv)
    assert (model.n_envs, model.n_steps, model.env.get_attr("n_samples")[0]) == (16, 1, 4)
    model.learn(64)
    assert model.num_timesteps == 64
    assert model._n_updates == 4
    model.save(tmp_path / "model.zip")
    loaded = REINFORCE.load(tmp_path / "model.zip", env=env())  # a plain env gets the saved batch back
    assert (loaded.n_envs, loaded.n_steps, loaded.n_samples) == (16, 1, 4)
    assert loaded.get_env().get_attr("n_samples")[0] == 4  # type: ignore[union-attr]
    loaded.set_env(env())
    loaded.learn(32, reset_num_timesteps=False)
    assert loaded.num_timesteps == 96
    with pytest.raises(ValueError, match="multiple of n_samples"):
        gym.make_vec("NAT-NB201-CIFAR10-v0", num_envs=6, table_path=str(any_table), n_samples=4)
    ungrouped = gym.make_vec("NAT-NB201-CIFAR10-v0", num_envs=8, table_path=str(any_table))
    with pytest.raises(ValueError, match="group their inputs"):
        REINFORCE(GCNPolicy, ungrouped, n_steps=1, n_samples=4)
