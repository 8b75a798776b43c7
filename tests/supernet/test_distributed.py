"""Data-parallel supernet training: N gloo ranks train the weights one process trains."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from nat_env.data import CifarData, load_cifar10
from nat_env.supernet.batchnorm import rows_per_architecture
from nat_env.supernet.distributed import Ranks
from nat_env.supernet.model import Supernet
from nat_env.supernet.setup import make_spec
from nat_env.supernet.training import TrainingConfig, train_supernet
from tests.data.fake_cifar import write_image_tree

BATCH, STEPS = 16, 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def trained(tree: Path, cache: Path, ranks: Ranks) -> Supernet:
    """The tiny DARTS supernet after ``STEPS`` global batches of ``BATCH`` (rank's share of each)."""
    torch.set_num_threads(1)
    data = CifarData(load_cifar10(archive=tree, cache_dir=cache), image_size=16)
    spec = make_spec("tiny", device="cpu", seed=0, cache_dir=cache)
    supernet = spec.new_supernet(data)
    train_supernet(supernet, data, TrainingConfig(batch_size=BATCH, seed=0), STEPS, ranks=ranks)
    return supernet


def rank_main(rank: int, world: int, port: int, tree: Path, cache: Path, out: Path) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        supernet = trained(tree, cache, Ranks(rank, world, rank))
        if rank == 0:
            torch.save(supernet.state_dict(), out)
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("ddp-images")
    tree = write_image_tree(root / "tree", train_per_class=10, test_per_class=1, size=16)
    cache = root / "cache"
    load_cifar10(archive=tree, cache_dir=cache)  # decode once, before the ranks read the cache
    return tree, cache


def test_two_gloo_ranks_train_the_weights_of_one_process(images: tuple[Path, Path], tmp_path: Path) -> None:
    tree, cache = images
    out = tmp_path / "ddp.pt"
    mp.spawn(rank_main, args=(2, free_port(), tree, cache, out), nprocs=2, join=True)
    # one process, the same global batches and genotypes; batch norm per half, as each rank normalises
    with rows_per_architecture(BATCH // 2):
        reference = trained(tree, cache, Ranks()).state_dict()
    distributed = torch.load(out, weights_only=True)
    assert distributed.keys() == reference.keys()
    for name, tensor in reference.items():
        torch.testing.assert_close(distributed[name], tensor, rtol=1e-4, atol=1e-5, msg=name)
    untrained = make_spec("tiny", device="cpu").new_supernet(
        CifarData(load_cifar10(archive=tree, cache_dir=cache), image_size=16)
    )
    assert any(not torch.equal(t, untrained.state_dict()[n]) for n, t in reference.items())


def test_ranks_shard_every_global_batch(images: tuple[Path, Path]) -> None:
    tree, cache = images
    data = CifarData(load_cifar10(archive=tree, cache_dir=cache), image_size=16)
    whole = next(data.weights_batches(BATCH, torch.Generator().manual_seed(3)))
    parts = [next(data.weights_batches(BATCH, torch.Generator().manual_seed(3), (r, 2))) for r in range(2)]
    torch.testing.assert_close(torch.cat([p[0] for p in parts]), whole[0])
    torch.testing.assert_close(torch.cat([p[1] for p in parts]), whole[1])
    with pytest.raises(ValueError, match="does not split among 3 ranks"):
        next(data.weights_batches(BATCH, None, (0, 3)))
