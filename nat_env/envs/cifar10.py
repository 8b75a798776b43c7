"""The named CIFAR-10 environment: a TransformEnv whose rewards come from a weight-sharing supernet.

Data flow: keyword arguments → :class:`~nat_env.supernet.setup.SupernetSpec` → the shared setup
(CIFAR-10 on the device, the supernet pre-trained and frozen or trained online;
:mod:`nat_env.supernet.setup`) → :class:`SupernetEvaluator` → :class:`Cifar10Env`, composed with a
sampler of β, transitions, an encoder and the cost model.

The DARTS space has no ground truth, so the reward's fidelity is measured on its NAS-Bench-201 sibling,
``NAT-NB201-Supernet-CIFAR10-v0`` (its module lists the figures per preset). What carries over is the
warm-up: a preset's ``faithful_from`` (the CPU-small preset's: 10,000 batches) is where the NAS-Bench-201
supernet's ranking first turned positive, and a shorter warm-up logs a warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nat_env import transitions as _transitions
from nat_env.cost import count
from nat_env.encoding import GraphEncoder, Observation
from nat_env.envs.transform import TransformEnv
from nat_env.genotypes import Genotype
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.setup import build, make_spec
from nat_env.supernet.training import OnlineSchedule
from nat_env.transitions import IllegalPolicy


class Cifar10Env(TransformEnv):
    """NAT on CIFAR-10 (JPEG copy or torchvision's): rewards from a weight-sharing supernet.

    ## Description
    :class:`TransformEnv`'s one-step MDP; acc(·) is the supernet accuracy of a genotype on a window of
    the 60% rewards split of the CIFAR-10 training set (never the test set).

    ## Action Space, Observation Space, Rewards, Episode End
    As :class:`TransformEnv`. Info also holds ``reward_images_beta``/``_alpha`` and, from the cost model
    (the evaluation network: 20 cells, 36 channels), ``params_*`` and ``madds_*``.

    ## Starting State
    β from the paper's uniform sampler, or fixed with ``reset(options={"genotype": ...})``.
    ``reset(seed=s)`` also restarts this environment's rotation of reward images, so a seeded episode's
    reward is reproducible in ``pretrained`` mode.

    ## Arguments
    See :func:`make_cifar10_env`.

    ## Version History
    * v0: initial version.
    """

    def __init__(
        self,
        evaluator: SupernetEvaluator,
        sampler: GenotypeSampler,
        transitions: _transitions.Transitions,
        encoder: GraphEncoder,
        *,
        schedule: OnlineSchedule | None = None,
        reward_seed: int = 0,
        on_illegal: IllegalPolicy = "keep",
        render_mode: str | None = None,
    ) -> None:
        super().__init__(evaluator, sampler, transitions, encoder, self._cost, on_illegal, render_mode)
        self.supernet_evaluator = evaluator
        self.schedule = schedule
        self.reward_seed = reward_seed

    def _cost(self, genotype: Genotype) -> tuple[int, int]:
        cost = count(genotype, "cifar10")
        return cost.params, cost.madds

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        if seed is not None and self.supernet_evaluator.window == "rotating":
            self.supernet_evaluator.seed(self.reward_seed * 1_000_003 + seed)
        return super().reset(seed=seed, options=options)

    def step(self, action: npt.NDArray[np.int64]) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        result = super().step(action)
        if self.schedule is not None:
            self.schedule.episode_done()
        return result


def make_cifar10_env(
    data_root: str | None = None,
    device: str = "auto",
    preset: str = "paper",
    transitions: str = "nat",
    supernet_mode: str = "pretrained",
    warmup_steps: int | None = None,
    reward_images: int | None = None,
    seed: int = 0,
    cache_dir: str | None = None,
    render_mode: str | None = None,
    *,
    space: str = "darts",
    archive: str | None = None,
    download: bool = True,
    on_illegal: IllegalPolicy = "keep",
    checkpoint: str | None = None,
    **overrides: Any,
) -> Cifar10Env:
    """Build the CIFAR-10 supernet environment (the entry point of ``NAT-CIFAR10-v0``).

    Args:
        data_root: CIFAR-10 location (see :func:`nat_env.data.load_cifar10`); ``NAT_DATA_DIR`` if None.
        device: ``auto``, ``cpu``, ``cuda``, ...
        preset: ``paper`` (8 cells, 20 channels, 32x32, batch 64) or ``tiny`` (3 cells, 8 channels,
            16x16, 500 images; for CPU tests).
        transitions: ``nat`` or ``nat++`` (also picks the supernet's op set).
        supernet_mode: ``pretrained`` (warm up once, cache, freeze: stationary rewards) or ``online``
            (the paper's alternation: 2 SGD steps every 3 episodes).
        warmup_steps: pre-training steps (the preset's by default; in ``online`` mode, steps before the
            first episode).
        reward_images: validation images per reward (the preset's by default: 3072 for ``paper``).
        seed: seeds the 40/60 split, the supernet's initialisation and training, and the reward rotation.
        cache_dir: decoded images and checkpoints (``NAT_CACHE_DIR`` or ``~/.cache/nat-gym``).
        render_mode: ``ansi``, ``rgb_array`` or None.
        space: ``darts`` or ``nb201`` (NAS-Bench-201's cell space).
        archive: a ``.tar.gz`` or directory of class folders (``NAT_CIFAR10_ARCHIVE`` if None).
        download: let torchvision download CIFAR-10 when no local copy is found.
        on_illegal: what a masked choice does (see :class:`TransformEnv`).
        checkpoint: supernet weights to load (``nat pretrain --out``) instead of warming up; refused
            with :class:`~nat_env.supernet.checkpoint.CheckpointMismatch` when written for another
            configuration (preset, space, seed, data, training), whatever its budget.
        **overrides: any :class:`~nat_env.supernet.presets.Preset` field, any
            :class:`~nat_env.supernet.training.TrainingConfig` field but ``batch_size`` (use the preset
            field), ``online_batches`` and ``online_every``.

    Raises:
        ValueError: for an unknown option or override.
    """
    spec = make_spec(
        preset,
        space=space,
        transitions=transitions,
        supernet_mode=supernet_mode,
        device=device,
        seed=seed,
        warmup_steps=warmup_steps,
        reward_images=reward_images,
        data_root=data_root,
        archive=archive,
        download=download,
        cache_dir=cache_dir,
        checkpoint=checkpoint,
        **overrides,
    )
    setup = build(spec)
    evaluator = setup.evaluator(seed)
    rules = _transitions.get(spec.transitions, space)
    sampler = GenotypeSampler(space=space, n_nodes=spec.preset.n_nodes, vocabulary=spec.vocabulary)
    encoder = GraphEncoder(rules, space, spec.preset.n_nodes)
    return Cifar10Env(
        evaluator,
        sampler,
        rules,
        encoder,
        schedule=setup.schedule,
        reward_seed=seed,
        on_illegal=on_illegal,
        render_mode=render_mode,
    )
