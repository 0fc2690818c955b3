"""Gradient flow dθ/dt = −∇ℓ(θ) for a batch of independent trials, in float64, to horizons of 1e7.

Why this integrator is accurate
-------------------------------
The flow is stiff: near the global minima the Hessian has eigenvalues from ≈ 7 down to 0, and convergence to
the condensed set Q¹ is sublinear, so reaching t = 1e7 with an explicit method needs ~1e7 steps. We use the
L-stable Rosenbrock (linearly implicit) method of Shampine & Reichelt (MATLAB's ``ode23s``; SIAM J. Sci.
Comput. 18, 1997): order 2 with an embedded order-3 error estimate, one exact closed-form Hessian
(:func:`recovery.models.loss_grad_hessian`) and one batched LU factorization per step. For an autonomous
system with W = I + h·d·H(θ), d = 1/(2 + √2):

    k₁ = W⁻¹F(θ),  k₂ = W⁻¹(F(θ + h k₁/2) − k₁) + k₁,  θ⁺ = θ + h k₂,
    k₃ = W⁻¹(F(θ⁺) − e₃₂(k₂ − F(θ + h k₁/2)) − 2(k₁ − F(θ))),  err = h(k₁ − 2k₂ + k₃)/6,

with F = −∇ℓ and e₃₂ = 6 + √2. Every trial has its own step h, accepted when
‖err‖ ≤ rtol·max(‖θ‖, ‖θ⁺‖) + atol. The error control is *relative to ‖θ‖*: starting from a scale of 1e-20 an
absolute tolerance would let the solver step over the exponential escape from the saddle at θ = 0. Because
the method is L-stable, h grows with t along slow sublinear convergence, so t = 1e7 takes hundreds of steps
instead of millions. ``tests/test_dynamics.py`` shows that the linear phase matches the closed form of
Theorem 1 and that tightening rtol by 100× changes neither the set reached nor the final error.

Every trial ends with a :class:`Status`: converged (loss below ``stop_loss``), horizon reached, step budget
used up, step-size collapse (stalled), non-finite values (diverged) or wall-clock budget exceeded. Finished
trials are frozen and not integrated further. The state is recorded at log-spaced checkpoint times that the
steps land on exactly.
"""

from __future__ import annotations

import contextlib
import enum
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.std import tqdm  # text bars only: a notebook widget would leak into the HTML

from ..config import check_choice, check_float, check_int
from .models import Activation, Data, loss_and_grad, loss_grad_hessian_parts

Tensor = torch.Tensor

_D = 1.0 / (2.0 + math.sqrt(2.0))
_E32 = 6.0 + math.sqrt(2.0)


LINEAR_SOLVERS = ("auto", "dense", "lowrank")


def _use_lowrank(solver: str, P: int, n: int) -> bool:
    """``auto``: dense LU while P = m(1+d) is small, Woodbury (block diagonal + rank n) for wide networks."""
    return solver == "lowrank" or (solver == "auto" and P > max(24, 2 * n))


class _DenseSolve:
    """Solves with W = I + γH (γ = h·d per trial) by a batched dense LU; O(P³) per trial."""

    def __init__(self, J: Tensor, blocks: Tensor, gamma: Tensor) -> None:
        B, m, p1, _ = blocks.shape
        P = m * p1
        H = torch.bmm(J.transpose(1, 2), J)
        torch.diagonal(H.view(B, m, p1, m, p1), dim1=1, dim2=3).add_(blocks.permute(0, 2, 3, 1))
        W = torch.eye(P, dtype=H.dtype, device=H.device) + gamma[:, None, None] * H
        self.LU, self.piv = torch.linalg.lu_factor(W)

    def __call__(self, rhs: Tensor) -> Tensor:
        return torch.linalg.lu_solve(self.LU, self.piv, rhs[..., None])[..., 0]


