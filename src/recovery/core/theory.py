"""Theory quantities of arXiv:2405.13787, as pure functions on batches.

* Theorem 1 (small initialization). Near θ = 0 with σ(0) = 0, σ'(0) = 1, each neuron follows the linear
  system ȧ_k = w_kᵀz, ẇ_k = a_k z with z = Σ_i y_i x_i. Per neuron the matrix [[0, zᵀ], [z, 0]] has eigenvalues
  ±‖z‖ (directions (1, ±z/‖z‖)/√2) and 0 (the rest), so the only growing direction is
  u = (1, z/‖z‖)/√2 with rate ‖z‖. The *initial imbalance vector* C(θ₀) has entries C_k = ⟨(a_k, w_k)(0), u⟩;
  as the scale s → 0 the trajectory depends only on C/‖C‖, up to the time shift log(s₁/s₂)/‖z‖.
* Example 1 (single tanh neuron with bias, width 2). Global minima with zero generalization error form
  Q¹ (condensed: w₁ = w₂ = w*, a₁ + a₂ = a*) and Q² (one neuron equals (a*, w*), the other has a = 0 and any
  w), together with every copy obtained by flipping a neuron's sign (σ odd).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from .models import Activation, Data

Tensor = torch.Tensor

RECOVERY_THRESHOLD = 1e-8  # the paper's threshold on the generalization error


def growth_vector(data: Data) -> Tensor:
    """z = Σ_i y_i x_i per trial, ``(B, d)`` (Theorem 1)."""
    return torch.einsum("bn,bnd->bd", data.y * data.mask, data.X)


def growth_rate(data: Data) -> Tensor:
    """‖z‖, the rate of the only growing direction of the linearized flow at θ = 0, ``(B,)``."""
    return torch.linalg.vector_norm(growth_vector(data), dim=-1)


def unstable_direction(data: Data) -> Tensor:
    """u = (1, z/‖z‖)/√2 per trial, ``(B, 1+d)`` (Theorem 1)."""
    z = growth_vector(data)
    zhat = z / torch.linalg.vector_norm(z, dim=-1, keepdim=True)
    return torch.cat([torch.ones_like(zhat[:, :1]), zhat], dim=-1) / math.sqrt(2.0)


def imbalance_vector(theta0: Tensor, data: Data) -> Tensor:
    """The initial imbalance vector C(θ₀), ``(B, m)``: C_k = ⟨(a_k, w_k)(0), u⟩ (Theorem 1)."""
    return torch.einsum("bkp,bp->bk", theta0, unstable_direction(data))


def rescale_to_ratios(theta0: Tensor, data: Data, ratios: Tensor) -> Tensor:
    """Rescale neurons k ≥ 2 of ``theta0: (B, m, 1+d)`` so that C_k/C_1 = ``ratios[k-2]`` (``(m-1,)``).

    Each neuron (a_k, w_k) is multiplied by one number, so its direction is kept and only its imbalance
    changes; used by Figures 2 and 5 of arXiv:2405.13787 to give runs of different seeds and scales the same
    normalized C(θ₀).
    """
    C = imbalance_vector(theta0, data)
    if theta0.shape[1] < 2:
        return theta0.clone()
    ratios = torch.as_tensor(ratios, dtype=theta0.dtype).reshape(-1)
    if ratios.numel() != theta0.shape[1] - 1:
        raise ValueError(f"ratios has {ratios.numel()} entries, expected width - 1 = {theta0.shape[1] - 1}")
    factor = torch.ones_like(C)
    factor[:, 1:] = ratios[None, :] * C[:, :1] / C[:, 1:]
    return theta0 * factor[..., None]


def linear_phase(theta0: Tensor, data: Data, t: float | Tensor) -> Tensor:
    """Closed-form solution θ(t) = exp(tM)θ₀ of the linearized flow near 0 (valid while ‖θ(t)‖ ≪ 1).

    With u± = (1, ±z/‖z‖)/√2: θ(t) = θ₀ + (e^{‖z‖t} − 1)⟨θ₀, u₊⟩u₊ + (e^{−‖z‖t} − 1)⟨θ₀, u₋⟩u₋ per neuron.
    """
    z = growth_vector(data)
    lam = torch.linalg.vector_norm(z, dim=-1)
    zhat = z / lam[:, None]
    one = torch.ones_like(zhat[:, :1])
    up = torch.cat([one, zhat], -1) / math.sqrt(2.0)
    um = torch.cat([one, -zhat], -1) / math.sqrt(2.0)
    t = torch.as_tensor(t, dtype=theta0.dtype)
    gp = (torch.exp(lam * t) - 1.0)[:, None, None]
    gm = (torch.exp(-lam * t) - 1.0)[:, None, None]
    cp = torch.einsum("bkp,bp->bk", theta0, up)[..., None]
    cm = torch.einsum("bkp,bp->bk", theta0, um)[..., None]
    return theta0 + gp * cp * up[:, None, :] + gm * cm * um[:, None, :]


def theorem1_time_shift(C_ref: Tensor, C: Tensor, rate: Tensor | float) -> Tensor:
    """Time by which a run with imbalance C lags one with C_ref (same direction C/‖C‖): log(‖C_ref‖/‖C‖)/‖z‖.

    Shifting the second run's time axis by minus this amount makes the two trajectories coincide as s → 0.
    """
    return torch.log(torch.linalg.vector_norm(C_ref, dim=-1) / torch.linalg.vector_norm(C, dim=-1)) / rate


def generalization_error(theta: Tensor, x_test: Tensor, target, act: Activation) -> Tensor:
    """Mean squared difference between f_θ and f* on the scalar test inputs ``x_test: (N,)``, ``(B,)``.

    ``theta`` may carry extra leading dimensions (e.g. checkpoints): ``(..., m, 1+d)`` → ``(...)``.
    """
    from .data import with_bias

    lead = theta.shape[:-2]
    flat = theta.reshape(-1, *theta.shape[-2:])
    X, y = with_bias(x_test), target(x_test)[None, :]
    step = max(1, (1 << 20) // max(1, flat.shape[1] * len(x_test)))  # bounded (B, m, N) temporaries
    err = torch.empty(flat.shape[0], dtype=flat.dtype)
    for i in range(0, flat.shape[0], step):
        part = flat[i : i + step]
        f = (part[..., 0, None] * act.fn(part[..., 1:] @ X.T)).sum(-2)  # f_θ on the test inputs, (b, N)
        err[i : i + step] = ((f - y) ** 2).mean(-1)
    return err.reshape(lead)


def recovered(gen_error: Tensor, threshold: float = RECOVERY_THRESHOLD) -> Tensor:
    """Recovery flag: generalization error below the paper's threshold 1e-8."""
    return gen_error < threshold


