"""The standalone ceiling on NAS-Bench-201: the supernet's own small network trained alone, cell by cell.

The supernet reward of ``NAT-NB201-Supernet-CIFAR10-v0`` ranks cells with weights shared by every cell of
a small network (the ``cpu-small`` preset: one cell per stage, 16 channels, 16 px images, trained on the
40 % weights split). Two things separate it from the table's 200-epoch truth: the weight sharing, and the
small, briefly trained proxy network itself. This study takes the second alone: each cell of the fidelity
study's global sample (``benchmarks/results/fidelity/cpu_small.json``) trains the same network standalone
(:func:`nat_env.scratch.train_from_scratch`, NAS-Bench-201's optimiser at the preset's batch size) on the
same weights split for ``epochs`` passes, and is scored on the same fixed reward window of the rewards
split that the supernet's reward uses. The test split is never scored.

The data flow: fidelity sample → a seeded order (any prefix is a uniform sample) → per cell, a standalone
run → ``results.cells``, written after every cell (``--resume`` keeps them) → :func:`analyse`: Kendall
tau-b of the standalone and of the supernet accuracies (same cells) against the table's 200-epoch
validation accuracies, and the residuals per op type: the difference of standardised ranks (supernet −
standalone, supernet − table, standalone − table) regressed on each cell's op counts, with bootstrap
intervals over cells. A positive coefficient of an op means the first score ranks cells with more edges of
that op higher than the second does.

    python -m benchmarks.standalone_ceiling --max-seconds 5536     # CPU-small, 3 epochs, one thread
    python -m benchmarks.standalone_ceiling --resume --max-seconds 0   # analyse what is finished
    python -m benchmarks.standalone_ceiling --smoke                    # tiny everything
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.stats
import torch

from benchmarks.common import report
from benchmarks.common.args import DataArgs, TorchArgs
from benchmarks.common.rank import bootstrap_tau_b, kendall_tau_b
from nat_env.data import ImageArrays, load_cifar10
from nat_env.flags import parse_dataclass
from nat_env.nb201 import NB201Table, TableEvaluator
from nat_env.nb201.cells import genotype_of_code, live_nodes, ops_of
from nat_env.ops import NB201_NAMES, NB201_OPS
from nat_env.records import config_differences
from nat_env.scratch.protocol import NB201, Protocol
from nat_env.scratch.trainer import train_from_scratch
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.presets import get_preset
from nat_env.supernet.setup import SupernetSpec, make_spec

Array = npt.NDArray[np.float64]

OP_NAMES = tuple(NB201_NAMES.get(op, op) for op in NB201_OPS)
"""NAS-Bench-201's spelling of the ops, in op-id order (the residuals' regressors)."""
RESIDUALS = (("supernet", "standalone"), ("supernet", "table"), ("standalone", "table"))
"""The score pairs whose rank differences are regressed on op counts: weight sharing, both, small proxy."""


@dataclass
class Args(DataArgs, TorchArgs):
    """Configuration of the standalone-ceiling study (recorded in the result file)."""

    preset: str = "cpu-small"
    """Supernet preset whose network, image size and data split the standalone runs copy."""
    epochs: int = 3
    """Passes over the preset's weights split per cell (the stated budget)."""
    fidelity: str = "fidelity/cpu_small.json"
    """Fidelity result file holding the cell sample and the supernet's accuracies of it (relative: in
    benchmarks/results)."""
    variant: str = "sampler=unique"
    """The fidelity entry's training variant whose supernet accuracies are compared."""
    budget: int = 20_000
    """The fidelity entry's warm-up budget (batches)."""
    n_cells: int = 0
    """Cells to train, a prefix of the seeded order; 0 for the whole sample."""
    order_seed: int = 0
    """Seed of the order of the cells (any prefix is a uniform sample of the fidelity sample)."""
    seed: int = 0
    """Seed of the data split and the reward window (the supernet's), and of each standalone run."""
    max_seconds: float | None = None
    """Start no new cell after this many seconds, then analyse (0: analyse the finished cells only);
    none for no limit."""
    bootstrap: int = 2000
    """Bootstrap resamples of every interval."""
    runs_dir: str = ""
    """Folder of the per-cell run folders (checkpoints); empty for a temporary folder."""
    resume: bool = False
    """Keep the finished cells of the result file (same configuration) and train the rest."""
    smoke: bool = False
    """Tiny everything (tiny preset, 2 cells, 1 epoch): a pipeline check, not evidence."""
    out: str = "standalone_ceiling/cpu_small.json"
    """Result file (relative: in benchmarks/results); the Markdown summary is written beside it."""


