"""NAT end to end on NAS-Bench-201: what picks α on supernet rewards, scored by the table's truth.

For each supernet remedy (``variants``: ``base``, or fields of the supernet specification such as a
training recipe or a landmark calibration), warm-up budget and supernet seed, the supernet of
``NAT-NB201-Supernet-CIFAR10-v0`` rewrites ``n_eval`` held-out input cells (the learners benchmark's, drawn
by the env's own sampler) in several ways, and every α is scored by the table's 200-epoch **test** gain over
β as a fraction of the oracle's (the best rewrite by the table's validation accuracy):

* ``exhaustive``: the best legal rewrite by the supernet's reward (no learner: reward quality alone);
* the learner (REINFORCE + GCN by default) trained on those rewards for ``total_timesteps`` episodes per
  learner seed, by Maximum and by Sampling (``k`` samples, chosen by the reward);
* ``rerank-K`` (with ``--rerank``): two-stage selection, the reward's top K rewrites re-ranked by
  fine-tuning each alone from the supernet's weights, on the first ``rerank_inputs`` inputs
  (``rerank-K neighbourhood`` with ``--rerank-stage neighbourhood``: by one copy of the weights trained on
  β's neighbourhood alone, NAT's few-shot split);
* a random legal rewrite, and keep; and the learner on exact table rewards (``NAT-NB201-CIFAR10-v0``,
  the ceiling).

Only what the rows need is scored (the inputs' neighbourhoods and the cells the learner meets), each
supernet's accuracies are kept beside its checkpoint, and the jobs (one per remedy, budget and supernet
seed) run in parallel with ``--workers`` and resume with ``--resume``. Rows pool supernet seeds (and
learner seeds) with cells in a two-way bootstrap. Each run records the supernet's Kendall tau on the
fidelity benchmark's 256-cell sample, of its own accuracies and of the (calibrated) reward.

    python -m benchmarks.end_to_end --workers 2                    # CPU-small, base, supernet seeds 0-2
    python -m benchmarks.end_to_end --workers 2 --variants base,calibration_landmarks=32
    python -m benchmarks.end_to_end --smoke
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm

import nat_env  # noqa: F401 - registers the env ids
from agents.evaluation import HELD_OUT_SEED, RERANK_BATCHES, held_out_inputs, score, second_stage_of
from agents.zoo import LearnerSpec, make_learner
from benchmarks.common import rank, report, stats
from benchmarks.common.args import DataArgs, DerivedArgs, DeviceArgs
from benchmarks.common.faithfulness import neighbourhoods, supernet_overrides, variant_overrides
from benchmarks.common.jobs import Job, JobsArgs, run_jobs
from nat_env.envs.supernet import make_nb201_supernet_env, save_scores
from nat_env.evaluation import Evaluation
from nat_env.flags import parse_dataclass
from nat_env.genotypes import Genotype
from nat_env.genotypes import parse as parse_genotype
from nat_env.nb201 import NB201Table, TableEvaluator
from nat_env.nb201.cells import N_CELLS, N_EDGES, code_of, genotype_of_code
from nat_env.nb201.oracle import ranked_transformations
from nat_env.supernet.calibration import (
    CalibratedEvaluator,
    Calibration,
    CalibrationConfig,
    feature_names,
    fitted,
    op_counts,
)
from nat_env.supernet.setup import clear_cache

REFERENCES = ("exhaustive", "random", "keep")
"""The rows without a learner."""
FREE = (
    "variants",
    "budgets",
    "supernet_seeds",
    "out",
    "extra",
    "backend",
    "ray_address",
    "workers",
    "resume",
)
"""Settings that do not change a job's result (a job carries its own variant, budget and seed)."""
LATER = {"rerank_stage": "finetune"}
"""Settings added after results were stored: in a job's digest only where not at this default, so the jobs
stored before keep their files."""


