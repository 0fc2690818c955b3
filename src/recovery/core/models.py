"""Two-layer networks f_θ(x) = Σ_k a_k σ(w_kᵀx) for a batch of independent trials (Sec. 2 of arXiv:2405.13787).

Parameters of a batch are one tensor ``theta: (trials, width, 1 + dim)`` with ``theta[..., 0] = a`` (output
weights) and ``theta[..., 1:] = W`` (input weights, ``W: (trials, width, dim)``). A scalar input with a bias is
written x = (x, 1), so dim = 2 for the paper's Example 1. All functions are pure and device-agnostic.

The loss is the paper's sum of squares ℓ(θ) = ½ Σ_i (f_θ(x_i) − y_i)²; its gradient and Hessian are given in
closed form (checked against autograd in ``tests/test_models.py``) because the stiff integrator in
:mod:`recovery.dynamics` needs the Hessian at every step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..config import check_choice

Tensor = torch.Tensor


@dataclass(frozen=True)
class Activation:
    """An activation with σ(0) = 0, σ'(0) = 1 (the setting of Theorem 1) and its first two derivatives."""

    name: str
    fn: Callable[[Tensor], Tensor]
    d1: Callable[[Tensor], Tensor]
    d2: Callable[[Tensor], Tensor]
    odd: bool  # σ(−u) = −σ(u): (a, w) and (−a, −w) are the same neuron
    fused: Callable[[Tensor, int], tuple[Tensor, ...]] | None = None

    def with_derivatives(self, u: Tensor, order: int) -> tuple[Tensor, ...]:
        """(σ(u), σ'(u)[, σ''(u)]) up to ``order`` (1 or 2), sharing work where the activation allows."""
        if self.fused is not None:
            return self.fused(u, order)
        out = (self.fn(u), self.d1(u))
        return out + (self.d2(u),) if order >= 2 else out


def _tanh_d1(u: Tensor) -> Tensor:
    t = torch.tanh(u)
    return 1.0 - t * t


def _tanh_d2(u: Tensor) -> Tensor:
    t = torch.tanh(u)
    return -2.0 * t * (1.0 - t * t)


def _tanh_fused(u: Tensor, order: int) -> tuple[Tensor, ...]:
    t = torch.tanh(u)
    d1 = 1.0 - t * t
    return (t, d1, -2.0 * t * d1) if order >= 2 else (t, d1)


def _rational(u: Tensor) -> Tensor:
    return u / (1.0 + u * u)


def _rational_d1(u: Tensor) -> Tensor:
    q = 1.0 + u * u
    return (1.0 - u * u) / (q * q)