FREE = ("n_cells", "threads", "max_seconds", "bootstrap", "runs_dir", "resume", "out")
"""Settings a resumed run may change: how many cells, and bookkeeping."""


def protocol_of(spec: SupernetSpec, epochs: int) -> Protocol:
    """NAS-Bench-201's training recipe in the supernet's network: its depth, channels, image size and batch."""
    config = spec.supernet_config()
    return dataclasses.replace(
        NB201,
        name=f"standalone-{spec.preset.image_size}px",
        layers=config.layers,
        channels=config.channels,
        epochs=epochs,
        batch_size=spec.preset.batch_size,
        image_size=spec.preset.image_size,
        eval_batch_size=spec.preset.eval_batch_size,
        purpose=f"the supernet's network trained alone for {epochs} epochs of its weights split",
    )


def standalone_images(spec: SupernetSpec, arrays: ImageArrays) -> ImageArrays:
    """The supernet's weights split as training images, its fixed reward window as the images scored.

    The window is the one the env's remembering evaluator scores (seeded by ``spec.seed``, the preset's
    ``reward_images``), so standalone and supernet accuracies are measured on the same images.
    """
    data = spec.load_data(arrays)
    window = SupernetEvaluator(
        spec.new_supernet(data),
        data,
        reward_images=spec.preset.reward_images,
        seed=spec.seed,
        window="fixed",
    ).next_window()
    scored = data.reward_indices[window.cpu().numpy()]
    weights = data.weights_indices
    return ImageArrays(
        arrays.train_images[weights],
        arrays.train_labels[weights],
        arrays.train_images[scored],
        arrays.train_labels[scored],
        arrays.classes,
        f"{arrays.source}#split{spec.seed}-weights/rewards-window{len(scored)}",
    )


def fidelity_cells(args: Args) -> tuple[list[int], dict[int, float] | None]:
    """The fidelity sample's codes in the seeded order, and the supernet's accuracy (%) of each (``None``
    when the fidelity file holds no entry of this preset, variant, budget and window)."""
    data = json.loads(report.resolve(args.fidelity).read_text(encoding="utf-8"))
    sample = [int(code) for code in data["results"]["sample"]]
    order = np.random.default_rng(args.order_seed).permutation(len(sample))
    codes = [sample[i] for i in order]
    images = get_preset(args.preset).reward_images
    entry = next(
        (
            e
            for e in data["results"]["entries"]
            if data["config"]["preset"] == args.preset
            and e["variant"] == args.variant
            and e["budget"] == args.budget
            and e["reward_images"] == images
        ),
        None,
    )
    if entry is None:
        return codes, None
    return codes, {c: 100.0 * a for c, a in zip(sample, entry["sample_proxy"], strict=True)}


def train_cell(
    code: int, protocol: Protocol, images: ImageArrays, folder: Path, seed: int, device: str
) -> dict[str, Any]:
    """Train one cell standalone and score it on the reward window; its record in the result file."""
    start = time.perf_counter()
    result = train_from_scratch(
        genotype_of_code(code),
        protocol,
        folder,
        seed=seed,
        device=device,
        resume=folder.exists(),
        arrays=images,
    )
    return {
        "code": code,
        "genotype": result.genotype,
        # train_from_scratch scores its arrays' test part, which here is the reward window
        "standalone": result.test_accuracy,
        "params": result.params,
        "train_loss": result.history[-1].train_loss,
        "train_seconds": result.train_seconds,
        "seconds": time.perf_counter() - start,
    }


def previous(args: Args) -> list[dict[str, Any]]:
    """Finished cells of an earlier run of the same configuration (``--resume``), else none."""
    path = report.resolve(args.out)
    if not args.resume or not path.is_file():
        return []
    earlier = json.loads(path.read_text(encoding="utf-8"))
    changed = config_differences(earlier["config"], report.plain(args), FREE, report.plain(Args()))
    if changed:
        raise SystemExit(
            f"--resume: {path} has another configuration ({'; '.join(changed)}); use another --out"
        )
    cells: list[dict[str, Any]] = earlier["results"]["cells"]
    return cells


