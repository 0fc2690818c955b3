"""The named-results page (arXiv:2405.13787: Definition 1, Theorems 1-3, Corollaries 1-2): the computations that
test our readings of them, and the page's glued numbers (``summary["glue"]``).

The paper's statements of these results are not in the text available to us (SCIENCE.md: the names, Theorem 1's
setting, the abstract); every reading here is *ours*:

* Corollary 1 (ours): |C₁| = |C₂| → the two neurons grow identically (up to sign) and the run ends on Q¹;
* Corollary 2 (ours): C_k = 0 → neuron k stays at the scale of the initialization and the run ends on Q²;
* Theorem 1 (ours, the abstract's statement): runs with the same C/‖C‖ coincide after the time shift
  log‖C‖/‖z‖ (intro page, eq. (eq-shift));
* Definition 1 (ours), first order for Q²: near a generic point of Q² the zero-loss set has dimension
  P − rank J_train; Q² is separated when that equals dim Q² = 2.

Not registered in :data:`recovery.figures.FIGURES` (no CLI page): the runs take seconds and are not cached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import code_hash
from ..config import UserConfig, check_float, check_float_list, check_int, largest_first, spec
from ..core.data import DataSpec, batch_data
from ..core.dynamics import FlowConfig, gradient_flow
from ..core.models import get_activation, initial_parameters
from ..core.theory import (
    Q1,
    Q2,
    classify_limit,
    growth_rate,
    imbalance_vector,
    numerical_rank,
    output_jacobian,
    unstable_direction,
)

DESCRIPTION = (
    "The paper's named results: our readings of Definition 1, Theorem 1 and Corollaries 1-2, checked"
)
PAPER_SIZE: dict[str, Any] = {}
QUICK_SIZE: dict[str, Any] = {"scales": [1e-4, 1e-7], "t_max": 1e4}

# a generic point of Q² (neuron 2 switched off, w₂ generic), P = 6 parameters
Q2_POINT = ((1.0, 1.0, 1.0), (0.0, 0.37, -0.81))
Q2_DIMENSION = 2
PARAMETERS = 6


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the named-results page: ``scales`` (at least two, stored largest first), one ``seed``
    θ̂ for every scale, gradient flow to ``t_max`` with ``rtol``, and the ``loss_level`` whose crossing times
    test Theorem 1's time shift."""

    scales: tuple[float, ...] = spec(
        (1e-4, 1e-6, 1e-8),
        check_float_list,
        0.0,
        high=1e-2,
        low_open=True,
        min_len=2,
        distinct=True,
        then=largest_first,
    )
    seed: int = spec(3, check_int, 0)
    t_max: float = spec(1e5, check_float, 10.0, 1e9)
    rtol: float = spec(1e-7, check_float, 0.0, 1e-3, low_open=True)
    loss_level: float = spec(1e-2, check_float, 1e-12, 0.1)


def _starts(cfg: Config, kind: str) -> tuple[torch.Tensor, Any]:
    """θ₀ = s·θ̂ (one seed, every scale) with neuron 2 modified per reading *(ours)*: ``equal`` C₂ = −C₁
    (Corollary 1), ``zero`` C₂ = 0 exactly (Corollary 2), ``half`` C₂/C₁ = 0.5 (Theorem 1, as in Figure 2)."""
    S = len(cfg.scales)
    d = batch_data([DataSpec()] * S)  # Example 1: n = 6 evenly spaced on [-2, 2], target tanh(x + 1)
    th = initial_parameters([cfg.seed] * S, 2, 2, 1.0)
    u = unstable_direction(d)
    C = imbalance_vector(th, d)
    if kind == "equal":
        th[:, 1] *= (-C[:, 0] / C[:, 1])[:, None]
    elif kind == "zero":
        th[:, 1] -= C[:, 1:2] * u
    elif kind == "half":
        th[:, 1] *= (0.5 * C[:, 0] / C[:, 1])[:, None]
    return th * torch.tensor(cfg.scales, dtype=torch.float64)[:, None, None], d


def crossing_time(t: np.ndarray, loss: np.ndarray, level: float) -> float:
    """First time the loss falls below ``level``, interpolated linearly in (log t, log loss)."""
    i = int(np.argmax(loss < level))
    return float(np.exp(np.interp(np.log(level), np.log(loss[[i, i - 1]]), np.log(t[[i, i - 1]]))))


def q2_zero_set_dimensions(n_values: tuple[int, ...] = (2, 3, 4, 5, 6)) -> dict[int, int]:
    """Definition 1 (ours), first order: P − rank J of the training outputs at :data:`Q2_POINT`, per n evenly
    spaced inputs on [−2, 2]."""
    act = get_activation("tanh")
    point = torch.tensor(Q2_POINT, dtype=torch.float64)
    out = {}
    for n in n_values:
        x = DataSpec(n_samples=n).train_inputs()
        X = torch.stack([x, torch.ones_like(x)], -1)
        out[n] = PARAMETERS - numerical_rank(output_jacobian(point, X, act))
    return out


