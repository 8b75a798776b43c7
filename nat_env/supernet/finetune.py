"""Fine-tuned accuracy: a cell trained alone for a few batches from the supernet's shared weights.

A second opinion on what the supernet's shared weights say. Each genotype gets a copy of the supernet,
trained on that genotype alone (SGD, a cosine learning rate to zero, the supernet's momentum, weight decay
and gradient clip) on augmented batches of the weights split, then scored on the reward's fixed window of
the rewards split (validation data only). Used as the target of the reward's landmark calibration
(:mod:`nat_env.supernet.calibration`) and as the second stage of two-stage selection (a shortlist by the
supernet, re-ranked by this: ``agents.evaluation``'s ``rerank`` and ``nat transform --rerank K``).

:class:`NeighbourhoodEvaluator` is the NAT-specific few-shot variant of that second stage: one copy of the
supernet per input cell β, trained on β's neighbourhood alone (a random legal rewrite of β per batch: each
edge keeps its op, becomes a skip or is removed, at most 3^6 = 729 cells on NAS-Bench-201 instead of
15,625), then scoring β and its candidates with the same weights.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nat_env.data import CifarData
from nat_env.evaluation import Evaluation
from nat_env.genotypes import Genotype
from nat_env.supernet.evaluator import SupernetEvaluator, load_memo, save_memo
from nat_env.supernet.model import Supernet
from nat_env.transitions import Transitions, random_legal_action


def trained_copy(
    supernet: Supernet,
    data: CifarData,
    genotype_of_step: Callable[[int], Genotype],
    batches: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> Supernet:
    """A copy of ``supernet`` trained ``batches`` SGD steps (cosine learning rate from ``lr`` to zero, the
    supernet's momentum, weight decay and gradient clip) on augmented batches of the weights split, step
    ``i`` on the genotype ``genotype_of_step(i)``; returned frozen, in eval mode."""
    model = copy.deepcopy(supernet)
    model.requires_grad_(True)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=3e-4)
    generator = torch.Generator(device=data.device).manual_seed(seed)
    stream = data.weights_batches(batch_size, generator)
    for step in range(batches):
        for group in optimizer.param_groups:
            group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * step / batches))
        images, labels = next(stream)
        loss = F.cross_entropy(model(images, genotype_of_step(step)), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    model.eval()
    model.requires_grad_(False)
    return model


def window_accuracies(
    model: Supernet, data: CifarData, window: SupernetEvaluator, genotypes: Sequence[Genotype]
) -> list[float]:
    """Each genotype's accuracy with ``model``'s weights on the fixed window's images (the reward's own)."""
    index = window.next_window()  # fixed: the reward's own images
    scorer = SupernetEvaluator(model, data, eval_batch_size=window.eval_batch_size)
    return scorer.accuracies(genotypes, data.reward_images[index], data.reward_labels[index])


class FineTunedEvaluator:
    """Scores each genotype after training a copy of the supernet on it alone (remembered per pruned cell,
    and on disk with ``path``).

    Args:
        supernet: the trained shared weights (never changed).
        data: images (the weights split trains, the rewards split scores).
        window: the reward's fixed-window evaluator: its images and chunk size score every copy.
        batches: training batches per genotype.
        lr: the initial learning rate (cosine to zero).
        batch_size: images per batch.
        seed: seed of every genotype's batches and augmentation (the same for all: paired comparisons).
        path: a file that keeps the accuracies across processes (for these weights and settings), read at
            the start and written after each fine-tuning, so an interrupted calibration or re-ranking
            trains nothing twice; ``None`` keeps them in memory only.

    Raises:
        ValueError: for a rotating window or non-positive settings.
    """

    def __init__(
        self,
        supernet: Supernet,
        data: CifarData,
        window: SupernetEvaluator,
        batches: int,
        lr: float,
        batch_size: int,
        seed: int = 0,
        path: Path | None = None,
    ) -> None:
        if window.window != "fixed":
            raise ValueError("fine-tuned accuracies are scored on a fixed window")
        if batches < 1 or lr <= 0 or batch_size < 1:
            raise ValueError(
                f"fine-tuning needs batches, lr and batch_size > 0, got {batches}, {lr}, {batch_size}"
            )
        self.supernet, self.data, self.window = supernet, data, window
        self.batches, self.lr, self.batch_size, self.seed = batches, lr, batch_size, seed
        self.path = path
        self.memo: dict[Genotype, float] = {} if path is None else load_memo(path)

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        """The fine-tuned accuracy of every genotype (each distinct pruned cell trained once)."""
        extra = {"finetune_batches": float(self.batches), "reward_images": float(self.window.reward_images)}
        found = []
        for genotype in genotypes:
            key = genotype.pruned()
            if key not in self.memo:
                self.memo[key] = self.accuracy(key)
                if self.path is not None:
                    save_memo(self.path, self.memo)
            found.append(Evaluation(self.memo[key], extra))
        return found

    def accuracy(self, genotype: Genotype) -> float:
        """Train a copy of the supernet on ``genotype`` alone, then its accuracy on the window's images."""
        self.supernet.check(genotype)
        model = trained_copy(
            self.supernet, self.data, lambda _: genotype, self.batches, self.lr, self.batch_size, self.seed
        )
        return window_accuracies(model, self.data, self.window, [genotype])[0]


