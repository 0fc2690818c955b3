"""Where Example 1 of arXiv:2405.13787 switches between Q² and Q¹, as a function of |C₁/C₂|: runs started
exactly on Theorem 1's growing direction, classified at a horizon, and a batched bisection on the ratio.

*Ours throughout* (the paper states only its Figure-3 lines 0.74 / 1.35 from 400 random seeds):

* **Start.** Neuron k starts at θ_k(0) = s·c_k·u with u = (1, z/‖z‖)/√2 the growing direction of the linearized
  flow (Theorem 1), c = (r, 1)/‖(r, 1)‖ and r = C₁/C₂ > 0. Then C(θ₀) = s·c exactly and ‖C(θ₀)‖ = s: the
  neutral and decaying directions are absent, so the run is the s → 0 limit trajectory up to the nonlinear
  O(s²) corrections, and the set reached depends on r only. Swapping the two neurons maps r to 1/r.
* **Classification** at a horizon t, two rules on the distances d₁, d₂ to Q¹, Q² (up to tanh's sign flips):
  ``strict`` = the nearer branch with a margin (:func:`recovery.core.theory.classify_limit`: d < ``tol`` and
  ``margin`` times nearer than the other; otherwise *unresolved*), ``forced`` = the nearer branch, every run
  labelled (d₁ < d₂ → Q¹), as a plot that colours every seed must do. Convergence to Q¹ is sublinear
  (d₁ ∝ t^(−1/2)), so near the edge a run stays unresolved for a long time; both rules agree as t → ∞.
* **Edge and bracket.** Below 1 (``low``) small r reaches Q² and r near 1 reaches Q¹; above 1 (``high``) the
  mirror image. On a set of probed ratios the bracket of an edge is [last Q² ratio, first Q¹ ratio] counted from
  the outside; probed ratios inside it are unresolved. The edge is the bracket's midpoint, its uncertainty the
  half-width. ``monotone`` is False when a Q² ratio lies on the Q¹ side of the bracket (or vice versa).
* **Bisection, batched.** Every round places ``n_refine`` new ratios inside every bracket (split between the
  Q² → unresolved and unresolved → Q¹ transitions when the bracket holds unresolved ratios), and all new ratios
  of all brackets run as one batched integration; each run is classified at every horizon at once (the
  integrator lands on the checkpoints).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .descent import gradient_descent
from .dynamics import FlowConfig, gradient_flow
from .models import Activation, Data
from .theory import NEITHER, Q1, Q2, classify_limit, unstable_direction

Tensor = torch.Tensor

SIDES = ("low", "high")
RULES = ("strict", "forced")


def on_growing_direction(
    ratios: np.ndarray | Sequence[float], scales: np.ndarray | Sequence[float] | float, data: Data
) -> Tensor:
    """θ₀ ``(B, 2, 1+d)`` with neuron k = s·c_k·u, c = (r, 1)/‖(r, 1)‖, so C(θ₀) = s·c and C₁/C₂ = r (Theorem 1).

    ``ratios: (B,)`` positive; ``scales`` one number or ``(B,)``; ``data`` the batch's training data (``B``
    trials), whose z = Σ y_i x_i fixes u.
    """
    r = torch.as_tensor(np.asarray(ratios, dtype=np.float64))
    if (r <= 0).any() or not torch.isfinite(r).all():
        raise ValueError("ratios must be finite and > 0")
    s = torch.as_tensor(np.broadcast_to(np.asarray(scales, dtype=np.float64), r.shape).copy())
    c = torch.stack([r, torch.ones_like(r)], dim=1)
    c = c / torch.linalg.vector_norm(c, dim=1, keepdim=True)
    u = unstable_direction(data)  # (B, 1+d)
    return (s[:, None] * c)[..., None] * u[:, None, :]


def label_rules(
    theta: Tensor, target_neuron: np.ndarray, odd: bool = True, *, tol: float = 0.1, margin: float = 2.0
) -> np.ndarray:
    """Labels (Q1=1, Q2=2, unresolved=0) of ``theta: (..., m, 1+d)`` under both rules, ``(..., 2)``: [strict,
    forced]. NaN parameters (a diverged run) are unresolved under both."""
    strict = classify_limit(theta, target_neuron, odd, tol=tol, margin=margin)
    forced = classify_limit(theta, target_neuron, odd, tol=math.inf, margin=1.0)
    return torch.stack([strict, forced], dim=-1).numpy().astype(np.int8)


@dataclass(frozen=True)
class Bracket:
    """The bracket of one edge on the probed ratios (see the module docstring). NaN ends where not found."""

    lo: float  # the smaller end (low side: ``outer``; high side: ``inner``)
    hi: float  # the larger end
    outer: float  # the last ratio reaching Q² before the bracket (outside end)
    inner: float  # the first ratio reaching Q¹ (inside end)
    unresolved: tuple[float, ...]  # probed ratios inside the bracket left unresolved
    monotone: bool
    found: bool  # both ends found inside the search window

    @property
    def edge(self) -> float:
        return 0.5 * (self.lo + self.hi)

    @property
    def half_width(self) -> float:
        return 0.5 * (self.hi - self.lo)


def edge_bracket(ratios: np.ndarray, labels: np.ndarray, side: str, window: tuple[float, float]) -> Bracket:
    """Bracket of the ``side`` edge (``low`` or ``high``) from probed ``ratios`` and their ``labels``.

    Counted from the outside of the window (small r on the low side, large r on the high side): ``inner`` is the
    first Q¹ ratio, ``outer`` the last Q² ratio. If every Q² ratio comes before every Q¹ ratio (``monotone``) the
    bracket is [outer, inner] with the unresolved ratios between; otherwise the labels interleave in a mixed zone
    (e.g. integration error deciding runs that pass very near Q¹ ∩ Q²) and the bracket is that whole zone.
    Missing ends are the window's ends (``found`` False).
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}")
    r = np.asarray(ratios, float)
    lab = np.asarray(labels)
    d = r if side == "low" else -r  # distance counted from the outside of the window
    order = np.argsort(d)
    r, lab = r[order], lab[order]
    outside_end, inside_end = (window[0], window[1]) if side == "low" else (window[1], window[0])
    q1, q2 = np.flatnonzero(lab == Q1), np.flatnonzero(lab == Q2)
    i = int(q1[0]) if q1.size else len(r)
    j = int(q2[-1]) if q2.size else -1
    inner = float(r[i]) if q1.size else inside_end
    outer = float(r[j]) if q2.size else outside_end
    monotone = j < i
    a, b = (j, i) if monotone else (i, j)
    unres = tuple(float(v) for v, lv in zip(r[a + 1 : b], lab[a + 1 : b]) if lv == NEITHER)
    lo, hi = min(outer, inner), max(outer, inner)
    return Bracket(lo, hi, outer, inner, tuple(sorted(unres)), bool(monotone), bool(q1.size and q2.size))


