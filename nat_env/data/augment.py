"""Batched image augmentation on the images' device: random crop and flip, cutout.

The data flow runs device-resident uint8 images → these functions → training batches, for the supernet
(:class:`nat_env.data.cifar.CifarData`) and for training from scratch (:mod:`nat_env.scratch`). Each
function draws its randomness from an optional ``torch.Generator`` on the images' device, so a seeded
generator makes a run's batches reproducible and its state can be checkpointed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop_flip(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random crop (zero padding of S/8 pixels, 4 at 32x32, then a random shift) and horizontal flip.

    The same as torchvision's ``RandomCrop(S, padding=S // 8)`` and ``RandomHorizontalFlip()``, in one
    batched gather with no host round trip.

    Shapes:
        ``images``: ``(B, 3, S, S)`` (any dtype); the output has the same shape and dtype.
    """
    b, _, s, _ = images.shape
    pad = max(1, s // 8)
    padded = F.pad(images, (pad, pad, pad, pad))
    dev = images.device
    shift = torch.randint(0, 2 * pad + 1, (2, b), device=dev, generator=generator)
    span = torch.arange(s, device=dev)
    rows = (span[None, :] + shift[0][:, None])[:, None, :, None]
    cols = (span[None, :] + shift[1][:, None])[:, None, None, :]
    batch = torch.arange(b, device=dev)[:, None, None, None]
    channel = torch.arange(3, device=dev)[None, :, None, None]
    cropped = padded[batch, channel, rows, cols]
    flip = torch.rand(b, device=dev, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


def cutout(images: torch.Tensor, length: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero a ``length`` × ``length`` square at a uniformly random centre of each image (DeVries & Taylor,
    2017), clipped at the borders, as DARTS' ``Cutout`` does to normalised images.

    Shapes:
        ``images``: ``(B, C, H, W)`` float; the output has the same shape.
    """
    b, _, h, w = images.shape
    dev = images.device
    centre_y = torch.randint(0, h, (b,), device=dev, generator=generator)
    centre_x = torch.randint(0, w, (b,), device=dev, generator=generator)
    # DARTS clips [centre - length // 2, centre + length // 2) to the image.
    rows = torch.arange(h, device=dev)[None, :]
    cols = torch.arange(w, device=dev)[None, :]
    half = length // 2
    inside_y = (rows >= centre_y[:, None] - half) & (rows < centre_y[:, None] + half)
    inside_x = (cols >= centre_x[:, None] - half) & (cols < centre_x[:, None] + half)
    hole = inside_y[:, :, None] & inside_x[:, None, :]
    return images.masked_fill(hole[:, None], 0.0)
