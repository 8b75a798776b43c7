"""Rank correlations for fidelity benchmarks: Kendall's tau-b, Spearman's rho and a bootstrap CI, numpy only.

Kendall's tau-b over the ``n (n - 1) / 2`` pairs ``i < j``, with ``s_x = sign(x_i - x_j)`` and
``s_y = sign(y_i - y_j)``:

    tau_b = sum(s_x * s_y) / sqrt((n0 - n1) (n0 - n2)),

where ``n0`` is the number of pairs and ``n1`` (``n2``) the pairs tied in ``x`` (``y``), so
``n0 - n1 = sum(s_x != 0)``. This is ``scipy.stats.kendalltau(x, y, variant="b")``. The pairs are
formed as dense ``(n, n)`` sign matrices, O(n^2) memory, fine for ``n`` up to a few thousand.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _signs(values: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """``sign(v_i - v_j)`` for every ordered pair. Shapes: ``(n,)`` → ``(n, n)``."""
    v = np.asarray(values, np.float64)
    return np.sign(v[:, None] - v[None, :]).astype(np.int8)


def _check(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    a, b = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"x and y must have the same length, got {a.size} and {b.size}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("x and y must not contain NaN")
    return a, b


def _tau_from_signs(sx: npt.NDArray[np.int8], sy: npt.NDArray[np.int8]) -> float:
    """tau-b from sign matrices (every ordered pair counted twice, which cancels in the ratio)."""
    untied_x = np.count_nonzero(sx)
    untied_y = np.count_nonzero(sy)
    if untied_x == 0 or untied_y == 0:
        return float("nan")
    s = int(np.sum(sx.astype(np.int64) * sy))
    return s / float(np.sqrt(float(untied_x) * float(untied_y)))


def kendall_tau_b(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Kendall's tau-b of two samples (tie-corrected); ``nan`` if either sample is constant.

    Shapes:
        ``x``, ``y``: ``(n,)`` → a float in ``[-1, 1]``.

    Raises:
        ValueError: for samples of different lengths or with NaN.
    """
    a, b = _check(x, y)
    return _tau_from_signs(_signs(a), _signs(b))


def average_ranks(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Ranks 1..n, ties sharing their average rank (``scipy.stats.rankdata(method="average")``)."""
    v = np.asarray(values, np.float64).ravel()
    order = np.argsort(v, kind="mergesort")
    _, inverse, counts = np.unique(v[order], return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    ranks = np.empty(v.size, np.float64)
    ranks[order] = (starts + (counts + 1) / 2.0)[inverse]
    return ranks


def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Spearman's rho: Pearson's correlation of average ranks; ``nan`` if either sample is constant.

    Raises:
        ValueError: for samples of different lengths or with NaN.
    """
    a, b = _check(x, y)
    ra, rb = average_ranks(a), average_ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = float(np.sqrt(np.sum(ra * ra) * np.sum(rb * rb)))
    return float(np.sum(ra * rb)) / denominator if denominator > 0 else float("nan")


def bootstrap_tau_b(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of tau-b, resampling items (pairs ``(x_i, y_i)``) with replacement.

    A resample that repeats an item ties it with itself in both samples, which tau-b's tie correction
    handles. Resamples whose tau is undefined (a constant sample) are dropped.

    Returns:
        ``(low, high)``, ``nan`` for both if no resample was defined.

    Raises:
        ValueError: for samples of different lengths or with NaN, or a bad count or level.
    """
    a, b = _check(x, y)
    return _bootstrap(_signs(a), [_signs(b)], n_resamples, confidence, seed)


def bootstrap_tau_b_difference(
    truth: npt.ArrayLike,
    proxy: npt.ArrayLike,
    baseline: npt.ArrayLike,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Paired percentile bootstrap interval of ``tau_b(truth, proxy) - tau_b(truth, baseline)``.

    Both proxies score the same items, so every resample draws the items once for both: the interval
    reflects the difference, not the two taus' separate uncertainties (which share most of their noise).

    Returns:
        ``(low, high)``, ``nan`` for both if no resample was defined.

    Raises:
        ValueError: for samples of different lengths or with NaN, or a bad count or level.
    """
    t, p = _check(truth, proxy)
    b = _check(truth, baseline)[1]
    return _bootstrap(_signs(t), [_signs(p), _signs(b)], n_resamples, confidence, seed)


def _bootstrap(
    truth: npt.NDArray[np.int8],
    proxies: list[npt.NDArray[np.int8]],
    n_resamples: int,
    confidence: float,
    seed: int,
) -> tuple[float, float]:
    """Interval of tau-b of one proxy, or of the difference of two, over item resamples (sign matrices)."""
    if n_resamples < 1 or not 0.0 < confidence < 1.0:
        raise ValueError("n_resamples must be positive and confidence in (0, 1)")
    rng = np.random.default_rng(seed)
    taus = []
    for _ in range(n_resamples):
        index = rng.integers(0, truth.shape[0], truth.shape[0])
        grid = np.ix_(index, index)
        resampled = truth[grid]
        found = [_tau_from_signs(resampled, proxy[grid]) for proxy in proxies]
        taus.append(found[0] if len(found) == 1 else found[0] - found[1])
    values = np.asarray(taus)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def top_overlap(truth: npt.ArrayLike, proxy: npt.ArrayLike, fraction: float = 0.1) -> float:
    """Share of the top ``fraction`` of items by ``truth`` that are also in the top ``fraction`` by ``proxy``.

    Ties at the cut are broken by position (a stable sort), so the top sets have exactly
    ``k = max(1, round(fraction * n))`` items.

    Raises:
        ValueError: for samples of different lengths or with NaN, or a fraction outside (0, 1].
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    a, b = _check(truth, proxy)
    k = max(1, round(fraction * a.size))
    top_a = set(np.argsort(-a, kind="stable")[:k].tolist())
    top_b = set(np.argsort(-b, kind="stable")[:k].tolist())
    return len(top_a & top_b) / k
