"""Grouped passes equal single-path passes, architecture by architecture, in values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nat_env import genotypes
from nat_env.data import CifarData
from nat_env.genotypes import Genotype
from nat_env.sampler import GenotypeSampler
from nat_env.supernet import batchnorm
from nat_env.supernet.batchnorm import ChunkedBatchNorm2d, rows_per_architecture
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.grouped import GroupPlan, grouped_forward
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.training import SupernetTrainer, TrainingConfig

SPACES = {
    "darts-nat": SupernetConfig(layers=3, channels=8),
    "darts-nat++": SupernetConfig(vocabulary="nat++", layers=3, channels=8),
    "nb201": SupernetConfig(space="nb201", vocabulary="nb201", layers=1, channels=8),
}
ROWS = 4


def sample(config: SupernetConfig, count: int, seed: int) -> list[Genotype]:
    """Random genotypes rich in null and skip edges, plus a disconnected and a dead-node one."""
    rng = np.random.default_rng(seed)
    sampler = GenotypeSampler(
        space=config.space,
        vocabulary=config.vocabulary,
        n_nodes=config.n_nodes,
        null_prob=0.3,
        skip_prob=0.2,
        distinct_inputs=config.space != "darts",
    )
    drawn = [sampler.sample(rng) for _ in range(count)]
    first = drawn[0]
    disconnected = first.with_ops(["none"] * len(first.edges))
    ops = list(drawn[1].ops)
    ops[0] = ops[1] = "none"  # the first node of each cell (DARTS) / node 1 (NAS-Bench-201) dies
    return [*drawn, disconnected, drawn[1].with_ops(ops)]


def single_path(net: Supernet, x: torch.Tensor, group: list[Genotype]) -> torch.Tensor:
    return torch.cat([net(chunk, g) for chunk, g in zip(x.split(ROWS), group, strict=True)])


def _supernet_and_batch(
    space: str, n: int, seed: int
) -> tuple[SupernetConfig, Supernet, list[Genotype], torch.Tensor]:
    """A seeded supernet of a space, ``n`` sampled paths and ``ROWS`` random images per path."""
    config = SPACES[space]
    torch.manual_seed(0)
    net = Supernet(config)
    group = sample(config, n, seed=seed)
    return config, net, group, torch.randn(len(group) * ROWS, 3, 16, 16)


@pytest.fixture(params=["per-chunk", "vectorised"])
def batch_norm_form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both forms of the chunked batch norm: CPU's loop and CUDA's single reduction."""
    monkeypatch.setattr(batchnorm, "VECTORISED_ON_CPU", request.param == "vectorised")


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.usefixtures("batch_norm_form")
def test_grouped_forward_equals_single_paths(space: str) -> None:
    _, net, group, x = _supernet_and_batch(space, 6, seed=1)
    for mode in (net.train, net.eval):
        mode()
        torch.testing.assert_close(
            grouped_forward(net, x, group), single_path(net, x, group), atol=1e-5, rtol=1e-4
        )


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.usefixtures("batch_norm_form")
def test_grouped_gradients_equal_mean_of_single_path_gradients(space: str) -> None:
    config, net, group, x = _supernet_and_batch(space, 4, seed=2)
    y = torch.randint(0, config.num_classes, (len(group) * ROWS,))
    params = [p for p in net.parameters() if p.requires_grad]
    loss = F.cross_entropy(grouped_forward(net, x, group), y, reduction="none")
    grouped = torch.autograd.grad(loss.view(len(group), ROWS).mean(1).mean(), params, allow_unused=True)
    total = [torch.zeros_like(p) for p in params]
    for chunk, labels, genotype in zip(x.split(ROWS), y.split(ROWS), group, strict=True):
        each = torch.autograd.grad(F.cross_entropy(net(chunk, genotype), labels), params, allow_unused=True)
        for acc, grad in zip(total, each, strict=True):
            if grad is not None:
                acc += grad / len(group)
    for grad, expected in zip(grouped, total, strict=True):
        torch.testing.assert_close(
            grad if grad is not None else torch.zeros_like(expected), expected, atol=1e-5, rtol=1e-4
        )


