"""Statistics of benchmark results: interquartile means and confidence intervals, from rliable and SciPy.

A score is one number per seed, or a matrix of seeds × held-out input cells in which one trained policy per
seed scores every cell. As in rliable (Agarwal et al., 2021, "Deep RL at the Edge of the Statistical
Precipice"), the IQM is the mean of the middle 50 % of the scores and intervals are percentile bootstraps.

* From rliable: the IQM (``metrics.aggregate_iqm``, which is ``scipy.stats.trim_mean(x, 0.25)``) and the
  seed bootstraps of :func:`mean_ci` and :func:`mean_band` (``library.get_interval_estimates``, one
  stratum per point: its stratified bootstrap then resamples the seeds of each point).
* From SciPy: the Student-t quantile of :func:`t_interval` (``scipy.stats.t``), for a handful of seeds
  with one score each, where a bootstrap has too few distinct resamples.
* Kept here: the two-way bootstrap of :func:`iqm_ci` and :func:`ratio_ci`, which resamples whole seeds and,
  independently, cells. rliable's stratified bootstrap holds the tasks (cells) fixed, or with
  ``task_bootstrap=True`` resamples them too, but either way draws a fresh seed for every cell: right where
  each task has runs of its own, not here where one seed's policy scores every cell. Measured on 5 seeds ×
  1,000 cells of test gains (a one-off check, ``benchmarks/stats_agreement.py`` at commit e2825cf,
  ``benchmarks/README.md``): for PPO + MLP (Maximum) its interval of the mean with cells fixed is 0.083
  points wide against 0.472 for the seed bootstrap of the per-seed means (the seed effect averages out over
  the cells), and for the random learner 1.341 against 0.582: too narrow or too wide, it measures another
  design. Its IQM interval with cells resampled is 0.235 wide against the two-way 0.303, and takes 0.9 to
  1.3 s against 0.4 to 0.5 s. rliable has no ratio of means, whose numerator and denominator must share the
  cells drawn.

rliable draws its resamples from NumPy's global random state (``StratifiedBootstrap`` calls
``np.random.choice`` whatever ``random_state`` says); :func:`_seeded` seeds that state and restores the
caller's, so every interval here is seeded: the same inputs give the same interval.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

try:
    import scipy.stats
    from rliable import library, metrics
except ImportError as error:
    raise SystemExit(
        f"the benchmark statistics need rliable and scipy (pip install 'nat-gym[stats]'): {error}"
    ) from None

Array = npt.NDArray[np.float64]

N_BOOT = 2_000
"""Bootstrap resamples of every interval."""
LEVEL = 0.95
"""Confidence level of every interval."""
_CHUNK_VALUES = 4_000_000
"""Values gathered at once by the two-way IQM bootstrap (bounds its memory to ~32 MB)."""


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval.

    Attributes:
        estimate: the statistic on the data as observed.
        low: the lower bound (a lower percentile of the bootstrap distribution, or the t interval's).
        high: the upper bound.
    """

    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        """``{"estimate", "low", "high"}`` for result files."""
        return asdict(self)


