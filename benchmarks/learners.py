"""Policy learners on exact NAS-Bench-201 rewards: the paper's Table 3 analogue, scored on test accuracy.

Trains every learner on ``NAT-NB201-CIFAR10-v0`` (table rewards on the validation column; the env reads
the table from ``NAT_NB201_TABLE``) for the same budget of env steps and seeds, then rewrites a fixed,
seeded set of held-out input cells β with both inference modes of the paper (Guo et al., 2019, Table 3):
Maximum (the argmax per edge, α taken even if worse) and Sampling (``k`` samples, the best on
*validation* accuracy, β kept if none beats it). A run's score is the mean *test*-accuracy gain of α over
β (the table's test column, points); the validation gain is recorded too. The oracle takes, per cell, the
best legal rewrite by validation accuracy and is scored by its test gain (docs/background.md, section 6).

Statistics (:mod:`benchmarks.common.stats`): the mean over seeds with a seed bootstrap, the IQM over the
seeds × cells matrix and the fraction of the oracle with two-way (seeds and cells) bootstraps, 95 %
percentile intervals. Learning curves (Maximum, as a fraction of the oracle on the first ``curve_n``
held-out cells) are recorded during training for the plot only: nothing is selected from them.

The paper ranks learners by the trained-from-scratch CIFAR-10 accuracy of six published cells; this
benchmark ranks them by exact table gains over 1,000 random cells, so only the ordering is comparable.

    python -m benchmarks.learners --workers 2  # full run (~40 min on two CPU cores)
    python -m benchmarks.learners --backend ray --ray-address HOST:6379  # one Ray task per job
    python -m benchmarks.learners --smoke      # tiny budgets, checks the pipeline (outputs *_smoke.*)

Each (learner, seed) job's result is kept in ``<out>_jobs/`` as it finishes (:mod:`benchmarks.common.jobs`),
so ``--resume`` after a failure or an interruption reruns only the missing jobs.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
import torch as th
from stable_baselines3.common.callbacks import BaseCallback

import nat_env  # noqa: F401 - registers the env ids
from agents.evaluation import HELD_OUT_SEED, Scores, held_out_inputs, score
from agents.inference import Method
from agents.zoo import LEARNERS, LearnerSpec, make_learner
from benchmarks.common import report, stats
from benchmarks.common.args import DerivedArgs
from benchmarks.common.jobs import Job, JobsArgs, run_jobs
from nat_env import Genotype
from nat_env.flags import parse_dataclass

Array = npt.NDArray[np.float64]

MODES: tuple[Method, ...] = ("maximum", "sampling")
"""Inference modes: the argmax per edge (raw) and the best of ``k`` samples on validation."""
ZOOM_FLOOR = 0.5
"""Lower end of the zoomed learning-curve panel's y axis (fraction of the oracle)."""

PAPER_NOTE = (
    "The paper's Table 3 ranks learners by the trained-from-scratch CIFAR-10 accuracy of 6 published cells "
    "(Sampling-GCN best; Maximum-GCN below LSTM on most cells); this table uses exact NAS-Bench-201 gains "
    "over random cells, so only the ordering is comparable. Paper rows: random search = random, "
    "LSTM = reinforce-lstm, Maximum-GCN / Sampling-GCN = reinforce-gcn maximum / sampling."
)


@dataclass
class Args(JobsArgs, DerivedArgs):
    """Configuration of the learners benchmark on NAS-Bench-201 (Table 3 analogue); how jobs run is
    :class:`~benchmarks.common.jobs.JobsArgs`'s (backend, workers, threads, resume)."""

    env_id: str = "NAT-NB201-CIFAR10-v0"
    """Environment id (exact table rewards)."""
    agents: tuple[str, ...] = LEARNERS
    """Learners to compare (any of :data:`LEARNERS`)."""
    total_timesteps: int = 20_000
    """Env steps (episodes) of training per learner and seed."""
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Training seeds."""
    learning_rate: float = 1e-3
    """Learning rate of every learner; everything else is each learner's setting in :mod:`agents.zoo`."""
    n_eval: int = 1000
    """Held-out input cells drawn with ``eval_seed`` (the same for every learner)."""
    eval_seed: int = HELD_OUT_SEED
    """Seed of the held-out inputs (far from training seeds)."""
    k: int = 8
    """Samples per input for Sampling."""
    curve_every: int = 1000
    """Env steps between two points of a learning curve."""
    curve_n: int = 200
    """Held-out cells (the first ones) scored at each point of a learning curve."""
    n_boot: int = stats.N_BOOT
    """Bootstrap resamples of every confidence interval."""
    boot_seed: int = 0
    """Seed of the bootstrap resampling."""
    out: str = "learners/table3.json"
    """Result file (relative to ``benchmarks/results`` unless absolute); .csv, .md and .png go beside it."""
    smoke: bool = False
    """Tiny budgets (200 steps, 1 seed, 20 inputs): checks the pipeline only; writes ``*_smoke.*``."""


