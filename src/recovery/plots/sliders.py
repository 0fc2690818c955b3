"""Two-dimensional sliders for static HTML: precomputed plotly figures on a grid, switched in the browser.

plotly's own ``sliders`` move along one dimension. For two (e.g. initialization scale × sample size in
Figure 1 of arXiv:2405.13787) :func:`grid_slider_html` returns one self-contained HTML block: a plotly div,
two ``<input type="range">`` with live value labels, an optional per-cell caption, and a small script that
calls ``Plotly.react`` with the precomputed figure of the selected cell. It needs no kernel and no network
(it works from ``file://``) and loads no script of its own: ``Plotly`` must be a global, as on every page of
the book, which loads ``plotly.min.js`` once.

To keep pages small, every float is rounded to ``digits`` significant digits and every JSON subtree that occurs
more than once in the grid (a shared x grid, the training inputs, a trace or style repeated in every cell) is
stored once and referenced by index.
"""

from __future__ import annotations

import html as _html
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
MIN_SHARED_CHARS = 24  # repeated JSON subtrees at least this long are stored once and referenced


def _round(v: float, digits: int) -> float | None:
    """``v`` rounded to ``digits`` significant digits; NaN/inf become ``None`` (JSON null, a gap in plotly)."""
    if not math.isfinite(v):
        return None
    return float(f"{v:.{digits}g}")


def to_plain(obj: Any, digits: int = 4) -> Any:
    """JSON-able copy of ``obj`` (plotly figure/trace/layout objects, numpy arrays and scalars, tuples),
    floats rounded to ``digits`` significant digits."""
    if hasattr(obj, "to_plotly_json"):
        obj = obj.to_plotly_json()
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v, digits) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _round(float(obj), digits)
    return obj


