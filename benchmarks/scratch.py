"""Published β → α pairs trained from scratch over seeds: the paper's evaluation (its Tables 1-2), runnable.

Trains each input cell β (DARTS_V2, ENAS, VGG, ResBlock, MobileNetV2), the authors' NAT transformation
NAT_β, and, where our trained policy has transformed β (``published``' result file, Sampling-GCN),
our α, with :func:`nat_env.scratch.train_from_scratch` for every seed, and reports the test accuracy per
seed, its mean with a 95 % Student-t interval over seeds, and the paired difference α − β per seed (the
same seed gives both the same data order and augmentation) with its t-interval.

The default ``tiny`` preset runs on one CPU core (5 cells of 8 channels, 16 px images, 5,000 training
images, 6 epochs): **a pipeline check, not evidence**. Its accuracies are far below trained numbers and
its differences say nothing about the paper's claim; the ``short`` and ``darts`` presets need a GPU
(``benchmarks/gpu_scratch_short.sh`` is the prepared ``short`` run). The test split is scored once per run
and chooses nothing.

    python -m benchmarks.scratch           # tiny, one CPU thread (45 runs, 33 min): results/scratch/tiny_cpu.*
    python -m benchmarks.scratch --smoke   # a few hundred images, one epoch (< 1 min)

Run folders go to ``--runs-dir``; a rerun resumes unfinished runs and reuses finished ones.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import report
from benchmarks.common.args import TorchArgs
from benchmarks.common.published_report import AUTHORS, PAPER_C10
from benchmarks.common.stats import t_interval
from nat_env import genotypes
from nat_env.data import load_cifar10
from nat_env.flags import parse_dataclass
from nat_env.genotypes import Genotype
from nat_env.records import provenance
from nat_env.scratch import Protocol, ScratchResult, preset, train_from_scratch

NOT_EVIDENCE = "tiny preset: a pipeline check, not evidence"
INTERVAL = "95 % Student-t interval over seeds (mean ± t(n-1) · s / √n); differences paired by seed"


@dataclass
class Args(TorchArgs):
    """Configuration of the from-scratch pairs benchmark (the tiny preset on one CPU core by default)."""

    preset: str = "tiny"
    """Protocol preset: tiny (CPU, a pipeline check), short (a few GPU minutes) or darts (the paper's)."""
    cells: tuple[str, ...] = ("DARTS_V2", "ENAS", "VGG", "ResBlock", "MobileNetV2")
    """Input cells β; each is paired with the authors' NAT_β."""
    ours: str = "published/cpu_small.json"
    """Result file of benchmarks.published (relative to benchmarks/results unless absolute) whose Sampling-GCN α of each cell is trained too ("" skips)."""
    seeds: tuple[int, ...] = (0, 1, 2)
    """Training seeds; every genotype is trained once per seed."""
    epochs: int = 0
    """Override the preset's epochs (0 keeps them)."""
    max_train_images: int = 0
    """Override the preset's training images (0 keeps them)."""
    max_test_images: int = 0
    """Override the preset's test images (0 keeps them: all 10,000 for every preset)."""
    runs_dir: str = "runs/scratch"
    """Where the run folders go (one per genotype and seed; reruns resume them)."""
    out: str = "scratch/tiny_cpu.json"
    """Result file, relative to benchmarks/results unless absolute (a .md table is written beside it)."""
    smoke: bool = False
    """A few hundred images and one epoch (two cells and two seeds unless given): checks the pipeline only (< 1 min)."""


@dataclass(frozen=True)
class Variant:
    """One genotype of a pair: β, the authors' α or ours."""

    cell: str
    """The input cell β it belongs to."""
    role: str
    """original, authors (NAT_β) or ours (our policy's α)."""
    genotype: Genotype
    """What is trained."""


def variants(args: Args) -> list[Variant]:
    """β, the authors' α and (when the result file has it) our α of every cell, in that order."""
    ours = _our_alphas(Path(args.ours)) if args.ours else {}
    found = []
    for cell in args.cells:
        found.append(Variant(cell, "original", genotypes.get(cell)))
        found.append(Variant(cell, "authors", genotypes.get(AUTHORS["nat"][cell])))
        if cell in ours:
            found.append(Variant(cell, "ours", ours[cell]))
    return found


def _our_alphas(path: Path) -> dict[str, Genotype]:
    """Sampling-GCN α per cell from a ``published`` result file (relative: in benchmarks/results)."""
    path = report.resolve(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    found = {}
    for entry in data["results"]["cells"]:
        if entry.get("representable") and "sampling" in entry["variants"]:
            found[entry["cell"]] = genotypes.parse(entry["variants"]["sampling"]["genotype"]).named(
                f"ours_{entry['cell']}"
            )
    return found


def protocol_of(args: Args) -> Protocol:
    """The preset with the overrides of :class:`Args`."""
    changes: dict[str, Any] = {
        "epochs": args.epochs,
        "max_train_images": args.max_train_images,
        "max_test_images": args.max_test_images,
    }
    return dataclasses.replace(preset(args.preset), **{key: value for key, value in changes.items() if value})


def run(args: Args) -> dict[str, Any]:
    """Train every variant for every seed; per-seed accuracies, means, intervals and paired differences."""
    torch.set_num_threads(args.threads)
    protocol = protocol_of(args)
    arrays = load_cifar10()
    runs_dir = Path(args.runs_dir) / Path(args.out).stem
    trained: dict[tuple[str, str], list[ScratchResult]] = {}
    for variant in variants(args):
        for seed in args.seeds:
            folder = runs_dir / f"{variant.cell}-{variant.role}-seed{seed}"
            resume = (folder / "config.json").exists()
            result = train_from_scratch(
                variant.genotype,
                protocol,
                folder,
                seed=seed,
                device=args.device,
                resume=resume,
                arrays=arrays,
            )
            trained.setdefault((variant.cell, variant.role), []).append(result)
    rows = [_variant_row(variant, trained[variant.cell, variant.role]) for variant in variants(args)]
    return {
        "label": NOT_EVIDENCE if protocol.name == "tiny" else protocol.purpose,
        "data": "CIFAR-10 (JPEG copy)" if arrays.source.startswith("archive:") else arrays.source,
        "protocol": asdict(protocol),
        "interval": INTERVAL,
        "variants": rows,
        "differences": [
            _difference(row, _original(rows, row["cell"])) for row in rows if row["role"] != "original"
        ],
    }


def _variant_row(variant: Variant, results: list[ScratchResult]) -> dict[str, Any]:
    accuracies = [result.test_accuracy for result in results]
    interval = t_interval(accuracies)
    return {
        "cell": variant.cell,
        "role": variant.role,
        "name": variant.genotype.name,
        "genotype": str(variant.genotype),
        "params": results[0].params,
        "madds": results[0].madds,
        "seeds": [result.seed for result in results],
        "test_accuracy": accuracies,
        "mean": interval.as_dict() if interval else {"estimate": accuracies[0]},
        "train_seconds": [result.train_seconds for result in results],
    }


def _original(rows: list[dict[str, Any]], cell: str) -> dict[str, Any]:
    return next(row for row in rows if row["cell"] == cell and row["role"] == "original")


def _difference(row: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    per_seed = [a - b for a, b in zip(row["test_accuracy"], original["test_accuracy"], strict=True)]
    interval = t_interval(per_seed)
    return {
        "cell": row["cell"],
        "role": row["role"],
        "name": row["name"],
        "per_seed": per_seed,
        "mean": interval.as_dict() if interval else {"estimate": per_seed[0]},
        "params_change": row["params"] - original["params"],
        "madds_change": row["madds"] - original["madds"],
    }


def _with_interval(mean: dict[str, float]) -> str:
    if "low" not in mean:
        return f"{mean['estimate']:.2f}"
    return f"{mean['estimate']:.2f} [{mean['low']:.2f}, {mean['high']:.2f}]"


def markdown(results: dict[str, Any]) -> str:
    """The result table: accuracy per variant, then α − β per pair."""
    differences = {(d["cell"], d["role"]): d for d in results["differences"]}
    header = ["cell", "variant", "params M", "MAdds M (32 px)", "test acc % per seed", "mean [95 % CI]"]
    header += ["α − β per seed (points)", "mean α − β [95 % CI]", "paper C10 %"]
    rows = []
    for row in results["variants"]:
        diff = differences.get((row["cell"], row["role"]))
        paper = PAPER_C10.get(row["cell"], ("", "", ""))
        rows.append(
            [
                row["cell"],
                row["role"] if row["role"] != "authors" else f"authors ({row['name']})",
                f"{row['params'] / 1e6:.3f}",
                f"{row['madds'] / 1e6:.1f}",
                " / ".join(f"{a:.2f}" for a in row["test_accuracy"]),
                _with_interval(row["mean"]),
                " / ".join(f"{d:+.2f}" for d in diff["per_seed"]) if diff else "",
                _with_interval(diff["mean"]) if diff else "",
                {"original": paper[0], "authors": paper[1]}.get(row["role"], ""),
            ]
        )
    return report.markdown_table(header, rows) + "\n"


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args` (tuples comma-separated)."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:  # cells and seeds given on the command line are kept
        args.cells = ("VGG", "ResBlock") if args.cells == Args.cells else args.cells
        args.seeds = (0, 1) if args.seeds == Args.seeds else args.seeds
        args.epochs, args.max_train_images, args.max_test_images = 1, 256, 256
        args.out = args.out.replace(".json", "_smoke.json")
    return args


def heading(args: Args, results: dict[str, Any]) -> str:
    """The title and protocol paragraph above the Markdown table."""
    protocol = results["protocol"]
    title = f"# From-scratch training of published pairs, {protocol['name']} preset"
    if protocol["name"] == "tiny":
        title += f" — {NOT_EVIDENCE.upper()}"
    return (
        f"{title}\n\nProtocol: {protocol['purpose']}; {protocol['layers']} cells, {protocol['channels']} "
        f"channels, {protocol['image_size']} px, {protocol['max_train_images'] or 50_000} training images, "
        f"{protocol['epochs']} epochs, batch {protocol['batch_size']}, SGD {protocol['learning_rate']} cosine, "
        f"drop-path {protocol['drop_path']}, auxiliary {protocol['auxiliary_weight']}, cutout "
        f"{protocol['cutout']}. Data: {results['data']}; test accuracy on "
        f"{protocol['max_test_images'] or 10_000} test images, scored once per run. Seeds "
        f"{', '.join(map(str, args.seeds))}; {results['interval']}. 'ours' is the Sampling-GCN α of "
        f"`{args.ours}` (a policy trained on CPU-small supernet rewards). Wall {results['wall_s']:.0f} s "
        f"on {provenance()['cpu']} ({args.threads} thread(s), device {args.device})."
    )


def main(argv: list[str] | None = None) -> None:
    report.run_and_write(run, parse(argv), markdown, heading)


if __name__ == "__main__":
    main()
