"""Supernet fidelity on NAS-Bench-201: how well shared-weight accuracies rank cells, by warm-up budget.

The supernet environment rewards a transformation with supernet accuracies; the exact environment with
the table's 200-epoch accuracies. This benchmark measures how faithfully the first ranks cells like the
second. A fixed, seeded sample of ``n_cells`` distinct cell codes (uniform over all 15,625) is scored by
a NAS-Bench-201 supernet after each warm-up budget, all on the same fixed window of the 60 % rewards
split of the CIFAR-10 training set (JPEG copy), and compared with the table's CIFAR-10 200-epoch
validation accuracy (main) and test accuracy (secondary) by Kendall's tau-b (with a 95 % bootstrap
interval over cells) and Spearman's rho, over all sampled cells and over the connected ones (whose
output node is reachable; the table gives the 341 others 10 % test accuracy).

Warm-up as in the environment's ``pretrained`` mode (:func:`nat_env.supernet.training.pretrain`): SGD
with :class:`TrainingConfig`'s defaults on the 40 % weights split, one genotype per batch of 64 drawn
from :meth:`MixtureSampler.warmup`, a cosine schedule. ``--schedule separate`` (default) trains one
supernet per budget from the same initialisation, each with its own full cosine schedule (the honest
"warm-up budget"); ``--schedule checkpoints`` trains once along the largest budget's schedule and scores
the checkpoints it passes. Budget 0, the untrained supernet, is the floor; the table's 12-epoch
validation accuracy ranked against its 200-epoch one is the cheap-proxy reference.

The default configuration is "CPU-small" (one cell per stage, 16 channels, 16x16 images, 20,000
training images, 2,048 validation images), sized for about 40 minutes of one CPU core (each budget's
scoring of 256 cells takes about 3 minutes, training about 0.06 s per step); it is not the paper's GPU
configuration (5 cells per stage, 32x32, all 50,000 images). Results are rewritten after every budget;
``--resume`` completes an interrupted run.

    python -m benchmarks.supernet_fidelity                 # the CPU-small run (~40 min, one core)
    python -m benchmarks.supernet_fidelity --smoke         # tiny everything (< 40 s)
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from benchmarks import rank, report
from benchmarks.args import parse_dataclass
from nat_env.data import CifarData, load_cifar10
from nat_env.nb201 import NB201Table, TableEvaluator
from nat_env.nb201.cells import N_CELLS, genotype_of_code, live_nodes, ops_of
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.options import FastOptions
from nat_env.supernet.samplers import MixtureSampler
from nat_env.supernet.training import SupernetTrainer, TrainingConfig

SCHEDULES = {
    "separate": "each budget is its own warm-up from the same initialisation with a full cosine schedule",
    "checkpoints": "one warm-up along the largest budget's cosine schedule, scored as it passes each budget",
}
"""The warm-up schedules, described for the result files."""


@dataclass
class Args:
    """Configuration of the supernet-fidelity benchmark (recorded in the result file)."""

    n_cells: int = 256
    """Distinct cell codes sampled uniformly from the 15,625 (at least 200 outside ``--smoke``)."""
    cell_seed: int = 0
    """Seed of the cell sample."""
    budgets: tuple[int, ...] = (0, 250, 500, 1000, 2000, 4000, 10_000)
    """Warm-up budgets in SGD steps (batches of ``batch_size``); 10,000 is the environment's ``paper``
    preset's warm-up."""
    schedule: str = "separate"
    """``separate``: one supernet and full cosine schedule per budget; ``checkpoints``: one run along the
    largest budget's schedule, scored when it passes each budget."""
    layers: int = 1
    """NAS-Bench-201 cells per stage (the benchmark's network: 5)."""
    channels: int = 16
    """Stem channels (NAS-Bench-201: 16)."""
    image_size: int = 16
    """Image side (CIFAR-10's 32 is area-downsampled once)."""
    max_train_images: int = 20_000
    """Training images used before the 40/60 weights/rewards split."""
    batch_size: int = 64
    """Supernet training batch."""
    archs_per_step: int = 1
    """Genotypes per SGD step (:class:`TrainingConfig`): 1 is the paper's one genotype per batch; ``K > 1``
    trains ``K`` genotypes on ``K`` batches in one grouped pass, so a budget (counted in batches) makes
    ``K`` times fewer SGD steps. Measures what the GPU's grouped training costs in ranking quality."""
    lr_scaling: str = "linear"
    """Learning-rate rule for ``archs_per_step > 1``: ``linear``, ``sqrt`` or ``none``."""
    lr_warmup_batches: int = 0
    """Batches over which the learning rate ramps up linearly (0: none, the paper's schedule)."""
    eval_images: int = 2048
    """Validation images scoring every cell: the first of the (seeded, permuted) rewards split."""
    eval_batch_size: int = 256
    """Images per evaluation chunk (batch-norm statistics are per chunk, as in the environment)."""
    bootstrap: int = 1000
    """Bootstrap resamples of cells for tau's 95 % interval."""
    top_fraction: float = 0.1
    """Top share of connected cells (by table validation accuracy) whose overlap is reported."""
    seed: int = 0
    """Seed of the data split, the initialisation, the training draws and the bootstrap."""
    threads: int = 1
    """CPU threads for torch."""
    device: str = "cpu"
    """Torch device."""
    archive: str | None = None
    """CIFAR-10 tarball or class-folder directory; default ``NAT_CIFAR10_ARCHIVE``."""
    table: str | None = None
    """NAS-Bench-201 compact CSV; default ``NAT_NB201_TABLE``."""
    out: str = "supernet_fidelity_cpu_small.json"
    """Result file (a bare name goes into ``benchmarks/results``); ``.md`` and ``.png`` go beside it."""
    label: str = "CPU-small"
    """Name of the configuration in the outputs."""
    resume: bool = False
    """Keep the budgets already in ``out`` from a run of the same configuration (``separate`` schedule
    only: each budget is an independent run) and compute only the missing ones."""
    smoke: bool = False
    """Tiny everything (< 40 s on one core), outputs named ``*_smoke``: checks the pipeline only."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Set by the script: derived numbers recorded with the configuration."""


