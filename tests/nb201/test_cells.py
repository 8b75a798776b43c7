"""The array forms of NAS-Bench-201 cells agree with the genotype-level path on every cell."""

from __future__ import annotations

import numpy as np

from nat_env import transitions
from nat_env.encoding import GraphEncoder
from nat_env.nb201.cells import (
    N_CELLS,
    codes_of,
    genotype_of,
    live_nodes,
    nat_apply,
    nat_masks,
    op_ids,
    ops_of,
)
from nat_env.nb201.lookup import cell_tables

NAT = transitions.get("nat", "nb201")
ALL_CODES = np.arange(N_CELLS)


def test_codes_round_trip() -> None:
    assert (codes_of(ops_of(ALL_CODES)) == ALL_CODES).all()
    for code in (0, 1, 4, 5, 777, N_CELLS - 1):
        assert codes_of(op_ids(genotype_of(ops_of(code)))) == code


def test_encoding_matches_graph_encoder_on_sampled_cells() -> None:
    encoder = GraphEncoder(NAT, "nb201")
    codes = np.random.default_rng(0).choice(N_CELLS, 400, replace=False)
    stacked = cell_tables("nat").encode(ops_of(codes))
    for i, code in enumerate(codes):
        single = encoder.encode(genotype_of(ops_of(code)))
        for key, value in single.items():
            assert (stacked[key][i] == value).all(), (key, code)


def test_liveness_and_masks_match_genotypes() -> None:
    ops = ops_of(ALL_CODES[::7])
    live = live_nodes(ops)
    masks = nat_masks(ops)
    for row, cell_ops in enumerate(ops[::50]):
        genotype = genotype_of(cell_ops)
        assert set(np.flatnonzero(live[row * 50])) == set(genotype.normal.live_nodes())
        assert (masks[row * 50] == NAT.mask(genotype)).all()


def test_apply_matches_transitions() -> None:
    rng = np.random.default_rng(1)
    ops = ops_of(rng.choice(N_CELLS, 300))
    actions = rng.integers(0, 3, size=ops.shape)
    rewritten = nat_apply(ops, actions)
    for cell_ops, action, result in zip(ops, actions, rewritten, strict=True):
        expected = NAT.apply(genotype_of(cell_ops), action, on_illegal="keep")
        assert genotype_of(result) == expected


def test_apply_rejects_bad_actions() -> None:
    ops = ops_of(np.array([0, 1]))
    for bad in (np.full((2, 6), 3), np.full((2, 6), -1), np.zeros((2, 5), np.int64)):
        try:
            nat_apply(ops, bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")
