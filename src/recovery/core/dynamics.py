"""Gradient flow dx/dt = −∇ℓ(x) for a batch of independent trials, in float64, to horizons of 1e7: one engine
for every model of the package.

Why this integrator is accurate
-------------------------------
The flow is stiff: near the global minima the Hessian has eigenvalues from ≈ 7 down to 0, and convergence to
the condensed set Q¹ is sublinear, so reaching t = 1e7 with an explicit method needs ~1e7 steps. We use the
L-stable Rosenbrock (linearly implicit) method of Shampine & Reichelt (MATLAB's ``ode23s``; SIAM J. Sci.
Comput. 18, 1997): order 2 with an embedded order-3 error estimate, one exact closed-form Hessian and one
factorization of W = I + h·d·H(x) per step (d = 1/(2 + √2)). For an autonomous system:

    k₁ = W⁻¹F(x),  k₂ = W⁻¹(F(x + h k₁/2) − k₁) + k₁,  x⁺ = x + h k₂,
    k₃ = W⁻¹(F(x⁺) − e₃₂(k₂ − F(x + h k₁/2)) − 2(k₁ − F(x))),  err = h(k₁ − 2k₂ + k₃)/6,

with F = −∇ℓ and e₃₂ = 6 + √2 (:func:`rosenbrock_step`). Every trial has its own step h, accepted when
‖err‖ ≤ rtol·max(‖x‖, ‖x⁺‖) + atol. The error control is *relative to ‖x‖*: starting from a scale of 1e-20 an
absolute tolerance would let the solver step over the exponential escape from the saddle at x = 0. Because
the method is L-stable, h grows with t along slow sublinear convergence, so t = 1e7 takes hundreds of steps
instead of millions. ``tests/test_dynamics.py`` shows that the linear phase matches the closed form of
Theorem 1 and that tightening rtol by 100× changes neither the set reached nor the final error.

One engine, several problems
----------------------------
:func:`integrate` runs the method on any :class:`Problem`: an object that gives the loss and gradient of a
batch of states and a solver for (I + γH)k = rhs per trial. The problems of the package are the two-layer
network of the paper (:class:`NetworkProblem`: dense LU, or Woodbury solves for wide networks; and
:class:`recovery.core.unrolled.SmallNetworkProblem`, the same network for small parameter counts with the
trials on the last axis, unrolled closed-form solves and no per-trial LAPACK calls) and the matrix
factorization W = AB of matrix completion (:class:`recovery.related.completion.FactorizationProblem`).
Per-trial bookkeeping (times, steps, statuses, checkpoints) lives in numpy on the CPU whatever the problem's
arrays are.

Every trial ends with a :class:`Status`: converged (loss below ``stop_loss``), horizon reached, step budget
used up, step-size collapse (stalled), non-finite values (diverged) or wall-clock budget exceeded. Finished
trials are frozen and not integrated further. The state (or what the problem records of it) is stored at
log-spaced checkpoint times that the steps land on exactly.
"""

from __future__ import annotations

import contextlib
import enum
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from ..config import check_choice, check_float, check_int
from .models import Activation, Data, loss_and_grad, loss_grad_hessian_parts

Tensor = torch.Tensor

_D = 1.0 / (2.0 + math.sqrt(2.0))
_E32 = 6.0 + math.sqrt(2.0)

LINEAR_SOLVERS = ("auto", "dense", "lowrank", "unrolled")


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
    """Settings of the gradient-flow integrator (validated on construction).

    ``linear_solver``: ``auto`` (the unrolled small-system path on the CPU for up to
    :data:`recovery.core.unrolled.MAX_PARAMETERS` parameters per trial, dense LU up to 24, Woodbury beyond),
    or one of ``dense``, ``lowrank``, ``unrolled`` explicitly (networks only; other problems bring their own).
    """

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


# ------------------------------------------------------------------------------------------ the problem interface


