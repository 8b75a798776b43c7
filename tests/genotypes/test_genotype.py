"""Genotype validation, liveness and pruning."""

from __future__ import annotations

import pytest

from nat_env.genotypes import Cell, Edge, Genotype, darts_cell, nb201_cell, parse


def _cell(edges: list[tuple[str, int, int]], concat: tuple[int, ...] = (2, 3)) -> Cell:
    return darts_cell(edges, concat)


FULL = [("sep_conv_3x3", 0, 2), ("skip_connect", 1, 2), ("conv_3x3", 0, 3), ("none", 2, 3)]


def test_edges_are_canonicalised() -> None:
    assert Edge("null", 0, 2).op == "none"
    assert Edge("nor_conv_3x3", 0, 1).op == "conv_3x3"


def test_unknown_op_is_named() -> None:
    with pytest.raises(ValueError, match="unknown op 'conv_9x9'"):
        Edge("conv_9x9", 0, 2)


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ([("conv_3x3", 2, 2), ("conv_3x3", 1, 2)], "source must be a node before the target"),
        ([("conv_3x3", 0, 2)], "node 2 has 1 inputs"),
        ([("conv_3x3", 0, 1), ("conv_3x3", 0, 2)], "target is an input node"),
        (
            [("conv_3x3", 0, 3), ("conv_3x3", 1, 3), ("conv_3x3", 0, 2), ("conv_3x3", 1, 2)],
            "grouped by increasing",
        ),
    ],
)
def test_invalid_darts_cells(edges: list[tuple[str, int, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _cell(edges, (2,))


def test_concat_out_of_range() -> None:
    with pytest.raises(ValueError, match="concat node 4 is out of range"):
        _cell(FULL, (2, 4))


def test_live_nodes_and_pruning() -> None:
    cell = _cell([("none", 0, 2), ("none", 1, 2), ("conv_3x3", 2, 3), ("skip_connect", 0, 3)])
    assert cell.live_nodes() == frozenset({0, 1, 3})
    assert cell.output_nodes() == (3,)
    assert cell.is_connected
    assert cell.pruned().edges[2].op == "none"
    dead = _cell([("none", 0, 2), ("none", 1, 2), ("conv_3x3", 2, 3), ("none", 0, 3)])
    assert not dead.is_connected


def test_genotype_shapes_and_with_ops() -> None:
    genotype = Genotype(_cell(FULL), _cell(FULL))
    assert genotype.space == "darts"
    assert len(genotype.edges) == 8
    changed = genotype.with_ops(["none"] * 8)
    assert changed.ops == ("none",) * 8
    assert changed.normal.concat == genotype.normal.concat
    with pytest.raises(ValueError, match="expected 8 ops"):
        genotype.with_ops(["none"])


def test_darts_genotype_needs_reduce_cell() -> None:
    with pytest.raises(ValueError, match="reduction cell"):
        Genotype(_cell(FULL))


def test_nb201_cell_rules() -> None:
    cell = nb201_cell(["conv_3x3", "none", "skip_connect", "avg_pool_3x3", "conv_1x1", "none"])
    genotype = Genotype(cell)
    assert genotype.space == "nb201"
    assert genotype.cells == (cell,)
    with pytest.raises(ValueError, match="outside the 'nb201' vocabulary"):
        nb201_cell(["sep_conv_3x3"] * 6)
    with pytest.raises(ValueError, match="single cell"):
        Genotype(cell, cell)


def test_nb201_disconnected_cell() -> None:
    genotype = parse("|none~0|+|conv_3x3~0|none~1|+|none~0|none~1|none~2|")
    assert not genotype.normal.is_connected


def test_equality_ignores_name() -> None:
    a = Genotype(_cell(FULL), _cell(FULL), name="a")
    assert a == a.named("b")
    assert hash(a) == hash(a.named(None))
