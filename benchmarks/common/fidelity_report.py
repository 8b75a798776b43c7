"""Tables and figures of the supernet-fidelity benchmark (``benchmarks/supernet_fidelity.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.common.report import markdown_table


def _ci(found: dict[str, float], digits: int = 3, sign: bool = False) -> str:
    f = f"{{:{'+' if sign else ''}.{digits}f}}"
    return f"{f.format(found['estimate'])} [{f.format(found['low'])}, {f.format(found['high'])}]"


def entry_rows(args: Any, results: dict[str, Any]) -> list[list[Any]]:
    """One row per (variant, budget, reward images)."""
    rows = []
    for e in sorted(
        results["entries"],
        key=lambda e: (e["variant"] != args.reference, e["variant"], e["budget"], e["reward_images"]),
    ):
        g, local = e["global"], e["local"]
        tau_all = {"estimate": g["all"]["tau"], "low": g["all"]["tau_ci"][0], "high": g["all"]["tau_ci"][1]}
        rows.append(
            [
                e["variant"],
                e["budget"],
                e["reward_images"],
                _ci(tau_all, sign=True),
                f"{g['connected']['tau']:+.3f}",
                f"{g['all']['spearman']:+.3f}",
                _ci(local["neighbourhood_tau"], sign=True),
                _ci(local["sign_agreement"]),
                _ci(local["fraction_of_oracle_test"], 2),
                f"{local['regret_test']['estimate']:.2f}",
                f"{100 * g['all']['mean_accuracy']:.1f}",
            ]
        )
    return rows


def markdown(args: Any, results: dict[str, Any]) -> str:
    """The fidelity tables: every entry, then every variant against the reference."""
    text = [
        f"# Supernet fidelity on NAS-Bench-201 ({args.preset} preset)",
        "",
        f"Supernet accuracy of NAT-NB201-Supernet-CIFAR10-v0 (fixed reward window of the rewards split of "
        f"CIFAR-10, JPEG copy) against the table's CIFAR-10 200-epoch accuracies. Global: {args.n_cells} cells "
        f"uniform over all 15,625 (seed {args.cell_seed}). Local: the full NAT neighbourhoods of {args.n_inputs} "
        f"input cells (seed {args.input_seed}); sign agreement over pairs with a true validation gain of at "
        f"least {args.threshold:g} point; best rewrite: the table test gain of the supernet's top-ranked rewrite "
        "of each input (β wins ties) as a fraction of the oracle's (best by table validation), regret in "
        f"points. 95 % percentile-bootstrap intervals ({args.bootstrap} resamples over cells or inputs). "
        f"Training seed {args.seed}.",
        "",
        markdown_table(
            [
                "variant",
                "batches",
                "reward images",
                "global tau val [95% CI]",
                "tau connected",
                "spearman",
                "neighbourhood tau [95% CI]",
                "sign agreement [95% CI]",
                "best rewrite / oracle (test) [95% CI]",
                "regret (test points)",
                "mean supernet acc %",
            ],
            entry_rows(args, results),
        ),
        "",
    ]
    comparisons = results.get("comparisons") or []
    if comparisons:
        rows = [
            [
                c["variant"],
                c["budget"],
                c["reward_images"],
                f"{c['global_tau_difference']:+.3f}",
                _ci(c["difference"]["neighbourhood_tau"], sign=True),
                _ci(c["difference"]["sign_agreement"], sign=True),
                _ci(c["difference"]["fraction_of_oracle_test"], 2, sign=True),
            ]
            for c in comparisons
        ]
        text += [
            f"## Each variant minus {args.reference} (same budget, images and inputs; paired bootstrap over inputs)",
            "",
            markdown_table(
                [
                    "variant",
                    "batches",
                    "reward images",
                    "global tau",
                    "neighbourhood tau [95% CI]",
                    "sign agreement [95% CI]",
                    "best rewrite / oracle [95% CI]",
                ],
                rows,
            ),
            "",
        ]
    return "\n".join(text)


def plot(results: dict[str, Any], path: Path) -> None:
    """Global tau, sign agreement and the best rewrite's fraction of the oracle against the warm-up budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    series: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for entry in results["entries"]:
        series.setdefault((entry["variant"], entry["reward_images"]), []).append(entry)
    panels = (
        ("global tau (val)", _global_tau),
        ("sign agreement", _sign),
        ("best rewrite / oracle (test)", _best),
    )
    for axis, (title, value) in zip(axes, panels, strict=True):
        for (variant, images), entries in sorted(series.items()):
            entries = sorted(entries, key=lambda e: e["budget"])
            x = [e["budget"] for e in entries]
            y, low, high = zip(*(value(e) for e in entries), strict=True)
            errors = [
                [a - b for a, b in zip(y, low, strict=True)],
                [b - a for a, b in zip(y, high, strict=True)],
            ]
            axis.errorbar(x, y, yerr=errors, marker="o", capsize=3, label=f"{variant}, {images} images")
        axis.set_xscale("log")
        axis.set_xlabel("warm-up batches")
        axis.set_title(title)
        axis.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False)
    figure.tight_layout(rect=(0, 0.06 + 0.03 * (len(labels) // 3), 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _global_tau(entry: dict[str, Any]) -> tuple[float, float, float]:
    found = entry["global"]["all"]
    return found["tau"], found["tau_ci"][0], found["tau_ci"][1]


def _sign(entry: dict[str, Any]) -> tuple[float, float, float]:
    found = entry["local"]["sign_agreement"]
    return found["estimate"], found["low"], found["high"]


def _best(entry: dict[str, Any]) -> tuple[float, float, float]:
    found = entry["local"]["fraction_of_oracle_test"]
    return found["estimate"], found["low"], found["high"]
