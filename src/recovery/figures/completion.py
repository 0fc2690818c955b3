"""Related results: matrix completion and connectivity (arXiv:2405.13721, Bai, Zhao, Zhang).

W = AB (A, B ∈ R^{4×4} unless stated) is trained by gradient flow on the observed entries from A₀ = s·Â, B₀ = s·B̂
(:mod:`recovery.completion`). Four experiments, all trials in ONE batched gradient-flow call (the 2 × 2
examples are embedded in the 4 × 4 batch with zero padding: zero rows of A and columns of B receive no
gradient, so the padded flow is exactly the 2 × 2 one with hidden width 2):

1. connected [[1, 2], [3, ?]]: the learned ? against the minimum-rank fill 6 and the minimum-nuclear-norm
   fill 1, for several scales s and seeds. Derived here: |? − 6| ∝ s^{2(1 − σ₂/σ₁)}, σ₁ > σ₂ the singular values
   of the zero-filled observation [[1, 2], [3, 0]] (the second direction grows at rate σ₂ while the first
   takes the flow to the rank-1 solution at rate σ₁; W is quadratic in s).
2. disconnected [[1, ?], [?, 4]]: the learned fill against its exact limit
   (:func:`recovery.completion.disconnected_2x2_limit`); the completion is symmetric with nuclear norm 5.
3. 4 × 4: generic rank-r targets, n observed entries drawn uniformly; each pattern coloured by the
   connectivity of its bipartite row/column graph; the learned W compared with the minimum-rank completion
   (Levenberg–Marquardt search) and the minimum-nuclear-norm completion (Douglas–Rachford with a certified
   lower bound).
4. The saddle-to-saddle staircase: singular values of W(t) for one target and pattern at several scales s
   (a slider); stage k starts when σ_k(W) first exceeds half its final value, at a time that grows like
   log(1/s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import ResultCache, code_hash
from ..config import (
    UserConfig,
    check_float,
    check_float_list,
    check_int,
    check_int_list,
    spec,
    unique_largest_first,
)
from ..core.dynamics import single_thread
from ..core.stats import loglog_fit
from ..related.completion import (
    components_complete_bipartite,
    connected_2x2_min_nuclear,
    disconnected_2x2_limit,
    disconnected_2x2_small_init_limit,
    gradient_flow,
    initial_factors,
    is_forest,
    min_rank_completion,
    nuclear_norm_completion,
    numerical_rank_batch,
    observation_components,
    random_low_rank,
    random_pattern,
)

DESCRIPTION = (
    "Related: matrix completion by W=AB from small init; connectivity -> min rank vs min nuclear norm"
)

DERIVED = {
    "source": "research notes (SCIENCE.md, 'Related seeds'): derived and verified by us for the setting of "
    "arXiv:2405.13721, not numbers stated in its available text",
    "connected_fill": 6.0,
    "disconnected_nuclear_norm": 5.0,
    "claim_connected": "connected observations: the learned solution has minimum rank",
    "claim_disconnected": "disconnected observations: minimum nuclear norm (not minimum rank)",
    "claim_staircase": "saddle-to-saddle: the rank of W grows one step at a time",
}

CONNECTED_M = np.array([[1.0, 2.0], [3.0, 0.0]])
CONNECTED_MASK = np.array([[1.0, 1.0], [1.0, 0.0]])
DISCONNECTED_M = np.array([[1.0, 0.0], [0.0, 4.0]])
DISCONNECTED_MASK = np.eye(2)

PAPER_SIZE: dict[str, Any] = {"patterns": 30, "example_seeds": 20}
QUICK_SIZE: dict[str, Any] = {
    "patterns": 2,
    "n_values": [4, 8, 12],
    "example_seeds": 2,
    "example_scales": [1e-3, 1e-5],
    "staircase_scales": [1e-3, 1e-6],
    "t_max": 1e4,
}


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the chapter (defaults: the book size).

    * ``example_scales`` / ``example_seeds``: the 2 × 2 examples at each scale with seeds 0..seeds−1.
    * ``target_ranks``, ``n_values``, ``patterns``, ``scale``: the 4 × 4 experiment (targets
      M = UVᵀ/√r with Gaussian U, V; ``patterns`` targets × patterns per (rank, n)).
    * ``staircase_rank``, ``staircase_observed``, ``staircase_scales``: the staircase (one target and one
      random pattern, redrawn until connected).
    * ``t_max``, ``rtol``, ``checkpoints_per_decade``: the integrator (horizon, tolerance relative to ‖θ‖).
    * ``rank_rtol``: a singular value counts if above this times the largest; ``nuclear_iters``:
      Douglas–Rachford iterations; ``seed``: offsets every seed.
    """

    example_scales: tuple[float, ...] = spec(
        (1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12),
        check_float_list,
        0.0,
        high=0.1,
        low_open=True,
        min_len=1,
        max_len=10,
        then=unique_largest_first,
        order=-1,
    )
    example_seeds: int = spec(6, check_int, 1, 200)
    target_ranks: tuple[int, ...] = spec((1, 2), check_int_list, 1, 4, max_len=4)
    n_values: tuple[int, ...] = spec(tuple(range(1, 17)), check_int_list, 1, 16, max_len=16)
    patterns: int = spec(8, check_int, 1, 200)
    scale: float = spec(1e-8, check_float, 0.0, 0.1, low_open=True)
    compare_scale: float = spec(1e-16, check_float, 0.0, 0.1, low_open=True)
    staircase_rank: int = spec(3, check_int, 1, 4)
    staircase_observed: int = spec(15, check_int, 7, 16)
    staircase_scales: tuple[float, ...] = spec(
        (1e-2, 1e-4, 1e-6, 1e-8, 1e-10),
        check_float_list,
        0.0,
        high=0.1,
        low_open=True,
        min_len=1,
        max_len=10,
        then=unique_largest_first,
        order=-1,
    )
    t_max: float = spec(1e5, check_float, 100.0, 1e8)
    rtol: float = spec(1e-6, check_float, 0.0, 1e-3, low_open=True)
    checkpoints_per_decade: int = spec(30, check_int, 2, 200)
    rank_rtol: float = spec(1e-4, check_float, 0.0, 0.1, low_open=True)
    nuclear_iters: int = spec(3000, check_int, 100, 100_000)
    seed: int = spec(0, check_int, 0)

    def flow_params(self) -> dict[str, Any]:
        drop = ("rank_rtol", "nuclear_iters")
        return {k: v for k, v in self.params().items() if k not in drop}

    def grid_scales(self) -> tuple[float, ...]:
        """The 4 × 4 grid runs at ``scale`` and, unless equal, at ``compare_scale`` (same directions Â, B̂)."""
        return (self.scale,) if self.compare_scale == self.scale else (self.scale, self.compare_scale)


