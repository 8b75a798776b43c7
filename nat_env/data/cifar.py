"""CIFAR-10 for the supernet: decoded once, split 40/60 (weights/rewards), resident on the device.

The data flow's first stage for the CIFAR-10 environment: images become uint8 tensors on the device;
:class:`CifarData` serves augmented batches to supernet training and un-augmented validation images to
the evaluator that computes rewards. The paper's split (Guo et al., 2019, Algorithm 1): a seeded
permutation of the 50,000 training images, 40% train the supernet weights, the other 60% give rewards.
The test set is never used for rewards or selection; it is exposed only for reporting.

Sources, in the order they are looked for:

1. ``archive`` (or the ``NAT_CIFAR10_ARCHIVE`` environment variable): a ``.tar.gz`` or a directory of
   class-named image folders, ``train/<class>/*.jpg`` and ``test/<class>/*.jpg`` (such as the offline
   JPEG copy of CIFAR-10). Decoded once with Pillow; the uint8 arrays are cached as ``.npz`` in the
   cache directory, keyed by the source's size and modification time.
2. ``data_root`` (or ``NAT_DATA_DIR``): such an archive or directory, or else torchvision's CIFAR-10
   (downloaded there when a network exists).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from nat_env.data.augment import images_on_device, random_crop_flip
from nat_env.progress import Phase
from nat_env.records import atomic_save, load_cache

logger = logging.getLogger(__name__)

CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
"""CIFAR-10's classes in label order (alphabetical, so class folders sort into label order)."""

CIFAR10_MEAN: tuple[float, float, float] = (0.4914, 0.4822, 0.4465)
CIFAR10_STD: tuple[float, float, float] = (0.2470, 0.2435, 0.2616)

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


class DataError(RuntimeError):
    """Missing or unreadable image data; the message names the data root or archive."""


@dataclass(frozen=True)
class ImageArrays:
    """Decoded images on the host.

    Attributes:
        train_images: ``(N, H, W, 3)`` uint8.
        train_labels: ``(N,)`` int64.
        test_images: ``(M, H, W, 3)`` uint8 (reporting only).
        test_labels: ``(M,)`` int64.
        classes: class names in label order.
        source: where the images came from, with the cache key (part of checkpoint configurations).
    """

    train_images: npt.NDArray[np.uint8]
    train_labels: npt.NDArray[np.int64]
    test_images: npt.NDArray[np.uint8]
    test_labels: npt.NDArray[np.int64]
    classes: tuple[str, ...]
    source: str


def default_cache_dir() -> Path:
    """``NAT_CACHE_DIR`` or ``~/.cache/nat-gym``."""
    value = os.environ.get("NAT_CACHE_DIR")
    return Path(value) if value else Path.home() / ".cache" / "nat-gym"


def _is_image_tree(path: Path) -> bool:
    return path.is_dir() and (path / "train").is_dir() and (path / "test").is_dir()


