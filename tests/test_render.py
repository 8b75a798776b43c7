"""Tests of the pictures: PNG and SVG files and RGB arrays are drawn, and a diff highlights the changed edges."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nat_env import genotypes
from nat_env.genotypes import Genotype, nb201_cell

pytest.importorskip("matplotlib")

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from nat_env.render import HIGHLIGHT, diff_figure, render, render_diff

NB201_OPS_ROW = ["none", "conv_3x3", "skip_connect", "none", "conv_1x1", "avg_pool_3x3"]


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_render_writes_a_file(tmp_path: Path, suffix: str) -> None:
    path = render(genotypes.get("DARTS_V2"), tmp_path / f"darts{suffix}")
    assert path == tmp_path / f"darts{suffix}"
    assert path.stat().st_size > 1000


def test_render_nb201_and_dead_nodes(tmp_path: Path) -> None:
    cell = nb201_cell(["none", "conv_3x3", "skip_connect", "none", "conv_1x1", "avg_pool_3x3"])
    assert render(Genotype(cell), tmp_path / "nb201.png").stat().st_size > 1000
    assert render(genotypes.get("VGG"), tmp_path / "vgg.svg").read_text().startswith("<?xml")


def test_diff_highlights_changed_edges(tmp_path: Path) -> None:
    beta, alpha = genotypes.get("DARTS_V2"), genotypes.get("NAT_DARTS")
    svg = render_diff(beta, alpha, tmp_path / "diff.svg").read_text()
    assert HIGHLIGHT in svg
    unchanged = render_diff(beta, beta, tmp_path / "same.svg").read_text()
    assert HIGHLIGHT not in unchanged


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        render(genotypes.get("DARTS_V2"), tmp_path / "darts.pdf")
    with pytest.raises(ValueError, match="same cells"):
        render_diff(genotypes.get("DARTS_V2"), genotypes.get("ENAS"), tmp_path / "diff.png")


def test_missing_matplotlib_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install nat-gym\[plot\]"):
        render(genotypes.get("DARTS_V2"), tmp_path / "darts.png")


def _boxes(figure: Figure) -> list[tuple[Axes, list[Bbox], list[Bbox]]]:
    """Per axes: the window extents of its edge labels (the boxed texts) and of all its texts."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    found = []
    for axes in figure.axes:
        texts = [t for t in axes.texts if t.get_text()]
        labels = [t.get_bbox_patch().get_window_extent(renderer) for t in texts if t.get_bbox_patch()]
        found.append((axes, labels, [t.get_window_extent(renderer) for t in texts]))
    return found


@pytest.mark.parametrize("name", sorted(n for n in genotypes.PUBLISHED if genotypes.get(n).space == "darts"))
def test_edge_labels_of_published_darts_cells_do_not_overlap(name: str) -> None:
    genotype = genotypes.get(name)
    for _, labels, _ in _boxes(diff_figure(genotype, genotype)):
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                overlap = min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)
                assert min(overlap) <= 0.5, f"{name}: labels at {a} and {b} overlap"


@pytest.mark.parametrize("ops", [NB201_OPS_ROW, ["avg_pool_3x3"] * 6, ["skip_connect"] * 6])
def test_nb201_frame_holds_every_label(ops: list[str]) -> None:
    cell = Genotype(nb201_cell(ops))
    for axes, _, texts in _boxes(diff_figure(cell, cell)):
        frame = axes.get_window_extent()
        for box in texts:
            assert frame.x0 <= box.x0
            assert box.x1 <= frame.x1
            assert frame.y0 <= box.y0
            assert box.y1 <= frame.y1


def test_a_diff_shows_the_accuracies_when_given(tmp_path: Path) -> None:
    beta, alpha = genotypes.get("DARTS_V2"), genotypes.get("NAT_DARTS")
    figure = diff_figure(beta, alpha, (0.9321, 0.9402))
    assert figure.get_suptitle().endswith("accuracy 93.21 % → 94.02 %")
    assert "accuracy" not in diff_figure(beta, alpha).get_suptitle()
    assert render_diff(beta, alpha, tmp_path / "diff.png", (0.9321, 0.9402)).stat().st_size > 1000
