"""Supernet speed: plain single path vs grouped multi-architecture passes, projected to the paper's run.

Variants (each on a freshly initialised supernet):

* ``plain``: single path, every fast option off, a stem pass per genotype, a host sync after every batch.
* ``fast``: single path with the device-resident fast path (shared stem, deduplicated genotypes, one host
  sync per call) and the default options (``FastOptions()``).
* ``grouped[...]``: grouped passes (:mod:`nat_env.supernet.grouped`). Rewards: ``--archs-per-pass``
  architectures per pass (128 = 64 episodes' α and β on the same 64 images). Training: for each ``K`` of
  ``--archs-per-step``, one SGD step trains ``K`` genotypes on ``K`` batches of 64. The speed options of
  each grouped variant come from ``--grouped-options`` (``fp32`` none, ``bf16`` autocast, ``cl``
  channels_last, ``cudnn`` cudnn.benchmark, joined by ``+``).

Numerical agreement (untimed): after its timings every variant loads the plain variant's trained weights
and scores the same ``--agreement-pairs`` (β, α) pairs on the same ``--agreement-images`` images; the
result file records how far its accuracies and rewards are from the plain path's (``agreement_with_plain``:
0 for the float32 variants on a CPU; bf16 rounding, or other kernels on a GPU, show up here).

Projection of the paper's 100-epoch schedule: per epoch 312 training batches of 64 (20,000 images) and
468 episodes each scoring α and β on 64 images (30,000 images). ``grouped rewards`` keeps the paper's
training (one genotype per batch of 64, the faster single-path variant's step time); ``grouped rewards +
training`` uses the grouped step time per batch.

    python -m benchmarks.supernet_speed --preset tiny --device cpu --threads 1 \
        --out supernet_speed/tiny_cpu.json
    python -m benchmarks.supernet_speed --preset paper --device cuda --budget-seconds 240 \
        --archive <cifar-10 tarball> --out supernet_speed/paper_cuda.json
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from benchmarks.common.report import markdown_table, write
from benchmarks.common.supernet_timing import (
    data_and_supernet,
    peak_gib,
    reset_peak,
    reward_calls,
    spread,
    sync,
)
from nat_env import transitions as _transitions
from nat_env.data import CifarData
from nat_env.encoding import GraphEncoder
from nat_env.envs.supernet import darts_cost
from nat_env.envs.transform import TransformEnv
from nat_env.flags import parse_dataclass
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet
from nat_env.supernet.options import FastOptions
from nat_env.supernet.presets import get_preset
from nat_env.supernet.samplers import MixtureSampler
from nat_env.supernet.setup import resolve_device
from nat_env.supernet.training import SupernetTrainer, TrainingConfig

EPOCHS, TRAIN_BATCHES, EPISODES = 100, 312, 468


@dataclass
class Args:
    """Benchmark configuration (recorded in the result file)."""

    preset: str = "tiny"
    """``tiny`` (CPU smoke) or ``paper`` (8 cells, 20 channels, 32x32, batch 64)."""
    device: str = "auto"
    """``auto``, ``cpu`` or ``cuda``."""
    archive: str | None = None
    """CIFAR-10 tarball or class-folder directory; default ``NAT_CIFAR10_ARCHIVE``, else random images
    (speed does not depend on pixel values)."""
    train_steps: int = 200
    """Timed supernet training steps per variant and ``K`` at most (after ``warmup_calls`` untimed ones);
    the phase's time budget usually ends the timing first."""
    reward_calls: int = 200
    """Timed reward calls per variant at most (single path: one (α, β) pair per call; grouped: a pass)."""
    warmup_calls: int = 5
    """Untimed training steps and reward calls before each timing (allocator, cuDNN and cost caches)."""
    reward_images: int = 64
    """Images per paired reward (the paper's 64, for the projection)."""
    archs_per_pass: int = 128
    """Grouped rewards: architectures per pass (half as many episodes' (α, β) pairs)."""
    archs_per_step: str = "8,32,64"
    """Grouped training: comma-separated genotypes per SGD step to time (one batch of 64 each)."""
    grouped_options: str = "auto"
    """Comma-separated speed options of the grouped variants, each ``+``-joined from ``fp32``, ``bf16``,
    ``cl``, ``cudnn``; ``auto``: ``fp32`` on CPU, ``fp32,bf16,bf16+cl`` on CUDA (cudnn.benchmark re-tunes
    for every new row count, and grouped row counts change with every call)."""
    env_steps: int = 10
    """Timed environment steps (fast path, the preset's reward images; after one untimed warm-up step)."""
    budget_seconds: float = 60.0
    """Wall-time budget of the timed phases, shared equally among them (warm-ups are extra)."""
    agreement_pairs: int = 32
    """(β, α) pairs of the untimed agreement check: every variant scores them with the plain variant's
    weights on the same images, and its accuracies and rewards are compared with the plain path's."""
    agreement_images: int = 512
    """Rewards-split images of the agreement check (batch-norm chunks of ``reward_images``)."""
    threads: int = 0
    """CPU threads for torch (0 keeps torch's default)."""
    seed: int = 0
    """Seed of the genotypes and the data split."""
    out: str = "supernet_speed/run.json"
    """Result file (relative to ``benchmarks/results`` unless absolute)."""


