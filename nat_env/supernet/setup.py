"""What supernet environments share: a typed specification, and the data and weights built from it.

Data flow: the keyword arguments of ``gym.make`` (or a benchmark's settings) → :func:`make_spec` →
:class:`SupernetSpec` (typed, frozen, hashable) → :func:`build` → :class:`SupernetSetup` (CIFAR-10 on
the device, the supernet pre-trained and frozen or trained online) → the environments' evaluators.

Environments created in one process with the same specification share one setup (a module-level cache
keyed by the specification), so a vectorised environment does not hold N supernets. Pre-trained
weights are also cached on disk, keyed by the configuration that determines them
(:func:`nat_env.supernet.training.pretrain`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from nat_env import transitions as _transitions
from nat_env.data import CifarData, ImageArrays, load_cifar10
from nat_env.data.cifar import default_cache_dir
from nat_env.progress import Phase
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.calibration import Calibration, CalibrationConfig, calibrate, refitted
from nat_env.supernet.checkpoint import (
    CheckpointMismatch,
    config_hash,
    read_calibrations,
    store_calibration,
)
from nat_env.supernet.evaluator import SupernetEvaluator, Window
from nat_env.supernet.few_shot import FewShotEvaluator, pretrain_split
from nat_env.supernet.finetune import FineTunedEvaluator, NeighbourhoodEvaluator
from nat_env.supernet.model import Supernet, SupernetConfig
from nat_env.supernet.options import FastOptions
from nat_env.supernet.presets import PRESETS, Preset, get_preset
from nat_env.supernet.samplers import sampler_of
from nat_env.supernet.training import (
    OnlineSchedule,
    SupernetTrainer,
    TrainingConfig,
    load_pretrained,
    pretrain,
    warm_up,
)

logger = logging.getLogger(__name__)

Mode = Literal["pretrained", "online"]
SPACES = ("darts", "nb201")
"""Cell spaces: DARTS cells (normal and reduction) and NAS-Bench-201's cell."""
EVALUATOR_FIELDS = ("reward_images", "eval_batch_size")
"""Preset fields that configure an environment's evaluator, not the shared data and weights."""
_TRAINING_FIELDS = tuple(
    f.name for f in dataclasses.fields(TrainingConfig) if f.name not in ("batch_size", "seed")
)
_PRESET_FIELDS = tuple(f.name for f in dataclasses.fields(Preset) if f.name != "nb201_calibration")
"""Preset fields a keyword overrides (the calibration's are ``calibration_*``)."""
_ONLINE_FIELDS = ("online_batches", "online_every")
_CALIBRATION_FIELDS = tuple(f"calibration_{f.name}" for f in dataclasses.fields(CalibrationConfig))


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` → CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def vocabulary_of(space: str, transitions: str) -> str:
    """The supernet's op set: NAS-Bench-201's for its space, else the transitions' (``nat``, ``nat++``)."""
    return "nb201" if space == "nb201" else _transitions.canonical_name(transitions)


@dataclass(frozen=True)
class SupernetSpec:
    """Everything that determines a supernet setup (and, through :attr:`training`, its checkpoint).

    Attributes:
        preset: sizes of data and supernet, budgets and evaluator defaults (overrides applied).
        space: ``darts`` or ``nb201``.
        transitions: ``nat`` or ``nat++`` (canonical); picks the DARTS supernet's op set.
        mode: ``pretrained`` (warm up once, cache, freeze) or ``online`` (the paper's alternation).
        seed: seeds the 40/60 split, the initialisation, the training draws.
        device: the resolved torch device, as text.
        training: supernet SGD and warm-up sampler (batch size from the preset, seed from ``seed``).
        online_batches: ``online`` mode: training batches per period.
        online_every: ``online`` mode: episodes per period.
        data_root: CIFAR-10 location for torchvision (``NAT_DATA_DIR`` if None).
        archive: a tarball or folder of class-named images (``NAT_CIFAR10_ARCHIVE`` if None).
        download: let torchvision download CIFAR-10 when no local copy is found.
        cache_dir: decoded images and checkpoints.
        checkpoint: pre-trained weights to load instead of the cached warm-up (``nat pretrain``
            writes them); refused when written for another configuration, whatever its budget.
        calibration: the reward's landmark calibration (:mod:`nat_env.supernet.calibration`); fitted
            once per checkpoint and stored in it.
    """

    preset: Preset
    space: str = "darts"
    transitions: str = "nat"
    mode: Mode = "pretrained"
    seed: int = 0
    device: str = "cpu"
    training: TrainingConfig = field(default_factory=TrainingConfig)
    online_batches: int = 2
    online_every: int = 3
    data_root: str | None = None
    archive: str | None = None
    download: bool = True
    cache_dir: str = field(default_factory=lambda: str(default_cache_dir()))
    checkpoint: str | None = None
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)

    def __post_init__(self) -> None:
        if self.space not in SPACES:
            raise ValueError(f"unknown space {self.space!r}; use 'darts' or 'nb201'")
        if self.mode not in ("pretrained", "online"):
            raise ValueError(f"unknown supernet_mode {self.mode!r}; use 'pretrained' or 'online'")
        if self.transitions != _transitions.canonical_name(self.transitions):
            raise ValueError(f"transitions must be canonical ('nat' or 'nat++'), got {self.transitions!r}")
        if self.checkpoint is not None and (self.mode != "pretrained" or self.training.split_edge >= 0):
            raise ValueError(
                "checkpoint= loads a one-shot supernet: it needs supernet_mode='pretrained' and no split_edge"
            )
        if self.training.average_last and self.mode != "pretrained":
            raise ValueError("average_last averages a warm-up's weights: it needs supernet_mode='pretrained'")
        if self.calibration.enabled and (self.mode != "pretrained" or self.training.split_edge >= 0):
            raise ValueError(
                "calibration_landmarks calibrates a frozen one-shot supernet: it needs "
                "supernet_mode='pretrained' and no split_edge"
            )

    @property
    def vocabulary(self) -> str:
        """The supernet's op set (see :func:`vocabulary_of`)."""
        return vocabulary_of(self.space, self.transitions)

    @property
    def shared(self) -> SupernetSpec:
        """The specification without the evaluator-only preset fields: the key of a shared setup."""
        blanks: dict[str, Any] = dict.fromkeys(EVALUATOR_FIELDS, 0)
        return dataclasses.replace(self, preset=dataclasses.replace(self.preset, **blanks))

    def supernet_config(self, num_classes: int = 10) -> SupernetConfig:
        """The supernet's shape for this space and preset."""
        nb201 = self.space == "nb201"
        return SupernetConfig(
            space=self.space,
            vocabulary=self.vocabulary,
            layers=self.preset.nb201_layers if nb201 else self.preset.layers,
            channels=self.preset.nb201_channels if nb201 else self.preset.channels,
            n_nodes=self.preset.n_nodes,
            num_classes=num_classes,
        )

    def load_data(self, arrays: ImageArrays | None = None) -> CifarData:
        """CIFAR-10 (or ``arrays``) on the device, split 40/60 by ``seed`` and sized by the preset."""
        if arrays is None:
            arrays = load_cifar10(
                self.data_root, archive=self.archive, cache_dir=self.cache_dir, download=self.download
            )
        return CifarData(
            arrays,
            device=torch.device(self.device),
            split_seed=self.seed,
            image_size=self.preset.image_size,
            max_train_images=self.preset.max_train_images,
            max_test_images=self.preset.max_test_images,
        )

    def new_supernet(self, data: CifarData) -> Supernet:
        """An untrained supernet, initialised from ``seed``, on the data's device."""
        torch.manual_seed(self.seed)
        return Supernet(self.supernet_config(len(data.classes))).to(data.device)


def make_spec(
    preset: str = "paper",
    *,
    space: str = "darts",
    transitions: str = "nat",
    supernet_mode: str = "pretrained",
    device: str | torch.device = "auto",
    seed: int = 0,
    warmup_steps: int | None = None,
    reward_images: int | None = None,
    data_root: str | None = None,
    archive: str | None = None,
    download: bool = True,
    cache_dir: str | Path | None = None,
    checkpoint: str | Path | None = None,
    **overrides: object,
) -> SupernetSpec:
    """A specification from the keyword arguments the supernet environments take.

    Args:
        preset: a preset name (:data:`nat_env.supernet.presets.PRESETS`).
        space, transitions, supernet_mode, seed, data_root, archive, download: see :class:`SupernetSpec`.
        device: ``auto``, ``cpu``, ``cuda``, ... (resolved here).
        warmup_steps, reward_images: shorthands for the preset fields of these names.
        cache_dir: decoded images and checkpoints (``NAT_CACHE_DIR`` or ``~/.cache/nat-gym``).
        checkpoint: a supernet checkpoint to load (see :class:`SupernetSpec`).
        **overrides: any :class:`Preset` field, any :class:`TrainingConfig` field but ``batch_size``
            (a preset field) and ``seed``, ``online_batches`` and ``online_every``, and any
            :class:`~nat_env.supernet.calibration.CalibrationConfig` field prefixed ``calibration_``
            (``calibration_landmarks=32``). A frozen NAS-Bench-201 supernet takes its preset's
            ``nb201_calibration`` for the calibration fields not given; ``calibration_landmarks=0``
            rewards the supernet's accuracies uncorrected.

    Raises:
        ValueError: for an unknown option or override; the message lists the known ones.
    """
    families = (*_PRESET_FIELDS, *_TRAINING_FIELDS, *_ONLINE_FIELDS, *_CALIBRATION_FIELDS)
    unknown = sorted(set(overrides) - set(families))
    if unknown:
        known = ", ".join(families)
        raise ValueError(f"unknown override(s) {', '.join(unknown)}; known: {known}")
    sizes = {k: v for k, v in overrides.items() if k in _PRESET_FIELDS}
    if warmup_steps is not None:
        sizes["warmup_steps"] = warmup_steps
    if reward_images is not None:
        sizes["reward_images"] = reward_images
    sized = dataclasses.replace(get_preset(preset), **sizes)  # type: ignore[arg-type]
    training = {k: v for k, v in overrides.items() if k in _TRAINING_FIELDS}
    if space == "nb201":
        training.setdefault("sampler", sized.nb201_sampler)
    trained = TrainingConfig(batch_size=sized.batch_size, seed=seed, **training)  # type: ignore[arg-type]
    online = {k: v for k, v in overrides.items() if k in _ONLINE_FIELDS}
    calibration = {
        k.removeprefix("calibration_"): v for k, v in overrides.items() if k in _CALIBRATION_FIELDS
    }
    if space == "nb201" and supernet_mode == "pretrained" and trained.split_edge < 0:
        calibration = dataclasses.asdict(sized.nb201_calibration) | calibration
    configured = CalibrationConfig(**calibration)  # type: ignore[arg-type]
    resolved = resolve_device(device)
    if resolved.type == "cpu" and preset == "paper" and checkpoint is None:
        _warn_of_gpu_preset(preset, sized)
    return SupernetSpec(
        preset=sized,
        space=space,
        transitions=_transitions.canonical_name(transitions),
        mode=supernet_mode,  # type: ignore[arg-type]
        seed=seed,
        device=str(resolved),
        training=trained,
        data_root=data_root,
        archive=archive,
        download=download,
        cache_dir=str(cache_dir if cache_dir is not None else default_cache_dir()),
        checkpoint=None if checkpoint is None else str(Path(checkpoint).expanduser().resolve()),
        calibration=configured if configured.enabled else CalibrationConfig(),  # off is one value
        **online,  # type: ignore[arg-type]
    )


@dataclass
class SupernetSetup:
    """What environments of one specification share.

    Attributes:
        spec: the specification it was built from.
        data: the device-resident images.
        supernet: the shared weights (the one-shot supernet when it was split).
        options: speed options of every pass.
        schedule: the online trainer's schedule (``online`` mode), else ``None``.
        checkpoint: the pre-trained (one-shot) checkpoint's path (``pretrained`` mode), else ``None``.
        parts: few-shot: the sub-supernets by op on ``spec.training.split_edge``, else ``None``.
        calibration: the reward's fitted landmark calibration (``spec.calibration``), else ``None``.
    """

    spec: SupernetSpec
    data: CifarData
    supernet: Supernet
    options: FastOptions
    schedule: OnlineSchedule | None
    checkpoint: Path | None
    parts: dict[str, Supernet] | None = None
    calibration: Calibration | None = None

    remembering: dict[tuple[int, int], SupernetEvaluator] = field(default_factory=dict)
    """The fixed-window, memoizing evaluators of this setup by (reward images, chunk size)."""

    def evaluator(
        self,
        seed: int,
        window: Window = "rotating",
        memoize: bool = False,
        preset: Preset | None = None,
    ) -> SupernetEvaluator:
        """A new evaluator of this setup's weights with a preset's reward images and chunk size (the
        setup's own preset when ``preset`` is None: setups are shared across those two fields)."""
        preset = preset or self.spec.preset
        settings: dict[str, Any] = {
            "reward_images": preset.reward_images,
            "eval_batch_size": preset.eval_batch_size,
            "seed": seed,
            "options": self.options,
            "window": window,
            "memoize": memoize,
        }
        if self.parts is not None:
            return FewShotEvaluator(self.parts, self.spec.training.split_edge, self.data, **settings)
        return SupernetEvaluator(self.supernet, self.data, **settings)

    def finetuned_evaluator(self, batches: int, lr: float = 0.01) -> FineTunedEvaluator:
        """Scores genotypes fine-tuned alone from this setup's weights (:mod:`nat_env.supernet.finetune`),
        on the reward's fixed window of the setup's seed; the accuracies are kept beside a cached
        checkpoint per batches, learning rate and window, so a landmark or shortlist is fine-tuned once."""
        window = self.evaluator(self.spec.seed, window="fixed")
        batch_size = self.spec.preset.batch_size
        kind = f"finetuned-b{batches}-lr{lr:g}-n{batch_size}-{self._window_name(window)}"
        return FineTunedEvaluator(
            self.supernet,
            self.data,
            window,
            batches,
            lr,
            batch_size,
            self.spec.seed,
            self._beside_checkpoint(kind),
        )

    def neighbourhood_evaluator(self, batches: int, lr: float = 0.01) -> NeighbourhoodEvaluator:
        """Scores an input cell and its rewrites with a copy of this setup's weights trained on the input's
        neighbourhood alone (:mod:`nat_env.supernet.finetune`), on the reward's fixed window of the setup's
        seed."""
        transitions = _transitions.get(self.spec.transitions, self.spec.space)
        return NeighbourhoodEvaluator(self.finetuned_evaluator(batches, lr), transitions)

    def remembering_evaluator(self, preset: Preset | None = None) -> SupernetEvaluator:
        """The fixed-window evaluator that remembers every accuracy, one per setup and window size.

        Every environment of the setup shares it, and its accuracies are loaded from (and
        :meth:`save_scores` writes them to) a file beside the checkpoint (:meth:`scores_path`).

        Raises:
            ValueError: in ``online`` mode (the weights keep changing).
        """
        if self.spec.mode != "pretrained":
            raise ValueError("only a pre-trained (frozen) supernet can remember accuracies")
        preset = preset or self.spec.preset
        key = (preset.reward_images, preset.eval_batch_size)
        if key not in self.remembering:
            evaluator = self.evaluator(self.spec.seed, window="fixed", memoize=True, preset=preset)
            path = self.scores_path(evaluator)
            if path is not None:
                evaluator.load_memo(path)
            self.remembering[key] = evaluator
        return self.remembering[key]

    def scores_path(self, evaluator: SupernetEvaluator) -> Path | None:
        """Where the remembered accuracies of a pre-trained setup are kept (``None`` without a cached
        checkpoint: a given checkpoint may be rewritten in place, so its scores are not kept on disk)."""
        return self._beside_checkpoint(f"scores-{self._window_name(evaluator)}")

    def _window_name(self, evaluator: SupernetEvaluator) -> str:
        """The part of a file name that names an evaluator's images and chunk size and the setup's seed."""
        return f"w{evaluator.reward_images}-b{evaluator.eval_batch_size}-s{self.spec.seed}"

    def _beside_checkpoint(self, kind: str) -> Path | None:
        """A JSON file of this cached checkpoint's weights (and few-shot split), ``None`` without one."""
        if self.checkpoint is None or self.spec.checkpoint is not None:
            return None
        training = self.spec.training
        split = f"-split{training.split_edge}x{training.split_batches}" if training.split_edge >= 0 else ""
        return self.checkpoint.with_name(f"{self.checkpoint.stem}{split}-{kind}.json")

    def save_scores(self, evaluator: SupernetEvaluator) -> Path | None:
        """Write an evaluator's remembered accuracies beside the checkpoint (``None`` if it remembers none
        or the setup keeps none on disk)."""
        path = self.scores_path(evaluator)
        if path is None or evaluator.memo is None:
            return None
        return evaluator.save_memo(path)


_SETUPS: dict[SupernetSpec, SupernetSetup] = {}


def _warn_of_gpu_preset(name: str, preset: Preset) -> None:
    logger.warning(
        "preset %r is sized for a GPU: on a CPU its warm-up of %d batches of %d full-size images can take "
        "days (its first batches are timed below), and each reward passes %d images through the supernet. On a "
        "CPU pass preset='cpu-small' (%d batches at %d px, measured to rank NAS-Bench-201 cells) or "
        "preset='tiny' (%d batches: a plumbing check whose rewards carry no signal); on the command line "
        "--env-kwargs preset=cpu-small. Or load weights trained elsewhere with checkpoint= (nat pretrain).",
        name,
        preset.warmup_steps,
        preset.batch_size,
        preset.reward_images,
        PRESETS["cpu-small"].warmup_steps,
        PRESETS["cpu-small"].image_size,
        PRESETS["tiny"].warmup_steps,
    )


def _warn_if_unfaithful(preset: Preset, steps: int) -> None:
    faithful = preset.faithful_from
    if faithful is not None and steps < faithful:
        logger.warning(
            "supernet warm-up of %d batches is below %d, where this preset's rewards were measured to rank "
            "cells positively against the truth: rewards this early may prefer worse cells",
            steps,
            faithful,
        )


def build(spec: SupernetSpec) -> SupernetSetup:
    """Build (or fetch from the process-wide cache) the data and supernet of a specification.

    ``pretrained`` mode warms the supernet up for the preset's ``warmup_steps`` (or loads the cached
    checkpoint of the same configuration) and freezes it; ``online`` mode warms it up and returns the
    schedule that keeps training it between episodes.
    """
    key = spec.shared
    if key in _SETUPS:
        return _SETUPS[key]
    if spec.checkpoint is None:
        _warn_if_unfaithful(spec.preset, spec.preset.warmup_steps)
    data = spec.load_data()
    supernet = spec.new_supernet(data)
    options = FastOptions()
    steps = spec.preset.warmup_steps
    schedule: OnlineSchedule | None = None
    checkpoint: Path | None = None
    parts: dict[str, Supernet] | None = None
    if spec.checkpoint is not None:
        checkpoint = Path(spec.checkpoint)
        steps = load_pretrained(supernet, data, spec.training, checkpoint, options)
        logger.info("supernet: loaded %s (%d warm-up batches)", checkpoint, steps)
        _warn_if_unfaithful(spec.preset, steps)
    elif spec.mode == "pretrained" and spec.training.split_edge >= 0:
        parts, checkpoint = pretrain_split(supernet, data, spec.training, steps, spec.cache_dir, options)
    elif spec.mode == "pretrained":
        checkpoint = pretrain(supernet, data, spec.training, steps, spec.cache_dir, options)
    elif spec.training.split_edge >= 0:
        raise ValueError("few-shot supernets (split_edge) need supernet_mode='pretrained'")
    else:
        sampler = sampler_of(spec.training, supernet.config)
        steps_per_epoch = max(1, len(data.weights_labels) // spec.preset.batch_size)
        total = steps + spec.preset.online_epochs * steps_per_epoch
        trainer = SupernetTrainer(supernet, data, sampler, spec.training, total, options)
        warm_up(trainer, steps)
        schedule = OnlineSchedule(trainer, spec.online_batches, spec.online_every)
    setup = SupernetSetup(spec, data, supernet, options, schedule, checkpoint, parts)
    if spec.calibration.enabled:
        setup.calibration = calibration_of(setup)
    _SETUPS[key] = setup
    return setup


def calibration_key(spec: SupernetSpec) -> dict[str, Any]:
    """What determines a calibration besides the weights: its settings, the reward's window and the cells."""
    return {
        "calibration": spec.calibration.key(),
        "reward_images": spec.preset.reward_images,
        "eval_batch_size": spec.preset.eval_batch_size,
        "seed": spec.seed,
        "space": spec.space,
        "vocabulary": spec.vocabulary,
    }


def calibration_of(setup: SupernetSetup) -> Calibration:
    """The setup's reward calibration: read from its checkpoint, or fitted now and stored in it.

    A checkpoint passed with ``checkpoint=`` is never rewritten: it must already hold a calibration for
    these settings (``nat pretrain`` fits one when given ``calibration_landmarks``), or one of the same
    landmarks fitted another way (``calibration_fit``, ``calibration_l2``), which is fitted again in memory.
    The cache's own checkpoint stores what is fitted; its landmarks are only fine-tuned where no stored
    calibration holds them. A stored calibration that does not read is fitted again in the cache's own
    checkpoint, refused in a given one.

    Raises:
        CheckpointMismatch: for a given checkpoint without a calibration of these settings (the message
            names the settings it holds calibrations for) or with one that does not read.
    """
    spec = setup.spec
    key = config_hash(calibration_key(spec))
    given = spec.checkpoint is not None
    records = read_calibrations(setup.checkpoint) if setup.checkpoint is not None else {}
    stored = records.get(key)
    if stored is None and (found := same_landmarks(spec, records)) is not None:
        if not given and setup.checkpoint is not None:
            store_calibration(setup.checkpoint, key, found.to_record())
        return found
    if stored is not None:
        try:
            return Calibration.from_record(stored)
        except ValueError as error:
            if given:
                raise CheckpointMismatch(f"checkpoint {setup.checkpoint}: {error}") from error
            logger.warning("checkpoint %s: %s; fitting it again", setup.checkpoint, error)
    elif given:
        settings = [record.get("config") for record in records.values()]
        raise CheckpointMismatch(
            f"checkpoint {spec.checkpoint} holds no reward calibration for {calibration_key(spec)} "
            f"(it holds {len(settings)}: {settings}); fit one into it with `nat pretrain --out FILE` and "
            f"the same calibration_* settings, or leave calibration_landmarks out"
        )
    return add_calibration(setup, spec.calibration)


def same_landmarks(spec: SupernetSpec, records: dict[str, dict[str, Any]]) -> Calibration | None:
    """``spec``'s calibration fitted on the landmarks of a stored record that drew and fine-tuned the same
    ones on the same window (it fitted them another way), or ``None``; records that do not read are
    skipped."""
    for key, record in records.items():
        try:
            stored = Calibration.from_record(record)
        except ValueError:
            continue
        same_window = (
            config_hash(calibration_key(dataclasses.replace(spec, calibration=stored.config))) == key
        )
        if same_window and spec.calibration.same_landmarks(stored.config):
            logger.info(
                "reward calibration: the stored landmarks of %s fitted again as %s",
                stored.config,
                spec.calibration,
            )
            return refitted(stored, spec.calibration)
    return None


def add_calibration(setup: SupernetSetup, config: CalibrationConfig) -> Calibration:
    """Fit a reward calibration of ``config`` on a setup's frozen supernet and store it in the setup's
    checkpoint file, if it has one (``nat pretrain`` calibrates the checkpoint it writes this way).

    Raises:
        ValueError: for a disabled ``config`` or a supernet that is not frozen and one-shot.
    """
    spec = dataclasses.replace(setup.spec, calibration=config)  # validates the mode
    if not config.enabled:
        raise ValueError("a calibration needs calibration_landmarks >= 4")
    found = fit_calibration(dataclasses.replace(setup, spec=spec))
    if setup.checkpoint is not None:
        store_calibration(setup.checkpoint, config_hash(calibration_key(spec)), found.to_record())
    return found


def fit_calibration(setup: SupernetSetup) -> Calibration:
    """Fit the reward calibration of a setup's frozen supernet (:func:`~nat_env.supernet.calibration.calibrate`)."""
    spec = setup.spec
    config = spec.calibration
    phase = Phase(logger, "reward calibration", config.landmarks, "landmark")
    phase.start(
        f": each landmark cell fine-tuned alone for {config.batches} batches from the supernet's weights, "
        "then a correction per op count fitted on them"
    )
    window = setup.evaluator(spec.seed, window="fixed")
    found = calibrate(
        window,
        setup.finetuned_evaluator(config.batches, config.lr),
        # NAS-Bench-201: uniform over all 15,625 cells (none is one op in five); DARTS: the paper's sampler
        GenotypeSampler(
            space=spec.space,
            n_nodes=spec.preset.n_nodes,
            vocabulary=spec.vocabulary,
            null_prob=0.2 if spec.space == "nb201" else 0.0,
        ),
        config,
        spec.seed,
        spec.space,
        spec.vocabulary,
        _transitions.get(spec.transitions, spec.space),
        progress=phase,
    )
    logger.info("reward calibration: correction per edge (points) %s", found.op_values())
    return found


def clear_cache() -> None:
    """Forget the shared data sets, supernets and their remembering evaluators of this process."""
    _SETUPS.clear()
