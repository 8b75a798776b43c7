"""EdgeCategorical and the lean GCN convolution agree with what they replace (SB3's distribution, PyG's conv)."""

from __future__ import annotations

import torch as th
from stable_baselines3.common.distributions import MultiCategoricalDistribution
from torch_geometric.nn import DenseGCNConv

from agents.policies.distribution import EdgeCategorical
from agents.policies.gcn import convolve, gcn_adjacency
from agents.policies.inputs import HUGE_NEGATIVE


def _logits(batch: int = 5, edges: int = 6, choices: int = 3) -> th.Tensor:
    gen = th.Generator().manual_seed(0)
    logits = th.randn(batch, edges, choices, generator=gen)
    logits[:, 0, 0] = HUGE_NEGATIVE  # a masked choice
    return logits.flatten(1)


def test_matches_sb3_multicategorical() -> None:
    logits = _logits()
    ours = EdgeCategorical(6, 3).proba_distribution(logits)
    sb3 = MultiCategoricalDistribution([3] * 6).proba_distribution(logits)
    actions = th.randint(0, 3, (5, 6), generator=th.Generator().manual_seed(1))
    actions[:, 0] = 1  # legal
    th.testing.assert_close(ours.log_prob(actions), sb3.log_prob(actions))
    th.testing.assert_close(ours.entropy(), sb3.entropy())
    assert th.equal(ours.mode(), sb3.mode())


def test_samples_follow_the_probabilities_and_never_a_masked_choice() -> None:
    logits = _logits(batch=1).repeat(4000, 1)
    th.manual_seed(0)
    samples = EdgeCategorical(6, 3).proba_distribution(logits).sample()
    assert samples.shape == (4000, 6)
    assert samples.dtype == th.long
    assert (samples[:, 0] != 0).all()
    expected = th.softmax(logits[0].reshape(6, 3), -1)
    observed = th.stack([(samples == k).float().mean(0) for k in range(3)], -1)
    assert (observed - expected).abs().max() < 0.03


def test_convolve_equals_dense_gcn_conv() -> None:
    th.manual_seed(0)
    adjacency = (th.rand(4, 7, 7) < 0.3).float()
    adjacency[0, 2, 2] = 1.0  # a self-loop already present
    h = th.randn(4, 7, 16)
    for bias in (True, False):
        conv = DenseGCNConv(16, 8, bias=bias)
        with th.no_grad():
            if conv.bias is not None:
                conv.bias.normal_()
        th.testing.assert_close(convolve(conv, h, gcn_adjacency(adjacency)), conv(h, adjacency))
