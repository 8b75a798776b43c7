"""The reward's landmark calibration: the fit, its record, and its home inside the supernet checkpoint."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from nat_env.envs.supernet import SupernetEnv, make_cifar10_env, make_nb201_supernet_env
from nat_env.genotypes import parse
from nat_env.nb201.cells import genotype_of_code
from nat_env.sampler import GenotypeSampler
from nat_env.supernet import setup as supernet_setup
from nat_env.supernet.calibration import (
    CalibratedEvaluator,
    Calibration,
    CalibrationConfig,
    draw_pairs,
    feature_names,
    fit,
    fit_offset,
    op_counts,
    pair_groups,
    refitted,
)
from nat_env.supernet.checkpoint import CheckpointMismatch, read_calibrations, store_calibration
from nat_env.supernet.setup import build, clear_cache, make_spec
from nat_env.transitions import NatTransitions
from tests.envs.conftest import tiny_supernet_env

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CALIBRATED = {"calibration_landmarks": 5, "calibration_batches": 2}


def tiny(archive: Path, cache: Path, **kwargs: object) -> SupernetEnv:
    return tiny_supernet_env(make_nb201_supernet_env, archive, cache, **kwargs)


def test_op_counts_count_live_edges_per_op_but_the_first() -> None:
    cell = parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|")
    assert feature_names("nb201", "nb201") == (
        "cell:skip_connect",
        "cell:nor_conv_1x1",
        "cell:nor_conv_3x3",
        "cell:avg_pool_3x3",
    )
    np.testing.assert_array_equal(op_counts([cell], "nb201"), [[1, 1, 2, 1]])
    dead = genotype_of_code(0)  # every edge none: nothing is live
    np.testing.assert_array_equal(op_counts([dead], "nb201"), [[0, 0, 0, 0]])
    assert len(feature_names("nat", "darts")) == 2 * 10


def test_the_fit_recovers_a_bias_per_op() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(60, 3)).astype(float)
    true = rng.normal(0.6, 0.05, 60)
    # the supernet undervalues the second op by 3 points an edge and overvalues the third by 2
    supernet = true - counts @ np.array([0.0, 0.03, -0.02]) + rng.normal(0, 0.002, 60)
    a, v = fit(supernet, counts, true, l2=0.0)
    values = v / a
    assert a > 0
    assert values[1] == pytest.approx(0.03, abs=0.01)
    assert values[2] == pytest.approx(-0.02, abs=0.01)
    corrected = supernet + counts @ values
    assert np.corrcoef(corrected, true)[0, 1] > np.corrcoef(supernet, true)[0, 1] + 0.2


def test_the_offset_fit_recovers_a_bias_per_op_at_the_supernets_own_scale() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(60, 3)).astype(float)
    supernet = rng.normal(0.55, 0.05, 60)
    # fine-tuning adds 4 points to every cell, 3 more per edge of the second op and 2 less per third
    target = supernet + 0.04 + counts @ np.array([0.0, 0.03, -0.02]) + rng.normal(0, 0.002, 60)
    a, v = fit_offset(supernet, counts, target, l2=0.0)
    assert a == 1.0
    np.testing.assert_allclose(v, [0.0, 0.03, -0.02], atol=0.002)
    # the ridge penalty shrinks the offsets towards none
    _, shrunk = fit_offset(supernet, counts, target, l2=1e4)
    assert np.abs(shrunk).max() < 0.5 * np.abs(v).max()


def test_a_fit_within_pairs_ignores_what_the_pairs_share() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(40, 3)).astype(float)
    supernet = rng.normal(0.55, 0.05, 40)
    groups = np.arange(40) // 2
    # each pair's target is shifted by its own large amount, unrelated to the counts
    target = supernet + rng.normal(0, 0.2, 20)[groups] + counts @ np.array([0.0, 0.03, -0.02])
    _, v = fit_offset(supernet, counts, target, l2=0.0, groups=groups)
    np.testing.assert_allclose(v, [0.0, 0.03, -0.02], atol=1e-9)
    _, pooled = fit_offset(supernet, counts, target, l2=0.0)
    assert np.abs(pooled - [0.0, 0.03, -0.02]).max() > 0.01
    # the pairwise fit compares the two cells of a pair only (20 comparisons, not 780): the shifts vanish
    a, w = fit(supernet, counts, target, l2=0.0, groups=groups)
    assert w[1] / a > 0.01
    assert w[2] / a < -0.01


def test_pairs_are_an_input_cell_beside_a_legal_rewrite_of_it() -> None:
    sampler = GenotypeSampler(space="nb201", vocabulary="nb201", null_prob=0.2)
    transitions = NatTransitions()
    cells = draw_pairs(sampler, transitions, 12, seed=3)
    assert len(set(cells)) == 12
    for beta, alpha in zip(cells[::2], cells[1::2], strict=True):
        assert alpha != beta
        assert (alpha, beta) == (alpha.pruned(), beta.pruned())
        # alpha keeps, skips or removes each edge of beta (and pruning only removes more)
        for before, after in zip(beta.ops, alpha.ops, strict=True):
            assert after in (before, "skip_connect", "none")
    assert draw_pairs(sampler, transitions, 12, seed=3) == cells
    np.testing.assert_array_equal(pair_groups(CalibrationConfig(12, draw="pairs"), 6), [0, 0, 1, 1, 2, 2])
    assert pair_groups(CalibrationConfig(12), 6) is None
    with pytest.raises(ValueError, match="even number"):
        CalibrationConfig(5, draw="pairs")
    with pytest.raises(ValueError, match="draw must be one of"):
        CalibrationConfig(4, draw="table")
    # records stored before the draw existed were drawn uniformly and keep their key
    assert "draw" not in CalibrationConfig(4).key()


def a_calibration() -> Calibration:
    """A hand-written NAS-Bench-201 calibration of one landmark."""
    return Calibration(
        config=CalibrationConfig(landmarks=4),
        vocabulary="nb201",
        space="nb201",
        features=feature_names("nb201", "nb201"),
        accuracy_weight=2.0,
        count_weights=(0.1, -0.2, 0.3, 0.0),
        mean_counts=(1.0, 1.0, 1.0, 1.0),
        landmarks=(str(genotype_of_code(7)),),
        supernet_accuracy=(0.5,),
        target_accuracy=(0.6,),
    )


def test_a_fit_of_the_same_landmarks_another_way_trains_nothing_again() -> None:
    pairwise = dataclasses.replace(
        a_calibration(),
        config=CalibrationConfig(landmarks=4, batches=3),
        landmarks=tuple(str(genotype_of_code(c)) for c in (7, 100, 2000, 9000)),
        supernet_accuracy=(0.5, 0.4, 0.6, 0.55),
        target_accuracy=(0.6, 0.5, 0.62, 0.7),
        seconds=12.0,
    )
    offset = CalibrationConfig(landmarks=4, batches=3, fit="offset", l2=1.0)
    found = refitted(pairwise, offset)
    assert found.config == offset
    assert found.accuracy_weight == 1.0
    assert (found.landmarks, found.target_accuracy, found.seconds) == (
        pairwise.landmarks, pairwise.target_accuracy, 12.0,
    )  # fmt: skip
    with pytest.raises(ValueError, match="other landmarks"):
        refitted(pairwise, CalibrationConfig(landmarks=4, batches=4, fit="offset"))
    with pytest.raises(ValueError, match="fit must be one of"):
        CalibrationConfig(landmarks=4, fit="table")
    # records stored before the fit existed were fitted pairwise and keep their key
    assert "fit" not in CalibrationConfig(4).key()
    assert offset.key()["fit"] == "offset"


def test_a_record_round_trips_and_a_damaged_one_is_refused() -> None:
    calibration = a_calibration()
    assert Calibration.from_record(calibration.to_record()) == calibration
    record = calibration.to_record()
    with pytest.raises(ValueError, match="does not read"):
        Calibration.from_record({**record, "count_weights": [0.1]})
    with pytest.raises(ValueError, match="does not read"):
        Calibration.from_record({k: v for k, v in record.items() if k != "features"})
    # the correction: 100 * v / a points per edge, zero at the landmarks' mean counts
    assert calibration.op_values()["cell:nor_conv_3x3"] == pytest.approx(15.0)
    cell = parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|")
    assert calibration.offsets([cell])[0] == pytest.approx((0.1 * 0 - 0.2 * 0 + 0.3 * 1) / 2.0)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 4 landmarks"):
        CalibrationConfig(landmarks=2)
    with pytest.raises(ValueError, match="calibration needs"):
        CalibrationConfig(landmarks=8, batches=0)
    with pytest.raises(ValueError, match="frozen one-shot supernet"):
        make_spec("tiny", space="nb201", supernet_mode="online", device="cpu", calibration_landmarks=8)
    with pytest.raises(ValueError, match="unknown override"):
        make_spec("tiny", space="nb201", device="cpu", calibration_landmark=8)


def test_a_calibrated_env_rewards_the_corrected_accuracies(archive: Path, cache: Path) -> None:
    clear_cache()
    env = tiny(archive, cache, **CALIBRATED)
    calibration = env.setup.calibration
    assert calibration is not None
    assert isinstance(env.evaluator, CalibratedEvaluator)
    assert len(calibration.landmarks) == 5
    assert calibration.config == CalibrationConfig(5, batches=2)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.zeros(env.action_space.shape, dtype=np.int64))
    beta, alpha = parse(info["beta"]), parse(info["alpha"])
    raw = env.supernet_evaluator.evaluate([beta, alpha])
    assert info["supernet_accuracy_beta"] == pytest.approx(raw[0].accuracy)
    offsets = calibration.offsets([beta, alpha])
    assert info["acc_beta"] == pytest.approx(raw[0].accuracy + offsets[0])
    assert reward == pytest.approx(raw[1].accuracy + offsets[1] - raw[0].accuracy - offsets[0])


def forbid_fine_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any landmark fine-tuning (a calibration fitted from scratch) fail the test."""

    def no_fit(setup: object) -> Calibration:
        raise AssertionError("landmarks were fine-tuned where a stored calibration holds them")

    monkeypatch.setattr(supernet_setup, "fit_calibration", no_fit)


