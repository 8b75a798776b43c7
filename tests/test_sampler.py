"""The sampler of input genotypes: seeded, valid, and tilted by its options."""

from __future__ import annotations

import numpy as np
import pytest

from nat_env import ops
from nat_env.sampler import GenotypeSampler


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_seeded_and_valid(space: str) -> None:
    sampler = GenotypeSampler(space=space)
    first = [sampler.sample(np.random.default_rng(7)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    rng = np.random.default_rng(0)
    samples = [sampler.sample(rng) for _ in range(200)]
    assert len(set(samples)) > 150
    assert all(g.space == space for g in samples)
    assert not any("none" in g.ops for g in samples)  # the paper's p(beta): no null edges


def test_paper_distribution_is_uniform_over_non_null_ops() -> None:
    sampler = GenotypeSampler()
    assert set(sampler.choices) == set(ops.NAT_OPS) - {"none"}
    rng = np.random.default_rng(1)
    counts: dict[str, int] = {}
    for _ in range(500):
        for op in sampler.sample(rng).ops:
            counts[op] = counts.get(op, 0) + 1
    expected = 500 * 16 / len(sampler.choices)
    assert all(abs(c - expected) < 0.25 * expected for c in counts.values())


def test_null_and_skip_rich_cells() -> None:
    sampler = GenotypeSampler(null_prob=0.3, skip_prob=0.3)
    rng = np.random.default_rng(2)
    edges = [op for _ in range(300) for op in sampler.sample(rng).ops]
    assert 0.25 < edges.count("none") / len(edges) < 0.35
    assert 0.25 < edges.count("skip_connect") / len(edges) < 0.35


def test_enas_sized_cells_and_custom_ops() -> None:
    sampler = GenotypeSampler(n_nodes=5, ops=["sep_conv_3x3", "null"])
    genotype = sampler.sample(np.random.default_rng(3))
    assert len(genotype.normal.edges) == 10
    assert set(genotype.ops) == {"sep_conv_3x3"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"space": "nasbench101"}, "unknown space"),
        ({"null_prob": 1.0}, "null_prob"),
        ({"ops": ["none"]}, "at least one op"),
        ({"space": "nb201", "ops": ["sep_conv_3x3"]}, "outside the 'nb201' vocabulary"),
    ],
)
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GenotypeSampler(**kwargs)  # type: ignore[arg-type]
