"""NAT-NB201-Supernet-CIFAR10-v0: the exact env's contract with supernet rewards and the table's truth."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import nat_env
from nat_env.envs.supernet import SupernetEnv, make_nb201_supernet_env, save_scores
from nat_env.nb201 import NB201Table, TableEvaluator
from nat_env.nb201.cells import code_of, genotype_of_code
from nat_env.records import CacheWarning
from nat_env.supernet.setup import clear_cache
from tests.envs.conftest import tiny_supernet_env

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny(archive: Path, cache: Path, **kwargs: object) -> SupernetEnv:
    return tiny_supernet_env(make_nb201_supernet_env, archive, cache, **kwargs)


def test_checkers_pass(archive: Path, cache: Path, any_table: Path) -> None:
    gym_check_env(tiny(archive, cache, table_path=any_table), skip_render_check=True)
    sb3_check_env(tiny(archive, cache, table_path=any_table), warn=True)


def test_same_contract_as_the_exact_env(archive: Path, cache: Path, any_table: Path) -> None:
    proxy = tiny(archive, cache, table_path=any_table)
    exact = gym.make("NAT-NB201-CIFAR10-v0", table_path=str(any_table))
    assert proxy.observation_space == exact.observation_space
    assert proxy.action_space == exact.action_space
    spec = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
    obs_p, _ = proxy.reset(seed=3, options={"genotype": spec})
    obs_e, _ = exact.reset(seed=3, options={"genotype": spec})
    for key in obs_e:
        assert np.array_equal(obs_p[key], obs_e[key]), key
    assert np.array_equal(proxy.action_masks(), exact.unwrapped.action_masks())  # type: ignore[attr-defined]


def test_reward_is_the_supernet_difference_and_info_carries_the_truth(
    archive: Path, cache: Path, any_table: Path
) -> None:
    env = tiny(archive, cache, table_path=any_table)
    env.reset(seed=0)
    beta = env.beta
    _, reward, terminated, _, info = env.step(np.array([2, 1, 0, 2, 1, 0]))
    assert terminated
    assert reward == pytest.approx(info["acc_alpha"] - info["acc_beta"])
    table = TableEvaluator(NB201Table.load(any_table))
    truth = table.evaluate([beta, nat_env.genotypes.parse(info["alpha"])])
    assert info["table_val_accuracy_beta"] == truth[0].accuracy
    assert info["test_accuracy_alpha"] == truth[1].extra["test_accuracy"]
    assert "NAS-Bench-201 table" in info["truth"]
    keep = env.transitions.keep_action(env.beta)
    env.reset(seed=0)
    assert env.step(keep)[1] == 0.0


def test_rewards_are_remembered_on_a_fixed_window(archive: Path, cache: Path) -> None:
    env = tiny(archive, cache)
    evaluator = env.supernet_evaluator
    assert evaluator.window == "fixed"
    assert evaluator.memo is not None
    env.reset(seed=5)
    first = env.step(np.array([0, 1, 2, 0, 1, 2]))[1]
    known = len(evaluator.memo)
    env.reset(seed=5)
    again = env.step(np.array([0, 1, 2, 0, 1, 2]))[1]
    assert again == first
    assert len(evaluator.memo) == known  # nothing computed twice
    other = tiny(archive, cache)
    assert other.supernet_evaluator is evaluator  # one per configuration and process


def test_remembered_scores_survive_the_process(archive: Path, cache: Path) -> None:
    env = tiny(archive, cache, seed=2)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    path = save_scores(env)
    assert path is not None
    assert path.is_file()
    remembered = dict(env.supernet_evaluator.memo or {})
    clear_cache()
    fresh = tiny(archive, cache, seed=2)
    assert fresh.supernet_evaluator.memo == remembered


def test_saving_scores_keeps_those_another_process_saved(archive: Path, cache: Path) -> None:
    env = tiny(archive, cache, seed=4)
    evaluator = env.supernet_evaluator
    mine, theirs, later = (genotype_of_code(c).pruned() for c in (100, 200, 300))
    evaluator.remembered([mine])
    path = save_scores(env)
    assert path is not None
    # another process on the same weights and window adds its cell to the file meanwhile
    path.write_text(json.dumps({**json.loads(path.read_text()), str(theirs): 0.5}))
    evaluator.remembered([later])
    assert save_scores(env) == path
    saved = json.loads(path.read_text())
    assert set(saved) == {str(mine), str(theirs), str(later)}
    assert saved[str(theirs)] == 0.5


@pytest.mark.parametrize("damage", ['{"|nor_conv_3x3~0|+|none~0|none~1|+|skip', '["not", "a", "memo"]'])
def test_a_damaged_score_memo_is_set_aside_and_rebuilt(archive: Path, cache: Path, damage: str) -> None:
    env = tiny(archive, cache, seed=3)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    path = save_scores(env)
    assert path is not None
    path.write_text(damage)
    clear_cache()
    with pytest.warns(
        CacheWarning, match=rf"{path.name} does not load .*set aside as .*{path.name}\.corrupt"
    ):
        fresh = tiny(archive, cache, seed=3)
    assert fresh.supernet_evaluator.memo == {}
    assert path.with_name(path.name + ".corrupt").read_text() == damage
    fresh.reset(seed=0)
    fresh.step(fresh.action_space.sample())
    assert save_scores(fresh) == path  # rebuilt in place
    rebuilt = dict(fresh.supernet_evaluator.memo or {})
    clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert tiny(archive, cache, seed=3).supernet_evaluator.memo == rebuilt


def test_without_a_table_the_truth_is_unavailable(
    archive: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NAT_NB201_TABLE", raising=False)
    env = tiny(archive, cache)
    _, info = env.reset(seed=0)
    assert info["truth"].startswith("unavailable")
    _, _, _, _, info = env.step(env.action_space.sample())
    assert "test_accuracy_alpha" not in info
    assert env.truth is None


def test_connected_inputs_and_the_registered_id(archive: Path, cache: Path, any_table: Path) -> None:
    env = gym.make(
        "NAT-NB201-Supernet-CIFAR10-v0",
        preset="tiny",
        device="cpu",
        warmup_steps=10,
        reward_images=64,
        archive=str(archive),
        cache_dir=str(cache),
        inputs="connected",
        table_path=str(any_table),
    )
    for seed in range(20):
        env.reset(seed=seed)
        assert env.unwrapped.beta.normal.is_connected  # type: ignore[attr-defined]
    assert code_of(env.unwrapped.beta) >= 0  # type: ignore[attr-defined]


def test_online_mode_rotates_and_does_not_remember(archive: Path, cache: Path) -> None:
    env = tiny(archive, cache, supernet_mode="online", warmup_steps=0)
    assert env.supernet_evaluator.window == "rotating"
    assert env.supernet_evaluator.memo is None
    assert env.setup.schedule is not None


def test_a_warm_up_below_the_faithful_budget_warns(
    archive: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="nat_env.supernet.setup"):
        tiny(archive, cache, faithful_from=1000)
    assert "below 1000" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="nat_env.supernet.setup"):
        tiny(archive, cache, warmup_steps=12, faithful_from=12)
    assert "below" not in caplog.text
