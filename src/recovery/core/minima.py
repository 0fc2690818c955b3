"""The geometry of the global minima of Example 1 (arXiv:2405.13787; arXiv:2309.00508 for the general picture): points of the branches Q¹ (condensed line) and Q² (one neuron inactive), projection onto the zero-loss set, its local dimension, Morse–Bott tests and the second-order separation test of a branch from the other interpolants. Pure functions (torch float64)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import least_squares

from .dynamics import single_thread
from .models import Activation, Data
from .theory import numerical_rank, output_jacobian

BRANCHES = ("Q1", "Q2", "Q1∩Q2", "Q2, w=0")


# Dimension of each branch as a set (SCIENCE.md): Q¹ a line, Q² a plane; Q¹∩Q² and "Q², w = 0" are points where
# two branches cross (Q¹ ∪ Q², resp. Q² ∪ {w = 0, a free}), largest component of dimension 2.
BRANCH_DIM = {"Q1": 1, "Q2": 2, "Q1∩Q2": 2, "Q2, w=0": 2}


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


def project_to_minima(
    theta: torch.Tensor, data: Data, act: Activation, *, tol: float = 1e-12, max_iter: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pull each point of ``theta: (R, m, 1+d)`` onto the zero-loss set of its training set (row r of ``data``)
    by Levenberg–Marquardt on the residuals (damping relative to the largest diagonal entry of JᵀJ, ×10 on a
    rejected step, ÷10 on an accepted one; rows stop once their residual norm is below ``tol``).

    Returns the points and their residual norms ``(R,)``; rows that did not reach ``tol`` keep their best point.
    Near non-Morse–Bott minima the residual is quadratic in the distance, so convergence there is linear instead
    of quadratic, but still reaches ``tol`` within tens of iterations.
    """
    with single_thread():  # tiny batched 6×6 solves: threads only add overhead (and contention)
        return _levenberg_marquardt(theta, data, act, tol, max_iter)


