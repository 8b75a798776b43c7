"""The benchmarks' statistics, now from rliable and SciPy, against the intervals in the committed result files.

Every committed interval whose raw values a file holds, or that can be rebuilt exactly, is recomputed with
:mod:`benchmarks.common.stats` and :mod:`benchmarks.common.rank` and compared with the stored one. Point
estimates must agree to float rounding. A bootstrap bound must agree to rounding where the new code draws
the same resamples as the code that wrote the file, and otherwise lie within the bootstrap's own noise:
the range of that bound over ``noise_seeds`` resampling seeds of the code that wrote the file.

* ``scratch/tiny_cpu.json``: the per-seed accuracies give every Student-t interval (the t quantile was
  a 4-decimal table, now ``scipy.stats.t``).
* ``agents/table3.json``: the per-seed mean gains give every mean's seed bootstrap, the per-seed curves
  every band (both rliable's now); the oracle's per-cell gains, rebuilt from the table, give its IQM
  interval; the random learner's per-cell gains, rebuilt by rerunning its jobs (checked against the
  file's per-seed means), give its IQM and fraction-of-oracle intervals.
* ``fidelity/cpu_small.json``: the global sample's proxy accuracies give every global tau, rho and tau
  interval (SciPy's).

Beside the check, ``designs`` compares the two-way bootstrap kept in :mod:`benchmarks.common.stats` with
rliable's stratified one (widths and run times) on seeds × cells scores: the random learner's, and those
of ``trained``, a learner trained as in ``agents/table3.json`` (a fresh run, not the file's).

    python -m benchmarks.stats_agreement            # ~10 min on one CPU thread, most of it training
    python -m benchmarks.stats_agreement --smoke
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
import torch
from rliable import library, metrics

import nat_env  # noqa: F401 - registers the env ids
from agents.evaluation import held_out_inputs, score
from agents.zoo import LearnerSpec, make_learner
from benchmarks.common import rank, report, stats
from nat_cli.arguments import parse_dataclass
from nat_env import Genotype
from nat_env.nb201 import NB201Table, TableEvaluator
from nat_env.nb201.cells import live_nodes, ops_of

Array = npt.NDArray[np.float64]

ROUNDING = 1e-12
"""Largest difference of two computations of the same number that differ only in summation order."""
MODES = ("maximum", "sampling")


@dataclass
class Args:
    """Configuration of the statistics agreement check (recorded in the result file)."""

    noise_seeds: int = 200
    """Resampling seeds of the committed code whose range of each bound is the bootstrap's noise."""
    trained: str = "ppo-mlp"
    """Learner trained as in agents/table3.json for the comparison of bootstrap designs ('' skips it)."""
    trained_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Seeds of the trained learner."""
    total_timesteps: int = 20_000
    """Training episodes per seed of the trained learner."""
    table: str | None = None
    """NAS-Bench-201 compact CSV; default NAT_NB201_TABLE."""
    out: str = "stats/agreement.json"
    """Result file (relative to benchmarks/results unless absolute)."""
    smoke: bool = False
    """One fidelity entry and a short training of two seeds: checks the pipeline only."""


def committed(name: str) -> dict[str, Any]:
    """A committed result file."""
    data: dict[str, Any] = json.loads(report.resolve(name).read_text())
    return data


def written_seed_bootstrap(curves: Array, n_boot: int, seed: int) -> tuple[Array, Array]:
    """The seed bootstrap that wrote agents/table3.json's means and bands: one seed resample for all points."""
    rng = np.random.default_rng(seed)
    means = curves[rng.integers(curves.shape[0], size=(n_boot, curves.shape[0]))].mean(axis=1)
    tail = 100 * (1 - stats.LEVEL) / 2
    low, high = np.percentile(means, [tail, 100 - tail], axis=0)
    return low, high


def compare(
    stored: dict[str, float], new: dict[str, float], noise: dict[str, float] | None
) -> dict[str, Any]:
    """Differences of a recomputed interval from a stored one; ``noise`` bounds each bound's (else rounding)."""
    diff = {key: abs(new[key] - stored[key]) for key in stored}
    allowed = {"estimate": ROUNDING, **(noise or {"low": ROUNDING, "high": ROUNDING})}
    return {
        "committed": stored,
        "recomputed": new,
        "difference": diff,
        "allowed": allowed,
        "agrees": all(diff[key] <= allowed[key] + ROUNDING for key in diff),
    }


