"""The figures of the book, one module each, all with the same interface (used by the CLI and notebooks).

A figure module ``recovery.figures.figN`` defines

* ``DESCRIPTION``: one line for ``python -m recovery list``;
* ``Config``: a frozen dataclass of every parameter, validated on construction, with
  ``Config.from_user(**kw)`` (loosely typed values, unknown names rejected) and ``params()``;
* ``run(cfg, *, progress=True) -> (summary, arrays)``: ``summary`` is the JSON-able ``result.json``
  (parameters, code hash, the measured numbers next to the paper's), ``arrays`` the raw numpy arrays;
* ``write_png(summary, arrays, path)``: a static figure stamped with its parameters.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from ..config import check_choice

FIGURES: tuple[str, ...] = (
    "fig1", "fig2", "fig3", "fig4", "fig5",  # the paper's Figures 1-5
    "fig6", "fig7", "fig8", "table1",  # reconstructed Figures 6-11 and Table 1
    "thresholds", "phase", "theorem1", "hessian",  # the theory chapter, computed
    "rank_calculator", "completion", "geometry", "benign_overfitting",  # related results (issue 6)
)


def available() -> list[str]:
    """Names of the figure modules present in this version of the package."""
    return [name for name in FIGURES if importlib.util.find_spec(f"{__name__}.{name}") is not None]  # no import


def get(name: str) -> ModuleType:
    """The module of figure ``name`` (a clear error naming the allowed figures otherwise)."""
    check_choice("figure", name, available())
    return importlib.import_module(f"{__name__}.{name}")
