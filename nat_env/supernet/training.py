"""Supernet training: SGD on shared weights over random genotypes, pre-trained and frozen, or online.

Data flow: augmented batches of the 40% weights split + a random genotype per batch → :class:`Supernet`
→ cross-entropy → SGD (Guo et al., 2019, Algorithm 1, step 1). Two modes:

* ``pretrained`` (:func:`pretrain`): warm up for a fixed budget of steps on genotypes from a mixture of
  samplers (the paper's uniform one plus null-rich and skip-rich ones, so that transformed genotypes run
  through trained weights: docs/background.md, mistake 5; other distributions in :mod:`nat_env.supernet.samplers`),
  with a cosine schedule that decays to ``lr_min`` (mistake
  6); cache the weights keyed by a hash of the configuration, then freeze them: a stationary MDP.
* ``online`` (:class:`OnlineSchedule`): the paper's alternation. Per epoch the paper passes 40% of the
  training set (20,000 images, 312 batches of 64) through the weights and 60% (30,000 images, 468
  episodes of 64) through the policy, a ratio of 2 weight batches per 3 episodes; the environment calls
  :meth:`OnlineSchedule.episode_done` after every episode.

Pre-training also runs data-parallel (:func:`train_supernet` with :class:`~nat_env.supernet.distributed.Ranks`,
``nat pretrain`` under ``torchrun``): every rank trains the same genotype on its share of each global batch.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nat_env.data import CifarData
from nat_env.genotypes import Genotype
from nat_env.ops import kind
from nat_env.progress import Phase
from nat_env.records import load_cache
from nat_env.supernet.checkpoint import (
    UnreadableCheckpoint,
    config_hash,
    load_checkpoint,
    read_config,
    save_checkpoint,
)
from nat_env.supernet.distributed import Ranks, data_parallel
from nat_env.supernet.grouped import grouped_forward
from nat_env.supernet.model import Supernet
from nat_env.supernet.options import FastOptions
from nat_env.supernet.samplers import SAMPLERS, Sampler, sampler_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingConfig:
    """Supernet SGD (the authors' defaults) and the warm-up genotype mixture.

    Attributes:
        batch_size: images per step (64 in the paper).
        lr: initial learning rate.
        lr_min: the cosine schedule's final learning rate.
        momentum: SGD momentum.
        weight_decay: SGD weight decay.
        grad_clip: gradient-norm clip (DARTS' 5).
        null_prob: per-edge null probability of the null-rich sampler.
        skip_prob: per-edge skip probability of the skip-rich sampler.
        seed: seed of the genotype draws, the shuffles and the augmentation.
        archs_per_step: genotypes per SGD step. 1 is the paper's semantics (one fresh genotype per
            batch). With ``K > 1`` a step trains ``K`` genotypes, each on its own batch, in one grouped
            pass (:mod:`nat_env.supernet.grouped`), with the loss the mean of the ``K`` per-genotype
            losses. This changes the optimisation: the same images make ``K`` times fewer steps, each
            averaging ``K`` genotypes' gradients (less noise, ``K`` times the images), so the learning
            rate is rescaled by ``lr_scaling``. Schedules and budgets stay counted in batches.
        lr_scaling: how the learning rate follows ``archs_per_step``: ``linear`` (``lr * K``, the
            large-batch rule of Goyal et al., 2017), ``sqrt`` (``lr * sqrt(K)``) or ``none``.
        lr_warmup_batches: a linear ramp of the learning rate from ``1 / lr_warmup_batches`` of the
            schedule's value up to it over the first ``lr_warmup_batches`` batches (Goyal et al.'s
            gradual warm-up, which large scaled steps need); 0, the default, ramps nothing.
        sampler: the training distribution of genotypes (:mod:`nat_env.supernet.samplers`):
            ``mixture``, ``visits`` or ``unique``.
        split_edge: few-shot: the index (in ``genotype.ops``) of the edge whose op splits the supernet
            into one sub-supernet per op after the warm-up (:mod:`nat_env.supernet.few_shot`); -1 splits
            nothing.
        split_batches: few-shot: the batches each sub-supernet trains after the split.
        average_last: the final fraction of the warm-up over which the weights are averaged (a uniform
            running mean of every step's parameters, stochastic weight averaging); the supernet ends with
            that average. 0 averages nothing (the last step's weights).
        lr_by_size: the learning rate of a step is multiplied by ``1 + lr_by_size * c``, ``c`` the share of
            the sampled genotypes' edges that carry a convolution (larger subnetworks converge more slowly
            and are underrated early: issue 23); 0 leaves the schedule alone.
    """

    batch_size: int = 64
    lr: float = 0.01
    lr_min: float = 0.0
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    null_prob: float = 0.3
    skip_prob: float = 0.3
    seed: int = 0
    archs_per_step: int = 1
    lr_scaling: str = "linear"
    lr_warmup_batches: int = 0
    sampler: str = "mixture"
    split_edge: int = -1
    split_batches: int = 0
    average_last: float = 0.0
    lr_by_size: float = 0.0

    def __post_init__(self) -> None:
        if (
            self.split_edge < -1
            or self.split_batches < 0
            or (self.split_edge >= 0) != (self.split_batches > 0)
        ):
            raise ValueError("few-shot needs split_edge >= 0 with split_batches >= 1 (or -1 and 0: no split)")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; use one of {', '.join(SAMPLERS)}")
        if self.archs_per_step < 1:
            raise ValueError(f"archs_per_step must be positive, got {self.archs_per_step}")
        if self.lr_warmup_batches < 0:
            raise ValueError(f"lr_warmup_batches must be >= 0, got {self.lr_warmup_batches}")
        if not 0.0 <= self.average_last <= 1.0 or self.lr_by_size < 0:
            raise ValueError(
                f"average_last must lie in [0, 1] and lr_by_size be >= 0, got {self.average_last}, {self.lr_by_size}"
            )
        if self.lr_scaling not in ("linear", "sqrt", "none"):
            raise ValueError(f"unknown lr_scaling {self.lr_scaling!r}; use 'linear', 'sqrt' or 'none'")

    @property
    def lr_factor(self) -> float:
        """The factor on ``lr`` and ``lr_min`` for ``archs_per_step`` genotypes per step."""
        k = self.archs_per_step
        return {"linear": float(k), "sqrt": math.sqrt(k), "none": 1.0}[self.lr_scaling]

    def learning_rate(self, batches_done: int, total_batches: int) -> float:
        """The learning rate of the step that starts after ``batches_done`` batches: the cosine schedule
        over ``total_batches``, scaled by :attr:`lr_factor` and ramped up over ``lr_warmup_batches``."""
        lr = cosine_lr(batches_done, total_batches, self.lr, self.lr_min) * self.lr_factor
        if batches_done < self.lr_warmup_batches:
            lr *= (batches_done + self.archs_per_step) / (self.lr_warmup_batches + self.archs_per_step)
        return lr


def cosine_lr(step: int, total_steps: int, lr: float, lr_min: float) -> float:
    """Cosine annealing from ``lr`` at step 0 to ``lr_min`` at ``total_steps`` (then constant)."""
    progress = min(step, total_steps) / max(total_steps, 1)
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + math.cos(math.pi * progress))


class SupernetTrainer:
    """SGD on the supernet's shared weights, one random genotype per batch.

    With ``config.archs_per_step = K > 1`` one SGD step trains ``K`` genotypes on ``K`` batches in one
    grouped pass (see :class:`TrainingConfig`).

    Args:
        supernet: the weights to train.
        data: images (the weights split is used).
        sampler: genotypes to train on.
        config: optimiser settings.
        total_steps: the cosine schedule's horizon, in batches (SGD steps when ``K = 1``).
        options: speed options.
        ranks: this process's place among data-parallel training processes
            (:mod:`nat_env.supernet.distributed`): each rank trains ``batch_size / world_size`` rows of
            every global batch, all ranks the same genotype; gradients are averaged across ranks.

    Raises:
        ValueError: for grouped steps (``archs_per_step > 1``) across ranks, or a batch size that does
            not split among them.
    """

    def __init__(
        self,
        supernet: Supernet,
        data: CifarData,
        sampler: Sampler,
        config: TrainingConfig,
        total_steps: int,
        options: FastOptions | None = None,
        ranks: Ranks | None = None,
    ) -> None:
        self.supernet, self.data, self.sampler, self.config = supernet, data, sampler, config
        self.ranks = ranks or Ranks()
        if self.ranks.distributed and config.archs_per_step > 1:
            raise ValueError("grouped steps (archs_per_step > 1) train in one process only")
        self.total_steps = total_steps
        self.options = options or FastOptions()
        self.options.prepare(supernet, data.device)
        self.optimizer = torch.optim.SGD(
            supernet.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
        self.generator = torch.Generator(device=data.device).manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.steps_done = 0
        self.batches_done = 0
        self._pending = 0
        self._average: dict[str, torch.Tensor] = {}
        self._averaged = 0
        self._batches: Iterator[tuple[torch.Tensor, torch.Tensor]] = data.weights_batches(
            config.batch_size, self.generator, self.ranks.shard
        )
        self.model = data_parallel(supernet, self.ranks)

    @property
    def steps_per_epoch(self) -> int:
        """SGD steps in one pass over the weights split (batches when ``archs_per_step`` is 1)."""
        batches = len(self.data.weights_labels) // self.config.batch_size
        return max(1, batches // self.config.archs_per_step)

    def train_batches(self, batches: int) -> float:
        """Train on ``batches`` more batches; with ``K`` genotypes per step a remainder waits for later.

        Returns:
            The mean training loss of the steps run (``nan`` if none ran).
        """
        self._pending += max(batches, 0)
        steps = self._pending // self.config.archs_per_step
        self._pending -= steps * self.config.archs_per_step
        return self.train_steps(steps)

    def train_steps(self, steps: int) -> float:
        """Run ``steps`` SGD steps; returns the mean training loss (one host sync unless configured)."""
        if steps <= 0:
            return float("nan")
        if not self.supernet.training:
            self.supernet.train()
        device = self.data.device
        total = torch.zeros((), device=device)
        k = self.config.archs_per_step
        for _ in range(steps):
            genotypes = [self.sampler.sample(self.rng) for _ in range(k)]
            lr = self.config.learning_rate(self.batches_done, self.total_steps)
            if self.config.lr_by_size:
                lr *= 1.0 + self.config.lr_by_size * float(np.mean([convolution_share(g) for g in genotypes]))
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            batches = [next(self._batches) for _ in range(k)]
            images = torch.cat([b[0] for b in batches]) if k > 1 else batches[0][0]
            labels = torch.cat([b[1] for b in batches]) if k > 1 else batches[0][1]
            with self.options.autocast(device):
                x = self.options.images(images)
                if k == 1:
                    logits = self.model(x, genotypes[0])
                else:
                    logits = grouped_forward(self.supernet, x, genotypes)
            # every genotype has batch_size rows, so the mean over rows is the mean of per-genotype means
            loss = F.cross_entropy(logits.float(), labels)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(self.supernet.parameters(), self.config.grad_clip)
            self.optimizer.step()
            self.steps_done += 1
            self.batches_done += k
            self._accumulate()
            total += loss.detach()
            if self.options.sync_every_batch:
                total.item()
        return float(total.item()) / steps

    def _accumulate(self) -> None:
        """Add this step's parameters to the running mean once the averaged part of the schedule began."""
        start = (1.0 - self.config.average_last) * self.total_steps
        if not self.config.average_last or self.batches_done <= start:
            return
        self._averaged += 1
        with torch.no_grad():
            for name, parameter in self.supernet.named_parameters():
                if name not in self._average:
                    self._average[name] = parameter.detach().clone()
                else:
                    self._average[name] += (parameter.detach() - self._average[name]) / self._averaged

    def finish(self) -> int:
        """End the warm-up: the supernet takes the averaged weights (``average_last``), if any were averaged.

        Returns:
            The number of steps averaged.
        """
        if self._averaged:
            with torch.no_grad():
                for name, parameter in self.supernet.named_parameters():
                    parameter.copy_(self._average[name])
        return self._averaged


def convolution_share(genotype: Genotype) -> float:
    """The share of a genotype's edges whose op is a convolution."""
    ops = genotype.ops
    return sum(kind(op) == "compute" and "conv" in op for op in ops) / max(len(ops), 1)


class OnlineSchedule:
    """Interleaves supernet training with episodes: ``batches`` training batches every ``every`` episodes.

    The default 2 per 3 is the paper's ratio (312 weight batches to 468 reward batches per epoch). With
    ``archs_per_step = K`` the trainer runs a grouped step whenever ``K`` batches are due.

    Args:
        trainer: the trainer to advance.
        batches: training batches per period (SGD steps when ``archs_per_step`` is 1).
        every: episodes per period.
    """

    def __init__(self, trainer: SupernetTrainer, batches: int = 2, every: int = 3) -> None:
        if batches < 0 or every < 1:
            raise ValueError("batches must be >= 0 and every >= 1")
        self.trainer, self.batches, self.every = trainer, batches, every
        self.episodes = 0
        self.trained = 0

    def episode_done(self, count: int = 1) -> int:
        """Record finished episodes and train the batches now due; returns their number."""
        self.episodes += count
        due = (self.episodes // self.every) * self.batches - self.trained
        if due > 0:
            self.trainer.train_batches(due)
            self.trained += due
        return max(due, 0)


def training_signature(
    supernet: Supernet, data: CifarData, config: TrainingConfig, steps: int
) -> dict[str, Any]:
    """The configuration that determines pre-trained weights (the checkpoint key)."""
    training = asdict(config)
    if config.archs_per_step == 1:  # the paper's semantics: keys written before grouped steps stay valid
        del training["archs_per_step"], training["lr_scaling"]
    if config.lr_warmup_batches == 0:  # likewise for keys written before the warm-up option
        del training["lr_warmup_batches"]
    if config.sampler == "mixture":  # and before the choice of training distribution
        del training["sampler"]
    if config.split_edge == -1:  # and before few-shot splits
        del training["split_edge"], training["split_batches"]
    for name in ("average_last", "lr_by_size"):  # and before weight averaging and size-scaled rates
        if not training[name]:
            del training[name]
    return {
        "supernet": supernet.config.to_dict(),
        "data": data.fingerprint,
        "training": training,
        "warmup_steps": steps,
        "format": 1,
    }


def checkpoint_path(signature: dict[str, Any], cache_dir: str | Path) -> Path:
    """Where the cache keeps the weights of a configuration: ``supernet-<hash>.pt``."""
    return Path(cache_dir) / f"supernet-{config_hash(signature)}.pt"


def warm_up(trainer: SupernetTrainer, batches: int) -> float:
    """Train ``batches`` batches with a :class:`~nat_env.progress.Phase` on this module's logger (rank 0):
    a line before the first batch, the expected length once three are timed, then one about every 10 s.

    Returns:
        The wall time in seconds.
    """
    config, data = trainer.config, trainer.data
    phase = Phase(logger if trainer.ranks.is_writer else None, "supernet warm-up", batches, "batch")
    phase.start(
        f" of {config.batch_size} images ({trainer.supernet.config.layers} cells, {data.image_size} px) "
        f"on {data.device}"
    )
    done = 0
    while done < batches:
        chunk = phase.next_chunk(config.archs_per_step)
        loss = trainer.train_batches(chunk)
        done += chunk
        phase.advance(done, f"loss {loss:.3f}" + (" (rank 0)" if trainer.ranks.distributed else ""))
    return phase.clock() - phase.start_time


def train_supernet(
    supernet: Supernet,
    data: CifarData,
    config: TrainingConfig,
    steps: int,
    options: FastOptions | None = None,
    *,
    sampler: Sampler | None = None,
    ranks: Ranks | None = None,
) -> float:
    """Train ``supernet`` in place for ``steps`` batches (also the cosine horizon), saying how long it will
    take and how far it is (:func:`warm_up`).

    Args:
        supernet: the weights to train (from their current values).
        data: images.
        config: optimiser and sampler settings.
        steps: the budget in (global) batches.
        options: speed options.
        sampler: the genotypes to train on (default: ``config.sampler``'s distribution).
        ranks: data-parallel processes (see :class:`SupernetTrainer`); rank 0 logs.

    Returns:
        The wall time in seconds.
    """
    ranks = ranks or Ranks()
    sampler = sampler or sampler_of(config, supernet.config)
    trainer = SupernetTrainer(supernet, data, sampler, config, steps, options, ranks)
    seconds = warm_up(trainer, steps)
    trainer.finish()
    return seconds


def load_pretrained(
    supernet: Supernet,
    data: CifarData,
    config: TrainingConfig,
    path: str | Path,
    options: FastOptions | None = None,
) -> int:
    """Load a checkpoint written for this supernet, data and training configuration, then freeze it.

    Any warm-up budget is accepted (``nat pretrain --batches``); every other key must match.

    Returns:
        The checkpoint's warm-up budget in batches.

    Raises:
        CheckpointMismatch: for weights of another configuration (the message lists the differences).
        UnreadableCheckpoint: for a file that is no supernet checkpoint (damaged, truncated, foreign).
        FileNotFoundError: when ``path`` holds no file.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"no supernet checkpoint at {path}")
    stored, _ = read_config(path)
    steps = int(stored.get("warmup_steps", 0))
    signature = training_signature(supernet, data, config, steps)
    state = load_checkpoint(path, signature, map_location=data.device, free=("warmup_steps",))
    supernet.load_state_dict(state, strict=True)
    (options or FastOptions()).prepare(supernet, data.device)
    supernet.eval()
    supernet.requires_grad_(False)
    return steps


def pretrain(
    supernet: Supernet,
    data: CifarData,
    config: TrainingConfig,
    steps: int,
    cache_dir: str | Path | None,
    options: FastOptions | None = None,
    *,
    sampler: Sampler | None = None,
    key: dict[str, Any] | None = None,
) -> Path | None:
    """Warm up ``supernet`` for ``steps`` steps (or load the cached result), then freeze it.

    A cached checkpoint that does not load is set aside (:func:`nat_env.records.load_cache`) and the
    warm-up runs again.

    Args:
        supernet: the weights to train in place (from their current values).
        data: images.
        config: optimiser and sampler settings.
        steps: warm-up budget in batches (also the cosine horizon).
        cache_dir: where checkpoints are cached (``supernet-<hash>.pt``); ``None`` disables caching.
        options: speed options.
        sampler: the genotypes to train on (default: ``config.sampler``'s distribution).
        key: more configuration that determines the weights (e.g. the parent of a few-shot
            sub-supernet and its split), added to the checkpoint's key.

    Returns:
        The checkpoint path, or ``None`` without a cache directory.
    """
    signature = {**training_signature(supernet, data, config, steps), **(key or {})}
    path = checkpoint_path(signature, cache_dir) if cache_dir is not None else None
    cached = None
    if path is not None:
        cached = load_cache(
            path,
            lambda file: load_checkpoint(file, signature, map_location=data.device),
            (UnreadableCheckpoint,),
        )
    if cached is not None:
        supernet.load_state_dict(cached, strict=True)
        (options or FastOptions()).prepare(supernet, data.device)
    else:
        seconds = train_supernet(supernet, data, config, steps, options, sampler=sampler)
        if path is not None:
            save_checkpoint(path, supernet.state_dict(), signature, {"ranks": 1, "seconds": seconds})
    supernet.eval()
    supernet.requires_grad_(False)
    return path