def _sign_patterns(m: int, odd: bool) -> Tensor:
    if not odd:
        return torch.ones(1, m, dtype=torch.float64)
    if m > 12:
        raise ValueError(f"distance to Q¹/Q² enumerates 2^width sign patterns: width={m} must be <= 12")
    return torch.tensor(list(itertools.product([1.0, -1.0], repeat=m)), dtype=torch.float64)


def distance_to_Q1(theta: Tensor, target_neuron: np.ndarray | Tensor, odd: bool = True) -> Tensor:
    """Euclidean distance from θ ``(..., m, 1+d)`` to the condensed set Q¹ = {w_k = s_k w*, Σ_k s_k a_k = a*}.

    For a sign pattern s the distance² is Σ_k ‖w_k − s_k w*‖² + (Σ_k s_k a_k − a*)²/m; the minimum over all
    patterns (only s = 1 for a non-odd σ) is returned.
    """
    tn = torch.as_tensor(target_neuron, dtype=theta.dtype)
    a, W = theta[..., 0], theta[..., 1:]
    m = theta.shape[-2]
    S = _sign_patterns(m, odd).to(theta.dtype)  # (P, m)
    dw = ((W[..., None, :, :] - S[:, :, None] * tn[1:]) ** 2).sum((-1, -2))  # (..., P)
    da = ((a[..., None, :] * S).sum(-1) - tn[0]) ** 2 / m
    return torch.sqrt((dw + da).min(-1).values)


