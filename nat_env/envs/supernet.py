"""The supernet environments: NAT with rewards from a weight-sharing supernet, DARTS or NAS-Bench-201 cells.

Data flow: keyword arguments → :func:`~nat_env.supernet.setup.make_spec` →
:class:`~nat_env.supernet.setup.SupernetSpec` → :func:`make_supernet_env` (the one factory): the shared
setup (CIFAR-10 on the device, the supernet pre-trained and frozen or trained online;
:func:`~nat_env.supernet.setup.build`) → its evaluator → :class:`SupernetEnv`, composed with a sampler of
β, transitions, an encoder, the cost model (DARTS) and the injected ground truth (NAS-Bench-201, reports
only).

* ``NAT-CIFAR10-v0`` (:func:`make_cifar10_env`): DARTS cells; no ground truth exists, so the reward's
  fidelity is measured on its NAS-Bench-201 sibling. What carries over is the warm-up: a preset's
  ``faithful_from`` (the CPU-small preset's: 10,000 batches) is where the NAS-Bench-201 supernet's ranking
  first turned positive, and a shorter warm-up logs a warning.
* ``NAT-NB201-Supernet-CIFAR10-v0`` (:func:`make_nb201_supernet_env`): the contract of
  ``NAT-NB201-CIFAR10-v0`` (observation, actions, masks, ``reset(options={"genotype": ...})``) with the
  supernet's reward. Where the NAS-Bench-201 table is available its 200-epoch accuracies of β and α ride
  along in ``info`` (never rewarded, never used for selection), so a learner trained on the proxy can be
  scored against the truth. In ``pretrained`` mode every reward uses the same fixed window of validation
  images, so a cell's accuracy is computed once and remembered (one evaluator per setup, kept on disk
  beside the checkpoint).

Measured fidelity of the NAS-Bench-201 supernet per preset (``benchmarks/README.md``, "Supernet fidelity
(round 2)"):

* ``cpu-small`` (defaults: the ``unique`` training distribution, 20,000 warm-up batches, 2,048 reward
  images): Kendall τ +0.458 [+0.396, +0.519] against the table over 256 uniform cells; the reward has the
  true sign on 0.861 [0.825, 0.893] of the (β, α) pairs whose true gain is at least one point. The reward is
  calibrated by default (``Preset.nb201_calibration``: 32 landmark cells fine-tuned 600 batches each from the
  shared weights, then an offset per op count, ridge-fitted on the fine-tuned minus the supernet accuracies;
  fitted once per checkpoint, 10-15 minutes on one CPU core, and stored in it): its best rewrite of an input
  keeps 0.694 [0.556, 0.784] and 0.622 [0.389, 0.765] of the oracle's test gain over two landmark draws
  (three supernet seeds, 200 inputs each), against 0.345 [0.039, 0.539] uncalibrated
  (``calibration_landmarks=0``), short of the 0.75 target; ``benchmarks/README.md``, "The calibration
  against K and the landmark draw". REINFORCE + GCN trained on the calibrated reward keeps 0.350
  [0.079, 0.523] by Maximum, and two-stage selection of its top 5 (each fine-tuned 100 batches) 0.701
  [0.567, 0.786]; "The supernet reward against issue 23's targets" sums them up.
* ``paper``: unmeasured (needs a GPU); it calibrates with the same settings.
* ``tiny``: for tests only; its rewards carry no signal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nat_env import transitions as _transitions
from nat_env.cost import count
from nat_env.encoding import GraphEncoder, Observation
from nat_env.envs.nb201 import TableSampler
from nat_env.envs.transform import InputSampler, TransformEnv
from nat_env.evaluation import Evaluation, Evaluator
from nat_env.genotypes import Genotype
from nat_env.nb201.evaluator import TableEvaluator, input_codes, load_table
from nat_env.nb201.table import ENV_VAR
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.calibration import CalibratedEvaluator
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.setup import SupernetSetup, SupernetSpec, build, make_spec
from nat_env.transitions import IllegalPolicy


def darts_cost(genotype: Genotype) -> tuple[int, int]:
    """Parameters and multiply-adds of a DARTS genotype's CIFAR-10 evaluation network."""
    cost = count(genotype, "cifar10")
    return cost.params, cost.madds


