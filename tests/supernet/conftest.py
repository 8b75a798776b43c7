"""Fixtures: tiny device data from generated images."""

from __future__ import annotations

from pathlib import Path

import pytest

from nat_env.data import CifarData, load_cifar10
from tests.data.fake_cifar import write_image_tree


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> CifarData:
    root = tmp_path_factory.mktemp("supernet-images")
    tree = write_image_tree(root / "tree", train_per_class=40, test_per_class=2, size=16)
    arrays = load_cifar10(archive=tree, cache_dir=root / "cache")
    return CifarData(arrays, image_size=16)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> None:
    # two shared CPU cores: two torch threads contend with other processes and run ~10x slower
    import torch

    torch.set_num_threads(1)
