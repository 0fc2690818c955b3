"""The sample-size thresholds page (the theory, computed): recovery against n from random small initializations. The experiment is :mod:`recovery.experiments.sample_size` (Table 1 cross-checks with it)."""

from ..experiments.sample_size import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    Config,
    compute,
    run,
    summarize,
)
