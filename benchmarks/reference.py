"""Reference policies on the exact-reward environments: oracle, keep-everything and uniform random.

Every input cell of the table is scored; gains are in accuracy points. Run:

    python -m benchmarks.reference [--table PATH] [--out reference/nb201.json]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchmarks.common import report
from benchmarks.common.args import TableArgs
from nat_env.flags import parse_dataclass
from nat_env.nb201 import DATASETS, TableEvaluator
from nat_env.nb201.evaluator import input_codes, load_table
from nat_env.nb201.oracle import Gains, oracle, random_policy

PAPER = {"oracle": (5.57, 4.78), "oracle_no_null_to_skip": (3.32, 2.50), "uniform_random": (None, -12.8)}
"""docs/background.md, section 6 (CIFAR-10, 200 epochs, every cell as input): (validation, test) mean gains."""


@dataclass
class Args(TableArgs):
    """Configuration of the reference benchmark."""

    out: str = "reference/nb201.json"
    """Result file (relative to ``benchmarks/results`` unless absolute)."""
    inputs: str = field(default="all", metadata={"choices": ("all", "connected")})
    """Input cells: ``all`` or ``connected``."""
    epochs: int = field(default=200, metadata={"choices": (200, 12)})
    """Fidelity of the table's accuracies (200 or 12)."""


def _summary(gains: Gains) -> dict[str, float]:
    return {"val_gain": float(100 * gains.val.mean()), "test_gain": float(100 * gains.test.mean())}


def run(args: Args) -> dict[str, dict[str, dict[str, float]]]:
    """Mean gains of each reference policy on each dataset."""
    table = load_table(args.table)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for dataset in DATASETS:
        evaluator = TableEvaluator(table, dataset, args.epochs)
        codes = input_codes(evaluator, args.inputs)
        val, test = evaluator.val, evaluator.test
        zero = np.zeros(codes.size)
        results[dataset] = {
            "cells": {"count": float(codes.size)},
            "keep": _summary(Gains(zero, zero)),
            "oracle": _summary(oracle(codes, val, test).gains),
            "oracle_no_null_to_skip": _summary(oracle(codes, val, test, allow_null_to_skip=False).gains),
            "uniform_random": _summary(random_policy(codes, val, test, legal_only=False)),
            "uniform_legal_random": _summary(random_policy(codes, val, test, legal_only=True)),
        }
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_dataclass(Args, argv, __doc__)
    results = run(args)
    rows = [
        [dataset, policy, numbers["val_gain"], numbers["test_gain"]]
        for dataset, policies in results.items()
        for policy, numbers in policies.items()
        if policy != "cells"
    ]
    print(report.markdown_table(["dataset", "policy", "val gain", "test gain"], rows))
    path = report.write(args.out, args, {"gains_in_points": results, "paper_cifar10": PAPER})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
