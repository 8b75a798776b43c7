"""Landmark calibration of a supernet's reward: a correction per op count, fitted on a few cells trained alone.

A shared-weight supernet ranks cells with a bias per op type (on NAS-Bench-201 it undervalues
convolutions and overvalues pooling and skips: ``benchmarks/README.md``, "The standalone ceiling and the
supernet's bias per op"). The bias differs from supernet to supernet, so it is measured on each one,
never hard-coded, and never fitted on the NAS-Bench-201 table (the truth the benchmark scores against).

Data flow: ``K`` landmark cells drawn uniformly from the space (:func:`draw_landmarks`, seeded), or
``K / 2`` input cells each beside a random legal rewrite of it (:func:`draw_pairs`) → each
trained on its own, starting from the supernet's weights (:class:`~nat_env.supernet.finetune.FineTunedEvaluator`:
``batches`` SGD steps on the weights split, then its accuracy on the reward's fixed window: validation
data only) → a fit of the correction from the cell's op counts (:func:`op_counts`): ``offset``, a ridge
regression of the target minus the supernet's accuracy (:func:`fit_offset`), or ``pairwise``, a logistic
model of which landmark is better from the supernet's accuracy and the counts (:func:`fit`), comparing
the two cells of a pair only where pairs were drawn →
:class:`Calibration`: the correction in accuracy units, ``acc + (counts - mean landmark counts) · v / a``
(``a = 1`` for ``offset``) → :class:`CalibratedEvaluator`, the reward's evaluator. The fit is stored
inside the supernet checkpoint (:mod:`nat_env.supernet.checkpoint`), keyed by its configuration, and
refused when loaded for another one.

Why fine-tuning and not training from scratch: trained from scratch for 3 epochs, the same small network
ranks NAS-Bench-201 cells worse than the supernet does (Kendall τ 0.35 against 0.46), and a correction
fitted on such landmarks does not improve the supernet's ranking; fine-tuning from the shared weights
keeps what the supernet learned and gives each landmark weights of its own.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from nat_env.evaluation import Evaluation
from nat_env.genotypes import Genotype, parse
from nat_env.ops import NB201_NAMES, VOCABULARIES
from nat_env.sampler import GenotypeSampler
from nat_env.supernet.evaluator import SupernetEvaluator
from nat_env.supernet.finetune import FineTunedEvaluator
from nat_env.transitions import Transitions, random_legal_action

Array = npt.NDArray[np.float64]

FITS = ("pairwise", "offset")
"""The ways a correction is fitted on the landmarks (:attr:`CalibrationConfig.fit`)."""

DRAWS = ("uniform", "pairs")
"""The ways landmarks are drawn (:attr:`CalibrationConfig.draw`)."""


@dataclass(frozen=True)
class CalibrationConfig:
    """How a supernet's reward is calibrated (a field of the supernet specification).

    Attributes:
        landmarks: landmark cells ``K``; 0 calibrates nothing.
        batches: fine-tuning batches per landmark (of the preset's batch size).
        lr: the fine-tuning's initial learning rate (cosine to zero; SGD with the supernet's momentum and
            weight decay).
        l2: ridge penalty of the fit: on the standardised op-count weights of ``pairwise``, on the
            weights themselves (squared counts) of ``offset``.
        seed: seeds the landmark draw; ``None`` draws from the supernet's seed (another value draws
            other landmarks for the same weights, to measure how much the fit depends on them).
        fit: ``pairwise`` (:func:`fit`: the supernet's accuracy weighted by the fit, so a noisy target
            that makes that weight small inflates the correction) or ``offset`` (:func:`fit_offset`: the
            supernet's accuracy keeps weight 1, only the offsets per op are fitted; steadier from one
            landmark draw to the next: ``benchmarks/README.md``, "The calibration against K and the
            landmark draw").
        draw: ``uniform`` (:func:`draw_landmarks`: cells drawn uniformly from the space) or ``pairs``
            (:func:`draw_pairs`: ``landmarks / 2`` input cells drawn uniformly, each beside a random legal
            NAT rewrite of it; the fit then compares the two cells of a pair only, as the reward compares
            α with β).
    """

    landmarks: int = 0
    batches: int = 200
    lr: float = 0.01
    l2: float = 0.01
    seed: int | None = None
    fit: str = "pairwise"
    draw: str = "uniform"

    def __post_init__(self) -> None:
        if self.fit not in FITS:
            raise ValueError(f"calibration fit must be one of {FITS}, got {self.fit!r}")
        if self.draw not in DRAWS:
            raise ValueError(f"calibration draw must be one of {DRAWS}, got {self.draw!r}")
        if self.draw == "pairs" and self.landmarks % 2:
            raise ValueError(
                f"calibration_draw='pairs' needs an even number of landmarks, got {self.landmarks}"
            )
        if self.landmarks < 0 or self.batches < 1 or self.lr <= 0 or self.l2 < 0:
            raise ValueError(
                "calibration needs landmarks >= 0, batches >= 1, lr > 0 and l2 >= 0, got "
                f"{self.landmarks}, {self.batches}, {self.lr}, {self.l2}"
            )
        if self.landmarks and self.landmarks < 4:
            raise ValueError(f"calibration needs at least 4 landmarks to fit, got {self.landmarks}")

    @property
    def enabled(self) -> bool:
        """Whether a calibration is fitted at all."""
        return self.landmarks > 0

    def key(self) -> dict[str, Any]:
        """The settings that determine a fit (``seed`` only where set, ``fit`` only where not ``pairwise``
        and ``draw`` only where not ``uniform``, so records stored before they existed keep their key)."""
        unkeyed = {"seed": None, "fit": "pairwise", "draw": "uniform"}
        return {k: v for k, v in asdict(self).items() if k not in unkeyed or v != unkeyed[k]}

    def same_landmarks(self, other: CalibrationConfig) -> bool:
        """Whether ``other`` draws and fine-tunes the same landmarks (it may fit them another way)."""
        return dataclasses.replace(other, fit=self.fit, l2=self.l2) == self


def feature_names(vocabulary: str, space: str) -> tuple[str, ...]:
    """The op-count features: ``cell:op`` for every cell type and op but the vocabulary's first (the counts
    of one cell sum to its edges, so one op per cell is redundant); NAS-Bench-201's ops in its spelling."""
    cells = ("cell",) if space == "nb201" else ("normal", "reduce")
    ops = [NB201_NAMES.get(op, op) if space == "nb201" else op for op in VOCABULARIES[vocabulary][1:]]
    return tuple(f"{cell}:{op}" for cell in cells for op in ops)