class _LowRankSolve:
    """Solves with W = A + γJᵀJ, A = I + γ·blockdiag(R), by the Woodbury identity

        W⁻¹r = A⁻¹r − γ A⁻¹Jᵀ (I + γ J A⁻¹ Jᵀ)⁻¹ J A⁻¹ r,

    i.e. m small (1+d)×(1+d) solves and one n×n solve per trial: O(P n²) instead of O(P³), exact up to
    round-off. One step of iterative refinement with the matrix-free product W·x restores full accuracy
    when A is badly conditioned.
    """

    def __init__(self, J: Tensor, blocks: Tensor, gamma: Tensor) -> None:
        B, m, p1, _ = blocks.shape
        self.shape = (B, m, p1)
        self.J, self.blocks, self.gamma = J, blocks, gamma
        A = torch.eye(p1, dtype=J.dtype, device=J.device) + gamma[:, None, None, None] * blocks
        self.A_LU, self.A_piv = torch.linalg.lu_factor(A)
        self.AinvJt = self._block_solve(J.transpose(1, 2))  # (B, P, n)
        n = J.shape[1]
        K = torch.eye(n, dtype=J.dtype, device=J.device) + gamma[:, None, None] * torch.bmm(J, self.AinvJt)
        self.K_LU, self.K_piv = torch.linalg.lu_factor(K)

    def _block_solve(self, rhs: Tensor) -> Tensor:
        """A⁻¹ rhs for ``rhs: (B, P, k)``."""
        B, m, p1 = self.shape
        k = rhs.shape[-1]
        x = torch.linalg.lu_solve(self.A_LU, self.A_piv, rhs.reshape(B, m, p1, k))
        return x.reshape(B, m * p1, k)

    def _apply_W(self, x: Tensor) -> Tensor:
        B, m, p1 = self.shape
        Rx = torch.einsum("bkij,bkj->bki", self.blocks, x.reshape(B, m, p1)).reshape(B, -1)
        JtJx = torch.einsum("bnp,bn->bp", self.J, torch.einsum("bnp,bp->bn", self.J, x))
        return x + self.gamma[:, None] * (Rx + JtJx)

    def _solve_once(self, rhs: Tensor) -> Tensor:
        y = self._block_solve(rhs[..., None])[..., 0]
        Jy = torch.einsum("bnp,bp->bn", self.J, y)
        v = torch.linalg.lu_solve(self.K_LU, self.K_piv, Jy[..., None])[..., 0]
        return y - self.gamma[:, None] * torch.einsum("bpn,bn->bp", self.AinvJt, v)

    def __call__(self, rhs: Tensor) -> Tensor:
        x = self._solve_once(rhs)
        return x + self._solve_once(rhs - self._apply_W(x))


class Status(enum.IntEnum):
    """How a trial ended."""

    RUNNING = 0
    CONVERGED = 1  # loss below stop_loss
    HORIZON = 2  # reached t_max
    STEP_BUDGET = 3  # max_steps accepted + rejected steps used up
    STALLED = 4  # step size collapsed below h_min_rel · max(t, 1)
    DIVERGED = 5  # NaN or inf in the state or the loss
    TIME_BUDGET = 6  # wall-clock budget of the whole run exceeded


@dataclass(frozen=True)
class FlowConfig:
    """Settings of the gradient-flow integrator (validated on construction)."""

    t_max: float = 1e7
    rtol: float = 1e-4
    atol: float = 1e-300
    stop_loss: float = 1e-28
    max_steps: int = 20_000
    h0: float = 1e-3
    h_min_rel: float = 1e-14
    checkpoints_per_decade: int = 20
    t_first_checkpoint: float = 1e-2
    wall_time_limit: float = 3600.0
    linear_solver: str = "auto"

    def __post_init__(self) -> None:
        check_choice("linear_solver", self.linear_solver, LINEAR_SOLVERS)
        check_float("t_max", self.t_max, 0.0, low_open=True)
        check_float("rtol", self.rtol, 0.0, 0.1, low_open=True)
        check_float("atol", self.atol, 0.0)
        check_float("stop_loss", self.stop_loss, 0.0)
        check_int("max_steps", self.max_steps, 1)
        check_float("h0", self.h0, 0.0, low_open=True)
        check_float("h_min_rel", self.h_min_rel, 0.0, 1e-3, low_open=True)
        check_int("checkpoints_per_decade", self.checkpoints_per_decade, 1, 1000)
        check_float("t_first_checkpoint", self.t_first_checkpoint, 0.0, low_open=True)
        check_float("wall_time_limit", self.wall_time_limit, 0.0, low_open=True)

    def checkpoint_times(self) -> np.ndarray:
        """0, then log-spaced times from ``t_first_checkpoint`` to ``t_max`` (inclusive)."""
        lo, hi = math.log10(min(self.t_first_checkpoint, self.t_max)), math.log10(self.t_max)
        k = max(int(round((hi - lo) * self.checkpoints_per_decade)), 1) + 1
        grid = np.logspace(lo, hi, k)
        grid[0], grid[-1] = min(self.t_first_checkpoint, self.t_max), self.t_max  # exact end points
        return np.concatenate([[0.0], grid])


