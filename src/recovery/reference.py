"""Reference integrator: scipy's LSODA, one trial at a time, with the exact Jacobian (−Hessian).

Used to validate :mod:`recovery.dynamics` (``tests/test_dynamics.py``) and as the baseline of ``make bench``.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.integrate import solve_ivp

from .models import Activation, Data, loss_and_grad, loss_grad_hessian


def lsoda_trajectory(theta0: torch.Tensor, data: Data, act: Activation, times: np.ndarray,
                     rtol: float = 1e-10, atol_rel: float = 1e-12) -> np.ndarray:
    """States ``(K, m, 1+d)`` of one trial (``theta0: (m, 1+d)``, ``data`` of batch size 1) at ``times``.

    The absolute tolerance is ``atol_rel`` times the initial norm, so the escape from a tiny initialization
    is resolved.
    """
    shape = theta0.shape

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        _, g = loss_and_grad(torch.from_numpy(y).reshape(1, *shape), data, act)
        return -g.reshape(-1).numpy()

    def jac(_t: float, y: np.ndarray) -> np.ndarray:
        _, _, H = loss_grad_hessian(torch.from_numpy(y).reshape(1, *shape), data, act)
        return -H[0].numpy()

    y0 = theta0.reshape(-1).numpy().astype(np.float64)
    sol = solve_ivp(rhs, (0.0, float(times[-1])), y0, method="LSODA", t_eval=times, jac=jac, rtol=rtol,
                    atol=atol_rel * float(np.linalg.norm(y0)))
    if not sol.success:
        raise RuntimeError(f"LSODA failed: {sol.message}")
    return sol.y.T.reshape(len(times), *shape)
