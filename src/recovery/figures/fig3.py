"""Figure 3 of arXiv:2405.13787: which of Q¹/Q² gradient flow reaches, per seed, against |C₁/C₂|."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..experiments.convergence_sets import fig3_summary
from ..sweeps import RunConfig, run_one

DESCRIPTION = "Figure 3: Q1/Q2 convergence against |C1/C2| (n=6 evenly spaced, s=1e-8, 400 seeds)"

Config = RunConfig
PAPER_SIZE: dict[str, Any] = {"seeds": 400, "init_scale": 1e-8, "n_samples": 6, "t_max": 1e7}
QUICK_SIZE: dict[str, Any] = {"seeds": 40, "t_max": 1e4}


def run(
    cfg: RunConfig, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) Figure 3 and summarize it (``result.json``)."""
    arrays = run_one(cfg, progress=progress, scheduler=scheduler, device=device)
    return fig3_summary(cfg, arrays), arrays
