"""Test-session set-up shared by pytest and nbval.

* A fresh results cache for the session, so every test computes for real. Under pytest-xdist (``make test`` runs
  two workers) the controller makes it and the workers inherit it: a computation one worker made is a cache hit
  for the other (cache entries are written atomically, so two workers never see half a file).
* What must run in one process, in order, is one unit of work for xdist (``PageScheduling``): the cells of one
  notebook (nbval runs them in one kernel, in order), and the tests that use the built book (``built_book``
  builds it once per worker that asks, so they all go to one). Every other test is a unit of its own.
  (xdist's own ``--dist loadgroup`` cannot do this with pytest 9: it marks a group by rewriting ``Node._nodeid``,
  which pytest 9 no longer reads.)
* Each page is executed once at the book's size: by nbval. As nbval runs a notebook's cells, the outputs it
  receives are kept (``pytest_runtest_call`` below) and the executed notebook is written to
  ``$RECOVERY_EXECUTED_NOTEBOOKS``; the book the browser and PDF tests read is built from those notebooks
  (tests/conftest.py, ``built_book``), so the pages Chromium checks carry exactly the numbers nbval checked.
  ``make book``'s own execution of the notebooks is tested on a small book (tests/test_book_build.py).
* Order: the notebooks (nbval) first, slowest first; the book only once every notebook is done (the scheduler
  holds it back until then, so it can never wait on a notebook queued behind it); the rest fills the gaps.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

import nbformat
import pytest

if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller (or a run without xdist): one cache per session
    os.environ["RECOVERY_CACHE_DIR"] = tempfile.mkdtemp(prefix="recovery-test-cache-")
    if not os.environ.get("RECOVERY_EXECUTED_NOTEBOOKS"):  # where nbval's executed notebooks go (below)
        os.environ["RECOVERY_EXECUTED_NOTEBOOKS"] = tempfile.mkdtemp(prefix="recovery-executed-notebooks-")

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


# Tests that share a module fixture (one `recovery reproduce --quick` run): one unit, so it runs once.
REPRODUCE_UNIT = "reproduce"
REPRODUCE_TESTS = (
    "tests/test_figure_contract.py::test_reproduce_runs_every_registered_figure",
    "tests/test_figure_contract.py::test_cli_run_writes_result_arrays_and_figure",
)


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its notebook, the book, the reproduce run, or the test itself."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return path
    if nodeid in BOOK_TESTS:
        return BOOK_UNIT
    if nodeid.split("[", 1)[0] in REPRODUCE_TESTS:
        return REPRODUCE_UNIT
    return nodeid


def _order(item) -> tuple[int, int]:
    unit = work_unit(item.nodeid)
    if unit.endswith(".ipynb"):
        stem = unit.rsplit("/", 1)[-1].removesuffix(".ipynb")
        return (0, SLOW_NOTEBOOKS.index(stem) if stem in SLOW_NOTEBOOKS else len(SLOW_NOTEBOOKS))
    if unit == BOOK_UNIT:
        return (1, 0)
    if (
        unit == REPRODUCE_UNIT
    ):  # about a minute in one piece: early, while small units can still fill the gaps
        return (1, 1)
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

        def _notebooks_done(self) -> bool:
            if any(scope.endswith(".ipynb") for scope in self.workqueue):
                return False
            return all(
                all(cells.values())
                for work in self.assigned_work.values()
                for scope, cells in work.items()
                if scope.endswith(".ipynb")
            )

        def _assign_work_unit(self, node) -> None:
            """The first unit in the queue, except the book while a notebook is still running or queued (the
            book is built from the notebooks nbval executed); with only the book left, the node waits."""
            scope = next((s for s in self.workqueue if s != BOOK_UNIT or self._notebooks_done()), None)
            if scope is None:
                return
            work = self.workqueue.pop(scope)
            self.assigned_work.setdefault(node, {})[scope] = work
            collection = self.registered_collections[node]
            node.send_runtest_some([collection.index(nid) for nid, done in work.items() if not done])

        def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
            super().mark_test_complete(node, item_index, duration)
            for other in self.nodes:  # a node waiting for the book (or to be shut down) hears of it
                if other is not node:
                    self._reschedule(other)

    config.option.loadscopereorder = False  # keep the order above (xdist would put the largest units first)
    return PageScheduling(config, log)


# ------------------------------------------------------------------------------ notebooks executed by nbval


def _executed_dir() -> Path | None:
    d = os.environ.get("RECOVERY_EXECUTED_NOTEBOOKS")
    return Path(d) if d else None


def _output(out) -> nbformat.NotebookNode:
    """One output as nbval received it (a NotebookNode named by its message type) in nbformat's schema."""
    kind = out["output_type"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=out["name"], text=out["text"])
    if kind == "error":
        return nbformat.v4.new_output(
            "error", ename=out["ename"], evalue=out["evalue"], traceback=out["traceback"]
        )
    extra = {"execution_count": out.get("execution_count")} if kind == "execute_result" else {}
    return nbformat.v4.new_output(kind, data=out["data"], metadata=out.get("metadata", {}), **extra)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Keep what each nbval cell printed and displayed; after a notebook's last code cell, write the executed
    notebook to ``$RECOVERY_EXECUTED_NOTEBOOKS`` (atomically), for the book the browser and PDF tests read."""
    yield
    target = _executed_dir()
    outputs = getattr(item, "test_outputs", None)
    notebook = getattr(item.parent, "nb", None)
    if target is None or not hasattr(item, "cell_num") or notebook is None:
        return
    kept = item.parent.__dict__.setdefault("_recovery_outputs", {})
    kept[item.cell_num] = [_output(o) for o in (outputs or [])]
    code = [c for c in notebook.cells if c.cell_type == "code"]
    if item.cell_num != len(code) - 1:
        return
    executed = copy.deepcopy(notebook)
    for i, cell in enumerate(c for c in executed.cells if c.cell_type == "code"):
        cell.outputs = kept.get(i, [])
        cell.execution_count = i + 1 if i in kept else None
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = cell.execution_count
    path = target / Path(str(item.parent.path)).name
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    nbformat.write(executed, str(tmp))
    os.replace(tmp, path)
