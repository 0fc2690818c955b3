"""Figure 6 (reconstructed): the Gaussian-data counterpart of Figure 3 of arXiv:2405.13787.

The paper's Figures 6–11 were not available to us; that they repeat Figures 2/3 on Gaussian data is our guess.
This figure repeats Figure 3 (width-2 tanh network, target tanh(x + 1), s = 1e-8, 400 seeds) with n i.i.d.
N(0, 1) inputs, for several data sets (data seeds): for each, which of Q¹/Q² each seed reaches against
|C₁/C₂|, the measured band of ratios that reaches Q¹, and how many seeds recover. All data sets and seeds run
as one batched program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import __version__
from ..cache import code_hash
from ..config import UserConfig, check_float, check_int, spec
from ..experiments.convergence_sets import PAPER_FIG3, fig3_summary
from ..sweeps import RunConfig, run_many

DESCRIPTION = "Figure 6 (reconstructed): Figure 3 with Gaussian inputs, several data sets (s=1e-8, 400 seeds)"

PAPER_SIZE: dict[str, Any] = {}
QUICK_SIZE: dict[str, Any] = {"seeds": 30, "data_seeds": 2, "t_max": 1e4}


@dataclass(frozen=True)
class Config(UserConfig):
    """Parameters of Figure 6 (reconstructed). ``data_seeds`` data sets (seeds 0, 1, …) of ``n_samples``
    N(0, 1) inputs; ``seeds`` initializations θ₀ = s·θ̂ per data set (the same θ̂ for every data set)."""

    seeds: int = spec(400, check_int, 2, 100_000)
    data_seeds: int = spec(5, check_int, 1, 1000)
    init_scale: float = spec(1e-8, check_float, 0.0, 1e3, low_open=True)
    n_samples: int = spec(6, check_int, 1, 10_000)
    t_max: float = spec(1e7, check_float, 0.0, 1e12, low_open=True)
    rtol: float = spec(1e-4, check_float, 0.0, 0.1, low_open=True)

    def run_configs(self) -> list[RunConfig]:
        return [
            RunConfig(
                seeds=self.seeds,
                init_scale=self.init_scale,
                n_samples=self.n_samples,
                design="gaussian",
                data_seed=d,
                t_max=self.t_max,
                rtol=self.rtol,
            )
            for d in range(self.data_seeds)
        ]


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """All data sets and seeds in one batched run; per data set the Figure 3 summary."""
    rcs = cfg.run_configs()
    results = run_many(rcs, progress=progress, scheduler=scheduler, device=device)
    per = [fig3_summary(rc, r) for rc, r in zip(rcs, results)]
    arrays: dict[str, np.ndarray] = {}
    for key in ("ratio", "label", "gen_error", "final_theta", "status", "C"):
        arrays[key] = np.stack([r[key] for r in results])  # (data_seeds, seeds, ...)
    arrays["seeds"] = results[0]["seeds"]
    arrays["train_x"] = np.stack([rc.data_spec().train_inputs().numpy() for rc in rcs])
    rows = []
    for d, s in enumerate(per):
        det = s["threshold_details"]
        rows.append(
            {
                "data_seed": d,
                "train_x": [round(float(v), 4) for v in arrays["train_x"][d]],
                "threshold_low": s["threshold_low"],
                "threshold_high": s["threshold_high"],
                "band_is_interval": det["band_is_interval"],
                "fraction_Q1": s["fraction_Q1"],
                "fraction_Q2": s["fraction_Q2"],
                "fraction_neither": s["fraction_neither"],
                "fraction_recovered": s["fraction_passes_threshold"],  # error < 1e-8 (the experiment's name)
                "growth_rate": s["growth_rate"],
                "status_counts": s["status_counts"],
            }
        )
    ok = [r for r in rows if np.isfinite(r["threshold_low"]) and np.isfinite(r["threshold_high"])]
    summary = {
        "figure": "fig6",
        "paper": "arXiv:2405.13787, Figure 6 (reconstructed: the Gaussian-data counterpart of Figure 3)",
        "reconstructed": True,
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "per_data_seed": rows,
        "paper_threshold_low_even": PAPER_FIG3["threshold_low"],
        "paper_threshold_high_even": PAPER_FIG3["threshold_high"],
        "threshold_low_range": [min(r["threshold_low"] for r in ok), max(r["threshold_low"] for r in ok)]
        if ok
        else None,
        "threshold_high_range": [min(r["threshold_high"] for r in ok), max(r["threshold_high"] for r in ok)]
        if ok
        else None,
        "all_bands_are_intervals": all(r["band_is_interval"] for r in rows),
        "horizon": cfg.t_max,
        "classification_rule": per[0]["classification_rule"],
        "test_set": per[0]["test_set"],
        "runtime_s": float(sum(float(r["wall_time"]) for r in results)),
    }
    summary["headline"] = [
        f"data set {r['data_seed']}: Q1 band {r['threshold_low']:.3f}-{r['threshold_high']:.3f}, Q1 {r['fraction_Q1']:.2f}, "
        f"Q2 {r['fraction_Q2']:.2f}, unresolved {r['fraction_neither']:.2f}, recovered {r['fraction_recovered']:.2f}"
        for r in rows
    ]
    summary["glue"] = glue_values(cfg, summary)
    summary["tables"] = {"data_sets": data_set_table(summary)}
    return summary, arrays


def glue_values(cfg: Config, summary: dict[str, Any]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able): the band edges over the data sets with
    few unresolved seeds (< 10 %), and the data set with the most unresolved seeds."""
    rows = summary["per_data_seed"]
    clean = [r for r in rows if r["fraction_neither"] < 0.1]
    worst = max(rows, key=lambda r: r["fraction_neither"])
    return {
        "n_data_sets": cfg.data_seeds,
        "n_seeds": cfg.seeds,
        "low_min": min((r["threshold_low"] for r in clean), default=float("nan")),
        "low_max": max((r["threshold_low"] for r in clean), default=float("nan")),
        "high_min": min((r["threshold_high"] for r in clean), default=float("nan")),
        "high_max": max((r["threshold_high"] for r in clean), default=float("nan")),
        "n_clean": len(clean),
        "worst_seed": worst["data_seed"],
        "worst_neither": 100 * worst["fraction_neither"],
        "worst_span": f"[{min(worst['train_x']):.2f}, {max(worst['train_x']):.2f}]",
        "runtime": summary["runtime_s"],
    }


def data_set_table(summary: dict[str, Any]) -> dict[str, list]:
    """One row per data set: inputs span, Q¹ band, fractions reaching each set and recovered."""
    headers = [
        "data set",
        "inputs span",
        "Q¹ band of abs(C₁/C₂)",
        "Q¹",
        "Q²",
        "unresolved",
        "recovered (error < 1e-8)",
    ]
    rows = [
        [
            f"{r['data_seed']}",
            f"[{min(r['train_x']):.2f}, {max(r['train_x']):.2f}]",
            f"{r['threshold_low']:.3f} – {r['threshold_high']:.3f}",
            f"{r['fraction_Q1']:.1%}",
            f"{r['fraction_Q2']:.1%}",
            f"{r['fraction_neither']:.1%}",
            f"{r['fraction_recovered']:.1%}",
        ]
        for r in summary["per_data_seed"]
    ]
    return {"headers": headers, "rows": rows}
