"""CIFAR-10 for training from scratch: the whole training split and the test split, resident on the device.

The data flow runs :func:`nat_env.data.load_cifar10` → :class:`ScratchData` (uint8 images on the device,
optionally a seeded subset at a smaller size) → augmented training batches for
:mod:`nat_env.scratch.trainer`, and the test images it scores once at the end. Unlike the supernet's
:class:`~nat_env.data.CifarData` there is no 40/60 split: nothing is selected on held-out data here, so
all training images train, and the test split is only reported (DARTS' protocol).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from nat_env.data import CIFAR10_MEAN, CIFAR10_STD, ImageArrays, cutout, images_on_device, random_crop_flip
from nat_env.scratch.protocol import Protocol


class ScratchData:
    """Training and test images on a device, with DARTS' augmentation done there.

    Args:
        arrays: decoded images (:func:`nat_env.data.load_cifar10`).
        device: where the images live and batches are augmented.
        image_size: side of the images served (smaller sizes are area-downsampled once, on the device).
        max_train_images: keep a seeded random subset of this many training images; ``None`` for all.
        max_test_images: keep a seeded random subset of this many test images; ``None`` for all (the
            offline copy's test split is sorted by class, so a prefix would not do).
        subset_seed: seed of both subsets.

    Attributes:
        fingerprint: what identifies the images (source, sizes, subset), for run configurations.

    Shapes:
        ``train_images``, ``test_images``: ``(N, 3, S, S)`` uint8; labels ``(N,)`` int64; batches from
        :meth:`epoch` and :meth:`test_batches`: ``(B, 3, S, S)`` float32 and ``(B,)`` int64.
    """

    def __init__(
        self,
        arrays: ImageArrays,
        *,
        device: torch.device | str = "cpu",
        image_size: int = 32,
        max_train_images: int | None = None,
        max_test_images: int | None = None,
        subset_seed: int = 0,
    ) -> None:
        self.device = torch.device(device)
        self.classes = arrays.classes
        rng = np.random.default_rng(subset_seed)
        train = _subset(len(arrays.train_labels), max_train_images, rng)
        test = _subset(len(arrays.test_labels), max_test_images, rng)
        self.train_images, self.train_labels = images_on_device(
            arrays.train_images[train], arrays.train_labels[train], self.device, image_size
        )
        self.test_images, self.test_labels = images_on_device(
            arrays.test_images[test], arrays.test_labels[test], self.device, image_size
        )
        self.mean = torch.tensor(CIFAR10_MEAN, device=self.device).view(1, 3, 1, 1) * 255.0
        self.std = torch.tensor(CIFAR10_STD, device=self.device).view(1, 3, 1, 1) * 255.0
        self.fingerprint: dict[str, Any] = {
            "source": arrays.source,
            "image_size": image_size,
            "train_images": len(self.train_labels),
            "test_images": len(self.test_labels),
            "subset_seed": subset_seed,
        }

    @classmethod
    def for_protocol(cls, arrays: ImageArrays, protocol: Protocol, device: torch.device | str) -> ScratchData:
        """The images a protocol trains and tests on."""
        return cls(
            arrays,
            device=device,
            image_size=protocol.image_size,
            max_train_images=protocol.max_train_images,
            max_test_images=protocol.max_test_images,
            subset_seed=protocol.subset_seed,
        )

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, 3, S, S)`` images to normalised float32."""
        return (images.float() - self.mean) / self.std

    def steps_per_epoch(self, batch_size: int) -> int:
        """Full batches in one pass over the training images.

        Raises:
            ValueError: when there are fewer images than one batch.
        """
        n = len(self.train_labels)
        if n < batch_size:
            raise ValueError(f"batch size {batch_size} exceeds the {n} training images")
        return n // batch_size

    def epoch(
        self, batch_size: int, generator: torch.Generator, cutout_size: int = 0
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One shuffled pass of augmented batches: random crop, flip, normalisation, then cutout.

        Every random number comes from ``generator`` (on the images' device), so its state before the
        epoch fixes the epoch's batches. The last incomplete batch is dropped.
        """
        order = torch.randperm(len(self.train_labels), device=self.device, generator=generator)
        for step in range(self.steps_per_epoch(batch_size)):
            index = order[step * batch_size : (step + 1) * batch_size]
            images = self.normalize(random_crop_flip(self.train_images[index], generator))
            if cutout_size:
                images = cutout(images, cutout_size, generator)
            yield images, self.train_labels[index]

    def test_batches(self, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The test images in order, normalised, without augmentation."""
        for start in range(0, len(self.test_labels), batch_size):
            end = start + batch_size
            yield self.normalize(self.test_images[start:end]), self.test_labels[start:end]


def _subset(n: int, limit: int | None, rng: np.random.Generator) -> np.ndarray[Any, np.dtype[np.int64]]:
    """All ``n`` indices in order, or a sorted random ``limit`` of them."""
    if limit is None or limit >= n:
        return np.arange(n, dtype=np.int64)
    return np.sort(rng.permutation(n)[:limit]).astype(np.int64)
