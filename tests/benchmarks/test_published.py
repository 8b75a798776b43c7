"""The published-cells benchmark's pure parts: padding, the mixed sampler, change lists, flags, tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from benchmarks.common.published_report import AUTHORS, markdown, summarise
from benchmarks.published import Args, PaddedMixSampler, describe_changes, parse, preset_sizes
from nat_env import genotypes
from nat_env.cost import count
from nat_env.genotypes import pad_nodes as pad
from nat_env.genotypes import unpad_nodes as unpad

FOUR_NODE_CELLS = ("DARTS_V2", "VGG", "ResBlock", "MobileNetV2")


@pytest.mark.parametrize("name", FOUR_NODE_CELLS)
def test_padding_adds_a_dead_node_and_unpadding_restores_the_cell(name: str) -> None:
    beta = genotypes.get(name)
    padded = pad(beta, 5)
    for cell, original in zip(padded.cells, beta.cells, strict=True):
        assert cell.n_nodes == 2 + 5
        assert 6 not in cell.live_nodes()
        assert cell.output_nodes() == original.output_nodes()
    assert unpad(padded, 4) == beta
    assert count(padded) == count(beta)


def test_padding_a_full_size_cell_changes_nothing() -> None:
    enas = genotypes.get("ENAS")
    assert pad(enas, 5) == enas
    assert unpad(enas, 5) == enas


def test_mixed_sampler_draws_both_sizes_in_one_layout() -> None:
    sampler = PaddedMixSampler(5, "nat")
    rng = np.random.default_rng(0)
    draws = [sampler(rng) for _ in range(40)]
    assert {g.normal.n_nodes for g in draws} == {7}
    live = {len(g.normal.live_nodes()) for g in draws}
    assert 7 in live  # 5-node cells
    assert 6 in live  # padded 4-node cells, whose node 6 is dead


def test_changes_of_the_authors_darts_transformation() -> None:
    changes = describe_changes(genotypes.get("DARTS_V2"), genotypes.get("NAT_DARTS"))
    assert len(changes) == 5
    assert all(" -> " in line and line.split(":")[0] in ("normal", "reduce") for line in changes)


def test_authors_names_exist() -> None:
    for table in AUTHORS.values():
        for name, authors in table.items():
            genotypes.get(name), genotypes.get(authors)


def test_flags() -> None:
    assert parse([]) == Args()
    assert parse(["--transitions", "nat++"]).out == "published/cpu_small_natpp.json"
    smoke = parse(["--smoke", "--out", "/tmp/x.json"])
    assert smoke.out == "/tmp/x_smoke.json"
    assert smoke.episodes < Args.episodes
    with pytest.raises(SystemExit):
        parse(["--transitions", "darts"])


def test_the_sizing_flags_override_the_preset_fields_of_their_names() -> None:
    sizes = preset_sizes(parse(["--layers", "3", "--warmup-steps", "7"]))
    assert sizes == {
        "layers": 3,
        "channels": Args.channels,
        "n_nodes": Args.n_nodes,
        "image_size": Args.image_size,
        "batch_size": Args.batch_size,
        "max_train_images": Args.max_train_images,
        "warmup_steps": 7,
        "reward_images": Args.reward_images,
        "eval_batch_size": Args.eval_batch_size,
    }


def _variant(acc: float, params: float) -> dict[str, Any]:
    return {"params_m": params, "madds_m": 100 * params, "val_acc": acc, "test_acc": acc, "changed_edges": []}


def test_summary_and_table_of_fake_results() -> None:
    variants = {
        "original": _variant(50.0, 3.0),
        "sampling": _variant(52.0, 2.0),
        "maximum": _variant(49.0, 3.0),
        "authors": _variant(51.0, 2.5),
    }
    cells = [
        {"cell": "DARTS_V2", "representable": True, "authors_name": "NAT_DARTS", "variants": variants},
        {"cell": "NAONet", "representable": False, "reason": "ops outside the vocabulary"},
    ]
    summary = summarise(cells)
    assert summary["cells"] == 1
    assert summary["sampling"]["mean_delta_val_acc"] == pytest.approx(2.0)
    assert summary["authors"]["mean_delta_params_m"] == pytest.approx(-0.5)
    table = markdown({"cells": cells, "summary": summary})
    assert "| DARTS_V2 | ours Sampling | 2.00 | 200 | 52.00 |" in table
    assert "not representable: ops outside the vocabulary" in table
    assert "97.06" in table
    assert "97.28" in table
