"""The Hessian of the training loss at the global minima Q¹ and Q² of Example 1 (arXiv:2405.13787), where the
loss is and is not Morse–Bott, and the convergence rates gradient flow actually shows there.

Definitions (ours, stated on the page):

* At a global minimum θ with zero loss the residual term of the Hessian vanishes, H = JᵀJ with J the n × P
  Jacobian of the outputs on the training inputs, so #zero eigenvalues of H = P − rank J. Every direction
  along the set M of global minima is a zero eigenvalue: dim_θ M ≤ #zero eigenvalues.
* The loss is *Morse–Bott* at θ when M is, near θ, a manifold whose tangent space is the whole kernel of H,
  i.e. when the local dimension of M equals the number of zero eigenvalues. Then the loss grows quadratically
  away from M and gradient flow converges to M exponentially, at the rate set by the smallest nonzero
  eigenvalue λ_min (loss ∝ exp(−2λ_min t)). Otherwise some zero directions leave M, the loss grows only
  quartically along them and the convergence is sublinear (for Q¹: loss ∝ t⁻², distance ∝ t^(−1/2)).
* *Local dimension of M* (:func:`minimum_set_dimension`): random points at distance ``nearby_radius`` from θ
  are pulled back onto M by Levenberg–Marquardt on the residuals (:func:`project_to_minima`); around each of
  these generic nearby minima, ``samples`` more perturbations of size ``radius`` are pulled back and the rank of
  their displacements (singular values above ``tol``·radius) is the dimension of M there; the largest of them
  is dim_θ M. The rank of the displacements around θ itself, the *span*, can be larger where sheets of M cross
  (n = 4 at Q¹).

Branches sampled (:func:`branch_points`): Q¹ (w₁ = w₂ = w*, a₁ + a₂ = a*, random split a₁), Q² (one neuron
equals (a*, w*), the other a = 0 with a random w), and two special points: Q¹ ∩ Q² (a₁ = a*, a₂ = 0,
w₁ = w₂ = w*) and Q² with w = 0 (the inactive neuron entirely zero, where Q² meets the line {w = 0, a free}).

Rates: Example 1 (n = 6 evenly spaced, s = 1e-8) with ``rate_seeds`` seeds in ONE
:func:`recovery.sweeps.run_many` call; Q² runs get an exponential fit of the loss in a loss window, compared
with 2λ_min of the Hessian at the run's end point; Q¹ runs a power-law fit of the loss and of the distance to Q¹
in a late time window.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import code_hash
from ..config import (
    ParameterError,
    UserConfig,
    check_choice_list,
    check_float,
    check_int,
    check_int_list,
    check_window,
)
from ..core.data import DESIGNS, DataSpec, SingleNeuronTarget, batch_data
from ..core.dynamics import single_thread
from ..core.models import Activation, Data, get_activation
from ..sweeps import RunConfig, run_many
from ..core.theory import (
    NEITHER,
    Q1,
    Q2,
    distance_to_Q1,
    hessian_spectrum_at,
    jacobian_rank,
    numerical_rank,
    output_jacobian,
    zero_eigenvalue_count,
)

DESCRIPTION = "Hessian at Q1/Q2: zero eigenvalues vs dimension of the minimum set (Morse-Bott), measured rates"

BRANCHES = ("Q1", "Q2", "Q1∩Q2", "Q2, w=0")
# Dimension of each branch as a set (SCIENCE.md): Q¹ a line, Q² a plane; Q¹∩Q² and "Q², w = 0" are points where
# two branches cross (Q¹ ∪ Q², resp. Q² ∪ {w = 0, a free}), largest component of dimension 2.
BRANCH_DIM = {"Q1": 1, "Q2": 2, "Q1∩Q2": 2, "Q2, w=0": 2}
PAPER_HESSIAN = {
    "claim": "SCIENCE.md (derived, not the paper's printed statement): Q2 is reached at a linear (exponential) "
    "rate, Q1 only sublinearly (loss ~ t^-2, w -> w* like t^-1/2); the loss is not Morse-Bott at Q1",
    "model_rank": {"Q1": 3, "Q2": 4},
    "loss_exponent_Q1": -2.0,
    "distance_exponent_Q1": -0.5,
}


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the Hessian/geometry page (defaults: the book size).

    Geometry: ``n_values`` and ``designs`` (evenly spaced on [−2, 2] and/or N(0, 1) with ``data_seed``);
    ``points_per_branch`` random points of Q¹ and of Q² (``point_seed``) plus the two special points;
    ``zero_rtol``: an eigenvalue is zero if |λ| ≤ zero_rtol·max|λ|; ``dim_*``: the local-dimension estimate
    (perturbation radius, samples per point, nearby minima, nearby radius, singular-value threshold relative to
    the radius, residual tolerance of the projection).

    Rates: ``rate_seeds`` seeds of Example 1 with ``rate_n`` evenly spaced points at scale ``rate_scale`` to
    ``rate_t_max`` (tolerance ``rate_rtol``, ``rate_cpd`` checkpoints per decade); Q² fits use the checkpoints with
    loss in ``q2_loss_window``, Q¹ fits those with t in ``q1_time_window``.
    """

    n_values: tuple[int, ...] = (2, 3, 4, 5, 6, 7)
    designs: tuple[str, ...] = ("even", "gaussian")
    data_seed: int = 0
    points_per_branch: int = 3
    point_seed: int = 0
    zero_rtol: float = 1e-8
    dim_radius: float = 1e-3
    dim_samples: int = 16
    dim_nearby: int = 3
    dim_nearby_radius: float = 3e-2
    dim_tol: float = 0.05
    dim_residual_tol: float = 1e-12
    rate_seeds: int = 100
    rate_n: int = 6
    rate_scale: float = 1e-8
    rate_t_max: float = 1e7
    rate_rtol: float = 1e-8
    rate_cpd: int = 20
    q2_loss_window: tuple[float, float] = (1e-16, 1e-10)
    q1_time_window: tuple[float, float] = (1e6, 1e7)

    def __post_init__(self) -> None:
        checked = {
            "n_values": check_int_list("n_values", self.n_values, 1, 50, max_len=20),
            "designs": check_choice_list("designs", self.designs, DESIGNS),
            "data_seed": check_int("data_seed", self.data_seed, 0),
            "points_per_branch": check_int("points_per_branch", self.points_per_branch, 1, 50),
            "point_seed": check_int("point_seed", self.point_seed, 0),
            "zero_rtol": check_float("zero_rtol", self.zero_rtol, 0.0, 1e-2, low_open=True),
            "dim_radius": check_float("dim_radius", self.dim_radius, 0.0, 0.1, low_open=True),
            "dim_samples": check_int("dim_samples", self.dim_samples, 8, 200),
            "dim_nearby": check_int("dim_nearby", self.dim_nearby, 1, 20),
            "dim_nearby_radius": check_float("dim_nearby_radius", self.dim_nearby_radius, 0.0, 0.5, low_open=True),
            "dim_tol": check_float("dim_tol", self.dim_tol, 0.0, 1.0, low_open=True),
            "dim_residual_tol": check_float("dim_residual_tol", self.dim_residual_tol, 0.0, 1e-6, low_open=True),
            "rate_seeds": check_int("rate_seeds", self.rate_seeds, 1, 10_000),
            "rate_n": check_int("rate_n", self.rate_n, 2, 1000),
            "rate_scale": check_float("rate_scale", self.rate_scale, 0.0, 1.0, low_open=True),
            "rate_t_max": check_float("rate_t_max", self.rate_t_max, 1.0, 1e12),
            "rate_rtol": check_float("rate_rtol", self.rate_rtol, 0.0, 1e-2, low_open=True),
            "rate_cpd": check_int("rate_cpd", self.rate_cpd, 2, 1000),
            "q2_loss_window": check_window("q2_loss_window", self.q2_loss_window, 0.0),
            "q1_time_window": check_window("q1_time_window", self.q1_time_window, 0.0),
        }
        if checked["dim_nearby_radius"] <= checked["dim_radius"]:
            raise ParameterError("dim_nearby_radius", self.dim_nearby_radius,
                                 f"must be > dim_radius={checked['dim_radius']:g}")
        for k, v in checked.items():
            object.__setattr__(self, k, v)


    def rate_config(self) -> RunConfig:
        return RunConfig(seeds=self.rate_seeds, first_seed=0, init_scale=self.rate_scale, n_samples=self.rate_n,
                         design="even", width=2, activation="tanh", t_max=self.rate_t_max, rtol=self.rate_rtol,
                         checkpoints_per_decade=self.rate_cpd)


