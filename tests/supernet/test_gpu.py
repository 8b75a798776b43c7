"""CUDA checks (run where a GPU exists: ``make test-gpu``): the supernet and the env on the device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nat_env.data import CifarData
from nat_env.envs.supernet import make_cifar10_env
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.model import Supernet, SupernetConfig
from tests.data.fake_cifar import write_image_tree

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_supernet_on_cuda_matches_cpu(space: str) -> None:
    torch.manual_seed(0)
    config = SupernetConfig(
        space=space, vocabulary="nb201" if space == "nb201" else "nat", layers=3, channels=8, num_classes=10
    )
    model = Supernet(config)
    images = torch.randn(32, 3, 16, 16)
    genotype = GenotypeSampler(space=space, null_prob=0.2).sample(np.random.default_rng(0))
    with torch.inference_mode():
        expected = model(images, genotype)
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        result = model.cuda()(images.cuda(), genotype).cpu()
    assert torch.allclose(result, expected, atol=1e-4, rtol=1e-4)


def test_tiny_env_steps_on_cuda(tmp_path: Path) -> None:
    tree = write_image_tree(tmp_path / "tree", train_per_class=30, test_per_class=2, size=16)
    env = make_cifar10_env(preset="tiny", device="cuda", archive=str(tree), cache_dir=str(tmp_path / "cache"))
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(env.transitions.keep_action(env.beta))
    assert terminated
    assert reward == 0.0
    assert 0.0 <= info["acc_beta"] <= 1.0
    assert isinstance(env.evaluator.data, CifarData)
