"""Where a supernet reward pass spends its time: torch.profiler over plain and grouped reward calls.

Profiles the two reward implementations of :mod:`benchmarks.supernet_speed` on the same random (β, α)
pairs and groups the profiler's self time by kind of work, so a bottleneck shows as a share:

* ``conv``: convolutions (cuDNN / oneDNN kernels included);
* ``batch_norm``: batch norm and the per-architecture statistics of the grouped pass;
* ``gather_scatter``: ``index_select`` / ``index_add_`` / ``cat`` / copies that route rows between ops;
* ``elementwise``: ReLU, additions, zero fills and the other pointwise kernels;
* ``pool``, ``reduction`` (the classifier's mean and argmax), ``other``.

On CUDA the device time of kernels is grouped (launch-bound code shows many tiny kernels: see
``kernels_per_call``); on a CPU the self CPU time of operators.

    python -m benchmarks.supernet_profile --preset tiny --device cpu \
        --out supernet_profile/tiny_cpu.json
    python -m benchmarks.supernet_profile --preset cpu-small --space nb201 --device cpu --reward-images 256 \
        --reference-pooling --rows-sweep "" --out supernet_profile/nb201_cpu_small.json
"""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from benchmarks.common.report import markdown_table, write
from benchmarks.common.supernet_timing import data_and_supernet, reward_calls
from nat_env.data import CifarData
from nat_env.flags import parse_dataclass
from nat_env.nn.operations import AvgPool
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet
from nat_env.supernet.options import FastOptions
from nat_env.supernet.setup import resolve_device

KINDS: dict[str, tuple[str, ...]] = {
    "conv": ("conv", "cudnn", "mkldnn", "gemm", "sm90", "sm80", "implicit"),
    "batch_norm": ("batch_norm", "bn_", "var_mean", "welford", "rsqrt"),
    "gather_scatter": ("index", "cat", "copy", "gather", "scatter", "stack", "contiguous"),
    "pool": ("pool",),
    "reduction": ("mean", "argmax", "sum", "reduce", "eq"),
    "elementwise": ("relu", "add", "mul", "sub", "div", "fill", "zero", "elementwise", "clamp"),
}


@dataclass
class Args:
    """Profiler configuration (recorded in the result file)."""

    preset: str = "tiny"
    """Supernet and image sizes: ``tiny``, ``cpu-small`` or ``paper``."""
    space: str = field(default="darts", metadata={"choices": ("darts", "nb201")})
    """Cell space of the supernet."""
    reference_pooling: bool = False
    """Also time and profile the plain path with PyTorch's avg_pool2d in place of the depthwise-convolution
    average pooling (nat_env.nn.operations.AvgPool), side by side on the same pairs."""
    device: str = "auto"
    """``auto``, ``cpu`` or ``cuda``."""
    archive: str | None = None
    """CIFAR-10 tarball or folder; default ``NAT_CIFAR10_ARCHIVE``, else random images."""
    pairs: int = 32
    """(β, α) pairs per profiled call: the plain path runs them one pair at a time, the grouped path in
    one pass."""
    reward_images: int = 64
    """Images per reward (the paper's 64)."""
    calls: int = 3
    """Profiled calls per variant (after one untimed call)."""
    threads: int = 1
    """CPU threads for torch (0 keeps torch's default)."""
    top: int = 12
    """Operators or kernels listed per variant."""
    rows_sweep: str = "128,512,2048,all"
    """Unprofiled wall time per pair of grouped passes bounded to these rows (architectures x images)
    per pass (``all``: one pass per call), next to the plain path's: whether smaller passes that stay
    in cache beat one large pass (on a CPU they do). Empty: skip."""
    seed: int = 0
    """Seed of the genotypes and the data split."""
    out: str = "supernet_profile/run.json"
    """Result file (relative to ``benchmarks/results`` unless absolute)."""


def kind_of(name: str) -> str:
    """The kind of work an operator or kernel name stands for (first match in :data:`KINDS`)."""
    lowered = name.lower()
    for kind, needles in KINDS.items():
        if any(needle in lowered for needle in needles):
            return kind
    return "other"