@dataclass(frozen=True)
class Variant:
    """One way of running the supernet."""

    name: str
    options: FastOptions
    grouped: bool
    share: bool  # shared stem and deduplicated genotypes


def variants(args: Args, device: torch.device) -> list[Variant]:
    """``plain``, ``fast`` and one grouped variant per entry of ``--grouped-options``."""
    found = [
        Variant("plain", FastOptions(sync_every_batch=True), False, False),
        Variant("fast", FastOptions(), False, True),
    ]
    spec = args.grouped_options
    if spec == "auto":
        # no cudnn.benchmark: a grouped pass's row counts change with every call, so it would re-tune
        spec = "fp32,bf16,bf16+cl" if device.type == "cuda" else "fp32"
    for entry in spec.split(","):
        flags = set(entry.split("+"))
        unknown = flags - {"fp32", "bf16", "cl", "cudnn"}
        if unknown:
            raise ValueError(f"unknown grouped option(s) {sorted(unknown)} in {entry!r}")
        options = FastOptions(
            channels_last="cl" in flags, bf16="bf16" in flags, cudnn_benchmark="cudnn" in flags
        )
        found.append(Variant(f"grouped[{entry}]", options, True, True))
    return found


def time_training(
    trainer: SupernetTrainer, steps: int, budget: float, device: torch.device, warmup: int
) -> dict[str, Any]:
    reset_peak(device)
    trainer.train_steps(warmup)
    sync(device)
    chunk = 1 if trainer.options.sync_every_batch else 5
    per_step: list[float] = []
    start, done = time.perf_counter(), 0
    while done < steps and time.perf_counter() - start < budget:
        n = min(chunk, steps - done)
        tick = time.perf_counter()
        trainer.train_steps(n)  # returns the loss as a Python float: one host sync per chunk
        per_step += [(time.perf_counter() - tick) / n] * n
        done += n
    sync(device)
    seconds = time.perf_counter() - start
    batch, k = trainer.config.batch_size, trainer.config.archs_per_step
    return {
        "archs_per_step": k,
        "steps": done,
        "seconds": seconds,
        "images_per_s": done * k * batch / seconds,
        "s_per_step": seconds / done,
        "s_per_batch": seconds / (done * k),
        "per_step": spread(per_step),
        "peak_gib": peak_gib(device),
    }


def time_rewards(
    evaluator: SupernetEvaluator,
    calls: int,
    pairs_per_call: int,
    budget: float,
    device: torch.device,
    seed: int,
    warmup: int,
) -> dict[str, Any]:
    batches = reward_calls(evaluator.supernet.config, calls + warmup, pairs_per_call, seed)
    reset_peak(device)
    for batch in batches[:warmup]:
        evaluator.evaluate(batch)
    sync(device)
    per_call: list[float] = []
    start, done = time.perf_counter(), 0
    while done < calls and time.perf_counter() - start < budget:
        tick = time.perf_counter()
        evaluator.evaluate(batches[warmup + done])  # returns Python floats: a host sync per call
        per_call.append(time.perf_counter() - tick)
        done += 1
    sync(device)
    seconds = time.perf_counter() - start
    pairs = done * pairs_per_call
    return {
        "pairs_per_call": pairs_per_call,
        "calls": done,
        "seconds": seconds,
        "pairs_per_s": pairs / seconds,
        "s_per_pair": seconds / pairs,
        "per_call": spread(per_call),
        "peak_gib": peak_gib(device),
    }


