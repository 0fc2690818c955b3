"""The small-system path of the gradient-flow engine: the two-layer network with few parameters per trial
(P = m(1+d) ≤ :data:`MAX_PARAMETERS`, e.g. P = 6 for the paper's width-2 networks), trials on the LAST axis.

Why a second layout (*ours*, measured in ``make bench``): for P = 6 the arithmetic of a Rosenbrock step is
≈ 2 000 flops per trial, but the general path spends most of its time in per-matrix LAPACK calls on 6 × 6
matrices and in batched matrix products whose per-matrix overhead exceeds their arithmetic. Here every
quantity of a batch is an array whose last axis runs over the trials (``x: (P, b)``, ``H: (P, P, b)``), so
each operation — including the LU factorization with partial pivoting and the triangular solves, written
out column by column — is one vectorized numpy operation over all trials: a few hundred operations per step,
independent of the number of trials, each streaming contiguous memory.

The method and its step control are those of :func:`recovery.core.dynamics.rosenbrock_step` (this module
only supplies the problem: loss, gradient, exact Hessian and the solves), so the two paths agree to
round-off; ``tests/test_dynamics.py`` checks that they give the same labels and states.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from .models import ACTIVATIONS, Activation, Data

MAX_PARAMETERS = 12  # P up to which the unrolled path is chosen automatically on the CPU
BLOCK = 2048  # trials per block of a step: its temporaries (≈ 0.3 MB for P = 6) stay in the CPU cache


def _tanh(u: np.ndarray, order: int) -> tuple[np.ndarray, ...]:
    t = np.tanh(u, out=u)  # u is a temporary of the caller
    d1 = t * t
    np.subtract(1.0, d1, out=d1)
    if order < 2:
        return t, d1
    d2 = t * d1
    d2 *= -2.0
    return t, d1, d2


def _rational(u: np.ndarray, order: int) -> tuple[np.ndarray, ...]:
    u2 = u * u
    q = 1.0 + u2
    out = (u / q, (1.0 - u2) / (q * q))
    return out + ((2.0 * u**3 - 6.0 * u) / (q * q * q),) if order >= 2 else out


_NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray, int], tuple[np.ndarray, ...]]] = {
    "tanh": _tanh,
    "rational": _rational,
}


def supports(act: Activation) -> bool:
    """True for the package's registered activations (the ones with a numpy implementation here)."""
    return act.name in _NUMPY_ACTIVATIONS and ACTIVATIONS.get(act.name) is act


