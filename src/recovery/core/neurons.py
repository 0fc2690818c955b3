"""Neurons of a wide network (Figures 5 and 8 of arXiv:2405.13787): each neuron's output contribution, which neurons stay active, participation ratio, input-weight directions and their spread, switch-off times, and how the active set ranks against C_i. Pure numpy functions; shapes (trials, width, 1+d)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import spearmanr

from .alignment import canonical_sign

X_GRID = np.linspace(-2.0, 2.0, 101)  # inputs over which a neuron's output contribution is maximized


def neuron_contributions(theta: np.ndarray, x: np.ndarray = X_GRID, chunk: int = 64) -> np.ndarray:
    """c_k = max over x of |a_k σ(w_kᵀ(x, 1))| with σ(u) = u/(1 + u²); ``theta: (..., m, 3)`` → ``(..., m)``."""
    theta = np.asarray(theta, float)
    lead = theta.shape[:-2]
    flat = theta.reshape(-1, *theta.shape[-2:])
    out = np.empty(flat.shape[:2])
    for i in range(0, flat.shape[0], chunk):
        th = flat[i : i + chunk]
        u = th[..., 1, None] * x + th[..., 2, None]  # (c, m, N)
        out[i : i + chunk] = np.abs(th[..., 0, None] * u / (1.0 + u * u)).max(-1)
    return out.reshape(*lead, flat.shape[1])


def active_mask(contrib: np.ndarray, fraction: float) -> np.ndarray:
    """Active neurons: contribution at least ``fraction`` × the largest of the same network (last axis)."""
    c = np.asarray(contrib, float)
    return c >= fraction * c.max(-1, keepdims=True)


def participation_ratio(contrib: np.ndarray) -> np.ndarray:
    """Effective number of neurons (Σc)²/Σc² (m if all contribute equally, 1 if one does); last axis."""
    c = np.asarray(contrib, float)
    return c.sum(-1) ** 2 / (c * c).sum(-1)


def with_canonical_sign(theta: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Flip every neuron of a run by the run's :func:`~recovery.core.alignment.canonical_sign` (σ is odd, so
    (a, w) ~ (−a, −w); with C_i/C_1 > 0 all neurons share that sign), making runs of different seeds comparable.
    ``theta: (R, ..., m, 3)``, ``C: (R, m)``."""
    s = np.array([canonical_sign(c) for c in np.asarray(C, float)])
    return np.asarray(theta) * s.reshape(-1, *([1] * (np.ndim(theta) - 1)))


def direction_angle(theta: np.ndarray) -> np.ndarray:
    """Angle in degrees of each neuron's input weight (slope, bias) in (−180°, 180°]; ``(..., m, 3)`` → ``(..., m)``."""
    theta = np.asarray(theta, float)
    return np.degrees(np.arctan2(theta[..., 2], theta[..., 1]))


def angular_spread(angles: np.ndarray, mask: np.ndarray | None = None) -> float:
    """max − min of the angles (degrees) of the selected neurons (all if ``mask`` is None); 0 if condensed."""
    a = np.asarray(angles, float)
    if mask is not None:
        a = a[np.asarray(mask, bool)]
    return float(a.max() - a.min()) if a.size else float("nan")


def relative_contributions(theta_traj: np.ndarray) -> np.ndarray:
    """c_i(t) / max_j c_j(t) at every checkpoint; ``theta_traj: (K, m, 3)`` → ``(K, m)`` (0 where all are 0)."""
    c = neuron_contributions(theta_traj)
    top = c.max(-1, keepdims=True)
    return np.divide(c, top, out=np.zeros_like(c), where=top > 0)


def switch_off_times(times: np.ndarray, rel: np.ndarray, fraction: float) -> np.ndarray:
    """When each neuron leaves the active set for good: the first checkpoint after its last active one.

    ``times: (K,)``, ``rel: (K, m)`` relative contributions. Returns ``(m,)``: +inf for neurons active at the
    last checkpoint, NaN for neurons never active.
    """
    act = np.asarray(rel) >= fraction
    K = act.shape[0]
    last = K - 1 - np.argmax(act[::-1], axis=0)  # last active checkpoint (garbage where never active)
    out = np.where(last + 1 < K, np.asarray(times)[np.minimum(last + 1, K - 1)], np.inf)
    return np.where(act.any(0), out, np.nan)


def rank_agreement(C: np.ndarray, contrib: np.ndarray, active: np.ndarray) -> dict[str, Any]:
    """Does the final contribution follow |C|? ``C, contrib, active: (m,)``.

    * ``spearman``: rank correlation of |C_i| and c_i over all neurons;
    * ``n_active`` = k, ``top_k_overlap``: fraction of the active neurons among the k largest |C_i|,
      ``exact_top_k``: the active set is exactly the k largest |C_i|;
    * ``ratio_active_min`` / ``ratio_inactive_max``: smallest |C_i|/max|C| of an active neuron and largest of an
      inactive one (a clean cut if the first exceeds the second).
    """
    a = np.abs(np.asarray(C, float))
    act = np.asarray(active, bool)
    k = int(act.sum())
    top = np.argsort(-a, kind="stable")[:k]
    overlap = int(act[top].sum())
    r = a / a.max()
    return {
        "spearman": float(spearmanr(a, contrib).statistic),
        "n_active": k,
        "top_k_overlap": overlap / k if k else float("nan"),
        "exact_top_k": overlap == k,
        "ratio_active_min": float(r[act].min()) if k else float("nan"),
        "ratio_inactive_max": float(r[~act].max()) if k < len(a) else float("nan"),
    }
