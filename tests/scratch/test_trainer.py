"""Training from scratch on generated images: the tiny preset learns, resume is exact, finished runs are
left alone, foreign folders are refused, and parameters equal the cost model's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from nat_env import genotypes
from nat_env.cost import count
from nat_env.data import ImageArrays
from nat_env.genotypes import Genotype, nb201_cell
from nat_env.nn import main_parameters
from nat_env.scratch import (
    EpochStats,
    RunFolderError,
    build_network,
    preset,
    train_from_scratch,
)
from nat_env.scratch import trainer as trainer_module

NB201 = Genotype(nb201_cell(["conv_3x3", "skip_connect", "conv_1x1", "none", "avg_pool_3x3", "conv_3x3"]))
TINY4 = preset("tiny").with_epochs(4)


def _weights(log_dir: Path) -> dict[str, torch.Tensor]:
    state = torch.load(log_dir / "checkpoint.pt", weights_only=True)["state_dict"]
    model: dict[str, torch.Tensor] = state["model"]
    return model


def _without_times(result: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in result.items() if k not in ("train_seconds", "log_dir")}
    kept["history"] = [
        {k: v for k, v in stats.items() if k not in ("seconds", "images_per_second")}
        for stats in result["history"]
    ]
    return kept


def test_tiny_preset_learns_generated_images(fake_arrays: ImageArrays, tmp_path: Path) -> None:
    result = train_from_scratch("DARTS_V2", "tiny", tmp_path, seed=0, device="cpu", arrays=fake_arrays)
    assert result.protocol == preset("tiny")
    assert len(result.history) == 6
    assert result.test_images == 50
    assert result.test_accuracy > 30.0  # chance is 10 %; each class has its own colour
    assert result.history[-1].train_loss < result.history[0].train_loss
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["result"]["test_accuracy"] == result.test_accuracy
    assert written["signature"]["protocol"]["name"] == "tiny"
    assert written["provenance"]["versions"]["torch"] != "absent"
    cost = count("DARTS_V2", layers=5, channels=8)
    assert (result.params, result.madds) == (cost.params, cost.madds)
    assert not list(tmp_path.glob(".*partial"))


def test_nb201_cell_trains_in_its_network(fake_arrays: ImageArrays, tmp_path: Path) -> None:
    result = train_from_scratch(NB201, preset("tiny", "nb201").with_epochs(2), tmp_path, arrays=fake_arrays)
    assert result.protocol.space == "nb201"
    assert result.params == count(NB201, layers=1, channels=8).params
    assert 0.0 <= result.test_accuracy <= 100.0


def _stop_after_epoch_2(stats: EpochStats) -> None:
    if stats.epoch == 2:
        raise KeyboardInterrupt


def _killed_in_epoch_3(real: Callable[..., EpochStats]) -> Callable[..., EpochStats]:
    def train_epoch(*args: Any, **kwargs: Any) -> EpochStats:
        stats = real(*args, **kwargs)
        if stats.epoch == 3:
            raise KeyboardInterrupt
        return stats

    return train_epoch


@pytest.mark.parametrize("interrupt", ["after the checkpoint", "before the checkpoint"])
def test_resume_after_an_interruption_gives_the_same_weights(
    fake_arrays: ImageArrays, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: str
) -> None:
    kwargs: dict[str, Any] = {"seed": 3, "arrays": fake_arrays, "device": "cpu"}
    whole = train_from_scratch("DARTS_V2", TINY4, tmp_path / "whole", **kwargs)
    # Epoch 1 is the first with drop-path, so stopping after epoch 2 needs its draws restored too.
    if interrupt == "after the checkpoint":
        kwargs_cut = {**kwargs, "on_epoch": _stop_after_epoch_2}
    else:  # killed when epoch 3 is done in memory but not yet saved: the resume redoes epoch 3
        monkeypatch.setattr(trainer_module, "train_epoch", _killed_in_epoch_3(trainer_module.train_epoch))
        kwargs_cut = kwargs
    with pytest.raises(KeyboardInterrupt):
        train_from_scratch("DARTS_V2", TINY4, tmp_path / "cut", **kwargs_cut)
    monkeypatch.undo()
    assert not (tmp_path / "cut" / "results.json").exists()
    resumed = train_from_scratch("DARTS_V2", TINY4, tmp_path / "cut", resume=True, **kwargs)
    a, b = _weights(tmp_path / "whole"), _weights(tmp_path / "cut")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert _without_times(resumed.as_dict()) == _without_times(whole.as_dict())
    sessions = json.loads((tmp_path / "cut" / "config.json").read_text())["sessions"]
    assert [s["from_epoch"] for s in sessions] == [0, 2]


def test_a_finished_run_resumes_as_a_no_op(fake_arrays: ImageArrays, tmp_path: Path) -> None:
    protocol = preset("tiny").with_epochs(1)
    first = train_from_scratch("NAT_DARTS", protocol, tmp_path, arrays=fake_arrays, device="cpu")
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    calls: list[EpochStats] = []
    again = train_from_scratch(
        "NAT_DARTS", protocol, tmp_path, resume=True, arrays=fake_arrays, device="cpu", on_epoch=calls.append
    )
    assert again == first
    assert not calls
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamps


def test_folders_are_refused_with_a_reason(fake_arrays: ImageArrays, tmp_path: Path) -> None:
    protocol = preset("tiny").with_epochs(1)
    with pytest.raises(RunFolderError, match="nothing to resume"):
        train_from_scratch("VGG", protocol, tmp_path, resume=True, arrays=fake_arrays)
    train_from_scratch("VGG", protocol, tmp_path, arrays=fake_arrays, device="cpu")
    with pytest.raises(RunFolderError, match="already holds a run"):
        train_from_scratch("VGG", protocol, tmp_path, arrays=fake_arrays, device="cpu")
    with pytest.raises(RunFolderError, match=r"seed: 0 -> 1"):
        train_from_scratch("VGG", protocol, tmp_path, seed=1, resume=True, arrays=fake_arrays, device="cpu")
    with pytest.raises(RunFolderError, match=r"protocol\.epochs: 1 -> 2"):
        train_from_scratch("VGG", protocol.with_epochs(2), tmp_path, resume=True, arrays=fake_arrays)
    with pytest.raises(RunFolderError, match="genotype"):
        train_from_scratch("NAT_VGG", protocol, tmp_path, resume=True, arrays=fake_arrays, device="cpu")


def test_bad_requests_fail_before_training(fake_arrays: ImageArrays, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        train_from_scratch("DARTS_V2", "huge", tmp_path, arrays=fake_arrays)
    with pytest.raises(ValueError, match="trains nb201 genotypes"):
        train_from_scratch("DARTS_V2", preset("tiny", "nb201"), tmp_path, arrays=fake_arrays)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            train_from_scratch("DARTS_V2", "tiny", tmp_path, device="cuda", arrays=fake_arrays)
    assert not any(tmp_path.iterdir())


def test_the_callers_random_state_is_left_alone(fake_arrays: ImageArrays, tmp_path: Path) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_from_scratch("VGG", preset("tiny").with_epochs(1), tmp_path, arrays=fake_arrays, device="cpu")
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("name", [None, "short", "tiny"])
@pytest.mark.parametrize(
    "genotype", ["DARTS_V2", "NAT_DARTS", "ENAS", "VGG", "MobileNetV2", "NAONet", "NB201"]
)
def test_parameters_equal_the_cost_model(name: str | None, genotype: str) -> None:
    cell = NB201 if genotype == "NB201" else genotypes.get(genotype)
    protocol = preset(name, cell.space)
    with torch.device("meta"):
        network = build_network(cell, protocol)
    expected = count(cell, layers=protocol.layers, channels=protocol.channels).params
    assert main_parameters(network) == expected
    has_head = protocol.auxiliary_weight > 0
    assert (sum(p.numel() for p in network.parameters()) > expected) == has_head
