"""The supernet-fidelity benchmark: its metrics on hand-made accuracies, variants, resuming."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.common import faithfulness
from benchmarks.common.faithfulness import variant_overrides as overrides
from benchmarks.fidelity import Args, parse, previous
from nat_env.nb201.cells import N_CELLS, live_nodes, ops_of

RNG = np.random.default_rng(0)
OPS = ops_of(np.arange(N_CELLS))
# A synthetic truth: convolutions help, skips help a little, disconnected cells sit at 10 %.
TRUTH = np.where(live_nodes(OPS)[:, 3], 0.6 + 0.05 * (OPS >= 2).sum(1) + 0.02 * (OPS == 1).sum(1), 0.1)
TRUTH = TRUTH + RNG.normal(0, 0.001, N_CELLS)
INPUTS = RNG.choice(N_CELLS, 8, replace=False).astype(np.int64)


def test_a_perfect_proxy_is_faithful_in_every_view() -> None:
    local = faithfulness.local_view(TRUTH, TRUTH, TRUTH, INPUTS, threshold=1.0, n_boot=100, seed=0)
    assert local["neighbourhood_tau"]["estimate"] == pytest.approx(1.0)
    assert local["sign_agreement"]["estimate"] == 1.0
    assert local["fraction_of_oracle_test"]["estimate"] == pytest.approx(1.0)
    assert local["regret_test"]["estimate"] == pytest.approx(0.0)


def test_an_inverted_proxy_picks_the_worst_rewrites() -> None:
    local = faithfulness.local_view(-TRUTH, TRUTH, TRUTH, INPUTS, threshold=1.0, n_boot=100, seed=0)
    assert local["neighbourhood_tau"]["estimate"] == pytest.approx(-1.0)
    assert local["sign_agreement"]["estimate"] == 0.0
    assert local["fraction_of_oracle_test"]["estimate"] < 0


def test_a_constant_proxy_keeps_every_input_and_agrees_on_no_sign() -> None:
    local = faithfulness.local_view(np.zeros(N_CELLS), TRUTH, TRUTH, INPUTS, threshold=1.0, n_boot=50, seed=0)
    assert local["kept_beta"] == 1.0  # β wins ties
    assert local["best_rewrite_test_gain"]["estimate"] == 0.0
    assert local["sign_agreement"]["estimate"] == 0.0
    assert local["proxy_ties"] == 1.0


def test_neighbourhoods_hold_the_input_first_and_every_legal_rewrite_once() -> None:
    (members,) = faithfulness.neighbourhoods(np.array([0], np.int64))  # all six edges null: 2**6 rewrites
    assert members[0] == 0
    assert len(members) == len(set(members.tolist())) == 64
    missing = np.full(N_CELLS, np.nan)
    with pytest.raises(ValueError, match="lacks cells"):
        faithfulness.local_view(missing, TRUTH, TRUTH, INPUTS, 1.0, 10, 0)


def test_paired_differences_vanish_for_the_same_proxy() -> None:
    noisy = TRUTH + RNG.normal(0, 0.02, N_CELLS)
    local = faithfulness.local_view(noisy, TRUTH, TRUTH, INPUTS, 1.0, 50, 0)
    same = faithfulness.paired_differences(local["per_input"], local["per_input"], 200, 0)
    assert all(d["estimate"] == d["low"] == d["high"] == 0.0 for d in same.values())
    perfect = faithfulness.local_view(TRUTH, TRUTH, TRUTH, INPUTS, 1.0, 50, 0)
    better = faithfulness.paired_differences(perfect["per_input"], local["per_input"], 200, 0)
    assert better["sign_agreement"]["estimate"] >= 0


def test_variants_read_env_overrides() -> None:
    assert overrides("base") == {}
    assert overrides("lr=0.025+sampler=unique") == {"lr": 0.025, "sampler": "unique"}
    with pytest.raises(SystemExit, match="field=value"):
        overrides("lr")


def test_resume_keeps_entries_of_the_same_configuration(tmp_path: Path) -> None:
    path = tmp_path / "fidelity.json"
    config = json.loads(json.dumps(dataclasses.asdict(Args(out=str(path)))))
    entries = [{"variant": "base", "budget": 10, "reward_images": 64}]
    path.write_text(json.dumps({"config": config, "results": {"entries": entries}}))
    assert previous(parse(["--out", str(path), "--budgets", "10,20", "--resume"])) == entries
    with pytest.raises(SystemExit, match="n_inputs"):
        previous(parse(["--out", str(path), "--n-inputs", "5", "--resume"]))
