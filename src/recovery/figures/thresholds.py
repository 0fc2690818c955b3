"""The sample-size thresholds page (the theory, computed): exact recovery against n from random small initializations. The experiment is :mod:`recovery.experiments.sample_size` (Table 1 cross-checks with it); this module adds the page's glued numbers (``summary["glue"]``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import outcomes
from ..experiments import sample_size
from ..experiments.sample_size import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    Config,
    compute,
)


def summarize(cfg: Config, st: dict[str, np.ndarray]) -> dict[str, Any]:
    """:func:`recovery.experiments.sample_size.summarize` plus the page's glued numbers."""
    summary = sample_size.summarize(cfg, st)
    summary["glue"] = glue_values(cfg, summary, st)
    return summary


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) the threshold measurement and summarize it (``result.json``)."""
    st = compute(cfg, progress=progress, scheduler=scheduler, device=device)
    return summarize(cfg, st), st


def glue_values(cfg: Config, summary: dict[str, Any], st: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able): per default design (even, gaussian)
    and n = 2..7 the outcome fractions (%), counts and Wilson intervals; ``"not run"``, NaN or -1 where a reduced
    run leaves a design or an n out."""
    nan = float("nan")
    opt = outcomes.optimistic_sample_size()
    ranks = summary["branch_model_ranks"]
    out: dict[str, Any] = {
        "opt": opt,
        "rank_Q1": ranks["Q1"],
        "rank_Q2": ranks["Q2"],
        "n_seeds": cfg.seeds,
        "init_scale": cfg.init_scale,
        "horizon": cfg.t_max,
        "threshold": cfg.threshold,
        "strict_threshold": cfg.strict_threshold,
        "min_decay": cfg.min_decay,
        "max_gap": cfg.max_gap,
        "interpolation_loss": cfg.interpolation_loss,
        "min_error": float(np.min(st["gen_error"])),  # the round-off floor reached by the exact recoveries
        "runtime": summary["runtime_s"],
        "call_time": float(st["call_time"]),
        "n_trials": int(st["outcome"].size),
    }
    j3 = cfg.n_values.index(opt) if opt in cfg.n_values else None  # near misses at the optimistic size
    for d in ("even", "gaussian"):
        ran = d in cfg.designs

        def show(v: Any) -> str:
            return "not run" if not ran else ("none" if v is None else str(v))  # noqa: B023

        out[f"sep_{d}"] = show(summary["separation_sample_size"].get(d))
        out[f"sepQ1_{d}"] = show(summary["separation_sample_size_by_branch"].get(d, {}).get("Q1"))
        out[f"sepQ2_{d}"] = show(summary["separation_sample_size_by_branch"].get(d, {}).get("Q2"))
        out[f"sep_pass_{d}"] = show(summary["separation_sample_size_passes_threshold"].get(d))
        zm = summary["zero_measure_at_optimistic_size"].get(d, {"exponent": nan, "stderr": nan, "k": 0})
        out[f"p_{d}"] = zm["exponent"]
        out[f"p_se_{d}"] = zm["stderr"]
        out[f"p_k_{d}"] = zm["k"]
        rows = {r["n"]: r for r in summary["per_n"].get(d, [])}
        near = (
            (st["outcome"][cfg.designs.index(d), j3] == outcomes.Outcome.NEAR_MISS)
            if ran and j3 is not None
            else np.zeros(1, bool)
        )
        ge = st["gen_error"][cfg.designs.index(d), j3] if ran and j3 is not None else np.zeros(1)
        out[f"near_min_{d}"] = float(ge[near].min()) if near.any() else nan
        for n in range(2, 8):
            r = rows.get(n)
            out[f"exact_{d}_n{n}"] = 100 * r["recovered_exact"]["fraction"] if r else nan
            out[f"lo_{d}_n{n}"] = 100 * r["recovered_exact"]["ci95"][0] if r else nan
            out[f"hi_{d}_n{n}"] = 100 * r["recovered_exact"]["ci95"][1] if r else nan
            out[f"q1_{d}_n{n}"] = r["recovered_Q1"]["count"] if r else -1
            out[f"q2_{d}_n{n}"] = r["recovered_Q2"]["count"] if r else -1
            out[f"near_{d}_n{n}"] = r["near_miss"]["count"] if r else -1
            out[f"spur_{d}_n{n}"] = 100 * r["spurious_interpolant"]["fraction"] if r else nan
            out[f"nonint_{d}_n{n}"] = 100 * r["not_interpolating"]["fraction"] if r else nan
            out[f"pass_{d}_n{n}"] = 100 * r["passes_threshold"]["fraction"] if r else nan
    out["n_converging"] = sum(
        r["recovered_exact_still_converging"] for d in cfg.designs for r in summary["per_n"][d]
    )
    return out
