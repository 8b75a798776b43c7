"""Tests of the cost model: the NAT paper's numbers, every published genotype, caching, monotonicity.

The fast count (memoised modules) must equal the whole-network count to the unit: for every published
genotype, random genotypes with dead nodes, disconnected cells and NAS-Bench-201 cells.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import pytest

from nat_env import genotypes
from nat_env.cost import Cost, cache_clear, count
from nat_env.genotypes import Genotype, nb201_cell
from nat_env.sampler import GenotypeSampler

Dataset = Literal["cifar10", "imagenet"]
SMALL = {"layers": 5, "channels": 8}  # reductions at cells 1 and 3: every kind of cell input still occurs


def _close(measured: int, expected: float) -> bool:
    return abs(measured - expected) <= 0.01 * expected


def _random_darts(n: int, seed: int) -> list[Genotype]:
    sampler = GenotypeSampler(null_prob=0.3, skip_prob=0.2)
    rng = np.random.default_rng(seed)
    return [sampler.sample(rng) for _ in range(n)]


def _degenerate_darts() -> list[Genotype]:
    """Disconnected normal and/or reduction cells, and cells of skips only (free or FactorizedReduce)."""
    darts = genotypes.get("DARTS_V2")
    n = len(darts.normal.edges)
    ops = list(darts.ops)
    return [
        darts.with_ops(["none"] * n + ops[n:]),
        darts.with_ops(ops[:n] + ["none"] * (len(ops) - n)),
        darts.with_ops(["none"] * len(ops)),
        darts.with_ops(["skip_connect"] * len(ops)),
        darts.with_ops(["none", "none", *ops[2:]]),  # node 2 dead
    ]


def _mismatches(
    candidates: list[Genotype], dataset: Dataset, layers: int | None = None, channels: int | None = None
) -> list[tuple[str, Cost, Cost]]:
    found = []
    for genotype in candidates:
        fast = count(genotype, dataset, layers=layers, channels=channels)
        full = count(genotype, dataset, layers=layers, channels=channels, full_network=True)
        if fast != full:
            found.append((str(genotype), fast, full))
    return found


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


@pytest.mark.parametrize(
    ("name", "dataset", "params", "madds"),
    [
        ("DARTS_V2", "cifar10", 3_349_342, 528_359_040),
        ("NAT_DARTS", "cifar10", 2_682_334, 424_181_376),
        ("NAT_DARTS", "imagenet", 3_978_784, 440_949_504),
    ],
)
@pytest.mark.parametrize("full_network", [False, True])
def test_exact_counts(name: str, dataset: Dataset, params: int, madds: int, full_network: bool) -> None:
    assert count(name, dataset, full_network=full_network) == Cost(params, madds)


@pytest.mark.parametrize("name", genotypes.names())
def test_every_published_genotype_is_countable(name: str) -> None:
    cost = count(genotypes.get(name), **SMALL)
    assert cost.params > 0
    assert cost.madds > 0
    assert cost == count(genotypes.get(name), **SMALL, full_network=True)


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["cifar10", "imagenet"])
@pytest.mark.parametrize("name", genotypes.names())
def test_every_published_genotype_at_full_size(name: str, dataset: Dataset) -> None:
    cost = count(name, dataset)
    assert cost.params > 0
    assert cost == count(name, dataset, full_network=True)


@pytest.mark.parametrize("dataset", ["cifar10", "imagenet"])
def test_random_genotypes_count_as_their_network(dataset: Dataset) -> None:
    candidates = _random_darts(30, seed=0) + _degenerate_darts()
    assert any(len(g.normal.live_nodes()) < g.normal.n_nodes for g in candidates)  # dead nodes occur
    assert not _mismatches(candidates, dataset, **SMALL)


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["cifar10", "imagenet"])
def test_random_genotypes_at_full_size(dataset: Dataset) -> None:
    assert not _mismatches(_random_darts(30, seed=1) + _degenerate_darts(), dataset)


def test_nb201_cells_count_as_their_network() -> None:
    sampler = GenotypeSampler(space="nb201", null_prob=0.3)
    rng = np.random.default_rng(0)
    candidates = [sampler.sample(rng) for _ in range(15)]
    candidates += [Genotype(nb201_cell([op] * 6)) for op in ("none", "skip_connect", "conv_3x3")]
    assert not _mismatches(candidates, "cifar10")
    assert not _mismatches(candidates[:5], "cifar10", layers=2, channels=8)


def test_the_first_genotype_counted_may_be_degenerate() -> None:
    # The skeleton (stems, input sizes) is measured on whichever genotype comes first for a network size.
    cache_clear()
    disconnected = _degenerate_darts()[2]
    assert count(disconnected, **SMALL) == count(disconnected, **SMALL, full_network=True)
    assert not _mismatches([genotypes.get("DARTS_V2"), *_random_darts(3, seed=2)], "cifar10", **SMALL)


def test_new_genotypes_are_counted_in_milliseconds() -> None:
    # The environment counts every transformed genotype α: after warm-up a new one is a walk over
    # memoised modules, not a network (0.2-0.5 s).
    warm_up, new = _random_darts(100, seed=3)[:50], _random_darts(100, seed=3)[50:]
    for genotype in warm_up:
        count(genotype)
    start = time.perf_counter()
    for genotype in new:
        count(genotype)
    assert time.perf_counter() - start < 2.0


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
    # docs/background.md, mistake 7: in a reduction cell, max_pool -> skip turns a free op into a FactorizedReduce.
    nat = genotypes.get("NAT_DARTS")
    index = len(nat.normal.edges)  # max_pool_3x3 0->2 of the reduction cell
    assert nat.ops[index] == "max_pool_3x3"
    ops = list(nat.ops)
    ops[index] = "skip_connect"
    assert count(nat.with_ops(ops), layers=5, channels=8).params > count(nat, layers=5, channels=8).params