# ---------------------------------------------------------------------------------------------------------
# Points of the branches


def q1_point(a1: float, target: np.ndarray) -> torch.Tensor:
    """The point of Q¹ with output weights (a₁, a* − a₁) and both input weights w*, ``(2, 3)``."""
    t = torch.as_tensor(np.asarray(target, float))
    return torch.stack([torch.cat([t[:1] * 0 + a1, t[1:]]), torch.cat([t[:1] - a1, t[1:]])])


def q2_point(w: np.ndarray, target: np.ndarray, dead: int = 1) -> torch.Tensor:
    """The point of Q² whose neuron ``dead`` has a = 0 and input weight ``w``, the other equal to (a*, w*)."""
    t = torch.as_tensor(np.asarray(target, float))
    other = torch.cat([torch.zeros(1, dtype=torch.float64), torch.as_tensor(np.asarray(w, float))])
    return torch.stack([other, t] if dead == 0 else [t, other])


def branch_points(target: np.ndarray, per_branch: int, seed: int) -> list[tuple[str, torch.Tensor]]:
    """``per_branch`` random points of Q¹ (a₁ ~ U(−0.5, 1.5), at least 0.1 away from the crossings a₁ ∈ {0, a*})
    and of Q² (w ~ N(0, I), the dead neuron chosen at random, ‖w‖ ≥ 0.3 and ‖w ∓ w*‖ ≥ 0.3), then the two
    special points Q¹ ∩ Q² and Q² with w = 0."""
    rng = np.random.default_rng(seed)
    target = np.asarray(target, float)
    a_star, w_star = target[0], target[1:]
    out: list[tuple[str, torch.Tensor]] = []
    while sum(b == "Q1" for b, _ in out) < per_branch:
        a1 = rng.uniform(-0.5, 1.5) * a_star
        if min(abs(a1), abs(a1 - a_star)) >= 0.1 * abs(a_star):
            out.append(("Q1", q1_point(a1, target)))
    while sum(b == "Q2" for b, _ in out) < per_branch:
        w = rng.standard_normal(len(w_star))
        if np.linalg.norm(w) >= 0.3 and min(np.linalg.norm(w - w_star), np.linalg.norm(w + w_star)) >= 0.3:
            out.append(("Q2", q2_point(w, target, int(rng.integers(2)))))
    out.append(("Q1∩Q2", q1_point(a_star, target)))
    out.append(("Q2, w=0", q2_point(np.zeros(len(w_star)), target)))
    return out


