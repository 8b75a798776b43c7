"""The new statistics against the committed result files (the fast parts of :mod:`benchmarks.stats_agreement`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import stats_agreement


def test_the_committed_t_intervals_agree_with_scipys_quantile() -> None:
    found = stats_agreement.t_intervals()
    assert found["checks"] == 25
    assert found["agree"] == found["checks"]
    assert found["max_difference"]["estimate"] == 0.0


def test_the_committed_global_taus_are_scipys(real_table: Path) -> None:
    args = stats_agreement.parse(["--smoke", "--table", str(real_table)])
    found = stats_agreement.fidelity_global(args)
    assert found["checks"] == 2
    assert found["agree"] == found["checks"]


@pytest.mark.slow
def test_the_committed_seed_bootstraps_agree_within_their_noise() -> None:
    found = stats_agreement.agents_means(stats_agreement.parse([]))
    for part in found.values():
        assert part["agree"] == part["checks"]
