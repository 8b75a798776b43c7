"""Tests of the evaluation networks on tiny sizes: forward shapes, dead nodes, disconnected cells, the
auxiliary head."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nat_env import genotypes
from nat_env.cost import count
from nat_env.genotypes import Edge, Genotype, darts_cell, nb201_cell
from nat_env.nn import (
    CellModule,
    NetworkCIFAR,
    NetworkImageNet,
    NetworkNB201,
    build,
    computing_edges,
    main_parameters,
)

C = 4


def _with_normal(genotype: Genotype, ops: list[str]) -> Genotype:
    return genotype.with_ops([*ops, *genotype.ops[len(ops) :]])


@pytest.mark.parametrize("name", ["DARTS_V2", "NAT_DARTS", "VGG", "NAONet", "AmoebaNet"])
def test_cifar_forward(name: str) -> None:
    network = build(genotypes.get(name), layers=5, channels=C)
    assert isinstance(network, NetworkCIFAR)
    assert network(torch.randn(2, 3, 8, 8)).shape == (2, 10)


def test_imagenet_forward() -> None:
    network = build(genotypes.get("NAT_DARTS"), "imagenet", layers=3, channels=C, num_classes=7)
    assert isinstance(network, NetworkImageNet)
    assert network(torch.randn(2, 3, 64, 64)).shape == (2, 7)


def test_nb201_forward() -> None:
    genotype = Genotype(nb201_cell(["conv_3x3", "none", "skip_connect", "conv_1x1", "avg_pool_3x3", "none"]))
    network = build(genotype, layers=1, channels=C)
    assert isinstance(network, NetworkNB201)
    assert network(torch.randn(2, 3, 16, 16)).shape == (2, 10)
    with pytest.raises(ValueError, match="ImageNet16-120"):
        build(genotype, "imagenet")


def test_drop_path_runs_in_training() -> None:
    network = NetworkCIFAR(genotypes.get("DARTS_V2"), channels=C, layers=3, drop_path_prob=0.5).train()
    network(torch.randn(4, 3, 8, 8)).sum().backward()


def test_reduction_edges_from_inputs_have_stride_2() -> None:
    reduce = genotypes.get("DARTS_V2").reduce
    assert reduce is not None
    cell = CellModule(reduce, (C, C), C, reduction=True)
    out = cell(torch.randn(1, C, 8, 8), torch.randn(1, C, 8, 8))
    assert out.shape == (1, 4 * C, 4, 4)


def test_dead_node_gets_no_ops_and_leaves_the_concatenation() -> None:
    darts = genotypes.get("DARTS_V2")
    # node 2 loses both inputs; DARTS_V2's normal cell reads node 2 from node 5 (dil_conv_3x3 2->5).
    dead = _with_normal(darts, ["none", "none"])
    assert 2 not in dead.normal.live_nodes()
    cell = CellModule(dead.normal, (C, C), C)
    assert all(edge.source != 2 and edge.target != 2 for edge in cell.edges)
    assert cell.multiplier == 3
    assert cell(torch.randn(1, C, 8, 8), torch.randn(1, C, 8, 8)).shape == (1, 3 * C, 8, 8)
    network = build(dead, layers=3, channels=C)
    assert network(torch.randn(1, 3, 8, 8)).shape == (1, 10)


def test_disconnected_cell_outputs_zeros_with_one_node_of_channels() -> None:
    darts = genotypes.get("DARTS_V2")
    disconnected = _with_normal(darts, ["none"] * len(darts.normal.edges))
    assert not disconnected.normal.is_connected
    cell = CellModule(disconnected.normal, (C, C), C)
    assert (cell.multiplier, len(cell.ops)) == (1, 0)
    assert all(isinstance(pre, nn.Identity) for pre in cell.preprocess)
    out = cell(torch.randn(2, C, 8, 8), torch.randn(2, C, 8, 8))
    assert out.shape == (2, C, 8, 8)
    assert not out.any()
    assert build(disconnected, layers=4, channels=C)(torch.randn(1, 3, 8, 8)).shape == (1, 10)


def test_edges_that_reach_no_output_get_no_modules() -> None:
    # node 2 is live but neither concatenated nor read: its op is wasted, and input 0 is read by no one.
    cell = darts_cell([("sep_conv_3x3", 0, 2), ("none", 1, 2), ("skip_connect", 1, 3), ("none", 0, 3)], [3])
    assert computing_edges(cell) == (Edge("skip_connect", 1, 3),)
    module = CellModule(cell, (2 * C, 2 * C), C)
    assert isinstance(module.preprocess[0], nn.Identity)
    assert not isinstance(module.preprocess[1], nn.Identity)


def test_previous_reduction_is_factorized_in_preprocessing() -> None:
    cell = CellModule(genotypes.get("DARTS_V2").normal, (C, 2 * C), 2 * C, reduction_prev=True)
    assert cell(torch.randn(1, C, 8, 8), torch.randn(1, 2 * C, 4, 4)).shape == (1, 8 * C, 4, 4)


def test_nb201_dead_output_gives_zeros() -> None:
    cell = nb201_cell(["conv_3x3", "conv_3x3", "none", "none", "none", "none"])
    module = CellModule(cell, (C,), C)
    assert not module(torch.randn(1, C, 8, 8)).any()
    with pytest.raises(ValueError, match="keeps its channels"):
        CellModule(cell, (2 * C,), C)


@pytest.mark.parametrize("size", [32, 16])
def test_auxiliary_head_only_in_training(size: int) -> None:
    network = build(genotypes.get("DARTS_V2"), layers=5, channels=C, auxiliary=True)
    assert isinstance(network, NetworkCIFAR)
    x = torch.randn(2, 3, size, size)
    logits, logits_aux = network.train().forward_auxiliary(x)
    assert logits.shape == (2, 10)
    assert logits_aux is not None
    assert logits_aux.shape == (2, 10)
    assert network.eval().forward_auxiliary(x)[1] is None
    assert build(genotypes.get("DARTS_V2"), layers=5, channels=C).train().forward_auxiliary(x)[1] is None


def test_auxiliary_head_is_left_out_of_the_cost() -> None:
    genotype = genotypes.get("DARTS_V2")
    with_head = build(genotype, auxiliary=True)
    # DARTS' head on the second reduction cell's 4 * 144 = 576 channels: 1x1 conv to 128, BN, 2x2 conv
    # to 768, BN, linear to 10 classes.
    head = 576 * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * 10 + 10
    assert sum(p.numel() for p in with_head.parameters()) == count(genotype).params + head
    assert main_parameters(with_head) == count(genotype).params == main_parameters(build(genotype))
    with pytest.raises(ValueError, match="auxiliary head"):
        build(Genotype(nb201_cell(["conv_3x3"] * 6)), auxiliary=True)
