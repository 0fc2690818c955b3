"""Model rank (optimistic sample size) of several models at a target, computed from Jacobians
(arXiv:2307.08921, optimistic estimate; arXiv:2406.18035, local linear recovery).

The *model rank* of a model f_θ at a parameter point θ is the dimension of the span of the functions
{∂f_θ/∂θ_p}: the number of independent directions in which the model's output can move. At a point θ* that
represents the target, it is the number of samples that local linear recovery needs; the smallest value over
the target set is the *optimistic sample size*. Computed here as the numerical rank of the Jacobian on many
generic inputs (:func:`recovery.theory.numerical_rank`), never from the formula it is checked against.

Models (all without biases unless stated; σ = tanh):

* **Two-layer network** f(x) = Σ_{j ≤ m} a_j σ(w_jᵀx), x ∈ R^d (a bias is a constant input 1, so d = d₀ + 1 with
  raw input dimension d₀). Target: k neurons with distinct directions. Model rank at the most condensed
  target point (every neuron a copy of a target neuron): k(d + 1), independent of the width m ≥ k —
  k(d₀ + 2) with a bias (:func:`recovery.theory.model_rank`).
* **Matrix factorization** W = AB, A ∈ R^{d×h}, B ∈ R^{h×d}, h ≥ r; every entry W_ij is one "output". At a
  rank-r point the tangent space of the rank-r matrices has dimension 2rd − r² (d = 4: 7, 12, 15, 16).
* **1-D convolutional network** (circular, stride 1, sum pooling): input x ∈ R^L, patches
  P_p x = (x_p, x_{p+1}, …, x_{p+K−1}) (indices mod L), C channels with kernels w_c ∈ R^K and output weights
  a_c: f(x) = Σ_c a_c Σ_{p<L} σ(w_cᵀ P_p x). C(K + 1) parameters. Target: k channels; model rank k(K + 1).
* **1-D CNN with position-wise output weights** (locally connected readout): f(x) = Σ_c Σ_p a_{c,p} σ(w_cᵀ P_p x),
  C(K + L) parameters; model rank k(K + L) at a k-channel target (if k(K + L) ≤ the inputs' span).
* **2-D convolutional network**: input x ∈ R^{L×L}, K×K circular patches P_{p,q}, f(x) = Σ_c a_c Σ_{p,q}
  σ(⟨w_c, P_{p,q} x⟩), C(K² + 1) parameters; model rank k(K² + 1).
* **Fully connected network on the same input** (the first model with d = L or L²): the one-channel CNN target
  a Σ_p σ(w*ᵀP_p x) is a two-layer network with L (1-D) or L² (2-D) neurons whose input weights are the
  kernel placed at every shift; its model rank is L(L + 1) (1-D) or L²(L² + 1) (2-D) — the price of not
  building the translation symmetry into the architecture.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from ..core.models import get_activation
from ..core.theory import jacobian_rank, model_rank, numerical_rank
from .completion import output_jacobian

Tensor = torch.Tensor
F64 = torch.float64


# ------------------------------------------------------------------------------------------ formulas


def formula_two_layer(k: int, d: int, bias: bool) -> int:
    """k(d + 1) without bias (input x ∈ R^d); k(d + 2) with a bias and raw input dimension d."""
    return k * (d + 2) if bias else k * (d + 1)


def formula_matrix_factorization(d: int, r: int) -> int:
    """2rd − r²: dimension of the rank-r d × d matrices."""
    return 2 * r * d - r * r


def formula_cnn(k: int, kernel: int, length: int, dim: int, readout: str) -> int:
    """k(K^dim + 1) with sum pooling; k(K^dim + L^dim) with position-wise output weights."""
    return k * (kernel**dim + (1 if readout == "sum" else length**dim))


def formula_fcn_for_cnn_target(k: int, length: int, dim: int) -> int:
    """A k-channel CNN target as a fully connected net: k·L^dim neurons on R^{L^dim}: k·L^dim·(L^dim + 1)."""
    n = length**dim
    return k * n * (n + 1)


# ------------------------------------------------------------------------------------------ two-layer tanh


def distinct_neurons(k: int, dim: int, seed: int = 0) -> Tensor:
    """k target neurons (a_j, w_j) ``(k, 1 + dim)`` with generic (Gaussian, seeded) directions, a_j ≠ 0."""
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(k, 1 + dim, generator=g, dtype=F64)
    t[:, 0] = 1.0 + t[:, 0].abs()
    return t


def two_layer_rank(
    k: int, d: int, width: int, *, bias: bool = False, seed: int = 0, n_inputs: int = 400
) -> int:
    """Model rank of a width-``width`` tanh network at the most condensed point of a k-neuron target.

    ``d`` is the input dimension without bias, or the raw input dimension d₀ with ``bias`` (then each neuron has
    d₀ + 1 input weights). Uses :func:`recovery.theory.model_rank`.
    """
    dim = d + 1 if bias else d
    tn = distinct_neurons(k, dim, seed)
    if bias:
        tn[:, -1] = tn[:, -1].abs() + 0.5  # a nonzero bias weight (the constant input is the last one)
    return model_rank(tn, width, get_activation("tanh"), bias=bias, n_inputs=n_inputs, seed=seed)


def two_layer_generic_rank(
    d: int, width: int, *, bias: bool = False, seed: int = 1, n_inputs: int = 400
) -> int:
    """Model rank at a generic (Gaussian) parameter point: how many parameters are effectively independent."""
    dim = d + 1 if bias else d
    g = torch.Generator().manual_seed(seed)
    theta = torch.randn(width, 1 + dim, generator=g, dtype=F64)
    return jacobian_rank(theta, get_activation("tanh"), dim=dim, bias=bias, n_inputs=n_inputs, seed=seed)


# ------------------------------------------------------------------------------------------ matrix factorization


def matrix_factorization_rank(d: int, r: int, hidden: int | None = None, *, seed: int = 0) -> int:
    """Rank of ∂(AB)/∂(A, B) at a rank-r point (A = [U, 0], B = [Vᵀ; 0] with the extra h − r columns/rows zero,
    U, V generic), i.e. the model rank of W = AB at a rank-r target."""
    h = d if hidden is None else hidden
    if not 1 <= r <= min(d, h):
        raise ValueError(f"rank r={r} must be between 1 and min(d, hidden)={min(d, h)}")
    g = torch.Generator().manual_seed(seed)
    A = torch.zeros(1, d, h, dtype=F64)
    B = torch.zeros(1, h, d, dtype=F64)
    A[0, :, :r] = torch.randn(d, r, generator=g, dtype=F64)
    B[0, :r, :] = torch.randn(r, d, generator=g, dtype=F64)
    J = output_jacobian(A, B, torch.ones(1, d, d, dtype=F64))[0]
    return numerical_rank(J)


def matrix_factorization_generic_rank(d: int, hidden: int | None = None, *, seed: int = 1) -> int:
    """Rank of the Jacobian at generic (A, B): min(d², 2dh − h²) for h ≤ d."""
    h = d if hidden is None else hidden
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(1, d, h, generator=g, dtype=F64)
    B = torch.randn(1, h, d, generator=g, dtype=F64)
    return numerical_rank(output_jacobian(A, B, torch.ones(1, d, d, dtype=F64))[0])


# ------------------------------------------------------------------------------------------ convolutional networks


def patch_matrix(length: int, kernel: int, dim: int) -> Tensor:
    """Circular patch operators ``(L^dim, K^dim, L^dim)``: row block p maps x (flattened) to its patch at p."""
    if dim == 1:
        Pm = torch.zeros(length, kernel, length, dtype=F64)
        for p in range(length):
            for j in range(kernel):
                Pm[p, j, (p + j) % length] = 1.0
        return Pm
    Pm = torch.zeros(length * length, kernel * kernel, length * length, dtype=F64)
    for p in range(length):
        for q in range(length):
            for i in range(kernel):
                for j in range(kernel):
                    Pm[p * length + q, i * kernel + j, ((p + i) % length) * length + (q + j) % length] = 1.0
    return Pm


@dataclass(frozen=True)
class ConvNet:
    """Two-layer circular CNN (see module docstring): ``length`` L, ``kernel`` K, ``dim`` 1 or 2, ``channels`` C,
    ``readout`` "sum" (one output weight per channel, sum pooling) or "position" (one per channel and position)."""

    length: int
    kernel: int
    dim: int = 1
    channels: int = 1
    readout: str = "sum"

    def __post_init__(self) -> None:
        if self.dim not in (1, 2) or self.readout not in ("sum", "position"):
            raise ValueError("dim must be 1 or 2 and readout 'sum' or 'position'")
        if not 1 <= self.kernel <= self.length:
            raise ValueError(f"kernel={self.kernel} must be between 1 and length={self.length}")

    @property
    def n_positions(self) -> int:
        return self.length**self.dim

    @property
    def n_kernel(self) -> int:
        return self.kernel**self.dim

    @property
    def n_params(self) -> int:
        out = 1 if self.readout == "sum" else self.n_positions
        return self.channels * (self.n_kernel + out)

    def forward(self, theta: Tensor, X: Tensor, patches: Tensor) -> Tensor:
        """Outputs ``(N,)`` for inputs ``X: (N, L^dim)``; ``theta`` is the flat parameter vector
        (kernels ``(C, K^dim)`` first, then output weights ``(C,)`` or ``(C, L^dim)``)."""
        C, nk = self.channels, self.n_kernel
        w = theta[: C * nk].reshape(C, nk)
        a = theta[C * nk :].reshape(C, -1)
        Z = torch.einsum("pjl,nl->npj", patches, X)  # (N, positions, kernel)
        h = torch.tanh(torch.einsum("npj,cj->ncp", Z, w))  # (N, C, positions)
        return (h * a[None]).sum((1, 2))

    def target_point(self, k: int, seed: int = 0) -> Tensor:
        """A k-channel target (generic kernels, unit output weights) with channels k.. C copying channel
        j mod k and output weights shared equally among the copies: the most condensed point."""
        if k > self.channels:
            raise ValueError(f"a {k}-channel target needs channels >= {k}")
        g = torch.Generator().manual_seed(seed)
        kern = torch.randn(k, self.n_kernel, generator=g, dtype=F64)
        group = torch.arange(self.channels) % k
        counts = torch.bincount(group, minlength=k).to(F64)
        w = kern[group]
        out = 1 if self.readout == "sum" else self.n_positions
        a = (1.0 / counts[group])[:, None].expand(self.channels, out)
        return torch.cat([w.flatten(), a.flatten()])


def conv_rank(
    net: ConvNet, k: int = 1, *, seed: int = 0, n_inputs: int | None = None, rtol: float = 1e-9
) -> int:
    """Model rank of ``net`` at its most condensed k-channel target: rank of the Jacobian on Gaussian inputs."""
    theta = net.target_point(k, seed)
    n = n_inputs or max(400, 3 * net.n_params)
    g = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(n, net.n_positions, generator=g, dtype=F64)
    P = patch_matrix(net.length, net.kernel, net.dim)
    J = torch.func.jacrev(lambda th: net.forward(th, X, P))(theta)
    return numerical_rank(J, rtol)


def fcn_rank_for_conv_target(
    length: int, kernel: int, dim: int = 1, k: int = 1, *, extra_width: int = 0, seed: int = 0
) -> int:
    """Model rank of a fully connected two-layer tanh net (input R^{L^dim}, no bias) at the CNN target of
    :meth:`ConvNet.target_point` with sum readout, written as k·L^dim neurons (the kernel at every shift),
    width k·L^dim + ``extra_width``. Uses :func:`recovery.theory.model_rank`."""
    P = patch_matrix(length, kernel, dim)
    g = torch.Generator().manual_seed(seed)
    kern = torch.randn(k, kernel**dim, generator=g, dtype=F64)
    V = torch.einsum("cj,pjl->cpl", kern, P).reshape(-1, length**dim)  # (k·positions, L^dim)
    tn = torch.cat([torch.ones(V.shape[0], 1, dtype=F64), V], -1)
    n = max(600, 3 * tn.shape[0] * tn.shape[1])
    return model_rank(
        tn, tn.shape[0] + extra_width, get_activation("tanh"), bias=False, n_inputs=n, seed=seed
    )


# ------------------------------------------------------------------------------------------ the calculator


def calculator_rows(
    *,
    tanh_d: int = 5,
    tanh_ks: tuple[int, ...] = (1, 2, 3),
    tanh_widths: tuple[int, ...] = (3, 6),
    mf_d: int = 4,
    conv_length: int = 6,
    conv_kernel: int = 3,
    conv2d_length: int = 4,
    conv2d_kernel: int = 2,
    seed: int = 0,
) -> list[dict]:
    """Every row of the calculator table: model, target, parameter count, computed model rank, formula."""
    rows: list[dict] = []
    for bias, d in ((False, tanh_d), (True, 1)):
        for k in tanh_ks:
            for m in tanh_widths:
                if m < k:
                    continue
                dim = d + 1 if bias else d
                rows.append(
                    dict(
                        family="two-layer tanh" + (" with bias" if bias else ""),
                        model=f"width {m}, input dim {d}" + (" (+ bias)" if bias else ""),
                        target=f"{k} neuron{'s' if k > 1 else ''}",
                        params=m * (1 + dim),
                        rank=two_layer_rank(k, d, m, bias=bias, seed=seed),
                        formula=formula_two_layer(k, d, bias),
                        formula_text=f"k(d0+2) = {k}·({d}+2)" if bias else f"k(d+1) = {k}·({d}+1)",
                        generic=two_layer_generic_rank(d, m, bias=bias, seed=seed + 1),
                    )
                )
    for r in range(1, mf_d + 1):
        rows.append(
            dict(
                family="matrix factorization",
                model=f"W = AB, {mf_d}×{mf_d}, hidden {mf_d}",
                target=f"rank {r}",
                params=2 * mf_d * mf_d,
                rank=matrix_factorization_rank(mf_d, r, seed=seed),
                formula=formula_matrix_factorization(mf_d, r),
                formula_text=f"2rd − r² = 2·{r}·{mf_d} − {r}²",
                generic=matrix_factorization_generic_rank(mf_d, seed=seed + 1),
            )
        )
    for dim, L, K in ((1, conv_length, conv_kernel), (2, conv2d_length, conv2d_kernel)):
        for readout in ("sum", "position"):
            for C in (1, 2):
                net = ConvNet(L, K, dim, C, readout)
                shape = f"L={L}" if dim == 1 else f"{L}×{L}"
                kshape = f"K={K}" if dim == 1 else f"{K}×{K}"
                ftxt = (
                    f"K{'²' if dim == 2 else ''}+1 = {K**dim}+1"
                    if readout == "sum"
                    else f"K{'²' if dim == 2 else ''}+L{'²' if dim == 2 else ''} = {K**dim}+{L**dim}"
                )
                rows.append(
                    dict(
                        family=f"{dim}-D CNN, {'sum pooling' if readout == 'sum' else 'position-wise readout'}",
                        model=f"input {shape}, kernel {kshape}, {C} channel{'s' if C > 1 else ''}",
                        target="1 channel",
                        params=net.n_params,
                        rank=conv_rank(net, 1, seed=seed),
                        formula=formula_cnn(1, K, L, dim, readout),
                        formula_text=ftxt,
                        generic=None,
                    )
                )
        n = L**dim
        rows.append(
            dict(
                family=f"fully connected on the {dim}-D input",
                model=f"width {n}, input dim {n}",
                target="the 1-channel CNN target (sum pooling)",
                params=n * (n + 1),
                rank=fcn_rank_for_conv_target(L, K, dim, 1, seed=seed),
                formula=formula_fcn_for_cnn_target(1, L, dim),
                formula_text=f"L^{dim}(L^{dim}+1) = {n}·{n + 1}",
                generic=None,
            )
        )
    for row in rows:
        row["match"] = bool(row["rank"] == row["formula"])
    return rows


# ------------------------------------------------------------------------------------------ published (LLR) models
#
# The comparison the local-linear-recovery paper publishes (arXiv:2406.18035, its Figure 3 and the 2-D closed forms;
# SCIENCE.md, "Related papers"): valid (non-circular) convolution, stride 1, input side d, kernel side s, so
# P = (d + 1 − s)^dim positions; one hidden unit per (channel c, position p) with pre-activation ⟨K_{c,p}, x⟩ + b_{c,p}
# and its own output weight a_{c,p}, f(x) = Σ_{c,p} a_{c,p} tanh(⟨K_{c,p}, x⟩ + b_{c,p}):
#
# * "cnn": K_{c,p} = P_pᵀ w_c, one kernel w_c ∈ R^{s^dim} and one bias b_c per channel (shared over positions);
# * "lc" (locally connected, no sharing): K_{c,p} = P_pᵀ w_{c,p}, a kernel and a bias per channel and position;
# * "fc" (fully connected): K_{c,p} ∈ R^{d^dim} free, a bias per unit: a two-layer network with M·P neurons.
#
# M (the width multiplier) channels; the target is the 1-channel CNN Σ_p tanh(⟨w*, P_p x⟩) (no bias), represented at
# its most condensed point: every channel a copy, output weights 1/M.

LLR_KERNEL_1D = (0.6, 0.8, 1.0)
LLR_KINDS = ("cnn", "lc", "fc")
LLR_NAMES = {"cnn": "CNN (shared kernel)", "lc": "locally connected (no sharing)", "fc": "fully connected"}
# the published model ranks (SCIENCE.md): LLR Figure 3 (1-D, d = 5, s = 3, hidden bias) and 2-D per kernel at d = 28, s = 3
LLR_PUBLISHED = {
    ("1-D", "cnn"): 7,
    ("1-D", "lc"): 15,
    ("1-D", "fc"): 21,
    ("2-D", "cnn"): 685,
    ("2-D", "lc"): 6760,
    ("2-D", "fc"): 530660,
}


def formula_llr(kind: str, d: int, s: int, dim: int, bias: bool, k: int = 1) -> int:
    """Closed-form model rank at a k-kernel target (LLR paper): with P = (d+1−s)^dim positions and β = 1 with a
    hidden bias, 0 without: CNN k(s^dim + β + P), locally connected k(s^dim + β + 1)P, fully connected
    k(d^dim + β + 1)P. (2-D without bias: k(s² + (d+1−s)²), k(s²+1)(d+1−s)², k(d²+1)(d+1−s)².)"""
    P, beta = (d + 1 - s) ** dim, int(bias)
    if kind == "cnn":
        return k * (s**dim + beta + P)
    if kind == "lc":
        return k * (s**dim + beta + 1) * P
    if kind == "fc":
        return k * (d**dim + beta + 1) * P
    raise ValueError(f"kind={kind!r} must be one of {LLR_KINDS}")


def valid_patches(d: int, s: int, dim: int) -> Tensor:
    """Valid (non-circular) patch operators ``(P, s^dim, d^dim)``, P = (d+1−s)^dim, stride 1 (a new tensor per
    call; built once per (d, s, dim))."""
    return _valid_patches(d, s, dim).clone()


@functools.lru_cache(maxsize=64)
def _valid_patches(d: int, s: int, dim: int) -> Tensor:
    q = d + 1 - s
    if not 1 <= s <= d or dim not in (1, 2):
        raise ValueError(f"need 1 <= s={s} <= d={d} and dim in (1, 2)")
    if dim == 1:
        Pm = torch.zeros(q, s, d, dtype=F64)
        for p in range(q):
            for j in range(s):
                Pm[p, j, p + j] = 1.0
        return Pm
    Pm = torch.zeros(q * q, s * s, d * d, dtype=F64)
    for p in range(q):
        for r in range(q):
            for i in range(s):
                for j in range(s):
                    Pm[p * q + r, i * s + j, (p + i) * d + r + j] = 1.0
    return Pm


@dataclass(frozen=True)
class LocalNet:
    """One of the LLR paper's three models (see the comment above): ``kind`` "cnn" / "lc" / "fc", input side
    ``d``, kernel side ``s``, ``dim`` 1 or 2, ``multiplier`` M channels, hidden ``bias`` or not.

    Flat parameters: kernels ``(M, Pw, kw)`` (Pw = 1 for the CNN, P otherwise; kw = s^dim, or d^dim for "fc"),
    then biases ``(M, Pb)`` if ``bias`` (Pb = 1 for the CNN, P otherwise), then output weights ``(M, P)``."""

    kind: str
    d: int
    s: int
    dim: int = 1
    multiplier: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        if self.kind not in LLR_KINDS:
            raise ValueError(f"kind={self.kind!r} must be one of {LLR_KINDS}")
        if not 1 <= self.s <= self.d or self.dim not in (1, 2) or self.multiplier < 1:
            raise ValueError("need 1 <= s <= d, dim in (1, 2), multiplier >= 1")

    @property
    def P(self) -> int:
        return (self.d + 1 - self.s) ** self.dim

    @property
    def D(self) -> int:
        return self.d**self.dim

    @property
    def shapes(self) -> tuple[tuple[int, int, int], tuple[int, int], tuple[int, int]]:
        M, P = self.multiplier, self.P
        kw = self.D if self.kind == "fc" else self.s**self.dim
        pw = 1 if self.kind == "cnn" else P
        return (M, pw, kw), ((M, pw) if self.bias else (M, 0)), (M, P)

    @property
    def n_params(self) -> int:
        (a, b, c), (e, f), (g, h) = self.shapes
        return a * b * c + e * f + g * h

    def unpack(self, theta: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``theta: (..., n_params)`` -> input weights K ``(..., M, P, D)``, biases ``(..., M, P)``, output
        weights ``(..., M, P)``."""
        (M, pw, kw), (bm, bp), _ = self.shapes
        lead = theta.shape[:-1]
        nw, nb = M * pw * kw, bm * bp
        w = theta[..., :nw].reshape(*lead, M, pw, kw)
        b = theta[..., nw : nw + nb].reshape(*lead, bm, bp)
        a = theta[..., nw + nb :].reshape(*lead, M, self.P)
        Pm = _valid_patches(self.d, self.s, self.dim).to(theta)  # read only
        if self.kind == "fc":
            K = w
        elif self.kind == "lc":
            K = torch.einsum("...cpj,pjl->...cpl", w, Pm)
        else:
            K = torch.einsum("...cj,pjl->...cpl", w[..., 0, :], Pm)
        if not self.bias:
            b = torch.zeros(*lead, M, self.P, dtype=theta.dtype, device=theta.device)
        elif self.kind == "cnn":
            b = b.expand(*lead, M, self.P)
        return K, b, a

    def forward(self, theta: Tensor, X: Tensor) -> Tensor:
        """Outputs: ``theta: (n_params,)``, ``X: (N, D)`` -> ``(N,)``; or batched ``theta: (B, n_params)``,
        ``X: (B, N, D)`` -> ``(B, N)``."""
        K, b, a = self.unpack(theta)
        if theta.dim() == 1:
            return (a * torch.tanh(torch.einsum("cpl,nl->ncp", K, X) + b)).sum((1, 2))
        return (a[:, None] * torch.tanh(torch.einsum("bcpl,bnl->bncp", K, X) + b[:, None])).sum((2, 3))

    def target_point(self, kernel: Tensor) -> Tensor:
        """The most condensed point representing Σ_p tanh(⟨w*, P_p x⟩) (``kernel`` w* ∈ R^{s^dim}, bias 0):
        every channel (and, without sharing, every position) carries w*, output weights 1/M."""
        (M, pw, kw), (bm, bp), _ = self.shapes
        kernel = torch.as_tensor(kernel, dtype=F64).reshape(-1)
        if self.kind == "fc":
            w = torch.einsum("j,pjl->pl", kernel, valid_patches(self.d, self.s, self.dim))[None].expand(
                M, -1, -1
            )
        else:
            w = kernel[None, None].expand(M, pw, kw)
        return torch.cat(
            [w.reshape(-1), torch.zeros(bm * bp, dtype=F64), torch.full((M * self.P,), 1.0 / M, dtype=F64)]
        )


