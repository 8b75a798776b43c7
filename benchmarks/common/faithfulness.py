"""How faithful a proxy reward is on NAS-Bench-201, measured the way NAT uses it.

Every function takes accuracies indexed by cell code (``(5**6,)`` arrays): the proxy's (a supernet's,
NaN where unscored), and the table's validation and test accuracies (the truth). Four views:

* **global**: Kendall's tau-b and Spearman's rho between proxy and truth over a sample of cells;
* **neighbourhood tau**: per input cell β, tau-b over β and all its legal NAT rewrites: what a policy
  choosing among rewrites of β sees;
* **sign agreement**: over (β, α) pairs of a neighbourhood whose true gain is at least ``threshold``
  points in size, the share where the proxy's reward acc(α) − acc(β) has the true sign (a tie of the
  proxy counts as a disagreement);
* **the proxy's best rewrite**: the α the proxy ranks first in β's neighbourhood (β wins ties), scored by
  the table's test gain against the oracle's (the best rewrite by the table's validation accuracy):
  what a perfect optimiser of the proxy reward would achieve, with no learner in the way.

Intervals are percentile bootstraps: over cells for the global tau (SciPy's, through
:mod:`benchmarks.common.rank`), over input cells for the others (:func:`summarise`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks.common import rank, stats
from nat_env.nb201.oracle import oracle, rewrites
from nat_env.supernet.calibration import CalibrationConfig

Array = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int64]


def supernet_overrides(variant: str) -> dict[str, Any]:
    """The env overrides of a variant's supernet: the variant's own on top of no reward calibration and
    :class:`CalibrationConfig`'s defaults (a variant names every change to the supernet as trained, whatever
    calibration its preset fits by default: ``calibration_landmarks=32`` fine-tunes 200 batches)."""
    unset = {f"calibration_{k}": v for k, v in asdict(CalibrationConfig()).items()}
    return {**unset, **variant_overrides(variant)}


def variant_overrides(variant: str) -> dict[str, Any]:
    """The env overrides of a supernet training variant: ``base`` (none) or ``+``-joined ``field=value``
    parts, values read as JSON where they parse (``lr=0.025+sampler=unique``).

    Raises:
        SystemExit: for a part without ``=``.
    """
    if variant == "base":
        return {}
    found: dict[str, Any] = {}
    for part in variant.split("+"):
        key, sep, value = part.partition("=")
        if not sep:
            raise SystemExit(f"variant {variant!r}: expected field=value parts, got {part!r}")
        try:
            found[key] = json.loads(value)
        except json.JSONDecodeError:
            found[key] = value
    return found


def neighbourhoods(inputs: Codes) -> list[Codes]:
    """β and its distinct legal NAT rewrites, β first, for every input code."""
    found = []
    for code, row in zip(inputs.tolist(), rewrites(inputs), strict=True):
        others = np.unique(row)
        found.append(np.concatenate([[code], others[others != code]]).astype(np.int64))
    return found


def needed(inputs: Codes, sample: Codes) -> Codes:
    """Every code the local and global views read: the neighbourhoods of ``inputs`` and ``sample``."""
    members = [sample, *neighbourhoods(inputs)]
    return np.unique(np.concatenate(members)).astype(np.int64)


def global_view(
    proxy: Array,
    val: Array,
    test: Array,
    sample: Codes,
    connected: npt.NDArray[np.bool_],
    n_boot: int,
    seed: int,
) -> dict[str, Any]:
    """tau-b (with its interval), Spearman's rho and the mean proxy accuracy, over all and connected cells."""
    found: dict[str, Any] = {}
    for subset, keep in (("all", np.ones_like(connected)), ("connected", connected)):
        codes = sample[keep]
        found[subset] = {
            "tau": rank.kendall_tau_b(val[codes], proxy[codes]),
            "tau_ci": list(rank.bootstrap_tau_b(val[codes], proxy[codes], n_boot, seed=seed)),
            "spearman": rank.spearman(val[codes], proxy[codes]),
            "tau_test": rank.kendall_tau_b(test[codes], proxy[codes]),
            "mean_accuracy": float(proxy[codes].mean()),
        }
    return found


