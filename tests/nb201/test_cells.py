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
    masks = cell_tables("nat").legal[ops]
    for row, cell_ops in enumerate(ops[::50]):
        genotype = genotype_of(cell_ops)
        assert set(np.flatnonzero(live[row * 50])) == set(genotype.normal.live_nodes())
        assert (masks[row * 50] == NAT.mask(genotype)).all()
