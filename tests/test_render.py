"""Tests of the pictures: PNG and SVG files and RGB arrays are drawn, and a diff highlights the changed edges."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from nat_env import genotypes
from nat_env.genotypes import Genotype, nb201_cell

pytest.importorskip("matplotlib")

from nat_env.render import HIGHLIGHT, render, render_diff, rgb_array


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


def _highlighted(pixels: np.ndarray) -> bool:
    red, green, blue = (int(HIGHLIGHT[i : i + 2], 16) for i in (1, 3, 5))
    return bool((pixels == np.array([red, green, blue], np.uint8)).all(axis=-1).any())


@pytest.mark.parametrize(("beta", "alpha"), [("DARTS_V2", "NAT_DARTS"), ("VGG", "NAT_VGG")])
def test_rgb_array_has_one_size_and_highlights(beta: str, alpha: str) -> None:
    before = rgb_array(genotypes.get(beta))
    after = rgb_array(genotypes.get(beta), genotypes.get(alpha))
    assert before.dtype == np.uint8
    assert before.shape == after.shape
    assert before.shape[2] == 3
    assert after.flags.c_contiguous
    assert _highlighted(after)
    assert not _highlighted(before)
    assert not _highlighted(rgb_array(genotypes.get(beta), genotypes.get(beta)))


def test_rgb_array_of_an_nb201_cell() -> None:
    cell = Genotype(nb201_cell(["none", "conv_3x3", "skip_connect", "none", "conv_1x1", "avg_pool_3x3"]))
    pixels = rgb_array(cell, dpi=40)
    assert pixels.shape[2] == 3
    assert pixels.shape[0] < rgb_array(cell).shape[0]


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        render(genotypes.get("DARTS_V2"), tmp_path / "darts.pdf")
    with pytest.raises(ValueError, match="same cells"):
        render_diff(genotypes.get("DARTS_V2"), genotypes.get("ENAS"), tmp_path / "diff.png")


def test_missing_matplotlib_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install nat-gym\[plot\]"):
        render(genotypes.get("DARTS_V2"), tmp_path / "darts.png")
    with pytest.raises(ImportError, match=r"pip install nat-gym\[plot\]"):
        rgb_array(genotypes.get("DARTS_V2"))
