"""The cell tables and the parts that read them agree with the genotype path (encoder, transitions, text)."""

from __future__ import annotations

import numpy as np
import pytest

from nat_env import genotypes, transitions
from nat_env.encoding import GraphEncoder
from nat_env.genotypes import parse
from nat_env.nb201.cells import N_CELLS, code_of, codes_of, genotype_of_code, ops_of
from nat_env.nb201.lookup import TableEncoder, TableTransitions, cell_tables

ALL_CODES = np.arange(N_CELLS)


@pytest.mark.parametrize("rule", ["nat", "nat++"])
def test_observations_masks_and_texts_match_the_genotype_path(rule: str) -> None:
    tables = cell_tables(rule)
    encoder = GraphEncoder(transitions.get(rule, "nb201"), "nb201")
    for code in ALL_CODES[::13].tolist():
        genotype = genotype_of_code(code)
        expected = encoder.encode(genotype)
        observation = tables.observation(code)
        assert list(observation) == list(expected)
        for key, value in expected.items():
            assert observation[key].dtype == value.dtype, key
            assert np.array_equal(observation[key], value), (key, code)
        assert np.array_equal(tables.mask(code), encoder.transitions.mask(genotype).reshape(-1))
        assert tables.text(code) == str(genotype)
    stacked = tables.observations(ALL_CODES[:5])
    assert all(np.array_equal(stacked[key][3], value) for key, value in tables.observation(3).items())


@pytest.mark.parametrize("rule", ["nat", "nat++"])
def test_rewrites_match_transitions(rule: str) -> None:
    tables = cell_tables(rule)
    rules = transitions.get(rule, "nb201")
    rng = np.random.default_rng(0)
    for code in rng.choice(N_CELLS, 500).tolist():
        beta = genotype_of_code(code)
        action = rng.integers(0, rules.n_choices, 6)
        rewrite = tables.rewrite(code, action, "keep")
        assert rewrite is not None
        alpha = rules.apply(beta, action, on_illegal="keep")
        assert rewrite.code == code_of(alpha)
        assert rewrite.changed_edges == list(transitions.changed_edges(beta, alpha))
        mask = rules.mask(beta)
        assert rewrite.illegal_edges == int(np.sum(~mask[np.arange(6), action]))
        legal = mask[np.arange(6), action].all()
        assert (tables.rewrite(code, action, "raise") is not None) == legal
        ops, illegal = tables.apply(ops_of(np.array([code])), action[None])
        assert codes_of(ops)[0] == code_of(alpha)
        assert illegal.any() == (not legal)


@pytest.mark.parametrize("rule", ["nat", "nat++"])
def test_table_parts_match_the_genotype_parts(rule: str) -> None:
    tables = cell_tables(rule)
    rules, table_rules = transitions.get(rule, "nb201"), TableTransitions(tables)
    encoder, table_encoder = GraphEncoder(rules, "nb201"), TableEncoder(tables)
    assert (table_rules.name, table_rules.n_choices) == (rules.name, rules.n_choices)
    assert table_encoder.n_edges == encoder.n_edges
    assert table_encoder.observation_space() == encoder.observation_space()
    rng = np.random.default_rng(1)
    for code in rng.choice(N_CELLS, 200).tolist():
        # a decoded genotype and an equal one built elsewhere (looked up, then read) give the same
        for beta in (genotype_of_code(code), parse(str(genotype_of_code(code)))):
            assert np.array_equal(table_rules.mask(beta), rules.mask(beta))
            assert np.array_equal(table_rules.keep_action(beta), rules.keep_action(beta))
            assert table_rules.choice_ops(beta) == rules.choice_ops(beta)
            observation, expected = table_encoder.encode(beta), encoder.encode(beta)
            assert all(np.array_equal(observation[key], value) for key, value in expected.items())
            action = rng.integers(0, rules.n_choices, 6)
            assert table_rules.apply(beta, action, "keep") == rules.apply(beta, action, "keep")
            floats = action.astype(np.float64)
            assert table_rules.apply(beta, floats, "keep") == rules.apply(beta, floats, "keep")
    with pytest.raises(ValueError, match="does not fit"):
        table_encoder.check(genotypes.get("DARTS_V2"))
    with pytest.raises(ValueError, match="action must have shape"):
        table_rules.apply(genotype_of_code(0), [0] * 5)


def test_actions_off_the_fast_path() -> None:
    tables = cell_tables("nat")
    for action in ([0] * 5, np.zeros(6, np.float32), np.full(6, 3), np.full(6, -1), np.zeros((2, 3), int)):
        assert tables.rewrite(0, action, "keep") is None
    assert tables.rewrite(0, [1] * 6, "keep") is not None
    assert cell_tables("natpp") is cell_tables("nat++")
