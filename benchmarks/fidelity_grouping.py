"""What grouped supernet training costs in ranking quality: fidelity runs with ``K`` genotypes per SGD step
compared with the one-genotype-per-step run, budget by budget, on the same cells.

The GPU speed-up of grouped training (``TrainingConfig.archs_per_step = K``, see
``benchmarks/results/supernet_speed_paper_h100*.json``) changes the optimisation: a budget of ``B``
batches makes ``B / K`` SGD steps, each averaging ``K`` genotypes' gradients. This script reads result
files of :mod:`benchmarks.supernet_fidelity` that differ only in ``archs_per_step``, ``lr_scaling`` and
``lr_warmup_batches`` (checked), and reports for each budget both runs share: Kendall's tau-b of the grouped run against the
table's 200-epoch validation accuracy, the reference run's, and their difference with a paired 95 %
bootstrap interval over cells (:func:`benchmarks.rank.bootstrap_tau_b_difference`). It trains nothing.

    python -m benchmarks.fidelity_grouping      # the committed CPU-small runs
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks import rank, report
from benchmarks.args import parse_dataclass
from nat_env.nb201 import NB201Table, TableEvaluator

FREE = {
    "archs_per_step",
    "lr_scaling",
    "lr_warmup_batches",
    "budgets",
    "threads",
    "out",
    "label",
    "resume",
    "extra",
}
"""Configuration fields in which compared runs may differ."""


@dataclass
class Args:
    """Configuration of the grouping comparison (recorded in the result file)."""

    reference: str = "supernet_fidelity_cpu_small.json"
    """Fidelity result of the reference run (one genotype per step); a bare name is looked up in
    ``benchmarks/results``."""
    runs: tuple[str, ...] = (
        "supernet_fidelity_cpu_small_k8_linear.json",
        "supernet_fidelity_cpu_small_k64_linear.json",
        "supernet_fidelity_cpu_small_k64_sqrt.json",
        "supernet_fidelity_cpu_small_k64_linear_ramp.json",
    )
    """Fidelity results of grouped runs (missing files are skipped with a message)."""
    table: str | None = None
    """NAS-Bench-201 compact CSV; default ``NAT_NB201_TABLE``."""
    bootstrap: int = 1000
    """Paired bootstrap resamples of cells."""
    seed: int = 0
    """Seed of the bootstrap."""
    out: str = "supernet_fidelity_grouping_cpu_small.json"
    """Result file (a bare name goes into ``benchmarks/results``); the ``.md`` table goes beside it."""


def load(name: str) -> dict[str, Any]:
    """A fidelity result file by name or path.

    Raises:
        SystemExit: if it is missing or not a fidelity result.
    """
    path = Path(name)
    path = report.RESULTS / path if path.parent == Path(".") else path
    if not path.is_file():
        raise SystemExit(f"no fidelity result at {path}")
    try:
        found: dict[str, Any] = json.loads(path.read_text())
        missing = {"budgets", "codes", "label"} - set(found["results"]) or {"n_cells"} - set(found["config"])
    except (ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"{path} is not a supernet-fidelity result ({error!r})") from None
    if missing:
        raise SystemExit(f"{path} is not a supernet-fidelity result (no {', '.join(sorted(missing))})")
    found["path"] = str(path)
    return found


def check_comparable(reference: dict[str, Any], run: dict[str, Any]) -> None:
    """Raise unless the runs differ only in grouping, budgets and bookkeeping (same cells, data, model).

    Raises:
        SystemExit: naming the fields that differ.
    """
    ours, theirs = reference["config"], run["config"]
    defaults = {"archs_per_step": 1, "lr_scaling": "linear", "lr_warmup_batches": 0}
    keys = (set(ours) | set(theirs)) - FREE
    changed = sorted(k for k in keys if ours.get(k, defaults.get(k)) != theirs.get(k, defaults.get(k)))
    if changed or reference["results"]["codes"] != run["results"]["codes"]:
        raise SystemExit(f"{run['path']} is not comparable with {reference['path']}: {changed or 'cells'}")


def compare(
    truth: npt.NDArray[np.float64], reference: dict[str, Any], run: dict[str, Any], args: Args
) -> list[dict[str, Any]]:
    """One row per budget both runs scored: both taus and their paired difference."""
    theirs = {int(entry["steps"]): entry for entry in reference["results"]["budgets"]}
    rows = []
    for entry in run["results"]["budgets"]:
        steps = int(entry["steps"])
        if steps not in theirs or steps == 0:  # at budget 0 both are the same untrained supernet
            continue
        grouped = np.asarray(entry["accuracy"], np.float64)
        single = np.asarray(theirs[steps]["accuracy"], np.float64)
        tau, tau_reference = rank.kendall_tau_b(truth, grouped), rank.kendall_tau_b(truth, single)
        low, high = rank.bootstrap_tau_b_difference(truth, grouped, single, args.bootstrap, seed=args.seed)
        rows.append(
            {
                "archs_per_step": int(run["results"].get("archs_per_step", 1)),
                "lr_scaling": run["results"].get("lr_scaling", "none"),
                "lr_warmup_batches": int(run["results"].get("lr_warmup_batches", 0)),
                "batches": steps,
                "sgd_steps": int(entry.get("sgd_steps", steps)),
                "tau": tau,
                "tau_ci": entry["all"]["val"]["tau_ci"],
                "tau_reference": tau_reference,
                "tau_reference_ci": theirs[steps]["all"]["val"]["tau_ci"],
                "difference": tau - tau_reference,
                "difference_ci": [low, high],
                "mean_accuracy": float(grouped.mean()),
                "mean_accuracy_reference": float(single.mean()),
                "train_s": entry["train_s"],
                "train_s_reference": theirs[steps]["train_s"],
                "file": Path(run["path"]).name,
            }
        )
    return rows


def run(args: Args) -> dict[str, Any]:
    """Compare every available grouped run with the reference."""
    reference = load(args.reference)
    codes = np.asarray(reference["results"]["codes"], np.int64)
    truth = np.asarray(TableEvaluator(NB201Table.load(args.table), "cifar10", 200).val[codes], np.float64)
    rows: list[dict[str, Any]] = []
    for name in args.runs:
        try:
            grouped = load(name)
        except SystemExit as missing:
            print(f"skipped: {missing}")
            continue
        check_comparable(reference, grouped)
        rows.extend(compare(truth, reference, grouped, args))
    return {
        "reference": Path(reference["path"]).name,
        "label": reference["results"]["label"],
        "cells": len(codes),
        "truth": "NAS-Bench-201 CIFAR-10 200-epoch validation accuracy, all sampled cells",
        "rows": sorted(
            rows, key=lambda r: (r["batches"], r["archs_per_step"], r["lr_scaling"], r["lr_warmup_batches"])
        ),
    }


def summary(results: dict[str, Any]) -> str:
    """The Markdown table, one row per (budget, grouping)."""

    def interval(value: float, ci: list[float]) -> str:
        return f"{value:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]"

    rows = [
        [
            row["batches"],
            row["archs_per_step"],
            row["lr_scaling"],
            row["lr_warmup_batches"],
            row["sgd_steps"],
            interval(row["tau"], row["tau_ci"]),
            interval(row["tau_reference"], row["tau_reference_ci"]),
            interval(row["difference"], row["difference_ci"]),
            f"{100 * row['mean_accuracy']:.1f} / {100 * row['mean_accuracy_reference']:.1f}",
        ]
        for row in results["rows"]
    ]
    header = [
        "batches",
        "K",
        "lr scaling",
        "lr ramp (batches)",
        "SGD steps",
        "tau val, K genotypes per step [95% CI]",
        "tau val, 1 per step [95% CI]",
        "difference [paired 95% CI]",
        "mean accuracy % (K / 1)",
    ]
    return report.markdown_table(header, rows)


def save(args: Args, results: dict[str, Any]) -> Path:
    """Write the JSON (with machine and configuration) and the Markdown table beside it."""
    path = report.write(args.out, args, results)
    text = [
        f"# Grouped supernet training vs one genotype per step ({results['label']})",
        "",
        f"Supernet fidelity runs ({results['cells']} NAS-Bench-201 cells, the reference {results['reference']}) "
        f"that differ only in genotypes per SGD step (K); truth: {results['truth']}. A budget counts "
        "batches of the same size, so every run sees the same images; K genotypes per step make K times "
        "fewer SGD steps. Difference: tau(K) - tau(1), paired bootstrap over cells.",
        "",
        summary(results),
        "",
    ]
    path.with_suffix(".md").write_text("\n".join(text))
    return path


def main(argv: list[str] | None = None) -> None:
    args = parse_dataclass(Args, argv, __doc__)
    results = run(args)
    print(summary(results))
    print(f"wrote {save(args, results)}")


if __name__ == "__main__":
    main()
