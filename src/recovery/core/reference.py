"""Reference integrator: scipy's LSODA, one trial at a time, with the exact Jacobian (−Hessian).

Used to validate :mod:`recovery.dynamics` (``tests/test_dynamics.py``) and as the baseline of ``make bench``.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.integrate import solve_ivp

from .models import Activation, Data, loss_and_grad, loss_grad_hessian


def lsoda_trajectory(
    theta0: torch.Tensor,
    data: Data,
    act: Activation,
    times: np.ndarray,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> np.ndarray:
    """States ``(K, m, 1+d)`` of one trial (``theta0: (m, 1+d)``, ``data`` of batch size 1) at ``times``.

    Two phases: through the escape from the tiny initialization (until ‖θ‖ ≥ 1e-2, in closed form a time
    log(1e-2/‖θ₀‖)/‖z‖ + 5) the absolute tolerance is scaled to ‖θ₀‖, afterwards it is ``atol`` (a tolerance
    of 1e-20 on components that decay to zero would make LSODA crawl).
    """
    from .theory import growth_rate

    shape = theta0.shape

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        _, g = loss_and_grad(torch.from_numpy(y).reshape(1, *shape), data, act)
        return -g.reshape(-1).numpy()

    def jac(_t: float, y: np.ndarray) -> np.ndarray:
        _, _, H = loss_grad_hessian(torch.from_numpy(y).reshape(1, *shape), data, act)
        return -H[0].numpy()

    y0 = theta0.reshape(-1).numpy().astype(np.float64)
    n0 = float(np.linalg.norm(y0))
    t_esc = max(np.log(max(1e-2 / n0, 1.0)) / float(growth_rate(data)[0]) + 5.0, 0.0)
    times = np.asarray(times, dtype=float)
    out = np.empty((len(times), y0.size))
    y, t = y0, 0.0
    for t_end, tol in ((min(t_esc, times[-1]), 1e6 * atol * n0), (times[-1], atol)):  # phase 1: ∝ ‖θ₀‖
        if t_end <= t:
            continue
        sel = (times >= t) & (times <= t_end)
        t_eval = np.union1d(times[sel], [t_end])  # always end on t_end, to hand the state to the next phase
        sol = solve_ivp(rhs, (t, t_end), y, method="LSODA", t_eval=t_eval, jac=jac, rtol=rtol, atol=tol)
        if not sol.success:
            raise RuntimeError(f"LSODA failed: {sol.message}")
        out[sel] = sol.y.T[np.isin(t_eval, times[sel])]
        y, t = sol.y[:, -1], t_end
    return out.reshape(len(times), *shape)
