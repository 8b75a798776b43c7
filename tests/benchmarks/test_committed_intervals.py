"""The statistics code against intervals it wrote into committed result files (a frozen fixture).

``data/committed_intervals.json`` holds, as committed at e2825cf, the 25 Student-t intervals of
``benchmarks/results/scratch/tiny_cpu.json`` with their per-seed values, and the global view of the first
entry of ``benchmarks/results/fidelity/cpu_small.json`` with the table's truth of its 256 sampled cells.
The committed numbers stay reproducible as long as these pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.common import rank, stats

FIXTURE = Path(__file__).parent / "data" / "committed_intervals.json"


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def test_the_committed_t_intervals_are_scipys(committed: dict[str, Any]) -> None:
    rows = committed["t_intervals"]
    assert len(rows) == 25
    for row in rows:
        values = row["values"]
        interval = stats.t_interval(values)
        assert interval is not None
        found = interval.as_dict()
        # The file was written with t to 4 decimals: a bound moves by at most half its last digit x s / sqrt(n).
        rounding = 5e-5 * float(np.std(values, ddof=1)) / np.sqrt(len(values)) + 1e-12
        assert found["estimate"] == pytest.approx(row["stored"]["estimate"], abs=1e-12)
        assert found["low"] == pytest.approx(row["stored"]["low"], abs=rounding)
        assert found["high"] == pytest.approx(row["stored"]["high"], abs=rounding)


def test_the_committed_global_taus_are_scipys(committed: dict[str, Any]) -> None:
    view = committed["global_tau"]
    val, test, proxy = (np.asarray(view[key], np.float64) for key in ("val", "test", "proxy"))
    stored = view["stored"]
    low, high = rank.bootstrap_tau_b(val, proxy, view["bootstrap"], seed=view["seed"])
    assert rank.kendall_tau_b(val, proxy) == pytest.approx(stored["tau"], abs=1e-12)
    assert rank.spearman(val, proxy) == pytest.approx(stored["spearman"], abs=1e-12)
    assert rank.kendall_tau_b(test, proxy) == pytest.approx(stored["tau_test"], abs=1e-12)
    assert (low, high) == pytest.approx(tuple(stored["tau_ci"]), abs=1e-12)
