"""Rank correlations against hand-computed values, the pair-counting definition and a known truth."""

from __future__ import annotations

import importlib
import sys
from itertools import combinations

import numpy as np
import numpy.typing as npt
import pytest

from benchmarks.common.rank import bootstrap_tau_b, kendall_tau_b, spearman


def pair_count_tau_b(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """tau-b by its definition: ``sum(s_x s_y) / sqrt((n0 - n1) (n0 - n2))`` over the pairs ``i < j``."""
    a, b = np.asarray(x, np.float64), np.asarray(y, np.float64)
    pairs = list(combinations(range(a.size), 2))
    sx = np.array([np.sign(a[i] - a[j]) for i, j in pairs])
    sy = np.array([np.sign(b[i] - b[j]) for i, j in pairs])
    return float(np.sum(sx * sy) / np.sqrt(np.count_nonzero(sx) * np.count_nonzero(sy)))


def test_tau_b_perfect_and_inverse_orders() -> None:
    x = np.arange(10.0)
    assert kendall_tau_b(x, 3 * x + 1) == pytest.approx(1.0)
    assert kendall_tau_b(x, -(x**3)) == pytest.approx(-1.0)


def test_tau_b_one_discordant_pair() -> None:
    # pairs of (1,2,3,4) vs (1,3,2,4): 5 concordant, 1 discordant -> (5 - 1) / 6
    assert kendall_tau_b([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)


def test_tau_b_with_ties() -> None:
    # x = (1,2,2,3), y = (1,2,3,3): 4 concordant, 0 discordant, one pair tied in x, one in y
    # tau_b = 4 / sqrt((6 - 1) * (6 - 1)) = 0.8
    assert kendall_tau_b([1, 2, 2, 3], [1, 2, 3, 3]) == pytest.approx(0.8)
    # x = (1,1,2,2), y = (1,2,1,2): 1 concordant, 1 discordant, 2 pairs tied in x, 2 in y -> 0
    assert kendall_tau_b([1, 1, 2, 2], [1, 2, 1, 2]) == pytest.approx(0.0)
    # x = (1,2,3), y = (1,1,2): 2 concordant, 1 tie in y -> 2 / sqrt(3 * 2)
    assert kendall_tau_b([1, 2, 3], [1, 1, 2]) == pytest.approx(2 / np.sqrt(6))


def test_tau_b_is_the_pair_counting_definition_on_heavily_tied_data() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rng.integers(0, 4, size=40), rng.integers(0, 3, size=40)
        y[:20] = x[:20]  # some agreement, many ties in both
        assert kendall_tau_b(x, y) == pytest.approx(pair_count_tau_b(x, y), abs=1e-12)


def test_tau_b_constant_sample_is_nan_and_bad_input_raises() -> None:
    assert np.isnan(kendall_tau_b([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError, match="same length"):
        kendall_tau_b([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="NaN"):
        kendall_tau_b([1, np.nan], [1, 2])


def test_spearman() -> None:
    x = np.arange(8.0)
    assert spearman(x, np.exp(x)) == pytest.approx(1.0)
    assert spearman(x, -x) == pytest.approx(-1.0)
    # ranks (1,2,3,4) vs (1,3,2,4): 1 - 6 * sum(d^2) / (n (n^2 - 1)) = 1 - 6 * 2 / 60 = 0.8
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    # ties share their average rank: ranks (1, 2.5, 2.5, 4) vs (1, 2, 3, 4), Pearson's r of the ranks
    assert spearman([10, 20, 20, 30], [1, 2, 3, 4]) == pytest.approx(4.5 / np.sqrt(4.5 * 5))
    assert np.isnan(spearman([2, 2, 2], [1, 2, 3]))


def test_bootstrap_interval_is_the_item_bootstrap_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    y = x + rng.normal(size=30)
    draws = np.random.default_rng(1)
    naive = [pair_count_tau_b(x[i], y[i]) for i in (draws.integers(0, 30, 30) for _ in range(100))]
    low, high = bootstrap_tau_b(x, y, n_resamples=100, seed=1)
    assert (low, high) == pytest.approx(tuple(np.percentile(naive, [2.5, 97.5])), abs=1e-12)
    assert low < kendall_tau_b(x, y) < high
    assert (low, high) == bootstrap_tau_b(x, y, n_resamples=100, seed=1)
    assert bootstrap_tau_b(x, x, n_resamples=50) == pytest.approx((1.0, 1.0))


def test_bootstrap_interval_covers_the_true_tau() -> None:
    # For a bivariate normal with correlation rho, Kendall's tau is 2 / pi * arcsin(rho).
    rho = 0.6
    truth = 2 / np.pi * np.arcsin(rho)
    rng = np.random.default_rng(2)
    covered = 0
    for seed in range(20):
        x, noise = rng.normal(size=(2, 60))
        low, high = bootstrap_tau_b(x, rho * x + np.sqrt(1 - rho**2) * noise, n_resamples=100, seed=seed)
        covered += low <= truth <= high
    assert covered >= 17  # 95 % nominal: 19 of 20 expected


def test_bootstrap_drops_undefined_resamples() -> None:
    # Resamples without item 3 have a constant x: their tau is undefined and they are left out.
    low, high = bootstrap_tau_b([1, 1, 1, 2], [1, 2, 3, 4], n_resamples=200)
    assert np.isfinite([low, high]).all()
    assert 0 < low <= high <= 1
    assert np.isnan(bootstrap_tau_b([1, 1, 1], [1, 2, 3], n_resamples=20)).all()
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_tau_b([1, 2], [1, 2], confidence=1.0)


def test_a_missing_scipy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.delitem(sys.modules, "benchmarks.common.rank")
    with pytest.raises(SystemExit, match=r"nat-gym\[stats\]"):
        importlib.import_module("benchmarks.common.rank")
