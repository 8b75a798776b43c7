from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from nat_env import genotypes
from nat_env.data import CifarData
from nat_env.genotypes import Genotype, nb201_cell
from nat_env.records import CacheWarning
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.checkpoint import (
    CheckpointMismatch,
    UnreadableCheckpoint,
    load_checkpoint,
    read_config,
    save_checkpoint,
)
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.options import FastOptions
from nat_env.supernet.training import (
    OnlineSchedule,
    SupernetTrainer,
    TrainingConfig,
    cosine_lr,
    pretrain,
    training_signature,
)

TINY = SupernetConfig(layers=3, channels=8)


def all_null(genotype: Genotype) -> Genotype:
    return genotype.with_ops(["none"] * len(genotype.edges))


def test_runs_any_genotype_with_fixed_width() -> None:
    net = Supernet(TINY)
    x = torch.randn(4, 3, 16, 16)
    rng = np.random.default_rng(0)
    sampler = GenotypeSampler(null_prob=0.4, distinct_inputs=False)
    for genotype in [
        genotypes.get("DARTS_V2"),
        genotypes.get("VGG"),
        *(sampler.sample(rng) for _ in range(5)),
    ]:
        assert net(x, genotype).shape == (4, 10)
    stem = net.forward_stem(x)
    cell = net.cells[0]
    out = cell(stem, stem, genotypes.get("VGG").normal)
    assert out.shape[1] == 4 * 8
    assert torch.count_nonzero(out[:, :24]) == 0  # only the last node is a (live) concat node
    assert not any(isinstance(b, torch.Tensor) for b in [net.cells[0].preprocess1[2].running_mean])


def test_nb201_supernet() -> None:
    net = Supernet(SupernetConfig(space="nb201", vocabulary="nb201", layers=1, channels=8))
    genotype = Genotype(nb201_cell(["conv_3x3", "none", "skip_connect", "avg_pool_3x3", "none", "conv_1x1"]))
    assert net(torch.randn(2, 3, 16, 16), genotype).shape == (2, 10)
    with pytest.raises(ValueError, match="darts genotype"):
        net.check(genotypes.get("DARTS_V2"))


def test_checkpoint_roundtrip_and_mismatch(tmp_path: Path) -> None:
    net = Supernet(TINY)
    path = tmp_path / "ckpt" / "supernet.pt"
    config = {"layers": 3, "channels": 8, "steps": 10}
    save_checkpoint(path, net.state_dict(), config)
    assert [p.name for p in path.parent.iterdir()] == ["supernet.pt"]  # no temporary file left behind
    state = load_checkpoint(path, config)
    other = Supernet(TINY)
    other.load_state_dict(state, strict=True)
    assert torch.equal(other.classifier.weight, net.classifier.weight)
    with pytest.raises(CheckpointMismatch, match=r"channels: 8 -> 16.*steps"):
        load_checkpoint(path, {"layers": 3, "channels": 16, "steps": 11})


@pytest.mark.parametrize(
    "kind", ["random", "truncated", "empty", "gzip", "pickle", "foreign", "state_dict_only"]
)
def test_a_file_that_is_no_checkpoint_is_refused_by_name(
    kind: str, damaged_checkpoints: dict[str, Path]
) -> None:
    path = damaged_checkpoints[kind]
    message = rf"^{path} is not a readable nat-gym supernet checkpoint \(.+\); write one with `nat pretrain"
    with pytest.raises(UnreadableCheckpoint, match=message) as raised:
        load_checkpoint(path, {"channels": 8})
    assert "\n" not in str(raised.value)
    with pytest.raises(UnreadableCheckpoint, match=message):
        read_config(path)


