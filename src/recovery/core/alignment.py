"""Theorem 1 of arXiv:2405.13787 applied to trajectories: under small initialization two runs with the same C(θ₀)/‖C(θ₀)‖ coincide after a time shift log(‖C_ref‖/‖C‖)/‖z‖. Lags, log-loss gaps (Figures 2, 5, 7, 8), Hermite interpolation of a flow and the aligned distance between runs (the Theorem-1 page). Pure functions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.interpolate import CubicSpline

from .models import Data, get_activation, loss_and_grad, loss_grad_hessian
from .theory import theorem1_time_shift


@dataclass(frozen=True)
class Gap:
    """Largest |log10 ℓ(t + lag) − log10 ℓ_ref(t)| over the window [t_lo, t_hi] of reference times, the time
    ``t_at_max`` where it is reached and the reference's loss there."""

    gap: float
    t_at_max: float
    loss_at_max: float
    t_lo: float
    t_hi: float


def _valid_end(times: np.ndarray, loss: np.ndarray, loss_floor: float, t_end: float) -> float:
    """Last checkpoint time up to which the run was integrated and its loss is at least ``loss_floor``."""
    ok = (times <= t_end) & (loss >= loss_floor)
    bad = np.flatnonzero(~ok)
    last = (bad[0] - 1) if bad.size else len(times) - 1
    return float(times[max(last, 0)])


