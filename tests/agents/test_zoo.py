"""The learner registry: names, the settings that work, safe loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from stable_baselines3 import A2C, PPO

from agents import REINFORCE, RandomAgent
from agents.zoo import LEARNERS, LearnerError, LearnerSpec, load_learner, make_learner
from tests.agents.conftest import make_env


def test_names_round_trip() -> None:
    for name in LEARNERS:
        assert LearnerSpec.parse(name).name == name
    assert LearnerSpec.parse("random").algo == "random"


@pytest.mark.parametrize("name", LEARNERS)
def test_every_learner_builds(name: str) -> None:
    if name.startswith("maskable"):
        pytest.importorskip("sb3_contrib")
    model = make_learner(LearnerSpec.parse(name, device="cpu"), make_env(on_illegal="keep"))
    expected = {"reinforce": REINFORCE, "ppo": PPO, "a2c": A2C, "random": RandomAgent}.get(name.split("-")[0])
    if expected is not None:
        assert isinstance(model, expected)


def test_settings_of_each_algorithm() -> None:
    env = make_env(on_illegal="keep")
    reinforce = make_learner("reinforce-gcn", env)
    assert isinstance(reinforce, REINFORCE)
    assert (reinforce.n_steps, reinforce.n_samples, reinforce.ent_coef) == (32, 4, 0.01)  # one env: no table
    odd = make_learner(LearnerSpec(n_steps=6), env)
    assert isinstance(odd, REINFORCE)
    assert odd.n_samples == 1  # 4 samples per input do not divide 6 steps
    ppo = make_learner("ppo-gcn", env)
    assert isinstance(ppo, PPO)
    assert (ppo.n_steps, ppo.batch_size, ppo.n_epochs) == (64, 64, 4)
    a2c = make_learner("a2c-mlp", env)
    assert isinstance(a2c, A2C)
    assert a2c.n_steps == 16


def test_bad_names_are_refused() -> None:
    with pytest.raises(LearnerError, match="unknown algorithm"):
        LearnerSpec.parse("sarsa-gcn")
    with pytest.raises(LearnerError, match="unknown policy"):
        LearnerSpec.parse("ppo-transformer")
    with pytest.raises(LearnerError, match="maskable_ppo uses"):
        LearnerSpec.parse("maskable_ppo-mlp")


def test_load_learner_round_trips_and_refuses_other_files(tmp_path: Path) -> None:
    env = make_env(on_illegal="keep")
    spec = LearnerSpec(n_steps=8, device="cpu")
    model = make_learner(spec, env)
    assert isinstance(model, REINFORCE)
    model.learn(16)
    model.save(tmp_path / "model.zip")
    loaded = load_learner(tmp_path / "model.zip", spec, env)
    assert loaded.num_timesteps == 16
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(LearnerError, match="not a Stable-Baselines3 checkpoint"):
        load_learner(tmp_path / "junk.zip", spec, env)


@pytest.mark.parametrize(
    ("name", "n_steps", "n_envs", "n_samples"),
    [
        ("reinforce-gcn", None, 32, 4),
        ("reinforce-gcn", 6, 6, 1),
        ("ppo-gcn", None, 64, 1),
        ("a2c-gcn", None, 16, 1),
    ],
)
def test_an_exact_env_is_collected_as_one_batch_per_update(
    name: str, n_steps: int | None, n_envs: int, n_samples: int, synthetic_table: Path
) -> None:
    """The collection path of the committed learner results (benchmarks/results/learners/): an update's
    episodes come from that many envs of the batched form, one step each, in groups of n_samples."""
    import gymnasium as gym

    from nat_env.envs.nb201_vector import NB201VecEnv

    spec = LearnerSpec.parse(name, n_steps=n_steps, device="cpu")
    model = make_learner(spec, gym.make("NAT-NB201-CIFAR10-v0", table_path=str(synthetic_table)))
    assert not isinstance(model, RandomAgent)
    assert (model.n_envs, model.n_steps) == (n_envs, 1)
    vector = model.get_env().venv.venv  # type: ignore[union-attr]  # VecMonitor > adapter > batched env
    assert isinstance(vector, NB201VecEnv)
    assert vector.n_samples == n_samples
