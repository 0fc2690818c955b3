"""Figures for the book: plotly figures that work in static HTML (no kernel, no network).

Every figure is stamped with its parameters and the code hash. :func:`html` embeds a figure without
plotly.js (the book loads one local copy of plotly.js per page), and sliders are plotly's own, so they work
offline from the precomputed results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import plotly.graph_objects as go

from ..cache import code_hash
from ..core.theory import NEITHER, Q1, Q2

SET_COLORS = {Q1: "#1f77b4", Q2: "#ff7f0e", NEITHER: "#7f7f7f"}  # the paper's Figure 3: blue Q¹, orange Q²
SET_LABELS = {Q1: "reached Q¹ (condensed)", Q2: "reached Q² (one neuron inactive)", NEITHER: "unresolved"}

BOOK_WIDTH = 688  # px: the content column of the book's theme (sphinx-book-theme), what every figure must fit
STAMP_NAME = "provenance"  # the name of the stamp annotation (:func:`stamp`), so the layout can place it last
STAMP_FONT = 9
# Traces that have no legend entry unless they ask for one (plotly's defaults)
_NO_LEGEND_BY_DEFAULT = {
    "heatmap",
    "contour",
    "surface",
    "histogram2d",
    "histogram2dcontour",
    "mesh3d",
    "cone",
}


def stamp(fig: go.Figure, params: dict[str, Any], extra: str = "", below_px: int = 70) -> go.Figure:
    """Write the parameters and the code hash under the figure (provenance), ``below_px`` pixels below the plot
    area whatever the figure's height (so it stays clear of the x-axis title; raise it under a legend or slider)."""
    text = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    text = f"{text}{'; ' + extra if extra else ''}; code {code_hash()}"
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-below_px,
        showarrow=False,
        font=dict(size=STAMP_FONT, color="#555"),
        xanchor="left",
        align="left",
        name=STAMP_NAME,
        yanchor="top",
    )
    fig.update_layout(margin=dict(b=max(int(fig.layout.margin.b or 0), below_px + 25)))
    return fig


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_MATH_LABEL = re.compile(r"^\$\\mathdefault\{(-?)(?:([0-9.]+)\\times)?([0-9.]+)(?:\^\{(-?[0-9]+)\})?\}\$$")


def unmath(label: str) -> str:
    """A log-axis tick label of matplotlib's mathtext form (``$\\mathdefault{10^{-2}}$``,
    ``$\\mathdefault{2\\times10^{-1}}$``, ``$\\mathdefault{1}$``) as plain text with unicode superscripts
    (``10⁻²``, ``2×10⁻¹``, ``1``); any other label unchanged."""
    m = _MATH_LABEL.match(label)
    if m is None:
        return label
    sign, coeff, base, exp = m.groups()
    return sign + (f"{coeff}×" if coeff else "") + base + (exp.translate(_SUPERSCRIPT) if exp else "")


def plain_log_labels(*axes: Any) -> None:
    """Label the log-scaled axes among ``axes`` (matplotlib ``Axis`` objects, after their scale is set) as
    matplotlib does, but in plain text with unicode superscripts (:func:`unmath`): the same labels without
    building matplotlib's mathtext parser, ≈ 0.2 s of a static figure's first draw."""
    from matplotlib.ticker import LogFormatterSciNotation

    class _Plain(LogFormatterSciNotation):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return unmath(super().__call__(x, pos))

    for axis in axes:
        if axis.get_scale() == "log":
            # matplotlib's own pair for a log scale: major labels, and minor labels where few decades show
            axis.set_major_formatter(_Plain(axis.get_transform().base))
            axis.set_minor_formatter(_Plain(axis.get_transform().base, labelOnlyBase=False))


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text or "")


def wrap_text(text: str, max_chars: int, seps: Sequence[str] = (" ",)) -> str:
    """``text`` broken into lines (``<br>``) of at most about ``max_chars`` visible characters, at the last
    separator that fits (``seps``, tried in order); existing ``<br>`` are kept. A layout helper: the words are
    never changed."""
    out = []
    for line in re.split(r"<br\s*/?>", text or ""):
        while len(_plain(line)) > max_chars:
            cut = -1
            for sep in seps:
                k = line.rfind(sep, 0, max_chars + 1)
                if k > 0:
                    cut = k + len(sep)
                    break
            if cut <= 0:
                break
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        out.append(line)
    return "<br>".join(out)


def _n_lines(text: str) -> int:
    return len(re.split(r"<br\s*/?>", text)) if text else 0


