"""Cost model: parameters and multiply-adds of a genotype's evaluation network, counted, not assumed.

The data flow runs genotype → :func:`nat_env.nn.build` → :func:`count`; environments and agents use it
to keep the transformed genotype α no more expensive than the input β (docs/background.md, mistake 7: a stride-2
skip in a reduction cell is a :class:`~nat_env.nn.operations.FactorizedReduce` and costs more than a
pool, so cost cannot be read off the op names).

Definitions (the DARTS-era ones, which reproduce the NAT paper's Table 2):

* parameters: every parameter of the network without auxiliary head, batch norms and classifier
  included (DARTS' ``count_parameters_in_MB``);
* multiply-adds: those of convolutions and the classifier for one image, i.e. half the FLOPs that
  :class:`torch.utils.flop_counter.FlopCounterMode` reports; batch norm, activations, pooling and the
  sums of a node's inputs are not counted.

How it is counted. Both numbers add up over modules, and a cell adds nothing of its own (sums,
concatenation and the zeros of a disconnected cell are free), so a network costs

    skeleton + Σ over cells (Σ preprocessing + Σ edge ops) + classifier.

Every module is built from its real factory on PyTorch's ``meta`` device (no weights, no arithmetic) and
run under :class:`~torch.utils.flop_counter.FlopCounterMode` once per configuration (factory, arguments,
input shape). The cells and their modules come from :func:`nat_env.nn.network.cell_specs` and
:func:`nat_env.nn.cell.cell_layout`, the functions the network constructors use. The skeleton (stems,
NAS-Bench-201's residual reductions and last activation) and every cell's input size do not depend on
the genotype: the first genotype counted for a network size builds and runs its whole network once and
keeps them. After that a new genotype costs about a millisecond; ``full_network=True`` still counts the
whole network, and the tests check that both agree to the unit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from typing import Literal, NamedTuple

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from nat_env.genotypes import Genotype, resolve
from nat_env.nn.cell import CellModule, CellSpec, cell_layout, cell_multiplier, preprocessing
from nat_env.nn.network import INPUT_SIZES, NUM_CLASSES, build, cell_specs
from nat_env.nn.operations import make_op

Dataset = Literal["cifar10", "imagenet"]
Size = tuple[int, ...]
"""Spatial size ``(H, W)`` of a feature map."""


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
    dataset: Dataset = "cifar10",
    *,
    layers: int | None = None,
    channels: int | None = None,
    full_network: bool = False,
) -> Cost:
    """Count the parameters and multiply-adds of a genotype's evaluation network.

    Args:
        genotype: a genotype, a published name or genotype text (see :func:`nat_env.genotypes.resolve`).
        dataset: ``cifar10`` (DARTS: 20 cells, 36 channels, 32 px; NAS-Bench-201: its CIFAR network) or
            ``imagenet`` (DARTS: 14 cells, 48 channels, 224 px, 1000 classes).
        layers: overrides the number of cells (cells per stage for NAS-Bench-201).
        channels: overrides the initial channels.
        full_network: build and run the whole network instead of adding up memoised modules (the same
            numbers, 0.1-0.5 s per genotype; the reference the fast count is tested against).

    Returns:
        The :class:`Cost`; e.g. DARTS_V2 on CIFAR-10 gives 3,349,342 parameters and 528,359,040
        multiply-adds.

    Raises:
        ValueError: for a NAS-Bench-201 genotype on ImageNet.
    """
    genotype = resolve(genotype)
    if full_network:
        return _run_network(genotype, dataset, layers, channels)[0]
    return _count(genotype, dataset, layers, channels)


def cache_clear() -> None:
    """Forget every counted cost (for timing, or after changing the op definitions in a session)."""
    _count.cache_clear()
    _cell_cost.cache_clear()
    _module_cost.cache_clear()
    _SKELETONS.clear()


@lru_cache(maxsize=4096)
def _count(genotype: Genotype, dataset: Dataset, layers: int | None, channels: int | None) -> Cost:
    # Genotype equality ignores the name, so a transformed genotype equal to a published one hits the cache.
    specs = cell_specs(genotype, dataset, channels=channels, layers=layers)
    skeleton = _skeleton(genotype, dataset, layers, channels)
    return _total([skeleton.cost, *_variable_costs(specs, skeleton.cell_inputs, dataset)])


class _Skeleton(NamedTuple):
    cost: Cost
    """Everything but the cells and the classifier."""
    cell_inputs: tuple[tuple[Size, ...], ...]
    """The spatial size of every cell's inputs, in forward order."""


