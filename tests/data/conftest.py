"""Fixtures: generated class-folder images, as a directory and as a tarball."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data.fake_cifar import write_image_tree, write_tarball


@pytest.fixture(scope="session")
def image_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_image_tree(tmp_path_factory.mktemp("images") / "tree", train_per_class=20, test_per_class=3)


@pytest.fixture(scope="session")
def image_tarball(image_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tarball(image_tree, tmp_path_factory.mktemp("archive") / "fake.tar.gz")
