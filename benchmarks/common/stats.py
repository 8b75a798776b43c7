"""Statistics of benchmark results: interquartile mean, percentile-bootstrap and Student-t intervals.

Follows rliable (Agarwal et al., 2021, "Deep RL at the Edge of the Statistical Precipice"): the IQM is the
mean of the middle 50 % of the scores, and intervals are percentile bootstraps that resample runs (seeds)
and, where a score is a matrix of seeds × tasks (here: held-out input cells), tasks too. NumPy only; every
bootstrap is vectorised over resamples and seeded, so the same inputs give the same interval. With only a
handful of seeds and one score per seed (a network trained from scratch), a bootstrap has too few distinct
resamples; :func:`t_interval` gives the classical interval of the mean instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

N_BOOT = 2_000
"""Bootstrap resamples of every interval."""
LEVEL = 0.95
"""Confidence level of every interval."""
_CHUNK_VALUES = 4_000_000
"""Values gathered at once by the two-way IQM bootstrap (bounds its memory to ~32 MB)."""


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap confidence interval.

    Attributes:
        estimate: the statistic on the data as observed.
        low: the lower percentile of the bootstrap distribution.
        high: the upper percentile of the bootstrap distribution.
    """

    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        """``{"estimate", "low", "high"}`` for result files."""
        return asdict(self)


def iqm(x: npt.ArrayLike, axis: int | None = None) -> Array | float:
    """Interquartile mean: the mean of the middle 50 % (``scipy.stats.trim_mean(x, 0.25)``).

    ``floor(n / 4)`` values are cut from each end of the sorted values (the same rule as SciPy's
    ``trim_mean``, which rliable uses), then the rest is averaged.

    Args:
        x: the scores.
        axis: the axis to reduce; ``None`` flattens ``x`` first.

    Returns:
        A float for ``axis=None``, else an array with ``axis`` removed.

    Raises:
        ValueError: for no values or non-finite values.
    """
    values = _finite(x, "x")
    if axis is None:
        values, axis = values.reshape(-1), 0
    n = values.shape[axis]
    if n == 0:
        raise ValueError("iqm of an empty axis")
    cut = n // 4
    middle = np.take(np.sort(values, axis=axis), np.arange(cut, n - cut), axis=axis)
    result = middle.mean(axis=axis)
    return float(result) if np.ndim(result) == 0 else np.asarray(result, np.float64)


def mean_ci(per_seed: npt.ArrayLike, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> Interval:
    """The mean over seeds with a bootstrap interval that resamples seeds.

    Args:
        per_seed: one score per seed, shape ``(S,)``.
        n_boot: resamples.
        level: confidence level.
        seed: seed of the resampling.
    """
    values = _finite(per_seed, "per_seed")
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"per_seed must be a non-empty 1-D array, got shape {values.shape}")
    estimate, low, high = mean_band(values[:, None], n_boot, level, seed)
    return Interval(float(estimate[0]), float(low[0]), float(high[0]))


_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788,
         2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
         2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)  # fmt: skip
"""Student-t 97.5 % quantiles for 1..30 degrees of freedom."""


def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (two-sided 95 %).

    Tabulated up to 30; beyond, the Cornish-Fisher expansion around the normal quantile (error < 1e-4).

    Raises:
        ValueError: for ``df < 1``.
    """
    if df < 1:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def t_interval(per_seed: npt.ArrayLike) -> Interval | None:
    """The mean over seeds with its 95 % Student-t interval, ``mean ± t(n-1) · s / √n``.

    Assumes the per-seed scores are independent draws of a roughly normal score; for paired
    differences, pass the differences.

    Returns:
        The interval, or ``None`` for a single seed (no spread to estimate).

    Raises:
        ValueError: for no values or non-finite values.
    """
    values = _finite(per_seed, "per_seed").reshape(-1)
    mean = float(values.mean())
    if values.size < 2:
        return None
    half = t_quantile_975(values.size - 1) * float(values.std(ddof=1)) / float(np.sqrt(values.size))
    return Interval(mean, mean - half, mean + half)


def mean_band(
    curves: npt.ArrayLike, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0
) -> tuple[Array, Array, Array]:
    """Pointwise mean over seeds of a set of curves, with a bootstrap band that resamples seeds.

    The same seed resample is used at every point, so the band is that of whole curves.

    Shapes:
        curves: ``(S, T)``, one curve per seed; returns three ``(T,)`` arrays: mean, low, high.
    """
    values = _finite(curves, "curves")
    if values.ndim != 2 or values.shape[0] == 0:
        raise ValueError(f"curves must be a non-empty (seeds, points) array, got shape {values.shape}")
    rng = _rng(n_boot, level, seed)
    seeds = rng.integers(values.shape[0], size=(n_boot, values.shape[0]))
    resampled = values[seeds].mean(axis=1)  # (n_boot, T)
    low, high = _percentiles(resampled, level)
    return values.mean(axis=0), low, high


def iqm_ci(scores: npt.ArrayLike, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> Interval:
    """The IQM of a seeds × cells matrix with a two-way bootstrap (seeds and cells resampled).

    Shapes:
        scores: ``(S, C)``: the score of every seed on every cell.
    """
    values = _matrix(scores, "scores")
    n_seeds, n_cells = values.shape
    rng = _rng(n_boot, level, seed)
    seeds = rng.integers(n_seeds, size=(n_boot, n_seeds))
    cells = rng.integers(n_cells, size=(n_boot, n_cells))
    chunk = max(1, _CHUNK_VALUES // values.size)
    resampled = np.concatenate(
        [
            _iqm_rows(values[seeds[i : i + chunk, :, None], cells[i : i + chunk, None, :]])
            for i in range(0, n_boot, chunk)
        ]
    )
    low, high = _percentiles(resampled, level)
    return Interval(float(iqm(values)), float(low), float(high))


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
    n_seeds, n_cells = values.shape
    if ref.shape != (n_cells,):
        raise ValueError(f"reference must have shape ({n_cells},), got {ref.shape}")
    if ref.mean() == 0:
        raise ValueError("the reference's mean is zero: the ratio is undefined")
    rng = _rng(n_boot, level, seed)
    seeds = rng.integers(n_seeds, size=(n_boot, n_seeds))
    cells = rng.integers(n_cells, size=(n_boot, n_cells))
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
    """IQM of each ``(S, C)`` slice of a ``(B, S, C)`` block."""
    return np.asarray(iqm(block.reshape(block.shape[0], -1), axis=1), np.float64)


def _percentiles(samples: Array, level: float) -> tuple[Array, Array]:
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail], axis=0)
    return low, high


def _rng(n_boot: int, level: float, seed: int) -> np.random.Generator:
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return np.random.default_rng(seed)


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