# ---------------------------------------------------------------------------------------------------------
# Geometry of the minimum set


def residuals(theta: torch.Tensor, data: Data, act: Activation) -> torch.Tensor:
    """Masked residuals f_θ(x_i) − y_i of a batch ``theta: (R, m, 1+d)``, row r on training set r of ``data``
    (``X: (R, n, d)``) → ``(R, n)``."""
    pre = torch.einsum("rkd,rnd->rnk", theta[..., 1:], data.X)
    return (torch.einsum("rk,rnk->rn", theta[..., 0], act.fn(pre)) - data.y) * data.mask


def jacobians(theta: torch.Tensor, data: Data, act: Activation) -> torch.Tensor:
    """Masked ∂f_θ(x_i)/∂θ of a batch ``theta: (R, m, 1+d)`` → ``(R, n, m(1+d))`` (batched
    :func:`recovery.theory.output_jacobian`; rows of padded samples are zero)."""
    a = theta[..., 0]
    pre = torch.einsum("rkd,rnd->rnk", theta[..., 1:], data.X)
    s, s1 = act.with_derivatives(pre, 1)
    J = torch.cat([s[..., None], (a[:, None, :] * s1)[..., None] * data.X[:, :, None, :]], dim=-1)
    return J.reshape(theta.shape[0], data.X.shape[1], -1) * data.mask[..., None]