def _hessian_scatter(m: int, p1: int, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Where the block-diagonal Hessian terms go: rows ``src`` of the stacked (S (pairs, m), g (d, m)) values are
    added to the flat entries ``dst`` of H (P·P, b) (every entry at most once: H is symmetric, both triangles)."""
    P, npair = m * p1, len(pairs)
    src, dst = [], []
    for k in range(m):
        base = k * p1
        for q, (j, l) in enumerate(pairs):  # noqa: E741
            for u, v in {(j, l), (l, j)}:
                src.append(q * m + k)
                dst.append((base + 1 + u) * P + base + 1 + v)
        for j in range(p1 - 1):
            for u, v in ((0, 1 + j), (1 + j, 0)):
                src.append(npair * m + j * m + k)
                dst.append((base + u) * P + base + v)
    return np.array(src), np.array(dst)


def lu_factor(A: np.ndarray) -> np.ndarray | None:
    """LU factorization with partial pivoting of every matrix of ``A: (P, P, b)`` (trials last), in place.

    Returns the flat gather index of the row permutation ``(P, b)`` (``rhs.ravel()[perm]`` is P·rhs), or
    ``None`` when no trial swapped a row. ``A`` then holds the unit lower triangle L (below the diagonal) and U.
    The pivot is numpy's ``argmax`` of |column| (the first largest; a NaN wins), computed only for the trials
    whose diagonal entry is not already the largest; rows are swapped only in the trials that need it.
    """
    P, b = A.shape[0], A.shape[-1]
    perm = None
    for k in range(P - 1):
        col = np.abs(A[k:, k])
        cand = (~(col[0] >= col.max(0))).nonzero()[0]  # the diagonal is not a largest entry (or a NaN)
        if cand.size:
            piv = col[:, cand].argmax(0)
            sel = piv != 0
            swap, p = cand[sel], piv[sel] + k
            if swap.size:
                if perm is None:
                    perm = np.repeat(np.arange(P)[:, None], b, axis=1)
                rows_k, rows_p = A[k, :, swap], A[p, :, swap]
                A[k, :, swap], A[p, :, swap] = rows_p, rows_k
                pk, pp = perm[k, swap], perm[p, swap]
                perm[k, swap], perm[p, swap] = pp, pk
        A[k + 1 :, k] /= A[k, k]
        A[k + 1 :, k + 1 :] -= A[k + 1 :, k, None] * A[k, None, k + 1 :]
    return None if perm is None else perm * b + np.arange(b)


def lu_solve(LU: np.ndarray, perm: np.ndarray | None, rhs: np.ndarray) -> np.ndarray:
    """Solve A x = rhs for every trial, ``rhs: (P, b)``, from :func:`lu_factor`'s output (column-oriented
    forward and back substitution: two or three vectorized operations per column)."""
    P = LU.shape[0]
    y = rhs.copy() if perm is None else np.take(rhs, perm)
    for j in range(P - 1):
        y[j + 1 :] -= LU[j + 1 :, j] * y[j]
    for j in range(P - 1, 0, -1):
        y[j] /= LU[j, j]
        y[:j] -= LU[:j, j] * y[j]
    y[0] /= LU[0, 0]
    return y


class Evaluation(NamedTuple):
    """The network at a batch of states: what the gradient, the loss and the exact Hessian are built from."""

    a: np.ndarray  # output weights (m, b)
    r3: np.ndarray  # masked residuals (n, 1, b)
    derivs: tuple[np.ndarray, ...]  # σ, σ', σ'' at the pre-activations, (n, m, b) each
    gw: np.ndarray  # Σ_i r_i σ'_ki x_ij, (d, m, b)
    loss: np.ndarray  # (b,)
    grad: np.ndarray  # (P, b)


class SmallNetworkProblem:
    """The two-layer network of :mod:`recovery.core.models` as a :class:`recovery.core.dynamics.Problem`
    with states ``x: (P, b)``, P = m(1+d) (index k(1+d) + j: neuron k, entry j of (a_k, w_k)).

    Data shared by every trial (the usual case: Figure 3 runs 40 000 seeds on one data set) is stored once
    and broadcast; otherwise ``X: (d, n, b)``, ``y, mask: (n, b)``.
    """

    def __init__(
        self,
        data: Data | None,
        act: Activation,
        m: int,
        p1: int,
        *,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None = None,
    ) -> None:
        self.act, self.m, self.p1 = act, m, p1
        self.P = m * p1
        self.fn = _NUMPY_ACTIVATIONS[act.name]
        if arrays is None:
            assert data is not None
            X, y, mask = (v.detach().cpu() for v in (data.X, data.y, data.mask))
            shared = bool((X == X[:1]).all() and (y == y[:1]).all() and (mask == mask[:1]).all())
            if shared:
                X, y, mask = X[:1], y[:1], mask[:1]
            arrays = (
                np.ascontiguousarray(X.numpy().transpose(2, 1, 0)),
                np.ascontiguousarray(y.numpy().T),
                np.ascontiguousarray(mask.numpy().T),
                shared,
            )
        self.X, self.y, self.mask, self.shared = arrays
        d = self.X.shape[0]
        self.unmasked = bool((self.mask == 1.0).all())  # no padded samples: skip the products with 1.0
        Xt = self.X.transpose(1, 0, 2)  # (n, d, b)
        self.Xd = Xt[:, :, None]  # (n, d, 1, b): the inputs against (n, m, b) arrays, all j at once
        self.Xj = Xt[:, None]  # (n, 1, d, b): the same against (n, m, 1, b)
        self.mask3 = self.mask[:, None]
        # products x_ij x_il (j ≤ l), (n, pairs, 1, b), and where their Hessian terms go (see grad_solver)
        pairs = [(j, k) for j in range(d) for k in range(j, d)]
        self.XX = np.stack([self.X[j] * self.X[k] for j, k in pairs], axis=1)[:, :, None]
        self._scatter = _hessian_scatter(m, p1, pairs)

    def state(self, theta0: torch.Tensor) -> np.ndarray:
        """``theta0: (B, m, 1+d)`` → ``(P, B)``."""
        return np.ascontiguousarray(theta0.detach().cpu().numpy().reshape(theta0.shape[0], -1).T)

    def select(self, idx: np.ndarray) -> SmallNetworkProblem:
        if self.shared:
            return self
        arr = (self.X[..., idx], self.y[:, idx], self.mask[:, idx], False)
        return SmallNetworkProblem(None, self.act, self.m, self.p1, arrays=arr)

    def blocks(self, b: int) -> list[slice]:
        k = max(1, round(b / BLOCK))
        edges = [round(i * b / k) for i in range(k + 1)]
        return [slice(edges[i], edges[i + 1]) for i in range(k)]

    def part(self, sl: slice) -> SmallNetworkProblem:
        if self.shared:
            return self
        arr = (self.X[..., sl], self.y[:, sl], self.mask[:, sl], False)
        return SmallNetworkProblem(None, self.act, self.m, self.p1, arrays=arr)

    def view(self, x: np.ndarray, sl: slice) -> np.ndarray:
        return x[:, sl]

    def join(self, parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts, axis=-1)

    # -- layout helpers
    def take(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return x[:, idx]

    def where(self, mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(mask, a, b)

    def per_trial(self, v: np.ndarray) -> np.ndarray:
        return v

    def norm(self, v: np.ndarray) -> np.ndarray:
        return np.sqrt((v * v).sum(0))

    def finite(self, v: np.ndarray) -> np.ndarray:
        return np.isfinite(v).all(0)

    def record(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return x[:, idx].T.reshape(-1, self.m, self.p1)

    def flat(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return x[:, idx].T

    # -- the model (sample axis first, so that sums over samples reduce the outermost axis)
    def _forward(self, x: np.ndarray, order: int) -> Evaluation:
        m, d = self.m, self.p1 - 1
        xv = x.reshape(m, self.p1, -1)
        a = xv[:, 0]  # (m, b)
        X = self.X  # (d, n, b')
        pre = xv[:, 1] * X[0][:, None]
        for j in range(1, d):
            pre += xv[:, 1 + j] * X[j][:, None]  # (n, m, b)
        derivs = self.fn(pre, order)
        s = derivs[0]
        f = s[:, 0] * a[0]
        for k in range(1, m):
            f += s[:, k] * a[k]
        r = f - self.y
        if not self.unmasked:
            r *= self.mask  # (n, b)
        r3 = r[:, None]
        rs1 = r3 * derivs[1]
        gw = (rs1[:, None] * self.Xd).sum(0)  # Σ_i r_i σ'_ki x_ij, (d, m, b)
        grad = np.empty_like(xv)
        np.add.reduce(r3 * s, axis=0, out=grad[:, 0])
        np.multiply(gw, a, out=grad[:, 1:].transpose(1, 0, 2))
        return Evaluation(a, r3, derivs, gw, 0.5 * (r * r).sum(0), grad.reshape(x.shape))

    def loss_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ev = self._forward(x, 1)
        return ev.loss, ev.grad

    def evaluate(self, x: np.ndarray) -> Evaluation:
        """Loss, gradient and what the Hessian needs at ``x`` (passed back to :meth:`grad_solver` by the engine
        when the next step starts from ``x``)."""
        return self._forward(x, 2)

    def grad_solver(
        self, x: np.ndarray, gamma: np.ndarray, at_x: Evaluation | None = None
    ) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """Gradient and the solver of (I + γH) k = rhs with the exact Hessian H = JᵀJ + blockdiag(R); ``at_x``:
        :meth:`evaluate` of ``x``, if already done."""
        m, p1, P = self.m, self.p1, self.P
        a, r3, (s, s1, s2), gw, _, grad = self._forward(x, 2) if at_x is None else at_x
        n, b = s.shape[0], x.shape[-1]
        J = np.empty((n, m, p1, b))  # ∂f_i/∂θ, masked
        c = a * s1
        if self.unmasked:
            J[:, :, 0] = s
        else:
            np.multiply(s, self.mask3, out=J[:, :, 0])
            c *= self.mask3
        np.multiply(c[:, :, None], self.Xj, out=J[:, :, 1:])
        Jf = J.reshape(n, P, b)
        H = np.einsum("ipb,iqb->pqb", Jf, Jf)  # JᵀJ, (P, P, b)
        # + blockdiag(R): a_k Σ_i r_i σ''_ki x_ij x_il in the (w_kj, w_kl) entries and Σ_i r_i σ'_ki x_ij in the
        # (a_k, w_kj) entries, each added once to its entry (one gather-add-scatter for all of them)
        S = ((r3 * s2)[:, None] * self.XX).sum(0) * a  # (pairs, m, b)
        src, dst = self._scatter
        Hf = H.reshape(P * P, b)
        Hf[dst] += np.concatenate((S.reshape(-1, b), gw.reshape(-1, b)))[src]
        H *= gamma
        H.reshape(P * P, b)[:: P + 1] += 1.0  # W = I + γH
        perm = lu_factor(H)
        return grad, lambda rhs: lu_solve(H, perm, rhs)
