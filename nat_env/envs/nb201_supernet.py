"""NAT on NAS-Bench-201 cells with the supernet reward, checked against the table's ground truth.

``gym.make("NAT-NB201-Supernet-CIFAR10-v0")`` has the contract of ``NAT-NB201-CIFAR10-v0`` (the same
observation, actions, masks and ``reset(options={"genotype": ...})``) but the reward of
``NAT-CIFAR10-v0``: acc(α) − acc(β) of a shared-weight NAS-Bench-201 supernet on the same CIFAR-10
validation images (:mod:`nat_env.supernet.setup`). Where the NAS-Bench-201 table is available its
200-epoch accuracies of β and α ride along in ``info`` (never rewarded, never used for selection), so a
learner trained on the proxy can be scored against the truth.

In ``pretrained`` mode the supernet is frozen and every reward uses the same fixed window of validation
images, so a cell's accuracy is computed once and remembered (shared by all environments of one
configuration in a process, and kept on disk beside the checkpoint).

Measured fidelity per preset (``benchmarks/README.md``, "Supernet fidelity (round 2)"):

* ``cpu-small`` (defaults: the ``unique`` training distribution, 20,000 warm-up batches, 2,048 reward
  images): Kendall τ +0.458 [+0.396, +0.519] against the table over 256 uniform cells; the reward has the
  true sign on 0.861 [0.825, 0.893] of the (β, α) pairs whose true gain is at least one point.
* ``paper``: unmeasured (needs a GPU).
* ``tiny``: for tests only; its rewards carry no signal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nat_env import transitions as _transitions
from nat_env.encoding import GraphEncoder, Observation
from nat_env.envs.cifar10 import Cifar10Env
from nat_env.envs.nb201 import TableSampler
from nat_env.evaluation import Evaluation
from nat_env.genotypes import Genotype
from nat_env.nb201.evaluator import TableEvaluator, input_codes, load_table
from nat_env.nb201.table import ENV_VAR
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.setup import SupernetSetup, SupernetSpec, build, make_spec
from nat_env.transitions import IllegalPolicy

_EVALUATORS: dict[tuple[SupernetSpec, int, int], SupernetEvaluator] = {}


class TruthEvaluator:
    """A proxy evaluator whose evaluations also carry the table's accuracies (for reports only).

    The accuracy (what rewards and selection use) is the proxy's; ``extra`` gains
    ``table_val_accuracy`` and ``test_accuracy`` (the table's 200-epoch validation and test accuracy)
    when a table is given.

    Args:
        proxy: the evaluator that rewards (the supernet).
        table: the ground truth, or ``None``.
    """

    def __init__(self, proxy: SupernetEvaluator, table: TableEvaluator | None) -> None:
        self.proxy, self.table = proxy, table

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        evaluations = self.proxy.evaluate(genotypes)
        if self.table is None:
            return evaluations
        truths = self.table.evaluate(genotypes)
        return [
            Evaluation(
                e.accuracy,
                {**e.extra, "table_val_accuracy": t.accuracy, "test_accuracy": t.extra["test_accuracy"]},
            )
            for e, t in zip(evaluations, truths, strict=True)
        ]


def shared_evaluator(setup: SupernetSetup, spec: SupernetSpec, seed: int) -> SupernetEvaluator:
    """The evaluator of a setup's frozen supernet on its fixed window, one per process and configuration.

    Its remembered accuracies are loaded from (and :func:`save_scores` writes them to) a file beside the
    checkpoint named by the checkpoint, the window and the chunk size.
    """
    key = (spec.shared, spec.preset.reward_images, spec.preset.eval_batch_size)
    if key in _EVALUATORS:
        return _EVALUATORS[key]
    evaluator = setup.evaluator(seed, window="fixed", memoize=True)
    path = scores_path(setup, evaluator)
    if path is not None:
        evaluator.load_memo(path)
    _EVALUATORS[key] = evaluator
    return evaluator


def scores_path(setup: SupernetSetup, evaluator: SupernetEvaluator) -> Path | None:
    """Where a pre-trained setup's remembered accuracies are kept (``None`` without a checkpoint)."""
    if setup.checkpoint is None or setup.spec.checkpoint is not None:
        return None  # a given checkpoint may be rewritten in place: its scores are not kept on disk
    window = f"w{evaluator.reward_images}-b{evaluator.eval_batch_size}-s{setup.spec.seed}"
    training = setup.spec.training
    split = f"-split{training.split_edge}x{training.split_batches}" if training.split_edge >= 0 else ""
    return setup.checkpoint.with_name(f"{setup.checkpoint.stem}{split}-scores-{window}.json")


def save_scores(env: Any) -> Path | None:
    """Write the remembered accuracies of an env's supernet evaluator (``None`` if it remembers none)."""
    base = env.unwrapped
    if not isinstance(base, NB201SupernetEnv):
        raise TypeError(f"{type(base).__name__} is no NAS-Bench-201 supernet env")
    evaluator, setup = base.supernet_evaluator, base.setup
    path = scores_path(setup, evaluator)
    if path is None or evaluator.memo is None:
        return None
    return evaluator.save_memo(path)


def truth_table(table_path: str | Path | None) -> TableEvaluator | None:
    """The table's CIFAR-10 200-epoch evaluator, or ``None`` when no table is given or configured."""
    if table_path is None and not os.environ.get(ENV_VAR):
        return None
    return TableEvaluator(load_table(None if table_path is None else str(table_path)), "cifar10", 200)


class NB201SupernetEnv(Cifar10Env):
    """NAT on NAS-Bench-201 cells, rewards from a supernet (``NAT-NB201-Supernet-CIFAR10-v0``).

    ## Description
    :class:`~nat_env.envs.transform.TransformEnv`'s one-step MDP on the NAS-Bench-201 cell space;
    acc(·) is the accuracy of a NAS-Bench-201 supernet on a fixed window of the 60 % rewards split of the
    CIFAR-10 training set (never the test set).

    ## Action Space, Observation Space, Starting State, Episode End
    As ``NAT-NB201-CIFAR10-v0``: six edges, NAT (keep / skip / null) or NAT++ choices, the flat mask in
    the observation and :meth:`action_masks`; β uniform over the cells (``inputs``) or fixed with
    ``reset(options={"genotype": ...})``.

    ## Rewards
    Supernet acc(α) − acc(β), both on the same validation images.

    ## Info
    As :class:`TransformEnv`, plus ``reward_images_*``; with a table ``table_val_accuracy_*`` and
    ``test_accuracy_*`` (the table's 200-epoch accuracies, never rewarded); ``truth`` says where the
    ground truth comes from, or that it is unavailable.

    ## Arguments
    See :func:`make_nb201_supernet_env`.

    ## Version History
    * v0: initial version.
    """

    def __init__(
        self,
        evaluator: SupernetEvaluator,
        *args: Any,
        setup: SupernetSetup,
        truth: TableEvaluator | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(evaluator, *args, **kwargs)
        self.evaluator = TruthEvaluator(evaluator, truth)
        self.setup = setup
        self.truth = truth
        self.truth_note = (
            "unavailable: no NAS-Bench-201 table (pass table_path or set NAT_NB201_TABLE)"
            if truth is None
            else f"NAS-Bench-201 table {truth.table.path}, CIFAR-10, 200 epochs"
        )

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        observation, info = super().reset(seed=seed, options=options)
        info["truth"] = self.truth_note
        return observation, info

    def step(self, action: npt.NDArray[np.int64]) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = super().step(action)
        info["truth"] = self.truth_note
        return observation, reward, terminated, truncated, info


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
) -> NB201SupernetEnv:
    """Build the NAS-Bench-201 supernet environment (the entry point of ``NAT-NB201-Supernet-CIFAR10-v0``).

    Args:
        preset: ``cpu-small`` (default: 1 cell per stage, 16 channels, 16x16 images, 20,000 training
            images; the fidelity study's configuration), ``paper`` (NAS-Bench-201's network: 5 cells per
            stage, 16 channels, 32x32, all images; for a GPU) or ``tiny`` (tests).
        device: ``auto``, ``cpu``, ``cuda``, ...
        transitions: ``nat`` or ``nat++``.
        supernet_mode: ``pretrained`` (warm up once, cache, freeze; rewards on a fixed window,
            remembered) or ``online`` (the paper's alternation; rotating windows).
        warmup_steps: pre-training batches (the preset's by default).
        reward_images: validation images per reward (the preset's by default).
        seed: seeds the 40/60 split, the supernet, its training and the reward window.
        cache_dir: decoded images, checkpoints and remembered scores (``NAT_CACHE_DIR`` or
            ``~/.cache/nat-gym``).
        render_mode: ``ansi``, ``rgb_array`` or None.
        inputs: input-cell set, ``all`` or ``connected``.
        table_path: the NAS-Bench-201 compact CSV for the ground truth in ``info``; ``None`` reads
            ``NAT_NB201_TABLE`` and goes without a truth when that is unset too.
        data_root, archive, download: where CIFAR-10 comes from (see :func:`make_cifar10_env`).
        on_illegal: what a masked choice does (see :class:`TransformEnv`).
        checkpoint: supernet weights to load (``nat pretrain --out``) instead of warming up; refused
            with :class:`~nat_env.supernet.checkpoint.CheckpointMismatch` when written for another
            configuration (preset, space, seed, data, training), whatever its budget.
        **overrides: preset, training and online fields (see :func:`nat_env.supernet.setup.make_spec`).

    Raises:
        ValueError: for an unknown option or override.
        nat_env.nb201.TableNotFoundError: for a table path that holds no table.
    """
    spec = make_spec(
        preset,
        space="nb201",
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
    truth = truth_table(table_path)
    setup = build(spec)
    proxy = shared_evaluator(setup, spec, seed) if spec.mode == "pretrained" else setup.evaluator(seed)
    rules = _transitions.get(spec.transitions, "nb201")
    return NB201SupernetEnv(
        proxy,
        TableSampler(input_codes(truth, inputs)),
        rules,
        GraphEncoder(rules, "nb201"),
        schedule=setup.schedule,
        reward_seed=seed,
        on_illegal=on_illegal,
        render_mode=render_mode,
        setup=setup,
        truth=truth,
    )


def clear_evaluators() -> None:
    """Forget the shared evaluators of this process (with :func:`nat_env.supernet.setup.clear_cache`)."""
    _EVALUATORS.clear()
