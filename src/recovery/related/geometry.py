"""The captions of arXiv:2309.00508 (geometry of the global minima), checked numerically: two tanh neurons fitting
one, no bias, scalar input.

Model f_θ(x) = a₁tanh(w₁x) + a₂tanh(w₂x), θ = (a₁, w₁, a₂, w₂), target ā·tanh(w̄x). The paper's captions (as
SCIENCE.md states them) say: the target set has three branches Q₁ (condensed: w₁ = w₂ = w̄, a₁ + a₂ = ā), Q₂
(neuron 2 off: a₂ = 0, (a₁, w₁) = (ā, w̄)) and Q₃ (neuron 1 off); their closures are 1-D affine subspaces;
Q₁ ∩ Q₂ = (ā, w̄, 0, w̄) and Q₁ ∩ Q₃ = (0, w̄, ā, w̄); the loss is not Morse–Bott on Q₁, so flows converging there are
in general biased towards ker Hess R(θ*); it is Morse–Bott almost everywhere on Q₂, Q₃ (linear convergence).

What this module provides (pure functions; the page :mod:`recovery.figures.geometry` feeds them points of the zero-loss
set found by Levenberg–Marquardt projection and the limits of gradient-flow runs):

* :func:`canonical` picks one representative of the sign flips (a_k, w_k) → (−a_k, −w_k) (tanh is odd);
* :func:`assign_branch` labels points of the target set by the branch they lie on;
* :func:`affine_fit` measures the dimension of the affine hull of a branch's points (singular values of the centred
  points), :func:`line_intersection` the closest points of two fitted lines;
* :func:`loss_hessian`, :func:`kernel_basis`, :func:`angle_to_subspace`, :func:`random_angles` measure the angle
  between an approach direction θ(t) − θ* and ker Hess R(θ*) against that of random directions;
* :func:`project_to_q1` the nearest point of Q₁'s closure.

Parameters are ``(..., 2, 2)`` tensors/arrays with rows = neurons and columns (a, w); flattened they are
(a₁, w₁, a₂, w₂), the caption's order.
"""

from __future__ import annotations

import numpy as np
import torch

BRANCH_ORDER = ("Q1", "Q2", "Q3")


def canonical(theta: np.ndarray, w_bar: float, tol: float = 1e-6) -> np.ndarray:
    """Flip (a_k, w_k) → (−a_k, −w_k) for every live neuron (|a_k| > ``tol``) whose w_k has the opposite sign of w̄;
    ``theta: (..., 2, 2)``. A neuron with a_k = 0 is left as it is (its w is free on Q₂ / Q₃)."""
    th = np.array(theta, dtype=float, copy=True)
    flip = (th[..., 1] * w_bar < 0) & (np.abs(th[..., 0]) > tol)
    th[flip] *= -1.0
    return th


def assign_branch(theta: np.ndarray, target: tuple[float, float], tol: float = 1e-6) -> np.ndarray:
    """Label each point ``(..., 2, 2)`` (canonical, on the target set) "Q1" (w₁ = w₂ = w̄), "Q2" (a₂ = 0 and
    (a₁, w₁) = (ā, w̄)), "Q3" (a₁ = 0 and (a₂, w₂) = (ā, w̄)), "both" near an intersection, "other" (e.g. a neuron
    with w = 0 and any a: dead too, a component the captions do not name)."""
    a_bar, w_bar = target
    th = np.asarray(theta, float)
    a1, w1, a2, w2 = th[..., 0, 0], th[..., 0, 1], th[..., 1, 0], th[..., 1, 1]
    q1 = (np.abs(w1 - w_bar) < tol) & (np.abs(w2 - w_bar) < tol) & (np.abs(a1 + a2 - a_bar) < tol)
    q2 = (np.abs(a2) < tol) & (np.abs(a1 - a_bar) < tol) & (np.abs(w1 - w_bar) < tol)
    q3 = (np.abs(a1) < tol) & (np.abs(a2 - a_bar) < tol) & (np.abs(w2 - w_bar) < tol)
    out = np.full(th.shape[:-2], "other", dtype=object)
    out[q1] = "Q1"
    out[q2] = "Q2"
    out[q3] = "Q3"
    out[(q1.astype(int) + q2 + q3) > 1] = "both"
    return out