def agreement(reference: list[float], other: list[float]) -> dict[str, float]:
    """How far ``other``'s accuracies of the agreement pairs (β, α, β, α, ...) are from the plain path's.

    Returns the largest and mean absolute accuracy difference, the largest absolute reward (α − β)
    difference, and the pairs whose reward changes sign (a learner would see a different signal).
    """
    a, b = np.asarray(reference), np.asarray(other)
    ra, rb = a[1::2] - a[0::2], b[1::2] - b[0::2]
    return {
        "pairs": len(ra),
        "max_abs_accuracy_diff": float(np.max(np.abs(a - b))),
        "mean_abs_accuracy_diff": float(np.mean(np.abs(a - b))),
        "max_abs_reward_diff": float(np.max(np.abs(ra - rb))),
        "reward_sign_changes": int(np.sum(np.sign(ra) != np.sign(rb))),
    }


def time_env(
    supernet: Supernet, data: CifarData, options: FastOptions, args: Args, budget: float
) -> dict[str, Any]:
    preset = get_preset(args.preset)
    rules = _transitions.get("nat", "darts")
    evaluator = SupernetEvaluator(
        supernet,
        data,
        reward_images=preset.reward_images,
        eval_batch_size=preset.eval_batch_size,
        options=options,
    )
    env = TransformEnv(
        evaluator,
        GenotypeSampler(n_nodes=supernet.config.n_nodes),
        rules,
        GraphEncoder(rules, "darts", supernet.config.n_nodes),
        darts_cost,
    )
    env.reset(seed=args.seed)
    env.step(env.action_space.sample())  # untimed: the cost model's first count of a network size
    env.reset()
    start, steps = time.perf_counter(), 0
    while steps < args.env_steps and time.perf_counter() - start < budget:
        env.step(env.action_space.sample())
        env.reset()
        steps += 1
    seconds = time.perf_counter() - start
    return {"steps": steps, "reward_images": evaluator.reward_images, "s_per_step": seconds / max(steps, 1)}


