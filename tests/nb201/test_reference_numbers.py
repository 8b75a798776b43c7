"""The reference policies reproduce the numbers of docs/background.md from the real table (CIFAR-10, 200 epochs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nat_env.envs.nb201 import input_codes, load_table
from nat_env.nb201.evaluator import TableEvaluator
from nat_env.nb201.oracle import oracle, random_policy


@pytest.fixture(scope="module")
def evaluator(real_table: Path) -> TableEvaluator:
    return TableEvaluator(load_table(str(real_table)), "cifar10", 200)


def test_oracle_keep_and_random(evaluator: TableEvaluator) -> None:
    codes = input_codes(evaluator, "all")
    assert codes.size == 15_625
    val, test = evaluator.val, evaluator.test
    best = oracle(codes, val, test)
    assert 100 * best.gains.val.mean() == pytest.approx(5.57, abs=0.005)
    assert 100 * best.gains.test.mean() == pytest.approx(4.78, abs=0.005)
    assert (best.gains.val >= 0).all()
    restricted = oracle(codes, val, test, allow_null_to_skip=False)
    assert 100 * restricted.gains.val.mean() == pytest.approx(3.32, abs=0.005)
    assert 100 * restricted.gains.test.mean() == pytest.approx(2.50, abs=0.005)
    for legal_only in (False, True):
        gains = random_policy(codes, val, test, legal_only=legal_only)
        assert 100 * gains.test.mean() == pytest.approx(-12.8, abs=0.05)
    keep = val[codes] - val[codes]
    assert np.all(keep == 0.0)


def test_published_optimum(evaluator: TableEvaluator) -> None:
    assert 100 * np.nanmax(evaluator.val) == pytest.approx(91.607, abs=1e-3)
    assert 100 * np.nanmax(evaluator.test) == pytest.approx(94.373, abs=1e-3)
