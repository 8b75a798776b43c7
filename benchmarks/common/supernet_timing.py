"""What the supernet speed and profile benchmarks share: data, supernet, timing helpers and reward calls."""

from __future__ import annotations

import os

import numpy as np
import torch

from nat_env import transitions as _transitions
from nat_env.data import CIFAR10_CLASSES, CifarData, ImageArrays, load_cifar10
from nat_env.genotypes import Genotype
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.setup import make_spec


def load_arrays(archive: str | None, seed: int) -> ImageArrays:
    """CIFAR-10 from ``archive`` or ``NAT_CIFAR10_ARCHIVE``, else random images (speed does not depend on
    pixel values)."""
    if archive or os.environ.get("NAT_CIFAR10_ARCHIVE"):
        return load_cifar10(archive=archive)
    rng = np.random.default_rng(seed)
    return ImageArrays(
        rng.integers(0, 256, (50_000, 32, 32, 3), dtype=np.uint8),
        rng.integers(0, 10, 50_000).astype(np.int64),
        rng.integers(0, 256, (1_000, 32, 32, 3), dtype=np.uint8),
        rng.integers(0, 10, 1_000).astype(np.int64),
        CIFAR10_CLASSES,
        "random",
    )


def data_and_supernet(
    preset: str, device: str, seed: int, archive: str | None, space: str = "darts"
) -> tuple[CifarData, Supernet]:
    """The supernet of a preset and cell space (DARTS or NAS-Bench-201), untrained, and its data, as the
    environment builds them."""
    spec = make_spec(preset, space=space, device=device, seed=seed, archive=archive, download=False)
    data = spec.load_data(load_arrays(archive, seed))
    return data, spec.new_supernet(data)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None


def spread(per_unit: list[float]) -> dict[str, float]:
    """Median and 10th/90th percentiles of per-step (or per-call) seconds.

    Random genotypes differ in cost, so throughput is the mean over many of them; the spread shows
    whether a few slow outliers (warm-up, allocator growth) moved that mean.
    """
    p10, p50, p90 = np.percentile(per_unit, [10, 50, 90]) if per_unit else (np.nan,) * 3
    return {"median_s": float(p50), "p10_s": float(p10), "p90_s": float(p90)}


def reward_calls(config: SupernetConfig, calls: int, pairs_per_call: int, seed: int) -> list[list[Genotype]]:
    """``calls`` lists of ``pairs_per_call`` (β, α) pairs, α one random legal transition of β."""
    rng = np.random.default_rng(seed)
    sampler = GenotypeSampler(space=config.space, n_nodes=config.n_nodes)
    rules = _transitions.get("nat", config.space)
    batches = []
    for _ in range(calls):
        flat: list[Genotype] = []
        for _ in range(pairs_per_call):
            beta = sampler.sample(rng)
            flat += [beta, rules.apply(beta, _transitions.random_legal_action(rules.mask(beta), rng))]
        batches.append(flat)
    return batches