@dataclass
class Args(DataArgs, DeviceArgs, DerivedArgs, JobsArgs):
    """Configuration of the end-to-end benchmark (recorded in the result file)."""

    preset: str = "cpu-small"
    """Supernet preset of the env."""
    budgets: tuple[int, ...] = (20_000,)
    """Warm-up budgets (batches) of the supernet."""
    variants: tuple[str, ...] = ("base",)
    """Supernet remedies, each a row group: base, or +-joined fields of the supernet specification
    (lr=0.05, calibration_landmarks=32+calibration_batches=200)."""
    supernet_seeds: tuple[int, ...] = (0, 1, 2)
    """Supernet seeds (data split, initialisation, training, reward window) of every variant."""
    reward_images: int = 2048
    """Validation images of the supernet's fixed reward window."""
    learner: str = "reinforce-gcn"
    """The learner (a name of agents.zoo), trained on supernet rewards and on table rewards."""
    seeds: tuple[int, ...] = (0,)
    """Learner seeds per supernet seed."""
    learner_variants: tuple[str, ...] = ("base",)
    """Variants whose rewards also train the learner (all others: reference rows only)."""
    table_rows: bool = True
    """Train the learner on exact table rewards too (the ceiling)."""
    total_timesteps: int = 20_000
    """Training episodes per learner and seed."""
    n_eval: int = 200
    """Held-out input cells."""
    eval_seed: int = HELD_OUT_SEED
    """Seed of the held-out inputs."""
    k: int = 8
    """Samples per input for Sampling (chosen by the env's reward evaluator)."""
    rerank: tuple[int, ...] = ()
    """Shortlist sizes of two-stage selection rows (none by default: each candidate is fine-tuned)."""
    rerank_inputs: int = 40
    """Held-out inputs (the first ones) that two-stage selection rewrites."""
    rerank_batches: int = RERANK_BATCHES
    """Fine-tuning batches per candidate of two-stage selection (per input for the neighbourhood stage)."""
    rerank_stage: str = "finetune"
    """The second stage of two-stage selection: finetune (each candidate alone) or neighbourhood (one copy
    of the weights per input, trained on its neighbourhood alone)."""
    rerank_variants: tuple[str, ...] = ("base",)
    """Variants whose supernets shortlist for two-stage selection."""
    fill_all: bool = False
    """Score every cell before training (else only the cells the inputs' neighbourhoods and the learner need)."""
    n_boot: int = stats.N_BOOT
    """Bootstrap resamples of every interval."""
    out: str = "end_to_end/remedies.json"
    """Result file (relative to benchmarks/results unless absolute); .md and .png go beside it."""
    smoke: bool = False
    """Tiny everything: checks the pipeline only; outputs named *_smoke."""


def fraction(gains: np.ndarray, oracle: np.ndarray, args: Args) -> dict[str, float]:
    """Mean test gain over the oracle's, with a two-way (seeds and cells) bootstrap interval."""
    return stats.ratio_ci(np.atleast_2d(gains), oracle, args.n_boot).as_dict()


def row(
    name: str,
    reward: str,
    variant: str | None,
    budget: int | None,
    gains: np.ndarray,
    oracle: np.ndarray,
    args: Args,
    supernet_seeds: list[int] | None = None,
) -> dict[str, Any]:
    """One row of the table: who chose α, on which reward and remedy, and its test gains (runs x cells)."""
    gains = np.atleast_2d(gains)
    return {
        "learner": name,
        "reward": reward,
        "variant": variant,
        "remedy": None if variant is None else variant_overrides(variant),
        "warmup_batches": budget,
        "supernet_seeds": supernet_seeds,
        "n_inputs": int(gains.shape[1]),
        "mean_test_gain": float(gains.mean()),
        "fraction_of_oracle_test": fraction(gains, oracle, args),
        "per_run_fraction": (gains.mean(axis=1) / oracle.mean()).tolist(),
    }


@dataclass(frozen=True)
class Task:
    """One job: a variant's supernet of one seed and budget, or (``variant`` None) the exact-reward learner."""

    args: Args
    variant: str | None
    budget: int
    supernet_seed: int


def setting(args: Args) -> tuple[TableEvaluator, gym.Env[Any, Any], list[Genotype], np.ndarray]:
    """The truth, the exact env, the held-out inputs and the oracle's test gains on them."""
    truth = TableEvaluator(NB201Table.load(args.table), "cifar10", 200)
    exact = gym.make("NAT-NB201-CIFAR10-v0", table_path=args.table)
    inputs = held_out_inputs(exact, args.n_eval, args.eval_seed)
    oracle = score(None, exact, inputs, methods=("oracle",)).gains["oracle"]["test"]
    return truth, exact, inputs, oracle


def train_and_score(
    env: gym.Env[Any, Any], inputs: list[Any], seed: int, args: Args
) -> tuple[dict[str, np.ndarray], dict[str, float], float]:
    """Train the learner on ``env`` and score Maximum and Sampling on the held-out inputs: test gains, the
    mean gain of the env's own reward, and the training seconds."""
    model = make_learner(LearnerSpec.parse(args.learner, seed=seed, device=args.device), env)
    assert isinstance(model, BaseAlgorithm)
    start = time.perf_counter()
    model.learn(total_timesteps=args.total_timesteps)
    train_s = time.perf_counter() - start
    found = score(model, env, inputs, methods=("maximum", "sampling"), k=args.k)
    modes = ("maximum", "sampling")
    return (
        {m: found.gains[m]["test"] for m in modes},
        {m: float(found.gains[m]["val"].mean()) for m in modes},
        train_s,
    )


def learn_rows(env: gym.Env[Any, Any], inputs: list[Any], args: Args, found: dict[str, Any]) -> None:
    """Train and score the learner once per learner seed on ``env``, adding its rows' gains to ``found``."""
    for seed in args.seeds:
        gains, reward, train_s = train_and_score(env, inputs, seed, args)
        found["train_s"].append(train_s)
        for mode, values in gains.items():
            found["gains"].setdefault(f"{args.learner} {mode}", []).append(values)
            found["reward_gain"].setdefault(f"{args.learner} {mode}", []).append(reward[mode])


