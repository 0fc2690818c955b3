"""The Hessian of the training loss at the global minima Q¹ and Q² of Example 1 (arXiv:2405.13787), where the
loss is and is not Morse–Bott, and the convergence rates gradient flow actually shows there.

Definitions (ours, stated on the page):

* At a global minimum θ with zero loss the residual term of the Hessian vanishes, H = JᵀJ with J the n × P
  Jacobian of the outputs on the training inputs, so #zero eigenvalues of H = P − rank J. Every direction
  along the set M of global minima is a zero eigenvalue: dim_θ M ≤ #zero eigenvalues.
* The loss is *Morse–Bott* at θ when M is, near θ, a manifold whose tangent space is the whole kernel of H,
  i.e. when the local dimension of M equals the number of zero eigenvalues. Then the loss grows quadratically
  away from M and gradient flow converges to M exponentially, at the rate set by the smallest nonzero
  eigenvalue λ_min (loss ∝ exp(−2λ_min t)). Otherwise some zero directions leave M, the loss grows only
  quartically along them and the convergence is sublinear (for Q¹: loss ∝ t⁻², distance ∝ t^(−1/2)).
* *Local dimension of M* (:func:`minimum_set_dimension`): random points at distance ``nearby_radius`` from θ
  are pulled back onto M by Levenberg–Marquardt on the residuals (:func:`project_to_minima`); around each of
  these generic nearby minima, ``samples`` more perturbations of size ``radius`` are pulled back and the rank of
  their displacements (singular values above ``tol``·radius) is the dimension of M there; the largest of them
  is dim_θ M. The rank of the displacements around θ itself, the *span*, can be larger where sheets of M cross
  (n = 4 at Q¹).

Branches sampled (:func:`branch_points`): Q¹ (w₁ = w₂ = w*, a₁ + a₂ = a*, random split a₁), Q² (one neuron
equals (a*, w*), the other a = 0 with a random w), and two special points: Q¹ ∩ Q² (a₁ = a*, a₂ = 0,
w₁ = w₂ = w*) and Q² with w = 0 (the inactive neuron entirely zero, where Q² meets the line {w = 0, a free}).

Rates: Example 1 (n = 6 evenly spaced, s = 1e-8) with ``rate_seeds`` seeds in ONE
:func:`recovery.sweeps.run_many` call; Q² runs get an exponential fit of the loss in a loss window, compared
with 2λ_min of the Hessian at the run's end point; Q¹ runs a power-law fit of the loss and of the distance to Q¹
in a late time window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import code_hash
from ..config import (
    ParameterError,
    UserConfig,
    check_choice_list,
    check_float,
    check_int,
    check_int_list,
    check_window,
    spec,
)
from ..core.data import DESIGNS, DataSpec, SingleNeuronTarget, batch_data
from ..core.minima import (
    BRANCH_DIM,
    BRANCHES,
    branch_points,
    distance_to_crossing,
    minimum_set_dimensions,
    smallest_nonzero_eigenvalue,
    training_jacobian_rank,
)
from ..core.models import get_activation
from ..core.stats import finite_median, fit_exponential_rate, fit_power_law
from ..core.theory import (
    NEITHER,
    Q1,
    Q2,
    distance_to_Q1,
    hessian_spectrum_at,
    jacobian_rank,
    zero_eigenvalue_count,
)
from ..sweeps import RunConfig, run_many

DESCRIPTION = (
    "Hessian at Q1/Q2: zero eigenvalues vs dimension of the minimum set (Morse-Bott), measured rates"
)

# our expectations (SCIENCE.md, derived): the paper's statements on this geometry were not available to us
EXPECTED_HESSIAN = {
    "claim": "ours (SCIENCE.md, derived; not a statement of the paper): Q2 is reached at a linear (exponential) "
    "rate, Q1 only sublinearly (loss ~ t^-2, w -> w* like t^-1/2); the loss is not Morse-Bott at Q1",
    "model_rank": {"Q1": 3, "Q2": 4},
    "loss_exponent_Q1": -2.0,
    "distance_exponent_Q1": -0.5,
}


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the Hessian/geometry page (defaults: the book size).

    Geometry: ``n_values`` and ``designs`` (evenly spaced on [−2, 2] and/or N(0, 1) with ``data_seed``);
    ``points_per_branch`` random points of Q¹ and of Q² (``point_seed``) plus the two special points;
    ``zero_rtol``: an eigenvalue is zero if |λ| ≤ zero_rtol·max|λ|; ``dim_*``: the local-dimension estimate
    (perturbation radius, samples per point, nearby minima, nearby radius, singular-value threshold relative to
    the radius, residual tolerance of the projection).

    Rates: ``rate_seeds`` seeds of Example 1 with ``rate_n`` evenly spaced points at scale ``rate_scale`` to
    ``rate_t_max`` (tolerance ``rate_rtol``, ``rate_cpd`` checkpoints per decade); Q² fits use the checkpoints with
    loss in ``q2_loss_window``, Q¹ fits those with t in ``q1_time_window``.
    """

    n_values: tuple[int, ...] = spec((2, 3, 4, 5, 6, 7), check_int_list, 1, 50, max_len=20)
    designs: tuple[str, ...] = spec(("even", "gaussian"), check_choice_list, DESIGNS)
    data_seed: int = spec(0, check_int, 0)
    points_per_branch: int = spec(3, check_int, 1, 50)
    point_seed: int = spec(0, check_int, 0)
    zero_rtol: float = spec(1e-8, check_float, 0.0, 1e-2, low_open=True)
    dim_radius: float = spec(1e-3, check_float, 0.0, 0.1, low_open=True)
    dim_samples: int = spec(16, check_int, 8, 200)
    dim_nearby: int = spec(3, check_int, 1, 20)
    dim_nearby_radius: float = spec(3e-2, check_float, 0.0, 0.5, low_open=True)
    dim_tol: float = spec(0.05, check_float, 0.0, 1.0, low_open=True)
    dim_residual_tol: float = spec(1e-12, check_float, 0.0, 1e-6, low_open=True)
    rate_seeds: int = spec(100, check_int, 1, 10_000)
    rate_n: int = spec(6, check_int, 2, 1000)
    rate_scale: float = spec(1e-8, check_float, 0.0, 1.0, low_open=True)
    rate_t_max: float = spec(1e7, check_float, 1.0, 1e12)
    rate_rtol: float = spec(1e-8, check_float, 0.0, 1e-2, low_open=True)
    rate_cpd: int = spec(20, check_int, 2, 1000)
    q2_loss_window: tuple[float, float] = spec((1e-16, 1e-10), check_window, 0.0)
    q1_time_window: tuple[float, float] = spec((1e6, 1e7), check_window, 0.0)

    def validate(self, given: dict[str, Any]) -> None:
        if self.dim_nearby_radius <= self.dim_radius:
            raise ParameterError(
                "dim_nearby_radius", given["dim_nearby_radius"], f"must be > dim_radius={self.dim_radius:g}"
            )

    def rate_config(self) -> RunConfig:
        return RunConfig(
            seeds=self.rate_seeds,
            first_seed=0,
            init_scale=self.rate_scale,
            n_samples=self.rate_n,
            design="even",
            width=2,
            activation="tanh",
            t_max=self.rate_t_max,
            rtol=self.rate_rtol,
            checkpoints_per_decade=self.rate_cpd,
        )


