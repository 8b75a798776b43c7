"""Every agent trains a few hundred steps on every layout, and its actions stay legal."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sb3_contrib import MaskablePPO
from stable_baselines3 import A2C, PPO

from agents import REINFORCE, GCNPolicy, LSTMPolicy, MaskableGCNPolicy, RandomAgent, ReferenceGCNPolicy
from tests.agents.conftest import LAYOUTS, assert_legal, make_env

AGENTS: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "reinforce-gcn": (REINFORCE, GCNPolicy, {"n_steps": 16}),
    "reinforce-reference": (REINFORCE, ReferenceGCNPolicy, {"n_steps": 16}),
    "reinforce-lstm": (REINFORCE, LSTMPolicy, {"n_steps": 16}),
    "ppo-gcn": (PPO, GCNPolicy, {"n_steps": 64, "batch_size": 32, "n_epochs": 2}),
    "a2c-gcn": (A2C, GCNPolicy, {"n_steps": 8}),
    "ppo-mlp": (PPO, "MultiInputPolicy", {"n_steps": 64, "batch_size": 32, "n_epochs": 2}),
    "maskableppo-gcn": (MaskablePPO, MaskableGCNPolicy, {"n_steps": 64, "batch_size": 32, "n_epochs": 2}),
}


@pytest.mark.parametrize(("space", "name"), LAYOUTS)
@pytest.mark.parametrize("agent", list(AGENTS))
def test_agent_runs_and_stays_legal(agent: str, space: str, name: str) -> None:
    algorithm, policy, kwargs = AGENTS[agent]
    # Only the unmasked MLP may propose illegal choices; every other env raises on one.
    env = make_env(space, name, on_illegal="keep" if agent == "ppo-mlp" else "raise")
    model = algorithm(policy, env, seed=0, **kwargs).learn(128)
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        action, _ = model.predict(obs, deterministic=seed > 0)
        if agent != "ppo-mlp":
            assert_legal(env, obs, action)
        env.step(action)


@pytest.mark.parametrize(("space", "name"), LAYOUTS)
def test_random_agent_is_legal_and_covers_choices(space: str, name: str) -> None:
    env = make_env(space, name)
    agent = RandomAgent(seed=0).learn(0)
    obs, _ = env.reset(seed=0)
    batch = {key: np.repeat(value[None], 200, axis=0) for key, value in obs.items()}
    actions, _ = agent.predict(batch)
    assert_legal(env, obs, actions)
    mask = obs["action_mask"].reshape(env.action_space.shape[0], -1).astype(bool)
    assert all(set(actions[:, e]) == set(np.flatnonzero(mask[e])) for e in range(mask.shape[0]))
    single, _ = agent.predict(obs)
    assert single.shape == env.action_space.shape


@pytest.fixture(scope="module")
def registered_envs(any_table: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Builders of every registered env family that needs no GPU (the supernet env on tiny settings)."""
    import gymnasium as gym

    import nat_env  # noqa: F401 - registers the ids
    from tests.data.fake_cifar import write_image_tree

    root = tmp_path_factory.mktemp("registered")
    tree = write_image_tree(root / "tree", train_per_class=30, test_per_class=2, size=16)
    supernet = {"preset": "tiny", "device": "cpu", "archive": str(tree), "cache_dir": str(root / "cache")}
    return {
        "NAT-NB201-CIFAR10-v0": lambda: gym.make("NAT-NB201-CIFAR10-v0", table_path=str(any_table)),
        "NAT-CIFAR10-v0": lambda: gym.make("NAT-CIFAR10-v0", **supernet),
    }


@pytest.mark.slow
@pytest.mark.parametrize("env_id", ["NAT-NB201-CIFAR10-v0", "NAT-CIFAR10-v0"])
@pytest.mark.parametrize("agent", [*AGENTS, "random"])
def test_agent_on_registered_env(agent: str, env_id: str, registered_envs: dict[str, Any]) -> None:
    env = registered_envs[env_id]()
    steps = 128 if env_id == "NAT-CIFAR10-v0" else 256
    if agent == "random":
        model: Any = RandomAgent(seed=0).learn(0)
    else:
        algorithm, policy, kwargs = AGENTS[agent]
        model = algorithm(policy, env, seed=0, device="cpu", **kwargs).learn(steps)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    if agent != "ppo-mlp":
        mask = obs["action_mask"].reshape(env.action_space.shape[0], -1).astype(bool)
        assert mask[np.arange(mask.shape[0]), action].all()
    _, reward, terminated, _, _ = env.step(action)
    assert terminated
    assert -1.0 <= reward <= 1.0