def run(args: Args) -> dict[str, Any]:
    """Train the cells not yet finished (within ``max_seconds``), writing the result file after each."""
    torch.set_num_threads(args.threads)
    spec = make_spec(args.preset, space="nb201", device=args.device, seed=args.seed, archive=args.archive)
    protocol = protocol_of(spec, args.epochs)
    codes, supernet = fidelity_cells(args)
    codes = codes[: args.n_cells or None]
    finished = {cell["code"]: cell for cell in previous(args)}
    start = time.perf_counter()
    images = standalone_images(spec, load_cifar10(archive=args.archive, cache_dir=spec.cache_dir))
    setup_s = time.perf_counter() - start
    results: dict[str, Any] = {
        "budget": f"{args.epochs} epochs of the {len(images.train_labels)} weights-split images "
        f"({args.epochs * (len(images.train_labels) // protocol.batch_size)} SGD steps of "
        f"{protocol.batch_size}), scored on the {len(images.test_labels)} images of the reward window",
        "protocol": dataclasses.asdict(protocol),
        "data": images.source,
        "supernet": f"fidelity entry {args.variant}, {args.budget} batches" if supernet else None,
        "planned_cells": len(codes),
        "setup_s": setup_s,
        "cells": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        runs = Path(args.runs_dir or scratch)
        for code in codes:
            if code not in finished:
                if args.max_seconds is not None and time.perf_counter() - start >= args.max_seconds:
                    break
                finished[code] = train_cell(
                    code, protocol, images, runs / f"cell{code}", args.seed, args.device
                )
                logging.getLogger(__name__).info(
                    "cell %d (%d of %d): %.2f %% in %.1f s",
                    code,
                    len(finished),
                    len(codes),
                    finished[code]["standalone"],
                    finished[code]["seconds"],
                )
            if supernet is not None:
                finished[code]["supernet"] = supernet[code]
            results["cells"] = [finished[c] for c in codes if c in finished]
            report.write(args.out, args, results)
    return results


def residual_per_op(first: Array, second: Array, ops: npt.NDArray[np.int64]) -> Array:
    """Least-squares coefficients of ``z(rank(first)) − z(rank(second))`` on each cell's op counts.

    The counts of the five ops sum to six edges, so there is no intercept: a coefficient is what one edge
    of that op adds to the difference, and the differences between coefficients are what the scores
    disagree on.

    Shapes:
        ``first``, ``second``: ``(n,)``; ``ops``: ``(n, 6)`` op ids → ``(5,)``, one per op id.
    """
    difference = _ranked(first) - _ranked(second)
    counts = np.stack([(ops == op).sum(1) for op in range(len(OP_NAMES))], axis=1).astype(np.float64)
    coefficients, *_ = np.linalg.lstsq(counts, difference, rcond=None)
    return np.asarray(coefficients, np.float64)


def _ranked(values: Array) -> Array:
    """Average ranks, standardised to mean 0 and standard deviation 1."""
    ranks = scipy.stats.rankdata(values)
    spread = ranks.std()
    return np.asarray((ranks - ranks.mean()) / spread if spread else ranks * 0.0, np.float64)


def residual_intervals(
    scores: dict[str, Array], ops: npt.NDArray[np.int64], n_boot: int, seed: int
) -> dict[str, dict[str, dict[str, float]]]:
    """:func:`residual_per_op` of every pair of :data:`RESIDUALS`, with percentile bootstrap intervals
    over cells (the ranks are recomputed in each resample)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(len(ops), size=(n_boot, len(ops)))
    found: dict[str, dict[str, dict[str, float]]] = {}
    for first, second in RESIDUALS:
        if first not in scores or second not in scores:
            continue
        estimate = residual_per_op(scores[first], scores[second], ops)
        resampled = np.stack([residual_per_op(scores[first][d], scores[second][d], ops[d]) for d in draws])
        low, high = np.percentile(resampled, [2.5, 97.5], axis=0)
        found[f"{first} - {second}"] = {
            name: {"estimate": float(e), "low": float(lo), "high": float(hi)}
            for name, e, lo, hi in zip(OP_NAMES, estimate, low, high, strict=True)
        }
    return found


def analyse(cells: list[dict[str, Any]], table: TableEvaluator, n_boot: int, seed: int) -> dict[str, Any]:
    """Kendall tau-b of each score against the table's 200-epoch validation accuracy (and of the two
    scores against each other), and the residuals per op type, on the finished cells."""
    codes = np.array([cell["code"] for cell in cells], np.int64)
    scores = {
        "standalone": np.array([cell["standalone"] for cell in cells]),
        "table": 100.0 * table.val[codes],
    }
    if all("supernet" in cell for cell in cells):
        scores["supernet"] = np.array([cell["supernet"] for cell in cells])
    taus: dict[str, dict[str, float]] = {}
    for name, x, y in [
        ("standalone vs table", scores["standalone"], scores["table"]),
        *([("supernet vs table", scores["supernet"], scores["table"])] if "supernet" in scores else []),
        *(
            [("supernet vs standalone", scores["supernet"], scores["standalone"])]
            if "supernet" in scores
            else []
        ),
    ]:
        low, high = bootstrap_tau_b(x, y, n_boot, seed=seed)
        taus[name] = {"estimate": kendall_tau_b(x, y), "low": low, "high": high}
    ops = ops_of(codes)
    connected = live_nodes(ops)[:, 3]
    seconds = np.array([cell["seconds"] for cell in cells])
    return {
        "cells": len(cells),
        "connected_cells": int(connected.sum()),
        "seconds_per_cell": {
            "mean": float(seconds.mean()),
            "min": float(seconds.min()),
            "max": float(seconds.max()),
        },
        "kendall_tau_b": taus,
        "residual_per_op": residual_intervals(scores, ops, n_boot, seed),
        "mean_accuracy": {name: float(values.mean()) for name, values in scores.items()},
    }


def markdown(results: dict[str, Any]) -> str:
    """The summary: the budget, the taus and the residuals per op."""
    found = results["analysis"]
    lines = [
        "# Standalone ceiling on NAS-Bench-201",
        "",
        f"Budget: {results['budget']}. Cells: {found['cells']} of the fidelity sample "
        f"({found['connected_cells']} connected); {found['seconds_per_cell']['mean']:.1f} s per cell "
        f"(min {found['seconds_per_cell']['min']:.1f}, max {found['seconds_per_cell']['max']:.1f}). "
        f"Supernet: {results['supernet'] or 'none of this preset in the fidelity file'}.",
        "",
        report.markdown_table(
            ["Kendall tau-b", "estimate", "95 % interval"],
            [
                [name, f"{t['estimate']:.3f}", f"[{t['low']:.3f}, {t['high']:.3f}]"]
                for name, t in found["kendall_tau_b"].items()
            ],
        ),
        "",
        "Residual per op edge: standardised rank of the first score minus the second's, regressed on the op "
        "counts (no intercept; 95 % bootstrap intervals over cells).",
        "",
    ]
    residuals = found["residual_per_op"]
    rows = [
        [
            op,
            *(
                f"{r[op]['estimate']:+.3f} [{r[op]['low']:+.3f}, {r[op]['high']:+.3f}]"
                for r in residuals.values()
            ),
        ]
        for op in OP_NAMES
    ]
    lines.append(report.markdown_table(["op", *residuals], rows))
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args`."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.preset, args.epochs, args.n_cells, args.bootstrap = "tiny", 1, 2, 50
        args.out = args.out.replace(".json", "_smoke.json")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    logging.basicConfig(format="%(message)s")
    logging.getLogger(__name__).setLevel(logging.INFO)
    results = run(args)
    if not results["cells"]:
        raise SystemExit("no cell finished: raise --max-seconds")
    table = TableEvaluator(NB201Table.load(args.table), "cifar10", 200)
    results["analysis"] = analyse(results["cells"], table, args.bootstrap, args.seed)
    path = report.write(args.out, args, results)
    summary = markdown(results)
    path.with_suffix(".md").write_text(summary, encoding="utf-8")
    print(summary)


if __name__ == "__main__":
    main()