def t_intervals() -> dict[str, Any]:
    """Every Student-t interval of scratch/tiny_cpu.json, recomputed from its per-seed values."""
    results = committed("scratch/tiny_cpu.json")["results"]
    rows = [(row["test_accuracy"], row["mean"]) for row in results["variants"]]
    rows += [(row["per_seed"], row["mean"]) for row in results["differences"]]
    checks = []
    for values, stored in rows:
        interval = stats.t_interval(values)
        assert interval is not None
        # The table held t to 4 decimals: a bound may move by half its last digit times s / sqrt(n).
        scale = 5e-5 * float(np.std(values, ddof=1)) / np.sqrt(len(values))
        checks.append(compare(stored, interval.as_dict(), {"low": scale, "high": scale}))
    return summary(checks)


def agents_means(args: Args) -> dict[str, Any]:
    """The seed bootstrap of every mean test gain and every curve band of agents/table3.json.

    From the file's per-seed values, the new code's interval is compared with the old code's at the file's
    seed. Each bound of each code is one draw from its bootstrap, so two draws may differ by up to the sum
    of the two codes' seed ranges; the allowed difference is twice the old code's range over
    ``noise_seeds`` seeds (the new code's range taken equal). The file itself must be what one of the two
    writes (``written_by``): the old code wrote it up to commit 95f7beb, the new code has summarised it
    since.
    """
    data = committed("agents/table3.json")
    config, results = data["config"], data["results"]
    n_boot, seed = config["n_boot"], config["boot_seed"]
    means, bands = [], []
    for learner in config["agents"]:
        runs = [r for r in results["runs"] if r["agent"] == learner]
        for mode in MODES:
            per_seed = np.array([r[mode]["mean_test_gain"] for r in runs])
            stored = results["summary"][learner][mode]["mean_test_gain"]
            new = stats.mean_ci(per_seed, n_boot, seed=seed).as_dict()
            spread, written = seed_noise(per_seed[:, None], n_boot, seed, args)
            old = {
                "estimate": float(per_seed.mean()),
                "low": float(written[0, 0]),
                "high": float(written[1, 0]),
            }
            check = compare(old, new, {"low": 2 * float(spread[0, 0]), "high": 2 * float(spread[1, 0])})
            by = written_by(
                np.array([stored["low"], stored["high"]]), written[:, 0], np.array([new["low"], new["high"]])
            )
            check |= {"file": stored, "written_by": by, "agrees": check["agrees"] and by is not None}
            means.append({"learner": learner, "mode": mode, **check})
        curves = np.array([r["curve"]["fraction_test"] for r in runs])
        _, low, high = stats.mean_band(curves, n_boot, seed=seed)
        spread, written = seed_noise(curves, n_boot, seed, args)
        stored_band = np.array([results["curves"][learner]["low"], results["curves"][learner]["high"]])
        diff = np.abs(np.stack([low, high]) - written)
        by = written_by(stored_band, written, np.stack([low, high]))
        bands.append(
            {
                "learner": learner,
                "points": int(curves.shape[1]),
                "max_difference": float(diff.max()),
                "max_allowed": float(2 * spread.max()),
                "written_by": by,
                "agrees": by is not None and bool(np.all(diff <= 2 * spread + ROUNDING)),
            }
        )
    return {"mean_test_gain": summary(means), "curve_bands": summary(bands)}


def written_by(stored: Array, old: Array, new: Array) -> str | None:
    """Which code's bounds the file holds (``old``, ``new``), or ``None`` if neither's."""
    for name, bounds in (("new", new), ("old", old)):
        if np.allclose(bounds, stored, rtol=0, atol=ROUNDING):
            return name
    return None


def seed_noise(curves: Array, n_boot: int, seed: int, args: Args) -> tuple[Array, Array]:
    """The range of each bound over ``noise_seeds`` seeds of the written code, and its bounds at ``seed``.

    Shapes:
        curves: ``(S, T)``; returns two ``(2, T)`` arrays (low and high rows).
    """
    bounds = np.array([written_seed_bootstrap(curves, n_boot, s) for s in range(args.noise_seeds)])
    spread = np.asarray(bounds.max(axis=0) - bounds.min(axis=0), np.float64)
    return spread, np.array(written_seed_bootstrap(curves, n_boot, seed))


