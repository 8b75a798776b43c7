"""Few-shot supernets: one sub-supernet per op of the split edge, inheriting the one-shot weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nat_env.envs.supernet import make_nb201_supernet_env
from nat_env.genotypes import parse
from nat_env.supernet.few_shot import FewShotEvaluator, SplitSampler
from nat_env.supernet.samplers import CodeSampler
from nat_env.supernet.setup import clear_cache
from nat_env.supernet.training import TrainingConfig
from tests.data.fake_cifar import write_image_tree, write_tarball

CELL = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("few-shot-images")
    return write_tarball(
        write_image_tree(root / "tree", train_per_class=40, test_per_class=2), root / "f.tar.gz"
    )


def env(archive: Path, cache: Path, **kwargs: object) -> object:
    options: dict[str, object] = {"preset": "tiny", "device": "cpu", "warmup_steps": 6, "reward_images": 64}
    return make_nb201_supernet_env(archive=str(archive), cache_dir=str(cache), **{**options, **kwargs})  # type: ignore[arg-type]


def test_split_sampler_forces_the_edge() -> None:
    sampler = SplitSampler(CodeSampler(), 3, "skip_connect")
    rng = np.random.default_rng(0)
    assert all(sampler.sample(rng).ops[3] == "skip_connect" for _ in range(20))


def test_each_genotype_is_scored_by_its_part(archive: Path, tmp_path: Path) -> None:
    split = env(archive, tmp_path, split_edge=0, split_batches=4)
    evaluator = split.supernet_evaluator  # type: ignore[attr-defined]
    assert isinstance(evaluator, FewShotEvaluator)
    assert set(evaluator.parts) == {"none", "skip_connect", "conv_1x1", "conv_3x3", "avg_pool_3x3"}
    one_shot = env(archive, tmp_path).supernet_evaluator  # type: ignore[attr-defined]
    genotype = parse(CELL)
    index = evaluator.next_window()
    images, labels = evaluator.data.reward_images[index], evaluator.data.reward_labels[index]
    part = evaluator.parts[genotype.ops[0]]
    assert evaluator.accuracies([genotype], images, labels) == part.accuracies([genotype], images, labels)
    weights = next(iter(part.supernet.parameters()))
    parent = next(iter(one_shot.supernet.parameters()))
    assert not torch.equal(weights, parent)  # the part trained on after inheriting the one-shot weights
    assert evaluator.remembered([genotype]) == evaluator.remembered([genotype])


def test_parts_are_cached_and_the_split_needs_pretrained_mode(archive: Path, tmp_path: Path) -> None:
    env(archive, tmp_path, split_edge=1, split_batches=2)
    checkpoints = sorted(p.name for p in tmp_path.glob("supernet-*.pt"))
    assert len(checkpoints) == 1 + 5  # the one-shot supernet and five parts
    clear_cache()
    env(archive, tmp_path, split_edge=1, split_batches=2)
    assert sorted(p.name for p in tmp_path.glob("supernet-*.pt")) == checkpoints  # loaded, not trained
    with pytest.raises(ValueError, match="pretrained"):
        env(archive, tmp_path, split_edge=1, split_batches=2, supernet_mode="online")
    with pytest.raises(ValueError, match="few-shot"):
        TrainingConfig(split_edge=2)