class SupernetEnv(TransformEnv):
    """NAT with rewards from a weight-sharing supernet (``NAT-CIFAR10-v0``, ``NAT-NB201-Supernet-CIFAR10-v0``).

    ## Description
    :class:`TransformEnv`'s one-step MDP; acc(·) is the supernet accuracy of a genotype on a window of
    the 60 % rewards split of the CIFAR-10 training set (never the test set): a rotating window, or in
    ``pretrained`` mode on NAS-Bench-201 cells a fixed one whose accuracies are remembered.

    ## Action Space, Observation Space, Rewards, Episode End
    As :class:`TransformEnv`; rewards are supernet acc(α) − acc(β) on the same images.

    ## Starting State
    DARTS: β from the paper's uniform sampler; NAS-Bench-201: uniform over the cells (``inputs``); or
    fixed with ``reset(options={"genotype": ...})``. ``reset(seed=s)`` also restarts a rotating window,
    so a seeded episode's reward is reproducible in ``pretrained`` mode.

    ## Info
    As :class:`TransformEnv`, plus ``reward_images_*``; DARTS: ``params_*`` and ``madds_*`` of the
    evaluation network (20 cells, 36 channels); NAS-Bench-201: with a table ``table_val_accuracy_*`` and
    ``test_accuracy_*`` (the injected truth, never rewarded), and ``truth``: where the ground truth
    comes from, or that it is unavailable.

    ## Arguments
    setup: the shared data and weights (with the reward's calibration, if any); evaluator: the supernet
    evaluator on them (the reward's, wrapped in a
    :class:`~nat_env.supernet.calibration.CalibratedEvaluator` when the setup has a calibration); sampler,
    transitions, encoder, cost, on_illegal, render_mode: as :class:`TransformEnv`; truth: the ground
    truth for reports, or ``None``; truth_note: where the truth comes from, in words (``None`` leaves
    ``info["truth"]`` out); reward_seed: seeds a rotating window together with ``reset``'s seed.
    Built by :func:`make_supernet_env`.

    ## Version History
    * v0: initial version.
    """

    def __init__(
        self,
        setup: SupernetSetup,
        evaluator: SupernetEvaluator,
        sampler: InputSampler | GenotypeSampler,
        transitions: _transitions.Transitions,
        encoder: GraphEncoder,
        *,
        cost: Any = None,
        truth: Evaluator | None = None,
        truth_note: str | None = None,
        reward_seed: int = 0,
        on_illegal: IllegalPolicy = "keep",
        render_mode: str | None = None,
    ) -> None:
        reward: Evaluator = evaluator
        if setup.calibration is not None:
            reward = CalibratedEvaluator(evaluator, setup.calibration)
        super().__init__(reward, sampler, transitions, encoder, cost, on_illegal, render_mode, truth=truth)
        self.setup = setup
        self.supernet_evaluator = evaluator
        """The supernet's own evaluator (the reward's, unless the setup has a calibration that corrects it)."""
        self.truth_note = truth_note
        self.reward_seed = reward_seed

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        if seed is not None and self.supernet_evaluator.window == "rotating":
            self.supernet_evaluator.seed(self.reward_seed * 1_000_003 + seed)
        observation, info = super().reset(seed=seed, options=options)
        if self.truth_note is not None:
            info["truth"] = self.truth_note
        return observation, info

    def conclude(
        self, action: npt.NDArray[np.int64], alpha: Genotype, eval_beta: Evaluation, eval_alpha: Evaluation
    ) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        result = super().conclude(action, alpha, eval_beta, eval_alpha)
        if self.truth_note is not None:
            result[4]["truth"] = self.truth_note
        if self.setup.schedule is not None:
            self.setup.schedule.episode_done()
        return result