def rebuilt_gains(args: Args, learner: str, seeds: tuple[int, ...], train: bool) -> dict[str, Any]:
    """Per seed, the held-out test and validation gains of ``learner`` as agents/table3.json's jobs make them.

    The random learner is not trained; its job scores the curve's cells once before the held-out set, which
    moves its random state, so the rebuild does the same.
    """
    config = committed("agents/table3.json")["config"]
    torch.set_num_threads(1)
    env = gym.make(config["env_id"], table_path=args.table)
    inputs: list[Genotype] = held_out_inputs(env, config["n_eval"], config["eval_seed"])
    oracle = score(None, env, inputs, methods=("oracle",)).gains["oracle"]
    gains: dict[str, dict[str, list[Array]]] = {m: {"test": [], "val": []} for m in MODES}
    for seed in seeds:
        env = gym.make(config["env_id"], table_path=args.table)
        spec = LearnerSpec.parse(learner, learning_rate=config["learning_rate"], seed=seed, device="cpu")
        model = make_learner(spec, env)
        if train:
            model.learn(total_timesteps=args.total_timesteps)
        else:
            score(model, env, inputs[: config["curve_n"]], methods=("maximum",))
        found = score(model, env, inputs, methods=MODES, k=config["k"])
        for mode in MODES:
            for split in ("test", "val"):
                gains[mode][split].append(found.gains[mode][split])
    return {
        "oracle": oracle,
        "gains": {m: {split: np.stack(v) for split, v in g.items()} for m, g in gains.items()},
    }


def agents_matrices(random: dict[str, Any]) -> dict[str, Any]:
    """The oracle's IQM interval and the random learner's IQM and fractions of the oracle, recomputed.

    Args:
        random: :func:`rebuilt_gains` of the random learner, checked here against the file's per-seed means.
    """
    data = committed("agents/table3.json")
    config, results = data["config"], data["results"]
    boot = {"n_boot": config["n_boot"], "seed": config["boot_seed"]}
    oracle, gains = random["oracle"], random["gains"]
    runs = [r for r in results["runs"] if r["agent"] == "random"]
    reproduced = all(
        float(gains[m]["test"][i].mean()) == r[m]["mean_test_gain"] for m in MODES for i, r in enumerate(runs)
    )
    iqm = stats.iqm_ci(oracle["test"][None], **boot).as_dict()
    checks = [{"of": "oracle iqm_test_gain", **compare(results["oracle"]["iqm_test_gain"], iqm, None)}]
    for mode in MODES:
        test, val = gains[mode]["test"], gains[mode]["val"]
        found = {
            "iqm_test_gain": stats.iqm_ci(test, **boot),
            "fraction_test": stats.ratio_ci(test, oracle["test"], **boot),
            "fraction_val": stats.ratio_ci(val, oracle["val"], **boot),
        }
        for key, interval in found.items():
            stored = results["summary"]["random"][mode][key]
            checks.append({"of": f"random {mode} {key}", **compare(stored, interval.as_dict(), None)})
    return {"random_per_seed_means_reproduced": reproduced, **summary(checks)}


def fidelity_global(args: Args) -> dict[str, Any]:
    """Every global tau, rho and tau interval of fidelity/cpu_small.json, from its stored sample scores."""
    data = committed("fidelity/cpu_small.json")
    config, results = data["config"], data["results"]
    truth = TableEvaluator(NB201Table.load(args.table), "cifar10", 200)
    sample = np.asarray(results["sample"], np.int64)
    connected = live_nodes(ops_of(sample))[:, 3]
    entries = results["entries"][:1] if args.smoke else results["entries"]
    checks = []
    for entry in entries:
        proxy = np.asarray(entry["sample_proxy"], np.float64)
        for subset, keep in (("all", np.ones_like(connected)), ("connected", connected)):
            val, test, said = truth.val[sample[keep]], truth.test[sample[keep]], proxy[keep]
            stored = entry["global"][subset]
            low, high = rank.bootstrap_tau_b(val, said, config["bootstrap"], seed=config["seed"])
            new = {
                "tau": rank.kendall_tau_b(val, said),
                "spearman": rank.spearman(val, said),
                "tau_test": rank.kendall_tau_b(test, said),
                "tau_low": low,
                "tau_high": high,
            }
            old = {key: stored[key] for key in ("tau", "spearman", "tau_test")}
            old |= {"tau_low": stored["tau_ci"][0], "tau_high": stored["tau_ci"][1]}
            diff = max(abs(new[key] - old[key]) for key in old)
            checks.append(
                {
                    "variant": entry["variant"],
                    "budget": entry["budget"],
                    "reward_images": entry["reward_images"],
                    "subset": subset,
                    "max_difference": diff,
                    "agrees": diff <= ROUNDING,
                }
            )
    return summary(checks)


def designs(matrices: dict[str, Array], n_boot: int) -> list[dict[str, Any]]:
    """Widths and run times of the two-way bootstrap and rliable's stratified one on seeds × cells scores."""
    found = []
    for name, scores in matrices.items():
        two_way, two_way_s = timed(stats.iqm_ci, scores, n_boot)
        row: dict[str, Any] = {
            "scores": name,
            "shape": list(scores.shape),
            "mean_seed_bootstrap_width": width(stats.mean_ci(scores.mean(axis=1), n_boot).as_dict()),
            "mean_rliable_cells_fixed_width": width(rliable_interval(scores, _mean, n_boot, False)[0]),
            "iqm_two_way_width": width(two_way.as_dict()),
            "iqm_two_way_s": two_way_s,
        }
        for fixed, label in ((False, "cells_fixed"), (True, "task_bootstrap")):
            interval, seconds = rliable_interval(scores, _iqm, n_boot, fixed)
            row[f"iqm_rliable_{label}_width"], row[f"iqm_rliable_{label}_s"] = width(interval), seconds
        found.append(row)
    return found


