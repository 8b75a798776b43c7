"""Cost model: parameters and multiply-adds of a genotype's evaluation network, counted, not assumed.

The data flow runs genotype → :func:`nat_env.nn.build` → :func:`count`; environments and agents use it
to keep the transformed genotype α no more expensive than the input β (NAT.md, mistake 7: a stride-2
skip in a reduction cell is a :class:`~nat_env.nn.operations.FactorizedReduce` and costs more than a
pool, so cost cannot be read off the op names).

Definitions (the DARTS-era ones, which reproduce the NAT paper's Table 2):

* parameters: every parameter of the network without auxiliary head, batch norms and classifier
  included (DARTS' ``count_parameters_in_MB``);
* multiply-adds: those of convolutions and the classifier for one image, i.e. half the FLOPs that
  :class:`torch.utils.flop_counter.FlopCounterMode` reports; batch norm, activations, pooling and the
  sums of a node's inputs are not counted.

The network is built on PyTorch's ``meta`` device, so counting allocates no weights and computes nothing:
about 0.1-0.5 s per genotype on a CPU, and each (genotype, dataset, size) is counted once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, NamedTuple

import torch
from torch.utils.flop_counter import FlopCounterMode

from nat_env.genotypes import Genotype, resolve
from nat_env.nn.network import INPUT_SIZES, build


class Cost(NamedTuple):
    """What an evaluation network costs.

    Attributes:
        params: number of parameters.
        madds: multiply-adds for one image.
    """

    params: int
    madds: int


def count(
    genotype: Genotype | str,
    dataset: Literal["cifar10", "imagenet"] = "cifar10",
    *,
    layers: int | None = None,
    channels: int | None = None,
) -> Cost:
    """Count the parameters and multiply-adds of a genotype's evaluation network.

    Args:
        genotype: a genotype, a published name or genotype text (see :func:`nat_env.genotypes.resolve`).
        dataset: ``cifar10`` (DARTS: 20 cells, 36 channels, 32 px; NAS-Bench-201: its CIFAR network) or
            ``imagenet`` (DARTS: 14 cells, 48 channels, 224 px, 1000 classes).
        layers: overrides the number of cells (cells per stage for NAS-Bench-201).
        channels: overrides the initial channels.

    Returns:
        The :class:`Cost`; e.g. DARTS_V2 on CIFAR-10 gives 3,349,342 parameters and 528,359,040
        multiply-adds.

    Raises:
        ValueError: for a NAS-Bench-201 genotype on ImageNet.
    """
    return _count(resolve(genotype), dataset, layers, channels)


@lru_cache(maxsize=4096)
def _count(
    genotype: Genotype, dataset: Literal["cifar10", "imagenet"], layers: int | None, channels: int | None
) -> Cost:
    # Genotype equality ignores the name, so a transformed genotype equal to a published one hits the cache.
    with torch.device("meta"):
        network = build(genotype, dataset, layers=layers, channels=channels).eval()
        image = torch.empty(1, 3, INPUT_SIZES[dataset], INPUT_SIZES[dataset])
    params = sum(parameter.numel() for parameter in network.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        network(image)
    return Cost(params=params, madds=counter.get_total_flops() // 2)


def cache_clear() -> None:
    """Forget every counted cost (for timing, or after changing the op definitions in a session)."""
    _count.cache_clear()
