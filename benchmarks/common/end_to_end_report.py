"""The table and figure of the end-to-end benchmark (``benchmarks/end_to_end.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.common.report import markdown_table


def _fraction(found: dict[str, float]) -> str:
    return f"{found['estimate']:.3f} [{found['low']:.3f}, {found['high']:.3f}]"


def markdown(args: Any, results: dict[str, Any]) -> str:
    """One row per (learner or reference, reward, warm-up budget), then the supernet's tau per budget."""
    rows = [
        [
            r["learner"],
            r["reward"],
            "-" if r["warmup_batches"] is None else r["warmup_batches"],
            f"{r['mean_test_gain']:+.2f}",
            _fraction(r["fraction_of_oracle_test"]),
        ]
        for r in results["rows"]
    ]
    taus = [
        [
            b["warmup_batches"],
            f"{b['tau_fidelity_sample']:+.3f}",
            f"{b['tau_2048_cells']:+.3f}",
            f"{b.get('score_s', 0.0):.0f}",
            ", ".join(f"{t:.0f}" for t in b["train_s"]),
        ]
        for b in results["budgets"]
    ]
    return "\n".join(
        [
            f"# NAT end to end on NAS-Bench-201 ({args.preset} supernet, training variant {args.variant}, "
            f"sampler {args.extra.get('supernet_sampler', 'unrecorded')})",
            "",
            f"{args.learner} trained for {args.total_timesteps:,} episodes per seed (seeds "
            f"{', '.join(map(str, args.seeds))}) on NAT-NB201-Supernet-CIFAR10-v0 rewards ({args.reward_images} "
            "fixed validation images) after each warm-up budget, and on exact table rewards "
            f"(NAT-NB201-CIFAR10-v0, the ceiling). {args.n_eval} held-out input cells (seed {args.eval_seed}); "
            f"Maximum: the argmax per edge; Sampling: the best of {args.k} samples by the env's reward (the "
            "supernet on supernet rows). Scored by the table's 200-epoch test gain over β as a fraction of "
            f"the oracle's ({results['oracle_mean_test_gain']:+.2f} points: the best rewrite by table validation "
            "accuracy); 95 % bootstrap intervals over seeds and cells.",
            "",
            markdown_table(
                [
                    "learner",
                    "reward",
                    "warm-up batches",
                    "mean test gain (points)",
                    "fraction of oracle (test) [95% CI]",
                ],
                rows,
            ),
            "",
            "Supernet per budget: Kendall tau against the table's validation accuracy, the time to score every "
            "cell once, and the learner's training time per seed (seconds):",
            "",
            markdown_table(
                ["warm-up batches", "tau (256 cells)", "tau (2,048 cells)", "scoring s", "train s"], taus
            ),
            "",
        ]
    )


def plot(results: dict[str, Any], path: Path) -> None:
    """Fraction of the oracle against the warm-up budget and against the supernet's tau."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    taus = {b["warmup_batches"]: b["tau_2048_cells"] for b in results["budgets"]}
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.3))
    series: dict[str, list[dict[str, Any]]] = {}
    for r in results["rows"]:
        if r["reward"] == "table":
            for axis in axes:
                axis.axhline(
                    r["fraction_of_oracle_test"]["estimate"], linestyle="--", linewidth=1, color="gray"
                )
                axis.annotate(f"{r['learner']}, table", (0.01, r["fraction_of_oracle_test"]["estimate"]),
                              xycoords=("axes fraction", "data"), fontsize=7, va="bottom")  # fmt: skip
        elif r["warmup_batches"] in taus and r["learner"] != "keep":
            series.setdefault(r["learner"], []).append(r)
    for name, found in series.items():
        found = sorted(found, key=lambda r: r["warmup_batches"])
        y = [r["fraction_of_oracle_test"]["estimate"] for r in found]
        low = [a - r["fraction_of_oracle_test"]["low"] for a, r in zip(y, found, strict=True)]
        high = [r["fraction_of_oracle_test"]["high"] - a for a, r in zip(y, found, strict=True)]
        for axis, x in (
            (axes[0], [r["warmup_batches"] for r in found]),
            (axes[1], [taus[r["warmup_batches"]] for r in found]),
        ):
            axis.errorbar(x, y, yerr=[low, high], marker="o", capsize=3, label=name)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("supernet warm-up batches")
    axes[1].set_xlabel("supernet Kendall tau vs table (2,048 cells)")
    for axis in axes:
        axis.set_ylabel("test gain / oracle's")
        axis.axhline(0, color="black", linewidth=0.5)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