def test_the_calibration_is_stored_in_the_checkpoint_read_back_and_refitted_another_way(
    archive: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_cache()
    first = tiny(archive, cache, **CALIBRATED).setup
    assert first.checkpoint is not None
    assert len(read_calibrations(first.checkpoint)) >= 1
    clear_cache()
    forbid_fine_tuning(monkeypatch)
    again = tiny(archive, cache, **CALIBRATED).setup
    assert again.calibration == first.calibration
    # the weights are the same file's: an uncalibrated env of that configuration loads them unchanged
    clear_cache()
    plain = tiny(archive, cache).setup
    assert plain.calibration is None
    assert plain.checkpoint == first.checkpoint
    for name, tensor in plain.supernet.state_dict().items():
        assert torch.equal(tensor, first.supernet.state_dict()[name])

    # another fit of the same landmarks fine-tunes nothing: it is refitted from the stored ones
    clear_cache()
    assert first.calibration is not None
    held = len(read_calibrations(first.checkpoint))
    offset = {**CALIBRATED, "calibration_fit": "offset", "calibration_l2": 1.0}
    again = tiny(archive, cache, **offset).setup
    assert again.calibration is not None
    assert again.calibration.config.fit == "offset"
    assert again.calibration.landmarks == first.calibration.landmarks
    assert again.calibration.target_accuracy == first.calibration.target_accuracy
    assert len(read_calibrations(first.checkpoint)) == held + 1  # stored beside the first
    clear_cache()
    # a given checkpoint is refitted in memory, never rewritten
    given = {"checkpoint": str(first.checkpoint), "warmup_steps": None}
    loaded = tiny(archive, cache, **given, **{**offset, "calibration_l2": 0.5}).setup
    assert loaded.calibration is not None
    assert loaded.calibration.config.l2 == 0.5
    assert len(read_calibrations(first.checkpoint)) == held + 1
    clear_cache()


def test_a_calibration_seed_draws_other_landmarks_and_is_stored_beside(archive: Path, cache: Path) -> None:
    clear_cache()
    first = tiny(archive, cache, **CALIBRATED).setup
    assert first.checkpoint is not None
    held = len(read_calibrations(first.checkpoint))
    clear_cache()
    other = tiny(archive, cache, **CALIBRATED, calibration_seed=7).setup
    assert first.calibration is not None
    assert other.calibration is not None
    assert other.calibration.config.seed == 7
    assert other.calibration.landmarks != first.calibration.landmarks
    assert other.checkpoint == first.checkpoint
    assert len(read_calibrations(other.checkpoint)) == held + 1
    # records stored before the seed existed keep their key: an unset seed is not part of it
    assert "seed" not in CalibrationConfig(5).key()
    assert CalibrationConfig(5, seed=7).key()["seed"] == 7
    clear_cache()


def test_a_given_checkpoint_without_this_calibration_is_refused(archive: Path, cache: Path) -> None:
    clear_cache()
    checkpoint = tiny(archive, cache, **CALIBRATED).setup.checkpoint
    assert checkpoint is not None
    given = {"checkpoint": str(checkpoint), "warmup_steps": None}
    held = len(read_calibrations(checkpoint))
    clear_cache()
    loaded = tiny(archive, cache, **given, **CALIBRATED).setup
    assert loaded.calibration is not None
    assert len(loaded.calibration.landmarks) == 5
    clear_cache()
    with pytest.raises(CheckpointMismatch, match="holds no reward calibration"):
        tiny(archive, cache, **given, calibration_landmarks=6, calibration_batches=2)
    assert len(read_calibrations(checkpoint)) == held  # a given checkpoint is never rewritten
    clear_cache()


def test_a_damaged_stored_calibration_is_fitted_again_in_the_cache(
    archive: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clear_cache()
    spec = make_spec(
        "tiny", space="nb201", device="cpu", archive=str(archive), cache_dir=str(cache), warmup_steps=10,
        reward_images=64, **CALIBRATED,
    )  # fmt: skip
    setup = build(spec)
    assert setup.checkpoint is not None
    key = next(iter(read_calibrations(setup.checkpoint)))
    store_calibration(setup.checkpoint, key, {"config": "damaged"})
    clear_cache()
    with caplog.at_level(logging.WARNING, logger="nat_env.supernet.setup"):
        rebuilt = build(spec)
    assert "does not read" in caplog.text
    assert "fitting it again" in caplog.text
    assert rebuilt.calibration is not None
    assert Calibration.from_record(read_calibrations(setup.checkpoint)[key]) == rebuilt.calibration
    clear_cache()


@pytest.mark.slow
def test_darts_cells_are_calibrated_too(archive: Path, cache: Path) -> None:
    clear_cache()
    env = tiny_supernet_env(make_cifar10_env, archive, cache, calibration_landmarks=4, calibration_batches=1)
    calibration = env.setup.calibration
    assert calibration is not None
    assert calibration.space == "darts"
    assert len(calibration.count_weights) == len(feature_names("nat", "darts"))
    env.reset(seed=0)
    env.step(env.action_space.sample())
    clear_cache()


def test_the_spec_records_the_calibration(archive: Path) -> None:
    spec = make_spec("tiny", space="nb201", device="cpu", archive=str(archive), **CALIBRATED)
    assert spec.calibration == CalibrationConfig(landmarks=5, batches=2)
    assert dataclasses.replace(spec, calibration=CalibrationConfig()).shared != spec.shared


def test_a_frozen_nb201_supernet_takes_its_presets_calibration() -> None:
    def calibration(preset: str, **kwargs: object) -> CalibrationConfig:
        return make_spec(preset, device="cpu", **{"space": "nb201", **kwargs}).calibration  # type: ignore[arg-type]

    for preset in ("cpu-small", "paper"):
        default = CalibrationConfig(landmarks=32, batches=600, l2=1.0, fit="offset")
        assert calibration(preset) == default
        assert calibration(preset, calibration_batches=200) == dataclasses.replace(default, batches=200)
        # off is one value, whatever else is given; nothing to calibrate online, split or on DARTS by default
        assert calibration(preset, calibration_landmarks=0) == CalibrationConfig()
        assert calibration(preset, supernet_mode="online") == CalibrationConfig()
        assert calibration(preset, split_edge=0, split_batches=1) == CalibrationConfig()
        assert calibration(preset, space="darts") == CalibrationConfig()
    assert calibration("tiny") == CalibrationConfig()
