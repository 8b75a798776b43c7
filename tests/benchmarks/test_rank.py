"""Rank correlations against hand-computed values (scipy is not a dependency)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.common.rank import (
    average_ranks,
    bootstrap_tau_b,
    bootstrap_tau_b_difference,
    kendall_tau_b,
    spearman,
    top_overlap,
)


def test_tau_b_perfect_and_inverse_orders() -> None:
    x = np.arange(10.0)
    assert kendall_tau_b(x, 3 * x + 1) == pytest.approx(1.0)
    assert kendall_tau_b(x, -(x**3)) == pytest.approx(-1.0)


def test_tau_b_one_discordant_pair() -> None:
    # pairs of (1,2,3,4) vs (1,3,2,4): 5 concordant, 1 discordant -> (5 - 1) / 6
    assert kendall_tau_b([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)


def test_tau_b_with_ties() -> None:
    # x = (1,2,2,3), y = (1,2,3,3): 4 concordant, 0 discordant, one pair tied in x, one in y
    # tau_b = 4 / sqrt((6 - 1) * (6 - 1)) = 0.8 (scipy.stats.kendalltau gives 0.8 as well)
    assert kendall_tau_b([1, 2, 2, 3], [1, 2, 3, 3]) == pytest.approx(0.8)
    # x = (1,1,2,2), y = (1,2,1,2): 1 concordant, 1 discordant, 2 pairs tied in x, 2 in y -> 0
    assert kendall_tau_b([1, 1, 2, 2], [1, 2, 1, 2]) == pytest.approx(0.0)
    # x = (1,2,3), y = (1,1,2): 2 concordant, 1 tie in y -> 2 / sqrt(3 * 2)
    assert kendall_tau_b([1, 2, 3], [1, 1, 2]) == pytest.approx(2 / np.sqrt(6))


def test_tau_b_constant_sample_is_nan_and_bad_input_raises() -> None:
    assert np.isnan(kendall_tau_b([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError, match="same length"):
        kendall_tau_b([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="NaN"):
        kendall_tau_b([1, np.nan], [1, 2])


def test_average_ranks_share_ties() -> None:
    np.testing.assert_allclose(average_ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
    np.testing.assert_allclose(average_ranks([3, 1, 2]), [3, 1, 2])


def test_spearman() -> None:
    x = np.arange(8.0)
    assert spearman(x, np.exp(x)) == pytest.approx(1.0)
    assert spearman(x, -x) == pytest.approx(-1.0)
    # ranks (1,2,3,4) vs (1,3,2,4): 1 - 6 * sum(d^2) / (n (n^2 - 1)) = 1 - 6 * 2 / 60 = 0.8
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert np.isnan(spearman([2, 2, 2], [1, 2, 3]))


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    y = x + rng.normal(size=60)
    low, high = bootstrap_tau_b(x, y, n_resamples=300, seed=1)
    assert low < kendall_tau_b(x, y) < high
    assert (low, high) == bootstrap_tau_b(x, y, n_resamples=300, seed=1)
    assert bootstrap_tau_b(x, x, n_resamples=50) == pytest.approx((1.0, 1.0))


def test_paired_difference_interval_brackets_the_gap_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=80)
    noise = rng.normal(size=80)
    better, worse = truth + noise, truth + noise + 1.5 * rng.normal(size=80)
    gap = kendall_tau_b(truth, better) - kendall_tau_b(truth, worse)
    low, high = bootstrap_tau_b_difference(truth, better, worse, n_resamples=300, seed=1)
    assert low < gap < high
    assert low > 0.0  # the gap is resolved
    assert (low, high) == bootstrap_tau_b_difference(truth, better, worse, n_resamples=300, seed=1)
    assert bootstrap_tau_b_difference(truth, better, better, n_resamples=20) == (0.0, 0.0)
    with pytest.raises(ValueError, match="same length"):
        bootstrap_tau_b_difference(truth, better, worse[:10])


def test_top_overlap() -> None:
    truth = np.arange(20.0)
    assert top_overlap(truth, truth, 0.1) == 1.0
    assert top_overlap(truth, -truth, 0.1) == 0.0
    proxy = truth.copy()
    proxy[19] = -1.0  # the best item drops out of the proxy's top 2
    assert top_overlap(truth, proxy, 0.1) == 0.5
