"""The from-scratch data: seeded subsets, downsampling, one augmented epoch, test images in order."""

from __future__ import annotations

import pytest
import torch

from nat_env.data import ImageArrays
from nat_env.scratch import ScratchData, preset


def test_all_images_by_default_in_their_order(fake_arrays: ImageArrays) -> None:
    data = ScratchData(fake_arrays)
    assert data.train_images.shape == (200, 3, 32, 32)
    assert data.train_images.dtype == torch.uint8
    assert torch.equal(data.test_labels, torch.from_numpy(fake_arrays.test_labels))


def test_subsets_are_seeded_random_and_downsampled(fake_arrays: ImageArrays) -> None:
    data = ScratchData(fake_arrays, image_size=16, max_train_images=60, max_test_images=20, subset_seed=1)
    assert data.train_images.shape == (60, 3, 16, 16)
    assert len(data.test_labels) == 20
    assert len(set(data.test_labels.tolist())) > 2  # not a prefix of the class-sorted test split
    again = ScratchData(fake_arrays, image_size=16, max_train_images=60, max_test_images=20, subset_seed=1)
    assert torch.equal(again.train_labels, data.train_labels)
    other = ScratchData(fake_arrays, image_size=16, max_train_images=60, max_test_images=20, subset_seed=2)
    assert not torch.equal(other.train_labels, data.train_labels)
    assert data.fingerprint == {
        "source": fake_arrays.source,
        "image_size": 16,
        "train_images": 60,
        "test_images": 20,
        "subset_seed": 1,
    }


def test_an_epoch_is_shuffled_augmented_and_reproducible(fake_arrays: ImageArrays) -> None:
    data = ScratchData.for_protocol(fake_arrays, preset("tiny"), "cpu")
    batches = list(data.epoch(64, torch.Generator().manual_seed(0), cutout_size=8))
    assert len(batches) == data.steps_per_epoch(64) == 3  # 200 images: the last 8 are dropped
    images, labels = batches[0]
    assert images.shape == (64, 3, 16, 16)
    assert images.dtype == torch.float32
    assert labels.dtype == torch.int64
    seen = torch.cat([labels for _, labels in batches])
    assert len(seen) == 192
    same = list(data.epoch(64, torch.Generator().manual_seed(0), cutout_size=8))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, same, strict=True))
    with pytest.raises(ValueError, match="exceeds the 200 training images"):
        data.steps_per_epoch(256)


def test_test_batches_cover_the_test_images_unaugmented(fake_arrays: ImageArrays) -> None:
    data = ScratchData(fake_arrays)
    batches = list(data.test_batches(16))
    assert [len(labels) for _, labels in batches] == [16, 16, 16, 2]
    first = data.normalize(data.test_images[:16])
    assert torch.equal(batches[0][0], first)