@dataclass(frozen=True)
class HeldOut:
    """The fixed evaluation inputs and the oracle's gains on them.

    Attributes:
        inputs: the held-out input genotypes β.
        oracle_val: the oracle's validation gain (points) per cell.
        oracle_test: the test gain (points) of the oracle's rewrite per cell.
    """

    inputs: list[Genotype]
    oracle_val: Array
    oracle_test: Array


def learner_spec(agent: str, seed: int, args: Args) -> LearnerSpec:
    """The zoo's learner of a name, with this benchmark's learning rate and seed."""
    return LearnerSpec.parse(agent, learning_rate=args.learning_rate, seed=seed, device="cpu")


def held_out(env: gym.Env[Any, Any], args: Args) -> HeldOut:
    """The fixed evaluation inputs (the env's own sampler, seeded by ``eval_seed``) and the oracle."""
    inputs = held_out_inputs(env, args.n_eval, args.eval_seed)
    oracle = score(None, env, inputs, methods=("oracle",)).gains["oracle"]
    return HeldOut(inputs, oracle["val"], oracle["test"])


class CurveCallback(BaseCallback):
    """Every ``every`` env steps, Maximum's mean test gain on the first held-out cells / the oracle's.

    The curve only draws the learning progress: no checkpoint, stopping time or setting is chosen from
    it. A point at step t scores the policy after the last update before t.

    Args:
        held: the held-out cells (the first ``n`` are scored).
        env: an env of the benchmark (its encoder, transitions and evaluator are used).
        every: env steps between two points.
        n: cells scored per point.
    """

    def __init__(self, held: HeldOut, env: gym.Env[Any, Any], every: int, n: int) -> None:
        super().__init__()
        self.env, self.inputs = env, held.inputs[:n]
        self.oracle = float(held.oracle_test[:n].mean())
        self.every, self.next = every, 0
        self.steps: list[int] = []
        self.fractions: list[float] = []
        self.seconds = 0.0
        """Time spent scoring (left out of the training time)."""

    def score(self, model: Any) -> float:
        """Maximum's mean test gain on the curve's cells as a fraction of the oracle's."""
        start = time.perf_counter()
        found = score(model, self.env, self.inputs, methods=("maximum",))
        self.seconds += time.perf_counter() - start
        return found.mean("maximum", "test") / self.oracle

    def record(self, model: Any, steps: int) -> None:
        """Score ``model`` and append the point at ``steps``."""
        self.steps.append(steps)
        self.fractions.append(self.score(model))

    def _on_training_start(self) -> None:
        self.record(self.model, 0)
        self.next = self.every

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.next:
            self.record(self.model, self.next)
            self.next += self.every
        return True


def gains(model: Any, held: HeldOut, env: gym.Env[Any, Any], k: int) -> dict[str, dict[str, Array]]:
    """Per held-out cell and inference mode, α's test and validation gains over β (points)."""
    found: Scores = score(model, env, held.inputs, methods=MODES, k=k)
    return {mode: {split: found.gains[mode][split] for split in ("test", "val")} for mode in MODES}


def run_job(job: tuple[str, int, Args, HeldOut]) -> dict[str, Any]:
    """Train one learner with one seed, then score it: the unit of work of the process pool."""
    agent, seed, args, held = job
    th.set_num_threads(args.threads)
    env = gym.make(args.env_id)
    model = make_learner(learner_spec(agent, seed, args), env)
    curve = CurveCallback(held, env, args.curve_every, args.curve_n)
    start = time.perf_counter()
    if agent == "random":
        # Nothing is learned: one evaluation, drawn flat over the budget.
        value = curve.score(model)
        curve.steps = list(range(0, args.total_timesteps + 1, args.curve_every))
        curve.fractions = [value] * len(curve.steps)
    else:
        model.learn(total_timesteps=args.total_timesteps, callback=curve)
    train_s = time.perf_counter() - start - curve.seconds
    start = time.perf_counter()
    found = gains(model, held, env, args.k)
    return {
        "agent": agent,
        "seed": seed,
        "train_s": train_s,
        "curve_s": curve.seconds,
        "eval_s": time.perf_counter() - start,
        "curve": {"steps": curve.steps, "fraction_test": curve.fractions},
        "gains": found,
    }


FREE = ("backend", "ray_address", "workers", "gpus", "resume", "out", "extra")
"""Settings that do not change a job's result."""


def describe(result: dict[str, Any]) -> str:
    """A finished job's progress line."""
    means = ", ".join(f"{m} {result['gains'][m]['test'].mean():+.2f}" for m in MODES)
    return (
        f"test gain {means} (train {result['train_s']:.0f} s, curve {result['curve_s']:.0f} s, "
        f"eval {result['eval_s']:.0f} s)"
    )