def op_counts(genotypes: Sequence[Genotype], vocabulary: str) -> Array:
    """Edges per op (all ops but the vocabulary's first) of each cell of each pruned genotype.

    Shapes:
        returns ``(len(genotypes), cells x (ops - 1))``.
    """
    ops = VOCABULARIES[vocabulary]
    position = {op: i for i, op in enumerate(ops)}
    rows = []
    for genotype in genotypes:
        row: list[float] = []
        for cell in genotype.pruned().cells:
            counts = np.zeros(len(ops))
            for edge in cell.edges:
                counts[position[edge.op]] += 1
            row.extend(counts[1:])
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(genotypes), -1)


def draw_landmarks(sampler: GenotypeSampler, n: int, seed: int) -> list[Genotype]:
    """``n`` distinct live landmark cells (pruned), drawn uniformly by ``sampler`` from ``seed``.

    A cell whose output is cut off from its inputs (all ``none`` once pruned) is skipped: every such
    cell scores chance, whatever its ops.
    """
    rng = np.random.default_rng(seed)
    found: dict[Genotype, None] = {}
    for _ in range(1000 * n):
        genotype = sampler.sample(rng).pruned()
        if any(op != "none" for op in genotype.ops):
            found.setdefault(genotype)
        if len(found) == n:
            return list(found)
    raise ValueError(f"could not draw {n} distinct live landmark cells from the space")


