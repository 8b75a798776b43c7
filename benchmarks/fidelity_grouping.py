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
from benchmarks.supernet_fidelity import config_changes
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

    references: tuple[str, ...] = (
        "supernet_fidelity_cpu_small.json",
        "supernet_fidelity_cpu_small_seed1.json",
        "supernet_fidelity_cpu_small_seed2.json",
    )
    """Fidelity results of reference runs (one genotype per step), one per seed; a bare name is looked up
    in ``benchmarks/results``; missing files are skipped with a message."""
    runs: tuple[str, ...] = (
        "supernet_fidelity_cpu_small_k8_linear.json",
        "supernet_fidelity_cpu_small_k8_linear_seed1.json",
        "supernet_fidelity_cpu_small_k8_linear_seed2.json",
        "supernet_fidelity_cpu_small_k64_linear.json",
        "supernet_fidelity_cpu_small_k64_linear_seed1.json",
        "supernet_fidelity_cpu_small_k64_linear_seed2.json",
        "supernet_fidelity_cpu_small_k64_sqrt.json",
        "supernet_fidelity_cpu_small_k64_linear_ramp.json",
    )
    """Fidelity results of grouped runs, each compared with the reference of its seed (missing files and
    runs without a reference of their seed are skipped with a message)."""
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
    changed = config_changes(reference["config"], run["config"], FREE)
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


