"""Supernet speed: training images/s, paired reward evaluations/s, env step time, projected paper run.

Compares the fast path (device-resident data, shared stem, deduplicated genotypes, one host sync per
call; on CUDA also channels_last, bf16 autocast and cudnn.benchmark) with a plain single-path
implementation (the same supernet with every fast option off, a stem pass per genotype and a host sync
after every batch). Projects the paper's 100-epoch schedule: per epoch 312 training batches of 64
(20,000 images) and 468 episodes each scoring α and β on 64 images (30,000 images).

    python -m benchmarks.supernet_speed --preset tiny --device cpu --out benchmarks/results/speed_cpu.json
    python -m benchmarks.supernet_speed --preset paper --device cuda --budget-seconds 240 \
        --out benchmarks/results/speed_cuda.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nat_env import transitions as _transitions
from nat_env.data import CIFAR10_CLASSES, CifarData, ImageArrays, load_cifar10
from nat_env.encoding import GraphEncoder
from nat_env.envs.cifar10 import Cifar10Env, resolve_device
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.presets import get_preset
from nat_env.supernet.training import FastOptions, MixtureSampler, SupernetTrainer, TrainingConfig

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
    train_steps: int = 30
    """Timed supernet training steps per path (after 3 untimed ones)."""
    reward_calls: int = 30
    """Timed paired (α, β) reward evaluations per path."""
    reward_images: int = 64
    """Images per paired reward (the paper's 64, for the projection)."""
    env_steps: int = 10
    """Timed environment steps (fast path, the preset's reward images)."""
    budget_seconds: float = 60.0
    """Wall-time budget; each of the five timed phases stops after a fifth of it."""
    threads: int = 0
    """CPU threads for torch (0 keeps torch's default)."""
    seed: int = 0
    """Seed of the genotypes and the data split."""
    out: str = "benchmarks/results/supernet_speed.json"
    """Result file."""


def machine_info(device: torch.device) -> dict[str, Any]:
    """CPU/GPU names and library versions."""
    cpu = platform.processor()
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def load_arrays(args: Args) -> ImageArrays:
    if args.archive or os.environ.get("NAT_CIFAR10_ARCHIVE"):
        return load_cifar10(archive=args.archive)
    rng = np.random.default_rng(args.seed)
    return ImageArrays(
        rng.integers(0, 256, (50_000, 32, 32, 3), dtype=np.uint8),
        rng.integers(0, 10, 50_000).astype(np.int64),
        rng.integers(0, 256, (1_000, 32, 32, 3), dtype=np.uint8),
        rng.integers(0, 10, 1_000).astype(np.int64),
        CIFAR10_CLASSES,
        "random",
    )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_training(
    trainer: SupernetTrainer, steps: int, budget: float, device: torch.device
) -> dict[str, float]:
    trainer.train_steps(3)
    sync(device)
    start, done = time.perf_counter(), 0
    while done < steps and time.perf_counter() - start < budget:
        trainer.train_steps(1 if trainer.options.sync_every_batch else min(5, steps - done))
        done = trainer.steps_done - 3
    sync(device)
    seconds = time.perf_counter() - start
    batch = trainer.config.batch_size
    return {
        "steps": done,
        "seconds": seconds,
        "images_per_s": done * batch / seconds,
        "s_per_step": seconds / done,
    }


def time_rewards(
    evaluator: SupernetEvaluator, calls: int, budget: float, device: torch.device, seed: int
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    sampler = GenotypeSampler(
        space=evaluator.supernet.config.space, n_nodes=evaluator.supernet.config.n_nodes
    )
    rules = _transitions.get("nat", evaluator.supernet.config.space)
    pairs = []
    for _ in range(calls + 2):
        beta = sampler.sample(rng)
        pairs.append([beta, rules.apply(beta, _transitions.random_legal_action(rules.mask(beta), rng))])
    evaluator.evaluate(pairs[0])
    sync(device)
    start, done = time.perf_counter(), 0
    while done < calls and time.perf_counter() - start < budget:
        evaluator.evaluate(pairs[done + 1])
        done += 1
    sync(device)
    seconds = time.perf_counter() - start
    return {"pairs": done, "seconds": seconds, "pairs_per_s": done / seconds, "s_per_pair": seconds / done}


def run(args: Args) -> dict[str, Any]:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    preset = get_preset(args.preset)
    data = CifarData(
        load_arrays(args),
        device=device,
        split_seed=args.seed,
        image_size=preset.image_size,
        max_train_images=preset.max_train_images,
        max_test_images=1,
    )
    config = SupernetConfig(layers=preset.layers, channels=preset.channels, n_nodes=preset.n_nodes)
    training = TrainingConfig(batch_size=preset.batch_size, seed=args.seed)
    phase = args.budget_seconds / 5
    paths = {
        "fast": (FastOptions.for_device(device), True),
        "plain": (FastOptions(sync_every_batch=True), False),
    }
    results: dict[str, Any] = {}
    for name, (options, fast) in paths.items():
        torch.manual_seed(args.seed)
        supernet = Supernet(config).to(device)
        sampler = MixtureSampler.warmup("darts", config.n_nodes, config.vocabulary, 0.3, 0.3)
        trainer = SupernetTrainer(supernet, data, sampler, training, 10_000, options)
        train = time_training(trainer, args.train_steps, phase, device)
        evaluator = SupernetEvaluator(
            supernet,
            data,
            reward_images=args.reward_images,
            eval_batch_size=64,
            options=options,
            share_stem=fast,
            deduplicate=fast,
        )
        rewards = time_rewards(evaluator, args.reward_calls, phase, device, args.seed)
        epoch = TRAIN_BATCHES * train["s_per_step"] + EPISODES * rewards["s_per_pair"]
        results[name] = {
            "options": dataclasses.asdict(options),
            "share_stem": fast,
            "deduplicate": fast,
            "training": train,
            "rewards": rewards,
            "projected_epoch_s": epoch,
            "projected_100_epochs_h": EPOCHS * epoch / 3600,
        }
        if fast:
            rules = _transitions.get("nat", "darts")
            env_evaluator = SupernetEvaluator(
                supernet,
                data,
                reward_images=preset.reward_images,
                eval_batch_size=preset.eval_batch_size,
                options=options,
            )
            env = Cifar10Env(
                env_evaluator,
                GenotypeSampler(n_nodes=config.n_nodes),
                rules,
                GraphEncoder(rules, "darts", config.n_nodes),
            )
            env.reset(seed=args.seed)
            start, steps = time.perf_counter(), 0
            while steps < args.env_steps and time.perf_counter() - start < phase:
                env.step(env.action_space.sample())
                env.reset()
                steps += 1
            seconds = time.perf_counter() - start
            results["env_step"] = {
                "steps": steps,
                "reward_images": env_evaluator.reward_images,
                "s_per_step": seconds / max(steps, 1),
            }
    fast_r, plain_r = results["fast"], results["plain"]
    results["ratio_fast_over_plain"] = {
        "training_images_per_s": fast_r["training"]["images_per_s"] / plain_r["training"]["images_per_s"],
        "reward_pairs_per_s": fast_r["rewards"]["pairs_per_s"] / plain_r["rewards"]["pairs_per_s"],
        "projected_run": plain_r["projected_epoch_s"] / fast_r["projected_epoch_s"],
    }
    return {
        "machine": machine_info(device),
        "config": dataclasses.asdict(args),
        "device": str(device),
        "preset": dataclasses.asdict(preset),
        "data_source": data.fingerprint["source"],
        "results": results,
    }


def parse_args() -> Args:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for field in dataclasses.fields(Args):
        default = field.default
        kind = type(default) if default is not None else str
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=default)
    return Args(**vars(parser.parse_args()))


def main() -> None:
    args = parse_args()
    result = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    ratio = result["results"]["ratio_fast_over_plain"]
    print(
        json.dumps(
            {
                "device": result["device"],
                **{k: round(v, 3) for k, v in ratio.items()},
                "fast_100_epochs_h": round(result["results"]["fast"]["projected_100_epochs_h"], 3),
                "plain_100_epochs_h": round(result["results"]["plain"]["projected_100_epochs_h"], 3),
            }
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
