"""Theorem 1 of arXiv:2405.13787 checked numerically: as the initialization scale s → 0, runs with the same
normalized imbalance vector C(θ₀)/‖C(θ₀)‖ follow one trajectory after the Theorem-1 time shift.

Example 1 (width-2 tanh network, target tanh(x + 1), n = 6 evenly spaced points on [−2, 2]). For each
direction c = C₂/C₁ (``RunConfig(c_ratio_base=c)``), each seed θ̂ and each scale s, the run starts at
θ₀ = s·θ̂ with its second neuron rescaled to C₂/C₁ = c. Its *aligned time* is

    τ = t + log‖C(θ₀)‖ / ‖z‖                      (Theorem 1; z = Σ_i y_i x_i),

and Theorem 1 says θ_s(τ) converges, as s → 0, to one limit trajectory that depends on C/‖C‖ only. tanh is
odd, so the flow commutes with θ → −θ: a run with C₁ < 0 follows the mirror image, and every run is mapped to
C₁ > 0 (:func:`canonical_sign`) before comparing.

The *aligned distance* of a run to the reference (same seed and c, smallest scale) is

    D(s) = max over τ in W of ‖θ_s(τ) − θ_ref(τ)‖,

W = [``tau_min``, ``tau_max``] intersected with the τ range where both runs were integrated. The reference is
taken at its own checkpoints; θ_s between its checkpoints is the quintic Hermite interpolant built from θ,
θ̇ = −∇ℓ(θ) and θ̈ = ∇²ℓ(θ)∇ℓ(θ) at the checkpoints (:func:`hermite5`, error O(Δt⁶), exact derivatives from
:func:`recovery.models.loss_grad_hessian`). The loss gap is max |log10 ℓ(θ_s(τ)) − log10 ℓ_ref(τ)| over the same
τ (losses evaluated exactly at the interpolated parameters), where both losses are ≥ ``loss_floor``.

Expected *(ours)*: D(s) = O(s): the part of θ₀ that does not grow (the stable and the neutral directions of
the linearized flow) stays O(s) in absolute size and perturbs the O(1) trajectory by O(s). Below the O(s) part
lies a numerical floor: the integrator's small error in the growth rate accumulates over the escape, which lasts
log(1/s)/‖z‖, as a time shift; the whole computation is repeated at a second tolerance ``check_rtol`` and only
distances that change by less than ``converged_tol`` between the two tolerances enter the slope fit.

A second, cheap batch (``limit_*``) integrates several seeds per c to ``limit_t_max`` at a large and a small
scale: at small s every seed with the same c reaches the same set and the same point (up to O(s)).

All trials of the page run in ONE :func:`recovery.sweeps.run_many` call (grouped by tolerance internally).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import __version__
from ..cache import code_hash
from ..config import ParameterError, UserConfig, check_float, check_float_list, check_int, largest_first, spec
from ..core.alignment import align, converged_mask, interpolation_error, limit_spread
from ..core.data import DataSpec, batch_data
from ..core.models import Data
from ..core.stats import loglog_fit
from ..core.theory import NEITHER, Q1, Q2, SET_NAMES
from ..sweeps import RunConfig, run_many

DESCRIPTION = "Theorem 1: trajectories with equal C/|C| converge after the time shift; aligned distance ~ s"

# what the paper's available text states (SCIENCE.md): the abstract's statement, paraphrased; Theorem 1's own
# conclusion, its definition of C and any rate are not in that text
PAPER_THEOREM1 = {
    "claim": "abstract (paraphrased): under small initialization the trajectory and its limit are determined by "
    "C(theta_0)/|C(theta_0)|; Theorem 1's conclusion was not available to us (we read it as this statement)",
    "rate": "not in the text available to us",
}
# ours (derived on the intro page), what this page checks
EXPECTED_THEOREM1 = {
    "time_shift": "ours: runs with the same C/|C| coincide after shifting time by log(|C1|/|C2|)/|z|",
    "distance": "ours: the aligned distance between scales shrinks as s -> 0 (the page fits its power of s)",
}


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the Theorem-1 page (defaults: the book size).

    * ``c_ratios``: directions of the normalized C, as C₂/C₁ (0.3 and 2.0 reach Q², 1.0 reaches Q¹).
    * ``seeds`` / ``first_seed``: the θ̂ per direction (seed k is ``first_seed + k``).
    * ``scales``: initialization scales, stored largest first; the smallest is the reference.
    * ``t_max``, ``rtol``, ``checkpoints_per_decade``: horizon, tolerance and checkpoint density of the main runs.
    * ``check_rtol``: everything is run again at this tolerance (looser or tighter; 0 skips); distances that
      change by less than ``converged_tol`` (relative) between the two are *converged* and enter the slope fit.
    * ``tau_min`` / ``tau_max``: the aligned-time window of the maximum (clipped to where both runs exist).
    * ``loss_floor``: the loss gap is measured only where both losses are at least this.
    * ``limit_*``: the limit-point batch (seeds per c, the scales compared, horizon, tolerance).
    """

    c_ratios: tuple[float, ...] = spec(
        (0.3, 1.0, 2.0),
        check_float_list,
        0.0,
        high=100.0,
        low_open=True,
        min_len=1,
        max_len=10,
        distinct=True,
    )
    seeds: int = spec(2, check_int, 1, 50)
    first_seed: int = spec(0, check_int, 0)
    scales: tuple[float, ...] = spec(
        (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10),
        check_float_list,
        0.0,
        high=1.0,
        low_open=True,
        min_len=2,
        max_len=20,
        distinct=True,
        then=largest_first,
    )
    n_samples: int = spec(6, check_int, 2, 1000)
    t_max: float = spec(300.0, check_float, 1.0, 1e8)
    rtol: float = spec(3e-9, check_float, 0.0, 1e-3, low_open=True)
    check_rtol: float = spec(1.2e-8, check_float, 0.0, 1e-3)
    checkpoints_per_decade: int = spec(200, check_int, 10, 1000)
    converged_tol: float = spec(0.1, check_float, 0.0, 1.0, low_open=True)
    tau_min: float = spec(0.0, check_float, -1e9, 1e9)
    tau_max: float = spec(1e9, check_float, -1e9, 1e12)
    loss_floor: float = spec(1e-20, check_float, 0.0, 1e-2, low_open=True)
    limit_seeds: int = spec(6, check_int, 2, 1000)
    limit_scales: tuple[float, ...] = spec(
        (1e-2, 1e-8),
        check_float_list,
        0.0,
        high=1.0,
        low_open=True,
        min_len=1,
        max_len=10,
        distinct=True,
        then=largest_first,
    )
    limit_t_max: float = spec(1e5, check_float, 1.0, 1e12)
    limit_rtol: float = spec(1e-6, check_float, 0.0, 1e-2, low_open=True)

    def validate(self, given: dict[str, Any]) -> None:
        if self.check_rtol == self.rtol:
            raise ParameterError(
                "check_rtol", given["check_rtol"], f"must be 0 (no check) or differ from rtol={self.rtol:g}"
            )
        if self.tau_max <= self.tau_min:
            raise ParameterError("tau_max", given["tau_max"], f"must be > tau_min={self.tau_min:g}")

    def trial(self, c: float, scale: float, rtol: float | None = None) -> RunConfig:
        """All seeds of one (c, s) cell: Example 1 with C₂/C₁ = c."""
        return RunConfig(
            seeds=self.seeds,
            first_seed=self.first_seed,
            init_scale=scale,
            n_samples=self.n_samples,
            design="even",
            width=2,
            activation="tanh",
            c_ratio_base=c,
            c_ratio_slope=0.0,
            t_max=self.t_max,
            rtol=self.rtol if rtol is None else rtol,
            checkpoints_per_decade=self.checkpoints_per_decade,
        )

    def grid(self, rtol: float | None = None) -> list[RunConfig]:
        """One RunConfig per (c, s), c-major, scales largest first (the last of each c is the reference)."""
        return [self.trial(c, s, rtol) for c in self.c_ratios for s in self.scales]

    def limit_grid(self) -> list[RunConfig]:
        """The limit-point batch: ``limit_seeds`` seeds per (c, s) integrated to ``limit_t_max``."""
        return [
            RunConfig(
                seeds=self.limit_seeds,
                first_seed=self.first_seed,
                init_scale=s,
                n_samples=self.n_samples,
                design="even",
                width=2,
                activation="tanh",
                c_ratio_base=c,
                t_max=self.limit_t_max,
                rtol=self.limit_rtol,
                checkpoints_per_decade=20,
            )
            for c in self.c_ratios
            for s in self.limit_scales
        ]