def fill(env: gym.Env[Any, Any], codes: Sequence[int] | None = None) -> dict[str, float]:
    """Score cells once with the env's supernet (remembered, and saved beside its checkpoint after every
    1,024, so an interrupted run keeps what it scored): ``codes``, or every cell."""
    evaluator = env.unwrapped.supernet_evaluator  # type: ignore[attr-defined]
    todo = list(range(N_CELLS)) if codes is None else list(codes)
    known, start = len(evaluator.memo), time.perf_counter()
    for begin in range(0, len(todo), 1024):
        evaluator.remembered([genotype_of_code(c) for c in todo[begin : begin + 1024]])
        save_scores(env)
        print(
            f"fill: {min(begin + 1024, len(todo))}/{len(todo)} cells ({len(evaluator.memo)} known, "
            f"{time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    return {"scored_now": len(evaluator.memo) - known, "score_s": time.perf_counter() - start}


def supernet_tau(env: gym.Env[Any, Any], truth: TableEvaluator) -> dict[str, float]:
    """Kendall tau against the table on the fidelity benchmark's sample (256 cells, seed 0): of the
    supernet's accuracies and of the env's reward accuracies (the calibrated ones, where calibrated)."""
    sample = np.sort(np.random.default_rng(0).choice(N_CELLS, 256, replace=False))
    cells = [genotype_of_code(int(c)) for c in sample]
    base = env.unwrapped
    supernet = np.array(base.supernet_evaluator.remembered(cells))  # type: ignore[attr-defined]
    reward = np.array([e.accuracy for e in base.evaluator.evaluate(cells)])  # type: ignore[attr-defined]
    return {
        "tau_fidelity_sample": rank.kendall_tau_b(truth.val[sample], supernet),
        "tau_reward_fidelity_sample": rank.kendall_tau_b(truth.val[sample], reward),
    }


def run_task(task: Task) -> dict[str, Any]:
    """A job: every row's test gains of one supernet (or of the exact-reward learner)."""
    args = task.args
    torch.set_num_threads(args.threads)
    truth, exact, inputs, _ = setting(args)
    found: dict[str, Any] = {"gains": {}, "train_s": [], "reward_gain": {}}
    if task.variant is None:
        learn_rows(exact, inputs, args, found)
        return found
    start = time.perf_counter()
    env = supernet_env(args, task.variant, task.budget, task.supernet_seed)
    base = env.unwrapped
    found["setup_s"] = time.perf_counter() - start
    found["sampler"] = base.setup.spec.training.sampler  # type: ignore[attr-defined]
    calibration = base.setup.calibration  # type: ignore[attr-defined]
    if calibration is not None:
        found["calibration"] = {
            "op_values_points": calibration.op_values(),
            "landmarks": len(calibration.landmarks),
            "seconds": calibration.seconds,
            "tau_target_vs_supernet": rank.kendall_tau_b(
                np.array(calibration.target_accuracy), np.array(calibration.supernet_accuracy)
            ),
        }
    if args.fill_all:
        found.update(fill(env))
    start = time.perf_counter()
    if not args.fill_all:  # the rows' cells first, in saved chunks: an interrupted job keeps what it scored
        codes = np.array([code_of(g) for g in inputs], dtype=np.int64)
        fill(env, np.unique(np.concatenate(neighbourhoods(codes))).tolist())
    found.update(supernet_tau(env, truth))
    references = score(None, env, inputs, methods=REFERENCES)
    for name in REFERENCES:
        found["gains"][name] = [references.gains[name]["test"]]
        found["reward_gain"][name] = [float(references.gains[name]["val"].mean())]
    found["score_s"] = time.perf_counter() - start
    save_scores(env)
    if args.rerank and task.variant in args.rerank_variants:
        start = time.perf_counter()
        second = second_stage_of(env, args.rerank_batches, args.rerank_stage)
        for shortlist in sorted(args.rerank, reverse=True):  # the longest first: the shorter are inside it
            picked = score(
                None, env, inputs[: args.rerank_inputs], ("rerank",), shortlist=shortlist, second=second
            )
            found["gains"][rerank_row(shortlist, args.rerank_stage)] = [picked.gains["rerank"]["test"]]
        found["rerank_s"] = time.perf_counter() - start
    if task.variant in args.learner_variants:
        learn_rows(env, inputs, args, found)
        save_scores(env)
    found["cells_scored"] = len(base.supernet_evaluator.memo)  # type: ignore[attr-defined]
    return found


def rerank_row(shortlist: int, stage: str) -> str:
    """The name of a two-stage selection row (the fine-tuning stage's unadorned, as results before the
    stages existed name it)."""
    return f"rerank-{shortlist}" if stage == "finetune" else f"rerank-{shortlist} {stage}"


SHORTLIST = "shortlist"


def shortlist_row(shortlist: int, epochs: int = 200) -> str:
    """The row of what a second stage that trains each candidate alone could give: the best of the reward's
    top ``shortlist`` rewrites (and β) by the table's validation accuracy after 200 epochs (a perfect second
    stage) or 12 (real standalone training, shorter); a diagnostic, not a remedy (it reads the table)."""
    judge = "the table" if epochs == 200 else f"the table's {epochs}-epoch accuracy"
    return f"{SHORTLIST}-{shortlist}, its best by {judge} (diagnostic)"


DIAGNOSTIC = "exhaustive, op-count correction fitted on the table (diagnostic)"
"""The row of what a perfect landmark target could give: not a remedy, it leaks the truth."""


def supernet_env(args: Args, variant: str, budget: int, seed: int) -> gym.Env[Any, Any]:
    """A variant's supernet env of one seed and budget (warmed up, or loaded from the cache)."""
    overrides = {"warmup_steps": budget, **supernet_overrides(variant)}
    return make_nb201_supernet_env(
        preset=args.preset, device=args.device, reward_images=args.reward_images, seed=seed,
        archive=args.archive, table_path=args.table, download=False, **overrides,
    )  # fmt: skip


def table_fitted(env: gym.Env[Any, Any], truth: TableEvaluator, inputs: list[Genotype]) -> np.ndarray:
    """Test gains of the exhaustive best rewrite by the supernet's accuracy corrected per op count, the
    correction fitted (as the landmark calibration fits it) on the fidelity sample's 256 cells with the
    table's 200-epoch validation accuracies as targets: a diagnostic of how much any per-op landmark
    calibration could recover with perfect landmarks. It reads the table, so it is no remedy; the cells
    it scores are those the exhaustive row scored already."""
    base = env.unwrapped
    sample = np.sort(np.random.default_rng(0).choice(N_CELLS, 256, replace=False))
    cells = [genotype_of_code(int(c)) for c in sample]
    supernet = base.supernet_evaluator  # type: ignore[attr-defined]
    spec = base.setup.spec  # type: ignore[attr-defined]
    found = fitted(
        cells, supernet.remembered(cells), truth.val[sample].tolist(), CalibrationConfig(len(cells)), spec.space,
        spec.vocabulary,
    )  # fmt: skip
    corrected = CalibratedEvaluator(supernet, found)
    return exhaustive_gains(corrected, base.transitions, truth, inputs)  # type: ignore[attr-defined]


LANDMARK_TAUS = ("tau_supernet_vs_table", "tau_target_vs_table")
"""The landmarks' rank agreements with the table reported per calibration (:func:`landmark_taus`)."""

CALIBRATION_COLUMNS = ("remedy", "seed", "tau target vs supernet", "tau supernet vs table", "tau target vs table",
                       "correction")  # fmt: skip

POOLED = "exhaustive, calibration on the pooled landmarks"
"""The row of a calibration with more landmarks, fitted on those the calibrated variants of one supernet
drew and fine-tuned (the same fine-tuning budget): what a larger ``calibration_landmarks`` would give."""


def landmark_taus(
    landmarks: Sequence[str], supernet: Sequence[float], target: Sequence[float], truth: TableEvaluator
) -> dict[str, float]:
    """Kendall tau against the table's 200-epoch validation accuracy of the landmarks' supernet and target
    (fine-tuned) accuracies: how well the calibration's target ranks cells (a report: fits never read it)."""
    val = truth.val[[code_of(parse_genotype(text)) for text in landmarks]]
    return {
        "tau_supernet_vs_table": rank.kendall_tau_b(val, np.asarray(supernet)),
        "tau_target_vs_table": rank.kendall_tau_b(val, np.asarray(target)),
    }


def pooled_gains(
    env: gym.Env[Any, Any], calibrations: list[Calibration], truth: TableEvaluator, inputs: list[Genotype]
) -> tuple[np.ndarray, dict[str, float]]:
    """Test gains of the exhaustive best rewrite by a calibration fitted on the distinct landmarks of
    ``calibrations`` (all of one supernet); how many landmarks that is, and their :func:`landmark_taus`."""
    accuracy: dict[str, tuple[float, float]] = {}
    for calibration in calibrations:
        pairs = zip(calibration.supernet_accuracy, calibration.target_accuracy, strict=True)
        accuracy.update(zip(calibration.landmarks, pairs, strict=True))
    taus = landmark_taus(
        list(accuracy), [a for a, _ in accuracy.values()], [t for _, t in accuracy.values()], truth
    )
    base = env.unwrapped
    spec = base.setup.spec  # type: ignore[attr-defined]
    # one fit over every distinct landmark, pairs or not
    config = dataclasses.replace(calibrations[0].config, landmarks=len(accuracy), seed=None, draw="uniform")
    found = fitted(
        [parse_genotype(text) for text in accuracy], [a for a, _ in accuracy.values()], [t for _, t in accuracy.values()],
        config, spec.space, spec.vocabulary,
    )  # fmt: skip
    corrected = CalibratedEvaluator(base.supernet_evaluator, found)  # type: ignore[attr-defined]
    gains = exhaustive_gains(corrected, base.transitions, truth, inputs)  # type: ignore[attr-defined]
    return gains, {"landmarks": len(accuracy), **taus}


ENSEMBLE = "exhaustive, mean accuracy of the supernet seeds (ensemble)"
"""The row of a remedy that trains several supernets and averages their accuracies (each corrected by its own
calibration, where the remedy calibrates)."""


class MeanOf:
    """An evaluator averaging remembered accuracies of several supernets (each pruned cell must be known)."""

    def __init__(self, memos: list[dict[Genotype, float]]) -> None:
        self.memos = memos

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        keys = [g.pruned() for g in genotypes]
        return [Evaluation(float(np.mean([memo[k] for memo in self.memos]))) for k in keys]


def best_rewrites(evaluator: Any, transitions: Any, inputs: list[Genotype]) -> list[Genotype]:
    """Each input's best legal rewrite by ``evaluator`` (the exhaustive row's pick)."""
    return [ranked_transformations(beta, evaluator, transitions)[0][0] for beta in inputs]


def picked_ops(evaluator: Any, transitions: Any, inputs: list[Genotype]) -> dict[str, float]:
    """Live edges per op of the exhaustive best rewrites by ``evaluator``, mean over ``inputs`` (``none``:
    the edges removed or cut off): which ops a reward keeps, beside the oracle's."""
    counts = op_counts(best_rewrites(evaluator, transitions, inputs), "nb201")
    live = {op: float(x) for op, x in zip(PICKED_OPS[1:], counts.mean(axis=0), strict=True)}
    return {"none": float(N_EDGES - counts.sum(axis=1).mean()), **live}


PICKED_OPS = ("none", *(name.removeprefix("cell:") for name in feature_names("nb201", "nb201")))
"""The columns of :func:`picked_ops` (NAS-Bench-201's ops, in its spelling)."""


def exhaustive_gains(
    evaluator: Any, transitions: Any, truth: TableEvaluator, inputs: list[Genotype]
) -> np.ndarray:
    """Test gains of each input's best legal rewrite by ``evaluator``."""
    alphas = best_rewrites(evaluator, transitions, inputs)
    true = truth.evaluate([g for pair in zip(inputs, alphas, strict=True) for g in pair])
    pairs = zip(true[::2], true[1::2], strict=True)
    return 100 * np.array([a.extra["test_accuracy"] - b.extra["test_accuracy"] for b, a in pairs])


def describe(found: dict[str, Any]) -> str:
    """A job's progress line: its exhaustive row's mean test gain."""
    gains = found["gains"]
    key = "exhaustive" if "exhaustive" in gains else next(iter(gains))
    return f"{key} {np.mean(gains[key]):+.2f} test points"


def tasks(args: Args) -> list[Task]:
    """The exact-reward learner, then every variant's seeds (variant-major: two workers warm up or score
    different supernets, and a later variant on the same weights finds their scores on disk)."""
    found = [Task(args, None, 0, 0)] if args.table_rows else []
    for variant in args.variants:
        for budget in args.budgets:
            found += [Task(args, variant, budget, seed) for seed in args.supernet_seeds]
    return found


def run(args: Args) -> dict[str, Any]:
    """Every row of the end-to-end table: jobs in parallel (``--workers``), rows pooled over seeds."""
    truth, _, inputs, oracle = setting(args)
    work = tasks(args)
    shared = {
        k: v for k, v in report.plain(args).items() if k not in FREE and (k not in LATER or v != LATER[k])
    }
    jobs = [
        Job(
            "table"
            if t.variant is None
            else f"{t.variant}-b{t.budget}-s{t.supernet_seed}".replace("=", "_").replace("+", "_"),
            {**shared, "variant": t.variant, "budget": t.budget, "supernet_seed": t.supernet_seed},
            t,
        )
        for t in work
    ]
    folder = report.resolve(args.out).with_suffix("").with_name(Path(args.out).stem + "_jobs")
    outcomes = run_jobs(run_task, jobs, args, folder, describe)
    results: dict[str, Any] = {
        "oracle_mean_test_gain": float(oracle.mean()),
        "oracle_test_gains": oracle.round(3).tolist(),
        "rows": [],
        "runs": [],
    }
    memos: dict[tuple[str, int], list[dict[Genotype, float]]] = {}
    # the shortlist diagnostics' judges: the table's 200-epoch and 12-epoch validation accuracies
    judges = {200: truth, 12: TableEvaluator(truth.table, "cifar10", 12)}
    reranked = inputs[: args.rerank_inputs]
    calibrations: dict[PoolKey, list[Calibration]] = {}
    transitions = None
    for i, (task, found) in enumerate(zip(work, outcomes, strict=True)):
        if task.variant is not None:
            print(
                f"rows: {task.variant}, supernet seed {task.supernet_seed} ({i + 1}/{len(work)})", flush=True
            )
        if task.variant is not None:
            env = supernet_env(args, task.variant, task.budget, task.supernet_seed)
            base = env.unwrapped
            transitions = base.transitions  # type: ignore[attr-defined]
            found["picked_ops"] = picked_ops(base.evaluator, transitions, inputs)  # type: ignore[attr-defined]
            memo = dict(base.supernet_evaluator.memo)  # type: ignore[attr-defined]
            calibration = base.setup.calibration  # type: ignore[attr-defined]
            if calibration is None:
                found["gains"][DIAGNOSTIC] = [table_fitted(env, truth, inputs)]
            else:
                found["calibration"].update(
                    landmark_taus(
                        calibration.landmarks,
                        calibration.supernet_accuracy,
                        calibration.target_accuracy,
                        truth,
                    )
                )
                offsets = calibration.offsets(list(memo))
                memo = {g: a + float(o) for (g, a), o in zip(memo.items(), offsets, strict=True)}
                config = calibration.config
                key = (task.budget, task.supernet_seed, config.batches, config.lr, config.fit, config.l2)
                calibrations.setdefault(key, []).append(calibration)
            if args.rerank and task.variant in args.rerank_variants:
                for (epochs, judge), shortlist in itertools.product(judges.items(), args.rerank):
                    picked = score(None, env, reranked, ("rerank",), shortlist=shortlist, second=judge)
                    found["gains"][shortlist_row(shortlist, epochs)] = [picked.gains["rerank"]["test"]]
            memos.setdefault((task.variant, task.budget), []).append(memo)
            clear_cache()
        results["runs"].append(
            {"variant": task.variant, "budget": task.budget, "supernet_seed": task.supernet_seed}
            | {k: v for k, v in found.items() if k != "gains"}
            | {"test_gains": {k: np.round(np.stack(v), 3).tolist() for k, v in found["gains"].items()}}
        )
    if args.table_rows:
        for name, gains in outcomes[0]["gains"].items():
            results["rows"].append(row(name, "table", None, None, np.stack(gains), oracle, args))
    for variant in args.variants:
        for budget in args.budgets:
            group = [
                f for t, f in zip(work, outcomes, strict=True) if t.variant == variant and t.budget == budget
            ]
            for name in group[0]["gains"]:
                gains = np.concatenate([np.stack(f["gains"][name]) for f in group])
                reference = oracle[: gains.shape[1]]
                kind = {"random": "none", "keep": "none", DIAGNOSTIC: "supernet, table-corrected"}.get(
                    name, "supernet, then the table" if name.startswith(SHORTLIST) else "supernet"
                )
                results["rows"].append(
                    row(name, kind, variant, budget, gains, reference, args, list(args.supernet_seeds))
                )
                if name.startswith("rerank-") and "exhaustive" in group[0]["gains"]:  # the paired reference
                    first = np.concatenate([np.stack(f["gains"]["exhaustive"]) for f in group])[
                        :, : gains.shape[1]
                    ]
                    results["rows"].append(
                        row(f"exhaustive (the {name} inputs)", "supernet", variant, budget, first, reference, args,
                            list(args.supernet_seeds))
                    )  # fmt: skip
            if len(memos.get((variant, budget), [])) > 1:
                gains = exhaustive_gains(MeanOf(memos[(variant, budget)]), transitions, truth, inputs)
                results["rows"].append(
                    row(ENSEMBLE, "supernet", variant, budget, gains, oracle, args, list(args.supernet_seeds))
                )
    results["rows"] += pooled_rows(args, calibrations, truth, inputs, oracle)
    if transitions is not None:
        results["oracle_picked_ops"] = picked_ops(truth, transitions, inputs)
    print(f"wrote {save(args, results)}", flush=True)
    return results


PoolKey = tuple[int, int, int, float, str, float]
"""Calibrations pooled together: warm-up budget, supernet seed, fine-tuning batches and lr, fit and l2."""


def pooled_rows(
    args: Args,
    calibrations: dict[PoolKey, list[Calibration]],
    truth: TableEvaluator,
    inputs: list[Genotype],
    oracle: np.ndarray,
) -> list[dict[str, Any]]:
    """The :data:`POOLED` row of every warm-up and fine-tuning budget and fit that several calibrated
    variants share on every supernet seed."""
    rows = []
    for budget, batches, lr, how, l2 in sorted({(b, n, lr, f, l2) for b, _, n, lr, f, l2 in calibrations}):
        groups = [calibrations.get((budget, seed, batches, lr, how, l2), []) for seed in args.supernet_seeds]
        if min(len(g) for g in groups) < 2:
            continue
        gains, pools = [], []
        for seed, group in zip(args.supernet_seeds, groups, strict=True):
            found, pool = pooled_gains(supernet_env(args, "base", budget, seed), group, truth, inputs)
            gains.append(found)
            pools.append(pool)
            clear_cache()
        counts = [p["landmarks"] for p in pools]
        fitted_as = "" if how == "pairwise" else f", {how} fit (l2 {l2:g})"
        name = f"{POOLED}, {batches} batches{fitted_as}, {min(counts)}-{max(counts)} landmarks"
        found_row = row(
            name, "supernet", None, budget, np.stack(gains), oracle, args, list(args.supernet_seeds)
        )
        rows.append(found_row | {"pooled_landmarks": pools})
    return rows


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
        args.supernet_seeds, args.rerank, args.rerank_inputs, args.rerank_batches = (0, 1), (2,), 2, 2
        calibrated = "calibration_landmarks=4+calibration_batches=2"
        args.variants = ("base", calibrated, f"{calibrated}+calibration_seed=9")  # two to pool
        args.out = args.out.replace(".json", "_smoke.json")
    return args


def _fraction(found: dict[str, float]) -> str:
    return f"{found['estimate']:.3f} [{found['low']:.3f}, {found['high']:.3f}]"


def rerank_words(args: Any) -> str:
    """What the two-stage rows and their diagnostics are, for a file that has them (else nothing)."""
    if not args.rerank or not set(args.rerank_variants) & set(args.variants):
        return ""
    stage = (
        f"re-ranked by fine-tuning each alone for {args.rerank_batches} batches from the supernet's weights"
        if getattr(args, "rerank_stage", "finetune") == "finetune"
        else f"re-ranked by a copy of the supernet's weights trained {args.rerank_batches} batches on β's "
        "neighbourhood alone (NAT's few-shot split)"
    )
    return (
        f"; rerank-K: the reward's top K rewrites {stage} (on the first {args.rerank_inputs} inputs); "
        "shortlist-K (a diagnostic): the best of the same top K and β by the table's validation accuracy "
        "after 200 epochs (what a perfect second stage could pick) or 12 (a second stage of real, shorter "
        "training)"
    )


def markdown(args: Any, results: dict[str, Any]) -> str:
    """One row per (learner or reference, reward, remedy, warm-up budget), then one line per supernet run."""
    rows = [
        [
            r["learner"],
            r["reward"],
            "-" if r["variant"] is None else r["variant"],
            "-" if r["warmup_batches"] is None else r["warmup_batches"],
            r["n_inputs"],
            f"{r['mean_test_gain']:+.2f}",
            _fraction(r["fraction_of_oracle_test"]),
            ", ".join(f"{x:.2f}" for x in r["per_run_fraction"]),
        ]
        for r in results["rows"]
    ]
    runs = [
        [
            run["variant"],
            run["budget"],
            run["supernet_seed"],
            f"{run['tau_fidelity_sample']:+.3f}",
            f"{run['tau_reward_fidelity_sample']:+.3f}",
            run["cells_scored"],
            f"{run['setup_s']:.0f}",
            f"{run['score_s']:.0f}",
            f"{run.get('rerank_s', 0):.0f}",
            ", ".join(f"{t:.0f}" for t in run["train_s"]) or "-",
        ]
        for run in results["runs"]
        if run["variant"] is not None
    ]
    calibrations = [
        [run["variant"], run["supernet_seed"], f"{run['calibration']['tau_target_vs_supernet']:+.3f}",
         *(f"{run['calibration'][k]:+.3f}" if k in run["calibration"] else "-" for k in LANDMARK_TAUS),
         ", ".join(f"{k.split(':')[-1]} {v:+.2f}" for k, v in run["calibration"]["op_values_points"].items())]
        for run in results["runs"]
        if run.get("calibration")
    ] + [
        [r["learner"], seed, "-", *(f"{p[k]:+.3f}" for k in LANDMARK_TAUS), f"{p['landmarks']} landmarks"]
        for r in results["rows"] if "pooled_landmarks" in r
        for seed, p in zip(r["supernet_seeds"], r["pooled_landmarks"], strict=True)
    ]  # fmt: skip
    lines = [
        f"# NAT end to end on NAS-Bench-201 ({args.preset} supernet, supernet seeds "
        f"{', '.join(map(str, args.supernet_seeds))})",
        "",
        f"{args.learner} trained for {args.total_timesteps:,} episodes per seed (learner seeds "
        f"{', '.join(map(str, args.seeds))} per supernet) on exact table rewards (NAT-NB201-CIFAR10-v0, the "
        "ceiling) and on the NAT-NB201-Supernet-CIFAR10-v0 rewards "
        f"({args.reward_images} fixed validation images) of the remedies "
        f"{', '.join(args.learner_variants) or '(none here)'}. {args.n_eval} held-out input cells (seed "
        f"{args.eval_seed}); Maximum: the argmax per edge; Sampling: the best of {args.k} samples by the env's "
        "reward; exhaustive: the best legal rewrite by the env's reward (each remedy's reward: "
        "calibration_seed draws other landmarks; pooled: a calibration fitted on the distinct landmarks of "
        "all calibrated remedies of one supernet)"
        + rerank_words(args)
        + ". Scored by the table's 200-epoch test gain over β as a "
        f"fraction of the oracle's ({results['oracle_mean_test_gain']:+.2f} points on all inputs: the best "
        "rewrite by table validation accuracy); 95 % bootstrap intervals over runs (supernet and learner "
        "seeds) and cells.",
        "",
        report.markdown_table(
            [
                "who picks α",
                "reward",
                "remedy",
                "warm-up batches",
                "inputs",
                "mean test gain (points)",
                "fraction of oracle (test) [95% CI]",
                "per run",
            ],
            rows,
        ),
        "",
        "Per supernet: Kendall tau against the table's validation accuracy on the fidelity sample (256 "
        "cells) of the supernet and of the reward (calibrated where calibrated), cells scored, and seconds "
        "to build (warm-up or load, calibration), to score the references, to re-rank and to train:",
        "",
        report.markdown_table(
            [
                "remedy",
                "batches",
                "seed",
                "tau supernet",
                "tau reward",
                "cells",
                "setup s",
                "score s",
                "rerank s",
                "train s",
            ],
            runs,
        ),
        "",
    ]
    learned = [
        [run["variant"], run["supernet_seed"], f"{run['reward_gain']['exhaustive'][0]:+.2f}",
         *(", ".join(f"{x:+.2f}" for x in run["reward_gain"][f"{args.learner} {mode}"]) for mode in ("maximum", "sampling"))]
        for run in results["runs"]
        if run["variant"] is not None and f"{args.learner} maximum" in run.get("reward_gain", {})
    ]  # fmt: skip
    if learned:
        lines += [
            "How well the learner optimises its own reward: the mean gain of the env's reward (points) of the "
            "exhaustive best rewrite (the most any pick can gain) and of the learner's picks, per learner seed:",
            "",
            report.markdown_table(["remedy", "seed", "exhaustive", "maximum", "sampling"], learned),
            "",
        ]
    picked: dict[str | None, list[list[float]]] = {}
    for run in results["runs"]:
        if "picked_ops" in run:
            picked.setdefault(run["variant"], []).append([run["picked_ops"][op] for op in PICKED_OPS])
    if picked and "oracle_picked_ops" in results:
        lines += [
            "Live edges per op of the exhaustive best rewrite (mean over inputs and supernet seeds; none: "
            "removed or cut off), beside the oracle's (by the table's validation accuracy):",
            "",
            report.markdown_table(
                ["who picks α", *PICKED_OPS],
                [["oracle", *(f"{results['oracle_picked_ops'][op]:.2f}" for op in PICKED_OPS)]]
                + [
                    [variant, *(f"{x:.2f}" for x in np.mean(rows, axis=0))]
                    for variant, rows in picked.items()
                ],
            ),
            "",
        ]
    if calibrations:
        lines += [
            "Calibrations: Kendall tau of the landmarks' fine-tuned (target) against their supernet accuracies, "
            "of each against the table's validation accuracy (a report: the fit never reads the table), and "
            "the fitted correction per edge of each op (points, relative to none):",
            "",
            report.markdown_table(list(CALIBRATION_COLUMNS), calibrations),
            "",
        ]
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    """Fraction of the oracle per row, with its interval (keep and random left out: 0 and far below)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        r for r in results["rows"] if r["learner"] not in ("keep", "random")
    ]  # random: far below, in the table
    labels = [
        f"{r['learner']} ({r['reward']}{'' if r['variant'] in (None, 'base') else ', ' + r['variant']})"
        for r in rows
    ]
    y = [r["fraction_of_oracle_test"]["estimate"] for r in rows]
    low = [a - r["fraction_of_oracle_test"]["low"] for a, r in zip(y, rows, strict=True)]
    high = [r["fraction_of_oracle_test"]["high"] - a for a, r in zip(y, rows, strict=True)]
    figure, axis = plt.subplots(figsize=(11, 0.45 * len(rows) + 1.2))
    axis.errorbar(y, range(len(rows)), xerr=[low, high], fmt="o", capsize=3)
    axis.set_yticks(range(len(rows)), labels, fontsize=7)
    axis.axvline(0, color="black", linewidth=0.5)
    axis.axvline(0.75, color="gray", linestyle="--", linewidth=1)
    axis.set_xlabel("test gain / oracle's (95 % CI)")
    axis.invert_yaxis()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    print(markdown(args, run(args)))


if __name__ == "__main__":
    main()