# ---------------------------------------------------------------------------------------------------------
# Points of the branches


# ---------------------------------------------------------------------------------------------------------
# Geometry of the minimum set


# ---------------------------------------------------------------------------------------------------------
# Convergence rates


# ---------------------------------------------------------------------------------------------------------
# The page


def geometry(cfg: Config, *, progress: bool = True) -> dict[str, np.ndarray]:
    """Spectrum, zero eigenvalues, training-Jacobian rank, model rank and local dimension of the minimum set at
    every sampled point, for every (design, n). Arrays are ``(designs, n_values, points, ...)``."""
    del progress  # a few seconds: no progress bar
    act = get_activation("tanh")
    target = SingleNeuronTarget().neuron
    pts = branch_points(target, cfg.points_per_branch, cfg.point_seed)
    G, N, Pn = len(cfg.designs), len(cfg.n_values), len(pts)
    out = {k: np.zeros((G, N, Pn), dtype=int) for k in ("zero", "rank_train", "dim", "span", "unconverged")}
    spectra = np.zeros((G, N, Pn, pts[0][1].numel()))
    lam_min = np.zeros((G, N, Pn))
    model_rank = np.array([jacobian_rank(p, act) for _, p in pts])
    specs = [
        DataSpec(design=design, n_samples=n, data_seed=cfg.data_seed)
        for design in cfg.designs
        for n in cfg.n_values
    ]
    data_all = batch_data([s for s in specs for _ in pts])  # one row per (design, n, point)
    thetas = torch.stack([p for _ in specs for _, p in pts])
    for j, (gi, ni, pi) in enumerate(np.ndindex(G, N, Pn)):
        one = data_all.select(torch.tensor([j]))
        ev = hessian_spectrum_at(thetas[j], one, act)
        spectra[gi, ni, pi] = ev.numpy()
        out["zero"][gi, ni, pi] = zero_eigenvalue_count(ev, cfg.zero_rtol)
        lam_min[gi, ni, pi] = smallest_nonzero_eigenvalue(ev, cfg.zero_rtol)
        out["rank_train"][gi, ni, pi] = training_jacobian_rank(thetas[j], one, act, cfg.zero_rtol)
    dims = minimum_set_dimensions(
        thetas,
        data_all,
        act,
        radius=cfg.dim_radius,
        samples=cfg.dim_samples,
        nearby=cfg.dim_nearby,
        nearby_radius=cfg.dim_nearby_radius,
        tol=cfg.dim_tol,
        residual_tol=cfg.dim_residual_tol,
        seed=cfg.point_seed,
    )
    for j, (gi, ni, pi) in enumerate(np.ndindex(G, N, Pn)):
        out["dim"][gi, ni, pi], out["span"][gi, ni, pi] = dims[j].dim, dims[j].span
        out["unconverged"][gi, ni, pi] = dims[j].unconverged
    return {
        "branch": np.array([b for b, _ in pts]),
        "points": np.stack([p.numpy() for _, p in pts]),
        "model_rank": model_rank,
        "spectra": spectra,
        "lambda_min": lam_min,
        "morse_bott": out["zero"] == out["dim"],
        **out,
    }


