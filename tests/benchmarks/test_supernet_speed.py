"""The speed benchmark's numerical agreement check and its timing spread."""

from __future__ import annotations

import pytest

from benchmarks.common.supernet_timing import spread
from benchmarks.supernet_speed import agreement


def test_identical_accuracies_agree_exactly() -> None:
    scores = [0.50, 0.55, 0.40, 0.40]
    assert agreement(scores, scores) == {
        "pairs": 2,
        "max_abs_accuracy_diff": 0.0,
        "mean_abs_accuracy_diff": 0.0,
        "max_abs_reward_diff": 0.0,
        "reward_sign_changes": 0,
    }


def test_differences_and_sign_changes_are_counted() -> None:
    plain = [0.50, 0.55, 0.40, 0.40]  # rewards +0.05 and 0
    other = [0.50, 0.45, 0.40, 0.42]  # rewards -0.05 and +0.02
    result = agreement(plain, other)
    assert result["pairs"] == 2
    assert result["max_abs_accuracy_diff"] == pytest.approx(0.10)
    assert result["mean_abs_accuracy_diff"] == pytest.approx(0.03)
    assert result["max_abs_reward_diff"] == pytest.approx(0.10)
    assert result["reward_sign_changes"] == 2


def test_spread_is_median_and_deciles() -> None:
    result = spread([float(i) for i in range(1, 12)])
    assert result == {"median_s": 6.0, "p10_s": 2.0, "p90_s": 10.0}
