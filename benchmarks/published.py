"""Published cells through a trained transformer: the paper's Table 2 analogue on NAT-CIFAR10-v0.

Builds ``NAT-CIFAR10-v0`` in ``pretrained`` mode (a supernet warmed up once, cached and frozen), trains
REINFORCE + GCNPolicy with ``nat train``'s defaults on random input cells, then transforms the published
cells (DARTS_V2, ENAS, VGG, ResBlock, MobileNetV2, NAONet) with Sampling (best of ``k`` on validation
windows, β kept if no candidate beats it) and Maximum (argmax per edge), and compares β, our α's and the
authors' published NAT_X on cost (20-cell, 36-channel CIFAR-10 network) and on supernet accuracy.

Accuracies are supernet proxies measured on one fixed set of held-out validation images (part of the
60 % rewards split of the CIFAR-10 training set that neither training rewards nor selection ever see),
plus the CIFAR-10 test split for information only. The default configuration is "CPU-small": a small
supernet trained briefly on one CPU core, so its accuracies are far below trained-from-scratch numbers;
the paper's configuration (``preset=paper``) needs a GPU.

The ENAS and NAONet cells have 5 intermediate nodes, the others 4: the supernet and the policy's layout
hold 5, and 4-node cells are padded with a dead fifth node (two null edges, outside the concatenation),
which computes nothing and is dropped again from α. The policy trains on random 5-node cells and on
padded random 4-node cells, half each.

    python -m benchmarks.published                      # full CPU-small run (~30 min on one core)
    python -m benchmarks.published --transitions nat++  # NAT++ transitions, into ..._natpp.json
    python -m benchmarks.published --smoke              # tiny sizes, checks the pipeline (< 1 min)
"""

from __future__ import annotations

import copy
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm

import nat_env  # noqa: F401 - registers the env ids
from agents import LearnerSpec, make_learner, transform
from benchmarks.common import report
from benchmarks.common.args import DerivedArgs
from benchmarks.common.published_report import AUTHORS, markdown, summarise
from nat_env import genotypes
from nat_env import transitions as nat_transitions
from nat_env.cost import count
from nat_env.flags import parse_dataclass
from nat_env.genotypes import Genotype, format_triples, pad_nodes, unpad_nodes
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.presets import Preset
from nat_env.transitions import changed_edges


@dataclass
class Args(DerivedArgs):
    """Configuration of the published-cells benchmark (CPU-small by default)."""

    transitions: str = "nat"
    """Transitions of the env and the policy: nat or nat++ (nat++ also picks the supernet's ops)."""
    seed: int = 0
    """Seeds the split, the supernet, the policy, the held-out images and the selection windows."""
    threads: int = 1
    """Torch CPU threads."""
    cells: tuple[str, ...] = ("DARTS_V2", "ENAS", "VGG", "ResBlock", "MobileNetV2", "NAONet")
    """Published input cells to transform."""
    episodes: int = 1024
    """Env steps (one-step episodes) of REINFORCE training."""
    preset: str = "tiny"
    """The env's preset, sized by the overrides below."""
    layers: int = 5
    """Supernet cells."""
    channels: int = 12
    """Supernet initial channels."""
    n_nodes: int = 5
    """Intermediate nodes per supernet cell (5 holds ENAS and NAONet; 4-node cells are padded)."""
    image_size: int = 16
    """Image side (CIFAR-10's 32 area-downsampled)."""
    batch_size: int = 64
    """Supernet warm-up batch."""
    max_train_images: int = 15_000
    """CIFAR-10 training images used (40 % train the supernet, 60 % are validation for rewards)."""
    test_images: int = 2_000
    """CIFAR-10 test images scored, a seeded random subset of all 10,000 (reported for information only;
    the JPEG copy's test split is sorted by class, so a prefix would hold two classes)."""
    warmup_steps: int = 1_500
    """Supernet warm-up SGD steps (pretrained mode; cached in NAT_CACHE_DIR)."""
    reward_images: int = 128
    """Validation images per training reward."""
    eval_batch_size: int = 128
    """Images per evaluation chunk (batch-norm statistics are per chunk, as in the env)."""
    held_out_images: int = 2_000
    """Validation images kept apart from training rewards and selection; every reported val accuracy."""
    selection_images: int = 512
    """Validation images of the window on which Sampling picks its best candidate."""
    k: int = 16
    """Samples per input for Sampling."""
    random_cells: int = 10
    """Random input cells whose mean supernet accuracy is recorded (what "trained" means here)."""
    out: str = "published/cpu_small.json"
    """Result file (relative to benchmarks/results unless absolute; a .md table is written next to it)."""
    smoke: bool = False
    """Tiny sizes and budgets: checks the pipeline only; outputs get a _smoke suffix."""


@dataclass(frozen=True)
class PaddedMixSampler:
    """Random input genotypes: half with ``n_nodes`` intermediate nodes, half with 4 and padded."""

    n_nodes: int
    vocabulary: str

    def __call__(self, rng: np.random.Generator) -> Genotype:
        if self.n_nodes > 4 and rng.random() < 0.5:
            return pad_nodes(GenotypeSampler(n_nodes=4, vocabulary=self.vocabulary).sample(rng), self.n_nodes)
        return GenotypeSampler(n_nodes=self.n_nodes, vocabulary=self.vocabulary).sample(rng)