def available(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The result files among ``names`` that exist (the others are named in a message)."""
    found = []
    for name in names:
        try:
            found.append(load(name))
        except SystemExit as missing:
            print(f"skipped: {missing}")
    return found


def setting(row: dict[str, Any]) -> tuple[int, int, str, int]:
    """What a row's grouped run varied: budget, genotypes per step, learning-rate scaling and ramp."""
    return row["batches"], row["archs_per_step"], row["lr_scaling"], row["lr_warmup_batches"]


def over_seeds(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per setting: the mean of both taus and of their difference over seeds, and the differences' range."""
    settings: dict[tuple[int, int, str, int], list[dict[str, Any]]] = {}
    for row in rows:
        settings.setdefault(setting(row), []).append(row)
    found = []
    for key in sorted(settings):
        group = settings[key]
        differences = [row["difference"] for row in group]
        found.append(
            {
                **dict(
                    zip(("batches", "archs_per_step", "lr_scaling", "lr_warmup_batches"), key, strict=True)
                ),
                "sgd_steps": group[0]["sgd_steps"],
                "seeds": sorted(row["seed"] for row in group),
                "tau": float(np.mean([row["tau"] for row in group])),
                "tau_reference": float(np.mean([row["tau_reference"] for row in group])),
                "difference": float(np.mean(differences)),
                "difference_range": [min(differences), max(differences)],
            }
        )
    return found


def run(args: Args) -> dict[str, Any]:
    """Compare every available grouped run with the reference run of its seed.

    Raises:
        SystemExit: without any reference.
    """
    references = available(args.references)
    if not references:
        raise SystemExit("no reference fidelity result found")
    codes = np.asarray(references[0]["results"]["codes"], np.int64)
    truth = np.asarray(TableEvaluator(NB201Table.load(args.table), "cifar10", 200).val[codes], np.float64)
    return compare_all(truth, references, available(args.runs), args)


def compare_all(
    truth: npt.NDArray[np.float64],
    references: list[dict[str, Any]],
    runs: list[dict[str, Any]],
    args: Args,
) -> dict[str, Any]:
    """The comparison of loaded result files: rows per (setting, seed), means over seeds, the spread.

    Raises:
        SystemExit: when the references disagree on anything but their seed, or a run is not comparable
            with the reference of its seed.
    """
    by_seed = {int(found["config"]["seed"]): found for found in references}
    first = references[0]
    for other in references:
        check_comparable(first, {**other, "config": {**other["config"], "seed": first["config"]["seed"]}})
    rows: list[dict[str, Any]] = []
    for grouped in runs:
        seed = int(grouped["config"]["seed"])
        if seed not in by_seed:
            print(f"skipped: {grouped['path']} has no reference run of seed {seed}")
            continue
        check_comparable(by_seed[seed], grouped)
        rows.extend({**row, "seed": seed} for row in compare(truth, by_seed[seed], grouped, args))
    rows.sort(key=lambda r: (*setting(r), r["seed"]))
    compared = {row["batches"] for row in rows}
    spread = {
        str(steps): {str(seed): tau for seed, tau in sorted(taus.items())}
        for steps, taus in reference_taus(truth, by_seed).items()
        if steps in compared
    }
    return {
        "references": [Path(found["path"]).name for found in references],
        "label": first["results"]["label"],
        "cells": len(truth),
        "truth": "NAS-Bench-201 CIFAR-10 200-epoch validation accuracy, all sampled cells",
        "reference_tau_by_seed": spread,
        "over_seeds": over_seeds(rows),
        "rows": rows,
    }


def reference_taus(
    truth: npt.NDArray[np.float64], references: dict[int, dict[str, Any]]
) -> dict[int, dict[int, float]]:
    """tau of every reference run at every trained budget, by budget and seed."""
    found: dict[int, dict[int, float]] = {}
    for seed, reference in references.items():
        for entry in reference["results"]["budgets"]:
            if entry["steps"] > 0:
                tau = rank.kendall_tau_b(truth, np.asarray(entry["accuracy"], np.float64))
                found.setdefault(int(entry["steps"]), {})[seed] = tau
    return dict(sorted(found.items()))


def summary(results: dict[str, Any]) -> str:
    """The Markdown tables: the mean over seeds per setting, the reference's spread over seeds, and one
    row per (setting, seed) with its paired interval."""

    def interval(value: float, ci: list[float]) -> str:
        return f"{value:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]"

    grouping = ["batches", "K", "lr scaling", "lr ramp (batches)", "SGD steps"]
    means = [
        [
            *setting(row),
            row["sgd_steps"],
            ", ".join(str(seed) for seed in row["seeds"]),
            f"{row['tau']:+.3f}",
            f"{row['tau_reference']:+.3f}",
            interval(row["difference"], row["difference_range"]).replace("[", "(range ").replace("]", ")"),
        ]
        for row in results["over_seeds"]
    ]
    spread = [
        [steps, ", ".join(f"{tau:+.3f} (seed {seed})" for seed, tau in taus.items())]
        for steps, taus in results["reference_tau_by_seed"].items()
    ]
    rows = [
        [
            *setting(row),
            row["sgd_steps"],
            row["seed"],
            interval(row["tau"], row["tau_ci"]),
            interval(row["tau_reference"], row["tau_reference_ci"]),
            interval(row["difference"], row["difference_ci"]),
            f"{100 * row['mean_accuracy']:.1f} / {100 * row['mean_accuracy_reference']:.1f}",
        ]
        for row in results["rows"]
    ]
    return "\n\n".join(
        [
            "Mean over seeds:",
            report.markdown_table(
                [*grouping, "seeds", "tau val, K per step", "tau val, 1 per step", "difference (range)"],
                means,
            ),
            "One genotype per step, by seed:",
            report.markdown_table(["batches", "tau val"], spread),
            "By seed (95 % intervals: over cells for each tau, paired over cells for the difference):",
            report.markdown_table(
                [
                    *grouping,
                    "seed",
                    "tau val, K per step [95% CI]",
                    "tau val, 1 per step [95% CI]",
                    "difference [paired 95% CI]",
                    "mean accuracy % (K / 1)",
                ],
                rows,
            ),
        ]
    )


def save(args: Args, results: dict[str, Any]) -> Path:
    """Write the JSON (with machine and configuration) and the Markdown tables beside it."""
    path = report.write(args.out, args, results)
    text = [
        f"# Grouped supernet training vs one genotype per step ({results['label']})",
        "",
        f"Supernet fidelity runs ({results['cells']} NAS-Bench-201 cells; references "
        f"{', '.join(results['references'])}) that differ only in genotypes per SGD step (K) and the "
        f"learning-rate rule; truth: {results['truth']}. A budget counts batches of the same size, so every "
        "run sees the same images; K genotypes per step make K times fewer SGD steps. Each grouped run is "
        "compared with the one-genotype-per-step run of its seed (the seed fixes the data split, the "
        "initialisation and the genotype draws); difference: tau(K) - tau(1).",
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
