"""Supernet fidelity on NAS-Bench-201: does the supernet reward rank rewrites as the truth does?

For every training variant and warm-up budget, the supernet of ``NAT-NB201-Supernet-CIFAR10-v0`` (the
env's own setup, checkpoint cache and fixed reward window) scores a global sample of cells and the full
NAT neighbourhoods (β and every legal rewrite) of ``n_inputs`` input cells; the scores are compared with
the NAS-Bench-201 table's 200-epoch CIFAR-10 accuracies (:mod:`benchmarks.common.faithfulness`): global
Kendall tau-b and Spearman rho, neighbourhood tau, sign agreement of rewards with a true gain of at
least ``threshold`` points, and the table test gain of the supernet's best rewrite of each input
against the oracle's. Each variant is also compared with the reference variant (``--reference``, round 1's
supernet) at the same budget, paired over the
same inputs. Scores are remembered on disk beside each checkpoint, so a rerun (or ``--resume``) only
computes what is missing. Each (variant, budget, images) entry is a job of :mod:`benchmarks.common.jobs`
(``--workers``, ``--backend ray``; on Ray every node needs the data and its own checkpoint cache).

Variants are ``base`` (the env's defaults) or ``+``-joined ``field=value`` overrides of the env (any
training field: ``lr=0.025``, ``sampler=unique``, ``archs_per_step=8+lr_scaling=linear``...).

    python -m benchmarks.fidelity                                  # CPU-small, both samplers
    python -m benchmarks.fidelity --variants sampler=mixture,lr=0.025 --budgets 20000
    python -m benchmarks.fidelity --smoke                          # tiny everything
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import faithfulness, report
from benchmarks.common.args import DataArgs, DerivedArgs, DeviceArgs
from benchmarks.common.faithfulness import supernet_overrides
from benchmarks.common.jobs import Job, JobsArgs, run_jobs
from nat_env.envs.supernet import make_nb201_supernet_env, save_scores
from nat_env.flags import parse_dataclass
from nat_env.nb201 import NB201Table, TableEvaluator
from nat_env.nb201.cells import N_CELLS, genotype_of_code, live_nodes, ops_of
from nat_env.records import config_differences
from nat_env.supernet.setup import clear_cache


@dataclass
class Args(JobsArgs, DataArgs, DeviceArgs, DerivedArgs):
    """Configuration of the supernet-fidelity benchmark (recorded in the result file); how its entries run
    is :class:`~benchmarks.common.jobs.JobsArgs`'s (backend, workers, threads, resume), its data files
    :class:`~benchmarks.common.args.DataArgs`'s (table, archive) and its device
    :class:`~benchmarks.common.args.DeviceArgs`'s."""

    preset: str = "cpu-small"
    """Supernet preset of the env (cpu-small: the CPU study; paper: NAS-Bench-201's network, for a GPU)."""
    budgets: tuple[int, ...] = (4000, 10_000, 20_000, 40_000)
    """Warm-up budgets in batches of the preset's batch size."""
    variants: tuple[str, ...] = ("sampler=mixture", "sampler=unique")
    """Training variants: base (the env's defaults), or +-joined field=value env overrides (lr=0.025,
    sampler=unique, ...)."""
    reference: str = "sampler=mixture"
    """The variant every other is compared with: round 1's supernet (the mixture training distribution)."""
    reward_images: tuple[int, ...] = (2048,)
    """Validation images of the fixed reward window (each count is its own window and scores)."""
    n_inputs: int = 64
    """Input cells whose full neighbourhoods are scored (uniform over all cells, seeded)."""
    n_cells: int = 256
    """Cells of the global sample (uniform over all cells, seeded)."""
    cell_seed: int = 0
    """Seed of the global sample."""
    input_seed: int = 1
    """Seed of the input cells."""
    threshold: float = 1.0
    """Smallest true gain (points) of a pair counted by the sign agreement."""
    seed: int = 0
    """Seed of the data split, the supernet's initialisation and training, and the reward window."""
    bootstrap: int = 1000
    """Bootstrap resamples of every interval."""
    out: str = "fidelity/cpu_small.json"
    """Result file (relative to benchmarks/results unless absolute); .md and .png go beside it; --resume keeps its entries (same configuration) and the finished jobs in <out>_jobs/."""
    smoke: bool = False
    """Tiny everything: checks the pipeline only; outputs named *_smoke."""


FREE = (
    "budgets",
    "variants",
    "reward_images",
    "threads",
    "out",
    "resume",
    "extra",
    "backend",
    "ray_address",
    "workers",
    "gpus",
)
"""Settings a resumed run may change: which entries to compute, and bookkeeping."""


def cells(args: Args) -> tuple[np.ndarray, np.ndarray]:
    """The global sample and the input cells (codes)."""
    sample = np.sort(np.random.default_rng(args.cell_seed).choice(N_CELLS, args.n_cells, replace=False))
    inputs = np.random.default_rng(args.input_seed).permutation(N_CELLS)[: args.n_inputs]
    return sample.astype(np.int64), inputs.astype(np.int64)