def run(args: Args) -> dict[str, Any]:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    preset = get_preset(args.preset)
    data, fresh = data_and_supernet(args.preset, str(device), args.seed, args.archive)
    config = fresh.config
    ks = [int(k) for k in args.archs_per_step.split(",") if k]
    chosen = variants(args, device)
    phases = sum(2 if not v.grouped else 1 + len(ks) for v in chosen) + 1
    phase = args.budget_seconds / phases
    results: dict[str, Any] = {"data_source": str(data.fingerprint["source"]), "device": str(device)}
    probe = reward_calls(config, 1, args.agreement_pairs, args.seed + 1)[0]
    n_probe = min(args.agreement_images, len(data.reward_labels))
    probe_data = (data.reward_images[:n_probe], data.reward_labels[:n_probe])
    reference_weights: dict[str, torch.Tensor] | None = None
    reference_accuracies: list[float] = []
    for variant in chosen:
        torch.backends.cudnn.benchmark = variant.options.cudnn_benchmark
        torch.manual_seed(args.seed)
        supernet = Supernet(config).to(device)
        sampler = MixtureSampler.warmup("darts", config.n_nodes, config.vocabulary, 0.3, 0.3)  # the env's
        entry: dict[str, Any] = {
            "options": dataclasses.asdict(variant.options),
            "share_stem_dedup": variant.share,
        }
        trainings = []
        for k in ks if variant.grouped else [1]:
            training = TrainingConfig(batch_size=preset.batch_size, seed=args.seed, archs_per_step=k)
            trainer = SupernetTrainer(supernet, data, sampler, training, 10_000, variant.options)
            trainings.append(time_training(trainer, args.train_steps, phase, device, args.warmup_calls))
        entry["training"] = trainings
        archs = args.archs_per_pass if variant.grouped else 2
        evaluator = SupernetEvaluator(
            supernet,
            data,
            reward_images=args.reward_images,
            eval_batch_size=args.reward_images,
            options=variant.options,
            share_stem=variant.share,
            deduplicate=variant.share,
            grouped=variant.grouped,
            max_rows_per_pass=archs * args.reward_images,
        )
        entry["rewards"] = time_rewards(
            evaluator, args.reward_calls, max(archs // 2, 1), phase, device, args.seed, args.warmup_calls
        )
        # untimed: the same weights, pairs and images through every variant
        if reference_weights is None:
            reference_weights = {k: v.detach().clone() for k, v in supernet.state_dict().items()}
        supernet.load_state_dict(reference_weights)
        accuracies = evaluator.accuracies(probe, *probe_data)
        if variant.name == "plain":
            reference_accuracies = accuracies
        entry["agreement_with_plain"] = agreement(reference_accuracies, accuracies)
        results[variant.name] = entry
        print(
            f"{variant.name}: {[round(t['images_per_s']) for t in trainings]} img/s, "
            f"{entry['rewards']['pairs_per_s']:.1f} pairs/s",
            flush=True,
        )
        if variant.name == "fast":
            results["env_step"] = time_env(supernet, data, variant.options, args, phase)
    results["projection"] = project(results, chosen)
    return results


def project(results: dict[str, Any], chosen: list[Variant]) -> dict[str, Any]:
    """Projected 100-epoch hours per schedule and its ratio to ``plain``."""
    single = min(results[v.name]["training"][0]["s_per_batch"] for v in chosen if not v.grouped)

    def hours(s_per_batch: float, s_per_pair: float) -> float:
        return EPOCHS * (TRAIN_BATCHES * s_per_batch + EPISODES * s_per_pair) / 3600

    plain = results["plain"]
    rows: dict[str, Any] = {}
    base = hours(plain["training"][0]["s_per_batch"], plain["rewards"]["s_per_pair"])
    for variant in chosen:
        entry = results[variant.name]
        pair = entry["rewards"]["s_per_pair"]
        if not variant.grouped:
            rows[variant.name] = {"hours": hours(entry["training"][0]["s_per_batch"], pair)}
            continue
        rows[f"{variant.name} rewards"] = {"hours": hours(single, pair)}
        for training in entry["training"]:
            name = f"{variant.name} rewards + training K={training['archs_per_step']}"
            rows[name] = {"hours": hours(training["s_per_batch"], pair)}
    for row in rows.values():
        row["minutes"] = 60 * row["hours"]
        row["speedup_over_plain"] = base / row["hours"]
    return rows


def summary(results: dict[str, Any]) -> str:
    """A Markdown table of speeds and the projected 100-epoch run per schedule."""
    plain = results["plain"]
    lines = []
    speed_rows = []
    for name, entry in results.items():
        if not isinstance(entry, dict) or "rewards" not in entry:
            continue
        for training in entry["training"]:
            speed_rows.append(
                [
                    name,
                    training["archs_per_step"],
                    f"{training['images_per_s']:.0f}",
                    f"{training['images_per_s'] / plain['training'][0]['images_per_s']:.1f}x",
                    f"{entry['rewards']['pairs_per_s']:.1f}",
                    f"{entry['rewards']['pairs_per_s'] / plain['rewards']['pairs_per_s']:.1f}x",
                    f"{max(training['peak_gib'] or 0, entry['rewards']['peak_gib'] or 0):.2f}",
                    f"{entry['agreement_with_plain']['max_abs_reward_diff']:.4f}",
                    str(entry["agreement_with_plain"]["reward_sign_changes"]),
                ]
            )
    header = [
        *("variant", "K", "train img/s", "vs plain", "reward pairs/s", "vs plain", "peak GiB"),
        *("max abs reward diff vs plain", "reward sign changes"),
    ]
    lines.append(markdown_table(header, speed_rows))
    rows = [
        [name, f"{row['minutes']:.1f}", f"{row['speedup_over_plain']:.1f}x"]
        for name, row in results["projection"].items()
    ]
    lines.append(markdown_table(["100-epoch schedule", "minutes", "vs plain"], rows))
    return "\n\n".join(lines)


def parse_args(argv: list[str] | None = None) -> Args:
    return parse_dataclass(Args, argv, __doc__)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = run(args)
    out = write(args.out, args, {**results, "preset": dataclasses.asdict(get_preset(args.preset))})
    print(summary(results))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
