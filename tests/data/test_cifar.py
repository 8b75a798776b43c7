from __future__ import annotations

import io
import shutil
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from nat_env.data import CIFAR10_CLASSES, CifarData, DataError, load_cifar10, split_indices
from nat_env.data import cifar as cifar_module
from nat_env.records import CacheWarning


@pytest.mark.parametrize("kind", ["tree", "tarball"])
def test_loads_both_formats_and_caches(
    kind: str, image_tree: Path, image_tarball: Path, tmp_path: Path
) -> None:
    source = image_tree if kind == "tree" else image_tarball
    arrays = load_cifar10(archive=source, cache_dir=tmp_path)
    assert arrays.train_images.shape == (200, 32, 32, 3)
    assert arrays.train_images.dtype == np.uint8
    assert arrays.test_images.shape == (30, 32, 32, 3)
    assert arrays.classes == CIFAR10_CLASSES
    assert sorted(np.bincount(arrays.train_labels).tolist()) == [20] * 10
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_decode(*args: object) -> None:
        raise AssertionError("decoded again instead of reading the cache")

    original = cifar_module._decode
    cifar_module._decode = no_decode  # type: ignore[assignment]
    try:
        again = load_cifar10(archive=source, cache_dir=tmp_path)
    finally:
        cifar_module._decode = original
    np.testing.assert_array_equal(again.train_images, arrays.train_images)


@pytest.mark.parametrize("damage", ["truncated", "altered", "empty", "foreign"])
def test_a_damaged_cache_is_set_aside_and_rebuilt(image_tarball: Path, tmp_path: Path, damage: str) -> None:
    arrays = load_cifar10(archive=image_tarball, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npz")
    written = cached.read_bytes()
    middle = len(written) // 2
    foreign = io.BytesIO()
    np.savez(foreign, images=np.zeros(3))
    damaged = {
        "truncated": written[:middle],
        "altered": written[:middle] + bytes(64) + written[middle + 64 :],  # a bad CRC
        "empty": b"",
        "foreign": foreign.getvalue(),  # a valid .npz without the arrays
    }[damage]
    cached.write_bytes(damaged)
    with pytest.warns(
        CacheWarning, match=rf"{cached.name} does not load .*set aside as .*{cached.name}\.corrupt"
    ):
        again = load_cifar10(archive=image_tarball, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.train_images, arrays.train_images)
    assert cached.with_name(cached.name + ".corrupt").read_bytes() == damaged
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # the rebuilt entry loads
        np.testing.assert_array_equal(
            load_cifar10(archive=image_tarball, cache_dir=tmp_path).test_labels, arrays.test_labels
        )


def test_an_archive_is_keyed_by_content(image_tarball: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "copy.tar.gz"
    copy.parent.mkdir()
    copy.write_bytes(image_tarball.read_bytes())
    assert cifar_module._source_key(copy) == cifar_module._source_key(image_tarball)
    changed = tmp_path / "changed.tar.gz"
    changed.write_bytes(image_tarball.read_bytes() + b"\0")
    assert cifar_module._source_key(changed) != cifar_module._source_key(image_tarball)


def test_a_folder_is_keyed_by_its_files(image_tree: Path, tmp_path: Path) -> None:
    tree = Path(shutil.copytree(image_tree, tmp_path / "tree"))
    before = cifar_module._source_key(tree)
    assert cifar_module._source_key(tree) == before
    (tree / "train" / "cat" / "extra.jpg").write_bytes(next(tree.glob("train/cat/*.jpg")).read_bytes())
    assert cifar_module._source_key(tree) != before


def test_env_vars_find_the_data(image_tarball: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAT_CIFAR10_ARCHIVE", str(image_tarball))
    assert load_cifar10(cache_dir=tmp_path).train_labels.shape == (200,)
    monkeypatch.delenv("NAT_CIFAR10_ARCHIVE")
    monkeypatch.setenv("NAT_DATA_DIR", str(image_tarball))
    assert load_cifar10(cache_dir=tmp_path).test_labels.shape == (30,)


def test_split_is_40_60_and_disjoint() -> None:
    weights, rewards = split_indices(50_000, seed=0)
    assert len(weights) == 20_000
    assert len(rewards) == 30_000
    assert not set(weights.tolist()) & set(rewards.tolist())
    w2, _ = split_indices(50_000, seed=0)
    np.testing.assert_array_equal(weights, w2)


def test_device_data_has_no_test_images_in_rewards(image_tree: Path, tmp_path: Path) -> None:
    arrays = load_cifar10(archive=image_tree, cache_dir=tmp_path)
    data = CifarData(arrays, image_size=16, max_train_images=100)
    assert len(data.weights_labels) == 40
    assert len(data.reward_labels) == 60
    assert data.reward_images.shape == (60, 3, 16, 16)
    assert data.reward_images.dtype == torch.uint8
    # rewards are training images: every reward image equals a (downsampled) training image
    assert set(data.reward_indices.tolist()) <= set(range(len(arrays.train_labels)))
    assert not set(data.reward_indices.tolist()) & set(data.weights_indices.tolist())
    generator = torch.Generator().manual_seed(0)
    x, y = next(data.weights_batches(8, generator))
    assert x.shape == (8, 3, 16, 16)
    assert x.dtype == torch.float32
    assert y.shape == (8,)
    assert abs(float(data.normalize(data.reward_images).mean())) < 3


def test_missing_data_names_the_root(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    root.mkdir()
    with pytest.raises(DataError, match="nowhere"):
        load_cifar10(root, cache_dir=tmp_path / "cache", download=False)
    with pytest.raises(DataError, match=r"missing\.tar\.gz"):
        load_cifar10(archive=tmp_path / "missing.tar.gz", cache_dir=tmp_path)


def test_corrupt_data_names_the_root(image_tree: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    for split in ("train", "test"):
        (bad / split / "cat").mkdir(parents=True)
        (bad / split / "cat" / "0000.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="bad"):
        load_cifar10(archive=bad, cache_dir=tmp_path / "cache")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DataError, match="broken"):
        load_cifar10(archive=broken, cache_dir=tmp_path / "cache")


def test_torchvision_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeCIFAR10:
        def __init__(self, root: str, train: bool, download: bool) -> None:
            n = 20 if train else 5
            self.data = np.zeros((n, 32, 32, 3), np.uint8)
            self.targets = [i % 10 for i in range(n)]
            self.classes = list(CIFAR10_CLASSES)

    fake = types.ModuleType("torchvision.datasets")
    fake.CIFAR10 = FakeCIFAR10  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision.datasets", fake)
    arrays = load_cifar10(tmp_path / "root", cache_dir=tmp_path)
    assert arrays.train_images.shape == (20, 32, 32, 3)
    assert arrays.source.startswith("torchvision:")


def test_decoding_says_what_it_does_before_it_starts(
    image_tarball: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="nat_env.data.cifar"):
        load_cifar10(archive=image_tarball, cache_dir=tmp_path)
    assert caplog.messages[0].startswith(
        f"decoding {image_tarball.name}: 230 images (once: the arrays are cached)"
    )
    assert caplog.messages[-1].startswith(f"decoding {image_tarball.name}: 230/230 images done in ")
    caplog.clear()
    with caplog.at_level("INFO", logger="nat_env.data.cifar"):
        load_cifar10(archive=image_tarball, cache_dir=tmp_path)
    assert not caplog.records  # read from the cache
