"""The standalone-ceiling study: its network and data match the supernet's, its residuals, a tiny run, resuming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import standalone_ceiling as study
from nat_env.data import load_cifar10
from nat_env.nb201.cells import ops_of
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.setup import make_spec
from tests.data.fake_cifar import write_image_tree


def test_the_standalone_network_is_the_supernets() -> None:
    spec = make_spec("cpu-small", space="nb201", device="cpu")
    protocol = study.protocol_of(spec, epochs=2)
    config = spec.supernet_config()
    assert (protocol.layers, protocol.channels) == (config.layers, config.channels) == (1, 16)
    assert (protocol.image_size, protocol.batch_size, protocol.epochs) == (16, 64, 2)


def test_the_cells_are_the_fidelity_sample_in_a_seeded_order() -> None:
    codes, supernet = study.fidelity_cells(study.Args())
    sample = json.loads((study.report.resolve(study.Args().fidelity)).read_text())["results"]["sample"]
    assert sorted(codes) == sorted(sample)
    assert codes != sorted(sample)
    assert codes == study.fidelity_cells(study.Args())[0]
    assert supernet is not None
    assert set(supernet) == set(sample)
    assert all(0 <= accuracy <= 100 for accuracy in supernet.values())
    assert study.fidelity_cells(study.Args(preset="tiny"))[1] is None  # no tiny supernet in that file


def test_residuals_name_the_op_one_score_overvalues() -> None:
    rng = np.random.default_rng(0)
    codes = rng.choice(5**6, 300, replace=False)
    ops = ops_of(codes)
    truth = rng.normal(size=300)
    assert np.allclose(study.residual_per_op(truth, truth, ops), 0.0)
    pools = (ops == study.OP_NAMES.index("avg_pool_3x3")).sum(1)
    found = study.residual_per_op(truth + 2.0 * pools, truth, ops)
    assert found.argmax() == study.OP_NAMES.index("avg_pool_3x3")
    intervals = study.residual_intervals({"supernet": truth + 2.0 * pools, "table": truth}, ops, 50, 0)
    assert list(intervals) == ["supernet - table"]
    pool = intervals["supernet - table"]["avg_pool_3x3"]
    assert 0 < pool["low"] <= pool["estimate"] <= pool["high"]


def test_tiny_run_scores_the_reward_window_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_table: Path, one_thread: None
) -> None:
    images = write_image_tree(tmp_path / "images", train_per_class=12, test_per_class=2, size=16)
    monkeypatch.setenv("NAT_CIFAR10_ARCHIVE", str(images))
    monkeypatch.setenv("NAT_CACHE_DIR", str(tmp_path / "cache"))
    spec = make_spec("tiny", space="nb201", device="cpu", download=False)
    arrays = load_cifar10(archive=str(images), cache_dir=spec.cache_dir)
    view = study.standalone_images(spec, arrays)
    data = spec.load_data(arrays)
    window = SupernetEvaluator(spec.new_supernet(data), data, reward_images=64, window="fixed").next_window()
    assert np.array_equal(view.test_labels, data.reward_labels[window].numpy())
    assert np.array_equal(view.train_labels, data.weights_labels.numpy())

    out = tmp_path / "ceiling.json"
    argv = ["--smoke", "--table", str(any_table), "--runs-dir", str(tmp_path / "runs"), "--out", str(out)]
    study.main(argv)
    written = out.with_name("ceiling_smoke.json")
    results = json.loads(written.read_text())["results"]
    assert [cell["code"] for cell in results["cells"]] == study.fidelity_cells(study.parse(argv))[0][:2]
    assert all(0 <= cell["standalone"] <= 100 for cell in results["cells"])
    assert results["analysis"]["cells"] == 2
    assert "standalone vs table" in results["analysis"]["kendall_tau_b"]
    assert "1 epochs" in results["budget"]
    assert written.with_suffix(".md").read_text().startswith("# Standalone ceiling")

    study.main([*argv, "--resume", "--max-seconds", "0"])  # analyse only: nothing trained
    again = json.loads(written.read_text())["results"]
    assert again["cells"] == results["cells"]
    with pytest.raises(SystemExit, match="another configuration"):
        study.main([*argv, "--resume", "--order-seed", "1"])
