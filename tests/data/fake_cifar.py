"""Generated CIFAR-like images in the class-folder layout (a directory and a .tar.gz of it)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def write_image_tree(root: Path, train_per_class: int = 30, test_per_class: int = 5, size: int = 32) -> Path:
    """Write ``train/<class>/NNNN.jpg`` and ``test/<class>/NNNN.jpg``; each class has its own colour."""
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (len(CLASSES), 3))
    for split, count in (("train", train_per_class), ("test", test_per_class)):
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                noise = rng.normal(0, 30, (size, size, 3))
                pixels = np.clip(colours[label] + noise, 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{i:04d}.jpg", quality=90)
    return root


def write_tarball(tree: Path, path: Path) -> Path:
    """Pack an image tree as ``train/...`` and ``test/...`` members of a .tar.gz."""
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tree / "train", arcname="train")
        tar.add(tree / "test", arcname="test")
    return path
