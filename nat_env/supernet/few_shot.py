"""Few-shot supernets: one sub-supernet per op of one edge, each inheriting the one-shot weights.

Data flow: the one-shot supernet after its warm-up (:func:`nat_env.supernet.training.pretrain`) → one
copy per op of the split edge, each trained further on genotypes that hold that op there
(:class:`SplitSampler`) → :class:`FewShotEvaluator`, which scores each genotype with the sub-supernet of
its op on the split edge (Zhao et al., 2021, "Few-shot Neural Architecture Search"). Splitting removes
the interference between the ops of that edge: every sub-supernet's weights only ever serve one of them.

The configuration is two :class:`~nat_env.supernet.training.TrainingConfig` fields: ``split_edge`` (the
index in ``genotype.ops``; -1, the default, splits nothing) and ``split_batches`` (each sub-supernet's
training after the split). A budget of ``warmup_steps`` one-shot batches plus ``split_batches`` per op
costs ``warmup_steps + n_ops * split_batches`` batches in all.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nat_env.data import CifarData
from nat_env.genotypes import Genotype
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet
from nat_env.supernet.options import FastOptions
from nat_env.supernet.samplers import Sampler, sampler_of
from nat_env.supernet.training import TrainingConfig, pretrain, training_signature


def split_ops(supernet: Supernet) -> tuple[str, ...]:
    """The ops a split edge can hold: the supernet's ops and ``none``."""
    return ("none", *supernet.config.ops)


class SplitSampler:
    """Genotypes of a base sampler with the split edge's op forced to one op.

    Args:
        base: the training distribution.
        edge: the index of the split edge in ``genotype.ops``.
        op: the op every genotype holds there.
    """

    def __init__(self, base: Sampler, edge: int, op: str) -> None:
        self.base, self.edge, self.op = base, edge, op

    def sample(self, rng: np.random.Generator) -> Genotype:
        """One genotype."""
        genotype = self.base.sample(rng)
        ops = list(genotype.ops)
        ops[self.edge] = self.op
        return genotype.with_ops(ops)


def pretrain_split(
    supernet: Supernet,
    data: CifarData,
    config: TrainingConfig,
    steps: int,
    cache_dir: str | Path | None,
    options: FastOptions | None = None,
) -> tuple[dict[str, Supernet], Path | None]:
    """The one-shot warm-up of ``steps`` batches, then one sub-supernet per op (each cached).

    Returns:
        The frozen sub-supernets by op on the split edge, and the one-shot checkpoint's path.

    Raises:
        ValueError: without a split edge, or for one outside the genotype.
    """
    edge, batches = config.split_edge, config.split_batches
    if edge < 0 or batches < 1:
        raise ValueError("a few-shot supernet needs split_edge >= 0 and split_batches >= 1")
    one_shot = dataclasses.replace(config, split_edge=-1, split_batches=0)
    parent = pretrain(supernet, data, one_shot, steps, cache_dir, options)
    base = sampler_of(config, supernet.config)
    if edge >= len(base.sample(np.random.default_rng(0)).ops):
        raise ValueError(f"split_edge {edge} is outside the genotype")
    parent_key = training_signature(supernet, data, one_shot, steps)
    children: dict[str, Supernet] = {}
    for op in split_ops(supernet):
        child = copy.deepcopy(supernet).requires_grad_(True)
        key = {"parent": parent_key, "split": {"edge": edge, "op": op}}
        pretrain(
            child, data, one_shot, batches, cache_dir, options, sampler=SplitSampler(base, edge, op), key=key
        )
        children[op] = child
    return children, parent


class FewShotEvaluator(SupernetEvaluator):
    """A :class:`SupernetEvaluator` that scores each genotype with the sub-supernet of its split edge's op.

    Windows, pairing, memoisation and their files are the base class's; only the forward pass is routed.

    Args:
        parts: the frozen sub-supernets by op.
        edge: the split edge's index in ``genotype.ops``.
        data: images.
        **kwargs: the :class:`SupernetEvaluator` settings, shared by every part.
    """

    def __init__(self, parts: dict[str, Supernet], edge: int, data: CifarData, **kwargs: Any) -> None:
        super().__init__(next(iter(parts.values())), data, **kwargs)
        self.edge = edge
        shared = {k: v for k, v in kwargs.items() if k not in ("window", "memoize")}
        self.parts = {op: SupernetEvaluator(net, data, **shared) for op, net in parts.items()}

    def accuracies(
        self, genotypes: Sequence[Genotype], images: torch.Tensor, labels: torch.Tensor
    ) -> list[float]:
        """Each genotype's accuracy under its part, on the same images. Shapes: as the base class's."""
        found: list[float] = [0.0] * len(genotypes)
        groups: dict[str, list[int]] = {}
        for i, genotype in enumerate(genotypes):
            groups.setdefault(genotype.ops[self.edge], []).append(i)
        for op, rows in groups.items():
            scores = self.parts[op].accuracies([genotypes[i] for i in rows], images, labels)
            for i, score in zip(rows, scores, strict=True):
                found[i] = score
        return found