def distance_to_Q2(theta: Tensor, target_neuron: np.ndarray | Tensor, odd: bool = True) -> Tensor:
    """Distance from θ to Q² = {one neuron j equals ±(a*, w*), every other neuron has a_k = 0 (w_k free)}."""
    tn = torch.as_tensor(target_neuron, dtype=theta.dtype)
    a2 = theta[..., 0] ** 2
    m = theta.shape[-2]
    others = 1.0 - torch.eye(m, dtype=theta.dtype, device=theta.device)  # summed directly: no cancellation
    dead = torch.einsum("...k,jk->...j", a2, others)  # (..., m): Σ_{k≠j} a_k²
    best = None
    for s in [1.0, -1.0] if odd else [1.0]:
        dj = ((theta - s * tn) ** 2).sum(-1)  # (..., m): neuron j matches the target
        cand = (dj + dead).min(-1).values
        best = cand if best is None else torch.minimum(best, cand)
    return torch.sqrt(best)


# Labels of the set a run converges to.
Q1, Q2, NEITHER = 1, 2, 0
SET_NAMES = {Q1: "Q1", Q2: "Q2", NEITHER: "neither"}


def classify_limit(
    theta: Tensor,
    target_neuron: np.ndarray | Tensor,
    odd: bool = True,
    *,
    tol: float = 0.1,
    margin: float = 2.0,
) -> Tensor:
    """Label the end point of each run: Q¹, Q² or neither (``(B,)`` ints, see :data:`SET_NAMES`).

    Rule (the *nearer branch*, stated on the Figure 3 page): a run reached a set if its distance to that set is
    below ``tol`` and at least ``margin`` times smaller than its distance to the other set. Runs near Q¹ ∩ Q²
    (both distances comparable) or far from both are ``neither`` (unresolved at this horizon). Convergence to
    Q¹ is sublinear (distance ∝ t^(−1/2)), so near the boundary the label depends on the horizon.
    """
    lead = theta.shape[:-2]
    flat = theta.reshape(-1, *theta.shape[-2:])
    out = torch.full((flat.shape[0],), NEITHER, dtype=torch.int64)
    for i in range(
        0, flat.shape[0], _CLASSIFY_CHUNK
    ):  # bounded temporaries (2^width sign patterns per point)
        part = flat[i : i + _CLASSIFY_CHUNK]
        d1 = distance_to_Q1(part, target_neuron, odd)
        d2 = distance_to_Q2(part, target_neuron, odd)
        o = out[i : i + _CLASSIFY_CHUNK]
        o[(d1 < tol) & (d1 * margin < d2)] = Q1
        o[(d2 < tol) & (d2 * margin < d1)] = Q2
    return out.reshape(lead)


_CLASSIFY_CHUNK = 1 << 14  # points classified at a time


def ratio_thresholds(ratio: np.ndarray, label: np.ndarray) -> dict[str, float | bool]:
    """Measured |C₁/C₂| thresholds of Figure 3 from per-seed ratios and reached sets.

    The Q¹ seeds form a band of ratios around 1. ``threshold_low`` is the midpoint between the largest Q² ratio
    below the band and the band's smallest ratio; ``threshold_high`` likewise above. Swapping the two neurons
    maps r to 1/r, so the two should be reciprocal; ``threshold_symmetric`` pools both sides through
    ρ = max(r, 1/r). ``band_is_interval`` is False if any Q² seed lies inside the Q¹ band. NaN where a side
    has no seeds.
    """
    ratio = np.asarray(ratio, float)
    label = np.asarray(label)
    q1, q2 = ratio[label == Q1], ratio[label == Q2]
    nan = float("nan")
    if q1.size == 0:
        return {
            "threshold_low": nan,
            "threshold_high": nan,
            "threshold_symmetric": nan,
            "q1_min": nan,
            "q1_max": nan,
            "q2_below_max": nan,
            "q2_above_min": nan,
            "band_is_interval": False,
        }
    lo, hi = float(q1.min()), float(q1.max())
    below, above = q2[q2 < lo], q2[q2 > hi]
    b = float(below.max()) if below.size else nan
    a = float(above.min()) if above.size else nan
    rho1, rho2 = np.maximum(q1, 1 / q1), np.maximum(q2, 1 / q2)
    sym = 0.5 * (rho1.max() + rho2[rho2 > rho1.max()].min()) if (rho2 > rho1.max()).any() else nan
    return {
        "threshold_low": 0.5 * (b + lo),
        "threshold_high": 0.5 * (hi + a),
        "threshold_symmetric": float(sym),
        "q1_min": lo,
        "q1_max": hi,
        "q2_below_max": b,
        "q2_above_min": a,
        "band_is_interval": bool(not ((q2 > lo) & (q2 < hi)).any()),
    }