def draw_pairs(sampler: GenotypeSampler, transitions: Transitions, n: int, seed: int) -> list[Genotype]:
    """``n / 2`` pairs of distinct live landmark cells (pruned), ``β`` then ``α`` for each pair: ``β`` drawn
    uniformly by ``sampler`` from ``seed``, ``α`` a uniformly random legal rewrite of ``β`` by
    ``transitions`` (the cells the reward compares). Every cell differs from every other.
    """
    rng = np.random.default_rng(seed)
    found: dict[Genotype, None] = {}
    for _ in range(1000 * n):
        beta = sampler.sample(rng).pruned()
        alpha = transitions.apply(beta, random_legal_action(transitions.mask(beta), rng)).pruned()
        pair = (beta, alpha)
        if alpha != beta and all(any(op != "none" for op in g.ops) and g not in found for g in pair):
            found.update(dict.fromkeys(pair))
        if len(found) == n:
            return list(found)
    raise ValueError(f"could not draw {n // 2} pairs of distinct live landmark cells from the space")


def pair_groups(config: CalibrationConfig, n: int) -> npt.NDArray[np.int64] | None:
    """The pair of each of ``n`` landmarks drawn as ``config`` draws them (``None``: one group, all)."""
    return np.arange(n) // 2 if config.draw == "pairs" else None


def fit(
    accuracy: Array, counts: Array, target: Array, l2: float, groups: npt.NDArray[np.int64] | None = None
) -> tuple[float, Array]:
    """Weights ``(a, v)`` of a pairwise logistic model: landmark i beats j by ``target`` with probability
    ``sigmoid(a (acc_i - acc_j) + (counts_i - counts_j) · v)``, with ``a > 0`` and a ridge penalty ``l2``
    on the standardised ``v``; with ``groups``, only landmarks of the same group are compared.

    Shapes:
        ``accuracy``, ``target``: ``(K,)``; ``counts``: ``(K, F)``; ``groups``: ``(K,)``.
    """
    columns = np.column_stack([accuracy, counts])
    scale = columns.std(axis=0)
    scale[scale == 0] = 1.0
    i, j = np.triu_indices(len(target), 1)
    sign = np.sign(target[i] - target[j])
    keep = (sign != 0) & (True if groups is None else groups[i] == groups[j])
    diff = torch.tensor((columns[i] - columns[j])[keep] / scale, dtype=torch.float64)
    y = torch.tensor(sign[keep], dtype=torch.float64)
    log_a = torch.zeros((), dtype=torch.float64, requires_grad=True)
    v = torch.zeros(counts.shape[1], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_a, v], max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        margin = y * (log_a.exp() * diff[:, 0] + diff[:, 1:] @ v)
        loss = F.softplus(-margin).mean() + l2 * (v**2).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    if len(y):
        optimizer.step(closure)  # type: ignore[no-untyped-call]
    a = float(log_a.detach().exp()) / scale[0]
    return a, v.detach().numpy() / scale[1:]


def fit_offset(
    accuracy: Array, counts: Array, target: Array, l2: float, groups: npt.NDArray[np.int64] | None = None
) -> tuple[float, Array]:
    """Weights ``(1, v)``: ``target - accuracy ≈ c + counts · v``, ridge regression with penalty ``l2`` on
    ``v`` (the intercept ``c`` unpenalised and dropped: a shift of every cell changes no ranking); with
    ``groups``, an intercept per group (only differences within a group inform ``v``).

    Shapes:
        ``accuracy``, ``target``: ``(K,)``; ``counts``: ``(K, F)``; ``groups``: ``(K,)``.
    """
    group = (
        np.zeros(len(target), dtype=np.int64) if groups is None else np.unique(groups, return_inverse=True)[1]
    )
    size = np.bincount(group).astype(np.float64)

    def within(x: Array) -> Array:
        sums = np.zeros((len(size), *x.shape[1:]))
        np.add.at(sums, group, x)
        centred: Array = x - (sums.T / size).T[group]
        return centred

    centred, residual = within(counts), within(target - accuracy)
    gram = centred.T @ centred + l2 * np.eye(counts.shape[1])
    v = np.asarray(np.linalg.lstsq(gram, centred.T @ residual, rcond=None)[0], dtype=np.float64)
    return 1.0, v