def _is_archive(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar"))


def load_cifar10(
    data_root: str | os.PathLike[str] | None = None,
    *,
    archive: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> ImageArrays:
    """Load CIFAR-10 (or any 32x32 class-folder data set) as uint8 arrays.

    Args:
        data_root: a directory (class folders, a ``cifar10-jpeg.tar.gz`` inside, or torchvision's
            CIFAR-10 files) or an archive; defaults to ``NAT_DATA_DIR``, then ``<cache_dir>/data``.
        archive: a ``.tar.gz`` or directory of class folders; defaults to ``NAT_CIFAR10_ARCHIVE``.
            Takes precedence over ``data_root``.
        cache_dir: where decoded arrays are cached; defaults to :func:`default_cache_dir`.
        download: let torchvision download CIFAR-10 into ``data_root`` if it is missing.

    Raises:
        DataError: when the data is missing or corrupt; the message names the data root.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    archive = archive if archive is not None else os.environ.get("NAT_CIFAR10_ARCHIVE") or None
    if archive is not None:
        path = Path(archive).expanduser()
        if not (_is_image_tree(path) or _is_archive(path)):
            raise DataError(
                f"CIFAR-10 archive {path} does not exist or is neither a .tar.gz nor a directory with "
                "train/<class>/ and test/<class>/ image folders"
            )
        return _load_folders(path, cache)
    root_value = data_root if data_root is not None else os.environ.get("NAT_DATA_DIR") or None
    root = Path(root_value).expanduser() if root_value is not None else cache / "data"
    if _is_archive(root) or _is_image_tree(root):
        return _load_folders(root, cache)
    bundled = root / "cifar10-jpeg.tar.gz"
    if bundled.is_file():
        return _load_folders(bundled, cache)
    return _load_torchvision(root, download)


def _load_torchvision(root: Path, download: bool) -> ImageArrays:
    from torchvision.datasets import CIFAR10

    try:
        train = CIFAR10(str(root), train=True, download=download)
        test = CIFAR10(str(root), train=False, download=download)
    except Exception as error:  # torchvision raises RuntimeError, URLError, OSError...
        raise DataError(
            f"could not load CIFAR-10 from data root {root} ({type(error).__name__}: {error}); "
            "download it there, or point NAT_CIFAR10_ARCHIVE / the archive argument at a .tar.gz or "
            "directory of train/<class>/*.jpg and test/<class>/*.jpg"
        ) from error
    return ImageArrays(
        np.asarray(train.data, np.uint8),
        np.asarray(train.targets, np.int64),
        np.asarray(test.data, np.uint8),
        np.asarray(test.targets, np.int64),
        tuple(train.classes),
        f"torchvision:{root.resolve()}",
    )


def _source_key(path: Path) -> str:
    """The decode cache key: an archive's content digest, or a folder's path, file sizes and times.

    An archive is keyed by its bytes (hashing is far cheaper than decoding), so a copy of the same file
    elsewhere, or the same file with a new modification time, reuses the cache instead of adding another.
    """
    if path.is_file():
        digest = hashlib.sha256(b"archive:")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()[:16]
    digest = hashlib.sha256(str(path.resolve()).encode())
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _load_folders(path: Path, cache: Path) -> ImageArrays:
    key = _source_key(path)
    stem = path.name.split(".")[0] or "images"
    cached = cache / f"{stem}-{key}.npz"
    # the key already covers what matters (an archive's bytes, a folder's path and files), so checkpoint
    # keys built from ``source`` do not change when the same archive lies at another path
    source = f"{'archive' if path.is_file() else 'folders'}:{key}"

    def read(file: Path) -> ImageArrays:
        with np.load(file) as npz:
            classes = tuple(str(c) for c in npz["classes"])
            return ImageArrays(
                npz["train_images"],
                npz["train_labels"],
                npz["test_images"],
                npz["test_labels"],
                classes,
                source,
            )

    # what a truncated, altered or foreign .npz raises (a bad zip or CRC, a short read, a missing array)
    found = load_cache(cached, read, (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile))
    if found is not None:
        return found
    members = _read_tar(path) if path.is_file() else _read_tree(path)
    arrays = _decode(members, path, source)
    atomic_save(
        lambda handle: np.savez(
            handle,
            train_images=arrays.train_images,
            train_labels=arrays.train_labels,
            test_images=arrays.test_images,
            test_labels=arrays.test_labels,
            classes=np.asarray(arrays.classes),
        ),
        cached,
    )
    return arrays


_Member = tuple[str, str, str, bytes]  # split, class, file name, encoded bytes


def _split_of(parts: tuple[str, ...]) -> tuple[str, str, str] | None:
    if len(parts) < 3 or not parts[-1].lower().endswith(_IMAGE_SUFFIXES):
        return None
    split, label, name = parts[-3], parts[-2], parts[-1]
    return (split, label, name) if split in ("train", "test") else None


def _read_tar(path: Path) -> list[_Member]:
    members: list[_Member] = []
    try:
        with tarfile.open(path, "r:*") as tar:
            for info in tar:
                found = _split_of(Path(info.name).parts) if info.isfile() else None
                if found is None:
                    continue
                handle = tar.extractfile(info)
                if handle is None:
                    continue
                members.append((*found, handle.read()))
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"could not read the image archive {path}: {error}") from error
    return members


def _read_tree(path: Path) -> list[_Member]:
    members: list[_Member] = []
    for file in sorted(path.rglob("*")):
        found = _split_of(file.relative_to(path).parts) if file.is_file() else None
        if found is not None:
            members.append((*found, file.read_bytes()))
    return members


def _decode(members: list[_Member], path: Path, source: str) -> ImageArrays:
    from PIL import Image

    classes = tuple(sorted({label for split, label, _, _ in members if split == "train"}))
    if not classes or not any(split == "test" for split, *_ in members):
        raise DataError(f"no train/<class>/ and test/<class>/ images found in data root {path}")
    index = {label: i for i, label in enumerate(classes)}
    images: dict[str, list[npt.NDArray[np.uint8]]] = {"train": [], "test": []}
    labels: dict[str, list[int]] = {"train": [], "test": []}
    shape: tuple[int, ...] | None = None
    phase = Phase(logger, f"decoding {path.name}", len(members), "image")
    phase.start(" (once: the arrays are cached)")
    for done, (split, label, name, raw) in enumerate(sorted(members, key=lambda m: m[:3]), start=1):
        if label not in index:
            raise DataError(f"test class {label!r} has no training images in data root {path}")
        try:
            with Image.open(io.BytesIO(raw)) as image:
                array = np.asarray(image.convert("RGB"), np.uint8)
        except Exception as error:  # Pillow raises several types for corrupt files
            raise DataError(f"corrupt image {split}/{label}/{name} in data root {path}: {error}") from error
        if shape is None:
            shape = array.shape
        elif array.shape != shape:
            raise DataError(
                f"image {split}/{label}/{name} in data root {path} has shape {array.shape}, expected {shape}"
            )
        images[split].append(array)
        labels[split].append(index[label])
        phase.advance(done)
    return ImageArrays(
        np.stack(images["train"]),
        np.asarray(labels["train"], np.int64),
        np.stack(images["test"]),
        np.asarray(labels["test"], np.int64),
        classes,
        source,
    )


def split_indices(
    n_images: int, seed: int, weights_fraction: float = 0.4, limit: int | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The paper's split of the training images into a weights part and a rewards part.

    Args:
        n_images: training images available.
        seed: seed of the permutation.
        weights_fraction: share of the (limited) images that trains supernet weights (0.4 in the paper).
        limit: use only the first ``limit`` images of the permutation (small presets).

    Returns:
        Disjoint index arrays ``(weights, rewards)`` covering the first ``limit`` permuted images.
    """
    order = np.random.default_rng(seed).permutation(n_images)[: limit or n_images].astype(np.int64)
    cut = round(weights_fraction * len(order))
    return order[:cut], order[cut:]


class CifarData:
    """Device-resident CIFAR-10 split into weights (40%), rewards (60%) and test (reporting) images.

    Args:
        arrays: decoded images (:func:`load_cifar10`).
        device: where the uint8 images live and batches are augmented.
        split_seed: seed of the 40/60 permutation.
        weights_fraction: share of the training images that trains supernet weights.
        image_size: side of the images served (smaller sizes are area-downsampled once, on the device).
        max_train_images: use only this many training images (before the split); ``None`` for all.
        max_test_images: keep only this many test images; ``None`` for all.

    Shapes:
        ``weights_images``, ``reward_images``, ``test_images``: ``(N, 3, S, S)`` uint8;
        labels ``(N,)`` int64; batches from :meth:`augment` and :meth:`normalize`: ``(B, 3, S, S)``
        float32.
    """

    def __init__(
        self,
        arrays: ImageArrays,
        *,
        device: torch.device | str = "cpu",
        split_seed: int = 0,
        weights_fraction: float = 0.4,
        image_size: int = 32,
        max_train_images: int | None = None,
        max_test_images: int | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.image_size = image_size
        self.classes = arrays.classes
        weights, rewards = split_indices(
            len(arrays.train_labels), split_seed, weights_fraction, max_train_images
        )
        self.weights_indices, self.reward_indices = weights, rewards
        self.weights_images, self.weights_labels = self._to_device(
            arrays.train_images[weights], arrays.train_labels[weights]
        )
        self.reward_images, self.reward_labels = self._to_device(
            arrays.train_images[rewards], arrays.train_labels[rewards]
        )
        n_test = (
            len(arrays.test_labels)
            if max_test_images is None
            else min(max_test_images, len(arrays.test_labels))
        )
        self.test_images, self.test_labels = self._to_device(
            arrays.test_images[:n_test], arrays.test_labels[:n_test]
        )
        self.mean = torch.tensor(CIFAR10_MEAN, device=self.device).view(1, 3, 1, 1) * 255.0
        self.std = torch.tensor(CIFAR10_STD, device=self.device).view(1, 3, 1, 1) * 255.0
        self.fingerprint: dict[str, Any] = {
            "source": arrays.source,
            "split_seed": split_seed,
            "weights_fraction": weights_fraction,
            "image_size": image_size,
            "max_train_images": max_train_images,
        }

    def _to_device(
        self, images: npt.NDArray[np.uint8], labels: npt.NDArray[np.int64]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return images_on_device(images, labels, self.device, self.image_size)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, 3, S, S)`` images to normalised float32."""
        return (images.float() - self.mean) / self.std

    def augment(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Random crop (zero padding of S/8 pixels, 4 at 32x32, then a random shift) and horizontal flip,
        then normalisation (:func:`nat_env.data.augment.random_crop_flip`), on the images' device."""
        return self.normalize(random_crop_flip(images, generator))

    def weights_batches(
        self, batch_size: int, generator: torch.Generator | None = None, shard: tuple[int, int] = (0, 1)
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Endless augmented batches from the weights split, reshuffled on the device every epoch.

        Args:
            batch_size: images per (global) batch.
            generator: the shuffling and augmentation randomness.
            shard: ``(rank, world_size)``: yield only rank's contiguous ``batch_size / world_size`` rows
                of every global batch. Ranks whose generators share a seed shard each epoch's
                permutation among themselves, and the concatenation of their rows is the one-process
                batch: every rank augments the whole global batch (cheap beside a supernet pass) so
                that its generator stays in step with the others'.
        """
        n = len(self.weights_labels)
        rank, world = shard
        if n < batch_size:
            raise ValueError(f"batch size {batch_size} exceeds the {n} images of the weights split")
        if batch_size % world or not 0 <= rank < world:
            raise ValueError(f"batch size {batch_size} does not split among {world} ranks (rank {rank})")
        rows = slice(rank * batch_size // world, (rank + 1) * batch_size // world)
        while True:
            order = torch.randperm(n, device=self.device, generator=generator)
            for start in range(0, n - batch_size + 1, batch_size):
                index = order[start : start + batch_size]
                images = self.augment(self.weights_images[index], generator)
                yield (
                    (images, self.weights_labels[index])
                    if world == 1
                    else (images[rows], self.weights_labels[index][rows])
                )
