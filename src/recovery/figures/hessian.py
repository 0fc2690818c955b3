"""The Hessian page (the theory, computed): zero eigenvalues against the dimension of the minimum set (Morse–Bott) and measured rates. The experiment is :mod:`recovery.experiments.minimum_set` (Table 1 reuses it)."""

from ..experiments.minimum_set import (  # noqa: F401  (the page's interface)
    DESCRIPTION,
    PAPER_SIZE,
    QUICK_SIZE,
    Config,
    branch_table,
    geometry,
    rates,
    run,
)