def llr_kernel(s: int, dim: int, seed: int = 0) -> Tensor:
    """The target kernel: (0.6, 0.8, 1) for the LLR Figure-3 target (dim 1, s = 3); otherwise a generic
    Gaussian kernel (seeded) of norm ≈ √2."""
    if dim == 1 and s == 3:
        return torch.tensor(LLR_KERNEL_1D, dtype=F64)
    g = torch.Generator().manual_seed(seed)
    k = torch.randn(s**dim, generator=g, dtype=F64)
    return k * (2.0**0.5 / k.norm())


def llr_rank(net: LocalNet, *, seed: int = 0, n_inputs: int | None = None, rtol: float = 1e-9) -> int:
    """Model rank of ``net`` at the most condensed point of its target: numerical rank of the Jacobian on
    Gaussian inputs x ~ N(0, I) (at least 3 × the parameter count of them)."""
    theta = net.target_point(llr_kernel(net.s, net.dim, seed))
    n = n_inputs or max(400, 3 * net.n_params)
    g = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(n, net.D, generator=g, dtype=F64)
    J = torch.func.jacrev(lambda th: net.forward(th, X))(theta)
    return numerical_rank(J, rtol)


def published_rows(
    *,
    multipliers: tuple[int, ...] = (1, 2, 3),
    d2_check: int = 5,
    s2: int = 3,
    d2: int = 28,
    check_multiplier: int = 2,
    seed: int = 0,
) -> list[dict]:
    """The published model ranks, computed: per model one row for the 1-D LLR Figure-3 setting (d = 5, s = 3,
    hidden bias; the numerical rank at every width multiplier) and one for the 2-D setting at d = ``d2``,
    s = ``s2`` without bias (the closed form at d2, checked against the numerical rank at d = ``d2_check`` with
    ``check_multiplier`` channels, so that the rank is below the parameter count)."""
    rows = []
    for kind in LLR_KINDS:
        ranks = [llr_rank(LocalNet(kind, 5, 3, 1, M, True), seed=seed) for M in multipliers]
        f = formula_llr(kind, 5, 3, 1, True)
        rows.append(
            dict(
                model=LLR_NAMES[kind],
                setting="1-D, d=5, s=3, hidden bias (LLR Figure 3)",
                published=LLR_PUBLISHED[("1-D", kind)],
                computed=ranks[0],
                computed_by_multiplier={str(M): r for M, r in zip(multipliers, ranks)},
                formula=f,
                how="numerical Jacobian rank at the target",
                kind=kind,
                dim=1,
                params_by_multiplier={str(M): LocalNet(kind, 5, 3, 1, M, True).n_params for M in multipliers},
            )
        )
    for kind in LLR_KINDS:
        net = LocalNet(kind, d2_check, s2, 2, check_multiplier, False)
        rows.append(
            dict(
                model=LLR_NAMES[kind],
                setting=f"2-D, d={d2}, s={s2}, per kernel, no bias",
                published=LLR_PUBLISHED[("2-D", kind)],
                computed=formula_llr(kind, d2, s2, 2, False),
                formula=formula_llr(kind, d2, s2, 2, False),
                how=f"closed form at d={d2}; checked by the numerical rank at d={d2_check}, {check_multiplier} kernels",
                check_d=d2_check,
                check_numerical=llr_rank(net, seed=seed),
                check_formula=formula_llr(kind, d2_check, s2, 2, False),
                kind=kind,
                dim=2,
                check_params=net.n_params,
            )
        )
    for r in rows:
        ok = r["computed"] == r["published"]
        if r["dim"] == 1:
            ok = (
                ok
                and all(v == r["published"] for v in r["computed_by_multiplier"].values())
                and r["formula"] == r["computed"]
            )
        else:
            ok = ok and r["check_numerical"] == r["check_formula"]
        r["match"] = bool(ok)
    return rows