def _levenberg_marquardt(
    theta: torch.Tensor, data: Data, act: Activation, tol: float, max_iter: int
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


def minimum_set_dimensions(
    theta: torch.Tensor,
    data: Data,
    act: Activation,
    *,
    radius: float = 1e-3,
    samples: int = 16,
    nearby: int = 3,
    nearby_radius: float = 3e-2,
    tol: float = 0.05,
    residual_tol: float = 1e-12,
    seed: int = 0,
) -> list[MinSetDimension]:
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
        return Data(
            data.X.repeat_interleave(k, 0), data.y.repeat_interleave(k, 0), data.mask.repeat_interleave(k, 0)
        )

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
        dims = tuple(
            P - int(n_b[b])
            if regular[b, j - 1]
            else _pca_rank(pts[b, j][ok[b, j]] - centers[b, j], radius, tol)[0]
            for j in range(1, 1 + nearby)
            if center_ok[b, j]
        )
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


def output_hessians(theta: torch.Tensor, X: torch.Tensor, act: Activation) -> torch.Tensor:
    """∇²_θ f_θ(x_i) for inputs ``X: (N, d)`` at one point ``theta: (m, 1+d)`` → ``(N, P, P)`` (P = m(1+d), the
    layout of ``theta.flatten()``). Per neuron k: ∂²f/∂a_k∂w_k = σ'(w_kᵀx)x, ∂²f/∂w_k² = a_kσ''(w_kᵀx)xxᵀ, others 0."""
    a, W = theta[:, 0], theta[:, 1:]
    pre = X @ W.T
    _, s1, s2 = act.with_derivatives(pre, 2)
    N, (m, p1) = X.shape[0], theta.shape
    H = torch.zeros(N, m, p1, m, p1, dtype=theta.dtype)
    for k in range(m):
        H[:, k, 0, k, 1:] = s1[:, k, None] * X
        H[:, k, 1:, k, 0] = s1[:, k, None] * X
        H[:, k, 1:, k, 1:] = a[k] * s2[:, k, None, None] * X[:, :, None] * X[:, None, :]
    return H.reshape(N, m * p1, m * p1)


def branch_tangent(branch: str, theta: torch.Tensor) -> np.ndarray:
    """Orthonormal tangent vectors of the branch at ``theta: (2, 1+d)`` (rows, in the layout of theta.flatten()):
    Q¹: a₁ − a₂ (the line a₁ + a₂ = a*); Q²: the inactive neuron's input weight w (the plane)."""
    m, p1 = theta.shape
    if branch == "Q1":
        t = np.zeros((1, m * p1))
        t[0, 0], t[0, p1] = 1.0, -1.0
        return t / math.sqrt(2.0)
    if branch == "Q2":
        dead = int(np.argmin(np.abs(theta[:, 0].numpy())))
        t = np.zeros((p1 - 1, m * p1))
        for j in range(p1 - 1):
            t[j, dead * p1 + 1 + j] = 1.0
        return t
    raise ValueError(f"branch must be Q1 or Q2, got {branch!r}")


@dataclass(frozen=True)
class SecondOrder:
    """Result of :func:`second_order_separation` at one point of a branch on one training set."""

    zero: int  # zero eigenvalues of the Hessian (dim K)
    leaving: int  # dim K ∩ T⊥: kernel directions that leave the branch
    constraints: int  # n − rank J: second-order equations on them
    margin: (
        float  # min over unit v in K ∩ T⊥ of |P⊥ q(v)| / |P⊥ q| (inf if leaving = 0, 0 if constraints = 0)
    )
    separated: bool


def second_order_separation(
    branch: str,
    theta: torch.Tensor,
    X: torch.Tensor,
    act: Activation,
    *,
    zero_rtol: float = 1e-8,
    sep_tol: float = 1e-8,
    starts: int = 12,
    seed: int = 0,
) -> SecondOrder:
    """Is the branch the whole set of global minima near ``theta`` (a zero-loss point of it) on the training inputs
    ``X: (n, d)``? Second-order test (see the module docstring): no real zero of v ↦ P⊥q(v) on K ∩ T⊥.

    The margin is minimized by Gauss–Newton (:func:`scipy.optimize.least_squares`) on v/‖v‖ from ``starts`` random
    starts; the quadratic forms are normalized by their Frobenius norm, so the margin is scale-free.
    """
    J = output_jacobian(theta, X, act).numpy()
    n, P = J.shape
    ev, V = np.linalg.eigh(J.T @ J)
    zero = np.abs(ev) <= zero_rtol * np.abs(ev).max()
    z = int(zero.sum())
    K = V[:, zero]
    T = branch_tangent(branch, theta).T  # (P, b), inside K at a point of the branch
    Q, _ = np.linalg.qr(K.T @ T, mode="complete")
    E = K @ Q[:, T.shape[1] :]  # (P, k): kernel directions orthogonal to the branch
    k = E.shape[1]
    U = np.linalg.svd(J)[0]
    Uperp = U[:, P - z :]  # (n, c): range(J)^⊥ (rank J = P − z at zero loss)
    c = Uperp.shape[1]
    if k == 0:
        return SecondOrder(z, 0, c, math.inf, True)
    if c == 0:
        return SecondOrder(z, k, 0, 0.0, False)
    H = output_hessians(theta, X, act).numpy()
    A = np.einsum("ij,ipq,pa,qb->jab", Uperp, H, E, E)  # (c, k, k)
    scale = float(np.sqrt((A**2).sum()))
    if scale <= 1e-10 * float(np.sqrt((H**2).sum())):  # zero up to round-off: nothing bends the kernel away
        return SecondOrder(z, k, c, 0.0, False)
    A = A / scale

    def res(v: np.ndarray) -> np.ndarray:
        u = v / np.linalg.norm(v)
        return np.einsum("a,jab,b->j", u, A, u)

    rng = np.random.default_rng(seed)
    best = math.inf
    for _ in range(starts):
        sol = least_squares(res, rng.standard_normal(k), xtol=1e-15, ftol=1e-15, gtol=1e-15)
        best = min(best, float(np.linalg.norm(sol.fun)))
    return SecondOrder(z, k, c, best, best > sep_tol)


def holds_from(n_values: list[int] | tuple[int, ...], separated: np.ndarray) -> int | None:
    """Smallest n from which on the branch is separated at every larger n of ``n_values`` (``separated: (N,)``
    bools, ascending n); None if it is not separated at the largest n."""
    sep = np.asarray(separated, bool)
    if sep.size == 0 or not sep[-1]:
        return None
    bad = np.flatnonzero(~sep)
    return int(n_values[bad[-1] + 1]) if bad.size else int(n_values[0])
