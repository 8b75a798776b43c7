"""The oracle and the random policy against brute force on a synthetic accuracy function."""

from __future__ import annotations

import numpy as np
import pytest

from nat_env import transitions
from nat_env.evaluation import FunctionEvaluator
from nat_env.genotypes import Genotype
from nat_env.nb201.cells import N_CELLS, codes_of, genotype_of, op_ids, ops_of
from nat_env.nb201.oracle import best_transformation, oracle, random_policy

RNG = np.random.default_rng(0)
VAL = RNG.random(N_CELLS)
TEST = VAL + 0.01 * RNG.standard_normal(N_CELLS)
NAT = transitions.get("nat", "nb201")


def _val(genotype: Genotype) -> float:
    return float(VAL[codes_of(op_ids(genotype))])


@pytest.mark.parametrize("code", [0, 1, 3124, 9999, 15624])
def test_oracle_matches_exhaustive_search(code: int) -> None:
    result = oracle(np.array([code]), VAL, TEST)
    best, accuracy = best_transformation(genotype_of(ops_of(code)), FunctionEvaluator(_val), NAT)
    assert result.alpha_codes[0] == codes_of(op_ids(best))
    assert result.gains.val[0] == pytest.approx(accuracy - VAL[code])
    assert result.gains.val[0] >= 0.0


def test_oracle_without_shortcuts_never_turns_null_into_skip() -> None:
    codes = np.arange(0, N_CELLS, 13)
    restricted = oracle(codes, VAL, TEST, allow_null_to_skip=False)
    before, after = ops_of(codes), ops_of(restricted.alpha_codes)
    assert not ((before == 0) & (after == 1)).any()
    assert (restricted.gains.val <= oracle(codes, VAL, TEST).gains.val + 1e-12).all()


def test_random_policy_expectation_matches_sampling() -> None:
    code = np.array([codes_of(np.array([3, 1, 0, 2, 4, 1]))])
    exact = random_policy(code, VAL, TEST, legal_only=True).val[0]
    rng = np.random.default_rng(1)
    beta = genotype_of(ops_of(code[0]))
    mask = NAT.mask(beta)
    samples = [_val(NAT.apply(beta, transitions.random_legal_action(mask, rng))) for _ in range(4000)]
    assert exact == pytest.approx(np.mean(samples) - VAL[code[0]], abs=0.02)


def test_best_transformation_refuses_huge_enumerations() -> None:
    from nat_env import genotypes

    with pytest.raises(ValueError, match="exceed the limit"):
        best_transformation(
            genotypes.get("DARTS_V2"), FunctionEvaluator(lambda g: 0.0), transitions.get("nat")
        )