def proxy_scores(
    args: Args, variant: str, budget: int, images: int, codes: np.ndarray
) -> tuple[np.ndarray, dict[str, Any]]:
    """The env's supernet accuracies of ``codes`` (NaN elsewhere) and how they were obtained."""
    start = time.perf_counter()
    env = make_nb201_supernet_env(
        preset=args.preset,
        device=args.device,
        warmup_steps=budget,
        reward_images=images,
        seed=args.seed,
        archive=args.archive,
        download=False,
        **supernet_overrides(variant),
    )
    built = time.perf_counter()
    evaluator = env.supernet_evaluator
    known = len(evaluator.memo or {})
    proxy = np.full(N_CELLS, np.nan)
    for start_at in range(0, len(codes), 512):
        part = codes[start_at : start_at + 512]
        proxy[part] = evaluator.remembered([genotype_of_code(int(c)) for c in part])
        save_scores(env)
    done = time.perf_counter()
    checkpoint = env.setup.checkpoint
    how = {
        "checkpoint": checkpoint.name if checkpoint is not None else None,
        "setup_s": built - start,
        "score_s": done - built,
        "scored_now": len(evaluator.memo or {}) - known,
        "reward_images": evaluator.reward_images,
        "data_source": str(env.setup.data.fingerprint["source"]).split("#")[0],
    }
    env.close()
    return proxy, how


Cells = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""The global sample, the input cells, the sample's connected mask and every code to score."""


def score_entry(job: tuple[Args, str, int, int, Cells]) -> dict[str, Any]:
    """One (variant, budget, images) entry: the supernet's scores compared with the table's truth."""
    args, variant, budget, images, (sample, inputs, connected, codes) = job
    table = TableEvaluator(NB201Table.load(args.table), "cifar10", 200)
    try:
        proxy, how = proxy_scores(args, variant, budget, images, codes)
    finally:
        clear_cache()
    return {
        "variant": variant,
        "budget": budget,
        "reward_images": images,
        **how,
        "global": faithfulness.global_view(
            proxy, table.val, table.test, sample, connected, args.bootstrap, args.seed
        ),
        "local": faithfulness.local_view(
            proxy, table.val, table.test, inputs, args.threshold, args.bootstrap, args.seed
        ),
        "sample_proxy": np.round(proxy[sample], 6).tolist(),
    }


def describe(entry: dict[str, Any]) -> str:
    """A finished entry's progress line."""
    local = entry["local"]
    return (
        f"tau {entry['global']['all']['tau']:+.3f}, neighbourhood tau {local['neighbourhood_tau']['estimate']:+.3f}, "
        f"sign agreement {local['sign_agreement']['estimate']:.3f}, best rewrite "
        f"{local['fraction_of_oracle_test']['estimate']:.2f} of the oracle ({entry['score_s']:.0f} s scoring)"
    )


def run(args: Args) -> dict[str, Any]:
    """Score every (variant, budget, images) entry not in an earlier run of the same configuration."""
    sample, inputs = cells(args)
    connected = live_nodes(ops_of(sample))[:, 3]
    codes = faithfulness.needed(inputs, sample)
    args.extra = {"scored_cells": int(codes.size), "connected_sample_cells": int(connected.sum())}
    earlier = previous(args)
    done = {(e["variant"], e["budget"], e["reward_images"]) for e in earlier}
    shared = {k: v for k, v in report.plain(args).items() if k not in FREE}
    jobs = [
        Job(
            f"{variant}-{budget}-{images}".replace("=", "_").replace("+", "_"),
            {**shared, "variant": variant, "budget": budget, "reward_images": images},
            (args, variant, budget, images, (sample, inputs, connected, codes)),
        )
        for variant in args.variants
        for budget in args.budgets
        for images in args.reward_images
        if (variant, budget, images) not in done
    ]
    folder = report.resolve(args.out).with_suffix("")
    entries = earlier + run_jobs(score_entry, jobs, args, folder.with_name(folder.name + "_jobs"), describe)
    results: dict[str, Any] = {"sample": sample.tolist(), "inputs": inputs.tolist(), "entries": entries}
    results["comparisons"] = compare(results["entries"], args)
    return results


def compare(entries: list[dict[str, Any]], args: Args) -> list[dict[str, Any]]:
    """Every entry against the reference variant at the same budget and image count, paired over inputs."""
    base = {(e["budget"], e["reward_images"]): e for e in entries if e["variant"] == args.reference}
    rows = []
    for entry in entries:
        reference = base.get((entry["budget"], entry["reward_images"]))
        if entry["variant"] == args.reference or reference is None:
            continue
        rows.append(
            {
                "variant": entry["variant"],
                "budget": entry["budget"],
                "reward_images": entry["reward_images"],
                "difference": faithfulness.paired_differences(
                    entry["local"]["per_input"], reference["local"]["per_input"], args.bootstrap, args.seed
                ),
                "global_tau_difference": entry["global"]["all"]["tau"] - reference["global"]["all"]["tau"],
            }
        )
    return rows


def previous(args: Args) -> list[dict[str, Any]]:
    """Entries of an earlier run of the same configuration (``--resume``), else none."""
    path = report.resolve(args.out)
    if not args.resume or not path.is_file():
        return []
    earlier = json.loads(path.read_text())
    changed = config_differences(earlier["config"], report.plain(args), FREE, report.plain(Args()))
    if changed:
        raise SystemExit(f"--resume: {path} has another configuration ({'; '.join(changed)})")
    entries: list[dict[str, Any]] = earlier["results"]["entries"]
    return entries


def save(args: Args, results: dict[str, Any]) -> Path:
    """Write the JSON (with provenance and configuration), the Markdown tables and the figure."""
    path = report.write(args.out, args, results)
    path.with_suffix(".md").write_text(markdown(args, results))
    if results["entries"]:
        plot(results, path.with_suffix(".png"))
    return path


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args` (tuples comma-separated)."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.preset, args.budgets, args.reward_images = "tiny", (4, 8), (64,)
        args.n_inputs, args.n_cells, args.bootstrap = 3, 24, 50
        args.out = args.out.replace(".json", "_smoke.json")
    return args


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
        report.markdown_table(
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
            report.markdown_table(
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


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    results = run(args)
    print(markdown(args, results))
    print(f"wrote {save(args, results)}")


if __name__ == "__main__":
    main()