class Problem(Protocol):
    """A batch of independent gradient flows dx/dt = −∇ℓ(x), as the engine sees it.

    States are arrays of the problem's own layout (e.g. torch ``(b, P)`` or numpy ``(P, b)``); per-trial
    scalars going in and out are numpy ``(b,)`` float64 arrays. ``select`` narrows the problem to a subset of
    its trials (the engine drops finished trials from its working set now and then).
    """

    def select(self, idx: np.ndarray) -> Problem:
        """The same problem for trials ``idx`` (indices into this problem's trials)."""

    def take(self, x: Any, idx: np.ndarray) -> Any:
        """States of trials ``idx`` of ``x``."""

    def where(self, mask: np.ndarray, a: Any, b: Any) -> Any:
        """Per trial: ``a`` where ``mask`` else ``b``."""

    def loss_grad(self, x: Any) -> tuple[np.ndarray, Any]:
        """Loss per trial (numpy) and gradient (the state's layout)."""

    def grad_solver(self, x: Any, gamma: np.ndarray) -> tuple[Any, Callable[[Any], Any]]:
        """Gradient at ``x`` and ``solve`` with ``solve(rhs)`` = (I + γ_b H(x_b))⁻¹ rhs_b per trial b."""

    def per_trial(self, v: np.ndarray) -> Any:
        """Per-trial scalars in a shape that broadcasts against states."""

    def norm(self, v: Any) -> np.ndarray:
        """Euclidean norm per trial (numpy)."""

    def finite(self, v: Any) -> np.ndarray:
        """True per trial where every entry is finite (numpy bool)."""

    def record(self, x: Any, idx: np.ndarray) -> np.ndarray:
        """What a checkpoint stores of trials ``idx`` (numpy, trials first), e.g. the state or W = AB."""

    def flat(self, x: Any, idx: np.ndarray) -> np.ndarray:
        """The flat states ``(len(idx), P)`` of trials ``idx`` as numpy."""

    def blocks(self, b: int) -> list[slice]:
        """How to cut a working set of ``b`` trials into blocks stepped one after the other (one block: all
        at once; several: each block's temporaries stay in the CPU cache)."""

    def part(self, sl: slice) -> Problem:
        """The problem for the trials of block ``sl`` (a view: no copy of shared data)."""

    def view(self, x: Any, sl: slice) -> Any:
        """The states of block ``sl`` of ``x`` (a view)."""

    def join(self, parts: list[Any]) -> Any:
        """Block results back into one array of states."""


def rosenbrock_step(
    problem: Problem, x: Any, h: np.ndarray, rtol: float, atol: float, at_x: Any = None
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, Any]:
    """One ode23s step of size ``h`` (per trial) from ``x`` (module docstring; pure: ``x`` is not modified).

    Returns the proposed state x⁺, its loss, the error ratio ‖err‖/(rtol·max(‖x‖, ‖x⁺‖) + atol) (accept where
    ≤ 1), a per-trial flag that x⁺, its loss and the ratio are finite, and the problem's evaluation at x⁺.

    Problems with an ``evaluate`` method (:class:`recovery.core.unrolled.SmallNetworkProblem`) evaluate x⁺ once
    for both its gradient here and, passed back as ``at_x`` when x⁺ becomes the next step's start, the next
    step's gradient and Hessian (the same numbers as evaluating again: a pure function of the state); for the
    others the last element is ``None``.
    """
    evaluate = getattr(problem, "evaluate", None)
    if evaluate is None:
        g0, solve = problem.grad_solver(x, h * _D)
    else:
        g0, solve = problem.grad_solver(x, h * _D, at_x)
    hb = problem.per_trial(h)
    F0 = -g0
    k1 = solve(F0)
    F1 = -problem.loss_grad(x + 0.5 * hb * k1)[1]
    k2 = solve(F1 - k1) + k1
    xn = x + hb * k2
    if evaluate is None:
        at_xn = None
        loss_n, g2 = problem.loss_grad(xn)
    else:
        at_xn = evaluate(xn)
        loss_n, g2 = at_xn.loss, at_xn.grad
    F2 = -g2
    k3 = solve(F2 - _E32 * (k2 - F1) - 2.0 * (k1 - F0))
    err = (h / 6.0) * problem.norm(k1 - 2.0 * k2 + k3)
    scale = rtol * np.maximum(problem.norm(x), problem.norm(xn)) + atol
    ratio = err / scale
    finite = problem.finite(xn) & np.isfinite(loss_n) & np.isfinite(ratio)
    return xn, loss_n, ratio, finite, at_xn