def rates(cfg: Config, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-run fits of the convergence rate (Q²: exponential vs 2λ_min at the end point; Q¹: power laws)."""
    act = get_activation("tanh")
    data = batch_data([DataSpec(n_samples=cfg.rate_n)])
    target = SingleNeuronTarget().neuron
    S = len(arrays["label"])
    t = arrays["times"]
    out = {
        k: np.full(S, np.nan)
        for k in ("q2_rate", "q2_lambda_min", "q2_dead_w_norm", "q1_loss_exponent", "q1_distance_exponent")
    }
    out["q2_points"] = np.zeros(S, dtype=int)
    out["distance_to_crossing"] = np.array([distance_to_crossing(th, target) for th in arrays["final_theta"]])
    out["q1_distance_traj"] = np.full(arrays["loss_traj"].shape, np.nan)
    for i in range(S):
        end = t <= arrays["final_time"][i]
        L = arrays["loss_traj"][i]
        if arrays["label"][i] == Q2:
            r, k = fit_exponential_rate(t[end], L[end], cfg.q2_loss_window)
            out["q2_rate"][i], out["q2_points"][i] = r, k
            th = torch.as_tensor(arrays["final_theta"][i])
            out["q2_lambda_min"][i] = smallest_nonzero_eigenvalue(
                hessian_spectrum_at(th, data, act), cfg.zero_rtol
            )
            dead = int(np.argmin(np.abs(arrays["final_theta"][i][:, 0])))
            out["q2_dead_w_norm"][i] = float(np.linalg.norm(arrays["final_theta"][i][dead, 1:]))
        elif arrays["label"][i] == Q1:
            out["q1_loss_exponent"][i] = fit_power_law(t[end], L[end], cfg.q1_time_window)[0]
            dq = distance_to_Q1(torch.as_tensor(arrays["theta_traj"][i]), target).numpy()
            out["q1_distance_traj"][i] = dq
            out["q1_distance_exponent"][i] = fit_power_law(t[end], dq[end], cfg.q1_time_window)[0]
    out["q2_ratio"] = out["q2_rate"] / (2 * out["q2_lambda_min"])
    return out


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Geometry at the sampled points and the measured rates (ONE run_many call for all seeds)."""
    t0 = time.perf_counter()
    geo = geometry(cfg, progress=progress)
    t_geo = time.perf_counter() - t0
    rc = cfg.rate_config()
    arr = run_many([rc], progress=progress, scheduler=scheduler, device=device)[0]
    fits = rates(cfg, arr)
    arrays: dict[str, np.ndarray] = {
        "n_values": np.array(cfg.n_values),
        "designs": np.array(cfg.designs),
        **{f"geo_{k}": v for k, v in geo.items()},
        "rate_times": arr["times"],
        "rate_loss_traj": arr["loss_traj"],
        "rate_label": arr["label"],
        "rate_ratio_C": arr["ratio"],
        "rate_final_theta": arr["final_theta"],
        "rate_final_loss": arr["final_loss"],
        "rate_final_time": arr["final_time"],
        "rate_status": arr["status"],
        **{f"rate_{k}": v for k, v in fits.items()},
    }
    summary = hessian_summary(
        cfg, arrays, compute_s=float(arr["wall_time"]), geometry_s=t_geo, runtime_s=time.perf_counter() - t0
    )
    return summary, arrays


def branch_table(
    cfg: Config, arrays: dict[str, np.ndarray], design: str = "even", n: int | None = None
) -> list[dict[str, Any]]:
    """One row per branch at sample size ``n`` (default: ``rate_n``): model rank, zero eigenvalues, training
    Jacobian rank, local dimension of the minimum set, Morse–Bott at every sampled point, and the measured rate."""
    n = cfg.rate_n if n is None else n
    if design not in cfg.designs or n not in cfg.n_values:
        return []
    gi, ni = cfg.designs.index(design), cfg.n_values.index(n)
    rows = []
    br = arrays["geo_branch"]
    for b in BRANCHES:
        sel = br == b
        if not sel.any():
            continue
        z, d = arrays["geo_zero"][gi, ni, sel], arrays["geo_dim"][gi, ni, sel]
        row = {
            "branch": b,
            "points": int(sel.sum()),
            "model_rank": sorted({int(x) for x in arrays["geo_model_rank"][sel]}),
            "zero_eigenvalues": sorted({int(x) for x in z}),
            "training_jacobian_rank": sorted({int(x) for x in arrays["geo_rank_train"][gi, ni, sel]}),
            "minimum_set_dimension": sorted({int(x) for x in d}),
            "branch_dimension": BRANCH_DIM[b],
            "morse_bott_all": bool((z == d).all()),
            "morse_bott_any": bool((z == d).any()),
            "lambda_min_range": [
                float(np.nanmin(arrays["geo_lambda_min"][gi, ni, sel])),
                float(np.nanmax(arrays["geo_lambda_min"][gi, ni, sel])),
            ],
        }
        rows.append(row)
    return rows


def hessian_summary(
    cfg: Config, arrays: dict[str, np.ndarray], *, compute_s: float, geometry_s: float, runtime_s: float
) -> dict[str, Any]:
    """The JSON-able ``result.json`` of the Hessian page."""
    lab = arrays["rate_label"]
    ratio = arrays["rate_q2_ratio"]
    fitted = np.isfinite(ratio)
    within5 = float((np.abs(ratio[fitted] - 1) < 0.05).mean()) if fitted.any() else float("nan")
    mb = {}
    for gi, design in enumerate(cfg.designs):
        for ni, n in enumerate(cfg.n_values):
            for b in BRANCHES:
                sel = arrays["geo_branch"] == b
                if sel.any():
                    mb[f"{design} n={n} {b}"] = {
                        "zero_eigenvalues": [int(x) for x in arrays["geo_zero"][gi, ni, sel]],
                        "minimum_set_dimension": [int(x) for x in arrays["geo_dim"][gi, ni, sel]],
                        "span": [int(x) for x in arrays["geo_span"][gi, ni, sel]],
                        "training_jacobian_rank": [int(x) for x in arrays["geo_rank_train"][gi, ni, sel]],
                        "morse_bott": [bool(x) for x in arrays["geo_morse_bott"][gi, ni, sel]],
                    }
    identity = bool((arrays["geo_zero"] == 6 - arrays["geo_rank_train"]).all())
    q1_le = finite_median(arrays["rate_q1_loss_exponent"])
    q1_de = finite_median(arrays["rate_q1_distance_exponent"])
    table = branch_table(cfg, arrays)
    return {
        "figure": "hessian",
        "paper": "arXiv:2405.13787, Example 1 (Q1/Q2 geometry; the paper's statements on it were not available "
        "to us: expectations from SCIENCE.md, derived)",
        "expected_claim": EXPECTED_HESSIAN["claim"],
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "criterion": "Morse-Bott at a minimum iff the local dimension of the set of minima equals the number of "
        "zero eigenvalues of the Hessian (|lambda| <= zero_rtol * max|lambda|)",
        "zero_count_equals_P_minus_training_rank": identity,
        "geometry": mb,
        "branch_table": table,
        "model_rank": {
            b: sorted({int(x) for x in arrays["geo_model_rank"][arrays["geo_branch"] == b]})
            for b in BRANCHES
            if (arrays["geo_branch"] == b).any()
        },
        "expected_model_rank": EXPECTED_HESSIAN["model_rank"],
        "rate_runs": {
            "Q1": int((lab == Q1).sum()),
            "Q2": int((lab == Q2).sum()),
            "neither": int((lab == NEITHER).sum()),
        },
        "q2_fitted": int(fitted.sum()),
        "q2_rate_over_2lambda_median": finite_median(ratio),
        "q2_fraction_within_5pct": within5,
        "q2_rate_median": finite_median(arrays["rate_q2_rate"]),
        "q1_loss_exponent_median": q1_le,
        "q1_distance_exponent_median": q1_de,
        "expected_q1_loss_exponent": EXPECTED_HESSIAN["loss_exponent_Q1"],
        "expected_q1_distance_exponent": EXPECTED_HESSIAN["distance_exponent_Q1"],
        "compute_s": compute_s,
        "geometry_s": geometry_s,
        "runtime_s": runtime_s,
        "headline": [
            f"Morse-Bott (zero eigenvalues = dim of minimum set) at n={cfg.rate_n}: "
            + ", ".join(
                f"{r['branch']} {'yes' if r['morse_bott_all'] else 'no'} ({r['zero_eigenvalues']} vs "
                f"{r['minimum_set_dimension']})"
                for r in table
            ),
            (
                f"Q2: fitted rate / 2 lambda_min = {finite_median(ratio):.3f} (median of {int(fitted.sum())}); Q1: loss ~ "
                f"t^{q1_le:.2f}, distance ~ t^{q1_de:.2f} (medians of {int((lab == Q1).sum())} runs)"
            ),
        ],
    }


PAPER_SIZE: dict[str, Any] = {
    "rate_seeds": 400,
    "points_per_branch": 10,
    "dim_samples": 24,
    "dim_nearby": 5,
    "rate_rtol": 1e-9,
}
QUICK_SIZE: dict[str, Any] = {
    "n_values": [4, 6],
    "designs": ["even"],
    "points_per_branch": 1,
    "rate_seeds": 8,
    "rate_t_max": 1e5,
    "rate_rtol": 1e-6,
    "q1_time_window": [1e4, 1e5],
}
