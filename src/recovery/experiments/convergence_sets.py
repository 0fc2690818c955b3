"""Figure 3 of arXiv:2405.13787 as an experiment: which of Q¹/Q² gradient flow reaches, per seed, against |C₁/C₂| (n = 6 evenly spaced, s = 1e-8, 400 seeds). The page is recovery.figures.fig3; Figure 6 runs it on Gaussian data sets and the phase diagram compares with it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import code_hash
from ..core.dynamics import Status
from ..core.theory import Q1, Q2, SET_NAMES, ratio_thresholds, recovered
from ..sweeps import RunConfig

PAPER_FIG3 = {"threshold_low": 0.74, "threshold_high": 1.35, "seeds": 400, "init_scale": 1e-8, "n_samples": 6}


def fig3_summary(cfg: RunConfig, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The JSON-able summary of a Figure 3 run (``result.json`` of the CLI)."""
    label = arrays["label"]
    th = ratio_thresholds(arrays["ratio"], label)
    n = len(label)
    statuses = {
        Status(s).name.lower(): int((arrays["status"] == s).sum()) for s in np.unique(arrays["status"])
    }
    return {
        "figure": "fig3",
        "paper": "arXiv:2405.13787, Figure 3",
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "seeds": [int(s) for s in arrays["seeds"]],
        "ratio_abs_C1_over_C2": [float(r) for r in arrays["ratio"]],
        "reached_set": [SET_NAMES[int(v)] for v in label],
        "threshold_low": th["threshold_low"],
        "threshold_high": th["threshold_high"],
        "threshold_symmetric": th["threshold_symmetric"],
        "threshold_details": th,
        "paper_threshold_low": PAPER_FIG3["threshold_low"],
        "paper_threshold_high": PAPER_FIG3["threshold_high"],
        "fraction_Q1": float((label == Q1).sum() / n),
        "fraction_Q2": float((label == Q2).sum() / n),
        "fraction_neither": float((label == 0).sum() / n),
        # the book's two outcome words: passes the paper's threshold (error < 1e-8); recovered exactly (ends on Q1 u Q2)
        "fraction_passes_threshold": float(recovered(torch.from_numpy(arrays["gen_error"])).sum()) / n,
        "fraction_recovered_exact": float(((label == Q1) | (label == Q2)).sum() / n),
        "horizon": cfg.t_max,
        "classification_rule": "nearer branch: distance to the set < 0.1 and at least 2x smaller than to the "
        "other set, up to tanh's sign symmetry, at t = horizon",
        "test_set": f"{cfg.data_spec().n_test} points, "
        + ("grid on [-2, 2]" if cfg.design == "even" else "N(0, 1) draws, seed 12345"),
        "growth_rate": float(arrays["growth_rate"][0]),
        "status_counts": statuses,
        "runtime_s": float(arrays["wall_time"]),
        "headline": [
            f"thresholds |C1/C2|: low {th['threshold_low']:.3f} (paper {PAPER_FIG3['threshold_low']}), high "
            f"{th['threshold_high']:.3f} (paper {PAPER_FIG3['threshold_high']}) at horizon t={cfg.t_max:g}",
            f"reached Q1 {(label == Q1).sum() / n:.3f}, Q2 {(label == Q2).sum() / n:.3f}, "
            f"neither {(label == 0).sum() / n:.3f}; compute {float(arrays['wall_time']):.2f} s",
        ],
    }
