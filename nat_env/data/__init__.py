"""Image data: CIFAR-10 as device-resident uint8 arrays (split 40/60 for supernet weights and rewards),
batched augmentation on the device."""

from __future__ import annotations

from nat_env.data.augment import cutout, images_on_device, random_crop_flip
from nat_env.data.cifar import (
    CIFAR10_CLASSES,
    CIFAR10_MEAN,
    CIFAR10_STD,
    CifarData,
    DataError,
    ImageArrays,
    load_cifar10,
    split_indices,
)

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "CifarData",
    "DataError",
    "ImageArrays",
    "cutout",
    "images_on_device",
    "load_cifar10",
    "random_crop_flip",
    "split_indices",
]
