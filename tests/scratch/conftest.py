"""Fixtures of the from-scratch tests: one thread, generated CIFAR-like images decoded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from nat_env.data import ImageArrays, load_cifar10
from tests.data.fake_cifar import write_image_tree


@pytest.fixture(autouse=True)
def _one_thread(one_thread: None) -> None:
    """Every test here runs torch on one thread (:func:`tests.conftest.one_thread`)."""


@pytest.fixture(scope="session")
def fake_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 training and 50 test images in class folders (each class has its own colour)."""
    return write_image_tree(
        tmp_path_factory.mktemp("scratch-images") / "tree", train_per_class=20, test_per_class=5
    )


@pytest.fixture(scope="session")
def fake_arrays(fake_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> ImageArrays:
    return load_cifar10(archive=fake_tree, cache_dir=tmp_path_factory.mktemp("scratch-cache"))
