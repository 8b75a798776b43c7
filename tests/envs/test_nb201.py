"""The exact-reward environments on the real table (or a generated one): contract, rewards, ecosystem."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import nat_env
from nat_env import transitions
from nat_env.encoding import GraphEncoder
from nat_env.envs import NB201_IDS
from nat_env.envs.nb201 import TableSampler, load_table
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


def test_an_argument_the_exact_env_does_not_take_names_the_accepted_ones(any_table: Path) -> None:
    with pytest.raises(TypeError) as raised:
        gym.make("NAT-NB201-CIFAR10-v0", table_path=str(any_table), preset="tiny")
    message = str(raised.value)
    assert message.startswith("NAT-NB201-CIFAR10-v0 takes no argument 'preset'; it accepts: epochs, inputs,")
    assert "table_path" in message
    assert "'preset' is an argument of NAT-CIFAR10-v0, NAT-NB201-Supernet-CIFAR10-v0" in message


def test_an_unknown_genotype_name_in_reset_suggests_the_closest(any_table: Path) -> None:
    env = gym.make("NAT-NB201-CIFAR10-v0", table_path=str(any_table))
    with pytest.raises(ValueError, match="unknown genotype 'DARTS_V3' \\(did you mean DARTS_V2"):
        env.reset(options={"genotype": "DARTS_V3"})


def test_vector_env_matches_single_env(any_table: Path) -> None:
    vec = NB201VecEnv(8, table_path=str(any_table), seed=0)
    observations, _ = vec.reset()
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
    _, rewards, terminated, truncated, infos = vec.step(actions)
    assert terminated.all()
    assert not truncated.any()
    assert rewards == pytest.approx(np.array(expected, np.float32))
    assert infos["acc_alpha"] - infos["acc_beta"] == pytest.approx(rewards)
    assert infos["final_obs"][0]["action_mask"].shape == (18,)


@pytest.mark.parametrize("rule", ["nat", "nat++"])
def test_vector_env_of_an_env_steps_as_the_env_does(rule: str, any_table: Path) -> None:
    env = _make("NAT-NB201-CIFAR100-v0", any_table, transitions=rule, inputs="connected")
    assert isinstance(env, nat_env.envs.nb201.NB201Env)
    vec = env.vector_env(12, n_samples=3, seed=0)
    assert vec.single_action_space == env.action_space
    rng = np.random.default_rng(0)
    observations, _ = vec.reset()
    for _ in range(5):
        codes = vec._codes.copy()
        assert (codes.reshape(4, 3) == codes.reshape(4, 3)[:, :1]).all()  # groups of 3 share an input
        assert np.isin(codes, env.sampler.codes).all()
        masks = vec.action_masks()
        actions = rng.integers(0, env.action_space.nvec, size=(12, 6))  # type: ignore[attr-defined]
        expected = []
        for i in range(12):
            obs, _ = env.reset(options={"genotype": nat_env.nb201.cells.genotype_of_code(int(codes[i]))})
            assert all(np.array_equal(obs[key], observations[key][i]) for key in obs)
            assert np.array_equal(env.action_masks(), masks[i])
            expected.append(env.step(actions[i])[1])
        observations, rewards, terminated, _, _ = vec.step(actions)
        assert terminated.all()
        np.testing.assert_allclose(rewards, np.array(expected, np.float32))


def test_vector_env_refuses_bad_actions(any_table: Path) -> None:
    vec = NB201VecEnv(4, table_path=str(any_table), seed=0)
    vec.reset()
    for bad, message in [
        (np.zeros((4, 5), np.int64), "shape"),
        (np.full((4, 6), 3), "0..2"),
        (np.full((4, 6), 0.5), "whole"),
    ]:
        with pytest.raises(ValueError, match=message):
            vec.step(bad)
    with pytest.raises(ValueError, match="multiple"):
        NB201VecEnv(6, table_path=str(any_table), n_samples=4)
    strict = NB201VecEnv(64, table_path=str(any_table), seed=0, on_illegal="raise")
    strict.reset()
    on_skip = strict._ops == nat_env.nb201.cells.SKIP
    assert on_skip.any()
    with pytest.raises(ValueError, match="illegal"):
        strict.step(np.where(on_skip, 0, 2))  # "keep" on a skip edge is forbidden under NAT


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


def _composed(env: nat_env.TransformEnv, parts: str = "genotype") -> nat_env.TransformEnv:
    """The env as :class:`TransformEnv` composes it: of genotype-level transitions and encoder, or of the
    exact env's own table-backed ones."""
    rules = transitions.get(env.transitions.name, "nb201")
    composed = nat_env.TransformEnv(
        env.evaluator,
        TableSampler(env.sampler.codes),
        rules if parts == "genotype" else env.transitions,
        GraphEncoder(rules, "nb201") if parts == "genotype" else env.encoder,
        on_illegal=env.on_illegal,
    )
    composed.truth = env.evaluator
    return composed