def local_view(
    proxy: Array, val: Array, test: Array, inputs: Codes, threshold: float, n_boot: int, seed: int
) -> dict[str, Any]:
    """Neighbourhood tau, sign agreement and the proxy's best rewrite against the oracle.

    Args:
        proxy, val, test: accuracies (fractions) by cell code.
        inputs: the input cells β.
        threshold: the smallest true gain (points) of a pair counted by the sign agreement.
        n_boot: bootstrap resamples over inputs.
        seed: seed of the bootstraps.
    """
    taus, agree, pairs, ties = [], [], [], []
    for members in neighbourhoods(inputs):
        if np.isnan(proxy[members]).any():
            raise ValueError(f"the proxy lacks cells of the neighbourhood of {int(members[0])}")
        taus.append(rank.kendall_tau_b(val[members], proxy[members]))
        true = 100 * (val[members[1:]] - val[members[0]])
        said = proxy[members[1:]] - proxy[members[0]]
        counted = np.abs(true) >= threshold
        agree.append(float(np.sum(np.sign(said[counted]) == np.sign(true[counted]))))
        pairs.append(float(counted.sum()))
        ties.append(float(np.sum(said[counted] == 0)))
    chosen = oracle(inputs, proxy, test)
    best = oracle(inputs, val, test)
    gain, ceiling = 100 * chosen.gains.test, 100 * best.gains.test
    per_input = {
        "tau": taus,
        "agree": agree,
        "pairs": pairs,
        "gain": gain.tolist(),
        "oracle": ceiling.tolist(),
    }
    return {
        **summarise(per_input, n_boot, seed),
        "per_input": per_input,
        "proxy_ties": float(np.sum(ties) / max(np.sum(pairs), 1.0)),
        "best_rewrite_table_val_gain": float(100 * (val[chosen.alpha_codes] - val[inputs]).mean()),
        "kept_beta": float(np.mean(chosen.alpha_codes == inputs)),
    }


def summarise(per_input: dict[str, Any], n_boot: int, seed: int) -> dict[str, Any]:
    """The local view's statistics with bootstrap intervals over inputs, from its per-input numbers.

    Resamples whose oracle gain (or pair count) is zero leave the ratio undefined and are skipped.
    """
    x = _arrays(per_input)
    draws = _draws(len(x["tau"]), n_boot, seed)
    found = _measures(x, draws)
    regret = (x["oracle"] - x["gain"])[draws].mean(1)
    gain = x["gain"][draws].mean(1)
    return {
        "inputs": len(x["tau"]),
        "neighbourhood_tau": _interval(found[0]),
        "sign_agreement": _interval(found[1]),
        "pairs": int(x["pairs"].sum()),
        "best_rewrite_test_gain": _interval(gain),
        "oracle_test_gain": float(x["oracle"].mean()),
        "fraction_of_oracle_test": _interval(found[2]),
        "regret_test": _interval(regret),
    }


MEASURES = ("neighbourhood_tau", "sign_agreement", "fraction_of_oracle_test")
"""The local statistics that variants are compared by."""


def paired_differences(
    ours: dict[str, Any], theirs: dict[str, Any], n_boot: int, seed: int
) -> dict[str, dict[str, float]]:
    """Our local statistics minus theirs on the same inputs, with a paired bootstrap over inputs.

    Args:
        ours, theirs: the ``per_input`` numbers of two local views of the same input cells.
    """
    a, b = _arrays(ours), _arrays(theirs)
    if len(a["tau"]) != len(b["tau"]):
        raise ValueError("paired differences need the same input cells")
    draws = _draws(len(a["tau"]), n_boot, seed)
    with np.errstate(invalid="ignore"):
        difference = _measures(a, draws) - _measures(b, draws)
    return {name: _interval(difference[i]) for i, name in enumerate(MEASURES)}


def _arrays(per_input: dict[str, Any]) -> dict[str, Array]:
    return {key: np.asarray(value, np.float64) for key, value in per_input.items()}


def _draws(n: int, n_boot: int, seed: int) -> npt.NDArray[np.int64]:
    """Row 0: the inputs as observed; rows 1..: bootstrap resamples of them."""
    rng = np.random.default_rng(seed)
    return np.concatenate([np.arange(n)[None], rng.integers(n, size=(n_boot, n))])


def _measures(x: dict[str, Array], rows: npt.NDArray[np.int64]) -> Array:
    """Mean neighbourhood tau, sign agreement and fraction of the oracle of each resample. ``(3, R)``."""
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN resample of taus gives NaN
        tau = np.nanmean(np.where(np.isfinite(x["tau"]), x["tau"], np.nan)[rows], axis=1)
        sign = x["agree"][rows].sum(1) / x["pairs"][rows].sum(1)
        fraction = x["gain"][rows].mean(1) / x["oracle"][rows].mean(1)
    return np.stack([tau, sign, fraction])


def _interval(values: Array, level: float = stats.LEVEL) -> dict[str, float]:
    """The observed value (row 0) and the percentile interval of the finite resamples."""
    rest = values[1:][np.isfinite(values[1:])]
    low, high = np.percentile(rest, [50 * (1 - level), 50 * (1 + level)]) if rest.size else (np.nan, np.nan)
    return {"estimate": float(values[0]), "low": float(low), "high": float(high)}
