"""NAT end to end on NAS-Bench-201: a learner trained on supernet rewards, scored by the table's truth.

For each warm-up budget the supernet of ``NAT-NB201-Supernet-CIFAR10-v0`` scores every cell once (its
fixed-window rewards are remembered), a learner (REINFORCE + GCN by default) trains on those rewards for
``total_timesteps`` episodes per seed, and ``n_eval`` held-out input cells (the learners benchmark's, drawn
by the env's own sampler) are rewritten with Maximum and with Sampling (``k`` samples, chosen by the
*supernet*). Every α is scored by the table's 200-epoch **test** gain over β, as a fraction of the
oracle's (the best rewrite by the table's validation accuracy). Rows beside the learner:

* the same learner trained on exact table rewards (``NAT-NB201-CIFAR10-v0``): the ceiling;
* the supernet's exhaustive best rewrite of each input (no learner: reward quality alone);
* a random legal rewrite, and keep.

The supernet's global Kendall tau (over all cells and over the fidelity benchmark's sample) is recorded
per budget, for the figure of the fraction of the oracle against the budget and against tau.

    python -m benchmarks.end_to_end                     # CPU-small, budgets 4k/20k/40k, 3 seeds
    python -m benchmarks.end_to_end --smoke
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm

import nat_env  # noqa: F401 - registers the env ids
from agents.evaluation import HELD_OUT_SEED, held_out_inputs, score
from agents.zoo import LearnerSpec, make_learner
from benchmarks.common import rank, report, stats
from benchmarks.common.faithfulness import variant_overrides
from nat_env.envs.supernet import make_nb201_supernet_env, save_scores
from nat_env.flags import parse_dataclass
from nat_env.nb201 import NB201Table, TableEvaluator
from nat_env.nb201.cells import N_CELLS, genotype_of_code
from nat_env.supernet.setup import clear_cache

REFERENCES = ("exhaustive", "random", "keep")
"""The rows without a learner."""


@dataclass
class Args:
    """Configuration of the end-to-end benchmark (recorded in the result file)."""

    preset: str = "cpu-small"
    """Supernet preset of the env."""
    budgets: tuple[int, ...] = (4000, 20_000, 40_000)
    """Warm-up budgets (batches) of the supernet."""
    variant: str = "base"
    """Supernet training variant, as in the fidelity benchmark (base, or +-joined field=value)."""
    reward_images: int = 2048
    """Validation images of the supernet's fixed reward window."""
    learner: str = "reinforce-gcn"
    """The learner (a name of agents.zoo), trained on supernet rewards and on table rewards."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Learner seeds (the supernet's seed is ``supernet_seed``)."""
    supernet_seed: int = 0
    """Seed of the supernet's data split, initialisation, training and reward window."""
    total_timesteps: int = 20_000
    """Training episodes per learner and seed."""
    n_eval: int = 1000
    """Held-out input cells."""
    eval_seed: int = HELD_OUT_SEED
    """Seed of the held-out inputs."""
    k: int = 8
    """Samples per input for Sampling (chosen by the env's reward evaluator)."""
    n_boot: int = stats.N_BOOT
    """Bootstrap resamples of every interval."""
    threads: int = 1
    """CPU threads for torch."""
    device: str = "cpu"
    """Torch device of the supernet and the learner."""
    archive: str | None = None
    """CIFAR-10 tarball or class-folder directory; default NAT_CIFAR10_ARCHIVE."""
    table: str | None = None
    """NAS-Bench-201 compact CSV; default NAT_NB201_TABLE."""
    out: str = "end_to_end/cpu_small.json"
    """Result file (relative to benchmarks/results unless absolute); .md and .png go beside it."""
    fill_all: bool = True
    """Score every cell before training (else cells are scored as the learner first meets them)."""
    smoke: bool = False
    """Tiny everything: checks the pipeline only; outputs named *_smoke."""
    extra: dict[str, Any] = field(default_factory=dict, metadata={"cli": False})
    """Set by the script: derived numbers recorded with the configuration."""


def fraction(gains: np.ndarray, oracle: np.ndarray, args: Args) -> dict[str, float]:
    """Mean test gain over the oracle's, with a two-way (seeds and cells) bootstrap interval."""
    return stats.ratio_ci(np.atleast_2d(gains), oracle, args.n_boot).as_dict()


def row(
    name: str, reward: str, budget: int | None, gains: np.ndarray, oracle: np.ndarray, args: Args
) -> dict[str, Any]:
    """One row of the table: who chose α, on which reward, and its test gains (seeds x cells)."""
    gains = np.atleast_2d(gains)
    return {
        "learner": name,
        "reward": reward,
        "warmup_batches": budget,
        "mean_test_gain": float(gains.mean()),
        "fraction_of_oracle_test": fraction(gains, oracle, args),
        "per_seed_mean_test_gain": gains.mean(axis=1).tolist(),
    }


def train_and_score(
    env: gym.Env[Any, Any], inputs: list[Any], seed: int, args: Args
) -> tuple[dict[str, np.ndarray], float]:
    """Train the learner on ``env`` and score Maximum and Sampling on the held-out inputs (test gains)."""
    model = make_learner(LearnerSpec.parse(args.learner, seed=seed, device=args.device), env)
    assert isinstance(model, BaseAlgorithm)
    start = time.perf_counter()
    model.learn(total_timesteps=args.total_timesteps)
    train_s = time.perf_counter() - start
    found = score(model, env, inputs, methods=("maximum", "sampling"), k=args.k)
    return {m: found.gains[m]["test"] for m in ("maximum", "sampling")}, train_s


