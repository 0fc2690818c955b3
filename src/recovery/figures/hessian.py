"""The Hessian page (the theory, computed): zero eigenvalues against the dimension of the minimum set (Morse–Bott) and measured rates. The experiment is :mod:`recovery.experiments.minimum_set` (Table 1 reuses it); this module adds the page's glued numbers and tables (``summary["glue"]``, ``summary["tables"]``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import minima
from ..core.theory import NEITHER, Q1, Q2
from ..experiments import minimum_set
from ..experiments.minimum_set import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    Config,
    branch_table,
    geometry,
    rates,
)

NAMES = {"Q1": "$Q^1$", "Q2": "$Q^2$", "Q1∩Q2": "$Q^1\\cap Q^2$", "Q2, w=0": "$Q^2$, $w=0$"}


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """:func:`recovery.experiments.minimum_set.run` plus the page's glued numbers and tables."""
    summary, arrays = minimum_set.run(cfg, progress=progress, scheduler=scheduler, device=device)
    summary["glue"] = glue_values(cfg, summary, arrays)
    summary["tables"] = tables(cfg, summary, arrays)
    return summary, arrays


def _rate_runs(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Masks over the rate runs: labels, fitted Q² rates, fitted Q¹ exponents, slow Q² runs (unfitted or off
    2λ_min by 5 % or more)."""
    lab, ratio = arrays["rate_label"], arrays["rate_q2_ratio"]
    fitted = np.isfinite(ratio)
    return {
        "lab": lab,
        "fitted": fitted,
        "q1_ok": np.isfinite(arrays["rate_q1_loss_exponent"]),
        "slow_q2": (lab == Q2) & (~fitted | (np.abs(ratio - 1) >= 0.05)),
    }


def glue_values(cfg: Config, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able)."""
    m = _rate_runs(arrays)
    lab, fitted, q1_ok, slow_q2 = m["lab"], m["fitted"], m["q1_ok"], m["slow_q2"]
    ratio = arrays["rate_q2_ratio"]
    le = arrays["rate_q1_loss_exponent"]
    out5 = fitted & (np.abs(ratio - 1) >= 0.05)
    far = q1_ok & (le > -1.8)
    logr = np.abs(np.log(arrays["rate_ratio_C"]))
    sym = far & (logr < 0.05)
    nan = float("nan")
    return {
        "n_q1": int((lab == Q1).sum()),
        "n_q2": int((lab == Q2).sum()),
        "n_neither": int((lab == NEITHER).sum()),
        "neither_crossing": float(np.max(arrays["rate_distance_to_crossing"][lab == NEITHER]))
        if (lab == NEITHER).any()
        else nan,
        "n_seeds": cfg.rate_seeds,
        "q2_fitted": int(fitted.sum()),
        "q2_ratio_median": summary["q2_rate_over_2lambda_median"],
        "q2_within5": 100 * summary["q2_fraction_within_5pct"],
        "q2_rate_min": float(np.nanmin(arrays["rate_q2_rate"])) if fitted.any() else nan,
        "q2_rate_max": float(np.nanmax(arrays["rate_q2_rate"])) if fitted.any() else nan,
        "q2_outliers": int(out5.sum()),
        "q2_unfitted": int(((lab == Q2) & ~fitted).sum()),
        "q1_le_median": summary["q1_loss_exponent_median"],
        "q1_de_median": summary["q1_distance_exponent_median"],
        "q1_le_q25": float(np.percentile(le[q1_ok], 25)) if q1_ok.any() else nan,
        "q1_le_q75": float(np.percentile(le[q1_ok], 75)) if q1_ok.any() else nan,
        "q1_le_max": float(np.max(le[q1_ok])) if q1_ok.any() else nan,
        "q1_far": int(far.sum()),
        "q1_far_sym": int(sym.sum()),
        "q1_far_sym_dev": float(logr[sym].max()) if sym.any() else nan,
        "q1_far_edge": int((far & ~sym).sum()),
        "q1_far_edge_ratios": ", ".join(f"{x:.3f}" for x in arrays["rate_ratio_C"][far & ~sym]) or "none",
        "q2_slow": int(slow_q2.sum()),
        "q2_slow_w": float(arrays["rate_q2_dead_w_norm"][slow_q2].max()) if slow_q2.any() else nan,
        "q2_slow_ratios": ", ".join(f"{x:.3g}" for x in arrays["rate_ratio_C"][slow_q2]) or "none",
        "q2_window": f"[{cfg.q2_loss_window[0]:.0e}, {cfg.q2_loss_window[1]:.0e}]",
        "q1_window": f"[{cfg.q1_time_window[0]:.0e}, {cfg.q1_time_window[1]:.0e}]",
        "rate_n": cfg.rate_n,
        "rate_scale": cfg.rate_scale,
        "rate_t_max": cfg.rate_t_max,
        "rate_rtol": cfg.rate_rtol,
        "compute_s": summary["compute_s"],
        "geometry_s": summary["geometry_s"],
        "identity": "holds at every sampled point"
        if summary["zero_count_equals_P_minus_training_rank"]
        else "FAILS",
        "unconverged_q1q2": int(arrays["geo_unconverged"][..., arrays["geo_branch"] == "Q1∩Q2"].sum()),
        "zero_rtol": cfg.zero_rtol,
        "points_per_branch": cfg.points_per_branch,
        "table_design": cfg.designs[0],
        "first_design": cfg.designs[0],
        "second_design": cfg.designs[1] if len(cfg.designs) > 1 else "–",
        **_q1_counts(cfg, arrays),
    }


def _q1_counts(cfg: Config, arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """The measured counts the prose states for Q¹ (all designs and sampled points, "/" where they differ): zero
    eigenvalues from n = 4 on, the local dimension of the minimum set at n = 4 and from n = 5 on; and whether the
    designs give the same counts at every n."""
    q1 = arrays["geo_branch"] == "Q1"
    ns = np.array(cfg.n_values)

    def sets(key: str, sel: np.ndarray) -> str:
        vals = sorted({int(v) for v in arrays[key][:, sel][..., q1].ravel()})
        return "/".join(map(str, vals)) or "not run"

    same = all(
        np.array_equal(arrays[k][0], arrays[k][g])
        for k in ("geo_zero", "geo_dim")
        for g in range(len(cfg.designs))
    )
    return {
        "q1_zero_from4": sets("geo_zero", ns >= 4),
        "q1_dim_n4": sets("geo_dim", ns == 4),
        "q1_dim_from5": sets("geo_dim", ns >= 5),
        "designs_same_counts": "give the same counts" if same else "do not give the same counts",
    }


def _branch_rows(cfg: Config, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, list]:
    """The branch table at n = rate_n (first design), with the measured convergence of the rate runs."""
    m = _rate_runs(arrays)
    lab, fitted, q1_ok, slow_q2 = m["lab"], m["fitted"], m["q1_ok"], m["slow_q2"]
    rate_text = {
        "Q1": f"sublinear: loss ∝ t^{summary['q1_loss_exponent_median']:.2f}, distance ∝ "
        f"t^{summary['q1_distance_exponent_median']:.2f} (median of {int(q1_ok.sum())} runs)",
        "Q2": f"exponential: rate = {summary['q2_rate_over_2lambda_median']:.3f} × 2λ_min (median of "
        f"{int(fitted.sum())} runs)",
        "Q1∩Q2": (
            f"{int((lab == NEITHER).sum())} run(s) unresolved at the horizon, "
            f"{float(np.max(arrays['rate_distance_to_crossing'][lab == NEITHER])):.2f} or closer to this point: "
            "slow"
        )
        if (lab == NEITHER).any()
        else "no run ends near it at this horizon",
        "Q2, w=0": (
            f"{int(slow_q2.sum())} $Q^2$ run(s) end with ‖w‖ ≤ "
            f"{float(arrays['rate_q2_dead_w_norm'][slow_q2].max()):.1e}: slow, not in the exponential regime "
            "by the horizon"
        )
        if slow_q2.any()
        else "no run ends near it",
    }
    headers = [
        "branch",
        "model rank (generic inputs)",
        "rank of $J$ (training)",
        "zero eigenvalues",
        "dimension of the branch",
        "local dimension of the minimum set",
        "Morse–Bott",
        "measured convergence",
    ]
    j = lambda v: "/".join(str(x) for x in v)  # noqa: E731
    rows = [
        [
            NAMES[r["branch"]],
            j(r["model_rank"]),
            j(r["training_jacobian_rank"]),
            j(r["zero_eigenvalues"]),
            f"{r['branch_dimension']}",
            j(r["minimum_set_dimension"]),
            "yes" if r["morse_bott_all"] else "no",
            rate_text[r["branch"]],
        ]
        for r in branch_table(cfg, arrays, cfg.designs[0], cfg.rate_n)
    ]
    return {"headers": headers, "rows": rows}


def _grid(cfg: Config, arrays: dict[str, np.ndarray], gi: int) -> dict[str, list]:
    """Morse–Bott over n for design ``gi``: zero eigenvalues vs local dimension of the minimum set per branch."""
    br = arrays["geo_branch"]
    present = [b for b in minima.BRANCHES if (br == b).any()]
    rows = []
    for ni, n in enumerate(cfg.n_values):
        cells = [f"{n}"]
        for b in present:
            sel = br == b
            z = sorted({int(x) for x in arrays["geo_zero"][gi, ni, sel]})
            d = sorted({int(x) for x in arrays["geo_dim"][gi, ni, sel]})
            s_ = sorted({int(x) for x in arrays["geo_span"][gi, ni, sel]})
            mb = arrays["geo_morse_bott"][gi, ni, sel]
            tag = "**MB**" if mb.all() else ("not MB" if not mb.any() else "mixed")
            span = f" (span {'/'.join(map(str, s_))})" if s_ != d else ""
            cells.append(f"{'/'.join(map(str, z))} vs {'/'.join(map(str, d))}{span}: {tag}")
        rows.append(cells)
    return {"headers": ["$n$"] + [NAMES[b] for b in present], "rows": rows}


def tables(cfg: Config, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, dict[str, list]]:
    """The page's tables (headers and rows): the branch table and the Morse–Bott grid of every design, also as
    ``grid_even_or_first`` and ``grid_second`` (absent when only one design was run)."""
    out = {"branch_table": _branch_rows(cfg, summary, arrays)}
    for gi, design in enumerate(cfg.designs):
        out[f"grid_{design}"] = _grid(cfg, arrays, gi)
    out["grid_even_or_first"] = _grid(cfg, arrays, 0)
    if len(cfg.designs) > 1:
        out["grid_second"] = _grid(cfg, arrays, 1)
    return out
