"""Fixtures of the supernet env tests: a small generated CIFAR-10 tarball, a cache and the tiny options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nat_env.envs.supernet import SupernetEnv
from tests.data.fake_cifar import write_image_tree, write_tarball

TINY: dict[str, object] = {"preset": "tiny", "device": "cpu", "warmup_steps": 10, "reward_images": 64}
"""A supernet env small enough for a CPU test: the tiny preset, 10 warm-up steps, 64 images a reward."""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tarball of 50 training and 2 test images per class (one per test module)."""
    root = tmp_path_factory.mktemp("env-images")
    tree = write_image_tree(root / "tree", train_per_class=50, test_per_class=2)
    return write_tarball(tree, root / "fake.tar.gz")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder of the module's supernets."""
    return tmp_path_factory.mktemp("env-cache")


def tiny_supernet_env(
    factory: Callable[..., SupernetEnv], archive: Path, cache: Path, **kwargs: object
) -> SupernetEnv:
    """A :data:`TINY` supernet env from an entry point, on the fixtures' images and cache."""
    return factory(archive=str(archive), cache_dir=str(cache), **{**TINY, **kwargs})
