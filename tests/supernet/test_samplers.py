"""Training distributions of the supernet: valid genotypes, the advertised shares, stable checkpoint keys."""

from __future__ import annotations

import numpy as np
import pytest

from nat_env.nb201.cells import code_of, computation_classes
from nat_env.supernet.samplers import SAMPLERS, UniqueSampler, make_sampler
from nat_env.supernet.training import TrainingConfig


@pytest.mark.parametrize("name", SAMPLERS)
def test_every_sampler_draws_nb201_cells(name: str) -> None:
    sampler = make_sampler(name, "nb201", 4, "nb201", 0.3, 0.3)
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert sampler.sample(rng).space == "nb201"


@pytest.mark.parametrize("name", ["mixture", "visits"])
def test_darts_samplers(name: str) -> None:
    sampler = make_sampler(name, "darts", 4, "nat", 0.3, 0.3)
    genotype = sampler.sample(np.random.default_rng(0))
    assert genotype.space == "darts"


def test_unique_is_nb201_only_and_names_are_checked() -> None:
    with pytest.raises(ValueError, match="NAS-Bench-201"):
        make_sampler("unique", "darts", 4, "nat", 0.3, 0.3)
    with pytest.raises(ValueError, match="unknown sampler"):
        make_sampler("uniform", "nb201", 4, "nb201", 0.3, 0.3)
    with pytest.raises(ValueError, match="unknown sampler"):
        TrainingConfig(sampler="uniform")


def test_unique_draws_connected_functions_uniformly() -> None:
    classes = computation_classes()
    rng = np.random.default_rng(0)
    sampler = UniqueSampler()
    drawn = np.array([classes[code_of(sampler.sample(rng))] for _ in range(4000)])
    assert (drawn >= 0).all()  # connected cells only
    n_classes = int(classes.max()) + 1
    # uniform over ~8,800 classes: 4,000 draws hit about n (1 - exp(-4000 / n)) distinct ones
    expected = n_classes * (1 - np.exp(-4000 / n_classes))
    assert abs(len(set(drawn.tolist())) - expected) < 0.05 * expected


def test_visits_are_half_inputs_half_rewrites() -> None:
    sampler = make_sampler("visits", "nb201", 4, "nb201", 0.3, 0.3)
    rng = np.random.default_rng(1)
    nulls = np.mean([g.ops.count("none") for g in (sampler.sample(rng) for _ in range(2000))])
    # inputs have 6/5 null edges on average; a random legal NAT rewrite makes about 2.6 of 6 null
    assert 1.5 < nulls < 2.3


def test_computation_classes_identify_equal_functions() -> None:
    classes = computation_classes()
    assert int((classes < 0).sum()) == 341  # the table's disconnected cells
    # an edge out of a dead node changes nothing: node 1 dead (0->1 null), so 1->2 and 1->3 are moot
    from nat_env.genotypes import parse

    a = parse("|none~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|")
    b = parse("|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    assert classes[code_of(a)] == classes[code_of(b)]