def test_repeated_edge_and_single_architecture() -> None:
    """An edge used twice in one cell counts twice; a group of one is the single path exactly."""
    net = Supernet(SPACES["darts-nat"])
    twice = genotypes.get("DARTS_V2")
    normal = genotypes.darts_cell(
        [("sep_conv_3x3", 0, 2), ("sep_conv_3x3", 0, 2), ("skip_connect", 2, 3), ("max_pool_3x3", 1, 3)],
        [2, 3],
    )
    twice = Genotype(normal, twice.reduce)
    x = torch.randn(2 * ROWS, 3, 16, 16)
    group = [twice, genotypes.get("DARTS_V2")]
    torch.testing.assert_close(
        grouped_forward(net, x, group), single_path(net, x, group), atol=1e-5, rtol=1e-4
    )
    darts_v2 = genotypes.get("DARTS_V2")
    assert torch.equal(grouped_forward(net, x[:ROWS], [darts_v2]), net(x[:ROWS], darts_v2))


@pytest.mark.usefixtures("batch_norm_form")
def test_chunked_batch_norm_is_per_chunk() -> None:
    bn = ChunkedBatchNorm2d(3, affine=True)
    nn.init.normal_(bn.weight)
    nn.init.normal_(bn.bias)
    reference = nn.BatchNorm2d(3, track_running_stats=False)
    reference.load_state_dict(bn.state_dict())
    x = torch.randn(12, 3, 5, 5) * 3 + 1
    torch.testing.assert_close(bn(x), reference(x))  # no rows set: whole-batch statistics
    with rows_per_architecture(4):
        chunked = bn(x)
    torch.testing.assert_close(chunked, torch.cat([reference(c) for c in x.split(4)]))


def test_plan_skips_gathers_for_shared_edges() -> None:
    net = Supernet(SPACES["darts-nat"])
    beta = genotypes.get("DARTS_V2")
    plan = GroupPlan.build(net, [beta, beta], ROWS, torch.device("cpu"))
    assert all(group.rows is None for cell in plan.cells for group in cell.groups)
    with pytest.raises(ValueError, match="vocabulary"):
        GroupPlan.build(net, [beta.with_ops(["conv_1x3_3x1"] * len(beta.edges))], ROWS, torch.device("cpu"))


def test_grouped_evaluator_matches_single_path_evaluator(tiny_data: CifarData) -> None:
    torch.manual_seed(0)
    net = Supernet(SPACES["darts-nat"])
    group = sample(SPACES["darts-nat"], 5, seed=3)
    scores = []
    for grouped, max_rows in ((False, 8192), (True, 8192), (True, 64)):  # 64 rows: one genotype per pass
        evaluator = SupernetEvaluator(
            net, tiny_data, reward_images=96, eval_batch_size=32, grouped=grouped, max_rows_per_pass=max_rows
        )
        scores.append([e.accuracy for e in evaluator.evaluate(group)])
    assert scores[0] == scores[1] == scores[2]


def test_trainer_with_several_genotypes_per_step(tiny_data: CifarData) -> None:
    torch.manual_seed(0)
    config = TrainingConfig(batch_size=16, archs_per_step=3, lr_scaling="sqrt")
    assert config.lr_factor == pytest.approx(3**0.5)
    trainer = SupernetTrainer(Supernet(SPACES["darts-nat"]), tiny_data, GenotypeSampler(), config, 100)
    before = [p.detach().clone() for p in trainer.supernet.parameters()]
    assert np.isnan(trainer.train_batches(2))  # fewer batches than one grouped step: they wait
    loss = trainer.train_batches(2)
    assert np.isfinite(loss)
    assert (trainer.steps_done, trainer.batches_done, trainer._pending) == (1, 3, 1)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.01 * 3**0.5)
    changed = [not torch.equal(a, b) for a, b in zip(before, trainer.supernet.parameters(), strict=True)]
    assert any(changed)
    with pytest.raises(ValueError, match="lr_scaling"):
        TrainingConfig(lr_scaling="cubic")