def compute(cfg: Config) -> dict[str, np.ndarray]:
    """The three gradient-flow experiments (one batch over the scales each) and the first-order count."""
    act = get_activation("tanh")
    tn = DataSpec().target.neuron
    flow = FlowConfig(t_max=cfg.t_max, rtol=cfg.rtol, checkpoints_per_decade=100)
    res = {}
    for kind in ("equal", "zero", "half"):
        th0, d = _starts(cfg, kind)
        res[kind] = (th0, d, gradient_flow(th0, d, act, flow))
    out: dict[str, np.ndarray] = {"scales": np.array(cfg.scales)}
    out["growth_rate"] = np.array(float(growth_rate(res["half"][1])[0]))
    # Corollary 1: the largest distance between the neurons (up to sign) over the run, and the set reached
    _, _, r = res["equal"]
    a, b = r.theta[:, :, 0].numpy(), r.theta[:, :, 1].numpy()
    out["equal_gap"] = np.minimum(np.linalg.norm(a - b, axis=-1), np.linalg.norm(a + b, axis=-1)).max(axis=1)
    out["equal_label"] = classify_limit(r.final_theta, tn).numpy()
    # Corollary 2: the largest norm of neuron 2 over the run, its C at t = 0, and the set reached
    th0, d, r = res["zero"]
    out["zero_neuron2_max"] = np.linalg.norm(r.theta[:, :, 1].numpy(), axis=-1).max(axis=1)
    out["zero_label"] = classify_limit(r.final_theta, tn).numpy()
    out["zero_C"] = imbalance_vector(th0, d).numpy()
    # Theorem 1: raw and aligned times at which the loss falls below loss_level
    th0, d, r = res["half"]
    C = imbalance_vector(th0, d).numpy()
    t_cross = np.array(
        [crossing_time(r.times[1:], r.loss[k, 1:].numpy(), cfg.loss_level) for k in range(len(cfg.scales))]
    )
    out["t_cross"] = t_cross
    out["tau_cross"] = t_cross + np.log(np.linalg.norm(C, axis=1)) / float(out["growth_rate"])
    dims = q2_zero_set_dimensions()
    out["q2_n"] = np.array(list(dims))
    out["q2_zero_set_dim"] = np.array(list(dims.values()))
    return out


def summarize(cfg: Config, arrays: dict[str, np.ndarray], runtime_s: float = float("nan")) -> dict[str, Any]:
    """The JSON-able summary: every reading's measured quantities, and the page's glued numbers."""
    z = float(arrays["growth_rate"])
    dims = dict(zip(arrays["q2_n"].tolist(), arrays["q2_zero_set_dim"].tolist()))
    separated_from = min([n for n, k in dims.items() if k == Q2_DIMENSION], default=None)
    shift_pred = math.log(cfg.scales[0] / cfg.scales[-1]) / z
    summary: dict[str, Any] = {
        "figure": "named_results",
        "paper": "arXiv:2405.13787, Definition 1, Theorems 1-3, Corollaries 1-2: the names only (and Theorem 1's "
        "setting); every reading is ours",
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "growth_rate": z,
        "corollary1_max_gap": [float(v) for v in arrays["equal_gap"]],
        "corollary1_all_on_Q1": bool((arrays["equal_label"] == Q1).all()),
        "corollary1_on_Q1": int((arrays["equal_label"] == Q1).sum()),
        "corollary2_neuron2_max": [float(v) for v in arrays["zero_neuron2_max"]],
        "corollary2_all_on_Q2": bool((arrays["zero_label"] == Q2).all()),
        "corollary2_C2_over_C1": float(
            np.abs(arrays["zero_C"][:, 1]).max() / np.abs(arrays["zero_C"][:, 0]).max()
        ),
        "theorem1_raw_spread": float(np.ptp(arrays["t_cross"])),
        "theorem1_predicted_shift": shift_pred,
        "theorem1_aligned_spread": float(np.ptp(arrays["tau_cross"])),
        "definition1_q2_zero_set_dimension": {str(n): int(k) for n, k in dims.items()},
        "definition1_q2_separated_from": separated_from,
        "runtime_s": runtime_s,
    }
    glue: dict[str, Any] = {}
    for i, s in enumerate(cfg.scales):
        glue[f"gap_{i}"] = summary["corollary1_max_gap"][i]
        glue[f"n2_{i}"] = summary["corollary2_neuron2_max"][i]
        glue[f"s_{i}"] = float(s)
    glue.update(
        {
            "tau_spread": summary["theorem1_aligned_spread"],
            "t_spread": summary["theorem1_raw_spread"],
            "shift_pred": shift_pred,
            "q2_sep": separated_from if separated_from is not None else "none",
            "zero_dim_3": dims[3],
            "t_max": cfg.t_max,
        }
    )
    summary["glue"] = glue
    return summary


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run the page's experiments (seconds; not cached) and summarize them; ``progress``, ``scheduler`` and
    ``device`` are accepted for the pages' common interface and ignored."""
    t0 = time.perf_counter()
    arrays = compute(cfg)
    return summarize(cfg, arrays, time.perf_counter() - t0), arrays