def _legend_rows(fig: go.Figure, width: float) -> tuple[int, int]:
    """(number of rows, row height in px) of the figure's legend laid out horizontally in ``width`` px."""
    lay = fig.layout
    if lay.showlegend is False:
        return 0, 0
    size = (lay.legend.font.size if lay.legend and lay.legend.font and lay.legend.font.size else None) or 12
    n = len(fig.data)
    # the traces visible at first, and after each step of plotly's own sliders (the legend follows them)
    shows = [[tr.visible is not False for tr in fig.data]]
    for sl in lay.sliders or ():
        for step in sl.steps or ():
            args = list(step.args or ())
            vis = args[0].get("visible") if args and isinstance(args[0], dict) else None
            if isinstance(vis, (list, tuple)) and len(vis) == n:
                shows.append([v is not False for v in vis])
    if n < 2 and lay.showlegend is not True:
        return 0, 0
    rows = 0
    for show in shows:
        items = []
        for tr, on in zip(fig.data, show, strict=True):
            shown = tr.showlegend if tr.showlegend is not None else tr.type not in _NO_LEGEND_BY_DEFAULT
            if shown and on and getattr(tr, "name", None):
                items.append(40 + 0.6 * size * len(_plain(tr.name)) + 10)  # symbol, text, gap (generous)
        r, x = (1 if items else 0), 0.0
        for w in items:
            if x > 0 and x + w > width:
                r, x = r + 1, 0.0
            x += w
        if items:  # plotly may also align the entries in columns as wide as the widest entry
            r = max(r, -(-len(items) // max(1, int(width // max(items)))))
        rows = max(rows, r)
    if not rows:
        return 0, 0
    gap = 10 if any(getattr(tr, "legendgroup", None) for tr in fig.data) else 0  # plotly's tracegroupgap
    return rows, int(max(1.6 * size, 19)) + gap


# the title's place: top left, under plotly's mode bar (shown on hover, it would cover a long title)
_TITLE_AT = dict(x=0.02, xanchor="left", y=1, yref="container", yanchor="top", pad=dict(t=40))


def clear_panel_titles(lay: go.Layout, plot_w: float, gap_px: int = 40) -> go.Layout:
    """Move every panel that lies right of another and has a y-axis title ``gap_px`` pixels to the right (of a
    plot area ``plot_w`` px wide), so that title clears the neighbouring panel (a layout rule: no text changes)."""
    j = lay.to_plotly_json()
    for k, ax in j.items():
        if not (k.startswith("yaxis") and (ax.get("title") or {}).get("text")):
            continue
        xa = "xaxis" + (ax.get("anchor") or "x")[1:]
        dom = (j.get(xa) or {}).get("domain")
        if dom and dom[0] > 0.01:
            lay[xa].domain = [min(dom[0] + gap_px / plot_w, dom[1] - 0.1), dom[1]]
    return lay


def book_layout(fig: go.Figure, width: int = BOOK_WIDTH, min_plot_px: int | None = None) -> go.Figure:
    """Lay ``fig`` out for the book's content column (``width`` px): one rule for every page.

    Top to bottom: the title (wrapped to the width), the plot area (the full width: no legend beside it), the
    x-axis, the legend (horizontal, wrapped into rows), plotly's own slider(s), the provenance stamp
    (:func:`stamp`, wrapped). Margins are computed from these sizes and the height raised so the plot area keeps
    at least ``min_plot_px`` (300 px, 420 px for a 3-D scene). Changes only the layout, never a text's words."""
    lay = fig.layout
    is3d = any(tr.type in ("scatter3d", "surface", "mesh3d", "cone") for tr in fig.data)
    min_plot_px = min_plot_px or (420 if is3d else 300)
    margin_l = lay.margin.l if lay.margin.l is not None else 70
    has_colorbar = any(
        getattr(tr, "showscale", None) is not False
        and tr.type in ("heatmap", "contour", "surface", "histogram2d")
        or (getattr(tr, "marker", None) is not None and getattr(tr.marker, "showscale", None))
        for tr in fig.data
    ) or bool(lay.coloraxis and lay.coloraxis.showscale is not False and lay.coloraxis.colorscale)
    margin_r = (lay.margin.r if lay.margin.r is not None else 80) if has_colorbar else 20
    # title (and the titles plotly's own slider steps set)
    top = 20
    size = (lay.title.font.size if lay.title and lay.title.font and lay.title.font.size else None) or 17
    chars = int((width - 50) / (0.55 * size))  # ~0.5 em a character in the theme's sans-serif
    lines = 0
    if lay.title and lay.title.text:
        text = wrap_text(lay.title.text, chars)
        fig.update_layout(title=dict(text=text, **_TITLE_AT))
        lines = _n_lines(text)
    for sl in lay.sliders or ():
        for step in sl.steps or ():
            args = list(step.args or ())
            for k, arg in enumerate(args):
                if not isinstance(arg, dict):
                    continue
                arg = dict(arg)
                for key in ("title", "title.text"):
                    if key not in arg:
                        continue
                    t = arg[key]
                    if isinstance(t, dict) and t.get("text"):
                        arg[key] = {**t, **_TITLE_AT, "text": wrap_text(t["text"], chars)}
                        lines = max(lines, _n_lines(arg[key]["text"]))
                    elif isinstance(t, str) and t:  # plotly.js >= 3 ignores a bare string: set title.text
                        del arg[key]
                        arg["title.text"] = wrap_text(t, chars)
                        lines = max(lines, _n_lines(arg["title.text"]))
                args[k] = arg
            step.args = args
    if lines:
        top = 40 + int(1.3 * size * lines) + 14
    # annotations above the plot area (subplot titles) sit between the title and the plot
    above = [
        a
        for a in lay.annotations or ()
        if a.name != STAMP_NAME
        and a.text
        and (a.yref or "y").endswith(("paper", "domain"))
        and (a.y if a.y is not None else 0) >= 0.999
        and a.yanchor in (None, "auto", "bottom")
    ]
    if above:
        top += max(
            int(1.3 * ((a.font.size if a.font and a.font.size else None) or 14) * _n_lines(a.text))
            for a in above
        )
    # what lies under the plot area, in px below its bottom edge
    below = 0
    if not is3d:
        j = lay.to_plotly_json()
        has_xtitle = any((v.get("title") or {}).get("text") for k, v in j.items() if k.startswith("xaxis"))
        below = 62 if has_xtitle else 34
    rows, row_h = _legend_rows(fig, width - margin_l - 10)
    legend_at = below
    below += rows * row_h + (8 if rows else 0)
    slider_at = []
    for _ in lay.sliders or ():
        slider_at.append(below + 4)
        below += 96  # current value, rail, tick labels
    stamps = [a for a in lay.annotations or () if a.name == STAMP_NAME]
    stamp_at = below + 6
    stamp_lines = 0
    for a in stamps:
        a.text = wrap_text(a.text, int((width - 30) / (0.56 * STAMP_FONT)), ("; ", ", ", " "))
        stamp_lines = max(stamp_lines, _n_lines(a.text))
        a.update(x=0, xref="paper", xanchor="left", y=0, yref="paper", yanchor="top", yshift=-stamp_at)
    below += 6 + stamp_lines * int(1.35 * STAMP_FONT + 1) + 8
    height = lay.height or 450
    plot_h = height - top - below
    if plot_h < min_plot_px:
        height, plot_h = top + below + min_plot_px, min_plot_px
    fig.update_layout(height=height, margin=dict(t=top, b=below, r=margin_r, l=margin_l))
    if rows:
        fig.update_layout(
            legend=dict(
                orientation="h", x=0, xanchor="left", y=-legend_at / plot_h, yanchor="top", yref="paper"
            )
        )
    clear_panel_titles(lay, width - margin_l - margin_r)
    if is3d:  # step the camera back so the axis titles stay inside the scene (plotly's default eye is 1.25)
        for k in [k for k in lay.to_plotly_json() if k.startswith("scene")]:
            eye = lay[k].camera.eye
            e = (eye.x, eye.y, eye.z) if eye.x is not None else (1.25, 1.25, 1.25)
            lay[k].camera.eye = dict(x=1.35 * e[0], y=1.35 * e[1], z=1.35 * e[2])
    for sl, at in zip(lay.sliders or (), slider_at, strict=True):
        sl.update(y=-at / plot_h, yanchor="top", x=0, xanchor="left", len=1, pad=dict(t=0, b=0))
    return fig


def mismatched_axes(fig: go.Figure) -> list[str]:
    """Axes that share another axis's range (plotly's ``matches``, e.g. ``make_subplots(shared_yaxes=True)``)
    but not its log/linear type: plotly then draws one panel's data against the other's range, a silently wrong
    picture (the Theorem-1 page's linear panels cut at a log range). One line per such axis."""
    lay = fig.layout.to_plotly_json()
    out = []
    for key, ax in lay.items():
        if not (key.startswith(("xaxis", "yaxis")) and isinstance(ax, dict) and ax.get("matches")):
            continue
        ref = key[0] + "axis" + ax["matches"][1:]
        log, ref_log = ax.get("type") == "log", (lay.get(ref) or {}).get("type") == "log"
        if log != ref_log:
            kind = {True: "log", False: "linear"}
            out.append(f"{key} ({kind[log]}) matches {ref} ({kind[ref_log]})")
    return out


def html(fig: go.Figure, div_id: str | None = None):
    """The figure as an IPython HTML object without plotly.js (loaded once per page by the book), laid out for
    the book's column (:func:`book_layout`). A ``ValueError`` for axes that share a range but not a type
    (:func:`mismatched_axes`)."""
    from IPython.display import HTML

    bad = mismatched_axes(fig)
    if bad:
        raise ValueError("axes share a range but not a log/linear type: " + "; ".join(bad))
    fig = book_layout(go.Figure(fig))
    return HTML(
        fig.to_html(
            include_plotlyjs=False,
            full_html=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def markdown_table(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table: the header line, a ``|---|`` rule and one line per row, cells written as ``str(cell)``
    between ``" | "`` (the pages' tables; the figure module supplies headers and rows as data in its summary).

    Raises ``ValueError`` on a table without columns or a row whose length differs from the header's."""
    if not headers:
        raise ValueError("markdown_table: a table needs at least one column")
    lines = ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers)]
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"markdown_table: row {i} has {len(row)} cells, the header {len(headers)}")
        lines.append("| " + " | ".join(map(str, row)) + " |")
    return "\n".join(lines)
