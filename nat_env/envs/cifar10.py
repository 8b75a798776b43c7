"""The named CIFAR-10 environment: a TransformEnv whose rewards come from a weight-sharing supernet.

Data flow: configuration (paths, strings, numbers) → CIFAR-10 on the device (:mod:`nat_env.data`) →
supernet, pre-trained and frozen or trained online (:mod:`nat_env.supernet`) → :class:`SupernetEvaluator`
→ :class:`Cifar10Env`, composed with a sampler of β, transitions, an encoder and the cost model.

Environments created in one process with the same configuration share one data set and one supernet
(a module-level cache), so a vectorised environment does not hold N supernets.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from nat_env import transitions as _transitions
from nat_env.cost import count
from nat_env.data import CifarData, load_cifar10
from nat_env.data.cifar import default_cache_dir
from nat_env.encoding import GraphEncoder, Observation
from nat_env.envs.transform import TransformEnv
from nat_env.genotypes import Genotype
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.checkpoint import config_hash
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.presets import Preset, get_preset
from nat_env.supernet.training import (
    FastOptions,
    MixtureSampler,
    OnlineSchedule,
    SupernetTrainer,
    TrainingConfig,
    pretrain,
)
from nat_env.transitions import IllegalPolicy

_ONLINE_KEYS = ("online_batches", "online_every")
_TRAINING_KEYS = tuple(f.name for f in dataclasses.fields(TrainingConfig) if f.name != "batch_size")
_PRESET_KEYS = tuple(f.name for f in dataclasses.fields(Preset))


@dataclass
class SupernetSetup:
    """What environments of one configuration share.

    Attributes:
        data: the device-resident images.
        supernet: the shared weights.
        options: speed options of every pass.
        schedule: the online trainer's schedule (``online`` mode), else ``None``.
        checkpoint: the pre-trained checkpoint's path (``pretrained`` mode with a cache), else ``None``.
        config: the plain configuration the setup was built from.
    """

    data: CifarData
    supernet: Supernet
    options: FastOptions
    schedule: OnlineSchedule | None
    checkpoint: Path | None
    config: dict[str, Any]


_SETUPS: dict[str, SupernetSetup] = {}


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` → CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def build_setup(config: dict[str, Any]) -> SupernetSetup:
    """Build (or fetch from the process-wide cache) the data and supernet of a plain configuration."""
    key = config_hash(config)
    if key in _SETUPS:
        return _SETUPS[key]
    preset: Preset = get_preset(config["preset"])
    preset = dataclasses.replace(preset, **config["preset_overrides"])
    device = torch.device(config["device"])
    cache_dir = Path(config["cache_dir"])
    arrays = load_cifar10(
        config["data_root"], archive=config["archive"], cache_dir=cache_dir, download=config["download"]
    )
    data = CifarData(
        arrays,
        device=device,
        split_seed=config["seed"],
        image_size=preset.image_size,
        max_train_images=preset.max_train_images,
        max_test_images=preset.max_test_images,
    )
    space = config["space"]
    vocabulary = "nb201" if space == "nb201" else config["transitions"].replace("natpp", "nat++")
    model_config = SupernetConfig(
        space=space,
        vocabulary=vocabulary,
        layers=preset.nb201_layers if space == "nb201" else preset.layers,
        channels=preset.nb201_channels if space == "nb201" else preset.channels,
        n_nodes=preset.n_nodes,
        num_classes=len(arrays.classes),
    )
    torch.manual_seed(config["seed"])
    supernet = Supernet(model_config).to(device)
    options = FastOptions.for_device(device)
    training = TrainingConfig(batch_size=preset.batch_size, seed=config["seed"], **config["training"])
    schedule: OnlineSchedule | None = None
    checkpoint: Path | None = None
    if config["supernet_mode"] == "pretrained":
        checkpoint = pretrain(supernet, data, training, preset.warmup_steps, cache_dir, options)
    else:
        sampler = MixtureSampler.warmup(
            space, preset.n_nodes, vocabulary, training.null_prob, training.skip_prob
        )
        steps_per_epoch = max(1, len(data.weights_labels) // preset.batch_size)
        total = preset.warmup_steps + preset.online_epochs * steps_per_epoch
        trainer = SupernetTrainer(supernet, data, sampler, training, total, options)
        trainer.train_batches(preset.warmup_steps)
        schedule = OnlineSchedule(
            trainer, config["online"]["online_batches"], config["online"]["online_every"]
        )
    setup = SupernetSetup(data, supernet, options, schedule, checkpoint, config)
    _SETUPS[key] = setup
    return setup


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
        if seed is not None:
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
        render_mode: ``ansi`` or None.
        space: ``darts`` or ``nb201`` (NAS-Bench-201's cell space).
        archive: a ``.tar.gz`` or directory of class folders (``NAT_CIFAR10_ARCHIVE`` if None).
        download: let torchvision download CIFAR-10 when no local copy is found.
        on_illegal: what a masked choice does (see :class:`TransformEnv`).
        **overrides: any :class:`~nat_env.supernet.presets.Preset` field, any
            :class:`~nat_env.supernet.training.TrainingConfig` field but ``batch_size`` (use the preset
            field), ``online_batches`` and ``online_every``.

    Raises:
        ValueError: for an unknown option or override.
    """
    if supernet_mode not in ("pretrained", "online"):
        raise ValueError(f"unknown supernet_mode {supernet_mode!r}; use 'pretrained' or 'online'")
    if space not in ("darts", "nb201"):
        raise ValueError(f"unknown space {space!r}; use 'darts' or 'nb201'")
    unknown = sorted(set(overrides) - set(_ONLINE_KEYS) - set(_TRAINING_KEYS) - set(_PRESET_KEYS))
    if unknown:
        known = ", ".join((*_PRESET_KEYS, *_TRAINING_KEYS, *_ONLINE_KEYS))
        raise ValueError(f"unknown override(s) {', '.join(unknown)}; known: {known}")
    base = get_preset(preset)
    preset_overrides = {k: v for k, v in overrides.items() if k in _PRESET_KEYS}
    if warmup_steps is not None:
        preset_overrides["warmup_steps"] = warmup_steps
    if reward_images is not None:
        preset_overrides["reward_images"] = reward_images
    sized = dataclasses.replace(base, **preset_overrides)
    rules = _transitions.get(transitions, space)
    resolved_device = resolve_device(device)
    config: dict[str, Any] = {
        "data_root": data_root,
        "archive": archive,
        "download": download,
        "device": str(resolved_device),
        "preset": preset,
        "preset_overrides": {k: v for k, v in preset_overrides.items() if k != "reward_images"},
        "transitions": "nat++" if transitions in ("nat++", "natpp") else transitions,
        "space": space,
        "supernet_mode": supernet_mode,
        "seed": seed,
        "cache_dir": str(cache_dir if cache_dir is not None else default_cache_dir()),
        "training": {k: v for k, v in overrides.items() if k in _TRAINING_KEYS},
        "online": {
            "online_batches": overrides.get("online_batches", 2),
            "online_every": overrides.get("online_every", 3),
        },
    }
    setup = build_setup(config)
    evaluator = SupernetEvaluator(
        setup.supernet,
        setup.data,
        reward_images=sized.reward_images,
        eval_batch_size=sized.eval_batch_size,
        seed=seed,
        options=setup.options,
    )
    vocabulary = "nb201" if space == "nb201" else config["transitions"]
    sampler = GenotypeSampler(space=space, n_nodes=sized.n_nodes, vocabulary=vocabulary)
    encoder = GraphEncoder(rules, space, sized.n_nodes)
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


def clear_cache() -> None:
    """Forget the shared data sets and supernets of this process."""
    _SETUPS.clear()