def sample_cells(n_cells: int, seed: int) -> npt.NDArray[np.int64]:
    """A sorted, seeded sample of distinct cell codes, uniform over all of them."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(N_CELLS, size=n_cells, replace=False)).astype(np.int64)


def correlations(
    truth: npt.NDArray[np.float64], proxy: npt.NDArray[np.float64], args: Args, with_ci: bool = True
) -> dict[str, Any]:
    """tau-b (with its bootstrap interval), Spearman's rho and the top overlap of ``proxy`` vs ``truth``."""
    found: dict[str, Any] = {
        "tau": rank.kendall_tau_b(truth, proxy),
        "spearman": rank.spearman(truth, proxy),
        "top_overlap": rank.top_overlap(truth, proxy, args.top_fraction),
    }
    if with_ci:
        found["tau_ci"] = list(rank.bootstrap_tau_b(truth, proxy, args.bootstrap, seed=args.seed))
    return found


def fidelity(
    accuracy: npt.NDArray[np.float64],
    table: dict[str, npt.NDArray[np.float64]],
    connected: npt.NDArray[np.bool_],
    args: Args,
) -> dict[str, Any]:
    """Every correlation of per-cell accuracies with the table's columns, over all and connected cells."""
    found: dict[str, Any] = {}
    for subset, keep in (("all", np.ones_like(connected)), ("connected", connected)):
        found[subset] = {
            "val": correlations(table["val"][keep], accuracy[keep], args),
            "test": correlations(table["test"][keep], accuracy[keep], args, with_ci=False),
            "mean_accuracy": float(accuracy[keep].mean()),
        }
    return found


