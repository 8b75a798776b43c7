"""Supernet training recipes against the reward's bias: weight averaging and size-scaled learning rates."""

from __future__ import annotations

import pytest
import torch

from nat_env.data import CifarData
from nat_env.genotypes import Genotype, nb201_cell
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.setup import make_spec
from nat_env.supernet.training import (
    SupernetTrainer,
    TrainingConfig,
    convolution_share,
    train_supernet,
    training_signature,
)

NB201 = SupernetConfig(space="nb201", vocabulary="nb201", layers=1, channels=8)
CELL = Genotype(
    nb201_cell(["nor_conv_3x3", "skip_connect", "nor_conv_1x1", "none", "avg_pool_3x3", "nor_conv_3x3"])
)


class Fixed:
    """Always the same genotype."""

    def sample(self, rng: object) -> Genotype:
        return CELL


def test_the_convolution_share_counts_convolution_edges() -> None:
    assert convolution_share(CELL) == pytest.approx(3 / 6)


def test_weight_averaging_ends_with_the_mean_of_the_averaged_steps(tiny_data: CifarData) -> None:
    torch.manual_seed(0)
    start = Supernet(NB201)
    plain = SupernetTrainer(start, tiny_data, GenotypeSampler(space="nb201"), TrainingConfig(), 6)
    trajectory = []
    for _ in range(6):
        plain.train_steps(1)
        trajectory.append({n: p.detach().clone() for n, p in start.named_parameters()})
    torch.manual_seed(0)
    averaged_net = Supernet(NB201)
    config = TrainingConfig(average_last=0.5)  # the steps that end after batch 3: 4, 5 and 6
    averaged = SupernetTrainer(averaged_net, tiny_data, GenotypeSampler(space="nb201"), config, 6)
    averaged.train_steps(6)
    last = {n: p.detach().clone() for n, p in averaged_net.named_parameters()}
    for name in last:  # averaging leaves the trajectory alone
        torch.testing.assert_close(last[name], trajectory[-1][name])
    assert averaged.finish() == 3
    for name, parameter in averaged_net.named_parameters():
        mean = torch.stack([step[name] for step in trajectory[3:]]).mean(0)
        torch.testing.assert_close(parameter.detach(), mean)


def test_train_supernet_applies_the_average(tiny_data: CifarData) -> None:
    torch.manual_seed(0)
    net = Supernet(NB201)
    train_supernet(net, tiny_data, TrainingConfig(average_last=1.0, batch_size=16), 3, sampler=Fixed())
    torch.manual_seed(0)
    reference = Supernet(NB201)
    train_supernet(reference, tiny_data, TrainingConfig(batch_size=16), 3, sampler=Fixed())
    differs = any(
        not torch.equal(a, b) for a, b in zip(net.parameters(), reference.parameters(), strict=True)
    )
    assert differs


def test_the_learning_rate_grows_with_the_convolution_share(tiny_data: CifarData) -> None:
    config = TrainingConfig(lr=0.02, lr_by_size=2.0)
    trainer = SupernetTrainer(Supernet(NB201), tiny_data, Fixed(), config, 1000)
    trainer.train_steps(1)
    expected = config.learning_rate(0, 1000) * (1 + 2.0 * 0.5)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(expected)


def test_recipes_key_the_checkpoint_only_when_used(tiny_data: CifarData) -> None:
    net = Supernet(NB201)
    plain = training_signature(net, tiny_data, TrainingConfig(), 10)["training"]
    assert {"average_last", "lr_by_size"}.isdisjoint(plain)
    used = training_signature(net, tiny_data, TrainingConfig(average_last=0.25, lr_by_size=1.0), 10)
    assert (used["training"]["average_last"], used["training"]["lr_by_size"]) == (0.25, 1.0)


def test_bad_recipes_are_refused() -> None:
    with pytest.raises(ValueError, match="average_last"):
        TrainingConfig(average_last=1.5)
    with pytest.raises(ValueError, match="lr_by_size"):
        TrainingConfig(lr_by_size=-1.0)
    with pytest.raises(ValueError, match="pretrained"):
        make_spec("tiny", space="nb201", supernet_mode="online", device="cpu", average_last=0.5)
