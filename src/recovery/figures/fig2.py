"""Figure 2 of arXiv:2405.13787 (the page): loss curves with C₂/C₁ = 0.5 coincide after the Theorem-1 time shift. The experiment is :mod:`recovery.experiments.c_ratio` (Figure 7 runs it on several data sets); this module adds the page's glued numbers and its trial table (``summary["glue"]``, ``summary["tables"]``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.theory import Q2, SET_NAMES
from ..experiments import c_ratio
from ..experiments.c_ratio import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    Config,
    analyse,
    run_configs,
)


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """:func:`recovery.experiments.c_ratio.run` plus the page's glued numbers and its trial table."""
    summary, arrays = c_ratio.run(cfg, progress=progress, scheduler=scheduler, device=device)
    summary["glue"] = glue_values(cfg, summary, arrays)
    summary["tables"] = {"trial_table": trial_table(cfg, arrays)}
    return summary, arrays


def trial_table(cfg: Config, arrays: dict[str, np.ndarray]) -> dict[str, list]:
    """The trials of the page (the last one is the reference): headers and rows of formatted cells."""
    headers = [
        "trial",
        "seed",
        "scale $s$",
        "$\\lVert C(\\theta_0)\\rVert$",
        "lag",
        "unaligned gap",
        "aligned gap",
        "aligned gap at $t$",
    ]
    rows = []
    for i, s in enumerate(cfg.scales):
        ref = i == len(cfg.scales) - 1
        rows.append(
            [
                f"{i + 1}{' (reference)' if ref else ''}",
                f"{int(arrays['seeds'][i])}",
                f"{s:.0e}",
                f"{np.linalg.norm(arrays['C'][i]):.2e}",
                f"{arrays['lag'][i]:.3f}",
                "–" if ref else f"{arrays['unaligned_gap'][i]:.2f}",
                "–" if ref else f"{arrays['aligned_gap'][i]:.1e}",
                "–" if ref else f"{arrays['t_at_max'][i]:.3g}",
            ]
        )
    return {"headers": headers, "rows": rows}


def glue_values(cfg: Config, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able)."""
    rc = summary["check_rel_change_of_gaps"]
    if rc is None:
        check_text = "the tolerance check was not run (check_rtol = 0)"
    elif np.isfinite(rc):
        check_text = (
            f"rerunning the five trials at rtol {cfg.check_rtol:.0e} instead of {cfg.rtol:.0e} changes the "
            f"gaps above the floor by at most {100 * rc:.2f} %"
        )
    else:
        check_text = "no gap lies above the floor to compare at a tighter tolerance"
    big = np.array(summary["scan_scales"])[np.array(summary["scan_aligned_gap"]) > 0.1]
    return {
        "max_aligned_gap": summary["max_aligned_gap"],
        "min_unaligned_gap": summary["min_unaligned_gap"],
        "ratio_gaps": summary["min_unaligned_gap"] / summary["max_aligned_gap"],
        "floor": summary["numerical_floor"],
        "slope": summary["scan_slope"],
        "prefactor": summary["scan_gap_over_scale"],
        "n_fit": int(arrays["scan_in_fit"].sum()),
        "check_rtol": cfg.check_rtol,
        "rtol": cfg.rtol,
        "check_text": check_text,
        "growth_rate": summary["growth_rate"],
        "horizon": cfg.t_max,
        "ref_scale": cfg.scales[-1],
        "max_gen_error": max(summary["gen_error"]),
        "n_q2": sum(r == SET_NAMES[Q2] for r in summary["reached_set"]),
        "n_trials": len(cfg.scales),
        "cpd": cfg.checkpoints_per_decade,
        "loss_floor": cfg.loss_floor,
        "compute_s": summary["compute_s"],
        "scan_seed": cfg.scan_seed,
        "floor_t": float(arrays["t_at_max"][-2]),
        "scan_big": float(big.min()) if big.size else float("nan"),
        "c_ratio": cfg.c_ratio,
    }