def _key(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def _count_subtrees(obj: Any, counts: dict[str, int]) -> None:
    """Count every dict/list subtree whose compact JSON has at least ``MIN_SHARED_CHARS`` characters."""
    if isinstance(obj, (dict, list)):
        k = _key(obj)
        if len(k) >= MIN_SHARED_CHARS:
            counts[k] = counts.get(k, 0) + 1
        for v in obj.values() if isinstance(obj, dict) else obj:
            _count_subtrees(v, counts)


def _share_subtrees(obj: Any, table: list[Any], index: dict[str, int], counts: dict[str, int]) -> Any:
    """Replace, top-down, every subtree that occurs more than once by ``{"$ref": k}`` into ``table``."""
    if isinstance(obj, (dict, list)):
        k = _key(obj)
        if counts.get(k, 0) > 1:
            if k not in index:
                index[k] = len(table)
                table.append(obj)
            return {"$ref": index[k]}
        if isinstance(obj, dict):
            return {kk: _share_subtrees(v, table, index, counts) for kk, v in obj.items()}
        return [_share_subtrees(v, table, index, counts) for v in obj]
    return obj


def pack_cells(cells: Sequence[Sequence[Any]], digits: int = 4) -> dict[str, Any]:
    """The JSON payload of a grid: ``{"cells": [[{"data", "layout"}, ...], ...], "shared": [...]}``.

    Each cell is a plotly figure or a dict with ``data`` (list of traces) and optional ``layout`` (merged
    over the block's base layout in the browser); a cell figure's ``layout.template`` is dropped (put the
    template in the base layout once). Every subtree (array, trace, style dict) that occurs more than once
    across the grid is stored once in ``shared`` and referenced as ``{"$ref": index}``.
    """
    plain = []
    for row in cells:
        prow = []
        for c in row:
            p = to_plain(c, digits)
            if not isinstance(p, dict) or "data" not in p:
                raise ValueError(
                    "each cell must be a plotly figure or a dict with 'data' (and optional 'layout')"
                )
            layout = dict(p.get("layout") or {})
            layout.pop("template", None)
            prow.append({"data": p["data"], "layout": layout})
        plain.append(prow)
    counts: dict[str, int] = {}
    _count_subtrees(plain, counts)
    table: list[Any] = []
    shared = _share_subtrees(plain, table, {}, counts)
    return {"cells": shared, "shared": table}


def unpack_cell(payload: dict[str, Any], i: int, j: int) -> dict[str, Any]:
    """Cell (i, j) of a :func:`pack_cells` payload with every reference resolved (what the browser draws)."""

    def res(o: Any) -> Any:
        if isinstance(o, dict):
            if set(o) == {"$ref"}:
                return res(payload["shared"][o["$ref"]])
            return {k: res(v) for k, v in o.items()}
        if isinstance(o, list):
            return [res(v) for v in o]
        return o

    return res(payload["cells"][i][j])


def _labels(name: str, values: Sequence[Any], n: int) -> list[str]:
    if len(values) != n:
        raise ValueError(f"{name}: {len(values)} labels for {n} grid positions")
    return [str(v) for v in values]


_SCRIPT = """
(function () {
  var P = %(payload)s, root = document.getElementById(%(root)s);
  var base = %(base)s, config = %(config)s, caps = %(captions)s;
  var ri = document.getElementById(%(rid)s), ci = document.getElementById(%(cid)s);
  var rv = document.getElementById(%(rvid)s), cv = document.getElementById(%(cvid)s);
  var cap = document.getElementById(%(capid)s), div = document.getElementById(%(div)s);
  var rl = %(rlabels)s, cl = %(clabels)s;
  function res(o) {
    if (Array.isArray(o)) return o.map(res);
    if (o && typeof o === "object") {
      var ks = Object.keys(o);
      if (ks.length === 1 && ks[0] === "$ref") return res(P.shared[o["$ref"]]);
      var r = {}; for (var k in o) r[k] = res(o[k]); return r;
    }
    return o;
  }
  function isObj(v) { return v && typeof v === "object" && !Array.isArray(v); }
  function merge(a, b) {  // deep merge of layouts: b over a
    var r = {}, k;
    for (k in a) r[k] = a[k];
    for (k in b) r[k] = (isObj(b[k]) && isObj(r[k])) ? merge(r[k], b[k]) : b[k];
    return r;
  }
  function show() {
    var i = +ri.value, j = +ci.value, c = P.cells[i][j];
    rv.textContent = rl[i]; cv.textContent = cl[j];
    if (cap) cap.textContent = caps ? caps[i][j] : "";
    root.setAttribute("data-cell", i + "," + j);
    Plotly.react(div, res(c.data), merge(base, res(c.layout)), config);
  }
  function start() { ri.addEventListener("input", show); ci.addEventListener("input", show); show(); }
  if (window.Plotly) start(); else window.addEventListener("load", start);
})();
"""


def grid_slider_html(
    cells: Sequence[Sequence[Any]],
    *,
    div_id: str,
    row_name: str,
    row_labels: Sequence[Any],
    col_name: str,
    col_labels: Sequence[Any],
    base_layout: Any = None,
    captions: Sequence[Sequence[str]] | None = None,
    initial: tuple[int, int] = (0, 0),
    digits: int = 4,
    config: Mapping[str, Any] | None = None,
    height: int | None = None,
) -> str:
    """An HTML block (plotly div + two range sliders) that shows the precomputed figure of cell (i, j).

    Parameters
    ----------
    cells: ``cells[i][j]`` for row value i and column value j: a plotly figure or ``{"data", "layout"}``.
    div_id: id of the plotly div (stable, e.g. ``"fig1-slider-even"``); the block's ids derive from it.
    row_name, row_labels / col_name, col_labels: slider titles and the shown value of each position.
    base_layout: layout shared by all cells (dict or ``go.Layout``; put the template here); each cell's own
        layout is deep-merged over it.
    captions: optional text per cell shown under the sliders (e.g. the error of that pair).
    initial: the cell shown first.
    digits: significant digits kept for every float.
    """
    if not isinstance(div_id, str) or not _ID.match(div_id):
        raise ValueError(f"div_id must be a letter followed by letters, digits, '-' or '_', got {div_id!r}")
    R = len(cells)
    if R == 0 or any(len(r) != len(cells[0]) for r in cells) or len(cells[0]) == 0:
        raise ValueError("cells must be a non-empty rectangular grid")
    C = len(cells[0])
    rl, cl = _labels(row_name, row_labels, R), _labels(col_name, col_labels, C)
    if captions is not None and (len(captions) != R or any(len(r) != C for r in captions)):
        raise ValueError("captions must have the shape of cells")
    i0, j0 = initial
    if not (0 <= i0 < R and 0 <= j0 < C):
        raise ValueError(f"initial={initial} outside the {R}x{C} grid")
    payload = pack_cells(cells, digits)
    if base_layout is not None:  # the book's column: panels clear of their neighbour's y-axis title
        from .common import BOOK_WIDTH, clear_panel_titles

        base_layout = clear_panel_titles(go.Layout(base_layout), BOOK_WIDTH - 150)
    base = to_plain(base_layout, digits) if base_layout is not None else {}
    if height is not None:
        base["height"] = int(height)
    cfg = dict(config or {"displaylogo": False, "responsive": True})
    ids = {k: f"{div_id}-{k}" for k in ("block", "row", "col", "row-value", "col-value", "caption")}

    def js(v: Any) -> str:  # JSON safe inside <script> (no "</" sequences)
        return json.dumps(v, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")

    script = _SCRIPT % {
        "payload": js(payload),
        "root": js(ids["block"]),
        "base": js(base),
        "config": js(cfg),
        "captions": js([list(r) for r in captions] if captions is not None else None),
        "rid": js(ids["row"]),
        "cid": js(ids["col"]),
        "rvid": js(ids["row-value"]),
        "cvid": js(ids["col-value"]),
        "capid": js(ids["caption"]),
        "div": js(div_id),
        "rlabels": js(rl),
        "clabels": js(cl),
    }
    e = _html.escape
    style = "display:flex;align-items:center;gap:0.6em;margin:0.2em 0;font-size:0.9em"

    def slider(key: str, name: str, n: int, v0: int, labels: list[str]) -> str:
        return (
            f'<div style="{style}"><label for="{ids[key]}" style="min-width:11em">{e(name)}</label>'
            f'<input type="range" id="{ids[key]}" min="0" max="{n - 1}" step="1" value="{v0}" '
            f'style="flex:1;max-width:28em" aria-label="{e(name)}">'
            f'<output id="{ids[key + "-value"]}" for="{ids[key]}" style="min-width:6em;font-weight:bold">'
            f"{e(labels[v0])}</output></div>"
        )

    h = f"height:{int(height)}px;" if height is not None else ""
    return (
        f'<div id="{ids["block"]}" class="recovery-grid-slider" data-cell="{i0},{j0}">'
        f'<div id="{e(div_id)}" class="plotly-graph-div" style="width:100%;{h}"></div>'
        + slider("row", row_name, R, i0, rl)
        + slider("col", col_name, C, j0, cl)
        + f'<div id="{ids["caption"]}" style="font-size:0.9em;margin:0.3em 0"></div>'
        + f"<script>{script}</script></div>"
    )