# ------------------------------------------------------------------------------------ model rank (Sec. 4)


def output_jacobian(theta: Tensor, X: Tensor, act: Activation) -> Tensor:
    """∂f_θ(x_j)/∂θ for inputs ``X: (N, d)`` and one parameter point ``theta: (m, 1+d)``, ``(N, m(1+d))``.

    Rows are (σ(w_kᵀx), a_k σ'(w_kᵀx) xᵀ) per neuron, the same layout as ``theta.flatten()``.
    """
    a, W = theta[:, 0], theta[:, 1:]
    pre = X @ W.T  # (N, m)
    s, s1 = act.with_derivatives(pre, 1)
    J = torch.cat([s[..., None], (a * s1)[..., None] * X[:, None, :]], dim=-1)  # (N, m, 1+d)
    return J.reshape(X.shape[0], -1)


def numerical_rank(M: Tensor, rtol: float = 1e-9) -> int:
    """Number of singular values above ``rtol`` times the largest (0 for a zero matrix)."""
    sv = torch.linalg.svdvals(M)
    if sv.numel() == 0 or float(sv[0]) == 0.0:
        return 0
    return int((sv > rtol * sv[0]).sum())


def jacobian_rank(
    theta: Tensor,
    act: Activation,
    *,
    dim: int = 2,
    bias: bool = True,
    n_inputs: int = 400,
    seed: int = 0,
    rtol: float = 1e-9,
) -> int:
    """Model rank at θ: dim of span{∂f_θ/∂θ_p} as functions, via the Jacobian on generic inputs.

    Inputs are ``n_inputs`` Gaussian points (x ∈ R^{dim−1} with a constant 1 appended when ``bias``, else
    x ∈ R^{dim}); with far more generic points than parameters the rank of the Jacobian equals the dimension
    of the span of the functions (arXiv:2307.08921, model rank; arXiv:2405.13787, Sec. 4).
    """
    g = torch.Generator().manual_seed(seed)
    raw = torch.randn(n_inputs, dim - 1 if bias else dim, generator=g, dtype=torch.float64)
    X = torch.cat([raw, torch.ones(n_inputs, 1, dtype=torch.float64)], -1) if bias else raw
    return numerical_rank(output_jacobian(theta, X, act), rtol)


def condensed_point(target_neurons: Tensor, width: int) -> Tensor:
    """A point of the target set where the ``width`` neurons are split among the k target neurons, each copy
    carrying an equal share of its output weight (the most condensed representation; ``(width, 1+d)``)."""
    k = target_neurons.shape[0]
    if width < k:
        raise ValueError(f"width={width} cannot represent a target of {k} neurons")
    group = torch.arange(width) % k
    counts = torch.bincount(group, minlength=k).to(torch.float64)
    theta = target_neurons[group].clone()
    theta[:, 0] = target_neurons[group, 0] / counts[group]
    return theta


def model_rank(target_neurons: Tensor, width: int, act: Activation, *, bias: bool = True, **kw) -> int:
    """Optimistic sample size of a k-neuron target for a width-``width`` network: the smallest model rank
    over the target set, attained at the condensed point (every neuron on a target direction).

    Predicted (arXiv:2307.08921): k(d + 1) for inputs x ∈ R^d without bias, k(d₀ + 2) with a bias and raw input
    dimension d₀, independent of the width. ``target_neurons: (k, 1+dim)`` with distinct directions.
    """
    dim = target_neurons.shape[1] - 1
    return jacobian_rank(condensed_point(target_neurons, width), act, dim=dim, bias=bias, **kw)


def hessian_spectrum_at(theta: Tensor, data: Data, act: Activation) -> Tensor:
    """Eigenvalues (ascending) of the training-loss Hessian at one point ``theta: (m, 1+d)``."""
    from .models import loss_grad_hessian

    _, _, H = loss_grad_hessian(theta[None], data, act)
    return torch.linalg.eigvalsh(H[0])


def zero_eigenvalue_count(eigenvalues: Tensor, rtol: float = 1e-8) -> int:
    """Eigenvalues with |λ| ≤ rtol·max|λ| (numerically zero)."""
    scale = float(eigenvalues.abs().max())
    return int((eigenvalues.abs() <= rtol * scale).sum()) if scale > 0 else int(eigenvalues.numel())