# ---------------------------------------------------------------------------------------------------------
# Pure functions (Theorem 1)


# ---------------------------------------------------------------------------------------------------------
# The page


def _run_dict(arr: dict[str, np.ndarray], i: int) -> dict[str, Any]:
    return {
        "times": arr["times"],
        "theta": arr["theta_traj"][i],
        "loss": arr["loss_traj"][i],
        "C": arr["C"][i],
        "t_end": float(arr["final_time"][i]),
    }


def _distances(cfg: Config, res: list[dict[str, np.ndarray]], data: Data) -> dict[str, np.ndarray]:
    """Aligned distances ``(c, seed, scale)`` of every run to the same seed at the smallest scale, and the
    cross-seed distances (seed k vs the first seed at the same scale)."""
    nc, S, ns = len(cfg.c_ratios), cfg.seeds, len(cfg.scales)
    rate = float(res[0]["growth_rate"][0])
    out = {
        k: np.full((nc, S, ns), np.nan)
        for k in ("distance", "tau_at_max", "loss_gap", "final_distance", "seed_distance", "seed_loss_gap")
    }
    profiles: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
    kw = dict(tau_min=cfg.tau_min, tau_max=cfg.tau_max, loss_floor=cfg.loss_floor)
    for ci in range(nc):
        block = res[ci * ns : (ci + 1) * ns]
        for k in range(S):
            ref = _run_dict(block[-1], k)
            for si in range(ns - 1):
                al = align(_run_dict(block[si], k), ref, rate, data, **kw)
                out["distance"][ci, k, si] = al.distance
                out["tau_at_max"][ci, k, si] = al.tau_at_max
                out["loss_gap"][ci, k, si] = al.loss_gap
                out["final_distance"][ci, k, si] = al.final_distance
                profiles[(ci, k, si)] = (al.tau, al.profile)
            if k > 0:
                for si in range(ns):
                    al = align(_run_dict(block[si], k), _run_dict(block[si], 0), rate, data, **kw)
                    out["seed_distance"][ci, k, si] = al.distance
                    out["seed_loss_gap"][ci, k, si] = al.loss_gap
    out["profiles"] = profiles  # type: ignore[assignment]
    return out


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) every trial of the page in ONE run_many call and measure the alignment."""
    t0 = time.perf_counter()
    main = cfg.grid()
    check = cfg.grid(cfg.check_rtol) if cfg.check_rtol > 0 else []
    limit = cfg.limit_grid()
    unique = list(dict.fromkeys(main + check + limit))
    results = dict(zip(unique, run_many(unique, progress=progress, scheduler=scheduler, device=device)))
    res_main = [results[c] for c in main]
    data = batch_data([DataSpec(n_samples=cfg.n_samples)])
    dist = _distances(cfg, res_main, data)
    profiles = dist.pop("profiles")
    dist_check = None
    if check:
        dc = _distances(cfg, [results[c] for c in check], data)
        dc.pop("profiles")
        dist_check = dc
    nc, S, ns = len(cfg.c_ratios), cfg.seeds, len(cfg.scales)
    scales = np.array(cfg.scales)
    conv = converged_mask(
        dist["distance"], None if dist_check is None else dist_check["distance"], cfg.converged_tol
    )
    slopes = np.full((nc, S), np.nan)
    prefactors = np.full((nc, S), np.nan)
    for ci in range(nc):
        for k in range(S):
            sel = conv[ci, k]
            if sel.sum() >= 2:
                p, b = loglog_fit(scales[sel], dist["distance"][ci, k, sel])
                slopes[ci, k], prefactors[ci, k] = p, 10**b
    interp = max(
        interpolation_error(
            res_main[ci * ns + si]["times"],
            res_main[ci * ns + si]["theta_traj"][k],
            data,
            float(res_main[ci * ns + si]["final_time"][k]),
        )
        for ci in range(nc)
        for k in range(S)
        for si in range(ns - 1)
    )  # the interpolated runs
    # the trajectories themselves, for the slider (reference time τ; sign-canonical)
    rate = float(res_main[0]["growth_rate"][0])
    K = len(res_main[0]["times"])
    theta = np.stack(
        [np.stack([res_main[ci * ns + si]["theta_traj"] for si in range(ns)]) for ci in range(nc)]
    )
    C = np.stack(
        [np.stack([res_main[ci * ns + si]["C"] for si in range(ns)]) for ci in range(nc)]
    )  # (nc,ns,S,m)
    sign = np.where(C[..., 0] >= 0, 1.0, -1.0)
    tau = res_main[0]["times"][None, None, None, :] + np.log(np.linalg.norm(C, axis=-1))[..., None] / rate
    labels = np.stack([np.stack([res_main[ci * ns + si]["label"] for si in range(ns)]) for ci in range(nc)])
    # limit-point batch
    res_lim = [results[c] for c in limit]
    nl = len(cfg.limit_scales)
    lim_labels = np.stack([np.stack([res_lim[ci * nl + j]["label"] for j in range(nl)]) for ci in range(nc)])
    lim_spread = np.array(
        [
            [limit_spread(res_lim[ci * nl + j]["final_theta"], res_lim[ci * nl + j]["C"]) for j in range(nl)]
            for ci in range(nc)
        ]
    )
    lim_mean = np.stack(
        [
            np.stack(
                [
                    (
                        res_lim[ci * nl + j]["final_theta"]
                        * np.where(res_lim[ci * nl + j]["C"][:, 0] >= 0, 1.0, -1.0)[:, None, None]
                    ).mean(0)
                    for j in range(nl)
                ]
            )
            for ci in range(nc)
        ]
    )
    lim_loss = np.array(
        [[float(res_lim[ci * nl + j]["final_loss"].max()) for j in range(nl)] for ci in range(nc)]
    )
    prof_tau = np.full((nc, S, ns - 1, K), np.nan)
    prof_d = np.full((nc, S, ns - 1, K), np.nan)
    for (ci, k, si), (tt, pp) in profiles.items():
        prof_tau[ci, k, si, : len(tt)] = tt
        prof_d[ci, k, si, : len(pp)] = pp
    arrays: dict[str, np.ndarray] = {
        "c_ratios": np.array(cfg.c_ratios),
        "scales": scales,
        "seeds": np.arange(cfg.first_seed, cfg.first_seed + S),
        "times": res_main[0]["times"],
        "growth_rate": np.array([rate]),
        "theta_traj": (theta * sign[..., None, None, None]),  # (nc, ns, S, K, m, 1+d), C₁ > 0
        "loss_traj": np.stack(
            [np.stack([res_main[ci * ns + si]["loss_traj"] for si in range(ns)]) for ci in range(nc)]
        ),
        "tau": tau,  # (nc, ns, S, K)
        "C": C,
        "final_time": np.stack(
            [np.stack([res_main[ci * ns + si]["final_time"] for si in range(ns)]) for ci in range(nc)]
        ),
        "label": labels,  # (nc, ns, S) at t_max
        **{k: v for k, v in dist.items()},  # (nc, S, ns)
        "converged": conv,
        "slope": slopes,
        "prefactor": prefactors,
        "profile_tau": prof_tau,
        "profile_distance": prof_d,
        "limit_scales": np.array(cfg.limit_scales),
        "limit_label": lim_labels,  # (nc, nl, limit_seeds)
        "limit_spread": lim_spread,  # (nc, nl)
        "limit_mean": lim_mean,  # (nc, nl, m, 1+d)
        "limit_final_loss": lim_loss,
        "interpolation_error": np.array([interp]),
    }
    if dist_check is not None:
        arrays["check_distance"] = dist_check["distance"]
        arrays["check_loss_gap"] = dist_check["loss_gap"]
        arrays["check_seed_distance"] = dist_check["seed_distance"]
    wall = float(sum(float(r["wall_time"]) for r in results.values()))
    summary = theorem1_summary(cfg, arrays, compute_s=wall, runtime_s=time.perf_counter() - t0)
    summary["glue"] = glue_values(cfg, summary, arrays)
    summary["tables"] = tables(cfg, arrays)
    return summary, arrays


def glue_values(cfg: Config, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able)."""
    nan = float("nan")
    d, conv, S = arrays["distance"], arrays["converged"], arrays["scales"]
    tam = arrays["tau_at_max"]
    sd = arrays["seed_distance"]
    seed_slopes = np.array(summary["seed_distance_slopes"])
    lg = arrays["loss_gap"]
    i1 = [i for i, c in enumerate(cfg.c_ratios) if c == 1.0]
    other = [i for i, c in enumerate(cfg.c_ratios) if c != 1.0]
    small, large = int(np.argmin(arrays["limit_scales"])), int(np.argmax(arrays["limit_scales"]))
    # the set each direction reaches: the most common label of its seeds at the smallest scale, at t_max
    at_small = arrays["label"][:, int(np.argmin(S)), :]
    reached = [int(np.bincount(row.astype(int)).argmax()) for row in at_small]
    sets = {Q2: "Q²", Q1: "Q¹", NEITHER: "neither set"}
    return {
        "n_directions": len(reached),
        "directions_reached": ", ".join(
            f"{reached.count(k)} reaching {v}" for k, v in sets.items() if k in reached
        ),
        "slope_median": summary["slope_median"],
        "slope_min": summary["slope_min"],
        "slope_max": summary["slope_max"],
        "series_fitted": summary["series_fitted"],
        "series_total": int(d.shape[0] * d.shape[1]),
        "pref_min": summary["prefactor_min"],
        "pref_max": summary["prefactor_max"],
        "floor": summary["numerical_floor"],
        "smallest_conv_scale": float(np.broadcast_to(S, conv.shape)[conv].min()) if conv.any() else nan,
        "check_change": 100 * summary["check_max_rel_change_converged"],
        "rtol": cfg.rtol,
        "check_rtol": cfg.check_rtol,
        "converged_tol": 100 * cfg.converged_tol,
        "reproduce_rtol": PAPER_SIZE["rtol"],
        "check_factor": max(cfg.check_rtol, cfg.rtol) / min(cfg.check_rtol, cfg.rtol)
        if cfg.check_rtol > 0
        else nan,
        "reproduce_check_rtol": PAPER_SIZE["check_rtol"],
        "ref_scale": cfg.scales[-1],
        "largest_scale": cfg.scales[0],
        "growth_rate": summary["growth_rate"],
        "horizon": cfg.t_max,
        "compute_s": summary["compute_s"],
        "cpd": cfg.checkpoints_per_decade,
        "interp_error": summary["interpolation_error"],
        "tau_at_max_by_c": "; ".join(
            f"C₂/C₁ = {c:g}: τ ≈ {np.nanmedian(tam[ci][conv[ci]]):.3g}"
            for ci, c in enumerate(cfg.c_ratios)
            if conv[ci].any()
        ),
        "tau_window_end": float(np.nanmax(arrays["profile_tau"])),
        # seed-to-seed distances at the largest and the reference scale
        "seed_d_large": float(np.nanmax(sd[:, :, 0])) if np.isfinite(sd).any() else nan,
        "seed_d_ref": float(np.nanmax(sd[:, :, -1])) if np.isfinite(sd).any() else nan,
        "seed_slope": float(np.median(seed_slopes)) if seed_slopes.size else nan,
        # loss gap: per direction, at the largest scale and the smallest compared scale
        "lossgap_q2_large": float(np.nanmax(lg[other][:, :, 0])) if other else nan,
        "lossgap_q1_large": float(np.nanmax(lg[i1][:, :, 0])) if i1 else nan,
        "lossgap_q1_small": float(np.nanmax(lg[i1][:, :, -2])) if i1 else nan,
        "lossgap_max_small": float(np.nanmax(lg[:, :, -2])),
        "tau_at_max_q1": float(np.nanmedian(tam[i1][:, :, 0])) if i1 else nan,
        # limit points
        "limit_small": float(arrays["limit_scales"][small]),
        "limit_large": float(arrays["limit_scales"][large]),
        "limit_seeds": cfg.limit_seeds,
        "limit_horizon": cfg.limit_t_max,
        "limit_rtol": cfg.limit_rtol,
        "spread_small_max": float(arrays["limit_spread"][:, small].max()),
        "spread_large_min": float(arrays["limit_spread"][:, large].min()),
        "same_set": "every seed reaches the same set"
        if summary["limit_same_set_small_scale"]
        else "NOT every seed reaches the same set",
    }


