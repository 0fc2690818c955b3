"""recovery.core.stats: one Wilson interval, one log-log fit, rate fits, the Hill exponent, the finite median."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from scipy.stats import binomtest

from recovery.core import stats


@pytest.mark.parametrize(
    "k, n", [(0, 20), (1, 20), (7, 20), (19, 20), (20, 20), (0, 200), (3, 1000), (400, 400)]
)
def test_wilson_interval_agrees_with_scipy(k, n):
    lo, hi = stats.wilson_interval(k, n)
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert float(lo) == pytest.approx(ci.low, abs=1e-15) and float(hi) == pytest.approx(ci.high, abs=1e-15)


def test_wilson_interval_is_exact_at_the_edges_and_vectorized():
    lo, hi = stats.wilson_interval(np.array([0, 10, 20]), np.array([20, 20, 20]))
    assert lo[0] == 0.0 and hi[2] == 1.0  # exactly, not 1e-18 / 0.9999999999999999
    assert hi[0] == pytest.approx(stats.Z95**2 / (20 + stats.Z95**2), rel=1e-12)  # z²/(n + z²) at k = 0
    assert abs((lo[1] + hi[1]) / 2 - 0.5) < 1e-12
    assert np.isnan(stats.wilson_interval(0, 0)[0])
    assert stats.Z95 == float(scipy.stats.norm.ppf(0.975))  # the literal is the quantile to the last bit


def test_a_wrong_quantile_is_caught():
    lo, hi = stats.wilson_interval(7, 20, z=1.96)  # the old rounded quantile: close, but not scipy's interval
    ci = binomtest(7, 20).proportion_ci(method="wilson")
    assert abs(float(lo) - ci.low) > 1e-6


def test_loglog_fit_recovers_a_power_law_and_ignores_non_positive_points():
    s = np.array([1e-2, 1e-3, 1e-4, 1e-5])
    p, b = stats.loglog_fit(s, 3.0 * s)
    assert p == pytest.approx(1.0) and 10**b == pytest.approx(3.0)
    p, _ = stats.loglog_fit(np.array([1.0, 2.0, 4.0, 8.0]), np.array([1.0, 0.25, np.nan, 1 / 64]))
    assert p == pytest.approx(-2.0)
    assert math.isnan(stats.loglog_fit(s[:1], s[:1])[0])


def test_rate_fits_recover_exact_exponentials_and_power_laws():
    t = np.concatenate([[0.0], np.logspace(-2, 6, 161)])
    loss = 1e-4 * np.exp(-3e-3 * t) + 1e-40
    r, k = stats.fit_exponential_rate(t, loss, (1e-16, 1e-10))
    assert r == pytest.approx(3e-3, rel=1e-6) and k >= 4
    assert math.isnan(
        stats.fit_exponential_rate(t, 1e-12 * np.ones_like(t), (1e-16, 1e-10))[0]
    )  # never leaves
    p, k = stats.fit_power_law(t, 5.0 * np.maximum(t, 1e-3) ** -2.0, (1e4, 1e6))
    assert p == pytest.approx(-2.0, abs=1e-9) and k >= 4
    assert math.isnan(stats.fit_power_law(t, t, (1e7, 1e8))[0])


def test_power_law_exponent_recovers_a_known_exponent():
    rng = np.random.default_rng(0)
    eps0, p = 1e-6, 0.25
    ge = np.concatenate([eps0 * rng.random(4000) ** (1 / p), np.full(500, 1.0)])  # P(ge < e) = (e/eps0)^p
    fit = stats.power_law_exponent(ge, eps0)
    assert fit["k"] == 4000 and abs(fit["exponent"] - p) < 3 * fit["stderr"] and fit["stderr"] < 0.01
    assert math.isnan(stats.power_law_exponent(np.array([1.0, 1e-9]), eps0)["exponent"])


def test_finite_median_skips_nan_and_is_nan_when_empty():
    assert stats.finite_median(np.array([1.0, np.nan, 3.0, np.inf])) == 2.0
    assert math.isnan(stats.finite_median(np.array([np.nan])))
