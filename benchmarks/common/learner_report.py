"""Tables, CSV files and the learning-curve figure of the learners benchmark (``benchmarks/agents_nb201.py``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from benchmarks.common import report

MODES = ("maximum", "sampling")
ZOOM_FLOOR = 0.5
"""Lower end of the zoomed learning-curve panel's y axis (fraction of the oracle)."""

PAPER_NOTE = (
    "The paper's Table 3 ranks learners by the trained-from-scratch CIFAR-10 accuracy of 6 published cells "
    "(Sampling-GCN best; Maximum-GCN below LSTM on most cells); this table uses exact NAS-Bench-201 gains "
    "over random cells, so only the ordering is comparable. Paper rows: random search = random, "
    "LSTM = reinforce-lstm, Maximum-GCN / Sampling-GCN = reinforce-gcn maximum / sampling."
)


def output_path(out: str, suffix: str, stem_suffix: str = "") -> Path:
    """A result path beside ``out`` (resolved as :func:`report.write` does) with another suffix."""
    target = report.resolve(out)
    return target.with_name(target.stem + stem_suffix + suffix)


def _ci(interval: dict[str, float], digits: int = 2) -> str:
    return (
        f"{interval['estimate']:+.{digits}f} [{interval['low']:+.{digits}f}, {interval['high']:+.{digits}f}]"
    )


def _fraction(interval: dict[str, float]) -> str:
    return f"{interval['estimate']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}]"


def markdown(args: Any, results: dict[str, Any]) -> str:
    """The Table 3 analogue: one row per learner and inference mode, plus the oracle."""
    oracle = results["oracle"]
    header = (
        f"Oracle (best rewrite by validation) on {oracle['n_cells']} held-out cells of {args.env_id}: "
        f"mean test gain {oracle['mean_test_gain']:+.2f} points, validation gain "
        f"{oracle['mean_val_gain']:+.2f}. Budget {args.total_timesteps:,} env steps per learner, seeds "
        f"{', '.join(map(str, args.seeds))}; Sampling k = {args.k}; 95 % percentile-bootstrap intervals "
        f"({args.n_boot} resamples; mean: over seeds; IQM and fractions: seeds and cells)."
    )
    rows = [
        [
            agent,
            mode,
            _ci(s["mean_test_gain"]),
            _ci(s["iqm_test_gain"]),
            _fraction(s["fraction_test"]),
            f"{s['fraction_val']['estimate']:.3f}",
        ]
        for agent, by_mode in results["summary"].items()
        for mode, s in by_mode.items()
    ]
    rows.append(
        [
            "oracle",
            "best by validation",
            f"{oracle['mean_test_gain']:+.2f}",
            _ci(oracle["iqm_test_gain"]),
            "1.000",
            "1.000",
        ]
    )
    columns = [
        "learner",
        "mode",
        "mean test gain [95 % CI]",
        "IQM test gain [95 % CI]",
        "fraction of oracle (test) [95 % CI]",
        "fraction (val)",
    ]
    return "\n\n".join([header, report.markdown_table(columns, rows), PAPER_NOTE]) + "\n"


def write_csv(args: Any, results: dict[str, Any], stem_suffix: str) -> list[Path]:
    """One row per learner × mode × seed, and a summary CSV with the intervals."""
    per_run = output_path(args.out, ".csv", stem_suffix)
    with per_run.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", "mode", "seed", "mean_test_gain", "mean_val_gain", "train_s"])
        for r in results["runs"]:
            for mode in MODES:
                m = r[mode]
                writer.writerow(
                    [
                        r["agent"],
                        mode,
                        r["seed"],
                        f"{m['mean_test_gain']:.4f}",
                        f"{m['mean_val_gain']:.4f}",
                        f"{r['train_s']:.1f}",
                    ]
                )
    summary = output_path(args.out, ".csv", stem_suffix + "_summary")
    keys = ("mean_test_gain", "iqm_test_gain", "fraction_test", "fraction_val")
    with summary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        columns = [f"{key}_{part}" for key in keys for part in ("estimate", "low", "high")]
        writer.writerow(["learner", "mode", *columns, "mean_val_gain"])
        for agent, by_mode in results["summary"].items():
            for mode, s in by_mode.items():
                values = [s[key][part] for key in keys for part in ("estimate", "low", "high")]
                writer.writerow([agent, mode, *(f"{v:.4f}" for v in values), f"{s['mean_val_gain']:.4f}"])
    return [per_run, summary]


def plot(args: Any, results: dict[str, Any], path: Path) -> None:
    """Maximum's fraction of the oracle vs env steps: mean over seeds and its 95 % bootstrap band.

    Two panels: the whole range (untrained policies and the random learner lose several oracles' worth)
    and a zoom on the top, where the trained learners end.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, panels = plt.subplots(1, 2, figsize=(12, 4.5))
    for axes, bottom in zip(panels, (None, ZOOM_FLOOR), strict=True):
        for agent, curve in results["curves"].items():
            (line,) = axes.plot(curve["steps"], curve["mean"], label=agent)
            axes.fill_between(curve["steps"], curve["low"], curve["high"], color=line.get_color(), alpha=0.2)
        axes.axhline(1.0, color="black", linestyle="--", linewidth=1, label="oracle")
        if bottom is not None:
            axes.set_ylim(bottom, 1.05)
        axes.set_xlabel("env steps (episodes)")
        axes.set_ylabel("Maximum test gain / oracle's" + ("" if bottom is None else " (zoom)"))
        axes.grid(alpha=0.3)
    panels[1].legend(fontsize=8, loc="lower right")
    figure.suptitle(f"{args.env_id}: first {args.curve_n} held-out cells, seeds: {len(args.seeds)}")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