# ---------------------------------------------------------------------------------------------- the trials


def _pad(x: torch.Tensor, d: int = 4) -> torch.Tensor:
    """Embed ``(T, a, b)`` in the top-left corner of zeros ``(T, d, d)``."""
    out = torch.zeros(x.shape[0], d, d, dtype=torch.float64)
    out[:, : x.shape[1], : x.shape[2]] = x
    return out


def staircase_pattern(cfg: Config) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The staircase's target (rank ``staircase_rank``) and the first connected random pattern with
    ``staircase_observed`` entries (pattern seeds 5·10⁶ + seed + j, j = 0, 1, ...)."""
    M = random_low_rank(7_000 + cfg.seed, 4, cfg.staircase_rank)
    for j in range(1000):
        m = random_pattern(5 * 10**6 + cfg.seed + j, 4, cfg.staircase_observed)
        if observation_components(m.numpy())[0] == 1:
            return M, m, j
    raise RuntimeError("no connected pattern found")  # pragma: no cover (16 >= 7 entries: found quickly)


def build_trials(cfg: Config) -> dict[str, np.ndarray]:
    """Every trial of the chapter as one padded 4 × 4 batch: group 0 connected 2 × 2, 1 disconnected 2 × 2,
    2 the 4 × 4 grid at ``scale``, 3 the staircase, 4 the grid again at ``compare_scale``. Returns M, mask, A0, B0 and per-trial labels."""
    Ms, masks, A0s, B0s = [], [], [], []
    lab: dict[str, list] = {k: [] for k in ("group", "scale", "seed", "rank", "n", "pattern")}

    def add(group, M, mask, A0, B0, scale, seeds, rank=0, n=0, pattern=0):
        T = A0.shape[0]
        Ms.append(M.expand(T, 4, 4) if M.dim() == 2 else M)
        masks.append(mask.expand(T, 4, 4) if mask.dim() == 2 else mask)
        A0s.append(A0), B0s.append(B0)
        for k, v in (("group", group), ("scale", scale), ("rank", rank), ("n", n), ("pattern", pattern)):
            lab[k] += [v] * T
        lab["seed"] += list(seeds)

    seeds = [cfg.seed + i for i in range(cfg.example_seeds)]
    for g, (M, mask) in enumerate(((CONNECTED_M, CONNECTED_MASK), (DISCONNECTED_M, DISCONNECTED_MASK))):
        for s in cfg.example_scales:
            A0, B0 = initial_factors(seeds, 2, 2, s)
            add(
                g,
                _pad(torch.tensor(M)[None])[0],
                _pad(torch.tensor(mask)[None])[0],
                _pad(A0),
                _pad(B0),
                s,
                seeds,
            )
    for gs, scale in zip((2, 4), cfg.grid_scales()):
        k = 0
        for r in cfg.target_ranks:
            for n in cfg.n_values:
                for p in range(cfg.patterns):
                    sd = [10**5 + cfg.seed + k]
                    A0, B0 = initial_factors(sd, 4, 4, scale)
                    add(
                        gs,
                        random_low_rank(2000 * r + p + cfg.seed, 4, r),
                        random_pattern(3 * 10**6 + 10**4 * r + 100 * n + p + cfg.seed, 4, n),
                        A0,
                        B0,
                        scale,
                        sd,
                        r,
                        n,
                        p,
                    )
                    k += 1
    M, m, _ = staircase_pattern(cfg)
    for s in cfg.staircase_scales:
        sd = [9 * 10**5 + cfg.seed]
        A0, B0 = initial_factors(sd, 4, 4, s)
        add(3, M, m, A0, B0, s, sd, cfg.staircase_rank, cfg.staircase_observed)
    out = {
        "M": torch.cat([x.reshape(-1, 4, 4) for x in Ms]).numpy(),
        "mask": torch.cat([x.reshape(-1, 4, 4) for x in masks]).numpy(),
        "A0": torch.cat(A0s).numpy(),
        "B0": torch.cat(B0s).numpy(),
    }
    for k2, v in lab.items():
        out[k2] = np.array(v)
    return out


def run_flow(cfg: Config, cache: ResultCache | None = None) -> dict[str, np.ndarray]:
    """All trials in one batched flow (or loaded from the cache, kind ``completion``)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("completion", cfg.flow_params())
    if hit is not None:
        return hit
    tr = build_trials(cfg)
    with single_thread():
        res = gradient_flow(
            torch.from_numpy(tr["M"]),
            torch.from_numpy(tr["mask"]),
            torch.from_numpy(tr["A0"]),
            torch.from_numpy(tr["B0"]),
            t_max=cfg.t_max,
            rtol=cfg.rtol,
            checkpoints_per_decade=cfg.checkpoints_per_decade,
        )
    stair = tr["group"] == 3
    out = {
        **tr,
        "times": res.times,
        "W": res.W[:, -1].numpy(),
        "A": res.A.numpy(),
        "B": res.B.numpy(),
        "final_loss": res.final_loss.numpy(),
        "final_time": res.final_time.numpy(),
        "status": res.status.numpy(),
        "steps": res.steps.numpy(),
        "wall_time": np.array(res.wall_time),
        "stair_sv": torch.linalg.svdvals(res.W[torch.from_numpy(stair)]).numpy(),
        "stair_loss": res.loss[torch.from_numpy(stair)].numpy(),
    }
    cache.save("completion", cfg.flow_params(), out)
    return out