def tables(cfg: Config, arrays: dict[str, np.ndarray]) -> dict[str, dict[str, list]]:
    """The page's tables (headers and rows): the limit points per direction at the largest and the smallest limit
    scale, and the aligned distance per (direction, seed, scale) with its log-log slope (° = not converged)."""
    lab = arrays["limit_label"]
    small, large = int(np.argmin(arrays["limit_scales"])), int(np.argmax(arrays["limit_scales"]))

    def sets(ci: int, j: int) -> str:
        u, k = np.unique(lab[ci, j], return_counts=True)
        return ", ".join(f"{SET_NAMES[int(a)]} ×{int(b)}" for a, b in zip(u, k))

    limit_head = [
        "$C_2/C_1$",
        f"set reached at $s=${arrays['limit_scales'][large]:.0e}",
        f"set reached at $s=${arrays['limit_scales'][small]:.0e}",
        "spread of the end points, large $s$",
        "spread, small $s$",
        "mean end point $(a_1,w_1 \\mid a_2,w_2)$ at small $s$",
    ]
    limit_rows = []
    for ci, c in enumerate(cfg.c_ratios):
        m = arrays["limit_mean"][ci, small]
        limit_rows.append(
            [
                f"{c:g}",
                sets(ci, large),
                sets(ci, small),
                f"{arrays['limit_spread'][ci, large]:.1e}",
                f"{arrays['limit_spread'][ci, small]:.1e}",
                f"({m[0, 0]:.3f}, {m[0, 1]:.3f}, {m[0, 2]:.3f} ∣ {m[1, 0]:.3f}, {m[1, 1]:.3f}, {m[1, 2]:.3f})",
            ]
        )
    d, conv, S = arrays["distance"], arrays["converged"], arrays["scales"]
    dist_head = ["$C_2/C_1$", "seed", *(f"$s=${s:.0e}" for s in S[:-1]), "slope"]
    dist_rows = []
    for ci, c in enumerate(cfg.c_ratios):
        for k in range(cfg.seeds):
            sl = arrays["slope"][ci, k]
            dist_rows.append(
                [
                    f"{c:g}",
                    f"{int(arrays['seeds'][k])}",
                    *(f"{d[ci, k, j]:.1e}" + ("" if conv[ci, k, j] else "°") for j in range(len(S) - 1)),
                    f"{sl:.2f}" if np.isfinite(sl) else "–",
                ]
            )
    return {
        "limit_table": {"headers": limit_head, "rows": limit_rows},
        "distance_table": {"headers": dist_head, "rows": dist_rows},
    }


