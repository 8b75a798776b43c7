"""The one-step transformation MDP with a fake evaluator: contract, seeding, checkers, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from nat_env import GraphEncoder, TransformEnv, genotypes, transitions
from nat_env.evaluation import Evaluation, FunctionEvaluator
from nat_env.genotypes import Genotype
from nat_env.sampler import GenotypeSampler


def _accuracy(genotype: Genotype) -> float:
    """Fake validation accuracy: more skip connections are better, nulls are worse."""
    return 0.5 + 0.02 * genotype.ops.count("skip_connect") - 0.01 * genotype.ops.count("none")


class _ExtraEvaluator:
    def evaluate(self, genotypes_: list[Genotype]) -> list[Evaluation]:
        return [Evaluation(_accuracy(g), {"test_acc": 0.1}) for g in genotypes_]


def _env(space: str = "darts", rule: str = "nat", **kwargs: object) -> TransformEnv:
    rules = transitions.get(rule, space)
    sampler = GenotypeSampler(space=space, vocabulary="nat++" if rule == "nat++" else "nat")
    return TransformEnv(FunctionEvaluator(_accuracy), sampler, rules, GraphEncoder(rules, space), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("space", "rule"), [("darts", "nat"), ("darts", "nat++"), ("nb201", "nat"), ("nb201", "nat++")]
)
def test_checkers_pass(space: str, rule: str) -> None:
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    check_env(_env(space, rule), skip_render_check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SB3 warns about 2-D Boxes; our policies expect them
        sb3_check_env(_env(space, rule))


def test_reward_is_the_accuracy_difference() -> None:
    env = _env()
    _, info = env.reset(seed=0, options={"genotype": "DARTS_V2"})
    assert info["beta"] == str(genotypes.get("DARTS_V2"))
    action = transitions.get("nat").keep_action(env.beta)
    action[0] = transitions.SKIP
    _, reward, terminated, truncated, info = env.step(action)
    assert terminated
    assert not truncated
    assert reward == pytest.approx(0.02)
    assert info["acc_alpha"] - info["acc_beta"] == pytest.approx(reward)
    assert info["changed_edges"] == [0]
    assert not info["alpha_equals_beta"]
    assert isinstance(reward, float)


def test_keep_everything_gives_zero() -> None:
    env = _env()
    env.reset(seed=3)
    _, reward, *_, info = env.step(transitions.get("nat").keep_action(env.beta))
    assert reward == 0.0
    assert info["alpha_equals_beta"]


def test_seeding_reproduces_inputs() -> None:
    first, second = _env(), _env()
    assert first.reset(seed=11)[1]["beta"] == second.reset(seed=11)[1]["beta"]
    assert first.reset(seed=11)[1]["beta"] != first.reset(seed=12)[1]["beta"]


def test_reset_accepts_genotype_object_and_text() -> None:
    env = _env()
    beta = genotypes.get("NAT_DARTS")
    assert env.reset(options={"genotype": beta})[1]["beta"] == str(beta)
    assert env.reset(options={"genotype": str(beta)})[1]["beta"] == str(beta)
    with pytest.raises(ValueError, match="does not fit"):
        env.reset(options={"genotype": "ENAS"})


def test_action_masks_match_observation() -> None:
    env = _env()
    observation, _ = env.reset(seed=5)
    assert (env.action_masks() == observation["action_mask"].astype(bool)).all()


def test_illegal_actions_keep_or_raise() -> None:
    env = _env()
    env.reset(options={"genotype": "DARTS_V2"})
    action = np.zeros(16, np.int64)  # "keep" is illegal on the skip edges of DARTS_V2
    *_, info = env.step(action)
    assert info["illegal_edges"] == genotypes.get("DARTS_V2").ops.count("skip_connect")
    assert info["alpha_equals_beta"]
    strict = _env(on_illegal="raise")
    strict.reset(options={"genotype": "DARTS_V2"})
    with pytest.raises(ValueError, match="illegal transition"):
        strict.step(action)
    env.reset(options={"genotype": "DARTS_V2"})
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(5, np.int64))


def test_keep_on_skip_and_null_edges_leaves_them_and_counts_as_illegal() -> None:
    env = _env(space="nb201")
    cell = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|"
    env.reset(options={"genotype": cell})
    *_, info = env.step(np.zeros(6, np.int64))  # keep everywhere
    assert info["alpha_equals_beta"]
    assert info["illegal_edges"] == 4  # two compute edges may keep; the skip and null edges may not


def test_stepping_a_finished_episode_needs_a_reset() -> None:
    env = _env()
    env.reset(seed=0)
    env.step(transitions.get("nat").keep_action(env.beta))
    with pytest.raises(RuntimeError, match=r"episode has ended .* call reset\(\) before step\(\)"):
        env.step(transitions.get("nat").keep_action(env.beta))
    env.reset(seed=1)
    env.step(transitions.get("nat").keep_action(env.beta))


def test_extras_and_cost_reach_info() -> None:
    rules = transitions.get("nat")
    env = TransformEnv(
        _ExtraEvaluator(), GenotypeSampler(), rules, GraphEncoder(rules), cost=lambda g: (len(g.ops), 7)
    )
    env.reset(seed=0)
    *_, info = env.step(rules.keep_action(env.beta))
    assert info["test_acc_beta"] == info["test_acc_alpha"] == 0.1
    assert info["params_alpha"] == 16
    assert info["madds_beta"] == 7


def test_step_before_reset_and_render() -> None:
    env = _env(render_mode="ansi")
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(16, np.int64))
    env.reset(seed=0)
    assert "beta" in str(env.render())
    with pytest.raises(ValueError, match="render_mode"):
        _env(render_mode="human")