class Budgets:
    """Supernets after each warm-up budget, trained as :func:`nat_env.supernet.training.pretrain` does.

    Args:
        data: images (the weights split trains).
        model: the supernet's shape.
        training: SGD settings.
        schedule: ``separate`` or ``checkpoints`` (see :class:`Args`).
        horizon: the largest budget (the ``checkpoints`` schedule's cosine horizon).
        seed: seed of the initialisation (the same for every budget).
    """

    def __init__(
        self,
        data: CifarData,
        model: SupernetConfig,
        training: TrainingConfig,
        schedule: str,
        horizon: int,
        seed: int,
    ) -> None:
        if schedule not in ("separate", "checkpoints"):
            raise ValueError(f"unknown schedule {schedule!r}; use 'separate' or 'checkpoints'")
        self.data, self.model, self.training = data, model, training
        self.schedule, self.horizon, self.seed = schedule, horizon, seed
        self.sampler = MixtureSampler.warmup(
            "nb201", model.n_nodes, model.vocabulary, training.null_prob, training.skip_prob
        )
        self._trainer: SupernetTrainer | None = None

    def _fresh(self, horizon: int) -> SupernetTrainer:
        torch.manual_seed(self.seed)
        supernet = Supernet(self.model).to(self.data.device)
        return SupernetTrainer(
            supernet,
            self.data,
            self.sampler,
            self.training,
            horizon,
            FastOptions(),
        )

    def train(self, steps: int) -> tuple[Supernet, float]:
        """The supernet after ``steps`` warm-up steps and the mean training loss of the steps run now."""
        if self.schedule == "separate":
            trainer = self._fresh(steps)
        else:
            if self._trainer is None:
                self._trainer = self._fresh(self.horizon)
            trainer = self._trainer
        loss = trainer.train_batches(steps - trainer.batches_done)
        trainer.supernet.eval()
        return trainer.supernet, loss


def run(args: Args) -> dict[str, Any]:
    """Score the sampled cells after every budget; results are rewritten after each budget."""
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    device = torch.device(args.device)
    table = NB201Table.load(args.table)
    exact, cheap = TableEvaluator(table, "cifar10", 200), TableEvaluator(table, "cifar10", 12)
    codes = sample_cells(args.n_cells, args.cell_seed)
    connected = live_nodes(ops_of(codes))[:, 3]
    columns = {"val": exact.val[codes], "test": exact.test[codes]}
    if np.isnan(columns["val"]).any() or np.isnan(columns["test"]).any():
        raise ValueError(f"the table {table.path} lacks some sampled cells")
    genotypes = [genotype_of_code(int(code)) for code in codes]
    data = CifarData(
        load_cifar10(archive=args.archive),
        device=device,
        split_seed=args.seed,
        image_size=args.image_size,
        max_train_images=args.max_train_images,
        max_test_images=1,  # never used: rankings use the rewards split only
    )
    images, labels = data.reward_images[: args.eval_images], data.reward_labels[: args.eval_images]
    model = SupernetConfig(space="nb201", vocabulary="nb201", layers=args.layers, channels=args.channels)
    training = TrainingConfig(
        batch_size=args.batch_size,
        seed=args.seed,
        archs_per_step=args.archs_per_step,
        lr_scaling=args.lr_scaling,
        lr_warmup_batches=args.lr_warmup_batches,
    )
    budgets = Budgets(data, model, training, args.schedule, max(args.budgets), args.seed)
    args.extra = {
        "weights_images": len(data.weights_labels),
        "reward_images_available": len(data.reward_labels),
        "eval_images": len(labels),
        "connected_cells": int(connected.sum()),
        "supernet": model.to_dict(),
        "training": dataclasses.asdict(training),
        "warmup_sampler": "MixtureSampler.warmup (uniform, null-rich, skip-rich)",
        "data": "CIFAR-10 (JPEG copy)",
        "table_columns": "c10_val_200 (main), c10_test_200 (secondary), c10_val_12 (reference)",
    }
    reference = {
        "val12_vs_val200": fidelity(cheap.val[codes], columns, connected, args),
        "description": "the table's 12-epoch validation accuracy ranked against its 200-epoch accuracies",
    }
    results: dict[str, Any] = {
        "label": args.label,
        "note": "CPU-small configuration, not the paper's GPU configuration (NB201 network with 5 cells "
        "per stage, 32x32 images, all 50,000 images); the GPU-paper run is owed",
        "schedule": args.schedule,
        "batch_size": args.batch_size,
        "archs_per_step": args.archs_per_step,
        "lr_scaling": args.lr_scaling if args.archs_per_step > 1 else "none",
        "lr_warmup_batches": args.lr_warmup_batches,
        "codes": codes.tolist(),
        "connected": connected.tolist(),
        "reference": reference,
        "budgets": [],
    }
    print(
        f"{len(codes)} cells ({int(connected.sum())} connected), {len(labels)} validation images", flush=True
    )
    kept, earlier_s = previous(args) if args.resume else ([], 0.0)
    results["budgets"] = kept
    results["resumed_steps"] = [entry["steps"] for entry in kept]
    results["wall_s"], results["complete"] = earlier_s, len(kept) == len(set(args.budgets))
    for steps in sorted(set(args.budgets) - set(results["resumed_steps"])):
        start = time.perf_counter()
        supernet, loss = budgets.train(steps)
        trained = time.perf_counter()
        evaluator = SupernetEvaluator(
            supernet, data, reward_images=len(labels), eval_batch_size=args.eval_batch_size
        )
        accuracy = np.asarray(evaluator.accuracies(genotypes, images, labels), np.float64)
        done = time.perf_counter()
        entry = {
            "steps": steps,
            "sgd_steps": steps // args.archs_per_step,
            "epochs": steps * args.batch_size / len(data.weights_labels),
            "train_s": trained - start,
            "eval_s": done - trained,
            "wall_s": done - start,
            "mean_train_loss": None if np.isnan(loss) else loss,
            **fidelity(accuracy, columns, connected, args),
            "accuracy": np.round(accuracy, 5).tolist(),
        }
        results["budgets"] = sorted([*results["budgets"], entry], key=lambda e: int(e["steps"]))
        results["wall_s"] = earlier_s + time.perf_counter() - started
        results["complete"] = len(results["budgets"]) == len(set(args.budgets))
        print(
            f"budget {steps}: tau val {entry['all']['val']['tau']:+.3f} "
            f"(connected {entry['connected']['val']['tau']:+.3f}), train {entry['train_s']:.0f} s, "
            f"eval {entry['eval_s']:.0f} s",
            flush=True,
        )
        save(args, results)
    return results