def rliable_interval(
    scores: Array, func: Callable[[Array], Array], n_boot: int, task_bootstrap: bool
) -> tuple[dict[str, float], float]:
    """rliable's stratified bootstrap interval (seeds as runs, cells as tasks) and its run time."""
    np.random.seed(0)  # noqa: NPY002 - rliable draws from the global state
    (_, bounds), seconds = timed(
        library.get_interval_estimates, {"x": scores}, func, reps=n_boot, task_bootstrap=task_bootstrap
    )
    low, high = np.asarray(bounds["x"]).ravel()
    return {"low": float(low), "high": float(high)}, seconds


def _iqm(scores: Array) -> Array:
    return np.array([metrics.aggregate_iqm(scores)])


def _mean(scores: Array) -> Array:
    return np.array([scores.mean()])


def timed(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``call(*args, **kwargs)`` and its wall time in seconds."""
    start = time.perf_counter()
    value = call(*args, **kwargs)
    return value, time.perf_counter() - start


def width(interval: dict[str, float]) -> float:
    """``high - low``."""
    return interval["high"] - interval["low"]


def summary(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """How many checks there are and agree; the largest differences."""
    found: dict[str, Any] = {"checks": len(checks), "agree": sum(c["agrees"] for c in checks)}
    if checks and "difference" in checks[0]:
        found["max_difference"] = {
            k: max(c["difference"][k] for c in checks) for k in checks[0]["difference"]
        }
        found["max_allowed"] = {k: max(c["allowed"][k] for c in checks) for k in checks[0]["allowed"]}
    return {**found, "rows": checks}


NOT_CHECKED = {
    "end_to_end/cpu_small.json": "its fractions of the oracle need per-cell gains and its taus the supernet's "
    "scores, neither stored (the rows hold per-seed mean gains only)",
    "agents/table3.json": "the trained learners' IQM and fractions of the oracle need per-cell gains, which "
    "the file does not store; rebuilding them means retraining every learner (the PPO + MLP rerun here "
    "reproduces the file's per-seed means, see trained_per_seed_mean_test_gain)",
    "fidelity/cpu_small.json": "the local view's intervals come from benchmarks.common.fidelity's own "
    "bootstrap over inputs, which this change leaves as it was",
}
"""Committed intervals without the raw values to recompute them."""


def run(args: Args) -> dict[str, Any]:
    """Every check, the comparison of bootstrap designs, and the verdict."""
    start = time.perf_counter()
    random = rebuilt_gains(args, "random", tuple(committed("agents/table3.json")["config"]["seeds"]), False)
    results: dict[str, Any] = {
        "scratch_t_intervals": t_intervals(),
        "agents_means": agents_means(args),
        "agents_matrices": agents_matrices(random),
        "fidelity_global": fidelity_global(args),
        "not_checked": NOT_CHECKED,
    }
    matrices = {f"random {m}": random["gains"][m]["test"] for m in MODES}
    if args.trained:
        trained = rebuilt_gains(args, args.trained, args.trained_seeds, True)
        matrices |= {f"{args.trained} {m}": trained["gains"][m]["test"] for m in MODES}
        results["trained_per_seed_mean_test_gain"] = {
            m: trained["gains"][m]["test"].mean(axis=1).tolist() for m in MODES
        }
    results["designs"] = designs(matrices, 200 if args.smoke else stats.N_BOOT)
    parts = [results["scratch_t_intervals"], *results["agents_means"].values(), results["agents_matrices"]]
    parts.append(results["fidelity_global"])
    results["agrees"] = (
        all(p["agree"] == p["checks"] for p in parts)
        and results["agents_matrices"]["random_per_seed_means_reproduced"]
    )
    results["wall_s"] = time.perf_counter() - start
    return results


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args`."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.trained_seeds, args.total_timesteps = args.trained_seeds[:2], 200
        args.out = args.out.replace(".json", "_smoke.json")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    results = run(args)
    path = report.write(args.out, args, results)
    verdict = "agree" if results["agrees"] else "DISAGREE"
    print(f"committed intervals and the new statistics {verdict}; wrote {path}")


if __name__ == "__main__":
    main()