# ---------------------------------------------------------------------------------------------- analysis


def connected_exponent() -> float:
    """Predicted exponent of |? − 6| ∝ s^p for [[1, 2], [3, ?]]: p = 2(1 − σ₂/σ₁) of [[1, 2], [3, 0]]."""
    s = np.linalg.svd(CONNECTED_M * CONNECTED_MASK, compute_uv=False)
    return float(2 * (1 - s[1] / s[0]))


def stage_times(times: np.ndarray, sv: np.ndarray, frac: float = 0.5) -> np.ndarray:
    """First checkpoint time at which σ_k(W(t)) exceeds ``frac`` × its final value, ``(runs, k)``; NaN if the
    final value is below 1e-3 of the largest (a direction that never grew)."""
    final = sv[:, -1, :]
    out = np.full(final.shape, np.nan)
    for i in range(sv.shape[0]):
        for k in range(sv.shape[2]):
            if final[i, k] < 1e-3 * final[i, 0]:
                continue
            hit = np.flatnonzero(sv[i, :, k] > frac * final[i, k])
            out[i, k] = times[hit[0]] if hit.size else np.nan
    return out


def references(cfg: Config, M: np.ndarray, mask: np.ndarray, ranks: np.ndarray) -> dict[str, np.ndarray]:
    """The two reference completions of the 4 × 4 trials ``M, mask: (T, 4, 4)`` (target ranks ``ranks``): the
    minimum nuclear norm (``X_nuc``, its norm ``nuc_min`` and certified lower bound ``nuc_lb``) and the minimum
    rank ``min_rank`` (1 for rank-1 targets; else a Levenberg–Marquardt search below the target's rank). They
    depend on the targets and patterns only, not on the flow."""
    Mg, mg = torch.from_numpy(M), torch.from_numpy(mask)
    X_nuc, nuc_min, nuc_lb = nuclear_norm_completion(Mg, mg, iters=cfg.nuclear_iters)
    min_rank = np.zeros(len(M), dtype=int)
    for r in cfg.target_ranks:
        sel = ranks == r
        if r == 1:
            min_rank[sel] = 1
            continue
        rk, _ = min_rank_completion(Mg[sel], mg[sel], max_rank=r - 1, seed=cfg.seed)
        min_rank[sel] = np.minimum(rk.numpy(), r)  # M itself is a rank-r completion
    return {
        "X_nuc": X_nuc.numpy(),
        "nuc_min": nuc_min.numpy(),
        "nuc_lb": nuc_lb.numpy(),
        "min_rank": min_rank,
    }


