"""Figure 2 of arXiv:2405.13787 (the page): loss curves with C₂/C₁ = 0.5 coincide after the Theorem-1 time shift. The experiment is :mod:`recovery.experiments.c_ratio` (Figure 7 runs it on several data sets)."""

from ..experiments.c_ratio import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    Config,
    analyse,
    run,
    run_configs,
)