def fill(env: gym.Env[Any, Any]) -> dict[str, float]:
    """Score every cell once with the env's supernet (remembered, and saved beside its checkpoint)."""
    evaluator = env.unwrapped.supernet_evaluator  # type: ignore[attr-defined]
    known, start = len(evaluator.memo), time.perf_counter()
    for begin in range(0, N_CELLS, 1024):
        evaluator.remembered([genotype_of_code(c) for c in range(begin, min(begin + 1024, N_CELLS))])
        save_scores(env)
    return {"scored_now": len(evaluator.memo) - known, "score_s": time.perf_counter() - start}


def supernet_tau(env: gym.Env[Any, Any], truth: TableEvaluator) -> dict[str, float]:
    """Kendall tau of the supernet against the table on the fidelity benchmark's sample (256 cells, seed 0)
    and on a larger one (2,048 cells, seed 1)."""
    evaluator = env.unwrapped.supernet_evaluator  # type: ignore[attr-defined]
    found = {}
    for name, n, seed in (("tau_fidelity_sample", 256, 0), ("tau_2048_cells", 2048, 1)):
        sample = np.sort(np.random.default_rng(seed).choice(N_CELLS, n, replace=False))
        proxy = np.array(evaluator.remembered([genotype_of_code(int(c)) for c in sample]))
        found[name] = rank.kendall_tau_b(truth.val[sample], proxy)
    return found


def learner_rows(
    env: gym.Env[Any, Any], inputs: list[Any], reward: str, budget: int | None, oracle: np.ndarray, args: Args
) -> tuple[list[dict[str, Any]], list[float]]:
    """Train the learner on ``env`` for every seed: one row per inference mode, and the training times."""
    per_mode: dict[str, list[np.ndarray]] = {"maximum": [], "sampling": []}
    seconds = []
    for seed in args.seeds:
        gains, train_s = train_and_score(env, inputs, seed, args)
        seconds.append(train_s)
        for mode, values in gains.items():
            per_mode[mode].append(values)
        print(
            f"{reward} rewards, budget {budget}, seed {seed}: Maximum {gains['maximum'].mean():+.2f}, "
            f"Sampling {gains['sampling'].mean():+.2f} test points, train {train_s:.0f} s",
            flush=True,
        )
    rows = [
        row(f"{args.learner} {m}", reward, budget, np.stack(v), oracle, args) for m, v in per_mode.items()
    ]
    return rows, seconds


def run(args: Args) -> dict[str, Any]:
    """Every row of the end-to-end table; the result file is rewritten after each budget."""
    torch.set_num_threads(args.threads)
    truth = TableEvaluator(NB201Table.load(args.table), "cifar10", 200)
    exact = gym.make("NAT-NB201-CIFAR10-v0", table_path=args.table)
    inputs = held_out_inputs(exact, args.n_eval, args.eval_seed)
    oracle = score(None, exact, inputs, methods=("oracle",)).gains["oracle"]["test"]
    results: dict[str, Any] = {"oracle_mean_test_gain": float(oracle.mean()), "rows": [], "budgets": []}
    rows, seconds = learner_rows(exact, inputs, "table", None, oracle, args)
    results["rows"] += rows
    results["table_train_s"] = seconds
    for budget in args.budgets:
        env = make_nb201_supernet_env(
            preset=args.preset, device=args.device, warmup_steps=budget, reward_images=args.reward_images,
            seed=args.supernet_seed, archive=args.archive, table_path=args.table, download=False,
            **variant_overrides(args.variant),
        )  # fmt: skip
        args.extra["supernet_sampler"] = env.unwrapped.setup.spec.training.sampler  # type: ignore[attr-defined]
        entry: dict[str, Any] = {"warmup_batches": budget, **(fill(env) if args.fill_all else {})}
        entry.update(supernet_tau(env, truth))
        references = score(None, env, inputs, methods=REFERENCES)
        for name in REFERENCES:
            kind = "supernet" if name == "exhaustive" else "none"
            results["rows"].append(row(name, kind, budget, references.gains[name]["test"], oracle, args))
        rows, entry["train_s"] = learner_rows(env, inputs, "supernet", budget, oracle, args)
        results["rows"] += rows
        results["budgets"].append(entry)
        save(args, results)
        clear_cache()
    return results


def save(args: Args, results: dict[str, Any]) -> Path:
    """Write the JSON, the Markdown table and the figure."""
    args.extra["learner"] = asdict(LearnerSpec.parse(args.learner))
    path = report.write(args.out, args, results)
    path.with_suffix(".md").write_text(markdown(args, results))
    plot(results, path.with_suffix(".png"))
    return path


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args`."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.preset, args.budgets, args.reward_images, args.seeds = "tiny", (4,), 64, (0,)
        args.total_timesteps, args.n_eval, args.k, args.n_boot, args.fill_all = 64, 8, 2, 50, False
        args.out = args.out.replace(".json", "_smoke.json")
    return args


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
            report.markdown_table(
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
            report.markdown_table(
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


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    results = run(args)
    print(markdown(args, results))
    print(f"wrote {save(args, results)}")


if __name__ == "__main__":
    main()
