"""Figure 3 of arXiv:2405.13787: which of Q¹/Q² gradient flow reaches, per seed, against |C₁/C₂|.

:func:`summarize` adds to the experiment's summary (``result.json``) what the page states: the comparison of the
seeds with the gradient-flow boundary measured on the boundary page (its summary is passed in, this page never
runs its science) and with the runs at the slider's other scales, and ``summary["glue"]``, every number of the
page's prose."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.runs import RunConfig

# The numerical modules (torch) load when a run starts, not with the page: checking its parameters
# (``recovery run fig3 --seeds 0``, ``recovery params fig3``) needs only :class:`RunConfig`.

__all__ = ["PAPER_FIG3", "Config", "glue_values", "run", "summarize"]  # noqa: F822 (PAPER_FIG3: __getattr__)


def __getattr__(name: str) -> Any:
    if name == "PAPER_FIG3":  # the paper's numbers, defined with the experiment
        from ..experiments.convergence_sets import PAPER_FIG3

        return PAPER_FIG3
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DESCRIPTION = "Figure 3: Q1/Q2 convergence against |C1/C2| (n=6 evenly spaced, s=1e-8, 400 seeds)"

Config = RunConfig
PAPER_SIZE: dict[str, Any] = {"seeds": 400, "init_scale": 1e-8, "n_samples": 6, "t_max": 1e7}
QUICK_SIZE: dict[str, Any] = {"seeds": 40, "t_max": 1e4}


def summarize(
    cfg: RunConfig,
    arrays: dict[str, np.ndarray],
    by_scale: dict[float, dict[str, np.ndarray]] | None = None,
    boundary_summary: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The experiment's summary of a Figure 3 run, plus (when given) ``"limit"``: the gradient-flow boundary of the
    boundary page (``boundary_summary``, its ``result.json``) next to these seeds, and ``"scales"``: the reached set at
    the largest and the smallest of the scales in ``by_scale`` (scale -> arrays of the same seeds), then
    ``"glue"`` (:func:`glue_values`)."""
    from ..core.theory import Q1
    from ..experiments.convergence_sets import fig3_summary

    summary = fig3_summary(cfg, arrays)
    if boundary_summary is not None:
        summary["limit"] = _limit_section(cfg, arrays, boundary_summary)
    if by_scale:
        s_big, s_small = max(by_scale), min(by_scale)
        big, small = by_scale[s_big]["label"], by_scale[s_small]["label"]
        summary["scales"] = {
            "largest": float(s_big),
            "smallest": float(s_small),
            "fraction_Q1_at_largest": float((big == Q1).mean()),
            "fraction_Q1_at_smallest": float((small == Q1).mean()),
            "fraction_same_set_at_extremes": float((big == small).mean()),
        }
    summary["glue"] = glue_values(cfg, summary)
    return summary


def _limit_section(cfg: RunConfig, arrays: dict[str, np.ndarray], bsum: dict[str, Any]) -> dict[str, Any]:
    """The boundary page's limit and horizons, the bisection's edges at this page's horizon (margin rule) and, at
    the checkpoint nearest to the horizon where the nearer-branch edge crosses the paper's lower line, the share of
    these seeds that the margin rule leaves unresolved."""
    from ..core.outcomes import thresholds_over_horizon

    times = thresholds_over_horizon(arrays)["times"]
    t_cross = bsum["horizon_matching_paper"]["low"]
    k_cross = (
        int(np.argmin(np.abs(np.log(times[1:] / t_cross)))) + 1 if np.isfinite(t_cross) else len(times) - 1
    )
    bt = np.array(bsum["horizons"])
    k_b = int(np.argmin(np.abs(np.log(bt / cfg.t_max))))
    edge = bsum["edge_vs_horizon"]
    half = bsum["edge_vs_horizon_half_width"]
    return {
        "low": {k: bsum["boundary_low"][k] for k in ("value", "uncertainty")},
        "high": {k: bsum["boundary_high"][k] for k in ("value", "uncertainty")},
        "horizon": float(bsum["boundary_low"]["horizon"]),
        "scale": float(bsum["boundary_low"]["scale"]),
        "horizon_matching_paper": dict(bsum["horizon_matching_paper"]),
        "checkpoint_near_crossing": float(times[k_cross]),
        "fraction_unresolved_near_crossing": float((arrays["label_traj"][:, k_cross] == 0).mean()),
        # the bisection's edge (margin rule) and its bracket half-width at the horizon nearest to this page's
        "edge_here_horizon": float(bt[k_b]),
        "edge_here": {
            side: [float(edge[f"strict_{side}"][k_b]), float(half[f"strict_{side}"][k_b])]
            for side in ("low", "high")
        },
    }


def glue_values(cfg: RunConfig, summary: dict[str, Any]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able, percentages as 0–100): the seeds'
    thresholds and outcome fractions; with ``summary["limit"]`` the gradient-flow limit and the horizons at which
    it matches the paper's lines; with ``summary["scales"]`` the slider's extremes."""
    det = summary["threshold_details"]
    out: dict[str, Any] = {
        "threshold_low": float(summary["threshold_low"]),
        "threshold_high": float(summary["threshold_high"]),
        "q1_min": float(det["q1_min"]),
        "q1_max": float(det["q1_max"]),
        "fraction_Q1": 100 * summary["fraction_Q1"],
        "fraction_Q2": 100 * summary["fraction_Q2"],
        "fraction_neither": 100 * summary["fraction_neither"],
        "fraction_passes": 100 * summary["fraction_passes_threshold"],
        "fraction_exact": 100 * summary["fraction_recovered_exact"],
        "horizon": float(cfg.t_max),
        "n_seeds": int(cfg.seeds),
        "init_scale": float(cfg.init_scale),
        "growth_rate": summary["growth_rate"],
        "runtime": summary["runtime_s"],
    }
    if "limit" in summary:
        lim = summary["limit"]
        for side in ("low", "high"):
            out[f"limit_{side}"] = float(lim[side]["value"])
            out[f"limit_{side}_unc"] = float(lim[side]["uncertainty"])
            out[f"t_paper_{side}"] = float(lim["horizon_matching_paper"][side])
            out[f"edge_here_{side}"] = lim["edge_here"][side][0]
        out.update(
            {
                "limit_t": lim["horizon"],
                "limit_s": lim["scale"],
                "t_cross_ck": lim["checkpoint_near_crossing"],
                "unresolved_at_cross": 100 * lim["fraction_unresolved_near_crossing"],
                "edge_here_t": lim["edge_here_horizon"],
            }
        )
    if "scales" in summary:
        sc = summary["scales"]
        out.update(
            {
                "largest_scale": sc["largest"],
                "smallest_scale": sc["smallest"],
                "q1_at_largest": 100 * sc["fraction_Q1_at_largest"],
                "q1_at_smallest": 100 * sc["fraction_Q1_at_smallest"],
                "agree_extremes": 100 * sc["fraction_same_set_at_extremes"],
            }
        )
    return out


def run(
    cfg: RunConfig, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) Figure 3 and summarize it (``result.json``; the page adds the boundary and the
    other scales, :func:`summarize`)."""
    from ..sweeps import run_one

    arrays = run_one(cfg, progress=progress, scheduler=scheduler, device=device)
    return summarize(cfg, arrays), arrays