@dataclass(frozen=True)
class Calibration:
    """A fitted correction of a supernet's accuracies, and the landmarks it was fitted on.

    Attributes:
        config: how it was fitted.
        vocabulary: the supernet's op set.
        space: ``darts`` or ``nb201``.
        features: the op-count features (:func:`feature_names`).
        accuracy_weight: ``a``, the fit's weight of the supernet's accuracy.
        count_weights: ``v``, one per feature.
        mean_counts: the landmarks' mean op counts (the correction is zero there).
        landmarks: the landmark genotypes, as text.
        supernet_accuracy: each landmark's accuracy on the shared weights.
        target_accuracy: each landmark's accuracy after fine-tuning alone.
        seconds: the time the landmarks and the fit took.
    """

    config: CalibrationConfig
    vocabulary: str
    space: str
    features: tuple[str, ...]
    accuracy_weight: float
    count_weights: tuple[float, ...]
    mean_counts: tuple[float, ...]
    landmarks: tuple[str, ...]
    supernet_accuracy: tuple[float, ...]
    target_accuracy: tuple[float, ...]
    seconds: float = 0.0

    def offsets(self, genotypes: Sequence[Genotype]) -> Array:
        """The correction of each genotype's accuracy (accuracy units, as a fraction)."""
        counts = op_counts(genotypes, self.vocabulary) - np.asarray(self.mean_counts)
        offsets: Array = counts @ np.asarray(self.count_weights) / self.accuracy_weight
        return offsets

    def op_values(self) -> dict[str, float]:
        """The correction per edge of each op, in accuracy points, relative to the vocabulary's first op."""
        values = 100 * np.asarray(self.count_weights) / self.accuracy_weight
        return dict(zip(self.features, values.round(3).tolist(), strict=True))

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable record (stored in the checkpoint)."""
        return {**asdict(self), "config": asdict(self.config)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Calibration:
        """The calibration of :meth:`to_record`.

        Raises:
            ValueError: for a record that does not read (missing or malformed fields).
        """
        try:
            fields = dict(record)
            fields["config"] = CalibrationConfig(**fields["config"])
            for name in ("features", "count_weights", "mean_counts", "landmarks"):
                fields[name] = tuple(fields[name])
            fields["supernet_accuracy"] = tuple(float(x) for x in fields["supernet_accuracy"])
            fields["target_accuracy"] = tuple(float(x) for x in fields["target_accuracy"])
            found = cls(**fields)
            for text in found.landmarks:
                parse(text)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"a stored calibration does not read: {error}") from error
        if len(found.count_weights) != len(found.features) or not found.accuracy_weight > 0:
            raise ValueError("a stored calibration does not read: its weights do not match its features")
        return found


def calibrate(
    window: SupernetEvaluator,
    finetuned: FineTunedEvaluator,
    sampler: GenotypeSampler,
    config: CalibrationConfig,
    seed: int,
    space: str,
    vocabulary: str,
    transitions: Transitions,
    progress: Any = None,
) -> Calibration:
    """Draw ``config.landmarks`` landmarks, fine-tune each alone and fit the correction.

    Args:
        window: the reward's fixed-window evaluator (the supernet's accuracy of each landmark).
        finetuned: the landmarks' target (``config.batches`` batches at ``config.lr``, on ``window``'s images).
        sampler: draws landmark cells (or the pairs' input cells) uniformly from the space.
        config: the calibration's settings.
        seed: seeds the landmark draw where ``config.seed`` is ``None``.
        space, vocabulary: the supernet's cell space and op set.
        transitions: the env's rewrites (the pairs' second cells, ``config.draw == "pairs"``).
        progress: a :class:`~nat_env.progress.Phase` advanced once per landmark, or ``None``.
    """
    start = time.perf_counter()
    draw_seed = seed if config.seed is None else config.seed
    if config.draw == "pairs":
        landmarks = draw_pairs(sampler, transitions, config.landmarks, draw_seed)
    else:
        landmarks = draw_landmarks(sampler, config.landmarks, draw_seed)
    raw = [e.accuracy for e in window.evaluate(landmarks)]
    target = []
    for i, genotype in enumerate(landmarks):
        target.append(finetuned.evaluate([genotype])[0].accuracy)
        if progress is not None:
            progress.advance(i + 1)
    found = fitted(landmarks, raw, target, config, space, vocabulary)
    return dataclasses.replace(found, seconds=time.perf_counter() - start)


def fitted(
    landmarks: Sequence[Genotype],
    supernet_accuracy: Sequence[float],
    target_accuracy: Sequence[float],
    config: CalibrationConfig,
    space: str,
    vocabulary: str,
) -> Calibration:
    """The calibration fitted as ``config.fit`` says (:func:`fit` or :func:`fit_offset`) on landmarks with
    their supernet and target accuracies (within each pair where ``config.draw`` drew pairs)."""
    counts = op_counts(landmarks, vocabulary)
    fitter = fit_offset if config.fit == "offset" else fit
    groups = pair_groups(config, len(landmarks))
    a, v = fitter(np.asarray(supernet_accuracy), counts, np.asarray(target_accuracy), config.l2, groups)
    return Calibration(
        config=config,
        vocabulary=vocabulary,
        space=space,
        features=feature_names(vocabulary, space),
        accuracy_weight=max(a, 1e-9),  # 0: the supernet's accuracy carried no rank information here
        count_weights=tuple(float(x) for x in v),
        mean_counts=tuple(float(x) for x in counts.mean(axis=0)),
        landmarks=tuple(str(g) for g in landmarks),
        supernet_accuracy=tuple(float(x) for x in supernet_accuracy),
        target_accuracy=tuple(float(x) for x in target_accuracy),
    )


def refitted(calibration: Calibration, config: CalibrationConfig) -> Calibration:
    """``calibration``'s landmarks fitted again as ``config`` fits (which must draw and fine-tune the same
    landmarks: :meth:`CalibrationConfig.same_landmarks`); no landmark is trained again."""
    if not config.same_landmarks(calibration.config):
        raise ValueError(f"calibration {calibration.config} has other landmarks than {config}")
    found = fitted(
        [parse(text) for text in calibration.landmarks], calibration.supernet_accuracy,
        calibration.target_accuracy, config, calibration.space, calibration.vocabulary,
    )  # fmt: skip
    return dataclasses.replace(found, seconds=calibration.seconds)


class CalibratedEvaluator:
    """The reward's evaluator with a calibration: the supernet's accuracy plus the correction of each cell.

    Each :class:`~nat_env.evaluation.Evaluation` keeps the uncorrected accuracy in
    ``extra["supernet_accuracy"]``.

    Args:
        inner: the supernet evaluator.
        calibration: the fitted correction.
    """

    def __init__(self, inner: SupernetEvaluator, calibration: Calibration) -> None:
        self.inner, self.calibration = inner, calibration

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        """Corrected accuracies of every genotype, on the inner evaluator's images."""
        found = self.inner.evaluate(genotypes)
        offsets = self.calibration.offsets(genotypes)
        return [
            Evaluation(e.accuracy + float(o), {**e.extra, "supernet_accuracy": e.accuracy})
            for e, o in zip(found, offsets, strict=True)
        ]
