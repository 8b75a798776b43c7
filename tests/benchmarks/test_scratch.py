"""The from-scratch pairs benchmark end to end on generated images (--smoke sizes), and its pure parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import scratch
from nat_env import genotypes
from tests.data.fake_cifar import write_image_tree


def test_variants_pair_each_cell_with_the_authors_and_our_alpha() -> None:
    args = scratch.Args(cells=("DARTS_V2", "VGG"))
    found = [(v.cell, v.role, v.genotype.name) for v in scratch.variants(args)]
    assert found == [
        ("DARTS_V2", "original", "DARTS_V2"),
        ("DARTS_V2", "authors", "NAT_DARTS"),
        ("DARTS_V2", "ours", "ours_DARTS_V2"),
        ("VGG", "original", "VGG"),
        ("VGG", "authors", "NAT_VGG"),
        ("VGG", "ours", "ours_VGG"),
    ]
    ours = scratch.variants(args)[2].genotype
    assert ours != genotypes.get("DARTS_V2")
    assert [v.role for v in scratch.variants(scratch.Args(cells=("ENAS",), ours=""))] == [
        "original",
        "authors",
    ]


def test_overrides_change_only_what_they_name() -> None:
    protocol = scratch.protocol_of(scratch.parse(["--smoke"]))
    assert (protocol.name, protocol.epochs, protocol.max_train_images, protocol.max_test_images) == (
        "tiny",
        1,
        256,
        256,
    )
    assert scratch.protocol_of(scratch.Args()) == scratch.preset("tiny")


def test_smoke_run_writes_json_and_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    images = write_image_tree(tmp_path / "images", train_per_class=10, test_per_class=2)
    monkeypatch.setenv("NAT_CIFAR10_ARCHIVE", str(images))
    monkeypatch.setenv("NAT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out" / "pairs.json"
    argv = ["--smoke", "--cells", "VGG", "--runs-dir", str(tmp_path / "runs"), "--out", str(out)]
    scratch.main(argv)
    written = out.with_name("pairs_smoke.json")
    results = json.loads(written.read_text())["results"]
    assert results["label"] == "tiny preset: a pipeline check, not evidence"
    assert [row["role"] for row in results["variants"]] == ["original", "authors", "ours"]
    original, authors, _ = results["variants"]
    assert len(original["test_accuracy"]) == 2  # seeds 0 and 1
    difference = results["differences"][0]
    assert difference["per_seed"] == pytest.approx(
        [a - b for a, b in zip(authors["test_accuracy"], original["test_accuracy"], strict=True)]
    )
    assert {"estimate", "low", "high"} == set(difference["mean"])
    table = written.with_suffix(".md").read_text()
    assert "TINY PRESET: A PIPELINE CHECK, NOT EVIDENCE" in table
    assert "| VGG | authors (NAT_VGG) |" in table
    # a rerun reuses the finished run folders: same numbers
    scratch.main(argv)
    assert json.loads(written.read_text())["results"]["variants"] == results["variants"]
    assert "wrote" in capsys.readouterr().out
