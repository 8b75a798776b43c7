"""IQM and intervals of :mod:`benchmarks.common.stats` on hand-computed arrays and seeded synthetic truths."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

import numpy as np
import pytest

from benchmarks.common import stats


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], 2.5),  # n = 4: one value cut from each end -> mean(2, 3)
        ([4.0, 1.0, 100.0, 2.0, 3.0], 3.0),  # n = 5: cut 1 each end -> mean(2, 3, 4)
        ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 3.5),  # n = 8: cut 2 -> mean(2, 3, 4, 5)
        ([-50.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 50.0], 1.0),  # outliers are cut
        ([7.0], 7.0),
        ([1.0, 3.0], 2.0),  # n < 4: nothing is cut
    ],
)
def test_the_iqm_cuts_a_quarter_from_each_end(values: list[float], expected: float) -> None:
    assert stats.iqm_ci([values], n_boot=10).estimate == pytest.approx(expected)


def test_the_iqm_pools_seeds_and_cells() -> None:
    matrix = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 0.0, 30.0, 20.0]])
    assert stats.iqm_ci(matrix, n_boot=10).estimate == pytest.approx(np.mean([2.0, 3.0, 4.0, 10.0]))


def test_mean_ci_contains_the_estimate_is_seeded_and_leaves_the_global_state_alone() -> None:
    per_seed = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    # The caller's legacy global state, which mean_ci seeds for rliable and must give back.
    np.random.seed(7)  # noqa: NPY002
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    interval = stats.mean_ci(per_seed, n_boot=500, seed=3)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    assert interval.estimate == pytest.approx(3.0)
    assert 1.0 <= interval.low < 3.0 < interval.high <= 5.0
    assert stats.mean_ci(per_seed, n_boot=500, seed=3) == interval
    assert stats.mean_ci(per_seed, n_boot=500, seed=4) != interval


def test_mean_ci_covers_the_true_mean() -> None:
    rng = np.random.default_rng(0)
    covered = sum(
        (lambda i: i.low <= 1.0 <= i.high)(stats.mean_ci(rng.normal(1.0, 2.0, 20), n_boot=200, seed=s))
        for s in range(40)
    )
    assert covered >= 34  # 95 % nominal (a percentile bootstrap of 20 seeds covers a little less)


def test_a_constant_gives_a_zero_width_interval() -> None:
    assert stats.mean_ci([2.0, 2.0, 2.0], n_boot=50) == stats.Interval(2.0, 2.0, 2.0)
    assert stats.iqm_ci(np.full((3, 4), 2.0)) == stats.Interval(2.0, 2.0, 2.0)
    assert stats.ratio_ci(np.full((2, 3), 1.0), np.full(3, 4.0)) == stats.Interval(0.25, 0.25, 0.25)
    assert stats.t_interval([2.0, 2.0]) == stats.Interval(2.0, 2.0, 2.0)


def test_mean_band_is_pointwise() -> None:
    curves = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 2.0]])
    mean, low, high = stats.mean_band(curves, n_boot=200, seed=0)
    np.testing.assert_allclose(mean, [0.0, 2.0, 2.0])
    np.testing.assert_allclose(low[[0, 2]], [0.0, 2.0])
    np.testing.assert_allclose(high[[0, 2]], [0.0, 2.0])
    assert low[1] == pytest.approx(1.0)  # both resampled seeds the first: 2.5 % of 200 resamples
    assert high[1] == pytest.approx(3.0)


def test_iqm_ci_resamples_seeds_and_cells() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(1.0, 0.5, size=(5, 40))
    interval = stats.iqm_ci(scores, n_boot=500, seed=1)
    assert interval.low < interval.estimate < interval.high
    assert stats.iqm_ci(scores, n_boot=500, seed=1) == interval
    # Cells vary even with one seed: the two-way bootstrap still gives a non-degenerate interval.
    single = stats.iqm_ci(scores[:1], n_boot=500, seed=1)
    assert single.low < single.high


def test_iqm_ci_covers_the_centre_under_a_seed_effect() -> None:
    # score = 1 + seed effect + cell effect + noise, all symmetric about 0: the population IQM is 1. The
    # seed effect is shared by every cell, which a fresh seed per cell (rliable's strata) would average out.
    rng = np.random.default_rng(3)
    covered = 0
    for s in range(40):
        scores = (
            1.0 + rng.normal(0, 0.3, (8, 1)) + rng.normal(0, 1.0, (1, 200)) + rng.normal(0, 0.5, (8, 200))
        )
        interval = stats.iqm_ci(scores, n_boot=300, seed=s)
        covered += interval.low <= 1.0 <= interval.high
    assert covered >= 33  # 95 % nominal: 38 of 40 expected


def test_ratio_ci_matches_the_ratio_of_means() -> None:
    scores = np.array([[1.0, 2.0, 3.0, 2.0], [2.0, 2.0, 4.0, 1.0]])
    reference = np.array([2.0, 4.0, 4.0, 6.0])
    interval = stats.ratio_ci(scores, reference, n_boot=1000, seed=0)
    assert interval.estimate == pytest.approx(17 / 8 / 4)
    assert interval.low <= interval.estimate <= interval.high
    assert stats.ratio_ci(scores, reference, n_boot=1000, seed=0) == interval


def test_ratio_ci_agrees_with_a_naive_loop() -> None:
    rng = np.random.default_rng(1)
    scores, reference = rng.normal(1.0, 1.0, (3, 7)), rng.uniform(1.0, 2.0, 7)
    n_boot, seed = 200, 5
    draws = np.random.default_rng(seed)
    seeds, cells = draws.integers(3, size=(n_boot, 3)), draws.integers(7, size=(n_boot, 7))
    naive = [scores[s][:, c].mean() / reference[c].mean() for s, c in zip(seeds, cells, strict=True)]
    interval = stats.ratio_ci(scores, reference, n_boot=n_boot, seed=seed)
    low, high = np.percentile(naive, [2.5, 97.5])
    assert (interval.low, interval.high) == pytest.approx((low, high))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: stats.iqm_ci([[]]), "empty"),
        (lambda: stats.iqm_ci([[1.0, np.nan]]), "non-finite"),
        (lambda: stats.mean_ci([]), "empty"),
        (lambda: stats.mean_ci([[1.0, 2.0]]), "1-D"),
        (lambda: stats.mean_ci([1.0, 2.0], n_boot=0), "n_boot"),
        (lambda: stats.mean_ci([1.0, 2.0], level=1.0), "level"),
        (lambda: stats.mean_band([1.0, 2.0]), "seeds, points"),
        (lambda: stats.iqm_ci([1.0, 2.0]), "seeds, cells"),
        (lambda: stats.iqm_ci([[1.0, np.inf]]), "non-finite"),
        (lambda: stats.ratio_ci([[1.0, 2.0]], [1.0, 2.0, 3.0]), "shape"),
        (lambda: stats.ratio_ci([[1.0, 2.0]], [1.0, -1.0]), "zero"),
        (lambda: stats.t_interval([1.0, float("nan")]), "non-finite"),
        (lambda: stats.t_interval([1.0, 2.0], level=0.0), "level"),
    ],
)
def test_bad_input_raises(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_t_interval_of_three_seeds() -> None:
    interval = stats.t_interval([1.0, 2.0, 3.0])
    assert interval is not None
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(2) at 97.5 %, s = 1
    assert (interval.estimate, interval.low, interval.high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    wide = stats.t_interval([1.0, 2.0, 3.0], level=0.99)
    assert wide is not None
    assert wide.high - wide.estimate == pytest.approx(9.924843200918272 / np.sqrt(3))  # t(2) at 99.5 %
    assert stats.t_interval([5.0]) is None


def test_a_missing_rliable_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rliable", None)
    monkeypatch.delitem(sys.modules, "benchmarks.common.stats")
    with pytest.raises(SystemExit, match=r"nat-gym\[stats\]"):
        importlib.import_module("benchmarks.common.stats")
