"""Tests of the batched augmentation: crop and flip keep pixels, cutout zeroes one clipped square."""

from __future__ import annotations

import pytest
import torch

from nat_env.data import cutout, random_crop_flip


def _images(b: int = 8, s: int = 16) -> torch.Tensor:
    return torch.randint(1, 256, (b, 3, s, s), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_crop_flip_is_a_shift_of_the_padded_image_and_seeded() -> None:
    images = _images()
    out = random_crop_flip(images, torch.Generator().manual_seed(1))
    assert out.shape == images.shape
    assert out.dtype == torch.uint8
    assert torch.equal(out, random_crop_flip(images, torch.Generator().manual_seed(1)))
    pad = 16 // 8
    padded = torch.nn.functional.pad(images, (pad, pad, pad, pad))
    shifts = [(dy, dx) for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)]
    for i in range(len(images)):
        windows = [padded[i, :, dy : dy + 16, dx : dx + 16] for dy, dx in shifts]
        assert any(torch.equal(out[i], w) or torch.equal(out[i], w.flip(2)) for w in windows)


@pytest.mark.parametrize("length", [0, 4, 8])
def test_cutout_zeroes_at_most_one_square_per_image(length: int) -> None:
    images = torch.ones(64, 3, 16, 16)
    out = cutout(images, length, torch.Generator().manual_seed(0))
    zeros = (out == 0).all(dim=1)  # the same pixels in every channel
    assert torch.equal(zeros, (out == 0).any(dim=1))
    per_image = zeros.flatten(1).sum(1)
    assert int(per_image.max()) == length * length  # some square lies wholly inside
    assert int(per_image.min()) >= (length // 2) ** 2  # a centre in a corner keeps a quarter
    for mask in zeros:
        rows, cols = mask.any(1).nonzero(), mask.any(0).nonzero()
        if len(rows):
            assert int(mask.sum()) == len(rows) * len(cols)  # a rectangle