def _same_observation(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert np.array_equal(a[key], b[key]), key


@pytest.mark.parametrize("parts", ["genotype", "tables"])
@pytest.mark.parametrize(("rule", "on_illegal"), [("nat", "keep"), ("nat", "raise"), ("nat++", "keep")])
def test_code_env_matches_the_composed_env(rule: str, on_illegal: str, parts: str, any_table: Path) -> None:
    fast = _make("NAT-NB201-CIFAR10-v0", any_table, transitions=rule, on_illegal=on_illegal)
    slow = _composed(fast, parts)
    rng = np.random.default_rng(0)
    for seed in range(400):
        (obs_f, info_f), (obs_s, info_s) = fast.reset(seed=seed), slow.reset(seed=seed)
        _same_observation(obs_f, obs_s)
        assert info_f == info_s
        assert np.array_equal(fast.action_masks(), slow.action_masks())
        action = rng.integers(0, fast.action_space.nvec[0], 6)
        if seed % 3 == 0:  # a legal action as often as an arbitrary one
            action = transitions.random_legal_action(slow.action_masks().reshape(6, -1), rng)
        try:
            expected = slow.step(action)
        except ValueError as error:
            with pytest.raises(ValueError, match=re.escape(str(error))):
                fast.step(action)
            continue
        observation, reward, terminated, truncated, info = fast.step(action)
        _same_observation(observation, expected[0])
        assert (reward, terminated, truncated) == expected[1:4]
        assert type(reward) is float
        assert list(info.items()) == list(expected[4].items())
        assert fast.alpha == slow.alpha
        assert fast.beta == slow.beta


def test_code_env_edge_cases(any_table: Path) -> None:
    fast = _make("NAT-NB201-CIFAR10-v0", any_table)
    slow = _composed(fast)
    spec = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
    _same_observation(fast.reset(options={"genotype": spec})[0], slow.reset(options={"genotype": spec})[0])
    whole_floats = np.array([0, 1, 2, 0, 2, 1], np.float64)
    assert fast.step(whole_floats)[4] == slow.step(whole_floats)[4]
    fast.reset(options={"genotype": spec})  # a finished episode refuses any step
    for bad in (np.zeros(5, np.int64), np.full(6, 3), np.full(6, 0.5)):
        with pytest.raises(ValueError, match="action"):
            fast.step(bad)
    with pytest.raises(ValueError, match="does not fit"):
        fast.reset(options={"genotype": "DARTS_V2"})
    with pytest.raises(RuntimeError, match="reset"):
        _make("NAT-NB201-CIFAR10-v0", any_table).step(np.zeros(6, np.int64))


def test_make_vec_returns_the_batched_env_and_wastes_no_step(env_id: str, any_table: Path) -> None:
    vec = gym.make_vec(env_id, num_envs=8, table_path=str(any_table), n_samples=2)
    assert isinstance(vec, NB201VecEnv)
    assert vec.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    vec.reset(seed=3)
    env = _make(env_id, any_table)
    rng = np.random.default_rng(0)
    for _ in range(4):  # every step ends every episode and starts the next: rewards are all real
        codes = vec.input_codes
        actions = np.stack(
            [transitions.random_legal_action(m.reshape(6, 3), rng) for m in vec.action_masks()]
        )
        expected = []
        for code, action in zip(codes, actions, strict=True):
            env.reset(options={"genotype": nat_env.nb201.cells.genotype_of_code(int(code))})
            expected.append(env.step(action)[1])
        _, rewards, terminated, _, _ = vec.step(actions)
        assert terminated.all()
        np.testing.assert_allclose(rewards, np.array(expected, np.float32))
        assert not np.array_equal(vec.input_codes, codes)  # the next inputs are drawn in the same step
    again = gym.make_vec(env_id, num_envs=8, table_path=str(any_table), n_samples=2)
    assert np.array_equal(again.reset(seed=3)[0]["edge_op"], vec.reset(seed=3)[0]["edge_op"])


def test_importing_nat_env_imports_no_stable_baselines3() -> None:
    import subprocess
    import sys

    code = (
        "import sys, nat_env, gymnasium as g; assert 'stable_baselines3' not in sys.modules, 'SB3 imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
