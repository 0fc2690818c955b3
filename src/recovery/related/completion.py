"""Matrix completion by a matrix factorization model W = AB trained by gradient flow from a small initialization
(arXiv:2405.13721, Bai, Zhao, Zhang), with the two reference completions it is compared to.

* Model: W = AB with A: (d, h), B: (h, d) (``h`` the hidden width; h = d by default: no rank constraint).
  Loss ℓ(A, B) = ½ Σ_{(i,j) ∈ Ω} ((AB)_ij − M_ij)² over the observed entries Ω (a 0/1 ``mask``), gradient
  flow dθ/dt = −∇ℓ from A₀ = s·Â, B₀ = s·B̂ (Â, B̂ standard Gaussian, s the initialization scale).
* Connectivity: the observation graph of Ω is the bipartite graph with the d rows and d columns as vertices
  and an edge i–j for every observed entry (i, j). The pattern is *connected* if this graph is connected
  (rows and columns without observations are left out). The paper's finding, as our research notes summarize it
  (its own text was not available to us): connected data → the learned solution has minimum rank; disconnected
  data → minimum nuclear norm.
* Closed forms of the 2 × 2 examples (ours, derived below and checked by the tests):
  - connected [[1, 2], [3, ?]]: the rank-1 completion is unique, ? = 6; the minimum nuclear norm completion
    is ? = 1 (for 2 × 2, ‖X‖_* = sqrt(‖X‖_F² + 2|det X|), minimized at ? = 1 with ‖X‖_* = 5);
  - disconnected [[m₁, ?], [?, m₂]] (m₁, m₂ > 0): row 1 of A and column 1 of B only see entry (1, 1), so the
    pairs (a₁, b₁) and (a₂, b₂) evolve independently; with p = a + b and q = a − b each pair obeys
    ṗ = −r p, q̇ = r q (r = a·b − m), so p keeps its direction, |p||q| is conserved and the limit solves
    (|p|² − |q|²)/4 = m. The learned fill is X₁₂ = a₁·b₂, X₂₁ = a₂·b₁ (:func:`disconnected_2x2_limit`); as s → 0
    both tend to sqrt(m₁m₂)·cos φ with φ the angle between p₁(0) and p₂(0): a symmetric positive semidefinite
    completion with nuclear norm exactly m₁ + m₂ (= 5 for [[1, ?], [?, 4]]), the minimum, generically of rank 2.

Numerics (float64 throughout, all trials in one tensor program):

* :func:`gradient_flow` integrates the flow on the package's one Rosenbrock engine
  (:func:`recovery.core.dynamics.integrate`, MATLAB's ode23s) through :class:`FactorizationProblem` (the
  closed-form Hessian :func:`loss_grad_hessian`), with one step size per trial, error control relative to
  ‖θ‖ (an absolute tolerance would step over the exponential escape from the saddle at 0), and the
  engine's statuses, budgets and stall/divergence detection.
* :func:`nuclear_norm_completion`: min ‖X‖_* subject to X_Ω = M_Ω by Douglas–Rachford splitting (singular
  value soft-thresholding and projection on the affine set), with a certified lower bound from the dual
  variable (cvxpy is not part of the pinned environment).
* :func:`min_rank_completion`: the smallest r' such that some rank-r' matrix fits the observed entries,
  found by Levenberg–Marquardt on X = UV from several random starts (numerical: a feasible rank is certified
  by its residual, an infeasible one is only "not found").
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..core.dynamics import FlowConfig, TorchProblem, integrate, single_thread

Tensor = torch.Tensor


# ------------------------------------------------------------------------------------------ observation graph


def observation_components(mask: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the observation graph of one pattern ``mask: (d1, d2)``.

    The bipartite graph has the rows 0..d1−1 and the columns d1..d1+d2−1 as vertices and an edge i–(d1+j) per
    observed entry (i, j). Rows and columns without any observation are left out: they carry no data, and
    both the learned and the reference completions are zero there. Returns (number of components among the
    observed rows and columns, component label per vertex, −1 for the unobserved ones).
    """
    mask = np.asarray(mask) != 0
    d1, d2 = mask.shape
    i, j = np.nonzero(mask)
    n = d1 + d2
    g = csr_matrix((np.ones(len(i)), (i, d1 + j)), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    used = np.concatenate([mask.any(1), mask.any(0)])
    labels = np.where(used, labels, -1)
    return len(set(labels[used].tolist())), labels


def is_connected(mask: np.ndarray) -> bool:
    """True if the observed rows and columns form one connected observation graph (at least one entry)."""
    return observation_components(mask)[0] == 1


def components_complete_bipartite(mask: np.ndarray) -> bool:
    """True if every component of the observation graph is complete bipartite (all entries between its rows
    and columns observed): the disconnected case in which arXiv:2405.13721 guarantees minimum nuclear norm."""
    mask = np.asarray(mask) != 0
    d1 = mask.shape[0]
    k, labels = observation_components(mask)
    for c in set(labels[labels >= 0].tolist()):
        rows = np.flatnonzero(labels[:d1] == c)
        cols = np.flatnonzero(labels[d1:] == c)
        if not mask[np.ix_(rows, cols)].all():
            return False
    return k >= 1


def spanning_tree_fraction(d1: int, d2: int) -> float:
    """Fraction of the patterns of ``d1 + d2 − 1`` observed entries of a ``d1 × d2`` matrix whose observation graph
    is a spanning tree (connected and without a cycle: the patterns at the model rank of rank 1 from which a generic
    rank-1 target is recovered). Ours: Scoins' count d1^(d2−1)·d2^(d1−1) of the spanning trees of K_{d1,d2}
    over binom(d1·d2, d1 + d2 − 1)."""
    return d1 ** (d2 - 1) * d2 ** (d1 - 1) / math.comb(d1 * d2, d1 + d2 - 1)


def is_forest(mask: np.ndarray) -> bool:
    """True if the observation graph has no cycle (edges = vertices − components). For generic entries a
    rank-1 completion exists exactly when this holds (each cycle imposes one generic equation)."""
    mask = np.asarray(mask) != 0
    k, labels = observation_components(mask)
    return int(mask.sum()) == int((labels >= 0).sum()) - k


# ------------------------------------------------------------------------------------------ model and loss


def unpack(theta: Tensor, d: int, h: int) -> tuple[Tensor, Tensor]:
    """``theta: (T, 2dh)`` → A ``(T, d, h)``, B ``(T, h, d)`` (row-major blocks, A first)."""
    return theta[:, : d * h].reshape(-1, d, h), theta[:, d * h :].reshape(-1, h, d)


def pack(A: Tensor, B: Tensor) -> Tensor:
    """A ``(T, d, h)``, B ``(T, h, d)`` → ``(T, 2dh)``."""
    return torch.cat([A.flatten(1), B.flatten(1)], dim=1)


def loss_and_grad(theta: Tensor, M: Tensor, mask: Tensor, d: int, h: int) -> tuple[Tensor, Tensor]:
    """ℓ = ½ Σ_Ω ((AB) − M)² per trial ``(T,)`` and ∇ℓ ``(T, 2dh)``: ∇_A = R Bᵀ, ∇_B = Aᵀ R, R = mask∘(AB − M)."""
    A, B = unpack(theta, d, h)
    R = mask * (A @ B - M)
    return 0.5 * (R * R).sum((-1, -2)), pack(R @ B.transpose(1, 2), A.transpose(1, 2) @ R)


@functools.lru_cache(maxsize=32)
def _jacobian_index(d: int, h: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Where the entries of the output Jacobian and of the Hessian's residual block come from, for
    :func:`output_jacobian` and :func:`loss_grad_hessian`: ``G (d·d, 2dh)``, the index into θ = (A, B) of
    ∂(AB)_ij/∂θ_c up to its Kronecker factor ``E (d·d, 2dh)`` (0/1), and likewise ``GS, ES (dh, hd)`` for the
    residual block S[(i, k), (q, j)] = R_ij δ_kq (index into R flattened)."""
    G = torch.zeros(d * d, 2 * d * h, dtype=torch.int64)
    E = torch.zeros(d * d, 2 * d * h, dtype=torch.float64)
    for i in range(d):
        for j in range(d):
            for p in range(d):
                for k in range(h):
                    G[i * d + j, p * h + k] = d * h + k * d + j  # ∂/∂A_pk: δ_ip B_kj
                    E[i * d + j, p * h + k] = float(i == p)
            for k in range(h):
                for q in range(d):
                    G[i * d + j, d * h + k * d + q] = i * h + k  # ∂/∂B_kq: A_ik δ_jq
                    E[i * d + j, d * h + k * d + q] = float(j == q)
    GS = torch.zeros(d * h, h * d, dtype=torch.int64)
    ES = torch.zeros(d * h, h * d, dtype=torch.float64)
    for i in range(d):
        for k in range(h):
            for q in range(h):
                for j in range(d):
                    GS[i * h + k, q * d + j] = i * d + j
                    ES[i * h + k, q * d + j] = float(k == q)
    return G, E, GS, ES


def _jacobian(theta: Tensor, mask: Tensor, d: int, h: int) -> Tensor:
    """:func:`output_jacobian` from the flat states ``theta: (T, 2dh)``: one gather and one product. Every entry is
    the product θ_c·(E·mask) of the einsum formulation (E·mask ∈ {0, 1}), so the result is the same bit for bit,
    signed zeros included."""
    G, E, _, _ = _jacobian_index(d, h)
    G, E = G.to(theta.device), E.to(device=theta.device, dtype=theta.dtype)
    return theta[:, G] * (E * mask.reshape(-1, d * d, 1))


def output_jacobian(A: Tensor, B: Tensor, mask: Tensor) -> Tensor:
    """∂(AB)_ij/∂θ for the observed (i, j) (unobserved rows are zero), ``(T, d·d, 2dh)``.

    ∂(AB)_ij/∂A_i'k = δ_ii' B_kj and ∂(AB)_ij/∂B_kj' = A_ik δ_jj'.
    """
    return _jacobian(pack(A, B), mask, A.shape[1], A.shape[2])


def loss_grad_hessian(
    theta: Tensor, M: Tensor, mask: Tensor, d: int, h: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Loss, gradient and the exact Hessian ``(T, P, P)``, P = 2dh: H = JᵀJ + S with the residual term
    S[(A_ik), (B_k'j)] = R_ij δ_kk' (and its transpose)."""
    A, B = unpack(theta, d, h)
    R = mask * (A @ B - M)
    grad = pack(R @ B.transpose(1, 2), A.transpose(1, 2) @ R)
    J = _jacobian(theta, mask, d, h)
    H = J.transpose(1, 2) @ J
    _, _, GS, ES = _jacobian_index(d, h)
    S = R.reshape(-1, d * d)[:, GS.to(R.device)] * ES.to(device=R.device, dtype=R.dtype)
    H[:, : d * h, d * h :] += S
    H[:, d * h :, : d * h] += S.transpose(1, 2)
    return 0.5 * (R * R).sum((-1, -2)), grad, H


def initial_factors(seeds: list[int], d: int, h: int, scale: float) -> tuple[Tensor, Tensor]:
    """A₀ = s·Â ``(T, d, h)``, B₀ = s·B̂ ``(T, h, d)``, Â and B̂ standard Gaussian from one generator per seed."""
    A, B = [], []
    for s in seeds:
        g = torch.Generator().manual_seed(int(s))
        A.append(torch.randn(d, h, generator=g, dtype=torch.float64))
        B.append(torch.randn(h, d, generator=g, dtype=torch.float64))
    return scale * torch.stack(A), scale * torch.stack(B)


def random_low_rank(seed: int, d: int, rank: int) -> Tensor:
    """M = U Vᵀ/√rank with U, V ∈ R^{d×rank} standard Gaussian (seeded): a generic rank-``rank`` target ``(d, d)``."""
    g = torch.Generator().manual_seed(int(seed))
    U = torch.randn(d, rank, generator=g, dtype=torch.float64)
    V = torch.randn(d, rank, generator=g, dtype=torch.float64)
    return U @ V.T / math.sqrt(rank)


def random_pattern(seed: int, d: int, n: int) -> Tensor:
    """A 0/1 mask ``(d, d)`` with ``n`` observed entries drawn uniformly without replacement (seeded)."""
    g = torch.Generator().manual_seed(int(seed))
    idx = torch.randperm(d * d, generator=g)[:n]
    m = torch.zeros(d * d, dtype=torch.float64)
    m[idx] = 1.0
    return m.reshape(d, d)


# ------------------------------------------------------------------------------------------ gradient flow


class FactorizationProblem(TorchProblem):
    """The flow of ℓ(A, B) as a :class:`recovery.core.dynamics.Problem`: states θ = (A, B) flattened
    ``(T, 2dh)``, exact Hessian (:func:`loss_grad_hessian`), dense LU of I + γH; checkpoints record W = AB."""

    def __init__(self, M: Tensor, mask: Tensor, d: int, h: int) -> None:
        self.M, self.mask, self.d, self.h = M, mask, d, h
        self.device = M.device
        self.eye = torch.eye(2 * d * h, dtype=torch.float64, device=M.device)

    def select(self, idx: np.ndarray) -> FactorizationProblem:
        i = torch.as_tensor(idx, device=self.device)
        return FactorizationProblem(self.M[i], self.mask[i], self.d, self.h)

    def loss_grad(self, x: Tensor) -> tuple[np.ndarray, Tensor]:
        loss, g = loss_and_grad(x, self.M, self.mask, self.d, self.h)
        return loss.cpu().numpy(), g

    def grad_solver(self, x: Tensor, gamma: np.ndarray):
        _, g, H = loss_grad_hessian(x, self.M, self.mask, self.d, self.h)
        LU, piv, _ = torch.linalg.lu_factor_ex(self.eye + self.gamma(gamma)[:, None, None] * H)
        return g, lambda r: torch.linalg.lu_solve(LU, piv, r[..., None])[..., 0]

    def record(self, x: Tensor, idx: np.ndarray) -> np.ndarray:
        A, B = unpack(self.take(x, idx), self.d, self.h)
        return (A @ B).cpu().numpy()


@dataclass
class FlowResult:
    """Batched trajectories: ``times: (K,)``; per trial ``W: (T, K, d, d)`` and ``loss: (T, K)`` at the
    checkpoints, the final ``A: (T, d, h)``, ``B: (T, h, d)``, ``final_time``, ``final_loss``, ``status`` (a
    :class:`recovery.core.dynamics.Status` value: 1 converged, 2 horizon, 3 step budget, 4 stalled,
    5 diverged, 6 time budget), ``steps`` and ``rejected``."""

    times: np.ndarray
    W: Tensor
    loss: Tensor
    A: Tensor
    B: Tensor
    final_time: Tensor
    final_loss: Tensor
    status: Tensor
    steps: Tensor
    wall_time: float
    rejected: Tensor | None = None


def flow_config(
    t_max: float = 1e4,
    rtol: float = 1e-6,
    checkpoints_per_decade: int = 20,
    stop_loss: float = 1e-26,
    max_steps: int = 20_000,
    h0: float = 1e-3,
    wall_time_limit: float = 3600.0,
) -> FlowConfig:
    """The engine's settings for matrix completion (absolute tolerance 0: error control relative to ‖θ‖)."""
    return FlowConfig(
        t_max=t_max,
        rtol=rtol,
        atol=0.0,
        stop_loss=stop_loss,
        max_steps=max_steps,
        h0=h0,
        checkpoints_per_decade=checkpoints_per_decade,
        wall_time_limit=wall_time_limit,
    )


def gradient_flow(
    M: Tensor,
    mask: Tensor,
    A0: Tensor,
    B0: Tensor,
    *,
    t_max: float = 1e4,
    rtol: float = 1e-6,
    checkpoints_per_decade: int = 20,
    stop_loss: float = 1e-26,
    max_steps: int = 20_000,
    h0: float = 1e-3,
    wall_time_limit: float = 3600.0,
) -> FlowResult:
    """Gradient flow of ℓ(A, B) for every trial of the batch (``M, mask: (T, d, d)``, ``A0: (T, d, h)``,
    ``B0: (T, h, d)``) on the package's Rosenbrock engine (:func:`recovery.core.dynamics.integrate`).

    A step is accepted when its error estimate is at most ``rtol`` · max(‖θ‖, ‖θ⁺‖). A trial stops when its
    loss is below ``stop_loss`` (``Status.CONVERGED``), at ``t_max`` (``HORIZON``), after ``max_steps``
    (``STEP_BUDGET``), on a step-size collapse (``STALLED``), on non-finite values (``DIVERGED``) or when the
    run exceeds ``wall_time_limit`` seconds (``TIME_BUDGET``); its remaining checkpoints keep its final state.
    Small batches run single-threaded (tiny per-step tensors: torch's thread pool only adds overhead).
    """
    T, d, h = A0.shape
    P = 2 * d * h
    cfg = flow_config(t_max, rtol, checkpoints_per_decade, stop_loss, max_steps, h0, wall_time_limit)
    with single_thread(T * P**2 < 4_000_000):
        raw = integrate(FactorizationProblem(M, mask, d, h), pack(A0, B0).clone(), T, P, (d, d), cfg)
    A, B = unpack(torch.from_numpy(raw.final_x), d, h)
    as_t = torch.from_numpy
    return FlowResult(
        raw.times,
        as_t(raw.traj),
        as_t(raw.loss),
        A,
        B,
        as_t(raw.final_time),
        as_t(raw.final_loss),
        as_t(raw.status),
        as_t(raw.steps),
        raw.wall_time,
        as_t(raw.rejected),
    )


def checkpoint_times(t_max: float, per_decade: int, t_first: float = 1e-2) -> np.ndarray:
    """0, then log-spaced times from ``t_first`` to ``t_max`` (both included): the engine's checkpoints."""
    return FlowConfig(
        t_max=t_max, checkpoints_per_decade=per_decade, t_first_checkpoint=t_first
    ).checkpoint_times()


# ------------------------------------------------------------------------------------------ closed forms


def nuclear_norm_2x2(X: np.ndarray) -> float:
    """‖X‖_* of a 2 × 2 matrix in closed form: (σ₁ + σ₂)² = ‖X‖_F² + 2|det X|."""
    X = np.asarray(X, float)
    return float(math.sqrt((X**2).sum() + 2 * abs(np.linalg.det(X))))


def connected_2x2_min_nuclear(a: float, b: float, c: float) -> tuple[float, float]:
    """Minimum nuclear norm completion of [[a, b], [c, ?]] by a 1-D minimization of the closed form: (?, ‖X‖_*).

    ‖X‖_*² = a² + b² + c² + x² + 2|a x − b c| is convex in x; scipy's bounded scalar minimizer finds it.
    """
    from scipy.optimize import minimize_scalar

    f = lambda x: nuclear_norm_2x2(np.array([[a, b], [c, x]]))  # noqa: E731
    lim = 10 * (abs(a) + abs(b) + abs(c)) / max(abs(a), 1e-12) + 10
    r = minimize_scalar(f, bounds=(-lim, lim), method="bounded", options={"xatol": 1e-12})
    return float(r.x), float(r.fun)


def disconnected_2x2_limit(A0: Tensor, B0: Tensor, m1: float, m2: float) -> tuple[Tensor, Tensor]:
    """Exact limit of the flow on [[m₁, ?], [?, m₂]] (m₁, m₂ > 0) from ``A0: (T, 2, h)``, ``B0: (T, h, 2)``:
    the learned (X₁₂, X₂₁), ``(T,)`` each (derivation in the module docstring).

    For pair k (row k of A, column k of B): p = a + b scales by c > 0 and q = a − b by 1/c, with
    c²|p₀|² − |q₀|²/c² = 4m_k, i.e. c² = (2m_k + sqrt(4m_k² + |p₀|²|q₀|²))/|p₀|².
    """
    ends = []
    for k, m in ((0, m1), (1, m2)):
        a, b = A0[:, k, :], B0[:, :, k]
        p, q = a + b, a - b
        P2, Q2 = (p * p).sum(-1), (q * q).sum(-1)
        c2 = (2 * m + torch.sqrt(4 * m * m + P2 * Q2)) / P2
        c = torch.sqrt(c2)
        ends.append(((c[:, None] * p + q / c[:, None]) / 2, (c[:, None] * p - q / c[:, None]) / 2))
    (a1, b1), (a2, b2) = ends
    return (a1 * b2).sum(-1), (a2 * b1).sum(-1)


def disconnected_2x2_small_init_limit(A0: Tensor, B0: Tensor, m1: float, m2: float) -> Tensor:
    """The s → 0 limit of the fill: sqrt(m₁m₂)·cos φ, φ the angle between a₁ + b₁ and a₂ + b₂ at t = 0."""
    p1 = A0[:, 0, :] + B0[:, :, 0]
    p2 = A0[:, 1, :] + B0[:, :, 1]
    cos = (p1 * p2).sum(-1) / (torch.linalg.vector_norm(p1, dim=-1) * torch.linalg.vector_norm(p2, dim=-1))
    return math.sqrt(m1 * m2) * cos


# ------------------------------------------------------------------------------------------ reference completions


def nuclear_norm_completion(
    M: Tensor, mask: Tensor, *, iters: int = 4000, gamma: float | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """min ‖X‖_* subject to X_Ω = M_Ω for a batch ``M, mask: (T, d, d)`` by Douglas–Rachford splitting.

    Iteration: X = P(Z) (observed entries set to M), Y = SVT_γ(2X − Z), Z ← Z + Y − X. Returns
    (X ``(T, d, d)``, ‖X‖_* ``(T,)``, a certified lower bound ``(T,)``). The bound: G = (2X − Z − Y)/γ is a
    subgradient of ‖·‖_* at Y; its part on Ω, scaled to spectral norm ≤ 1, is dual feasible, so
    ⟨G_Ω, M⟩/max(1, ‖G_Ω‖₂) ≤ min ‖X‖_* (weak duality). ``gamma`` defaults to 0.2·‖M_Ω‖_F/√d.
    """
    Mo = mask * M
    if gamma is None:
        gamma = float(0.2 * torch.linalg.matrix_norm(Mo).max() / math.sqrt(M.shape[-1])) or 1.0
    Z = Mo.clone()
    for _ in range(iters):
        X = Mo + (1 - mask) * Z
        U, S, Vh = torch.linalg.svd(2 * X - Z)
        Y = U @ torch.diag_embed((S - gamma).clamp(min=0)) @ Vh
        Z = Z + Y - X
    X = Mo + (1 - mask) * Z
    U, S, Vh = torch.linalg.svd(2 * X - Z)
    Y = U @ torch.diag_embed((S - gamma).clamp(min=0)) @ Vh
    G = mask * (2 * X - Z - Y) / gamma
    bound = (G * Mo).sum((-1, -2)) / torch.linalg.matrix_norm(G, ord=2).clamp(min=1.0)
    nuc = torch.linalg.matrix_norm(X, ord="nuc")
    return X, nuc, bound


def min_rank_completion(
    M: Tensor,
    mask: Tensor,
    *,
    max_rank: int | None = None,
    restarts: int = 6,
    iters: int = 300,
    seed: int = 0,
    tol: float = 1e-9,
) -> tuple[Tensor, Tensor]:
    """Smallest rank r' (1..``max_rank``) with a rank-r' X = UV fitting every observed entry (residual below
    ``tol``·‖M_Ω‖_F), by Levenberg–Marquardt from ``restarts`` random starts per rank; batched over ``T``
    patterns. Returns (rank ``(T,)``, the completion found at that rank ``(T, d, d)``). A pattern with no fit
    up to ``max_rank`` gets rank ``max_rank + 1`` and a zero matrix. Numerical: infeasibility is not certified.
    """
    T, d, _ = M.shape
    max_rank = d if max_rank is None else max_rank
    Mo = mask * M
    ref = torch.linalg.matrix_norm(Mo).clamp(min=1e-300)
    rank = torch.full((T,), max_rank + 1, dtype=torch.int64)
    best = torch.zeros_like(M)
    g = torch.Generator().manual_seed(seed)
    for r in range(1, max_rank + 1):
        todo = torch.nonzero(rank > max_rank).flatten()
        if todo.numel() == 0:
            break
        n = todo.numel() * restarts
        Mr, mr = Mo[todo].repeat_interleave(restarts, 0), mask[todo].repeat_interleave(restarts, 0)
        x = torch.randn(n, 2 * d * r, generator=g, dtype=torch.float64)
        lam = torch.full((n,), 1e-2, dtype=torch.float64)
        eye = torch.eye(2 * d * r, dtype=torch.float64)
        for _ in range(iters):
            A, B = unpack(x, d, r)
            res = (mr * (A @ B - Mr)).reshape(n, -1)
            J = output_jacobian(A, B, mr)
            JtJ = J.transpose(1, 2) @ J
            g_ = (J.transpose(1, 2) @ res[..., None])[..., 0]
            step = torch.linalg.solve(JtJ + lam[:, None, None] * eye, -g_)
            A2, B2 = unpack(x + step, d, r)
            res2 = (mr * (A2 @ B2 - Mr)).reshape(n, -1)
            better = (res2 * res2).sum(-1) < (res * res).sum(-1)
            x = torch.where(better[:, None], x + step, x)
            lam = torch.where(better, lam / 3, lam * 4).clamp(1e-15, 1e8)
        A, B = unpack(x, d, r)
        X = A @ B
        resid = torch.linalg.matrix_norm(mr * X - Mr).reshape(-1, restarts)
        k = resid.argmin(-1)
        ok = resid.gather(1, k[:, None])[:, 0] < tol * ref[todo]
        Xb = X.reshape(-1, restarts, d, d)[torch.arange(todo.numel()), k]
        rank[todo[ok]] = r
        best[todo[ok]] = Xb[ok]
    return rank, best


def numerical_rank_batch(X: Tensor, rtol: float = 1e-6) -> Tensor:
    """Number of singular values above ``rtol`` × the largest, per matrix of ``X: (T, d, d)``."""
    S = torch.linalg.svdvals(X)
    return (S > rtol * S[..., :1]).sum(-1)
