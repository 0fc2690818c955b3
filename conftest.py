"""Test-session set-up shared by pytest and nbval.

* A fresh results cache for the session, so every test computes for real. Under pytest-xdist (``make test`` runs
  two workers) the controller makes it and the workers inherit it: a computation one worker made is a cache hit
  for the other (cache entries are written atomically, so two workers never see half a file).
* Tests that must run in one process, in order, share an ``xdist_group``: the cells of one notebook (nbval runs
  them in one kernel, in order), and the tests that use the built book (``built_book`` builds it once per worker
  that asks, so they all go to one).
* Order: the notebooks at the book's size (nbval, the slowest first) go first, spread over the workers, then the
  book, so that the book build finds their computations in the shared cache instead of making them again; the
  rest of the suite fills the gaps.
"""

import os
import tempfile

import pytest

if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller (or a run without xdist): one cache per session
    os.environ["RECOVERY_CACHE_DIR"] = tempfile.mkdtemp(prefix="recovery-test-cache-")

BOOK_GROUP = "book"
# The book-size notebooks whose computations take longest with an empty cache (measured), started first.
SLOW_NOTEBOOKS = (
    "related_completion",
    "related_rank_calculator",
    "theorem1_convergence",
    "table1_branches",
    "fig5_wide_network",
    "thresholds_sample_size",
    "related_geometry",
    "fig8_active_neurons",
    "related_benign_overfitting",
    "boundary_limit",
)


def _order(item) -> tuple[int, int]:
    path = getattr(item, "path", None)
    if path is not None and path.suffix == ".ipynb":
        return (0, SLOW_NOTEBOOKS.index(path.stem) if path.stem in SLOW_NOTEBOOKS else len(SLOW_NOTEBOOKS))
    if "built_book" in getattr(item, "fixturenames", ()):
        return (1, 0)
    return (2, 0)


def pytest_collection_modifyitems(config, items):
    """Group what must share a process and order the session (see the module docstring); the sort is stable, so
    a notebook's cells stay in order."""
    for item in items:
        kind = _order(item)[0]
        if kind == 0:
            item.add_marker(pytest.mark.xdist_group("notebook-" + item.path.stem))
        elif kind == 1:
            item.add_marker(pytest.mark.xdist_group(BOOK_GROUP))
    items.sort(key=_order)