def make_supernet_env(
    spec: SupernetSpec,
    *,
    truth: TableEvaluator | None = None,
    inputs: str = "all",
    on_illegal: IllegalPolicy = "keep",
    render_mode: str | None = None,
) -> SupernetEnv:
    """The one factory of supernet environments, for either cell space.

    Args:
        spec: the supernet's specification (:func:`~nat_env.supernet.setup.make_spec`); equal
            specifications share one setup per process.
        truth: NAS-Bench-201 only: the table's evaluator for reports (never rewarded), or ``None``.
        inputs: NAS-Bench-201 only: input cells, ``all`` or ``connected``.
        on_illegal: what a masked choice does (see :class:`TransformEnv`).
        render_mode: ``ansi``, ``rgb_array`` or None.

    Raises:
        ValueError: for a truth on DARTS cells.
    """
    setup = build(spec)
    rules = _transitions.get(spec.transitions, spec.space)
    if spec.space == "darts":
        if truth is not None:
            raise ValueError("DARTS cells have no ground truth table")
        return SupernetEnv(
            setup,
            setup.evaluator(spec.seed, preset=spec.preset),
            GenotypeSampler(space="darts", n_nodes=spec.preset.n_nodes, vocabulary=spec.vocabulary),
            rules,
            GraphEncoder(rules, "darts", spec.preset.n_nodes),
            cost=darts_cost,
            reward_seed=spec.seed,
            on_illegal=on_illegal,
            render_mode=render_mode,
        )
    pretrained = spec.mode == "pretrained"
    note = (
        "unavailable: no NAS-Bench-201 table (pass table_path or set NAT_NB201_TABLE)"
        if truth is None
        else f"NAS-Bench-201 table {truth.table.path}, CIFAR-10, 200 epochs"
    )
    return SupernetEnv(
        setup,
        setup.remembering_evaluator(spec.preset)
        if pretrained
        else setup.evaluator(spec.seed, preset=spec.preset),
        TableSampler(input_codes(truth, inputs)),
        rules,
        GraphEncoder(rules, "nb201"),
        truth=truth,
        truth_note=note,
        reward_seed=spec.seed,
        on_illegal=on_illegal,
        render_mode=render_mode,
    )


SPEC_ARGUMENTS = (
    "transitions",
    "supernet_mode",
    "device",
    "seed",
    "warmup_steps",
    "reward_images",
    "data_root",
    "archive",
    "download",
    "cache_dir",
    "checkpoint",
)
"""The arguments of the id factories that :func:`~nat_env.supernet.setup.make_spec` takes by name."""