def blocked_step(
    problem: Problem, x: Any, h: np.ndarray, rtol: float, atol: float, at_x: list[Any] | None = None
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, list[Any]]:
    """:func:`rosenbrock_step` block by block (``problem.blocks``); the same numbers, less memory traffic.
    ``at_x``: the evaluations at ``x`` of the same blocks (the last element returned by the previous call on the
    same working set), or ``None``."""
    cuts = problem.blocks(len(h))
    if len(cuts) == 1:
        xn, loss_n, ratio, finite, ev = rosenbrock_step(problem, x, h, rtol, atol, at_x and at_x[0])
        return xn, loss_n, ratio, finite, [ev]
    outs = [
        rosenbrock_step(problem.part(sl), problem.view(x, sl), h[sl], rtol, atol, at_x and at_x[i])
        for i, sl in enumerate(cuts)
    ]
    return (
        problem.join([o[0] for o in outs]),
        *(np.concatenate([o[i] for o in outs]) for i in (1, 2, 3)),
        [o[4] for o in outs],
    )


def step_factor(ratio: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Step-size factor after a step (order-2 method with an order-3 estimate: exponent 1/3), in [0.2, 5];
    0.2 after a non-finite step.

    The power is torch's ``pow`` (the versions of this integrator before the engine was shared used it): numpy's
    ``pow`` differs from it in the last bit for some ratios, which changes step sizes by one ulp and, in trials
    that are sensitive to their step sequence (e.g. matrix completion from a 1e-16 initialization), visibly
    changes the result. The clamps and the factor 0.9 are exact in either library, so only the power goes
    through torch (in place, on a numpy buffer: one torch call per step).
    """
    r = np.maximum(ratio, 1e-10)  # NaN stays NaN, as in torch's clamp
    torch.from_numpy(r).pow_(-1.0 / 3.0)
    r *= 0.9
    np.maximum(r, 0.2, out=r)  # np.clip's Python wrapper costs more than the two ufuncs
    np.minimum(r, 5.0, out=r)
    r[~finite] = 0.2
    return r


# ------------------------------------------------------------------------------------------ bookkeeping


class Checkpoints:
    """Per-trial times, steps, statuses and the checkpoint records of a batch (numpy, on the CPU).

    Trials are indexed globally (0..B−1). :meth:`land` stores the record at a trial's next checkpoint;
    :meth:`finish` freezes trials with a status, keeps their final state and fills their remaining
    checkpoints with its record (the state no longer changes).
    """

    def __init__(self, B: int, times: np.ndarray, record_shape: tuple[int, ...], P: int) -> None:
        K = len(times)
        self.times = times
        self.traj = np.empty((B, K, *record_shape))
        self.loss_traj = np.empty((B, K))
        self.next = np.ones(B, dtype=np.int64)  # index of the next checkpoint to land on
        self.status = np.zeros(B, dtype=np.int64)
        self.final_x = np.empty((B, P))
        self.final_loss = np.full(B, np.nan)
        self.final_time = np.zeros(B)
        self.steps = np.zeros(B, dtype=np.int64)
        self.rejected = np.zeros(B, dtype=np.int64)

    def start(self, trials: np.ndarray, record: np.ndarray, loss: np.ndarray) -> None:
        self.traj[trials, 0] = record
        self.loss_traj[trials, 0] = loss

    def land(self, trials: np.ndarray, record: np.ndarray, loss: np.ndarray) -> None:
        j = self.next[trials]
        self.traj[trials, j] = record
        self.loss_traj[trials, j] = loss
        self.next[trials] = j + 1

    def finish(
        self,
        trials: np.ndarray,
        code: Status,
        record: np.ndarray,
        flat: np.ndarray,
        loss: np.ndarray,
        t: np.ndarray,
        steps: np.ndarray,
        rejected: np.ndarray,
    ) -> None:
        self.status[trials] = int(code)
        self.final_x[trials] = flat
        self.final_loss[trials] = loss
        self.final_time[trials] = t
        self.steps[trials] = steps
        self.rejected[trials] = rejected
        j = self.next[trials]
        for jj in np.unique(j[j < len(self.times)]):  # one vectorized fill per distinct first free checkpoint
            sel = j == jj
            self.traj[trials[sel], jj:] = record[sel][:, None]
            self.loss_traj[trials[sel], jj:] = loss[sel][:, None]


@dataclass
class RawFlow:
    """What :func:`integrate` returns (numpy): ``times (K,)``, ``traj (B, K, *record)``, ``loss (B, K)``, and
    per trial the final flat state ``final_x (B, P)``, ``final_time``, ``final_loss``, ``status``, ``steps``,
    ``rejected``; ``wall_time`` in seconds."""

    times: np.ndarray
    traj: np.ndarray
    loss: np.ndarray
    final_x: np.ndarray
    final_time: np.ndarray
    final_loss: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    rejected: np.ndarray
    wall_time: float


def integrate(
    problem: Problem,
    x0: Any,
    B: int,
    P: int,
    record_shape: tuple[int, ...],
    cfg: FlowConfig,
    *,
    progress: bool = False,
    desc: str = "gradient flow",
) -> RawFlow:
    """Integrate the gradient flow of ``problem`` from ``x0`` (``B`` trials of ``P`` parameters) to
    ``cfg.t_max`` with per-trial step control, statuses and checkpoints (see the module docstring).

    The working set holds the trials being integrated; finished trials stay in it (computed, their results
    discarded) until they are more than a tenth of it, then it is compacted. Each trial's arithmetic never
    depends on the other trials of the batch.
    """
    started = time.perf_counter()
    times = cfg.checkpoint_times()
    K = len(times)
    book = Checkpoints(B, times, record_shape, P)
    ws = np.arange(B)  # global index of each working-set trial
    x = x0
    prob = problem
    t = np.zeros(B)
    h = np.full(B, cfg.h0)
    steps = np.zeros(B, dtype=np.int64)
    rejected = np.zeros(B, dtype=np.int64)
    live = np.ones(B, dtype=bool)
    with np.errstate(
        all="ignore"
    ):  # a non-finite initial state is reported as DIVERGED below, not warned about
        loss = np.array(prob.loss_grad(x)[0], dtype=np.float64)
    book.start(ws, prob.record(x, ws), loss)

    def finish(sel: np.ndarray, code: Status) -> None:
        """Freeze working-set trials ``sel`` (a bool mask or indices) with status ``code``."""
        if not sel.any() if sel.dtype == bool else not sel.size:
            return
        idx = np.flatnonzero(sel) if sel.dtype == bool else sel
        book.finish(
            ws[idx],
            code,
            prob.record(x, idx),
            prob.flat(x, idx),
            loss[idx],
            t[idx],
            steps[idx],
            rejected[idx],
        )
        live[idx] = False

    bad = ~(prob.finite(x) & np.isfinite(loss))
    finish(bad, Status.DIVERGED)
    finish(live & (loss < cfg.stop_loss), Status.CONVERGED)

    bar = None
    if progress:
        from tqdm.std import tqdm  # text bars only: a notebook widget would leak into the HTML

        bar = tqdm(
            total=int(math.ceil(math.log10(cfg.t_max / cfg.t_first_checkpoint) + 1)),
            desc=desc,
            unit="decade",
            leave=False,
        )
    shown = 0
    at_x = None  # the problem's evaluation at x (per block), kept from the step that produced x
    n_steps = 0  # steps taken: no trial has taken more
    target = times[book.next[ws].clip(max=K - 1)]  # each working-set trial's next checkpoint time
    with np.errstate(all="ignore"):
        while True:
            n_live = int(live.sum())
            if n_live == 0:
                break
            if n_live < 0.9 * len(ws):  # compact the working set
                keep = np.flatnonzero(live)
                ws, x, prob = ws[keep], prob.take(x, keep), prob.select(keep)
                t, h, steps, rejected, loss, live, target = (
                    t[keep],
                    h[keep],
                    steps[keep],
                    rejected[keep],
                    loss[keep],
                    live[keep],
                    target[keep],
                )
                at_x = None
            if time.perf_counter() - started > cfg.wall_time_limit:
                finish(live, Status.TIME_BUDGET)
                break
            gap = target - t
            h_use = np.minimum(h, gap)
            lands = h_use >= gap

            tt = t  # the step's start time (t is rebound below, never modified in place)
            xn, loss_n, ratio, finite, at_xn = blocked_step(prob, x, h_use, cfg.rtol, cfg.atol, at_x)
            accept = finite & (ratio <= 1.0) & live
            arrive = accept & lands
            h_new = np.where(arrive & (h > h_use), h, h_use * step_factor(ratio, finite))

            n_steps += 1
            steps += live
            refused = live & ~accept
            rejected += refused
            # every live trial moves to x⁺: the evaluation at x⁺ is the next step's evaluation at x (trials
            # already finished are carried along unchanged, their results discarded)
            if refused.any():
                at_x = None
                x = prob.where(accept, xn, x)
                t = np.where(accept, np.where(lands, target, t + h_use), t)
                loss = np.where(accept, loss_n, loss)
                h = np.where(live, h_new, h)
            else:  # the same for every live trial; finished ones are never read again (nor compacted in)
                at_x = None if None in at_xn else at_xn
                x, loss, h = xn, loss_n, h_new
                t = np.where(lands, target, t + h_use)

            landed = np.flatnonzero(arrive)
            if landed.size:
                trials = ws[landed]
                book.land(trials, prob.record(x, landed), loss[landed])
                nxt = book.next[trials]
                target[landed] = times[np.minimum(nxt, K - 1)]
                # per-trial stopping, in this order (landed trials are accepted, hence live)
                finish(landed[nxt >= K], Status.HORIZON)
            if (loss_n < cfg.stop_loss).any():
                finish(live & accept & (loss_n < cfg.stop_loss), Status.CONVERGED)
            stalled = h < cfg.h_min_rel * np.maximum(t, 1.0)
            if stalled.any():
                finish(live & stalled, Status.STALLED)
            if not finite.all():
                finish(live & ~finite & (h_use < cfg.h_min_rel * 1e3 * np.maximum(tt, 1.0)), Status.DIVERGED)
            if n_steps >= cfg.max_steps:
                finish(live & (steps >= cfg.max_steps), Status.STEP_BUDGET)

            if bar is not None:
                tmin = float(t[live].min()) if live.any() else cfg.t_max
                dec = int(max(0.0, math.log10(max(tmin, cfg.t_first_checkpoint) / cfg.t_first_checkpoint)))
                if dec > shown:
                    bar.update(dec - shown)
                    shown = dec
    if bar is not None:
        bar.close()
    return RawFlow(
        times,
        book.traj,
        book.loss_traj,
        book.final_x,
        book.final_time,
        book.final_loss,
        book.status,
        book.steps,
        book.rejected,
        time.perf_counter() - started,
    )


# ------------------------------------------------------------------------------------------ torch problems


def _lu(W: Tensor) -> tuple[Tensor, Tensor]:
    """Batched LU with partial pivoting, no error on singular matrices (a frozen or diverging trial may be
    singular; its result is discarded)."""
    LU, piv, _ = torch.linalg.lu_factor_ex(W)
    return LU, piv


class TorchProblem:
    """Shared plumbing of problems whose states are torch tensors ``(b, P)`` (trials first, any device)."""

    def take(self, x: Tensor, idx: np.ndarray) -> Tensor:
        return x[torch.as_tensor(idx, device=x.device)]

    def where(self, mask: np.ndarray, a: Tensor, b: Tensor) -> Tensor:
        return torch.where(torch.as_tensor(mask, device=a.device)[:, None], a, b)

    def per_trial(self, v: np.ndarray) -> Tensor:
        return torch.as_tensor(v, dtype=torch.float64, device=self.device)[:, None]

    def norm(self, v: Tensor) -> np.ndarray:
        return torch.linalg.vector_norm(v, dim=-1).cpu().numpy()

    def finite(self, v: Tensor) -> np.ndarray:
        return torch.isfinite(v).all(-1).cpu().numpy()

    def flat(self, x: Tensor, idx: np.ndarray) -> np.ndarray:
        return self.take(x, idx).cpu().numpy()

    def blocks(self, b: int) -> list[slice]:
        return [slice(0, b)]

    def part(self, sl: slice) -> TorchProblem:
        return self

    def view(self, x: Tensor, sl: slice) -> Tensor:
        return x[sl]

    def join(self, parts: list[Tensor]) -> Tensor:
        return torch.cat(parts)

    def gamma(self, gamma: np.ndarray) -> Tensor:
        return torch.as_tensor(gamma, dtype=torch.float64, device=self.device)


LinearSolve = Callable[[Tensor], Tensor]


class _DenseSolve:
    """Solves with W = I + γH (γ = h·d per trial) by a batched dense LU; O(P³) per trial."""

    def __init__(self, J: Tensor, blocks: Tensor, gamma: Tensor) -> None:
        B, m, p1, _ = blocks.shape
        P = m * p1
        H = torch.bmm(J.transpose(1, 2), J)
        torch.diagonal(H.view(B, m, p1, m, p1), dim1=1, dim2=3).add_(blocks.permute(0, 2, 3, 1))
        W = torch.eye(P, dtype=H.dtype, device=H.device) + gamma[:, None, None] * H
        self.LU, self.piv = _lu(W)

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
        self.A_LU, self.A_piv = _lu(A)
        self.AinvJt = self._block_solve(J.transpose(1, 2))  # (B, P, n)
        n = J.shape[1]
        K = torch.eye(n, dtype=J.dtype, device=J.device) + gamma[:, None, None] * torch.bmm(J, self.AinvJt)
        self.K_LU, self.K_piv = _lu(K)

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


class NetworkProblem(TorchProblem):
    """The paper's two-layer network f_θ(x) = Σ_k a_k σ(w_kᵀx) on a batch of data sets (torch, any device).

    States are ``theta.reshape(b, P)``, P = m(1+d); the Hessian is H = JᵀJ + blockdiag(R)
    (:func:`recovery.core.models.loss_grad_hessian_parts`), solved by dense LU or, for wide networks, by
    the Woodbury identity (``lowrank``).
    """

    def __init__(self, data: Data, act: Activation, m: int, p1: int, lowrank: bool) -> None:
        self.data, self.act, self.m, self.p1, self.lowrank = data, act, m, p1, lowrank
        self.device = data.X.device

    def select(self, idx: np.ndarray) -> NetworkProblem:
        return NetworkProblem(
            self.data.select(torch.as_tensor(idx, device=self.device)),
            self.act,
            self.m,
            self.p1,
            self.lowrank,
        )

    def loss_grad(self, x: Tensor) -> tuple[np.ndarray, Tensor]:
        loss, g = loss_and_grad(x.reshape(-1, self.m, self.p1), self.data, self.act)
        return loss.cpu().numpy(), g.reshape(x.shape)

    def grad_solver(self, x: Tensor, gamma: np.ndarray) -> tuple[Tensor, LinearSolve]:
        _, g, J, blocks = loss_grad_hessian_parts(x.reshape(-1, self.m, self.p1), self.data, self.act)
        solver = _LowRankSolve if self.lowrank else _DenseSolve
        return g.reshape(x.shape), solver(J, blocks, self.gamma(gamma))

    def record(self, x: Tensor, idx: np.ndarray) -> np.ndarray:
        return self.flat(x, idx).reshape(-1, self.m, self.p1)


# ------------------------------------------------------------------------------------------ the network's flow


@dataclass
class FlowResult:
    """Trajectories of a batch: ``times: (K,)``, ``theta: (B, K, m, 1+d)``, ``loss: (B, K)`` at checkpoints,
    and per trial the final state ``(B, m, 1+d)``, ``final_time``, ``final_loss``, ``status`` (a
    :class:`Status` value), ``steps`` and ``rejected``; CPU tensors sharing memory with numpy arrays."""

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


def network_problem(theta0: Tensor, data: Data, act: Activation, cfg: FlowConfig) -> tuple[Any, Any]:
    """The problem and initial state for the network flow from ``theta0: (B, m, 1+d)``, choosing the path:
    the unrolled small-system path (numpy, trials last) on the CPU for small P and a supported activation,
    else dense LU while P is small, else Woodbury solves (see :class:`FlowConfig`)."""
    from . import unrolled

    B, m, p1 = theta0.shape
    P = m * p1
    solver = cfg.linear_solver
    if solver == "auto":
        small = theta0.device.type == "cpu" and P <= unrolled.MAX_PARAMETERS and unrolled.supports(act)
        solver = "unrolled" if small else ("lowrank" if P > max(24, 2 * data.X.shape[1]) else "dense")
    if solver == "unrolled":
        prob = unrolled.SmallNetworkProblem(data, act, m, p1)
        return prob, prob.state(theta0)
    return NetworkProblem(data, act, m, p1, solver == "lowrank"), theta0.reshape(B, P)


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

    On the CPU, the torch paths run single-threaded for small problems (the per-step tensors are tiny, so
    threads only add overhead); the caller's thread setting is restored afterwards.
    """
    if theta0.dtype != torch.float64:
        raise ValueError(f"theta0 must be float64, got {theta0.dtype}")
    B, m, p1 = theta0.shape
    small = theta0.device.type == "cpu" and B * (m * p1) ** 2 < 4_000_000
    with single_thread(small):
        prob, x0 = network_problem(theta0, data, act, cfg)
        raw = integrate(prob, x0, B, m * p1, (m, p1), cfg, progress=progress, desc=desc)
    as_t = torch.from_numpy
    return FlowResult(
        times=raw.times,
        theta=as_t(raw.traj),
        loss=as_t(raw.loss),
        final_theta=as_t(raw.final_x).reshape(B, m, p1),
        final_time=as_t(raw.final_time),
        final_loss=as_t(raw.final_loss),
        status=as_t(raw.status),
        steps=as_t(raw.steps),
        rejected=as_t(raw.rejected),
        wall_time=raw.wall_time,
    )


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
