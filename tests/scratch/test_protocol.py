"""The training protocols: the paper's numbers, the schedules' endpoints, validation of sizes."""

from __future__ import annotations

import dataclasses
import math

import pytest

from nat_env.presets import UnknownPreset
from nat_env.scratch import PRESETS, Protocol, preset


def test_the_darts_preset_is_the_papers_protocol() -> None:
    darts = preset("darts")
    assert preset() == darts
    assert (darts.layers, darts.channels, darts.epochs, darts.batch_size) == (20, 36, 600, 96)
    assert (darts.learning_rate, darts.momentum, darts.weight_decay, darts.nesterov) == (
        0.025,
        0.9,
        3e-4,
        False,
    )
    assert (darts.drop_path, darts.auxiliary_weight, darts.cutout, darts.grad_clip) == (0.2, 0.4, 16, 5.0)
    assert (darts.image_size, darts.max_train_images, darts.max_test_images) == (32, None, None)


def test_nb201_presets_follow_that_benchmark() -> None:
    full, short = preset("nb201", "nb201"), preset("short", "nb201")
    assert preset(None, "nb201") == full
    assert (full.layers, full.channels, full.epochs, full.batch_size) == (5, 16, 200, 256)
    assert (full.learning_rate, full.nesterov, full.weight_decay, full.cosine_per_step) == (
        0.1,
        True,
        5e-4,
        True,
    )
    assert (full.drop_path, full.auxiliary_weight, full.cutout, full.grad_clip) == (0.0, 0.0, 0, 0.0)
    assert short == dataclasses.replace(full, name="short", epochs=12, purpose=short.purpose)


def test_each_space_has_its_published_protocol_a_short_and_a_tiny_one() -> None:
    assert {space: list(family) for space, family in PRESETS.items()} == {
        "darts": ["darts", "short", "tiny"],
        "nb201": ["nb201", "short", "tiny"],
    }
    for space, family in PRESETS.items():
        for name, protocol in family.items():
            assert (protocol.name, protocol.space) == (name, space)
        assert "not evidence" in family["tiny"].purpose


def test_cosine_from_the_rate_to_its_minimum_and_linear_drop_path() -> None:
    darts = preset("darts")
    assert darts.learning_rate_at(0) == 0.025
    assert darts.learning_rate_at(300) == pytest.approx(0.0125)
    assert darts.learning_rate_at(599) == pytest.approx(0.025 * 0.5 * (1 + math.cos(math.pi * 599 / 600)))
    assert darts.learning_rate_at(10, step=50, steps_per_epoch=100) == darts.learning_rate_at(10)
    nb201 = preset("nb201", "nb201")
    assert nb201.learning_rate_at(100, step=50, steps_per_epoch=100) < nb201.learning_rate_at(100)
    assert darts.drop_path_at(0) == 0.0
    assert darts.drop_path_at(300) == pytest.approx(0.1)
    assert darts.with_epochs(10).drop_path_at(5) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 0}, "epochs must be positive"),
        ({"max_train_images": 0}, "max_train_images"),
        ({"drop_path": 1.0}, "drop_path"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"cutout": -2}, "cutout"),
        ({"space": "nb201"}, "no auxiliary head"),
    ],
)
def test_bad_protocols_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(preset("tiny"), **change)


def test_unknown_preset() -> None:
    with pytest.raises(UnknownPreset, match=r"unknown preset 'huge' .*; known presets: darts, short, tiny"):
        preset("huge")
    with pytest.raises(ValueError, match=r"unknown preset 'darts' .*NAS-Bench-201.*: nb201, short, tiny"):
        preset("darts", "nb201")
    assert isinstance(preset("short"), Protocol)
