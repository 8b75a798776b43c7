"""The supernet evaluator: validation accuracy of genotypes on shared weights, the reward's two terms.

Data flow: genotypes (β and α of one or many episodes) + a window of the 60% rewards split →
:class:`SupernetEvaluator` → :class:`nat_env.evaluation.Evaluation` per genotype → reward acc(α) − acc(β).

All genotypes of one :meth:`SupernetEvaluator.evaluate` call are scored on the same un-augmented images
(paired rewards, docs/background.md, mistake 3), under ``torch.inference_mode()``. With ``window="rotating"``
successive calls take successive windows of a seeded permutation of the rewards split, so rewards cycle
through all of it; with ``window="fixed"`` every call scores the same window, so that a frozen
supernet's reward is a deterministic function of (β, α) and each genotype is computed once
(``memoize``). By default
the genotypes of a chunk run in grouped passes (:mod:`nat_env.supernet.grouped`: each (edge, op) once for
all of them, batch-norm statistics per genotype), so scoring α and β of many episodes costs about as many
kernel launches as scoring one genotype.

How many images: a reward is a paired difference. If α and β disagree (one right, the other wrong) on a
fraction ``p`` of images, the standard deviation of acc(α) − acc(β) over ``n`` images is about
``sqrt(p / n)``. Neighbouring architectures on a shared supernet disagree on roughly 10-30% of images,
so ``n = 3072`` (12 chunks of 256) keeps the reward's noise below one accuracy point (0.99 points at
``p = 0.3``, 0.57 at ``p = 0.1``); the paper's single batch of 64 images has a noise of 4-7 points.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from nat_env.data import CifarData
from nat_env.evaluation import Evaluation
from nat_env.genotypes import Genotype, parse
from nat_env.records import load_cache, write_json
from nat_env.supernet.grouped import GroupPlan, grouped_forward_cells, grouped_forward_stem
from nat_env.supernet.model import Supernet
from nat_env.supernet.options import FastOptions

DEFAULT_REWARD_IMAGES = 3072
"""Images per evaluation call (see the module docstring for the noise argument)."""
Window = Literal["rotating", "fixed"]


class SupernetEvaluator:
    """Scores genotypes with a shared supernet on windows of the validation (rewards) split.

    Several evaluators may share one supernet and one data set (one per environment); each keeps its own
    window rotation, reset by :meth:`seed`.

    Args:
        supernet: the weights (frozen in ``pretrained`` mode, trained between calls in ``online`` mode).
        data: images; only the rewards split is read.
        reward_images: images per call (clamped to the split's size).
        eval_batch_size: images per forward chunk; batch norm normalises with each chunk's statistics, so
            the chunk size is part of the reward's definition.
        seed: seed of the window rotation.
        options: speed options.
        share_stem: run the architecture-independent stem once per chunk for all genotypes.
        deduplicate: evaluate genotypes that compute the same function (equal after pruning) once.
        grouped: score all genotypes of a chunk in grouped passes (:mod:`nat_env.supernet.grouped`),
            each on the same chunk with its own batch-norm statistics; off runs one single-path pass per
            genotype (the plain implementation). Both give the same accuracies up to float rounding.
            ``None`` (default) groups on CUDA, where launches dominate, and not on a CPU, where the
            gathers cost more than they save (``benchmarks/README.md``, "Speed of the supernet").
        max_rows_per_pass: bound on the rows (genotypes x chunk images) of one grouped pass, which
            bounds its activation memory; at least one genotype per pass.
        window: ``rotating`` (successive windows of the seeded permutation) or ``fixed`` (always its
            first window).
        memoize: remember each genotype's accuracy (keyed by its pruned form) and compute it once; needs
            the ``fixed`` window and a frozen supernet (no parameter requires gradients).

    Raises:
        ValueError: for non-positive sizes, an unknown window, or ``memoize`` without a fixed window
            and frozen weights.
    """

    def __init__(
        self,
        supernet: Supernet,
        data: CifarData,
        *,
        reward_images: int = DEFAULT_REWARD_IMAGES,
        eval_batch_size: int = 256,
        seed: int = 0,
        options: FastOptions | None = None,
        share_stem: bool = True,
        deduplicate: bool = True,
        grouped: bool | None = None,
        max_rows_per_pass: int = 8192,
        window: Window = "rotating",
        memoize: bool = False,
    ) -> None:
        if reward_images < 1 or eval_batch_size < 1 or max_rows_per_pass < 1:
            raise ValueError("reward_images, eval_batch_size and max_rows_per_pass must be positive")
        if window not in ("rotating", "fixed"):
            raise ValueError(f"unknown window {window!r}; use 'rotating' or 'fixed'")
        if memoize and (window != "fixed" or any(p.requires_grad for p in supernet.parameters())):
            raise ValueError("memoize needs window='fixed' and a frozen supernet (pretrained mode)")
        self.window: Window = window
        self.memo: dict[Genotype, float] | None = {} if memoize else None
        """Accuracy by pruned genotype (``memoize`` only)."""
        self.supernet, self.data = supernet, data
        self.reward_images = min(reward_images, len(data.reward_labels))
        self.eval_batch_size = eval_batch_size
        self.options = options or FastOptions()
        self.options.prepare(supernet, data.device)
        self.share_stem, self.deduplicate = share_stem, deduplicate
        self.grouped = data.device.type == "cuda" if grouped is None else grouped
        self.max_rows_per_pass = max_rows_per_pass
        self.calls = 0
        self.seed(seed)

    def seed(self, seed: int) -> None:
        """Restart the window rotation from a seeded permutation of the rewards split."""
        order = np.random.default_rng(seed).permutation(len(self.data.reward_labels))
        self._order = torch.from_numpy(order).to(self.data.device)
        self._cursor = 0

    def next_window(self) -> torch.Tensor:
        """Indices (into the rewards split) of the next ``reward_images`` images, wrapping around."""
        n = len(self._order)
        stop = self._cursor + self.reward_images
        index = self._order[self._cursor : stop]
        if stop > n:
            index = torch.cat([index, self._order[: stop - n]])
        if self.window == "rotating":
            self._cursor = stop % n
        return index

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        """Validation accuracy of every genotype on the same window of the rewards split."""
        for genotype in genotypes:
            self.supernet.check(genotype)
        self.calls += 1
        extra = {"reward_images": float(self.reward_images)}
        if self.memo is not None:
            return [Evaluation(accuracy, extra) for accuracy in self.remembered(genotypes)]
        index = self.next_window()
        accuracies = self.accuracies(
            genotypes, self.data.reward_images[index], self.data.reward_labels[index]
        )
        return [Evaluation(accuracy, extra) for accuracy in accuracies]

    def remembered(self, genotypes: Sequence[Genotype], chunk: int = 256) -> list[float]:
        """Accuracies on the fixed window, computing (``chunk`` at a time) only the unknown ones.

        Raises:
            RuntimeError: without ``memoize``.
        """
        if self.memo is None:
            raise RuntimeError("this evaluator does not memoize (memoize=False)")
        keys = [g.pruned() for g in genotypes]
        missing = list(dict.fromkeys(k for k in keys if k not in self.memo))
        if missing:
            index = self.next_window()
            images, labels = self.data.reward_images[index], self.data.reward_labels[index]
            for start in range(0, len(missing), chunk):
                part = missing[start : start + chunk]
                self.memo.update(zip(part, self.accuracies(part, images, labels), strict=True))
        return [self.memo[k] for k in keys]

    def save_memo(self, path: str | Path) -> Path:
        """Write the remembered accuracies (genotype text → accuracy) atomically as JSON, with those the
        file holds already (another process scoring the same weights and window loses none of its own)."""
        if self.memo is None:
            raise RuntimeError("this evaluator does not memoize (memoize=False)")
        return save_memo(path, self.memo)

    def load_memo(self, path: str | Path) -> int:
        """Add accuracies written by :meth:`save_memo` (for the same weights and window); returns their number.

        A missing file adds nothing; a damaged one is set aside with a warning
        (:func:`nat_env.records.load_cache`). Either way the accuracies are computed again.
        """
        if self.memo is None:
            raise RuntimeError("this evaluator does not memoize (memoize=False)")
        stored = load_memo(path)
        self.memo.update(stored)
        return len(stored)

    def accuracies(
        self, genotypes: Sequence[Genotype], images: torch.Tensor, labels: torch.Tensor
    ) -> list[float]:
        """Accuracy of each genotype on uint8 ``images`` (one host sync unless configured otherwise).

        Shapes:
            ``images``: ``(N, 3, S, S)`` uint8; ``labels``: ``(N,)`` int64.
        """
        keys = [g.pruned() if self.deduplicate else g for g in genotypes]
        unique = list(dict.fromkeys(keys)) if self.deduplicate else keys
        device = self.data.device
        correct = torch.zeros(len(unique), dtype=torch.int64, device=device)
        if self.supernet.training:  # toggling walks every module: skip it when already in eval mode
            self.supernet.eval()
        with torch.inference_mode(), self.options.autocast(device):
            for start in range(0, len(labels), self.eval_batch_size):
                x = self.options.images(self.data.normalize(images[start : start + self.eval_batch_size]))
                y = labels[start : start + self.eval_batch_size]
                if self.grouped:
                    self._grouped_chunk(unique, x, y, correct)
                    continue
                stem = self.supernet.forward_stem(x) if self.share_stem else None
                for i, genotype in enumerate(unique):
                    hidden = stem if stem is not None else self.supernet.forward_stem(x)
                    logits = self.supernet.forward_cells(hidden, genotype)
                    correct[i] += (logits.argmax(1) == y).sum()
                    if self.options.sync_every_batch:
                        correct[i].item()
        counts = correct.tolist()
        position = {key: i for i, key in enumerate(unique)} if self.deduplicate else None
        n = max(len(labels), 1)
        if position is None:
            return [c / n for c in counts]
        return [counts[position[key]] / n for key in keys]

    def _grouped_chunk(
        self, genotypes: Sequence[Genotype], x: torch.Tensor, y: torch.Tensor, correct: torch.Tensor
    ) -> None:
        """Add each genotype's correct count on one chunk to ``correct``, many genotypes per pass."""
        rows = len(y)
        per_pass = max(1, self.max_rows_per_pass // rows)
        stem = self.supernet.forward_stem(x) if self.share_stem else None
        for start in range(0, len(genotypes), per_pass):
            group = genotypes[start : start + per_pass]
            plan = GroupPlan.build(self.supernet, group, rows, x.device)
            if stem is not None:
                hidden = self.options.images(stem.repeat(len(group), 1, 1, 1))
            else:
                hidden = grouped_forward_stem(self.supernet, x.repeat(len(group), 1, 1, 1), rows)
            logits = grouped_forward_cells(self.supernet, hidden, plan)
            hits = (logits.argmax(1).view(len(group), rows) == y).sum(1)
            correct[start : start + len(group)] += hits
            if self.options.sync_every_batch:
                correct.tolist()


def load_memo(path: str | Path) -> dict[Genotype, float]:
    """Accuracies by genotype from a file written by :func:`save_memo`; none for a missing file, and a
    damaged one is set aside with a warning (:func:`nat_env.records.load_cache`)."""
    return load_cache(path, _read_memo, (OSError, ValueError, TypeError, AttributeError)) or {}


def save_memo(path: str | Path, memo: dict[Genotype, float]) -> Path:
    """Write remembered accuracies (genotype text → accuracy) atomically as JSON, after adding to ``memo``
    those the file holds already (another process scoring the same weights loses none of its own)."""
    memo.update(load_memo(path))
    return write_json(path, {str(g): a for g, a in memo.items()})


def _read_memo(path: Path) -> dict[Genotype, float]:
    """Accuracies by genotype from a file written by :func:`save_memo`."""
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {parse(text): float(accuracy) for text, accuracy in stored.items()}