def refine_points(br: Bracket, n: int) -> np.ndarray:
    """``n`` new ratios inside the bracket: evenly inside it, or split between the Q² → unresolved and the
    unresolved → Q¹ transitions when the bracket holds unresolved ratios."""
    if br.unresolved and br.monotone:
        u = sorted(br.unresolved, key=lambda v: abs(v - br.outer))
        k = max(n // 2, 1)
        a = np.linspace(br.outer, u[0], k + 2)[1:-1]
        b = np.linspace(u[-1], br.inner, n - k + 2)[1:-1]
        return np.concatenate([a, b])
    return np.linspace(br.lo, br.hi, n + 2)[1:-1]


Evaluate = Callable[[list[tuple[object, np.ndarray]]], list[np.ndarray]]


def bisect_edges(
    evaluate: Evaluate,
    groups: Sequence[object],
    n_checkpoints: int,
    *,
    windows: dict[str, tuple[float, float]],
    n_initial: int = 24,
    n_refine: int = 8,
    rounds: int = 3,
    wanted: Callable[[object, str, int, int], bool] | None = None,
) -> dict[tuple[object, str], tuple[np.ndarray, np.ndarray]]:
    """Batched bisection of both edges for every group (a scale, a learning rate, …).

    ``evaluate([(group, ratios), ...])`` runs all requested ratios (of all groups) as one batched program and
    returns, per request, labels ``(len(ratios), n_checkpoints, n_rules)``. Round 0 probes ``n_initial`` evenly
    spaced ratios per side window; each of ``rounds`` further rounds probes ``n_refine`` ratios inside every
    bracket (group, side, checkpoint, rule) for which ``wanted(group, side, checkpoint, rule)`` is true (all by
    default). Returns, per (group, side), every probed ratio and its labels.
    """
    store: dict[tuple[object, str], tuple[np.ndarray, np.ndarray]] = {}
    requests = [(g, side, np.linspace(*windows[side], n_initial)) for g in groups for side in SIDES]
    for rnd in range(rounds + 1):
        if not requests:
            break
        labels = evaluate([(g, r) for g, _, r in requests])
        for (g, side, r), lab in zip(requests, labels):
            if (g, side) in store:
                r0, l0 = store[(g, side)]
                r, lab = np.concatenate([r0, r]), np.concatenate([l0, lab])
            store[(g, side)] = (r, lab)
        if rnd == rounds:
            break
        requests = []
        for (g, side), (r, lab) in store.items():
            new: list[np.ndarray] = []
            for k in range(lab.shape[1]):
                for q in range(lab.shape[2]):
                    if wanted is not None and not wanted(g, side, k, q):
                        continue
                    new.append(refine_points(edge_bracket(r, lab[:, k, q], side, windows[side]), n_refine))
            if new:
                pts = np.setdiff1d(np.unique(np.round(np.concatenate(new), 12)), np.round(r, 12))
                if pts.size:
                    requests.append((g, side, pts))
    return store


def bracket_table(
    store: dict[tuple[object, str], tuple[np.ndarray, np.ndarray]],
    groups: Sequence[object],
    n_checkpoints: int,
    n_rules: int,
    windows: dict[str, tuple[float, float]],
) -> dict[str, np.ndarray]:
    """Arrays ``(len(groups), 2 sides, n_checkpoints, n_rules)``: edge, lo, hi, half_width, the unresolved count,
    monotone and found flags, and the number of probed ratios per (group, side)."""
    shape = (len(groups), len(SIDES), n_checkpoints, n_rules)
    out = {k: np.full(shape, np.nan) for k in ("edge", "lo", "hi", "half_width")}
    out["n_unresolved"] = np.zeros(shape, int)
    out["monotone"] = np.zeros(shape, bool)
    out["found"] = np.zeros(shape, bool)
    out["n_probed"] = np.zeros((len(groups), len(SIDES)), int)
    for gi, g in enumerate(groups):
        for si, side in enumerate(SIDES):
            r, lab = store[(g, side)]
            out["n_probed"][gi, si] = len(r)
            for k in range(n_checkpoints):
                for q in range(n_rules):
                    br = edge_bracket(r, lab[:, k, q], side, windows[side])
                    idx = (gi, si, k, q)
                    out["edge"][idx], out["lo"][idx], out["hi"][idx] = br.edge, br.lo, br.hi
                    out["half_width"][idx] = br.half_width
                    out["n_unresolved"][idx] = len(br.unresolved)
                    out["monotone"][idx], out["found"][idx] = br.monotone, br.found
    return out


def crossing_time(times: np.ndarray, edges: np.ndarray, value: float) -> float:
    """The first time at which the edge-against-horizon curve crosses ``value``, interpolated linearly in
    log t between the two horizons around the crossing (NaN if it never crosses). An observation, not a fit."""
    t = np.asarray(times, float)
    e = np.asarray(edges, float) - value
    for i in range(len(t) - 1):
        if np.isfinite(e[i]) and np.isfinite(e[i + 1]) and e[i] * e[i + 1] <= 0 and e[i] != e[i + 1]:
            f = e[i] / (e[i] - e[i + 1])
            return float(10 ** (math.log10(t[i]) + f * (math.log10(t[i + 1]) - math.log10(t[i]))))
        if e[i] == 0:
            return float(t[i])
    return float("nan")


def flow_evaluator(
    data: Data,
    act: Activation,
    cfg: FlowConfig,
    target_neuron: np.ndarray,
    *,
    tol: float = 0.1,
    margin: float = 2.0,
    progress: bool = False,
) -> Evaluate:
    """An ``evaluate`` for :func:`bisect_edges` by gradient flow: groups are initialization scales; all requested
    ratios of all scales start on the growing direction (:func:`on_growing_direction`) and run as ONE call of
    :func:`recovery.core.dynamics.gradient_flow`; labels at every checkpoint after t = 0, both rules.
    ``data`` holds one trial's training set (it is repeated over the batch)."""

    def evaluate(requests: list[tuple[object, np.ndarray]]) -> list[np.ndarray]:
        ratios = np.concatenate([r for _, r in requests])
        scales = np.concatenate([np.full(len(r), float(g)) for g, r in requests])  # type: ignore[arg-type]
        idx = torch.zeros(len(ratios), dtype=torch.long)
        d = data.select(idx)
        res = gradient_flow(
            on_growing_direction(ratios, scales, d),
            d,
            act,
            cfg,
            progress=progress,
            desc=f"bisection ({len(ratios)} runs)",
        )
        lab = label_rules(res.theta[:, 1:], target_neuron, act.odd, tol=tol, margin=margin)
        return np.split(lab, np.cumsum([len(r) for _, r in requests])[:-1])

    return evaluate


def descent_evaluator(
    data: Data,
    activation: str,
    scale: float,
    epochs: Sequence[int],
    target_neuron: np.ndarray,
    *,
    odd: bool = True,
    tol: float = 0.1,
    margin: float = 2.0,
) -> Evaluate:
    """An ``evaluate`` for :func:`bisect_edges` by plain gradient descent: groups are learning rates; every run
    starts on the growing direction at ``scale`` and is labelled after each epoch count (both rules)."""

    def evaluate(requests: list[tuple[object, np.ndarray]]) -> list[np.ndarray]:
        ratios = np.concatenate([r for _, r in requests])
        lrs = np.concatenate([np.full(len(r), float(g)) for g, r in requests])  # type: ignore[arg-type]
        d = data.select(torch.zeros(len(ratios), dtype=torch.long))
        th = gradient_descent(on_growing_direction(ratios, scale, d), d, lrs, epochs, activation=activation)
        lab = label_rules(torch.from_numpy(th), target_neuron, odd, tol=tol, margin=margin)
        return np.split(lab, np.cumsum([len(r) for _, r in requests])[:-1])

    return evaluate


__all__ = [
    "SIDES",
    "RULES",
    "NEITHER",
    "Bracket",
    "on_growing_direction",
    "label_rules",
    "edge_bracket",
    "refine_points",
    "bisect_edges",
    "bracket_table",
    "crossing_time",
    "flow_evaluator",
    "descent_evaluator",
]
