"""Episode frames (``render_mode="rgb_array"``) are drawn with Pillow: one size per space, changed edges
highlighted, accuracies in the title, and no matplotlib needed."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nat_env import genotypes
from nat_env.frames import rgb_array
from nat_env.genotypes import Genotype, nb201_cell
from nat_env.render import HIGHLIGHT

NB201_OPS_ROW = ["none", "conv_3x3", "skip_connect", "none", "conv_1x1", "avg_pool_3x3"]


def _highlighted(pixels: np.ndarray) -> bool:
    red, green, blue = (int(HIGHLIGHT[i : i + 2], 16) for i in (1, 3, 5))
    return bool((pixels == np.array([red, green, blue], np.uint8)).all(axis=-1).any())


@pytest.mark.parametrize(("beta", "alpha"), [("DARTS_V2", "NAT_DARTS"), ("VGG", "NAT_VGG")])
def test_frames_have_one_size_and_highlight_the_changed_edges(beta: str, alpha: str) -> None:
    before = rgb_array(genotypes.get(beta))
    after = rgb_array(genotypes.get(beta), genotypes.get(alpha), accuracies=(0.9, 0.95))
    assert before.dtype == np.uint8
    assert before.shape == after.shape
    assert before.shape[2] == 3
    assert after.flags.c_contiguous
    assert _highlighted(after)
    assert not _highlighted(before)
    assert not _highlighted(rgb_array(genotypes.get(beta), genotypes.get(beta)))


def test_every_genotype_of_one_cell_shape_has_one_frame_size() -> None:
    shapes: dict[tuple[int, ...], set[tuple[int, ...]]] = {}
    for name in genotypes.PUBLISHED:
        genotype = genotypes.get(name)
        if genotype.space == "darts":
            nodes = tuple(cell.n_nodes for cell in genotype.cells)
            shapes.setdefault(nodes, set()).add(rgb_array(genotype, dpi=20).shape)
    assert len(shapes) > 1
    assert all(len(sizes) == 1 for sizes in shapes.values())
    cells = [Genotype(nb201_cell(ops)) for ops in (NB201_OPS_ROW, ["skip_connect"] * 6)]
    assert len({rgb_array(cell).shape for cell in cells}) == 1


def test_accuracies_change_the_title_only() -> None:
    beta, alpha = genotypes.get("DARTS_V2"), genotypes.get("NAT_DARTS")
    plain, scored = rgb_array(beta, alpha), rgb_array(beta, alpha, accuracies=(0.9321, 0.9402))
    differs = np.flatnonzero((plain != scored).any(axis=(1, 2)))
    assert differs.size
    assert differs.max() < 40  # the title band at the top


def test_an_nb201_frame_scales_with_dpi() -> None:
    cell = Genotype(nb201_cell(NB201_OPS_ROW))
    assert rgb_array(cell, dpi=40).shape[0] < rgb_array(cell).shape[0]


def test_frames_need_no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert rgb_array(genotypes.get("DARTS_V2"), genotypes.get("NAT_DARTS")).ndim == 3


def test_different_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="same cells"):
        rgb_array(genotypes.get("DARTS_V2"), genotypes.get("ENAS"))
