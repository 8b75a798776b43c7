"""Images on the device, and batched augmentation there: upload with resizing, random crop and flip, cutout.

The data flow runs decoded uint8 arrays → :func:`images_on_device` → device-resident images → the
augmentations → training batches, for the supernet
(:class:`nat_env.data.cifar.CifarData`) and for training from scratch (:mod:`nat_env.scratch`). Each
function draws its randomness from an optional ``torch.Generator`` on the images' device, so a seeded
generator makes a run's batches reproducible and its state can be checkpointed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F


def images_on_device(
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.int64],
    device: torch.device,
    image_size: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Upload images and labels, channels first; other sizes are area-downsampled once, on the device.

    Shapes:
        ``images``: ``(N, H, W, 3)`` → ``(N, 3, image_size, image_size)`` uint8; ``labels``: ``(N,)``.
    """
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).contiguous()
    if x.shape[-1] != image_size:
        resized = F.interpolate(x.float(), size=(image_size, image_size), mode="area")
        x = resized.round().clamp(0, 255).to(torch.uint8)
    return x, torch.from_numpy(np.ascontiguousarray(labels)).to(device)


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
