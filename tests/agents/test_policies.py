"""Edge policies: shapes, masking, and the reference GCN's blindness to an edge's own op."""

from __future__ import annotations

import numpy as np
import pytest
import torch as th
from stable_baselines3.common.utils import ConstantSchedule

from agents import GCNPolicy, LSTMPolicy, ReferenceGCNPolicy
from agents.policies import EdgePolicy
from agents.policies.distribution import EdgeCategorical
from tests.agents.conftest import LAYOUTS, assert_legal, make_env

POLICIES = [GCNPolicy, ReferenceGCNPolicy, LSTMPolicy]


def build(
    policy_class: type[EdgePolicy], space: str, name: str, **kwargs: object
) -> tuple[EdgePolicy, object]:
    env = make_env(space, name)
    return policy_class(env.observation_space, env.action_space, ConstantSchedule(3e-4), **kwargs), env


@pytest.mark.parametrize(("space", "name"), LAYOUTS)
@pytest.mark.parametrize("policy_class", POLICIES)
def test_samples_and_argmax_are_legal(policy_class: type[EdgePolicy], space: str, name: str) -> None:
    policy, env = build(policy_class, space, name)
    for seed in range(3):
        obs, _ = env.reset(seed=seed)  # type: ignore[attr-defined]
        batch = {key: np.repeat(value[None], 64, axis=0) for key, value in obs.items()}
        sampled, _ = policy.predict(batch, deterministic=False)
        assert sampled.shape == (64, env.action_space.shape[0])  # type: ignore[attr-defined]
        assert_legal(env, obs, sampled)  # type: ignore[arg-type]
        best, _ = policy.predict(obs, deterministic=True)
        assert_legal(env, obs, best)  # type: ignore[arg-type]
        tensor, _ = policy.obs_to_tensor(batch)
        _, values, log_prob = policy(tensor)
        assert values.shape == (64, 1)
        assert log_prob.shape == (64,)
        assert th.isfinite(log_prob).all()


def _logits(policy: EdgePolicy, obs: dict[str, np.ndarray]) -> th.Tensor:
    tensor, _ = policy.obs_to_tensor(obs)
    distribution = policy.get_distribution(tensor)
    assert isinstance(distribution, EdgeCategorical)
    return distribution.log_probs[0]


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_reference_gcn_ignores_the_edges_own_op(space: str) -> None:
    th.manual_seed(0)
    reference, env = build(ReferenceGCNPolicy, space, "nat", mask_logits=False)
    ours, _ = build(GCNPolicy, space, "nat", mask_logits=False)
    obs, _ = env.reset(seed=0)  # type: ignore[attr-defined]
    other = {key: value.copy() for key, value in obs.items()}
    edge = 0
    other["edge_op"][edge] = (obs["edge_op"][edge] + 1) % 5
    assert th.allclose(_logits(reference, obs)[edge], _logits(reference, other)[edge])
    assert not th.allclose(_logits(ours, obs)[edge], _logits(ours, other)[edge])


def test_rejects_flat_observations() -> None:
    env = make_env()
    from gymnasium import spaces

    with pytest.raises(ValueError, match="Dict observation"):
        GCNPolicy(spaces.Box(0, 1, (4,)), env.action_space, ConstantSchedule(1e-3))


@pytest.mark.parametrize(("space", "name"), LAYOUTS)
def test_maskable_gcn_scores_actions_as_the_gcn_does(space: str, name: str) -> None:
    """PPO + GCN and MaskablePPO + GCN optimise the same objective: the mask MaskablePPO applies on top
    changes log-probabilities and entropies only by float rounding (their runs drift apart over many
    updates, not by design)."""
    from agents import MaskableGCNPolicy

    plain, _ = build(GCNPolicy, space, name)
    env = make_env(space, name)
    maskable = MaskableGCNPolicy(env.observation_space, env.action_space, ConstantSchedule(3e-4))
    maskable.load_state_dict(plain.state_dict())
    observations = [env.reset(seed=seed)[0] for seed in range(8)]
    batch = {key: np.stack([obs[key] for obs in observations]) for key in observations[0]}
    tensor, _ = plain.obs_to_tensor(batch)
    actions = plain(tensor)[0]
    masks = th.as_tensor(batch["action_mask"]).flatten(1)
    values, log_prob, entropy = plain.evaluate_actions(tensor, actions)
    masked_values, masked_log_prob, masked_entropy = maskable.evaluate_actions(tensor, actions, masks)
    th.testing.assert_close(masked_values, values)
    th.testing.assert_close(masked_log_prob, log_prob, rtol=1e-5, atol=1e-5)
    assert entropy is not None
    assert masked_entropy is not None
    th.testing.assert_close(masked_entropy, entropy, rtol=1e-5, atol=1e-5)