def project_to_minima(theta: torch.Tensor, data: Data, act: Activation, *, tol: float = 1e-12,
                      max_iter: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Pull each point of ``theta: (R, m, 1+d)`` onto the zero-loss set of its training set (row r of ``data``)
    by Levenberg–Marquardt on the residuals (damping relative to the largest diagonal entry of JᵀJ, ×10 on a
    rejected step, ÷10 on an accepted one; rows stop once their residual norm is below ``tol``).

    Returns the points and their residual norms ``(R,)``; rows that did not reach ``tol`` keep their best point.
    Near non-Morse–Bott minima the residual is quadratic in the distance, so convergence there is linear instead
    of quadratic, but still reaches ``tol`` within tens of iterations.
    """
    with single_thread():  # tiny batched 6×6 solves: threads only add overhead (and contention)
        return _levenberg_marquardt(theta, data, act, tol, max_iter)


def _levenberg_marquardt(theta: torch.Tensor, data: Data, act: Activation, tol: float, max_iter: int
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    shape = theta.shape
    th = theta.reshape(shape[0], -1).clone()
    eye = torch.eye(th.shape[1], dtype=th.dtype)
    mu = torch.full((shape[0],), 1e-6, dtype=th.dtype)
    r = residuals(th.reshape(shape), data, act)
    f = (r * r).sum(-1)
    for _ in range(max_iter):
        idx = torch.nonzero(f.sqrt() >= tol).flatten()
        if idx.numel() == 0:
            break
        sub = Data(data.X[idx], data.y[idx], data.mask[idx])
        J = jacobians(th[idx].reshape(-1, *shape[1:]), sub, act)
        A = J.transpose(1, 2) @ J
        g = (J.transpose(1, 2) @ r[idx][..., None])[..., 0]
        scale = torch.diagonal(A, dim1=1, dim2=2).amax(-1).clamp_min(1e-300)
        step = torch.linalg.solve(A + (mu[idx] * scale)[:, None, None] * eye, g[..., None])[..., 0]
        tn = th[idx] - step
        rn = residuals(tn.reshape(-1, *shape[1:]), sub, act)
        fn = (rn * rn).sum(-1)
        ok = fn < f[idx]
        th[idx] = torch.where(ok[:, None], tn, th[idx])
        r[idx] = torch.where(ok[:, None], rn, r[idx])
        f[idx] = torch.where(ok, fn, f[idx])
        mu[idx] = torch.where(ok, (mu[idx] / 10).clamp_min(1e-16), (mu[idx] * 10).clamp_max(1e16))
    return th.reshape(shape), f.sqrt()


def _unit(rng: torch.Generator, shape: tuple[int, ...]) -> torch.Tensor:
    xi = torch.randn(*shape, generator=rng, dtype=torch.float64)
    return xi / torch.linalg.vector_norm(xi, dim=-1, keepdim=True)


@dataclass(frozen=True)
class MinSetDimension:
    """Local dimension of the set of global minima near a point (see :func:`minimum_set_dimensions`)."""

    dim: int  # the largest dimension found at generic nearby minima
    span: int  # rank of the displacements of nearby minima around the point itself
    nearby_dims: tuple[int, ...]
    span_singular_values: np.ndarray  # normalized by radius·√samples
    unconverged: int  # projections that did not reach the residual tolerance (left out)


def _pca_rank(D: torch.Tensor, radius: float, tol: float) -> tuple[int, np.ndarray]:
    """Number of singular values of the displacements ``D: (k, P)`` above ``tol``·radius·√k."""
    if D.shape[0] == 0:
        return 0, np.zeros(0)
    sv = torch.linalg.svdvals(D) / (radius * math.sqrt(D.shape[0]))
    return int((sv > tol).sum()), sv.numpy()


def minimum_set_dimensions(theta: torch.Tensor, data: Data, act: Activation, *, radius: float = 1e-3,
                           samples: int = 16, nearby: int = 3, nearby_radius: float = 3e-2, tol: float = 0.05,
                           residual_tol: float = 1e-12, seed: int = 0) -> list[MinSetDimension]:
    """Local dimension of the zero-loss set M through each zero-loss point ``theta: (B, m, 1+d)`` (row b on
    training set b of ``data``), all points in two batched projections.

    ``nearby`` points at distance ``nearby_radius`` from θ are projected onto M (generic nearby minima). At a
    nearby minimum p where the training Jacobian has full row rank n, M is a manifold of dimension P − n there
    (implicit function theorem). Elsewhere, ``samples`` points at distance ``radius`` around p are projected too,
    and the number of singular values of their displacements above ``tol``·radius·√samples is the dimension
    there (displacements along M are O(radius), curvature and projection error O(radius²)). ``dim`` is the
    largest nearby value (the dimension of the largest component of M through θ); ``span`` is the same count
    around θ itself, which over-counts where sheets of M cross at θ.
    """
    B, m, p1 = theta.shape
    P = m * p1
    g = torch.Generator().manual_seed(seed)

    def rows(k: int) -> Data:
        return Data(data.X.repeat_interleave(k, 0), data.y.repeat_interleave(k, 0), data.mask.repeat_interleave(k, 0))

    near0 = theta.reshape(B, 1, P) + nearby_radius * _unit(g, (B, nearby, P))
    near, rn = project_to_minima(near0.reshape(B * nearby, m, p1), rows(nearby), act, tol=residual_tol)
    centers = torch.cat([theta.reshape(B, 1, P), near.reshape(B, nearby, P)], 1)  # (B, 1 + nearby, P)
    center_ok = torch.cat([torch.ones(B, 1, dtype=torch.bool), (rn < residual_tol).reshape(B, nearby)], 1)
    pert = centers[:, :, None, :] + radius * _unit(g, (B, 1 + nearby, samples, P))
    pts, rp = project_to_minima(pert.reshape(-1, m, p1), rows((1 + nearby) * samples), act, tol=residual_tol)
    pts = pts.reshape(B, 1 + nearby, samples, P)
    ok = (rp < residual_tol).reshape(B, 1 + nearby, samples)
    n_b = data.mask.sum(-1).long()
    Jn = jacobians(near, rows(nearby), act)  # (B·nearby, n, P)
    regular = torch.tensor([numerical_rank(J, 1e-8) for J in Jn]).reshape(B, nearby) == n_b[:, None]
    out = []
    for b in range(B):
        span, sv = _pca_rank(pts[b, 0][ok[b, 0]] - centers[b, 0], radius, tol)
        dims = tuple(P - int(n_b[b]) if regular[b, j - 1] else _pca_rank(pts[b, j][ok[b, j]] - centers[b, j],
                                                                          radius, tol)[0]
                     for j in range(1, 1 + nearby) if center_ok[b, j])
        unconv = int((~ok[b]).sum()) + int((~center_ok[b]).sum())
        out.append(MinSetDimension(max(dims) if dims else span, span, dims, sv, unconv))
    return out


def minimum_set_dimension(theta: torch.Tensor, data: Data, act: Activation, **kw: Any) -> MinSetDimension:
    """:func:`minimum_set_dimensions` for one point ``theta: (m, 1+d)`` on one training set (batch of one)."""
    return minimum_set_dimensions(theta[None], data, act, **kw)[0]


def training_jacobian_rank(theta: torch.Tensor, data: Data, act: Activation, rtol: float = 1e-8) -> int:
    """rank of the n × P output Jacobian on the training inputs (at zero loss, H = JᵀJ: P − rank = #zero eig.)."""
    X = data.X[0][data.mask[0] > 0]
    return numerical_rank(output_jacobian(theta, X, act), rtol)


def smallest_nonzero_eigenvalue(eigenvalues: torch.Tensor | np.ndarray, rtol: float = 1e-8) -> float:
    """The smallest |λ| above ``rtol``·max|λ| (the slowest normal direction at a Morse–Bott minimum)."""
    ev = np.abs(np.asarray(eigenvalues, float))
    nz = ev[ev > rtol * ev.max()] if ev.max() > 0 else ev[:0]
    return float(nz.min()) if nz.size else float("nan")


def distance_to_crossing(theta: np.ndarray, target: np.ndarray) -> float:
    """Distance from ``theta: (2, 1+d)`` to the point Q¹ ∩ Q² (one neuron (a*, w*), the other (0, w*)), minimized
    over the order of the neurons and the sign of each (tanh is odd)."""
    th = np.asarray(theta, float)
    t = np.asarray(target, float)
    other = np.concatenate([[0.0], t[1:]])
    best = math.inf
    for p, q in ((t, other), (other, t)):
        d0 = min(np.linalg.norm(th[0] - p), np.linalg.norm(th[0] + p))
        d1 = min(np.linalg.norm(th[1] - q), np.linalg.norm(th[1] + q))
        best = min(best, math.hypot(d0, d1))
    return float(best)


def is_morse_bott(zero_eigenvalues: int, local_dimension: int) -> bool:
    """Morse–Bott criterion (ours): the set of minima is locally a manifold whose tangent space is the kernel of
    the Hessian, i.e. its local dimension equals the number of zero eigenvalues."""
    return int(zero_eigenvalues) == int(local_dimension)


# ---------------------------------------------------------------------------------------------------------
# Convergence rates


def fit_exponential_rate(times: np.ndarray, loss: np.ndarray, window: tuple[float, float], *, min_points: int = 4
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


def fit_power_law(times: np.ndarray, values: np.ndarray, window: tuple[float, float], *, min_points: int = 4
                  ) -> tuple[float, int]:
    """Exponent p of values ∝ t^p fitted on log-log axes over the checkpoints with t in ``window`` (and values
    > 0). (p, points); NaN if fewer than ``min_points`` points."""
    t, v = np.asarray(times, float), np.asarray(values, float)
    sel = (t >= window[0]) & (t <= window[1]) & (v > 0) & np.isfinite(v)
    if sel.sum() < min_points:
        return float("nan"), int(sel.sum())
    p = np.polyfit(np.log(t[sel]), np.log(v[sel]), 1)
    return float(p[0]), int(sel.sum())


# ---------------------------------------------------------------------------------------------------------
# The page


def geometry(cfg: Config, *, progress: bool = True) -> dict[str, np.ndarray]:
    """Spectrum, zero eigenvalues, training-Jacobian rank, model rank and local dimension of the minimum set at
    every sampled point, for every (design, n). Arrays are ``(designs, n_values, points, ...)``."""
    del progress  # a few seconds: no progress bar
    act = get_activation("tanh")
    target = SingleNeuronTarget().neuron
    pts = branch_points(target, cfg.points_per_branch, cfg.point_seed)
    G, N, Pn = len(cfg.designs), len(cfg.n_values), len(pts)
    out = {k: np.zeros((G, N, Pn), dtype=int) for k in ("zero", "rank_train", "dim", "span", "unconverged")}
    spectra = np.zeros((G, N, Pn, pts[0][1].numel()))
    lam_min = np.zeros((G, N, Pn))
    model_rank = np.array([jacobian_rank(p, act) for _, p in pts])
    specs = [DataSpec(design=design, n_samples=n, data_seed=cfg.data_seed) for design in cfg.designs
             for n in cfg.n_values]
    data_all = batch_data([s for s in specs for _ in pts])  # one row per (design, n, point)
    thetas = torch.stack([p for _ in specs for _, p in pts])
    for j, (gi, ni, pi) in enumerate(np.ndindex(G, N, Pn)):
        one = data_all.select(torch.tensor([j]))
        ev = hessian_spectrum_at(thetas[j], one, act)
        spectra[gi, ni, pi] = ev.numpy()
        out["zero"][gi, ni, pi] = zero_eigenvalue_count(ev, cfg.zero_rtol)
        lam_min[gi, ni, pi] = smallest_nonzero_eigenvalue(ev, cfg.zero_rtol)
        out["rank_train"][gi, ni, pi] = training_jacobian_rank(thetas[j], one, act, cfg.zero_rtol)
    dims = minimum_set_dimensions(thetas, data_all, act, radius=cfg.dim_radius, samples=cfg.dim_samples,
                                  nearby=cfg.dim_nearby, nearby_radius=cfg.dim_nearby_radius, tol=cfg.dim_tol,
                                  residual_tol=cfg.dim_residual_tol, seed=cfg.point_seed)
    for j, (gi, ni, pi) in enumerate(np.ndindex(G, N, Pn)):
        out["dim"][gi, ni, pi], out["span"][gi, ni, pi] = dims[j].dim, dims[j].span
        out["unconverged"][gi, ni, pi] = dims[j].unconverged
    return {
        "branch": np.array([b for b, _ in pts]),
        "points": np.stack([p.numpy() for _, p in pts]),
        "model_rank": model_rank,
        "spectra": spectra,
        "lambda_min": lam_min,
        "morse_bott": out["zero"] == out["dim"],
        **out,
    }


def rates(cfg: Config, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-run fits of the convergence rate (Q²: exponential vs 2λ_min at the end point; Q¹: power laws)."""
    act = get_activation("tanh")
    data = batch_data([DataSpec(n_samples=cfg.rate_n)])
    target = SingleNeuronTarget().neuron
    S = len(arrays["label"])
    t = arrays["times"]
    out = {k: np.full(S, np.nan) for k in ("q2_rate", "q2_lambda_min", "q2_dead_w_norm", "q1_loss_exponent",
                                           "q1_distance_exponent")}
    out["q2_points"] = np.zeros(S, dtype=int)
    out["distance_to_crossing"] = np.array([distance_to_crossing(th, target) for th in arrays["final_theta"]])
    out["q1_distance_traj"] = np.full(arrays["loss_traj"].shape, np.nan)
    for i in range(S):
        end = t <= arrays["final_time"][i]
        L = arrays["loss_traj"][i]
        if arrays["label"][i] == Q2:
            r, k = fit_exponential_rate(t[end], L[end], cfg.q2_loss_window)
            out["q2_rate"][i], out["q2_points"][i] = r, k
            th = torch.as_tensor(arrays["final_theta"][i])
            out["q2_lambda_min"][i] = smallest_nonzero_eigenvalue(hessian_spectrum_at(th, data, act), cfg.zero_rtol)
            dead = int(np.argmin(np.abs(arrays["final_theta"][i][:, 0])))
            out["q2_dead_w_norm"][i] = float(np.linalg.norm(arrays["final_theta"][i][dead, 1:]))
        elif arrays["label"][i] == Q1:
            out["q1_loss_exponent"][i] = fit_power_law(t[end], L[end], cfg.q1_time_window)[0]
            dq = distance_to_Q1(torch.as_tensor(arrays["theta_traj"][i]), target).numpy()
            out["q1_distance_traj"][i] = dq
            out["q1_distance_exponent"][i] = fit_power_law(t[end], dq[end], cfg.q1_time_window)[0]
    out["q2_ratio"] = out["q2_rate"] / (2 * out["q2_lambda_min"])
    return out


def run(cfg: Config, *, progress: bool = True, scheduler: str | None = None,
        device: str = "cpu") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Geometry at the sampled points and the measured rates (ONE run_many call for all seeds)."""
    t0 = time.perf_counter()
    geo = geometry(cfg, progress=progress)
    t_geo = time.perf_counter() - t0
    rc = cfg.rate_config()
    arr = run_many([rc], progress=progress, scheduler=scheduler, device=device)[0]
    fits = rates(cfg, arr)
    arrays: dict[str, np.ndarray] = {
        "n_values": np.array(cfg.n_values),
        "designs": np.array(cfg.designs),
        **{f"geo_{k}": v for k, v in geo.items()},
        "rate_times": arr["times"],
        "rate_loss_traj": arr["loss_traj"],
        "rate_label": arr["label"],
        "rate_ratio_C": arr["ratio"],
        "rate_final_theta": arr["final_theta"],
        "rate_final_loss": arr["final_loss"],
        "rate_final_time": arr["final_time"],
        "rate_status": arr["status"],
        **{f"rate_{k}": v for k, v in fits.items()},
    }
    summary = hessian_summary(cfg, arrays, compute_s=float(arr["wall_time"]), geometry_s=t_geo,
                              runtime_s=time.perf_counter() - t0)
    return summary, arrays


def branch_table(cfg: Config, arrays: dict[str, np.ndarray], design: str = "even", n: int | None = None
                 ) -> list[dict[str, Any]]:
    """One row per branch at sample size ``n`` (default: ``rate_n``): model rank, zero eigenvalues, training
    Jacobian rank, local dimension of the minimum set, Morse–Bott at every sampled point, and the measured rate."""
    n = cfg.rate_n if n is None else n
    if design not in cfg.designs or n not in cfg.n_values:
        return []
    gi, ni = cfg.designs.index(design), cfg.n_values.index(n)
    rows = []
    br = arrays["geo_branch"]
    for b in BRANCHES:
        sel = br == b
        if not sel.any():
            continue
        z, d = arrays["geo_zero"][gi, ni, sel], arrays["geo_dim"][gi, ni, sel]
        row = {
            "branch": b,
            "points": int(sel.sum()),
            "model_rank": sorted({int(x) for x in arrays["geo_model_rank"][sel]}),
            "zero_eigenvalues": sorted({int(x) for x in z}),
            "training_jacobian_rank": sorted({int(x) for x in arrays["geo_rank_train"][gi, ni, sel]}),
            "minimum_set_dimension": sorted({int(x) for x in d}),
            "branch_dimension": BRANCH_DIM[b],
            "morse_bott_all": bool((z == d).all()),
            "morse_bott_any": bool((z == d).any()),
            "lambda_min_range": [float(np.nanmin(arrays["geo_lambda_min"][gi, ni, sel])),
                                 float(np.nanmax(arrays["geo_lambda_min"][gi, ni, sel]))],
        }
        rows.append(row)
    return rows


def _nanmedian(x: np.ndarray) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def hessian_summary(cfg: Config, arrays: dict[str, np.ndarray], *, compute_s: float, geometry_s: float,
                    runtime_s: float) -> dict[str, Any]:
    """The JSON-able ``result.json`` of the Hessian page."""
    lab = arrays["rate_label"]
    ratio = arrays["rate_q2_ratio"]
    fitted = np.isfinite(ratio)
    within5 = float((np.abs(ratio[fitted] - 1) < 0.05).mean()) if fitted.any() else float("nan")
    mb = {}
    for gi, design in enumerate(cfg.designs):
        for ni, n in enumerate(cfg.n_values):
            for b in BRANCHES:
                sel = arrays["geo_branch"] == b
                if sel.any():
                    mb[f"{design} n={n} {b}"] = {
                        "zero_eigenvalues": [int(x) for x in arrays["geo_zero"][gi, ni, sel]],
                        "minimum_set_dimension": [int(x) for x in arrays["geo_dim"][gi, ni, sel]],
                        "span": [int(x) for x in arrays["geo_span"][gi, ni, sel]],
                        "training_jacobian_rank": [int(x) for x in arrays["geo_rank_train"][gi, ni, sel]],
                        "morse_bott": [bool(x) for x in arrays["geo_morse_bott"][gi, ni, sel]],
                    }
    identity = bool((arrays["geo_zero"] == 6 - arrays["geo_rank_train"]).all())
    q1_le = _nanmedian(arrays["rate_q1_loss_exponent"])
    q1_de = _nanmedian(arrays["rate_q1_distance_exponent"])
    table = branch_table(cfg, arrays)
    return {
        "figure": "hessian",
        "paper": "arXiv:2405.13787, Example 1 (Q1/Q2 geometry; the paper's statements on it were not available "
        "to us: expectations from SCIENCE.md, derived)",
        "paper_claim": PAPER_HESSIAN["claim"],
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "criterion": "Morse-Bott at a minimum iff the local dimension of the set of minima equals the number of "
        "zero eigenvalues of the Hessian (|lambda| <= zero_rtol * max|lambda|)",
        "zero_count_equals_P_minus_training_rank": identity,
        "geometry": mb,
        "branch_table": table,
        "model_rank": {b: sorted({int(x) for x in arrays["geo_model_rank"][arrays["geo_branch"] == b]})
                       for b in BRANCHES if (arrays["geo_branch"] == b).any()},
        "paper_model_rank": PAPER_HESSIAN["model_rank"],
        "rate_runs": {"Q1": int((lab == Q1).sum()), "Q2": int((lab == Q2).sum()), "neither": int((lab == NEITHER).sum())},
        "q2_fitted": int(fitted.sum()),
        "q2_rate_over_2lambda_median": _nanmedian(ratio),
        "q2_fraction_within_5pct": within5,
        "q2_rate_median": _nanmedian(arrays["rate_q2_rate"]),
        "q1_loss_exponent_median": q1_le,
        "q1_distance_exponent_median": q1_de,
        "expected_q1_loss_exponent": PAPER_HESSIAN["loss_exponent_Q1"],
        "expected_q1_distance_exponent": PAPER_HESSIAN["distance_exponent_Q1"],
        "compute_s": compute_s,
        "geometry_s": geometry_s,
        "runtime_s": runtime_s,
        "headline": [
            f"Morse-Bott (zero eigenvalues = dim of minimum set) at n={cfg.rate_n}: "
            + ", ".join(f"{r['branch']} {'yes' if r['morse_bott_all'] else 'no'} ({r['zero_eigenvalues']} vs "
                        f"{r['minimum_set_dimension']})" for r in table),
            (f"Q2: fitted rate / 2 lambda_min = {_nanmedian(ratio):.3f} (median of {int(fitted.sum())}); Q1: loss ~ "
             f"t^{q1_le:.2f}, distance ~ t^{q1_de:.2f} (medians of {int((lab == Q1).sum())} runs)"),
        ],
    }


PAPER_SIZE: dict[str, Any] = {"rate_seeds": 400, "points_per_branch": 10, "dim_samples": 24, "dim_nearby": 5,
                              "rate_rtol": 1e-9}
QUICK_SIZE: dict[str, Any] = {"n_values": [4, 6], "designs": ["even"], "points_per_branch": 1, "rate_seeds": 8,
                              "rate_t_max": 1e5, "rate_rtol": 1e-6, "q1_time_window": [1e4, 1e5]}