class NeighbourhoodEvaluator:
    """Scores an input cell β and its rewrites with a copy of the supernet trained on β's neighbourhood alone.

    :meth:`evaluate`'s first genotype is β (as a second stage of two-stage selection passes it): a copy of
    the supernet is trained with ``settings``' batches, learning rate, batch size and seed, each batch on a
    uniformly random legal rewrite of β by ``transitions``, and scores every genotype given on
    ``settings``' window; accuracies are remembered per β.

    Args:
        settings: the supernet, images, window and training settings (its own cells are not used).
        transitions: the env's rewrites (β's neighbourhood).
    """

    def __init__(self, settings: FineTunedEvaluator, transitions: Transitions) -> None:
        self.finetuned, self.transitions = settings, transitions
        self.memo: dict[Genotype, dict[Genotype, float]] = {}
        self.last: tuple[Genotype, Supernet] | None = None
        """The last β's copy (a longer shortlist of the same β trains nothing again)."""

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        """β (the first genotype) and every other genotype scored by β's neighbourhood copy."""
        if not genotypes:
            return []
        tuned = self.finetuned
        beta = genotypes[0]
        known = self.memo.setdefault(beta.pruned(), {})
        keys = [g.pruned() for g in genotypes]
        missing = [g for g in dict.fromkeys(keys) if g not in known]
        if missing:
            if self.last is None or self.last[0] != beta.pruned():
                self.last = (beta.pruned(), self.trained(beta))
            model = self.last[1]
            known.update(
                zip(missing, window_accuracies(model, tuned.data, tuned.window, missing), strict=True)
            )
        extra = {
            "neighbourhood_batches": float(tuned.batches),
            "reward_images": float(tuned.window.reward_images),
        }
        return [Evaluation(known[key], extra) for key in keys]

    def trained(self, beta: Genotype) -> Supernet:
        """A copy of the supernet trained on random legal rewrites of ``beta``."""
        tuned = self.finetuned
        tuned.supernet.check(beta)
        rng = np.random.default_rng(tuned.seed)
        mask = self.transitions.mask(beta)
        rewrites = [
            self.transitions.apply(beta, random_legal_action(mask, rng)).pruned()
            for _ in range(tuned.batches)
        ]
        return trained_copy(
            tuned.supernet, tuned.data, rewrites.__getitem__, tuned.batches, tuned.lr, tuned.batch_size,
            tuned.seed,
        )  # fmt: skip