@dataclass
class FlowResult:
    """Trajectories of a batch: ``times: (K,)``, ``theta: (B, K, m, 1+d)``, ``loss: (B, K)`` at checkpoints,
    and per trial the final state ``(B, m, 1+d)``, ``final_time``, ``status``, ``steps`` and ``rejected``."""

    times: np.ndarray
    theta: Tensor
    loss: Tensor
    final_theta: Tensor
    final_time: Tensor
    final_loss: Tensor
    status: Tensor
    steps: Tensor
    rejected: Tensor
    wall_time: float


def _rms(x: Tensor) -> Tensor:
    return torch.linalg.vector_norm(x.flatten(1), dim=-1)


def gradient_flow(
    theta0: Tensor,
    data: Data,
    act: Activation,
    cfg: FlowConfig = FlowConfig(),
    *,
    progress: bool = False,
    desc: str = "gradient flow",
) -> FlowResult:
    """Integrate dθ/dt = −∇ℓ(θ) for every trial of the batch ``theta0: (B, m, 1+d)`` (see module docstring).

    On the CPU, small problems run single-threaded (the per-step tensors are tiny, so threads only add
    overhead: ≈ 1.6 s → 1.1 s for Figure 3 on 2 cores); the caller's thread setting is restored afterwards.
    """
    small = theta0.device.type == "cpu" and theta0.shape[0] * (theta0.shape[1] * theta0.shape[2]) ** 2 < 4_000_000
    with single_thread(small):
        return _gradient_flow(theta0, data, act, cfg, progress, desc)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch with ``n`` threads inside the block (``None``: leave the setting alone); the caller's setting
    is restored afterwards."""
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def single_thread(active: bool = True) -> contextlib.AbstractContextManager[None]:
    """Run torch single-threaded inside the block when ``active`` (the caller's setting is restored afterwards).

    Batched work on tiny per-trial tensors (the flow of small networks, the per-configuration analysis of a
    sweep) is slower with torch's thread pool than without it on a small CPU (measured on 2 cores:
    Figure 3 flow 1.6 s → 1.1 s; 240 analysed cells 33 s → 6 s under load).
    """
    return torch_threads(1 if active else None)


def _gradient_flow(theta0: Tensor, data: Data, act: Activation, cfg: FlowConfig, progress: bool,
                   desc: str) -> FlowResult:
    if theta0.dtype != torch.float64:
        raise ValueError(f"theta0 must be float64, got {theta0.dtype}")
    B, m, p1 = theta0.shape
    P = m * p1
    dev = theta0.device
    times = cfg.checkpoint_times()
    K = len(times)
    t_ck = torch.as_tensor(times, dtype=torch.float64, device=dev)

    theta = theta0.clone()
    t = torch.zeros(B, dtype=torch.float64, device=dev)
    h = torch.full((B,), cfg.h0, dtype=torch.float64, device=dev)
    status = torch.zeros(B, dtype=torch.int64, device=dev)
    steps = torch.zeros(B, dtype=torch.int64, device=dev)
    rejected = torch.zeros(B, dtype=torch.int64, device=dev)
    next_ck = torch.ones(B, dtype=torch.int64, device=dev)  # index of the next checkpoint to land on
    traj = torch.empty(B, K, m, p1, dtype=torch.float64, device=dev)
    traj_loss = torch.empty(B, K, dtype=torch.float64, device=dev)
    loss0, _ = loss_and_grad(theta, data, act)
    traj[:, 0] = theta
    traj_loss[:, 0] = loss0
    loss = loss0.clone()
    solver_cls = _LowRankSolve if _use_lowrank(cfg.linear_solver, P, data.X.shape[1]) else _DenseSolve
    started = time.perf_counter()
    bar = tqdm(total=int(math.ceil(math.log10(cfg.t_max / cfg.t_first_checkpoint) + 1)), desc=desc,
               disable=not progress, unit="decade", leave=False)
    shown = 0

    def finish(idx: Tensor, code: Status) -> None:
        """Freeze trials ``idx``: fill their remaining checkpoints with the final state."""
        if idx.numel() == 0:
            return
        status[idx] = int(code)
        for b in idx.tolist():
            j = int(next_ck[b])
            traj[b, j:] = theta[b]
            traj_loss[b, j:] = loss[b]

    bad0 = (~torch.isfinite(theta.flatten(1)).all(-1)) | (~torch.isfinite(loss))
    finish(torch.nonzero(bad0).flatten(), Status.DIVERGED)
    finish(torch.nonzero((status == 0) & (loss < cfg.stop_loss)).flatten(), Status.CONVERGED)

    while True:
        act_idx = torch.nonzero(status == 0).flatten()
        if act_idx.numel() == 0:
            break
        if time.perf_counter() - started > cfg.wall_time_limit:
            finish(act_idx, Status.TIME_BUDGET)
            break
        th = theta[act_idx]
        d = data.select(act_idx)
        tt, hh = t[act_idx], h[act_idx]
        target_t = t_ck[next_ck[act_idx]]
        h_use = torch.minimum(hh, target_t - tt)
        lands = h_use >= target_t - tt

        _, g0, J, blocks = loss_grad_hessian_parts(th, d, act)
        F0 = -g0.reshape(-1, P)
        solve = solver_cls(J, blocks, h_use * _D)

        hv = h_use[:, None]
        x = th.reshape(-1, P)
        k1 = solve(F0)
        _, g1 = loss_and_grad((x + 0.5 * hv * k1).reshape(th.shape), d, act)
        F1 = -g1.reshape(-1, P)
        k2 = solve(F1 - k1) + k1
        xn = x + hv * k2
        loss_n, g2 = loss_and_grad(xn.reshape(th.shape), d, act)
        F2 = -g2.reshape(-1, P)
        k3 = solve(F2 - _E32 * (k2 - F1) - 2.0 * (k1 - F0))
        err = (h_use / 6.0) * _rms(k1 - 2.0 * k2 + k3)
        scale = cfg.rtol * torch.maximum(_rms(x), _rms(xn)) + cfg.atol
        ratio = err / scale
        finite = torch.isfinite(xn).all(-1) & torch.isfinite(loss_n) & torch.isfinite(ratio)
        accept = finite & (ratio <= 1.0)

        # step-size proposal (order-2 method with an order-3 estimate: exponent 1/3)
        fac = torch.where(
            finite, (0.9 * torch.clamp(ratio, min=1e-10) ** (-1.0 / 3.0)).clamp(0.2, 5.0), torch.full_like(ratio, 0.2)
        )
        h_new = torch.where(accept & lands & (hh > h_use), hh, h_use * fac)  # keep the pre-landing step

        steps[act_idx] += 1
        rejected[act_idx] += (~accept).long()
        acc = act_idx[accept]
        theta[acc] = xn[accept].reshape(-1, m, p1)
        t[acc] = torch.where(lands[accept], target_t[accept], tt[accept] + h_use[accept])
        loss[acc] = loss_n[accept]
        h[act_idx] = h_new

        landed = act_idx[accept & lands]
        if landed.numel():
            traj[landed, next_ck[landed]] = theta[landed]
            traj_loss[landed, next_ck[landed]] = loss[landed]
            next_ck[landed] += 1

        # per-trial stopping
        horizon = act_idx[accept & lands & (next_ck[act_idx] >= K)]
        finish(horizon, Status.HORIZON)
        live = status[act_idx] == 0
        conv = act_idx[live & accept & (loss_n < cfg.stop_loss)]
        finish(conv, Status.CONVERGED)
        live = status[act_idx] == 0
        stalled = act_idx[live & (h[act_idx] < cfg.h_min_rel * torch.clamp(t[act_idx], min=1.0))]
        finish(stalled, Status.STALLED)
        live = status[act_idx] == 0
        diverged = act_idx[live & ~finite & (h_use < cfg.h_min_rel * 1e3 * torch.clamp(tt, min=1.0))]
        finish(diverged, Status.DIVERGED)
        live = status[act_idx] == 0
        finish(act_idx[live & (steps[act_idx] >= cfg.max_steps)], Status.STEP_BUDGET)

        if progress:
            alive = status == 0
            tmin = float(t[alive].min()) if bool(alive.any()) else cfg.t_max
            dec = int(max(0.0, math.log10(max(tmin, cfg.t_first_checkpoint) / cfg.t_first_checkpoint)))
            if dec > shown:
                bar.update(dec - shown)
                shown = dec
    bar.close()
    return FlowResult(
        times=times,
        theta=traj,
        loss=traj_loss,
        final_theta=theta,
        final_time=t,
        final_loss=loss,
        status=status,
        steps=steps,
        rejected=rejected,
        wall_time=time.perf_counter() - started,
    )
