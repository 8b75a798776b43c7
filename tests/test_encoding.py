"""Observation encoding: fixed shapes per space, contents that match the genotype."""

from __future__ import annotations

import numpy as np
import pytest

from nat_env import genotypes, transitions
from nat_env.encoding import OP_IDS, GraphEncoder
from nat_env.sampler import GenotypeSampler


@pytest.mark.parametrize(
    ("space", "rule", "nodes", "edges"),
    [("darts", "nat", 14, 16), ("darts", "nat++", 14, 16), ("nb201", "nat", 5, 6), ("nb201", "nat++", 5, 6)],
)
def test_shapes_and_space(space: str, rule: str, nodes: int, edges: int) -> None:
    encoder = GraphEncoder(transitions.get(rule, space), space)
    genotype = GenotypeSampler(space=space, vocabulary="nat++" if rule == "nat++" else "nat").sample(
        np.random.default_rng(0)
    )
    observation = encoder.encode(genotype)
    assert encoder.observation_space().contains(observation)
    assert observation["adjacency"].shape == (nodes, nodes)
    assert observation["edge_op"].shape == (edges,)
    assert observation["action_mask"].shape == (edges * encoder.transitions.n_choices,)


def test_contents_match_darts_v2() -> None:
    encoder = GraphEncoder(transitions.get("nat"))
    beta = genotypes.get("DARTS_V2")
    observation = encoder.encode(beta)
    assert [OP_IDS[op] for op in beta.ops] == observation["edge_op"].tolist()
    first = beta.normal.edges[0]
    assert observation["edge_index"][0].tolist() == [first.source, first.target]
    reduce_first = beta.reduce.edges[0]
    assert observation["edge_index"][8].tolist() == [7 + reduce_first.source, 7 + reduce_first.target]
    assert observation["edge_cell"].tolist() == [0] * 8 + [1] * 8
    adjacency = observation["adjacency"]
    for source, target in observation["edge_index"]:
        assert adjacency[source, target] == 1.0
    assert adjacency[2:6, 6].tolist() == [1.0] * 4  # concat nodes feed the output node
    mask = observation["action_mask"].reshape(16, 3)
    assert (mask == transitions.get("nat").mask(beta)).all()


def test_fresh_arrays_each_call() -> None:
    encoder = GraphEncoder(transitions.get("nat"))
    beta = genotypes.get("DARTS_V2")
    first, second = encoder.encode(beta), encoder.encode(beta)
    assert all(first[key] is not second[key] for key in first)


def test_wrong_shape_is_refused() -> None:
    encoder = GraphEncoder(transitions.get("nat"))
    with pytest.raises(ValueError, match="does not fit"):
        encoder.encode(genotypes.get("ENAS"))
    assert GraphEncoder(transitions.get("nat"), n_nodes=5).encode(genotypes.get("ENAS"))
