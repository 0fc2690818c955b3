"""Figure 5 of arXiv:2405.13787 (the page): the width-1000 network with prescribed C ratios. The experiment is
:mod:`recovery.experiments.wide_network` (Figure 8 reuses its runs); this module adds the page's glued numbers and
its trial table (``summary["glue"]``, ``summary["tables"]``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..experiments import wide_network
from ..experiments.wide_network import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    RATIO_READING_TEXT,
    RATIO_READINGS,
    TRAJ_STRIDE,
    Config,
    ratio_check,
)


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """:func:`recovery.experiments.wide_network.run` plus the page's glued numbers and its trial table."""
    summary, arrays = wide_network.run(cfg, progress=progress, scheduler=scheduler, device=device)
    summary["glue"] = glue_values(cfg, summary)
    summary["tables"] = {"trial_table": trial_table(cfg, arrays)}
    return summary, arrays


def trial_table(cfg: Config, arrays: dict[str, np.ndarray]) -> dict[str, list]:
    """One row per run (Figure 5's trials, the smallest-scale one the reference, then the larger-scale run): seed,
    scale, ‖θ₀‖, Theorem-1 lag, gaps, active neurons (1-based, the first 8), final loss, generalization error."""
    headers = [
        "trial",
        "seed",
        "scale $s$",
        "$\\lVert\\theta_0\\rVert$",
        "lag",
        "unaligned gap",
        "aligned gap",
        "active neurons",
        "final loss",
        "generalization error",
    ]
    R = len(cfg.scales)
    rows = []
    for i in range(len(arrays["scales"])):
        ref, large = i == R - 1, i >= R
        act = np.flatnonzero(arrays["active"][i]) + 1
        rows.append(
            [
                f"{i + 1}" + (" (reference)" if ref else "") + (" (larger scale)" if large else ""),
                f"{int(arrays['seeds'][i])}",
                f"{arrays['scales'][i]:.0e}",
                f"{arrays['theta0_norm'][i]:.1e}",
                f"{arrays['lag'][i]:.3f}",
                "–" if ref else f"{arrays['unaligned_gap'][i]:.2f}",
                "–" if ref else f"{arrays['aligned_gap'][i]:.1e}",
                f"{act.size}: " + ", ".join(str(k) for k in act[:8]) + ("…" if act.size > 8 else ""),
                f"{arrays['final_loss'][i]:.1e}",
                f"{arrays['gen_error'][i]:.2e}",
            ]
        )
    return {"headers": headers, "rows": rows}


def glue_values(cfg: Config, summary: dict[str, Any]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able): the gaps, the active neurons, the
    condensation on the plateau, the reading of the caption's ratio formula that the page shows, the tolerance
    check and the larger-scale run as sentences."""
    ge = summary["gen_error"]
    n_lo, n_hi = min(summary["n_active"]), max(summary["n_active"])
    ratios = cfg.ratios()
    theta0 = np.array(summary["theta0_norm"])
    chk = summary.get("check_abs_change_of_gap")
    if chk is not None:
        check_text = (
            f"Rerunning the two smallest-scale trials at rtol {cfg.check_rtol:.0e} instead of {cfg.rtol:.0e} "
            f"changes their aligned gap by {chk:.1e} decades and the generalization errors by at most "
            f"{100 * summary['check_rel_change_gen_error']:.2f} %, so the floor is not the integrator's"
        )
    else:
        check_text = (
            "The tolerance check is off at book size (it doubles the compute; the parameter check_rtol = 5e-7 "
            "or make reproduce reruns the two smallest-scale trials at a tighter tolerance)"
        )
    lr = summary.get("large_scale_run")
    if lr:
        large_text = (
            f"seed {lr['seed']} at s = {lr['scale']:.0e} (‖θ₀‖ = {lr['theta0_norm']:.1e}): its aligned gap is "
            f"{lr['aligned_gap']:.1f} decades, it ends with {lr['n_active']} active neuron(s) "
            f"({', '.join(str(k) for k in lr['active_neurons'][:5])}; the neuron largest at initialization, "
            f"inflated by the rescaling, is neuron {lr['largest_initial_neuron']}) and generalization error "
            f"{lr['gen_error']:.1e}"
        )
    else:
        large_text = "no larger-scale run (large_scale = 0)"
    return {
        "max_aligned_gap": summary["max_aligned_gap"],
        "min_unaligned_gap": summary["min_unaligned_gap"],
        "n_active_text": f"{n_lo}" if n_lo == n_hi else f"{n_lo} – {n_hi}",
        "n_active_max": n_hi,
        "gap1_t": summary["gap_at_time"][0],
        "n_active_1pct": max(summary["n_active_1pct"]),
        "participation": float(np.mean(summary["participation_ratio"])),
        "active_list": ", ".join(str(k) for k in summary["active_neurons"][-1]),
        "same_set": "the same neurons"
        if all(summary["same_active_set_as_reference"])
        else "not the same neurons",
        "spread_plateau": summary["angular_spread_plateau_deg"],
        "spread_active": summary["angular_spread_active_end_deg"],
        "plateau_time": summary["plateau_time"],
        "plateau_loss": summary["plateau_loss"],
        "gen_min": float(min(ge)),
        "gen_max": float(max(ge)),
        "final_loss_max": max(summary["final_loss"]),
        "horizon": cfg.t_max,
        "t_second": summary["t_loss_below_1e-2"],
        "t_settled": summary["t_active_settled"],
        "width": cfg.width,
        "ratio_reading": cfg.ratio_reading,
        "ratio_reading_text": summary["ratio_reading_text"],
        "ratio_2": float(ratios[0]),
        "ratio_last": float(ratios[-1]),
        "neighbour_pct": 100 * float(np.max(np.diff(ratios) / ratios[1:])),  # i >= 2
        "frac_pct": 100 * cfg.active_fraction,
        "growth_rate": summary["growth_rate"],
        "compute_s": summary["compute_s"],
        "rtol": cfg.rtol,
        "cpd": cfg.checkpoints_per_decade,
        "loss_floor": cfg.loss_floor,
        "scales_text": ", ".join(f"{s:.0e}" for s in cfg.scales),
        "seeds_text": ", ".join(str(int(s)) for s in summary["seeds"]),
        "theta0_max": float(theta0.max()),
        "theta0_over_s": float(np.max(theta0 / np.array(cfg.scales))),
        "check_text": check_text,
        "large_text": large_text,
    }
