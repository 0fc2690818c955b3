"""Statistics used across the book, one definition each: the Wilson interval of a recovery fraction, log-log and
exponential-rate fits of measured curves, the Hill exponent of a tail, and a median of the finite values.

All functions are pure (numpy in, floats or arrays out)."""

from __future__ import annotations

import math

import numpy as np

# The two-sided 95 % normal quantile, scipy.stats.norm.ppf(0.975) to the last digit (tested); a literal, because
# importing scipy.stats costs a second of every command's start-up.
Z95 = 1.959963984540054


def wilson_interval(
    successes: int | np.ndarray, trials: int | np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion k/n (95 % for the default ``z``), elementwise.

    Exactly 0 as the lower bound at k = 0 and exactly 1 as the upper bound at k = n (the closed form leaves
    round-off there); agrees with ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`` (tested).
    NaN where n = 0."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        den = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
        lo = np.where(k <= 0, 0.0, np.clip(centre - half, 0, 1))
        hi = np.where(k >= n, 1.0, np.clip(centre + half, 0, 1))
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def loglog_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares fit log10 y = p·log10 x + b over the finite positive points; (p, b), NaN if < 2 points."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    p, b = np.polyfit(np.log10(x[ok]), np.log10(y[ok]), 1)
    return float(p), float(b)


def fit_exponential_rate(
    times: np.ndarray, loss: np.ndarray, window: tuple[float, float], *, min_points: int = 4
) -> tuple[float, int]:
    """Rate r of ℓ ∝ exp(−r t) fitted (least squares on log ℓ) over the checkpoints with loss in ``window``; the
    window must be left before the end (the last point at or below ``window[0]`` comes later). (r, points);
    NaN if fewer than ``min_points`` points."""
    t, L = np.asarray(times, float), np.asarray(loss, float)
    sel = (L >= window[0]) & (L <= window[1])
    if sel.sum() < min_points or not (L[np.argmax(sel) :] < window[0]).any():
        return float("nan"), int(sel.sum())
    p = np.polyfit(t[sel], np.log(L[sel]), 1)
    return float(-p[0]), int(sel.sum())


def fit_power_law(
    times: np.ndarray, values: np.ndarray, window: tuple[float, float], *, min_points: int = 4
) -> tuple[float, int]:
    """Exponent p of values ∝ t^p fitted on log-log axes over the checkpoints with t in ``window`` (and values
    > 0). (p, points); NaN if fewer than ``min_points`` points."""
    t, v = np.asarray(times, float), np.asarray(values, float)
    sel = (t >= window[0]) & (t <= window[1]) & (v > 0) & np.isfinite(v)
    if sel.sum() < min_points:
        return float("nan"), int(sel.sum())
    p = np.polyfit(np.log(t[sel]), np.log(v[sel]), 1)
    return float(p[0]), int(sel.sum())


def power_law_exponent(gen_error: np.ndarray, eps0: float) -> dict[str, float]:
    """Exponent p of P(error < ε) ∝ ε^p for ε ≤ ``eps0``, by maximum likelihood (Hill estimator).

    Given the k errors below ``eps0``, log(eps0/error) is exponential with rate p under the power law, so p̂ =
    k / Σ log(eps0/error_i) with standard error p̂/√k. NaN when k < 2. A p > 0 means the fraction passing the
    threshold ε vanishes as ε → 0: a set of zero measure.
    """
    ge = np.asarray(gen_error, float).ravel()
    sel = ge[(ge < eps0) & (ge > 0)]
    k = int(sel.size)
    if k < 2:
        return {"exponent": float("nan"), "stderr": float("nan"), "k": k, "eps0": float(eps0)}
    p = k / float(np.log(eps0 / sel).sum())
    return {"exponent": p, "stderr": p / math.sqrt(k), "k": k, "eps0": float(eps0)}


def finite_median(x: np.ndarray) -> float:
    """Median of the finite entries (NaN, without a warning, when there are none)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")