def mean_ci(per_seed: npt.ArrayLike, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> Interval:
    """The mean over seeds with a bootstrap interval that resamples seeds (rliable's).

    Args:
        per_seed: one score per seed, shape ``(S,)``.
        n_boot: resamples.
        level: confidence level.
        seed: seed of the resampling.
    """
    values = _finite(per_seed, "per_seed")
    if values.ndim != 1:
        raise ValueError(f"per_seed must be a 1-D array, got shape {values.shape}")
    estimate, low, high = mean_band(values[:, None], n_boot, level, seed)
    return Interval(float(estimate[0]), float(low[0]), float(high[0]))


def mean_band(
    curves: npt.ArrayLike, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0
) -> tuple[Array, Array, Array]:
    """Pointwise mean over seeds of a set of curves, with a bootstrap band that resamples seeds (rliable's).

    Each point is a stratum of rliable's stratified bootstrap: its seeds are resampled independently of the
    other points', so the band is pointwise, each point's interval the seed bootstrap of its mean.

    Shapes:
        curves: ``(S, T)``, one curve per seed; returns three ``(T,)`` arrays: mean, low, high.
    """
    values = _finite(curves, "curves")
    if values.ndim != 2:
        raise ValueError(f"curves must be a (seeds, points) array, got shape {values.shape}")
    _check_resampling(n_boot, level)
    with _seeded(seed):
        _, bounds = library.get_interval_estimates(
            {"curves": values}, _mean_over_seeds, reps=n_boot, confidence_interval_size=level
        )
    low, high = np.asarray(bounds["curves"], np.float64)
    return values.mean(axis=0), low, high


def t_interval(per_seed: npt.ArrayLike, level: float = LEVEL) -> Interval | None:
    """The mean over seeds with its Student-t interval, ``mean ± t(n-1) · s / √n``.

    Assumes the per-seed scores are independent draws of a roughly normal score; for paired
    differences, pass the differences.

    Returns:
        The interval, or ``None`` for a single seed (no spread to estimate).

    Raises:
        ValueError: for no values or non-finite values, or a level outside (0, 1).
    """
    values = _finite(per_seed, "per_seed").reshape(-1)
    _check_resampling(1, level)
    mean = float(values.mean())
    if values.size < 2:
        return None
    quantile = float(scipy.stats.t.ppf((1 + level) / 2, values.size - 1))
    half = quantile * float(values.std(ddof=1)) / float(np.sqrt(values.size))
    return Interval(mean, mean - half, mean + half)


def iqm_ci(scores: npt.ArrayLike, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> Interval:
    """rliable's IQM of a seeds × cells matrix, with a two-way bootstrap (seeds and cells resampled).

    ``floor(n / 4)`` of the ``n = S · C`` scores are cut from each end before averaging.

    Shapes:
        scores: ``(S, C)``: the score of every seed on every cell.
    """
    values = _matrix(scores, "scores")
    seeds, cells = _two_way_draws(values.shape, n_boot, level, seed)
    chunk = max(1, _CHUNK_VALUES // values.size)
    resampled = np.concatenate(
        [
            _iqm_rows(values[seeds[i : i + chunk, :, None], cells[i : i + chunk, None, :]])
            for i in range(0, n_boot, chunk)
        ]
    )
    low, high = _percentiles(resampled, level)
    return Interval(float(metrics.aggregate_iqm(values)), float(low), float(high))


def ratio_ci(
    scores: npt.ArrayLike,
    reference: npt.ArrayLike,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> Interval:
    """``mean(scores) / mean(reference)`` with a two-way bootstrap (seeds and cells resampled).

    A resample draws seeds and cells with replacement; the cells drawn are shared by numerator and
    denominator, so the interval reflects which cells were held out as well as which seeds were run.

    Shapes:
        scores: ``(S, C)``: a learner's score of every seed on every cell. reference: ``(C,)``: the
        reference's (e.g. the oracle's) score on every cell.

    Raises:
        ValueError: for mismatched shapes or a reference whose mean is zero.
    """
    values = _matrix(scores, "scores")
    ref = _finite(reference, "reference")
    n_cells = values.shape[1]
    if ref.shape != (n_cells,):
        raise ValueError(f"reference must have shape ({n_cells},), got {ref.shape}")
    if ref.mean() == 0:
        raise ValueError("the reference's mean is zero: the ratio is undefined")
    seeds, cells = _two_way_draws(values.shape, n_boot, level, seed)
    # Multiplicities of each cell in each resample turn the cell resampling into a matrix product.
    counts = np.zeros((n_boot, n_cells))
    np.add.at(counts, (np.arange(n_boot)[:, None], cells), 1.0)
    per_seed = counts @ values.T / n_cells  # (n_boot, S): each seed's mean on the resampled cells
    numerator = np.take_along_axis(per_seed, seeds, axis=1).mean(axis=1)
    denominator = counts @ ref / n_cells
    if np.any(denominator == 0):
        raise ValueError("a resample of the reference has mean zero: the ratio is undefined")
    low, high = _percentiles(numerator / denominator, level)
    return Interval(float(values.mean() / ref.mean()), float(low), float(high))


def _iqm_rows(block: Array) -> Array:
    """The IQM (rliable's ``trim_mean`` rule) of each ``(S, C)`` slice of a ``(B, S, C)`` block."""
    return np.asarray(scipy.stats.trim_mean(block.reshape(block.shape[0], -1), 0.25, axis=1), np.float64)


def _mean_over_seeds(curves: Array) -> Array:
    return np.asarray(curves.mean(axis=0), np.float64)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """NumPy's global random state seeded with ``seed`` (rliable draws from it), the caller's restored after."""
    # rliable's StratifiedBootstrap calls np.random.choice: the legacy global state is the one to seed.
    saved = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(saved)  # noqa: NPY002


def _two_way_draws(
    shape: tuple[int, ...], n_boot: int, level: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Seed and cell indices of every resample: ``(n_boot, S)`` and ``(n_boot, C)``."""
    _check_resampling(n_boot, level)
    rng = np.random.default_rng(seed)
    n_seeds, n_cells = shape
    return rng.integers(n_seeds, size=(n_boot, n_seeds)), rng.integers(n_cells, size=(n_boot, n_cells))


def _percentiles(samples: Array, level: float) -> tuple[Array, Array]:
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail], axis=0)
    return low, high


def _check_resampling(n_boot: int, level: float) -> None:
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _finite(x: npt.ArrayLike, name: str) -> Array:
    values = np.asarray(x, np.float64)
    if values.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} holds non-finite values")
    return values


def _matrix(x: npt.ArrayLike, name: str) -> Array:
    values = _finite(x, name)
    if values.ndim != 2:
        raise ValueError(f"{name} must be a (seeds, cells) matrix, got shape {values.shape}")
    return values
