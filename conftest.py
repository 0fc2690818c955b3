"""Test-session set-up shared by pytest and nbval.

* A fresh results cache for the session, so every test computes for real. Under pytest-xdist (``make test`` runs
  two workers) the controller makes it and the workers inherit it: a computation one worker made is a cache hit
  for the other (cache entries are written atomically, so two workers never see half a file).
* What must run in one process, in order, is one unit of work for xdist (``PageScheduling``): the cells of one
  notebook (nbval runs them in one kernel, in order), and the tests that use the built book (``built_book``
  builds it once per worker that asks, so they all go to one). Every other test is a unit of its own.
  (xdist's own ``--dist loadgroup`` cannot do this with pytest 9: it marks a group by rewriting ``Node._nodeid``,
  which pytest 9 no longer reads.)
* Order: the book first (the longest chain: the build, then Chromium and the PDF over it); the notebooks at the
  book's size (nbval) from the slowest, which are the last pages of the book, so the two meet in the middle and
  rarely compute the same page at once (the second finds the first's results in the shared cache); the rest of
  the suite fills the gaps.
"""

from __future__ import annotations

import os
import tempfile

import pytest

if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller (or a run without xdist): one cache per session
    os.environ["RECOVERY_CACHE_DIR"] = tempfile.mkdtemp(prefix="recovery-test-cache-")

BOOK_UNIT = "book"
# The tests that use the `built_book` fixture (tests/conftest.py); checked at collection, so a new one cannot
# silently build the book a second time on the other worker.
BOOK_TESTS = (
    "tests/test_browser.py::test_every_figure_page_renders_offline_and_every_slider_moves",
    "tests/test_pdf.py::test_the_pdf_of_the_whole_book_has_every_chapter",
)
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


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its notebook, the book, or the test itself."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return path
    if nodeid in BOOK_TESTS:
        return BOOK_UNIT
    return nodeid


def _order(item) -> tuple[int, int]:
    unit = work_unit(item.nodeid)
    if unit == BOOK_UNIT:
        return (0, 0)
    if unit.endswith(".ipynb"):
        stem = unit.rsplit("/", 1)[-1].removesuffix(".ipynb")
        return (1, SLOW_NOTEBOOKS.index(stem) if stem in SLOW_NOTEBOOKS else len(SLOW_NOTEBOOKS))
    return (2, 0)


def pytest_collection_modifyitems(config, items):
    """Order the session (see the module docstring); the sort is stable, so a notebook's cells stay in order."""
    strays = [
        it.nodeid
        for it in items
        if "built_book" in getattr(it, "fixturenames", ()) and it.nodeid not in BOOK_TESTS
    ]
    if strays:
        raise pytest.UsageError(f"tests using built_book must be listed in conftest.BOOK_TESTS: {strays}")
    items.sort(key=_order)


def pytest_xdist_make_scheduler(config, log):
    """xdist hands out work by ``work_unit`` (a notebook, the book, or one test), in the collected order."""
    from xdist.scheduler import LoadScopeScheduling

    class PageScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # keep the order above (xdist would put the largest units first)
    return PageScheduling(config, log)