class RewardLog(gym.Wrapper[Any, Any, Any, Any]):
    """Records every training reward (the learning curve's raw data)."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self.rewards: list[float] = []

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        result = self.env.step(action)
        self.rewards.append(float(result[1]))
        return result


def split_validation(evaluator: SupernetEvaluator, n_held_out: int, seed: int) -> tuple[Any, torch.Tensor]:
    """Keep ``n_held_out`` rewards-split images apart: a data view without them, and their indices."""
    data = evaluator.data
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(data.reward_labels)))
    held, rest = order[:n_held_out], order[n_held_out:]
    view = copy.copy(data)
    view.reward_images, view.reward_labels = data.reward_images[rest], data.reward_labels[rest]
    return view, held


def cost_m(genotype: Genotype) -> tuple[float, float]:
    """(params, MAdds) in millions of the 20-cell, 36-channel CIFAR-10 network."""
    cost = count(genotype, "cifar10")
    return cost.params / 1e6, cost.madds / 1e6


def describe_changes(beta: Genotype, alpha: Genotype) -> list[str]:
    """Each changed edge as ``cell: op -> op (source->target)``."""
    n_normal = len(beta.normal.edges)
    lines = []
    for i in changed_edges(beta, alpha):
        cell = "normal" if i < n_normal else "reduce"
        old, new = beta.edges[i], alpha.edges[i]
        lines.append(f"{cell}: {old.op} -> {new.op} ({old.source}->{old.target})")
    return lines


def make_env(args: Args) -> gym.Env[Any, Any]:
    """NAT-CIFAR10-v0 on the CPU with the configured sizes (warms up or loads the supernet)."""
    return gym.make(
        "NAT-CIFAR10-v0",
        device="cpu",
        preset=args.preset,
        transitions=args.transitions,
        supernet_mode="pretrained",
        seed=args.seed,
        download=False,
        max_test_images=None,
        **preset_sizes(args),
    )


def preset_sizes(args: Args) -> dict[str, Any]:
    """The preset's fields that the study's flags of the same names override (layers, channels, image
    size, batch, images, warm-up steps...)."""
    return {each.name: getattr(args, each.name) for each in fields(Preset) if hasattr(args, each.name)}


def evaluate_cell(
    name: str,
    model: Any,
    selection: SupernetEvaluator,
    held: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    args: Args,
) -> dict[str, Any]:
    """β, our Sampling and Maximum α's and the authors' α of one published cell, on cost and accuracy."""
    env_transitions = nat_transitions.get(args.transitions)
    beta = genotypes.get(name)
    authors = genotypes.get(AUTHORS[args.transitions][name])
    try:
        for genotype in (beta, authors):
            selection.supernet.check(genotype)
    except ValueError as error:
        return {"cell": name, "representable": False, "reason": str(error)}
    size = beta.normal.n_nodes - 2
    padded = pad_nodes(beta, args.n_nodes)
    chosen: dict[str, Genotype] = {}
    selection_info: dict[str, Any] = {}
    for method in ("sampling", "maximum"):
        selection.seed(args.seed + 1)  # both methods pick on the same validation window
        result = transform(
            model,
            padded,
            selection,
            env_transitions,
            method=method,
            k=args.k,
            keep_beta_if_worse=method == "sampling",
            seed=args.seed,
        )
        chosen[method] = unpad_nodes(result.alpha, size)
        selection_info[method] = {
            "selection_acc_beta": 100 * result.acc_beta,
            "selection_acc_alpha": 100 * result.acc_alpha,
            "improved_on_selection": result.improved,
            "candidates": result.candidates,
        }
    variants = {"original": beta, "sampling": chosen["sampling"], "maximum": chosen["maximum"]}
    variants["authors"] = authors
    listed = list(variants.values())
    val = selection.accuracies(listed, *held)
    tst = selection.accuracies(listed, *test)
    rows: dict[str, Any] = {}
    for (method, genotype), acc_val, acc_test in zip(variants.items(), val, tst, strict=True):
        params, madds = cost_m(genotype)
        rows[method] = {
            "genotype": format_triples(genotype),
            "params_m": params,
            "madds_m": madds,
            "val_acc": 100 * acc_val,
            "test_acc": 100 * acc_test,
            "changed_edges": describe_changes(beta, genotype) if genotype.edges != beta.edges else [],
            **selection_info.get(method, {}),
        }
    return {"cell": name, "representable": True, "authors_name": authors.name, "variants": rows}


def run(args: Args) -> dict[str, Any]:
    """Warm up (or load) the supernet, train the policy, transform and score every cell."""
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    env = make_env(args)
    setup_s = time.perf_counter() - start
    base = env.unwrapped
    evaluator: SupernetEvaluator = base.supernet_evaluator  # type: ignore[attr-defined]
    view, held_index = split_validation(evaluator, args.held_out_images, args.seed)
    # Training rewards and selection windows both come from the validation images outside the held-out set.
    training = SupernetEvaluator(
        evaluator.supernet, view, reward_images=args.reward_images, eval_batch_size=args.eval_batch_size,
        seed=args.seed, options=evaluator.options,
    )  # fmt: skip
    base.evaluator = base.supernet_evaluator = training  # type: ignore[attr-defined]
    base.sampler = PaddedMixSampler(args.n_nodes, args.transitions)  # type: ignore[attr-defined]
    selection = SupernetEvaluator(
        evaluator.supernet, view, reward_images=args.selection_images, eval_batch_size=args.eval_batch_size,
        seed=args.seed + 1, options=evaluator.options,
    )  # fmt: skip
    data = evaluator.data
    held = (data.reward_images[held_index], data.reward_labels[held_index])
    test_index = torch.from_numpy(np.random.default_rng(args.seed + 3).permutation(len(data.test_labels)))
    test_index = test_index[: args.test_images]
    test = (data.test_images[test_index], data.test_labels[test_index])
    rng = np.random.default_rng(args.seed + 2)
    randoms = [PaddedMixSampler(args.n_nodes, args.transitions)(rng) for _ in range(args.random_cells)]
    random_val = 100 * np.asarray(selection.accuracies(randoms, *held))
    print(f"setup {setup_s:.0f} s; random cells' supernet val acc {random_val.mean():.2f} % (held-out)")

    logged = RewardLog(env)
    start = time.perf_counter()
    model = make_learner(LearnerSpec(seed=args.seed, device="cpu"), logged)
    assert isinstance(model, BaseAlgorithm)
    model.learn(total_timesteps=args.episodes)
    train_s = time.perf_counter() - start
    rewards = 100 * np.asarray(logged.rewards)
    quarter = max(1, len(rewards) // 4)
    print(f"trained {len(rewards)} episodes in {train_s:.0f} s ({len(rewards) / train_s:.2f} steps/s)")
    with tempfile.TemporaryDirectory() as folder:  # a checkpoint only proves the model saves
        model.save(Path(folder) / "model.zip")

    start = time.perf_counter()
    cells = []
    for name in args.cells:
        cells.append(evaluate_cell(name, model, selection, held, test, args))
        print(f"{name}: done ({time.perf_counter() - start:.0f} s)")
    return {
        "label": "CPU-small: a small supernet trained briefly on one CPU core; accuracies are supernet "
        "proxies, far below trained-from-scratch numbers (the paper configuration needs a GPU session)",
        "data": "CIFAR-10 (JPEG copy)",
        "held_out": f"{len(held_index)} images of the rewards (validation) split, never used by training "
        f"rewards or selection; test: {len(test_index)} random images of the test split, for information only",
        "supernet": {
            "setup_s": setup_s,
            "random_cells_val_acc_mean": float(random_val.mean()),
            "random_cells_val_acc_std": float(random_val.std()),
            "random_cells": len(randoms),
        },
        "training": {
            "episodes": len(rewards),
            "train_s": train_s,
            "steps_per_s": len(rewards) / train_s,
            "mean_reward_first_quarter": float(rewards[:quarter].mean()),
            "mean_reward_last_quarter": float(rewards[-quarter:].mean()),
        },
        "evaluation_s": time.perf_counter() - start,
        "cells": cells,
        "summary": summarise(cells),
    }


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args` (tuples comma-separated)."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.transitions not in AUTHORS:
        raise SystemExit(f"--transitions must be one of {', '.join(AUTHORS)}, got {args.transitions!r}")
    if args.transitions == "nat++" and args.out == Args.out:
        args.out = args.out.replace(".json", "_natpp.json")
    if args.smoke:
        args.layers, args.channels, args.image_size, args.batch_size = 2, 8, 16, 32
        args.max_train_images, args.test_images, args.warmup_steps = 600, 64, 5
        args.reward_images, args.eval_batch_size, args.held_out_images = 32, 32, 64
        args.selection_images, args.episodes, args.k, args.random_cells = 32, 32, 2, 2
        args.out = args.out.replace(".json", "_smoke.json")
    return args


def heading(args: Args, results: dict[str, Any]) -> str:
    """The title and configuration line above the Markdown table."""
    return (
        f"# Published cells through NAT ({args.transitions}), {results['label']}\n\n"
        f"Config: {args.layers} cells, {args.channels} channels, {args.n_nodes} nodes, "
        f"{args.image_size}px, {args.max_train_images} train images, {args.warmup_steps} warm-up steps, "
        f"{args.episodes} REINFORCE episodes of {args.reward_images} reward images, k={args.k}, "
        f"seed {args.seed}; {results['held_out']}. Random cells' supernet val acc: "
        f"{results['supernet']['random_cells_val_acc_mean']:.2f} %. Wall {results['wall_s']:.0f} s."
    )


def main(argv: list[str] | None = None) -> None:
    report.run_and_write(run, parse(argv), markdown, heading)


if __name__ == "__main__":
    main()
