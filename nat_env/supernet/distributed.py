"""Supernet training across processes: which rank this is, and the data-parallel wrapper of one step.

Data flow: ``torchrun`` (or any launcher that sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the
rendezvous address) → :func:`init_from_environment` (gloo on CPU, NCCL on CUDA) → :class:`Ranks` →
:class:`~nat_env.supernet.training.SupernetTrainer`, which then draws rank's shard of every global batch
(:meth:`nat_env.data.CifarData.weights_batches`) and averages gradients with
:class:`~torch.nn.parallel.DistributedDataParallel`.

What keeps the ranks one run:

* every rank seeds its genotype sampler and batch generator with the same seed, so all ranks train the
  same genotype at each step; ranks with *different* genotypes would scale each op's gradient by the
  share of ranks that used it;
* a single-path step leaves most ops unused, so DDP needs ``find_unused_parameters=True``
  (``static_graph=True`` fails as soon as the genotype changes);
* the supernet's batch norms keep no running statistics (:mod:`nat_env.supernet.model`), so there are no
  buffers to broadcast; each rank normalises with the statistics of its own rows, as ``R`` separate
  batches of the per-rank size would (a one-process run reproduces it with
  :func:`nat_env.supernet.batchnorm.rows_per_architecture`);
* the global batch (the preset's ``batch_size``) is split evenly, ``batch_size / world_size`` rows per
  rank, so the learning rate and schedule need no change with the number of ranks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Ranks:
    """This process's place among the training processes (one process: rank 0 of 1).

    Attributes:
        rank: this process's index.
        world_size: processes training together.
        local_rank: this process's index on its machine (its CUDA device).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        """Whether more than one process trains."""
        return self.world_size > 1

    @property
    def is_writer(self) -> bool:
        """Whether this process writes files (rank 0)."""
        return self.rank == 0

    @property
    def shard(self) -> tuple[int, int]:
        """``(rank, world_size)``, the argument of :meth:`nat_env.data.CifarData.weights_batches`."""
        return self.rank, self.world_size

    def barrier(self) -> None:
        """Wait for every rank (nothing to wait for in one process)."""
        if self.distributed:
            dist.barrier()


def init_from_environment(device: str = "auto") -> tuple[Ranks, torch.device]:
    """Join the process group a launcher described in the environment, or stay a single process.

    Args:
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``; under a launcher a CUDA device
            becomes ``cuda:LOCAL_RANK``.

    Returns:
        The ranks and this process's device.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    wanted = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device)
    if world == 1:
        return Ranks(), wanted
    if wanted.type == "cuda":
        wanted = torch.device("cuda", local)
        torch.cuda.set_device(wanted)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if wanted.type == "cuda" else "gloo")
    return Ranks(dist.get_rank(), dist.get_world_size(), local), wanted


def finish(ranks: Ranks) -> None:
    """Leave the process group (if this process joined one)."""
    if ranks.distributed and dist.is_initialized():
        dist.destroy_process_group()


def data_parallel(module: nn.Module, ranks: Ranks) -> nn.Module:
    """``module`` wrapped for gradient averaging across ranks; ``module`` itself in one process.

    ``device_ids`` stays unset: the inputs are already on the module's device, and a genotype argument
    is not to be scattered.
    """
    if not ranks.distributed:
        return module
    return nn.parallel.DistributedDataParallel(module, find_unused_parameters=True, broadcast_buffers=False)