def test_a_damaged_cached_checkpoint_is_set_aside_and_rebuilt(tiny_data: CifarData, cache_dir: Path) -> None:
    config = TrainingConfig(batch_size=16)
    path = pretrain(Supernet(TINY), tiny_data, config, steps=2, cache_dir=cache_dir)
    assert path is not None
    written = path.read_bytes()
    path.write_bytes(written[: len(written) // 2])
    with pytest.warns(
        CacheWarning, match=rf"{path.name} does not load .*set aside as .*{path.name}\.corrupt"
    ):
        assert pretrain(Supernet(TINY), tiny_data, config, steps=2, cache_dir=cache_dir) == path
    assert path.with_name(path.name + ".corrupt").read_bytes() == written[: len(written) // 2]
    assert read_config(path)[0]["warmup_steps"] == 2  # rebuilt, and it loads again


def test_learning_rate_scales_and_ramps_up() -> None:
    plain = TrainingConfig()
    assert [plain.learning_rate(b, 100) for b in (0, 50, 100)] == [
        cosine_lr(b, 100, 0.01, 0.0) for b in (0, 50, 100)
    ]
    ramped = TrainingConfig(archs_per_step=4, lr_warmup_batches=12)
    rates = [ramped.learning_rate(b, 1000) for b in range(0, 24, 4)]
    schedule = [4 * cosine_lr(b, 1000, 0.01, 0.0) for b in range(0, 24, 4)]
    assert rates[:3] == pytest.approx([s * f for s, f in zip(schedule, (0.25, 0.5, 0.75), strict=False)])
    assert rates[3:] == pytest.approx(schedule[3:])  # the ramp is over after 12 batches
    with pytest.raises(ValueError, match="lr_warmup_batches"):
        TrainingConfig(lr_warmup_batches=-1)


def test_checkpoint_keys_name_only_the_options_in_use(tiny_data: CifarData) -> None:
    """The paper's one genotype per step without a ramp keeps the keys of checkpoints written before the
    grouping and ramp options existed."""
    net = Supernet(TINY)
    plain = training_signature(net, tiny_data, TrainingConfig(), 10)["training"]
    assert {"archs_per_step", "lr_scaling", "lr_warmup_batches"}.isdisjoint(plain)
    grouped = TrainingConfig(archs_per_step=8, lr_warmup_batches=100)
    keys = training_signature(net, tiny_data, grouped, 10)["training"]
    assert (keys["archs_per_step"], keys["lr_scaling"], keys["lr_warmup_batches"]) == (8, "linear", 100)


def test_cosine_schedule_decays_to_minimum() -> None:
    assert cosine_lr(0, 100, 0.01, 0.0) == pytest.approx(0.01)
    assert cosine_lr(50, 100, 0.01, 0.0) == pytest.approx(0.005)
    assert cosine_lr(100, 100, 0.01, 0.0) == pytest.approx(0.0)
    assert cosine_lr(150, 100, 0.01, 1e-4) == pytest.approx(1e-4)


def test_evaluator_pairs_images_rotates_and_deduplicates(tiny_data: CifarData) -> None:
    net = Supernet(TINY)
    evaluator = SupernetEvaluator(net, tiny_data, reward_images=64, eval_batch_size=32, seed=0)
    beta = genotypes.get("DARTS_V2")
    first = evaluator.evaluate([beta, beta, all_null(beta)])
    assert first[0].accuracy == first[1].accuracy
    assert first[0].extra["reward_images"] == 64
    evaluator.seed(0)
    assert evaluator.evaluate([beta])[0].accuracy == first[0].accuracy  # same window after reseeding
    window = evaluator.next_window()
    assert len(window) == 64
    assert len(set(window.tolist())) == 64


def test_online_schedule_ratio(tiny_data: CifarData) -> None:
    trainer = SupernetTrainer(
        Supernet(TINY), tiny_data, GenotypeSampler(), TrainingConfig(batch_size=16), 100
    )
    schedule = OnlineSchedule(trainer, batches=2, every=3)
    steps = [schedule.episode_done() for _ in range(6)]
    assert steps == [0, 0, 2, 0, 0, 2]
    assert trainer.steps_done == 4


def test_reward_sanity_after_brief_training(
    tiny_data: CifarData, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nat_env.supernet.training")
    torch.manual_seed(0)
    net = Supernet(TINY)
    config = TrainingConfig(batch_size=32, lr=0.05)
    path = pretrain(
        net,
        tiny_data,
        config,
        steps=40,
        cache_dir=cache_dir,
        options=FastOptions(),
    )
    assert path is not None
    assert path.is_file()
    assert not any(p.requires_grad for p in net.parameters())
    progress = [r.getMessage() for r in caplog.records]
    # said before the first batch; its estimate is left out when all of it takes under 10 s
    assert progress[0].startswith("supernet warm-up: 40 batches of 32 images (")
    assert "estimated from the first 3" in progress[0]
    assert progress[-1].startswith("supernet warm-up: 40/40 batches done in ")
    assert ", loss " in progress[-1]
    caplog.clear()
    evaluator = SupernetEvaluator(net, tiny_data, reward_images=192, eval_batch_size=64)
    beta = genotypes.get("DARTS_V2")
    keep, null = evaluator.evaluate([beta, all_null(beta)])
    assert null.accuracy < keep.accuracy
    # a second pretrain with the same configuration loads the cached checkpoint
    again = Supernet(TINY)
    assert pretrain(again, tiny_data, config, steps=40, cache_dir=cache_dir) == path
    assert torch.equal(again.classifier.weight, net.classifier.weight)
    assert not caplog.records  # loading trains nothing