def config_changes(ours: dict[str, Any], theirs: dict[str, Any], free: set[str]) -> list[str]:
    """The fields outside ``free`` in which two recorded configurations (JSON values) differ.

    A field missing from one of them (written before the field existed) counts as its default.
    """
    defaults = json.loads(json.dumps(dataclasses.asdict(Args())))
    keys = (set(ours) | set(theirs)) - free
    return sorted(k for k in keys if ours.get(k, defaults.get(k)) != theirs.get(k, defaults.get(k)))


def previous(args: Args) -> tuple[list[dict[str, Any]], float]:
    """Budgets of ``args.budgets`` found in ``args.out`` and that run's wall time (for ``--resume``).

    Raises:
        SystemExit: with the ``checkpoints`` schedule, or when the earlier run's configuration differs in
            anything but its budgets, threads, output or resume flag.
    """
    if args.schedule != "separate":
        raise SystemExit("--resume needs the separate schedule (checkpoints share one training run)")
    path = Path(args.out)
    path = report.RESULTS / path if path.parent == Path(".") else path
    if not path.is_file():
        return [], 0.0
    earlier = json.loads(path.read_text())
    free = {"budgets", "threads", "out", "resume", "extra"}
    changed = config_changes(json.loads(json.dumps(dataclasses.asdict(args))), earlier["config"], free)
    if changed:
        raise SystemExit(f"--resume: {path} has another configuration ({', '.join(changed)})")
    kept = [entry for entry in earlier["results"]["budgets"] if entry["steps"] in args.budgets]
    return kept, float(earlier["results"].get("wall_s", 0.0))


def grouping(results: dict[str, Any]) -> str:
    """One sentence on how many genotypes each SGD step trained."""
    per_step, ramp = int(results.get("archs_per_step", 1)), int(results.get("lr_warmup_batches", 0))
    ramped = f" The learning rate ramps up over the first {ramp} batches." if ramp else ""
    if per_step == 1:
        return "One genotype per SGD step (the paper's semantics): batches and SGD steps coincide." + ramped
    return (
        f"{per_step} genotypes per SGD step in one grouped pass, each on its own batch, "
        f"learning rate scaled {results['lr_scaling']}: a budget of B batches makes B/{per_step} SGD steps."
        + ramped
    )


