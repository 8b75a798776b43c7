"""Transitions: NAT and NAT++ legality, masks that agree with apply, property tests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nat_env import genotypes, ops, transitions
from nat_env.genotypes import Genotype
from nat_env.sampler import GenotypeSampler

NAT = transitions.get("nat")
NATPP = transitions.get("nat++")

seeds = st.integers(0, 2**32 - 1)


def _sample(seed: int, space: str = "darts", vocabulary: str = "nat") -> Genotype:
    sampler = GenotypeSampler(space=space, null_prob=0.2, skip_prob=0.2, vocabulary=vocabulary)
    return sampler.sample(np.random.default_rng(seed))


def _compute_ops(genotype: Genotype) -> int:
    return sum(ops.kind(op) == "compute" for op in genotype.ops)


@given(seeds, seeds, st.sampled_from(["darts", "nb201"]))
@settings(max_examples=60, deadline=None)
def test_nat_legal_actions_never_add_compute(seed: int, action_seed: int, space: str) -> None:
    beta = _sample(seed, space)
    mask = NAT.mask(beta)
    assert mask.any(axis=1).all()
    alpha = NAT.apply(beta, transitions.random_legal_action(mask, np.random.default_rng(action_seed)))
    for before, after in zip(beta.ops, alpha.ops, strict=True):
        assert after in (before, "skip_connect", "none")
        if ops.kind(before) != "compute":
            assert ops.kind(after) != "compute"
    assert _compute_ops(alpha) <= _compute_ops(beta)


@given(seeds, seeds, st.sampled_from(["darts", "nb201"]))
@settings(max_examples=60, deadline=None)
def test_natpp_moves_only_to_cheaper_ops(seed: int, action_seed: int, space: str) -> None:
    beta = _sample(seed, space, vocabulary="nat++")
    natpp = transitions.get("nat++", space)
    mask = natpp.mask(beta)
    assert mask.any(axis=1).all()
    alpha = natpp.apply(beta, transitions.random_legal_action(mask, np.random.default_rng(action_seed)))
    order = list(ops.NATPP_OPS)
    for before, after in zip(beta.ops, alpha.ops, strict=True):
        info_before, info_after = ops.OPS[before], ops.OPS[after]
        if info_after.kind == "compute":
            assert info_before.kind == "compute"
            assert info_after.kernel <= info_before.kernel
            assert order.index(after) >= order.index(before) or info_after.family == info_before.family
    if space == "nb201":
        ops.check_vocabulary(alpha.ops, "nb201")


@given(seeds, seeds, st.sampled_from(["nat", "nat++"]))
@settings(max_examples=60, deadline=None)
def test_mask_and_apply_agree(seed: int, action_seed: int, name: str) -> None:
    beta = _sample(seed, vocabulary="nat++" if name == "nat++" else "nat")
    rule = transitions.get(name)
    mask = rule.mask(beta)
    rng = np.random.default_rng(action_seed)
    edge = int(rng.integers(mask.shape[0]))
    for choice in range(rule.n_choices):
        action = rule.keep_action(beta)
        action[edge] = choice
        if mask[edge, choice]:
            rule.apply(beta, action)
        else:
            with pytest.raises(ValueError, match="illegal transition"):
                rule.apply(beta, action)
            assert rule.apply(beta, action, on_illegal="keep") == beta


@given(seeds, st.sampled_from(["nat", "nat++"]))
@settings(max_examples=40, deadline=None)
def test_keep_everything_is_identity(seed: int, name: str) -> None:
    beta = _sample(seed, vocabulary="nat++" if name == "nat++" else "nat")
    rule = transitions.get(name)
    keep = rule.keep_action(beta)
    assert rule.mask(beta)[np.arange(len(keep)), keep].all()
    assert rule.apply(beta, keep) == beta


def test_nat_choices_are_distinct_states() -> None:
    beta = genotypes.get("DARTS_V2")
    mask = NAT.mask(beta)
    for edge, op in enumerate(beta.ops):
        legal = {NAT.choice_ops(beta)[edge][c] for c in np.flatnonzero(mask[edge])}
        assert len(legal) == mask[edge].sum()
        expected = {"compute": {op, "skip_connect", "none"}, "skip": {"skip_connect", "none"}}
        assert legal == expected.get(ops.kind(op), {"skip_connect", "none"})


AUTHORS_NATPP_TABLE = """
conv_5x5: conv_5x5 conv_3x3 conv_1x1 sep_conv_5x5 sep_conv_3x3 dil_conv_5x5 dil_conv_3x3 max_pool_5x5 avg_pool_5x5 max_pool_3x3 avg_pool_3x3 skip_connect none
conv_3x3: conv_3x3 conv_1x1 sep_conv_3x3 dil_conv_3x3 max_pool_3x3 avg_pool_3x3 skip_connect none
conv_1x1: conv_1x1 skip_connect none
sep_conv_5x5: sep_conv_5x5 sep_conv_3x3 dil_conv_5x5 dil_conv_3x3 max_pool_5x5 avg_pool_5x5 max_pool_3x3 avg_pool_3x3 skip_connect none
sep_conv_3x3: sep_conv_3x3 dil_conv_3x3 max_pool_3x3 avg_pool_3x3 skip_connect none
dil_conv_5x5: dil_conv_5x5 dil_conv_3x3 max_pool_5x5 avg_pool_5x5 max_pool_3x3 avg_pool_3x3 skip_connect none
dil_conv_3x3: dil_conv_3x3 max_pool_3x3 avg_pool_3x3 skip_connect none
max_pool_5x5: max_pool_5x5 avg_pool_5x5 max_pool_3x3 avg_pool_3x3 skip_connect none
avg_pool_5x5: max_pool_5x5 avg_pool_5x5 max_pool_3x3 avg_pool_3x3 skip_connect none
max_pool_3x3: max_pool_3x3 avg_pool_3x3 skip_connect none
avg_pool_3x3: max_pool_3x3 avg_pool_3x3 skip_connect none
skip_connect: skip_connect none
none: skip_connect none
"""
"""The authors' NAT++ table (docs/background.md, section 1): current op, then its allowed results."""


def test_natpp_rule_gives_the_authors_table() -> None:
    rows = dict(line.split(": ") for line in AUTHORS_NATPP_TABLE.strip().splitlines())
    assert list(rows) == list(ops.NATPP_OPS)
    beta = genotypes.get("DARTS_V2")
    for op, results in rows.items():
        single = beta.with_ops([op] * len(beta.ops))
        allowed = [ops.NATPP_OPS[i] for i in np.flatnonzero(NATPP.mask(single)[0])]
        assert allowed == results.split(), op


def test_natpp_rejects_ops_outside_its_table() -> None:
    with pytest.raises(ValueError, match="avg_pool_2x2"):
        NATPP.mask(genotypes.get("NAONet"))
    NAT.mask(genotypes.get("NAONet"))  # NAT treats any compute op as O


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (np.zeros(3, np.int64), r"shape \(16,\)"),
        (np.full(16, 3), "values must lie in 0..2"),
        (np.full(16, -1), "values must lie in 0..2"),
        (np.full(16, 0.5), "integers"),
    ],
)
def test_malformed_actions(action: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NAT.apply(genotypes.get("DARTS_V2"), action, on_illegal="keep")


def test_unknown_transitions() -> None:
    with pytest.raises(ValueError, match="unknown transitions"):
        transitions.get("nat+++")