def spec_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The specification's keyword arguments among a factory's arguments (its ``locals()``): the named
    ones of :data:`SPEC_ARGUMENTS` and the preset, training and online ``overrides``."""
    return {**{name: arguments[name] for name in SPEC_ARGUMENTS}, **arguments["overrides"]}


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
    archive: str | None = None,
    download: bool = True,
    on_illegal: IllegalPolicy = "keep",
    checkpoint: str | None = None,
    **overrides: Any,
) -> SupernetEnv:
    """Build ``NAT-CIFAR10-v0``: DARTS cells, supernet rewards (its entry point).

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
        archive: a ``.tar.gz`` or directory of class folders (``NAT_CIFAR10_ARCHIVE`` if None).
        download: let torchvision download CIFAR-10 when no local copy is found.
        on_illegal: what a masked choice does (see :class:`TransformEnv`).
        checkpoint: supernet weights to load (``nat pretrain --out``) instead of warming up; refused
            with :class:`~nat_env.supernet.checkpoint.CheckpointMismatch` when written for another
            configuration (preset, space, seed, data, training), whatever its budget.
        **overrides: any :class:`~nat_env.supernet.presets.Preset` field, any
            :class:`~nat_env.supernet.training.TrainingConfig` field but ``batch_size`` (use the preset
            field), ``online_batches`` and ``online_every``, and the reward's landmark calibration as
            ``calibration_landmarks=K`` (with ``calibration_batches``, ``calibration_lr``,
            ``calibration_l2``, ``calibration_seed``, ``calibration_fit``, ``calibration_draw``:
            :class:`~nat_env.supernet.calibration.CalibrationConfig`), fitted once and stored in the supernet
            checkpoint (another fit or ``l2`` of the same landmarks refits them without fine-tuning); a
            frozen NAS-Bench-201 supernet takes its preset's (``cpu-small`` and ``paper``: 32 landmarks, 600
            batches, the ``offset`` fit with ``l2`` 1) for the fields not given, and
            ``calibration_landmarks=0`` rewards its accuracies uncorrected.

    Raises:
        ValueError: for an unknown option or override.
    """
    spec = make_spec(preset, space="darts", **spec_arguments(locals()))
    return make_supernet_env(spec, on_illegal=on_illegal, render_mode=render_mode)


def make_nb201_supernet_env(
    preset: str = "cpu-small",
    device: str = "auto",
    transitions: str = "nat",
    supernet_mode: str = "pretrained",
    warmup_steps: int | None = None,
    reward_images: int | None = None,
    seed: int = 0,
    cache_dir: str | None = None,
    render_mode: str | None = None,
    *,
    inputs: str = "all",
    table_path: str | Path | None = None,
    data_root: str | None = None,
    archive: str | None = None,
    download: bool = True,
    on_illegal: IllegalPolicy = "keep",
    checkpoint: str | None = None,
    **overrides: Any,
) -> SupernetEnv:
    """Build ``NAT-NB201-Supernet-CIFAR10-v0``: NAS-Bench-201 cells, supernet rewards (its entry point).

    Args:
        preset: ``cpu-small`` (default: 1 cell per stage, 16 channels, 16x16 images, 20,000 training
            images; the fidelity study's configuration), ``paper`` (NAS-Bench-201's network: 5 cells per
            stage, 16 channels, 32x32, all images; for a GPU) or ``tiny`` (tests).
        table_path: the NAS-Bench-201 compact CSV for the ground truth in ``info``; ``None`` reads
            ``NAT_NB201_TABLE`` and goes without a truth when that is unset too.
        inputs: input-cell set, ``all`` or ``connected``.
        device, transitions, supernet_mode, warmup_steps, reward_images, seed, cache_dir, render_mode,
            data_root, archive, download, on_illegal, checkpoint, **overrides: as
            :func:`make_cifar10_env` (in ``pretrained`` mode rewards use a fixed window, remembered).

    Raises:
        ValueError: for an unknown option or override.
        nat_env.nb201.TableNotFoundError: for a table path that holds no table.
    """
    spec = make_spec(preset, space="nb201", **spec_arguments(locals()))
    truth = truth_table(table_path)
    return make_supernet_env(spec, truth=truth, inputs=inputs, on_illegal=on_illegal, render_mode=render_mode)


def truth_table(table_path: str | Path | None) -> TableEvaluator | None:
    """The table's CIFAR-10 200-epoch evaluator, or ``None`` when no table is given or configured."""
    if table_path is None and not os.environ.get(ENV_VAR):
        return None
    return TableEvaluator(load_table(None if table_path is None else str(table_path)), "cifar10", 200)


def save_scores(env: Any) -> Path | None:
    """Write the remembered accuracies of an env's supernet evaluator (``None`` if it remembers none)."""
    base = env.unwrapped
    if not isinstance(base, SupernetEnv):
        raise TypeError(f"{type(base).__name__} is no supernet env")
    return base.setup.save_scores(base.supernet_evaluator)