def summary(results: dict[str, Any]) -> str:
    """The Markdown table of fidelity by budget, with the 12-epoch reference as its last row."""

    def interval(found: dict[str, Any]) -> str:
        low, high = found["tau_ci"]
        return f"{found['tau']:.3f} [{low:.3f}, {high:.3f}]"

    rows = []
    for entry in results["budgets"]:
        everything, connected = entry["all"], entry["connected"]
        rows.append(
            [
                f"{entry['epochs']:.1f} ep",
                entry["steps"],
                entry.get("sgd_steps", entry["steps"]),
                f"{entry['wall_s']:.0f}",
                interval(everything["val"]),
                interval(connected["val"]),
                f"{everything['val']['spearman']:.3f}",
                f"{everything['test']['tau']:.3f}",
                f"{connected['val']['top_overlap']:.2f}",
            ]
        )
    cheap = results["reference"]["val12_vs_val200"]
    rows.append(
        [
            "table 12-epoch",
            "-",
            "-",
            "-",
            interval(cheap["all"]["val"]),
            interval(cheap["connected"]["val"]),
            f"{cheap['all']['val']['spearman']:.3f}",
            f"{cheap['all']['test']['tau']:.3f}",
            f"{cheap['connected']['val']['top_overlap']:.2f}",
        ]
    )
    header = [
        "budget",
        "batches",
        "SGD steps",
        "wall s",
        "tau val [95% CI]",
        "tau val connected [95% CI]",
        "spearman val",
        "tau test",
        "top-10% overlap (connected)",
    ]
    return report.markdown_table(header, rows)


def plot(results: dict[str, Any], path: Path) -> None:
    """tau vs budget (all and connected cells, 95 % intervals) with the 12-epoch reference lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    steps = np.array([entry["steps"] for entry in results["budgets"]])
    cheap = results["reference"]["val12_vs_val200"]
    for subset, colour in (("all", "tab:blue"), ("connected", "tab:orange")):
        taus = np.array([entry[subset]["val"]["tau"] for entry in results["budgets"]])
        cis = np.array([entry[subset]["val"]["tau_ci"] for entry in results["budgets"]])
        axes.errorbar(
            steps,
            taus,
            yerr=np.abs(cis.T - taus),
            marker="o",
            capsize=3,
            color=colour,
            label=f"supernet, {subset} cells",
        )
        axes.axhline(
            cheap[subset]["val"]["tau"], color=colour, linestyle="--", label=f"table 12-epoch, {subset} cells"
        )
    positive = steps[steps > 0]
    linthresh = float(positive.min()) if positive.size else 1.0
    axes.set_xscale("symlog", linthresh=linthresh)
    axes.set_xlim(-0.3 * linthresh, 1.3 * max(float(steps.max()), linthresh))
    axes.set_xticks(steps, labels=[str(s) for s in steps], fontsize=8, rotation=30)
    per_step = results.get("archs_per_step", 1)
    unit = "SGD steps" if per_step == 1 else f"batches; {per_step} genotypes per SGD step"
    axes.set_xlabel(f"warm-up budget ({unit}, batch {results['batch_size']})")
    axes.set_ylabel("Kendall tau-b vs table 200-epoch val")
    axes.set_title(f"NAS-Bench-201 supernet fidelity ({results['label']}, {results['schedule']} schedules)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def save(args: Args, results: dict[str, Any]) -> Path:
    """Write the JSON (with machine and configuration), the Markdown table and the plot."""
    path = report.write(args.out, args, results)
    text = [
        f"# Supernet fidelity on NAS-Bench-201 ({results['label']})",
        "",
        results["note"] + ".",
        "",
        f"{len(results['codes'])} cells sampled uniformly (seed {args.cell_seed}), "
        f"{args.extra['connected_cells']} connected; supernet accuracy on {args.extra['eval_images']} fixed "
        "images of the rewards split of CIFAR-10 (JPEG copy) vs the table's CIFAR-10 200-epoch validation "
        f"(main) and test accuracy. Schedule: {results['schedule']} ({SCHEDULES[results['schedule']]}). "
        f"{grouping(results)} "
        "wall s: training plus scoring of one budget. Total wall time: "
        f"{results['wall_s']:.0f} s{'' if results['complete'] else ' (incomplete run)'}.",
        "",
        summary(results),
        "",
    ]
    path.with_suffix(".md").write_text("\n".join(text))
    if results["budgets"]:
        plot(results, path.with_suffix(".png"))
    return path


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args` (tuples comma-separated)."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.n_cells, args.budgets, args.layers, args.channels = 24, (0, 4, 8), 1, 8
        args.image_size, args.max_train_images, args.batch_size = 16, 1000, 32
        args.eval_images, args.eval_batch_size, args.bootstrap, args.label = 64, 64, 50, "smoke"
        args.out = args.out.replace(".json", "_smoke.json")
    elif args.n_cells < 200:
        raise SystemExit(f"--n-cells must be at least 200 outside --smoke, got {args.n_cells}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    results = run(args)
    print(summary(results))
    print(f"wrote {save(args, results)}")


if __name__ == "__main__":
    main()