def jobs_of(args: Args, held: HeldOut) -> list[Job]:
    """One job per (learner, seed), keyed by what determines its result."""
    shared = {k: v for k, v in report.plain(args).items() if k not in FREE}
    return [
        Job(f"{agent}-seed{seed}", {**shared, "agent": agent, "seed": seed}, (agent, seed, args, held))
        for agent in args.agents
        for seed in args.seeds
    ]


def train_all(args: Args, held: HeldOut, stem_suffix: str = "") -> list[dict[str, Any]]:
    """Every (learner, seed) job on the configured backend, in the order of ``args``."""
    folder = report.output_path(args.out, "_jobs", stem_suffix)
    return run_jobs(run_job, jobs_of(args, held), args, folder, describe)


def summarise(args: Args, held: HeldOut, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per learner and mode: means, IQMs and fractions of the oracle with bootstrap intervals."""
    boot = {"n_boot": args.n_boot, "seed": args.boot_seed}
    summary: dict[str, Any] = {}
    curves: dict[str, Any] = {}
    for agent in args.agents:
        mine = [r for r in runs if r["agent"] == agent]
        summary[agent] = {}
        for mode in MODES:
            test = np.stack([r["gains"][mode]["test"] for r in mine])  # (seeds, cells)
            val = np.stack([r["gains"][mode]["val"] for r in mine])
            summary[agent][mode] = {
                "mean_test_gain": stats.mean_ci(test.mean(axis=1), **boot).as_dict(),
                "iqm_test_gain": stats.iqm_ci(test, **boot).as_dict(),
                "fraction_test": stats.ratio_ci(test, held.oracle_test, **boot).as_dict(),
                "fraction_val": stats.ratio_ci(val, held.oracle_val, **boot).as_dict(),
                "mean_val_gain": float(val.mean()),
            }
        mean, low, high = stats.mean_band(np.array([r["curve"]["fraction_test"] for r in mine]), **boot)
        curves[agent] = {
            "steps": mine[0]["curve"]["steps"],
            "mean": mean.tolist(),
            "low": low.tolist(),
            "high": high.tolist(),
        }
    return {"summary": summary, "curves": curves}


def oracle_numbers(args: Args, held: HeldOut) -> dict[str, Any]:
    """The oracle's mean gains and its test IQM (interval over cells: it has no seeds)."""
    return {
        "n_cells": len(held.inputs),
        "mean_test_gain": float(held.oracle_test.mean()),
        "mean_val_gain": float(held.oracle_val.mean()),
        "iqm_test_gain": stats.iqm_ci(held.oracle_test[None], args.n_boot, seed=args.boot_seed).as_dict(),
        "curve_cells_mean_test_gain": float(held.oracle_test[: args.curve_n].mean()),
    }


def run(args: Args, stem_suffix: str = "") -> dict[str, Any]:
    """Build the held-out set and the oracle, run every job, and summarise."""
    start = time.perf_counter()
    args.extra["learners"] = {agent: asdict(learner_spec(agent, 0, args)) for agent in args.agents}
    held = held_out(gym.make(args.env_id), args)
    oracle = oracle_numbers(args, held)
    print(
        f"oracle on {len(held.inputs)} held-out cells: test gain {oracle['mean_test_gain']:+.2f}, "
        f"validation gain {oracle['mean_val_gain']:+.2f} points",
        flush=True,
    )
    runs = train_all(args, held, stem_suffix)
    results: dict[str, Any] = {"oracle": oracle, **summarise(args, held, runs)}
    results["runs"] = [
        {
            **{key: r[key] for key in ("agent", "seed", "train_s", "curve_s", "eval_s", "curve")},
            "sps": args.total_timesteps / r["train_s"] if r["train_s"] > 0 else None,
            **{
                mode: {f"mean_{key}_gain": float(r["gains"][mode][key].mean()) for key in ("test", "val")}
                for mode in MODES
            },
        }
        for r in runs
    ]
    results["wall_s"] = time.perf_counter() - start
    return results


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args` (tuples comma-separated)."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.total_timesteps, args.seeds, args.n_eval, args.k = 200, args.seeds[:1], 20, 4
        args.curve_every, args.curve_n, args.n_boot = 100, 10, 200
    return args


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
    per_run = report.output_path(args.out, ".csv", stem_suffix)
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
    summary = report.output_path(args.out, ".csv", stem_suffix + "_summary")
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


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    stem_suffix = "_smoke" if args.smoke else ""
    results = run(args, stem_suffix)
    print(markdown(args, results))
    written = [report.write(report.output_path(args.out, ".json", stem_suffix), args, results)]
    written += write_csv(args, results, stem_suffix)
    md = report.output_path(args.out, ".md", stem_suffix)
    md.write_text(markdown(args, results))
    png = report.output_path(args.out, ".png", stem_suffix)
    plot(args, results, png)
    print(f"wall time {results['wall_s']:.0f} s; wrote {', '.join(str(p) for p in [*written, md, png])}")


if __name__ == "__main__":
    main()