def profile_variant(
    evaluator: SupernetEvaluator, batches: list[list[Any]], grouped: bool, args: Args
) -> dict[str, Any]:
    """Profile ``args.calls`` reward calls; self time per kind, the top entries and the kernel count."""
    device = evaluator.data.device
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])

    def call(flat: list[Any]) -> None:
        if grouped:
            evaluator.evaluate(flat)
        else:
            for i in range(0, len(flat), 2):
                evaluator.evaluate(flat[i : i + 2])

    call(batches[0])
    with profile(activities=activities) as prof:
        for flat in batches[1:]:
            call(flat)
    cuda = device.type == "cuda"
    events = [
        e
        for e in prof.key_averages()
        if (e.device_type.name == "CUDA") == cuda and not e.key.startswith("ProfilerStep")
    ]

    def self_us(e: Any) -> float:
        return float(e.self_device_time_total if cuda else e.self_cpu_time_total)

    events = [e for e in events if self_us(e) > 0]
    total = sum(self_us(e) for e in events)
    kinds: dict[str, float] = defaultdict(float)
    for e in events:
        kinds[kind_of(e.key)] += self_us(e)
    calls = len(batches) - 1
    ranked = sorted(events, key=self_us, reverse=True)[: args.top]
    return {
        "timed": "device (CUDA kernels)" if cuda else "self CPU time of operators",
        "ms_per_call": total / 1e3 / calls,
        "ms_per_pair": total / 1e3 / calls / args.pairs,
        "kernels_per_call": sum(e.count for e in events) / calls,
        "share_by_kind": {k: v / total for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])},
        "top": [
            {"name": e.key, "kind": kind_of(e.key), "share": self_us(e) / total, "count": e.count / calls}
            for e in ranked
        ],
    }


def run(args: Args) -> dict[str, Any]:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data, supernet = data_and_supernet(args.preset, str(device), args.seed, args.archive, args.space)
    batches = reward_calls(supernet.config, args.calls + 1, args.pairs, args.seed)
    results: dict[str, Any] = {"device": str(device)}
    for name, grouped in (("plain", False), ("grouped", True)):
        evaluator = make_evaluator(supernet, data, args, grouped, 2 * args.pairs * args.reward_images)
        results[name] = profile_variant(evaluator, batches, grouped, args)
        print(f"{name}: {results[name]['ms_per_pair']:.2f} ms per pair", flush=True)
    results["grouped_speedup_per_pair"] = results["plain"]["ms_per_pair"] / results["grouped"]["ms_per_pair"]
    results["rows_sweep"] = rows_sweep(supernet, data, batches, args)
    if args.reference_pooling:
        results["pooling"] = compare_pooling(supernet, data, batches, args)
    return results


def with_reference_pooling(supernet: Supernet) -> Supernet:
    """A copy of the supernet whose average pools are PyTorch's ``nn.AvgPool2d`` (the same function)."""
    reference = copy.deepcopy(supernet)
    for module in list(reference.modules()):
        for name, child in module.named_children():
            if isinstance(child, AvgPool):
                pool = nn.AvgPool2d(child.kernel, child.stride, child.padding, count_include_pad=False)
                setattr(module, name, pool)
    return reference


def compare_pooling(
    supernet: Supernet, data: CifarData, batches: list[list[Any]], args: Args
) -> dict[str, Any]:
    """The plain path with each average pooling, alternated over ``rounds`` timed passes (wall time, then
    the profiler's shares): the pooling's cost and what the depthwise convolution saves."""
    reference = with_reference_pooling(supernet)
    full = 2 * args.pairs * args.reward_images
    walls: dict[str, list[float]] = {"depthwise convolution": [], "torch avg_pool2d": []}
    for _ in range(3):
        for name, net in (("depthwise convolution", supernet), ("torch avg_pool2d", reference)):
            evaluator = make_evaluator(net, data, args, False, full)
            evaluator.evaluate(batches[0][:2])
            start = time.perf_counter()
            for flat in batches[1:]:
                for i in range(0, len(flat), 2):
                    evaluator.evaluate(flat[i : i + 2])
            walls[name].append(1e3 * (time.perf_counter() - start) / ((len(batches) - 1) * args.pairs))
    profiled = {
        name: profile_variant(make_evaluator(net, data, args, False, full), batches, False, args)
        for name, net in (("depthwise convolution", supernet), ("torch avg_pool2d", reference))
    }
    found = {
        "wall_ms_per_pair": walls,
        "speedup_per_pair": float(
            np.median(walls["torch avg_pool2d"]) / np.median(walls["depthwise convolution"])
        ),
        "pool_share": {name: p["share_by_kind"].get("pool", 0.0) for name, p in profiled.items()},
        "profiles": profiled,
    }
    print(f"pooling: {found['speedup_per_pair']:.2f}x per pair; pool share {found['pool_share']}", flush=True)
    return found


