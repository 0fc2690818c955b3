"""Figure 5 of arXiv:2405.13787 (the page): the width-1000 network with prescribed C ratios. The experiment is :mod:`recovery.experiments.wide_network` (Figure 8 reuses its runs)."""

from ..experiments.wide_network import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    RATIO_READING_TEXT,
    RATIO_READINGS,
    TRAJ_STRIDE,
    Config,
    ratio_check,
    run,
)