def numerical_floor(distance: np.ndarray, converged: np.ndarray) -> float:
    """Median of the distances that are *not* converged between the two tolerances (and below 0.1): the level
    set by the integrator, not by s (NaN if every distance converged)."""
    d = np.asarray(distance, float)
    bad = np.isfinite(d) & ~np.asarray(converged, bool) & (d < 0.1)
    return float(np.median(d[bad])) if bad.any() else float("nan")


def theorem1_summary(
    cfg: Config, arrays: dict[str, np.ndarray], *, compute_s: float, runtime_s: float
) -> dict[str, Any]:
    """The JSON-able ``result.json`` of the Theorem-1 page."""
    d = arrays["distance"]
    conv = arrays["converged"]
    rel_change = float("nan")
    if "check_distance" in arrays and conv.any():
        rel_change = float(np.max(np.abs(arrays["check_distance"][conv] - d[conv]) / d[conv]))
    lab = arrays["limit_label"]
    small = int(np.argmin(arrays["limit_scales"]))
    same_set_small = bool(all((lab[ci, small] == lab[ci, small, 0]).all() for ci in range(len(cfg.c_ratios))))
    sets_small = {f"{c:g}": [SET_NAMES[int(v)] for v in lab[ci, small]] for ci, c in enumerate(cfg.c_ratios)}
    spread = arrays["limit_spread"]
    floor = numerical_floor(d, conv)
    slope = arrays["slope"]
    fin = np.isfinite(slope)
    med = float(np.median(slope[fin])) if fin.any() else float("nan")
    lo, hi = (float(slope[fin].min()), float(slope[fin].max())) if fin.any() else (float("nan"), float("nan"))
    pref = arrays["prefactor"]
    seed_conv = converged_mask(arrays["seed_distance"], arrays.get("check_seed_distance"), cfg.converged_tol)
    seed_slopes = [
        loglog_fit(arrays["scales"][seed_conv[ci, k]], arrays["seed_distance"][ci, k, seed_conv[ci, k]])[0]
        for ci in range(d.shape[0])
        for k in range(1, d.shape[1])
        if seed_conv[ci, k].sum() >= 2
    ]
    return {
        "figure": "theorem1",
        "paper": "arXiv:2405.13787, Theorem 1 (checked numerically; the statement's exact form was not available "
        "to us)",
        "paper_claim": PAPER_THEOREM1["claim"],
        "paper_rate": PAPER_THEOREM1["rate"],
        "expected": EXPECTED_THEOREM1,
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "growth_rate": float(arrays["growth_rate"][0]),
        "distance_definition": "max over tau in [tau_min, tau_max] (clipped to both runs) of |theta_s(tau) - "
        "theta_ref(tau)|, tau = t + log|C|/|z|, runs mapped to C1 > 0, reference = same seed at the smallest scale, "
        "run interpolated by quintic Hermite from exact theta, theta', theta''",
        "distance": d.tolist(),
        "loss_gap": arrays["loss_gap"].tolist(),
        "seed_distance": arrays["seed_distance"].tolist(),
        "check_distance": arrays["check_distance"].tolist() if "check_distance" in arrays else None,
        "converged": conv.tolist(),
        "slope_per_series": slope.tolist(),
        "slope_median": med,
        "slope_min": lo,
        "slope_max": hi,
        "series_fitted": int(fin.sum()),
        "prefactor_per_series": pref.tolist(),
        "prefactor_min": float(pref[fin].min()) if fin.any() else float("nan"),
        "prefactor_max": float(pref[fin].max()) if fin.any() else float("nan"),
        "points_in_fit": int(conv.sum()),
        "seed_distance_slopes": [float(x) for x in seed_slopes],
        "numerical_floor": floor,
        "interpolation_error": float(arrays["interpolation_error"][0]),
        "check_rtol": cfg.check_rtol,
        "check_max_rel_change_converged": rel_change,
        "labels_at_t_max": {
            f"{c:g}": [[SET_NAMES[int(v)] for v in row] for row in arrays["label"][ci]]
            for ci, c in enumerate(cfg.c_ratios)
        },
        "limit_sets_small_scale": sets_small,
        "limit_same_set_small_scale": same_set_small,
        "limit_spread": {
            f"{c:g}": {f"{s:g}": float(spread[ci, j]) for j, s in enumerate(cfg.limit_scales)}
            for ci, c in enumerate(cfg.c_ratios)
        },
        "limit_horizon": cfg.limit_t_max,
        "compute_s": compute_s,
        "runtime_s": runtime_s,
        "headline": [
            (
                f"aligned distance ~ s^{med:.2f} (median over {int(fin.sum())} seed/c series, range "
                f"{lo:.2f}-{hi:.2f}), numerical floor {floor:.1e}"
            ),
            (
                f"limit: same set for every seed at s={cfg.limit_scales[small]:g}: {same_set_small}; spread of limit "
                f"points {', '.join(f'{spread[ci, small]:.1e}' for ci in range(len(cfg.c_ratios)))} (c = "
                f"{', '.join(f'{c:g}' for c in cfg.c_ratios)})"
            ),
        ],
    }


PAPER_SIZE: dict[str, Any] = {
    "seeds": 3,
    "scales": [10.0**-k for k in range(2, 13)],
    "t_max": 1000.0,
    "rtol": 1e-9,
    "check_rtol": 2.5e-10,
    "limit_seeds": 20,
}
QUICK_SIZE: dict[str, Any] = {
    "c_ratios": [0.3, 1.0],
    "seeds": 1,
    "scales": [1e-2, 1e-3, 1e-4, 1e-6],
    "t_max": 20.0,
    "rtol": 1e-6,
    "check_rtol": 4e-6,
    "checkpoints_per_decade": 50,
    "limit_seeds": 3,
    "limit_t_max": 1e3,
}