def analyse(
    cfg: Config, fl: dict[str, np.ndarray], refs: dict[str, np.ndarray] | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every measured quantity of the page from the flow ``fl`` (and the grid's reference completions ``refs``,
    computed here when not given)."""
    g = fl["group"]
    W, M, mask = fl["W"], fl["M"], fl["mask"]
    # --- 2 x 2 connected
    c = g == 0
    fill = W[c, 1, 1]
    c_scales = fl["scale"][c]
    c_err = np.abs(fill - 6.0)
    err_by_scale = [float(np.median(c_err[c_scales == s])) for s in cfg.example_scales]
    nn_fill, nn_value = connected_2x2_min_nuclear(1.0, 2.0, 3.0)
    # --- 2 x 2 disconnected
    dsel = g == 1
    A0, B0 = torch.from_numpy(fl["A0"][dsel][:, :2, :2]), torch.from_numpy(fl["B0"][dsel][:, :2, :2])
    x12, x21 = disconnected_2x2_limit(A0, B0, 1.0, 4.0)
    lim0 = disconnected_2x2_small_init_limit(A0, B0, 1.0, 4.0).numpy()
    Wd = W[dsel][:, :2, :2]
    d_dev = np.maximum(np.abs(Wd[:, 0, 1] - x12.numpy()), np.abs(Wd[:, 1, 0] - x21.numpy()))
    d_nuc = np.linalg.svd(Wd, compute_uv=False).sum(-1)
    d_rank = numerical_rank_batch(torch.from_numpy(Wd), cfg.rank_rtol).numpy()
    # --- 4 x 4 grid
    gs = g == 2
    Mg, mg, Wg = (torch.from_numpy(x[gs]) for x in (M, mask, W))
    comps = np.array([observation_components(m)[0] for m in fl["mask"][gs]])
    forest = np.array([is_forest(m) for m in fl["mask"][gs]])
    bip = np.array([components_complete_bipartite(m) for m in fl["mask"][gs]])
    ranks_t = fl["rank"][gs]
    if refs is None:
        refs = references(cfg, fl["M"][gs], fl["mask"][gs], ranks_t)
    X_nuc, nuc_min, nuc_lb = (torch.from_numpy(refs[k]) for k in ("X_nuc", "nuc_min", "nuc_lb"))
    min_rank = refs["min_rank"]
    nuc_W = torch.linalg.matrix_norm(Wg, ord="nuc").numpy()
    rank_W = numerical_rank_batch(Wg, cfg.rank_rtol).numpy()
    fit_res = (torch.linalg.matrix_norm(mg * (Wg - Mg)) / torch.linalg.matrix_norm(mg * Mg)).numpy()
    nuc_gap = (nuc_W - nuc_min.numpy()) / nuc_min.numpy()
    conn = comps == 1
    rel_err = (torch.linalg.matrix_norm(Wg - Mg) / torch.linalg.matrix_norm(Mg)).numpy()
    fitted = fit_res < 1e-4
    # the same trials at compare_scale: the excess singular value sigma_{minrank+1}(W)/sigma_1(W) at both scales
    sv = np.linalg.svd(fl["W"][gs], compute_uv=False)
    excess = sv[np.arange(len(sv)), np.minimum(min_rank, 3)] / sv[:, 0]
    excess = np.where(min_rank >= 4, 0.0, excess)
    g4 = g == 4
    if g4.any():
        sv2 = np.linalg.svd(fl["W"][g4], compute_uv=False)
        excess2 = np.where(min_rank >= 4, 0.0, sv2[np.arange(len(sv2)), np.minimum(min_rank, 3)] / sv2[:, 0])
        rank_W2 = numerical_rank_batch(torch.from_numpy(fl["W"][g4]), cfg.rank_rtol).numpy()
    else:
        excess2, rank_W2 = np.full_like(excess, np.nan), np.full_like(rank_W, -1)
    # --- staircase
    st = g == 3
    times = fl["times"]
    st_t = stage_times(times, fl["stair_sv"])[:, : cfg.staircase_rank]
    st_scales = fl["scale"][st]
    slopes = []
    for k in range(st_t.shape[1]):
        y = st_t[:, k]
        ok = np.isfinite(y)
        slopes.append(
            float(np.polyfit(np.log(1 / st_scales[ok]), y[ok], 1)[0]) if ok.sum() >= 2 else float("nan")
        )
    final_sv = fl["stair_sv"][:, -1, :]
    ordered = [bool(np.all(np.diff(row[np.isfinite(row)]) > 0)) for row in st_t]

    def tight(mask_):
        return float(np.mean(nuc_gap[mask_] < 1e-3)) if mask_.any() else float("nan")

    def minrank(mask_):
        return float(np.mean(rank_W[mask_] == min_rank[mask_])) if mask_.any() else float("nan")

    arrays = {
        "connected_scale": c_scales,
        "connected_fill": fill,
        "connected_error": c_err,
        "disconnected_scale": fl["scale"][dsel],
        "disconnected_W": Wd,
        "disconnected_limit_12": x12.numpy(),
        "disconnected_limit_21": x21.numpy(),
        "disconnected_small_init_limit": lim0,
        "disconnected_deviation": d_dev,
        "disconnected_nuclear": d_nuc,
        "disconnected_rank": d_rank,
        "grid_rank": ranks_t,
        "grid_n": fl["n"][gs],
        "grid_components": comps,
        "grid_connected": conn,
        "grid_forest": forest,
        "grid_complete_bipartite": bip,
        "grid_excess_sv": excess,
        "grid_excess_sv_compare": excess2,
        "grid_rank_W_compare": rank_W2,
        "grid_W": Wg.numpy(),
        "grid_M": Mg.numpy(),
        "grid_mask": mg.numpy(),
        "grid_nuclear_W": nuc_W,
        "grid_nuclear_min": nuc_min.numpy(),
        "grid_nuclear_lower_bound": nuc_lb.numpy(),
        "grid_X_nuclear": X_nuc.numpy(),
        "grid_nuclear_gap": nuc_gap,
        "grid_rank_W": rank_W,
        "grid_min_rank": min_rank,
        "grid_fit_residual": fit_res,
        "grid_rel_error": rel_err,
        "stair_scales": st_scales,
        "times": times,
        "stair_sv": fl["stair_sv"],
        "stair_loss": fl["stair_loss"],
        "stair_stage_times": st_t,
        "status": fl["status"],
        "steps": fl["steps"],
        "group": g,
    }
    small = cfg.example_scales[-1]
    lbgap = (nuc_min - nuc_lb).numpy() / nuc_min.numpy()
    summary = {
        "figure": "completion",
        "paper": "arXiv:2405.13721",
        "derived_source": DERIVED["source"],
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "derived_values": {k: v for k, v in DERIVED.items() if k != "source"},
        "connected_fill_median_smallest_scale": float(np.median(fill[c_scales == small])),
        "connected_error_by_scale": err_by_scale,
        "connected_error_slope": loglog_fit(
            np.array(cfg.example_scales)[np.array(err_by_scale) < 0.05],
            np.array(err_by_scale)[np.array(err_by_scale) < 0.05],
        )[0],
        "connected_slope_fit_rule": "median |?-6| per scale, scales where it is below 0.05 (asymptotic regime)",
        "connected_error_slope_predicted": connected_exponent(),
        "connected_min_nuclear_fill": nn_fill,
        "connected_min_nuclear_norm": nn_value,
        # at the smallest initialization scale only (the limit s -> 0 is where the rank-1 fill 6, norm sqrt(50), holds)
        "connected_learned_nuclear_norm_smallest_scale": float(
            np.median(np.linalg.svd(W[c][c_scales == small][:, :2, :2], compute_uv=False).sum(-1))
        ),
        "connected_rank1_nuclear_norm": float(np.sqrt(50.0)),
        "disconnected_max_deviation_from_exact_limit": float(d_dev.max()),
        "disconnected_max_asymmetry": float(np.abs(Wd[:, 0, 1] - Wd[:, 1, 0]).max()),
        "disconnected_max_asymmetry_smallest_scale": float(
            np.abs(Wd[fl["scale"][dsel] == small][:, 0, 1] - Wd[fl["scale"][dsel] == small][:, 1, 0]).max()
        ),
        "disconnected_nuclear_norm_range": [float(d_nuc.min()), float(d_nuc.max())],
        "disconnected_fills_smallest_scale": [float(v) for v in Wd[fl["scale"][dsel] == small][:, 0, 1]],
        "disconnected_rank2_fraction": float(np.mean(d_rank == 2)),
        "grid_patterns": int(gs.sum()),
        "grid_connected": int(conn.sum()),
        "grid_fitted_fraction": float(fitted.mean()),
        "grid_connected_min_rank_fraction": minrank(conn & fitted),
        "grid_disconnected_min_rank_fraction": minrank(~conn & fitted),
        "grid_connected_min_nuclear_fraction": tight(conn & fitted),
        "grid_disconnected_min_nuclear_fraction": tight(~conn & fitted),
        "grid_disconnected_bipartite": int((~conn & bip).sum()),
        "grid_disconnected_bipartite_min_nuclear_fraction": tight(~conn & bip & fitted),
        "grid_disconnected_other_min_nuclear_fraction": tight(~conn & ~bip & fitted),
        "grid_connected_min_rank_fraction_compare": (
            float(np.mean(rank_W2[conn & fitted] == min_rank[conn & fitted]))
            if g4.any() and (conn & fitted).any()
            else float("nan")
        ),
        "grid_connected_not_min_rank": int((conn & fitted & (rank_W != min_rank)).sum()),
        "grid_connected_not_min_rank_excess_shrink_fraction": (
            float(
                np.mean(
                    excess2[conn & fitted & (rank_W != min_rank)]
                    < excess[conn & fitted & (rank_W != min_rank)]
                )
            )
            if g4.any() and (conn & fitted & (rank_W != min_rank)).any()
            else float("nan")
        ),
        "grid_nuclear_certificate_max_rel_gap": float(np.max(lbgap)),
        "grid_rank1_min_rank_matches_forest_rule": bool(
            np.all((min_rank[ranks_t == 2] == 1) == forest[ranks_t == 2])
        ),
        "stair_scales": [float(v) for v in st_scales],
        "stair_stage_times": [[None if not np.isfinite(v) else float(v) for v in row] for row in st_t],
        "stair_stage_time_per_log_inv_scale": slopes,
        "stair_stages_ordered": ordered,
        "stair_final_singular_values": [[float(v) for v in row] for row in final_sv],
        "status_counts": {int(k): int(v) for k, v in zip(*np.unique(fl["status"], return_counts=True))},
        "compute_s": float(fl["wall_time"]),
    }
    summary["headline"] = [
        f"[[1,2],[3,?]]: learned ? = {summary['connected_fill_median_smallest_scale']:.6f} at s={small:g} "
        f"(derived/min rank 6; min nuclear norm fill {nn_fill:.3f}); |?-6| ~ s^{summary['connected_error_slope']:.2f} "
        f"(predicted {summary['connected_error_slope_predicted']:.2f})",
        f"[[1,?],[?,4]]: nuclear norm {d_nuc.min():.6f}..{d_nuc.max():.6f} (derived 5), symmetric to "
        f"{summary['disconnected_max_asymmetry']:.1e}, rank 2 in {summary['disconnected_rank2_fraction']:.0%}",
        f"4x4 (s={cfg.scale:g}): connected patterns reach min rank in {summary['grid_connected_min_rank_fraction']:.0%}"
        f" (s={cfg.compare_scale:g}: {summary['grid_connected_min_rank_fraction_compare']:.0%}), min nuclear "
        f"norm in {summary['grid_connected_min_nuclear_fraction']:.0%}; disconnected: min rank "
        f"{summary['grid_disconnected_min_rank_fraction']:.0%}, min nuclear norm "
        f"{summary['grid_disconnected_min_nuclear_fraction']:.0%} (complete bipartite components: "
        f"{summary['grid_disconnected_bipartite_min_nuclear_fraction']:.0%}, other: "
        f"{summary['grid_disconnected_other_min_nuclear_fraction']:.0%})",
        f"staircase: stage times per log(1/s) {', '.join(f'{v:.3f}' for v in slopes)}",
    ]
    return summary, arrays


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load) the batched flow and analyse it."""
    t0 = time.perf_counter()
    fl = run_flow(cfg)
    summary, arrays = analyse(cfg, fl)
    summary["runtime_s"] = time.perf_counter() - t0
    summary["glue"] = glue_values(cfg, summary)
    summary["tables"] = {"stair": stair_table(summary)}
    return summary, arrays


# every fraction the prose states in percent (NaN where no pattern of the kind was drawn)
_GRID_PERCENT = (
    "grid_connected_min_rank_fraction",
    "grid_connected_min_rank_fraction_compare",
    "grid_connected_min_nuclear_fraction",
    "grid_disconnected_min_rank_fraction",
    "grid_disconnected_min_nuclear_fraction",
    "grid_disconnected_bipartite_min_nuclear_fraction",
    "grid_disconnected_other_min_nuclear_fraction",
    "grid_connected_not_min_rank_excess_shrink_fraction",
    "grid_fitted_fraction",
)


def glue_values(cfg: Config, summary: dict[str, Any]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (plain int, float, str): the 2 × 2 examples at the
    smallest scale against the derived limits, the 4 × 4 fractions (in %), the staircase, settings and compute."""
    S = summary
    small = float(cfg.example_scales[-1])
    fill = S["connected_fill_median_smallest_scale"]
    slopes = S["stair_stage_time_per_log_inv_scale"]
    ordered = S["stair_stages_ordered"]
    out: dict[str, Any] = {
        "small": small,
        "fill": float(fill),
        "fill_err": float(abs(fill - 6)),
        "nn_fill": float(S["connected_min_nuclear_fill"]),
        "nn_val": float(S["connected_min_nuclear_norm"]),
        "learned_nuc": float(S["connected_learned_nuclear_norm_smallest_scale"]),
        "learned_nuc_err": float(
            abs(S["connected_learned_nuclear_norm_smallest_scale"] - S["connected_rank1_nuclear_norm"])
        ),
        "rank1_nuc": float(S["connected_rank1_nuclear_norm"]),
        "slope": float(S["connected_error_slope"]),
        "slope_pred": float(S["connected_error_slope_predicted"]),
        "d_nuc_lo": float(S["disconnected_nuclear_norm_range"][0]),
        "d_nuc_hi": float(S["disconnected_nuclear_norm_range"][1]),
        "d_dev": float(S["disconnected_max_deviation_from_exact_limit"]),
        "d_rank2": 100 * float(S["disconnected_rank2_fraction"]),
        "d_fills": ", ".join(f"{v:.3f}" for v in S["disconnected_fills_smallest_scale"]),
        "d_asym_small": float(S["disconnected_max_asymmetry_smallest_scale"]),
    }
    for k in (
        "grid_patterns",
        "grid_connected",
        "grid_disconnected_bipartite",
        "grid_connected_not_min_rank",
    ):
        out[k] = int(S[k])
    for k in _GRID_PERCENT:
        out[k] = 100 * float(S[k]) if np.isfinite(S[k]) else float("nan")
    out |= {
        "cert": float(S["grid_nuclear_certificate_max_rel_gap"]),
        "scale": float(cfg.scale),
        "compare_scale": float(cfg.compare_scale),
        "rank_rtol": float(cfg.rank_rtol),
        "t_max": float(cfg.t_max),
        "compute_s": float(S["compute_s"]),
        "n_horizon": int(S["status_counts"].get(2, S["status_counts"].get("2", 0))),
        "stair_slopes": ", ".join(f"{v:.2f}" for v in slopes),
        "stair_ordered": "every scale" if all(ordered) else f"{sum(ordered)} of {len(ordered)} scales",
        "stair_rank": int(cfg.staircase_rank),
        "stair_obs": int(cfg.staircase_observed),
    }
    return out


def stair_table(summary: dict[str, Any]) -> dict[str, list]:
    """One row per initialization scale: the time at which stage k of the staircase starts (– if never)."""
    st = np.array([[np.nan if v is None else v for v in row] for row in summary["stair_stage_times"]])
    headers = ["$s$"] + [f"stage {k + 1}" for k in range(st.shape[1])]
    rows = [
        [f"{s:.0e}"] + ["–" if not np.isfinite(v) else f"{v:.1f}" for v in row]
        for s, row in zip(summary["stair_scales"], st)
    ]
    return {"headers": headers, "rows": rows}


# ---------------------------------------------------------------------------------------------- figures
