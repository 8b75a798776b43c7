"""Fine-tuned accuracy: a cell trained alone for a few batches from the supernet's shared weights.

A second opinion on what the supernet's shared weights say. Each genotype gets a copy of the supernet,
trained on that genotype alone (SGD, a cosine learning rate to zero, the supernet's momentum, weight decay
and gradient clip) on augmented batches of the weights split, then scored on the reward's fixed window of
the rewards split (validation data only). Used as the target of the reward's landmark calibration
(:mod:`nat_env.supernet.calibration`) and as the second stage of two-stage selection (a shortlist by the
supernet, re-ranked by this: ``agents.evaluation``'s ``rerank`` and ``nat transform --rerank K``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from nat_env.data import CifarData
from nat_env.evaluation import Evaluation
from nat_env.genotypes import Genotype
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet


class FineTunedEvaluator:
    """Scores each genotype after training a copy of the supernet on it alone (remembered per pruned cell).

    Args:
        supernet: the trained shared weights (never changed).
        data: images (the weights split trains, the rewards split scores).
        window: the reward's fixed-window evaluator: its images and chunk size score every copy.
        batches: training batches per genotype.
        lr: the initial learning rate (cosine to zero).
        batch_size: images per batch.
        seed: seed of every genotype's batches and augmentation (the same for all: paired comparisons).

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
    ) -> None:
        if window.window != "fixed":
            raise ValueError("fine-tuned accuracies are scored on a fixed window")
        if batches < 1 or lr <= 0 or batch_size < 1:
            raise ValueError(
                f"fine-tuning needs batches, lr and batch_size > 0, got {batches}, {lr}, {batch_size}"
            )
        self.supernet, self.data, self.window = supernet, data, window
        self.batches, self.lr, self.batch_size, self.seed = batches, lr, batch_size, seed
        self.memo: dict[Genotype, float] = {}

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        """The fine-tuned accuracy of every genotype (each distinct pruned cell trained once)."""
        extra = {"finetune_batches": float(self.batches), "reward_images": float(self.window.reward_images)}
        found = []
        for genotype in genotypes:
            key = genotype.pruned()
            if key not in self.memo:
                self.memo[key] = self.accuracy(key)
            found.append(Evaluation(self.memo[key], extra))
        return found

    def accuracy(self, genotype: Genotype) -> float:
        """Train a copy of the supernet on ``genotype`` alone, then its accuracy on the window's images."""
        self.supernet.check(genotype)
        model = copy.deepcopy(self.supernet)
        model.requires_grad_(True)
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=0.9, weight_decay=3e-4)
        generator = torch.Generator(device=self.data.device).manual_seed(self.seed)
        batches = self.data.weights_batches(self.batch_size, generator)
        for step in range(self.batches):
            for group in optimizer.param_groups:
                group["lr"] = 0.5 * self.lr * (1 + math.cos(math.pi * step / self.batches))
            images, labels = next(batches)
            loss = F.cross_entropy(model(images, genotype), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
        model.eval()
        model.requires_grad_(False)
        index = self.window.next_window()  # fixed: the reward's own images
        scorer = SupernetEvaluator(model, self.data, eval_batch_size=self.window.eval_batch_size)
        return scorer.accuracies([genotype], self.data.reward_images[index], self.data.reward_labels[index])[
            0
        ]
