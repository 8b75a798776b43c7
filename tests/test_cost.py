"""Tests of the cost model: the NAT paper's numbers, every published genotype, caching, monotonicity."""

from __future__ import annotations

from typing import Literal

import pytest

from nat_env import genotypes
from nat_env.cost import Cost, count
from nat_env.genotypes import Genotype, nb201_cell


def _close(measured: int, expected: float) -> bool:
    return abs(measured - expected) <= 0.01 * expected


@pytest.mark.parametrize(
    ("name", "dataset", "params", "madds"),
    [
        ("DARTS_V2", "cifar10", 3.35e6, 528e6),
        ("NAT_DARTS", "cifar10", 2.68e6, 424e6),
        ("NAT_DARTS", "imagenet", 3.98e6, 441e6),
    ],
)
def test_paper_numbers(
    name: str, dataset: Literal["cifar10", "imagenet"], params: float, madds: float
) -> None:
    cost = count(genotypes.get(name), dataset)
    assert _close(cost.params, params), cost
    assert _close(cost.madds, madds), cost


def test_nb201_matches_the_benchmark() -> None:
    # NAS-Bench-201 reports 1.531546 M parameters and 220.11969 M FLOPs (multiply-adds) for this cell.
    cost = count(Genotype(nb201_cell(["conv_3x3"] * 6)))
    assert _close(cost.params, 1.531546e6)
    assert _close(cost.madds, 220.11969e6)


@pytest.mark.parametrize("name", genotypes.names())
def test_every_published_genotype_is_countable(name: str) -> None:
    cost = count(genotypes.get(name), layers=3, channels=8)
    assert cost.params > 0
    assert cost.madds > 0


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["cifar10", "imagenet"])
@pytest.mark.parametrize("name", genotypes.names())
def test_every_published_genotype_at_full_size(name: str, dataset: Literal["cifar10", "imagenet"]) -> None:
    assert count(name, dataset).params > 0


def test_cached_by_genotype_not_by_name() -> None:
    darts = genotypes.get("DARTS_V2")
    assert count(darts, layers=3, channels=8) is count(darts.named("copy"), layers=3, channels=8)
    assert count("DARTS_V2", layers=3, channels=8) is count(darts, layers=3, channels=8)


def test_overrides_shrink_the_network() -> None:
    small = count("DARTS_V2", layers=5, channels=8)
    assert isinstance(small, Cost)
    assert small.params < count("DARTS_V2", layers=8, channels=8).params
    assert small.params < count("DARTS_V2", layers=5, channels=16).params


def test_removing_ops_lowers_cost() -> None:
    darts = genotypes.get("DARTS_V2")
    ops = list(darts.ops)
    ops[0] = "none"  # sep_conv_3x3 0->2 of the normal cell
    pruned = count(darts.with_ops(ops), layers=5, channels=8)
    full = count(darts, layers=5, channels=8)
    assert pruned.params < full.params
    assert pruned.madds < full.madds
    dead = count(darts.with_ops(["none", "none", *ops[2:]]), layers=5, channels=8)
    assert dead.params < pruned.params


def test_strided_skip_costs_more_than_a_pool() -> None:
    # NAT.md mistake 7: in a reduction cell, max_pool -> skip turns a free op into a FactorizedReduce.
    nat = genotypes.get("NAT_DARTS")
    index = len(nat.normal.edges)  # max_pool_3x3 0->2 of the reduction cell
    assert nat.ops[index] == "max_pool_3x3"
    ops = list(nat.ops)
    ops[index] = "skip_connect"
    assert count(nat.with_ops(ops), layers=5, channels=8).params > count(nat, layers=5, channels=8).params