def affine_fit(points: np.ndarray, rtol: float = 1e-6) -> dict[str, np.ndarray | float | int]:
    """Affine hull of ``points: (K, P)``: centre, singular values of the centred points, the dimension (singular values
    above ``rtol`` × the largest) and the principal direction (unit). A 1-D affine subspace has dimension 1 and
    ``residual`` = s₂/s₁ at round-off."""
    X = np.asarray(points, float)
    c = X.mean(0)
    _, s, vt = np.linalg.svd(X - c, full_matrices=False)
    dim = int((s > rtol * s[0]).sum()) if s[0] > 0 else 0
    return {
        "center": c,
        "singular_values": s,
        "dim": dim,
        "direction": vt[0],
        "residual": float(s[1] / s[0]) if len(s) > 1 and s[0] > 0 else 0.0,
    }


def line_intersection(
    c1: np.ndarray, d1: np.ndarray, c2: np.ndarray, d2: np.ndarray
) -> tuple[np.ndarray, float]:
    """The midpoint of the closest points of the lines c₁ + t d₁ and c₂ + u d₂, and their distance (0 if they meet)."""
    A = np.stack([d1, -d2], 1)
    t, u = np.linalg.lstsq(A, c2 - c1, rcond=None)[0]
    p1, p2 = c1 + t * d1, c2 + u * d2
    return (p1 + p2) / 2, float(np.linalg.norm(p1 - p2))


def loss_hessian(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Hessian ``(4, 4)`` of R(θ) = ½ Σ_i (a₁tanh(w₁x_i) + a₂tanh(w₂x_i) − y_i)² at ``theta: (2, 2)``, in the order
    (a₁, w₁, a₂, w₂) (autograd, float64)."""
    X, Y = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)

    def R(p: torch.Tensor) -> torch.Tensor:
        f = p[0] * torch.tanh(p[1] * X) + p[2] * torch.tanh(p[3] * X)
        return 0.5 * ((f - Y) ** 2).sum()

    th = torch.as_tensor(np.asarray(theta, float).reshape(4))
    return torch.autograd.functional.hessian(R, th).numpy()


def kernel_basis(H: np.ndarray, rtol: float = 1e-8) -> np.ndarray:
    """Orthonormal basis ``(P, k)`` of the eigenvectors of the symmetric ``H`` with |λ| ≤ ``rtol`` · max|λ|."""
    ev, V = np.linalg.eigh((H + H.T) / 2)
    return V[:, np.abs(ev) <= rtol * np.abs(ev).max()]


def angle_to_subspace(u: np.ndarray, basis: np.ndarray) -> float:
    """Angle in degrees between the vector ``u`` and the subspace spanned by the orthonormal columns of ``basis``
    (90 if the basis is empty)."""
    u = np.asarray(u, float)
    u = u / np.linalg.norm(u)
    if basis.shape[1] == 0:
        return 90.0
    c = np.clip(np.linalg.norm(basis.T @ u), 0.0, 1.0)
    return float(np.degrees(np.arccos(c)))


def random_angles(
    basis: np.ndarray, count: int, seed: int = 0, within: np.ndarray | None = None
) -> np.ndarray:
    """Angles (degrees) of ``count`` random directions to span(``basis``): uniform on the unit sphere of R^P, or of
    the subspace spanned by the orthonormal columns of ``within`` if given."""
    rng = np.random.default_rng(seed)
    P = basis.shape[0]
    if within is None:
        U = rng.standard_normal((count, P))
    else:
        U = rng.standard_normal((count, within.shape[1])) @ within.T
    return np.array([angle_to_subspace(u, basis) for u in U])


def project_to_q1(theta: np.ndarray, target: tuple[float, float]) -> np.ndarray:
    """Nearest point of Q₁'s closure {w₁ = w₂ = w̄, a₁ + a₂ = ā} to ``theta: (2, 2)`` (canonical)."""
    a_bar, w_bar = target
    th = np.array(theta, float, copy=True)
    shift = (a_bar - th[0, 0] - th[1, 0]) / 2
    th[:, 0] += shift
    th[:, 1] = w_bar
    return th


def q1_tangent() -> np.ndarray:
    """Unit tangent (1, 0, −1, 0)/√2 of Q₁ in the order (a₁, w₁, a₂, w₂)."""
    return np.array([1.0, 0.0, -1.0, 0.0]) / np.sqrt(2.0)