def llr_target(X: Tensor, kernel: Tensor | None = None) -> Tensor:
    """f*(x) = Σ_{s=1..3} tanh(0.6 x_s + 0.8 x_{s+1} + x_{s+2}) on ``X: (..., 5)`` (LLR Figure 3), or the
    1-channel valid CNN with another 1-D ``kernel``."""
    k = torch.as_tensor(LLR_KERNEL_1D if kernel is None else kernel, dtype=X.dtype)
    s = len(k)
    return sum(torch.tanh(X[..., p : p + s] @ k) for p in range(X.shape[-1] + 1 - s))


def train_llr(
    net: LocalNet,
    n_values: tuple[int, ...],
    seeds: tuple[int, ...],
    *,
    scale: float,
    lr: float,
    steps: int,
    n_test: int = 2000,
) -> dict[str, Tensor]:
    """Full-batch gradient descent (step ``lr``, ``steps`` steps) on the loss (1/2n) Σ_i (f(x_i) − f*(x_i))² of
    every (n, seed) trial, ONE batched tensor program: x_i ~ N(0, I_d) (seed's stream; a smaller n uses the
    leading rows), θ₀ = ``scale`` · N(0, I) (seed's stream, shared over n). Returns per trial (``(len(n_values),
    len(seeds))``) the test error (1/2) mean (f − f*)² on ``n_test`` fresh inputs, the final training loss, and
    the test error of the zero function (for a relative error)."""
    N, S = max(n_values), len(seeds)
    X = torch.stack(
        [torch.from_numpy(np.random.default_rng([s, 10]).standard_normal((N, net.D))) for s in seeds]
    )
    th0 = torch.stack(
        [torch.from_numpy(np.random.default_rng([s, 11]).standard_normal(net.n_params)) for s in seeds]
    )
    Xt = torch.from_numpy(np.random.default_rng([10**6, 12]).standard_normal((n_test, net.D)))
    B = len(n_values) * S
    Xb = X.repeat(len(n_values), 1, 1)  # (B, N, D), trial b = (n index, seed index)
    nb = torch.tensor([n for n in n_values for _ in seeds], dtype=F64)
    mask = (torch.arange(N)[None, :] < nb[:, None]).to(F64)
    yb = llr_target(Xb)
    theta = (scale * th0).repeat(len(n_values), 1).clone().requires_grad_(True)
    for _ in range(steps):
        r = (net.forward(theta, Xb) - yb) * mask
        loss = 0.5 * (r**2).sum(1) / nb
        (g,) = torch.autograd.grad(loss.sum(), theta)
        with torch.no_grad():
            theta -= lr * g
    with torch.no_grad():
        r = (net.forward(theta, Xb) - yb) * mask
        train_loss = 0.5 * (r**2).sum(1) / nb
        yt = llr_target(Xt)
        ft = net.forward(theta, Xt[None].expand(B, -1, -1))
        test = 0.5 * ((ft - yt) ** 2).mean(1)
    shape = (len(n_values), S)
    return {
        "test_error": test.reshape(shape),
        "train_loss": train_loss.reshape(shape),
        "zero_error": 0.5 * (yt**2).mean(),
        "theta": theta.detach().reshape(*shape, -1),
    }