_SKELETONS: dict[tuple[str, Dataset, int | None, int | None], _Skeleton] = {}


def _skeleton(genotype: Genotype, dataset: Dataset, layers: int | None, channels: int | None) -> _Skeleton:
    """The genotype-independent part of a network size, measured on the first genotype asked for."""
    key = (genotype.space, dataset, layers, channels)
    if key not in _SKELETONS:
        total, cell_inputs = _run_network(genotype, dataset, layers, channels)
        specs = cell_specs(genotype, dataset, channels=channels, layers=layers)
        variable = _total(_variable_costs(specs, cell_inputs, dataset))
        _SKELETONS[key] = _Skeleton(
            Cost(total.params - variable.params, total.madds - variable.madds), cell_inputs
        )
    return _SKELETONS[key]


def _variable_costs(
    specs: tuple[CellSpec, ...], cell_inputs: tuple[tuple[Size, ...], ...], dataset: Dataset
) -> list[Cost]:
    """The costs of the cells and of the classifier, which reads the last cell's output."""
    costs = [_cell_cost(spec, sizes) for spec, sizes in zip(specs, cell_inputs, strict=True)]
    c_out = cell_multiplier(specs[-1].cell) * specs[-1].channels
    costs.append(_module_cost(nn.Linear, (c_out, NUM_CLASSES[dataset]), (c_out,))[0])
    return costs


@lru_cache(maxsize=1 << 15)
def _cell_cost(spec: CellSpec, input_sizes: tuple[Size, ...]) -> Cost:
    """A cell's preprocessing and edge ops, each built the way :class:`CellModule` builds it."""
    layout = cell_layout(spec)
    costs = []
    sizes: dict[int, Size] = {}
    for node, (block, c_in, size) in enumerate(
        zip(layout.preprocess, spec.in_channels, input_sizes, strict=True)
    ):
        if block is None:
            sizes[node] = size
            continue
        cost, shape = _module_cost(preprocessing, block, (c_in, *size))
        costs.append(cost)
        sizes[node] = shape[1:]
    for edge, op in zip(layout.edges, layout.ops, strict=True):
        cost, shape = _module_cost(make_op, op, (spec.channels, *sizes[edge.source]))
        costs.append(cost)
        sizes.setdefault(edge.target, shape[1:])
    return _total(costs)


@cache
def _module_cost(
    factory: Callable[..., nn.Module], args: tuple[object, ...], shape: tuple[int, ...]
) -> tuple[Cost, tuple[int, ...]]:
    """The cost of ``factory(*args)`` on one input of ``shape`` (without the batch), and its output shape."""
    with torch.device("meta"):
        module = factory(*args).eval()
        x = torch.empty(1, *shape)
    return _measure(module, x)


def _run_network(
    genotype: Genotype, dataset: Dataset, layers: int | None, channels: int | None
) -> tuple[Cost, tuple[tuple[Size, ...], ...]]:
    """Build and run the whole network: its cost, and the spatial size of every cell's inputs."""
    with torch.device("meta"):
        network = build(genotype, dataset, layers=layers, channels=channels).eval()
        image = torch.empty(1, 3, INPUT_SIZES[dataset], INPUT_SIZES[dataset])
    cell_inputs: list[tuple[Size, ...]] = []

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        cell_inputs.append(tuple(tuple(x.shape[2:]) for x in inputs))

    for module in network.modules():
        if isinstance(module, CellModule):
            module.register_forward_pre_hook(record)
    return _measure(network, image)[0], tuple(cell_inputs)


def _measure(module: nn.Module, x: torch.Tensor) -> tuple[Cost, tuple[int, ...]]:
    """Parameters and multiply-adds of a ``meta`` module on ``x``, and its output shape without the batch."""
    params = sum(parameter.numel() for parameter in module.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(x)
    return Cost(params=params, madds=counter.get_total_flops() // 2), tuple(y.shape[1:])


def _total(costs: list[Cost]) -> Cost:
    return Cost(sum(cost.params for cost in costs), sum(cost.madds for cost in costs))