def log_loss_difference(
    times: np.ndarray,
    loss: np.ndarray,
    times_ref: np.ndarray,
    loss_ref: np.ndarray,
    lag: float = 0.0,
    *,
    loss_floor: float = 1e-20,
    t_end: float = math.inf,
    t_end_ref: float = math.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """log10 ℓ(t + lag) − log10 ℓ_ref(t) at the reference's checkpoint times t in the common window.

    ``times: (K,)``, ``loss: (K,)`` (and the reference's) are checkpointed loss curves; ``lag`` is the time by
    which the run lags the reference (Theorem 1: log(‖C_ref‖/‖C‖)/‖z‖, 0 for the unaligned comparison). The
    window is where both runs were integrated (t ≤ ``t_end``) and both losses are ≥ ``loss_floor``; ℓ between
    checkpoints is a cubic spline of log10 ℓ in t. Returns ``(t, diff)`` (empty if the window is empty).
    """
    times, loss = np.asarray(times, float), np.asarray(loss, float)
    times_ref, loss_ref = np.asarray(times_ref, float), np.asarray(loss_ref, float)
    hi_run, hi_ref = (
        _valid_end(times, loss, loss_floor, t_end),
        _valid_end(times_ref, loss_ref, loss_floor, t_end_ref),
    )
    lo = max(times_ref[0], times[0] - lag)
    hi = min(hi_ref, hi_run - lag)
    sel = (times_ref >= lo) & (times_ref <= hi)
    t = times_ref[sel]
    if t.size == 0:
        return t, t.copy()
    upto = times <= min(t_end, times[-1])
    fit = upto & (loss > 0)
    spline = CubicSpline(times[fit], np.log10(loss[fit]))
    return t, spline(t + lag) - np.log10(loss_ref[sel])


def log_loss_gap(
    times: np.ndarray,
    loss: np.ndarray,
    times_ref: np.ndarray,
    loss_ref: np.ndarray,
    lag: float = 0.0,
    *,
    loss_floor: float = 1e-20,
    t_end: float = math.inf,
    t_end_ref: float = math.inf,
) -> Gap:
    """The log-loss gap of Figures 2 and 5: max |log10 ℓ(t + lag) − log10 ℓ_ref(t)| (see
    :func:`log_loss_difference`), with where it is reached; NaN if the window is empty."""
    t, d = log_loss_difference(
        times, loss, times_ref, loss_ref, lag, loss_floor=loss_floor, t_end=t_end, t_end_ref=t_end_ref
    )
    if t.size == 0:
        nan = float("nan")
        return Gap(nan, nan, nan, nan, nan)
    j = int(np.argmax(np.abs(d)))
    loss_ref = np.asarray(loss_ref, float)
    return Gap(
        float(abs(d[j])),
        float(t[j]),
        float(loss_ref[np.searchsorted(times_ref, t[j])]),
        float(t[0]),
        float(t[-1]),
    )


def theorem1_lags(C: np.ndarray, C_ref: np.ndarray, rate: float) -> np.ndarray:
    """Lag of each run behind the reference, log(‖C_ref‖/‖C_i‖)/‖z‖ (Theorem 1); ``C: (R, m)`` → ``(R,)``."""
    C_t = torch.as_tensor(np.asarray(C, float))
    ref = torch.as_tensor(np.asarray(C_ref, float)).expand_as(C_t)
    return theorem1_time_shift(ref, C_t, float(rate)).numpy()


def linear_regime(
    gaps: np.ndarray, floor: float, *, upper: float = 0.1, above_floor: float = 10.0
) -> np.ndarray:
    """Mask of gaps in the O(s) regime: above ``above_floor`` × the numerical floor, below ``upper``."""
    g = np.asarray(gaps, float)
    return np.isfinite(g) & (g > above_floor * floor) & (g < upper)


def aligned_time(times: np.ndarray, C: np.ndarray, rate: float) -> np.ndarray:
    """τ = t + log‖C(θ₀)‖/‖z‖ (Theorem 1); ``times: (K,)``, ``C: (m,)`` → ``(K,)``."""
    return np.asarray(times, float) + math.log(float(np.linalg.norm(C))) / float(rate)


def canonical_sign(C: np.ndarray) -> float:
    """±1 that maps a run to C₁ > 0: tanh is odd, so θ → −θ maps trajectories to trajectories (and C to −C)."""
    return 1.0 if float(np.asarray(C).reshape(-1)[0]) >= 0 else -1.0


def flow_jets(
    theta: np.ndarray, data: Data, act_name: str = "tanh"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """θ, θ̇ = −∇ℓ(θ) and θ̈ = ∇²ℓ(θ)∇ℓ(θ) at each checkpoint of one run, flattened: ``(K, m, 1+d)`` → 3 × ``(K, P)``.

    ``data`` is the run's training set (batch of one); gradient and Hessian are the closed forms of
    :func:`recovery.models.loss_grad_hessian`.
    """
    th = torch.as_tensor(np.asarray(theta, float))
    K = th.shape[0]
    d = Data(data.X.expand(K, -1, -1), data.y.expand(K, -1), data.mask.expand(K, -1))
    _, g, H = loss_grad_hessian(th, d, get_activation(act_name))
    g = g.reshape(K, -1)
    acc = torch.bmm(H, g[..., None])[..., 0]
    return th.reshape(K, -1).numpy(), (-g).numpy(), acc.numpy()


def hermite5(t: np.ndarray, y: np.ndarray, v: np.ndarray, a: np.ndarray, tq: np.ndarray) -> np.ndarray:
    """Quintic Hermite interpolation of ``y: (K, P)`` with first and second derivatives ``v``, ``a`` given at the
    increasing knots ``t: (K,)``, evaluated at ``tq: (Q,)`` inside [t₀, t_K] → ``(Q, P)`` (error O(Δt⁶ y⁽⁶⁾))."""
    t = np.asarray(t, float)
    tq = np.asarray(tq, float)
    j = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, len(t) - 2)
    h = (t[j + 1] - t[j])[:, None]
    u = ((tq - t[j]) / (t[j + 1] - t[j]))[:, None]
    u2, u3, u4, u5 = u * u, u**3, u**4, u**5
    h00 = 1 - 10 * u3 + 15 * u4 - 6 * u5
    h10 = u - 6 * u3 + 8 * u4 - 3 * u5
    h20 = 0.5 * (u2 - 3 * u3 + 3 * u4 - u5)
    h01 = 10 * u3 - 15 * u4 + 6 * u5
    h11 = -4 * u3 + 7 * u4 - 3 * u5
    h21 = 0.5 * (u3 - 2 * u4 + u5)
    return (
        h00 * y[j]
        + h * h10 * v[j]
        + h * h * h20 * a[j]
        + h01 * y[j + 1]
        + h * h11 * v[j + 1]
        + h * h * h21 * a[j + 1]
    )


def interpolation_error(times: np.ndarray, theta: np.ndarray, data: Data, t_end: float = math.inf) -> float:
    """Estimated error of :func:`hermite5` at the checkpoint spacing of one run: interpolate from every other
    checkpoint to the ones skipped (spacing doubled, error × 2⁶ for a sixth-order method) and divide by 64."""
    t = np.asarray(times, float)
    keep = t <= t_end
    t = t[keep]
    y, v, a = flow_jets(np.asarray(theta, float)[keep], data)
    if len(t) < 3:
        return float("nan")
    even, odd = slice(0, None, 2), slice(1, None, 2)
    q = t[odd]
    q = q[q <= t[even][-1]]
    est = hermite5(t[even], y[even], v[even], a[even], q)
    return float(np.linalg.norm(est - y[odd][: len(q)], axis=1).max() / 64.0)


def losses_at(theta_flat: np.ndarray, data: Data, width: int = 2, act_name: str = "tanh") -> np.ndarray:
    """ℓ(θ) at each row of ``theta_flat: (Q, P)`` on one training set (batch of one) → ``(Q,)``."""
    th = torch.as_tensor(np.asarray(theta_flat, float)).reshape(len(theta_flat), width, -1)
    Q = th.shape[0]
    d = Data(data.X.expand(Q, -1, -1), data.y.expand(Q, -1), data.mask.expand(Q, -1))
    loss, _ = loss_and_grad(th, d, get_activation(act_name))
    return loss.numpy()


@dataclass(frozen=True)
class Alignment:
    """The comparison of one run with a reference in aligned time (see the module docstring)."""

    distance: float  # max over the window of ‖θ(τ) − θ_ref(τ)‖
    tau_at_max: float
    loss_gap: float  # max |log10 ℓ(τ) − log10 ℓ_ref(τ)| where both ≥ loss_floor
    final_distance: float  # ‖θ(τ) − θ_ref(τ)‖ at the end of the window
    tau: np.ndarray  # the window (the reference's checkpoints)
    profile: np.ndarray  # ‖θ(τ) − θ_ref(τ)‖ over the window


def align(
    run: dict[str, Any],
    ref: dict[str, Any],
    rate: float,
    data: Data,
    *,
    tau_min: float = -math.inf,
    tau_max: float = math.inf,
    loss_floor: float = 1e-20,
) -> Alignment:
    """Compare a run with a reference after the Theorem-1 shift (both mapped to C₁ > 0).

    ``run`` / ``ref``: dicts with ``times (K,)``, ``theta (K, m, 1+d)``, ``loss (K,)``, ``C (m,)`` and
    ``t_end`` (last integrated time). The reference is used at its own checkpoints, the run through
    :func:`hermite5`. Returns NaNs if the window is empty.
    """
    sr, sx = canonical_sign(ref["C"]), canonical_sign(run["C"])
    t_ref = np.asarray(ref["times"], float)
    tau_ref = aligned_time(t_ref, ref["C"], rate)
    shift_run = math.log(float(np.linalg.norm(run["C"]))) / rate
    tq = tau_ref - shift_run  # the run's own time at the reference's aligned checkpoints
    t_run = np.asarray(run["times"], float)
    ok = (tq >= t_run[0]) & (tq <= min(float(run["t_end"]), t_run[-1])) & (t_ref <= float(ref["t_end"]))
    ok &= (tau_ref >= tau_min) & (tau_ref <= tau_max)
    if not ok.any():
        nan = float("nan")
        return Alignment(nan, nan, nan, nan, np.empty(0), np.empty(0))
    m = int(np.asarray(run["theta"]).shape[1])
    y, v, a = flow_jets(np.asarray(run["theta"], float), data)
    th = sx * hermite5(t_run, y, v, a, tq[ok])
    th_ref = sr * np.asarray(ref["theta"], float).reshape(len(t_ref), -1)[ok]
    prof = np.linalg.norm(th - th_ref, axis=1)
    j = int(np.argmax(prof))
    loss_run = losses_at(th, data, m)
    loss_ref = np.asarray(ref["loss"], float)[ok]
    both = (loss_run >= loss_floor) & (loss_ref >= loss_floor)
    gap = (
        float(np.max(np.abs(np.log10(loss_run[both]) - np.log10(loss_ref[both]))))
        if both.any()
        else float("nan")
    )
    return Alignment(float(prof[j]), float(tau_ref[ok][j]), gap, float(prof[-1]), tau_ref[ok], prof)


def converged_mask(
    d: np.ndarray, d_check: np.ndarray | None, tol: float, *, upper: float = 0.1
) -> np.ndarray:
    """Distances that are not integrator-limited (relative change < ``tol`` between the two tolerances) and in
    the small-s regime (< ``upper``). Without a check, every finite distance below ``upper`` counts."""
    d = np.asarray(d, float)
    ok = np.isfinite(d) & (d > 0) & (d < upper)
    if d_check is None:
        return ok
    dc = np.asarray(d_check, float)
    return ok & np.isfinite(dc) & (np.abs(dc - d) <= tol * d)


def limit_spread(final_theta: np.ndarray, C: np.ndarray) -> float:
    """Largest pairwise distance between the end points of several runs (each mapped to C₁ > 0)."""
    th = np.asarray(final_theta, float).reshape(len(final_theta), -1)
    th = th * np.array([canonical_sign(c) for c in C])[:, None]
    diff = th[:, None, :] - th[None, :, :]
    return float(np.sqrt((diff**2).sum(-1)).max())