def _rational_d2(u: Tensor) -> Tensor:
    q = 1.0 + u * u
    return (2.0 * u**3 - 6.0 * u) / (q * q * q)


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", torch.tanh, _tanh_d1, _tanh_d2, odd=True, fused=_tanh_fused),
    # σ(x) = x / (1 + x²): the activation of the paper's width-1000 experiment (Fig. 5).
    "rational": Activation("rational", _rational, _rational_d1, _rational_d2, odd=True),
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name (``tanh`` or ``rational`` = x/(1+x²))."""
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]


def split(theta: Tensor) -> tuple[Tensor, Tensor]:
    """``theta: (B, m, 1+d)`` → ``a: (B, m)``, ``W: (B, m, d)``."""
    return theta[..., 0], theta[..., 1:]


def predict(theta: Tensor, X: Tensor, act: Activation) -> Tensor:
    """Network outputs ``(B, n)`` for inputs ``X: (B, n, d)`` (or ``(n, d)``, shared by all trials)."""
    a, W = split(theta)
    if X.dim() == 2:
        X = X.expand(theta.shape[0], *X.shape)
    pre = torch.einsum("bkd,bnd->bkn", W, X)
    return torch.einsum("bk,bkn->bn", a, act.fn(pre))


@dataclass(frozen=True)
class Data:
    """Training data of a batch: ``X: (B, n, d)``, ``y: (B, n)``, ``mask: (B, n)`` (1 = sample used).

    Padding with ``mask = 0`` lets trials with different sample sizes share one tensor program.
    """

    X: Tensor
    y: Tensor
    mask: Tensor

    def select(self, idx: Tensor) -> Data:
        return Data(self.X[idx], self.y[idx], self.mask[idx])

    def to(self, device: str | torch.device) -> Data:
        return Data(self.X.to(device), self.y.to(device), self.mask.to(device))


def _forward(theta: Tensor, data: Data, act: Activation, order: int):
    a, W = split(theta)
    pre = torch.bmm(W, data.X.transpose(1, 2))  # (B, m, n)
    derivs = act.with_derivatives(pre, order)
    r = ((a[..., None] * derivs[0]).sum(1) - data.y) * data.mask  # residuals (B, n)
    return a, r, derivs


def loss_and_grad(theta: Tensor, data: Data, act: Activation) -> tuple[Tensor, Tensor]:
    """ℓ(θ) = ½ Σ_i mask_i (f_θ(x_i) − y_i)² per trial ``(B,)`` and its gradient ``(B, m, 1+d)``."""
    a, r, (s, s1) = _forward(theta, data, act, 1)
    g_a = (r[:, None, :] * s).sum(-1)
    g_w = torch.bmm(r[:, None, :] * s1, data.X) * a[..., None]
    return 0.5 * (r * r).sum(-1), torch.cat([g_a[..., None], g_w], dim=-1)


def loss_grad_hessian_parts(
    theta: Tensor, data: Data, act: Activation
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Loss ``(B,)``, gradient ``(B, m, 1+d)`` and the two parts of the Hessian H = JᵀJ + blockdiag(R).

    ``J: (B, n, P)`` is the masked Jacobian of the outputs (P = m(1+d)) and ``R: (B, m, 1+d, 1+d)`` the
    residual term Σ_i r_i ∇²f_i, block diagonal over neurons with blocks
    [[0, Σ_i r_i σ'(w_kᵀx_i) x_iᵀ], [·, a_k Σ_i r_i σ''(w_kᵀx_i) x_i x_iᵀ]]. H is low rank plus block diagonal,
    which lets :mod:`recovery.dynamics` solve with it in O(P n²) for wide networks.
    """
    B, m, p1 = theta.shape
    d = p1 - 1
    a, r, (s, s1, s2) = _forward(theta, data, act, 2)
    X = data.X
    g_a = (r[:, None, :] * s).sum(-1)
    g_w0 = torch.bmm(r[:, None, :] * s1, X)  # Σ_i r_i σ'_ik x_i, (B, m, d)
    grad = torch.cat([g_a[..., None], g_w0 * a[..., None]], dim=-1)
    J = torch.cat([s[..., None], (a[..., None] * s1)[..., None] * X[:, None, :, :]], dim=-1)
    J = (J * data.mask[:, None, :, None]).transpose(1, 2).reshape(B, -1, m * p1)
    XX = (X[..., :, None] * X[..., None, :]).reshape(B, -1, d * d)
    S = torch.bmm(r[:, None, :] * s2, XX).reshape(B, m, d, d) * a[..., None, None]
    blocks = torch.cat(
        [
            torch.cat([torch.zeros_like(g_a)[..., None, None], g_w0[..., None, :]], -1),
            torch.cat([g_w0[..., :, None], S], -1),
        ],
        dim=-2,
    )  # (B, m, 1+d, 1+d)
    return 0.5 * (r * r).sum(-1), grad, J, blocks


def loss_grad_hessian(theta: Tensor, data: Data, act: Activation) -> tuple[Tensor, Tensor, Tensor]:
    """Loss ``(B,)``, gradient ``(B, m, 1+d)`` and dense Hessian ``(B, P, P)`` with P = m(1+d), in closed form.

    H = Σ_i ∇f_i ∇f_iᵀ + Σ_i r_i ∇²f_i (see :func:`loss_grad_hessian_parts`).
    """
    B, m, p1 = theta.shape
    loss, grad, J, blocks = loss_grad_hessian_parts(theta, data, act)
    H = torch.bmm(J.transpose(1, 2), J)
    torch.diagonal(H.view(B, m, p1, m, p1), dim1=1, dim2=3).add_(blocks.permute(0, 2, 3, 1))
    return loss, grad, H


def initial_parameters(seeds: list[int], width: int, dim: int, scale: float | list[float]) -> Tensor:
    """θ₀ = s·θ̂ with θ̂ ~ N(0, I) drawn on the CPU from ``torch.Generator().manual_seed(seed)``, one per seed.

    Returns ``(len(seeds), width, 1 + dim)`` float64; ``scale`` is one number or one per seed. Drawing each
    seed on its own generator makes a trial's start independent of the batch it runs in and of the device.
    """
    hat = torch.stack(
        [
            torch.randn(width, 1 + dim, generator=torch.Generator().manual_seed(int(s)), dtype=torch.float64)
            for s in seeds
        ]
    )
    sc = (
        torch.as_tensor(scale, dtype=torch.float64).reshape(-1, 1, 1)
        if not isinstance(scale, float)
        else scale
    )
    return hat * sc