def make_evaluator(
    supernet: Supernet, data: CifarData, args: Args, grouped: bool, max_rows: int
) -> SupernetEvaluator:
    """The plain path (one architecture per pass, a host sync per batch) or the grouped one (shared
    stem, duplicates evaluated once, at most ``max_rows`` rows per pass)."""
    return SupernetEvaluator(
        supernet,
        data,
        reward_images=args.reward_images,
        eval_batch_size=args.reward_images,
        options=FastOptions(sync_every_batch=not grouped),
        share_stem=grouped,
        deduplicate=grouped,
        grouped=grouped,
        max_rows_per_pass=max_rows,
    )


def rows_sweep(supernet: Supernet, data: CifarData, batches: list[list[Any]], args: Args) -> dict[str, float]:
    """Wall milliseconds per pair: the plain path, then grouped passes of at most ``rows`` rows."""
    full = 2 * args.pairs * args.reward_images
    bounds = [full if r == "all" else int(r) for r in args.rows_sweep.split(",") if r]
    if not bounds:
        return {}
    device = data.device

    def wall(grouped: bool, rows: int) -> float:
        evaluator = make_evaluator(supernet, data, args, grouped, rows)
        evaluator.evaluate(batches[0][:2])
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        for flat in batches[1:]:
            step = len(flat) if grouped else 2  # evaluate returns floats: every call ends in a host sync
            for i in range(0, len(flat), step):
                evaluator.evaluate(flat[i : i + step])
        return 1e3 * (time.perf_counter() - start) / ((len(batches) - 1) * args.pairs)

    sweep = {"plain": wall(False, full)}
    for rows in bounds:
        sweep[f"grouped rows<={rows}"] = wall(True, rows)
    print("ms per pair:", {k: round(v, 2) for k, v in sweep.items()}, flush=True)
    return sweep


def summary(results: dict[str, Any]) -> str:
    """Markdown: share of time by kind of work, per variant."""
    kinds = list(dict.fromkeys(k for v in ("plain", "grouped") for k in results[v]["share_by_kind"]))
    rows = [
        [v, f"{results[v]['ms_per_pair']:.2f}", f"{results[v]['kernels_per_call']:.0f}"]
        + [f"{100 * results[v]['share_by_kind'].get(k, 0.0):.0f} %" for k in kinds]
        for v in ("plain", "grouped")
    ]
    table = markdown_table(["variant", "ms per pair", "ops per call", *kinds], rows)
    pooling = results.get("pooling")
    if pooling:
        table += "\n\n" + markdown_table(
            ["plain path's average pooling", "median wall ms per pair", "pool share of profiled time"],
            [
                [name, f"{np.median(walls):.2f}", f"{100 * pooling['pool_share'][name]:.0f} %"]
                for name, walls in pooling["wall_ms_per_pair"].items()
            ],
        )
    sweep = results.get("rows_sweep") or {}
    if not sweep:
        return table
    wall = markdown_table(
        ["wall time (unprofiled)", "ms per pair"], [[k, f"{v:.2f}"] for k, v in sweep.items()]
    )
    return f"{table}\n\n{wall}"


def parse_args(argv: list[str] | None = None) -> Args:
    return parse_dataclass(Args, argv, __doc__)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = run(args)
    out = write(args.out, args, results)
    print(summary(results))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
