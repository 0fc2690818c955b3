"""The pages of the book, one experiment module each, all with the same interface (used by the CLI, the notebooks
and the tests). Drawing lives in :mod:`recovery.plots` (``recovery.plots.NAME.write_png``), never here.

A page module ``recovery.figures.NAME`` defines (see :class:`Page`)

* ``DESCRIPTION``: one line for ``recovery list``;
* ``Config``: a frozen dataclass of every parameter, validated on construction, with
  ``Config.from_user(**kw)`` (loosely typed values, unknown names rejected) and ``params()``;
* ``run(cfg, *, progress=True, scheduler=None, device="cpu") -> (summary, arrays)``: ``summary`` is the
  JSON-able ``result.json`` (parameters, code hash, the measured numbers next to the paper's), ``arrays`` the raw
  numpy arrays; ``scheduler`` and ``device`` go to :func:`recovery.sweeps.run_many` (pages without
  gradient-flow sweeps accept and ignore them);
* ``PAPER_SIZE`` and ``QUICK_SIZE``: the parameters of ``recovery reproduce`` and of its ``--quick`` smoke test.

A page that reuses another page's runs composes that experiment's Config from :mod:`recovery.experiments`;
pages never import each other (tests/test_layers.py).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, cast

from ..config import check_choice

FIGURES: tuple[str, ...] = (
    "fig1",
    "fig2",
    "fig3",
    "fig4",
    "fig5",  # the paper's Figures 1-5
    "fig6",
    "fig7",
    "fig8",
    "table1",  # reconstructed Figures 6-11 and Table 1
    "thresholds",
    "phase",
    "theorem1",
    "hessian",
    "boundary",  # the theory chapter, computed
    "rank_calculator",
    "completion",
    "geometry",
    "benign_overfitting",  # related results
)


class Page(Protocol):
    """The interface every page module provides (checked for each registered page by the contract tests)."""

    DESCRIPTION: str
    PAPER_SIZE: dict[str, Any]
    QUICK_SIZE: dict[str, Any]
    Config: type

    def run(self, cfg: Any, *, progress: bool = True) -> tuple[dict[str, Any], dict[str, Any]]: ...


def available() -> list[str]:
    """Names of the pages, in book order."""
    return list(FIGURES)


def get(name: str) -> Page:
    """The module of page ``name`` (a clear error naming the allowed pages otherwise)."""
    check_choice("figure", name, FIGURES)
    return cast(Page, importlib.import_module(f"{__name__}.{name}"))
