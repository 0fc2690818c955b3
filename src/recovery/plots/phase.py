"""Plots of the phase diagram: plotly for the book (a heatmap with plotly's slider over the scale, a
two-slider (scale × n) block from :func:`recovery.sliders.grid_slider_html`, the boundaries against n) and a
stamped PNG.

Inputs are the summary of :func:`recovery.figures.phase.summarize` and the arrays of
:func:`recovery.figures.phase.compute` (``(scales, n, c, seeds)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..core.outcomes import Outcome, is_recovered
from ..core.theory import Q1, Q2
from ..figures.phase import CELL_NAMES, MIXED
from .common import SET_COLORS
from .sliders import grid_slider_html
from .thresholds import ERROR_FLOOR, OUTCOME_COLORS, stamp_below

CELL_COLORS = {MIXED: "#f2d16b", **{int(k): v for k, v in OUTCOME_COLORS.items()}}
CODES = sorted(CELL_COLORS)
C_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
SEED_SYMBOLS = [
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "x",
    "star",
    "cross",
    "pentagon",
    "hexagon",
    "bowtie",
]


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {"design": p["design"], "seeds/cell": p["seeds"], "horizon": p["t_max"], "rtol": p["rtol"]}


def _discrete_colorscale() -> list[list[Any]]:
    """Piecewise-constant colorscale for the integer codes 0..6 (zmin = −0.5, zmax = 6.5)."""
    k = len(CODES)
    out = []
    for i, code in enumerate(CODES):
        out += [[i / k, CELL_COLORS[code]], [(i + 1) / k, CELL_COLORS[code]]]
    return out


def _cell_text(st: dict[str, np.ndarray], i: int) -> list[list[str]]:
    """Hover text of every (n, c) cell at scale index ``i``: the set reached by each seed."""
    c = st["c_grid"]
    out = []
    for j, n in enumerate(st["n_values"]):
        row = []
        for k, cv in enumerate(c):
            o = st["outcome"][i, j, k]
            ge = st["gen_error"][i, j, k]
            per = "<br>".join(
                f"seed {int(s)}: {CELL_NAMES[int(v)]} (error {g:.1e})" for s, v, g in zip(st["seeds"], o, ge)
            )
            row.append(f"n = {int(n)}, c = {cv:.3g}<br>{per}")
        out.append(row)
    return out


def heatmap_scale_slider(summary: dict[str, Any], st: dict[str, np.ndarray]) -> go.Figure:
    """The phase diagram n × c (log c), coloured by the set every seed of the cell reaches (yellow: seeds
    disagree); plotly slider over the initialization scale; the paper's Figure 3 threshold marked at n = 6.
    """
    c = st["c_grid"]
    x = np.log10(c)
    ns = [int(n) for n in st["n_values"]]
    scales = [float(s) for s in st["scales"]]
    fig = go.Figure()
    for i, s in enumerate(scales):
        fig.add_trace(
            go.Heatmap(
                x=x,
                y=ns,
                z=st["consensus"][i].astype(float),
                zmin=-0.5,
                zmax=len(CODES) - 0.5,
                colorscale=_discrete_colorscale(),
                text=_cell_text(st, i),
                hoverinfo="text",
                visible=i == len(scales) - 1,
                xgap=1,
                ygap=2,
                name=f"s = {s:.0e}",
                colorbar=dict(
                    tickvals=CODES,
                    ticktext=[CELL_NAMES[k] for k in CODES],
                    len=0.95,
                    thickness=14,
                    tickfont=dict(size=10),
                ),
            )
        )
    f3 = summary["fig3_comparison"]
    marked = f3["comparable"] and c[0] <= f3["paper_threshold_low"] <= c[-1]
    if marked:
        name = f"paper Fig. 3 (n = 6): Q¹ for |C₁/C₂| > {f3['paper_threshold_low']}"
        fig.add_trace(
            go.Scatter(
                x=[np.log10(f3["paper_threshold_low"])],
                y=[6],
                mode="markers",
                name=name,
                showlegend=False,
                marker=dict(symbol="line-ns", size=22, line=dict(width=3, color="black")),
                hovertemplate=name + "<extra></extra>",
            )
        )
    ticks = [t for t in C_TICKS if c[0] <= t <= c[-1]]
    steps = [
        dict(
            method="update",
            label=f"{s:.0e}",
            args=[
                {"visible": [k == i for k in range(len(scales))] + [True] * (len(fig.data) - len(scales))},
                {"title.text": f"Set reached over (n, c = C₂/C₁), initialization scale s = {s:.0e}"},
            ],
        )
        for i, s in enumerate(scales)
    ]
    fig.update_layout(
        title=f"Set reached over (n, c = C₂/C₁), initialization scale s = {scales[-1]:.0e}",
        xaxis=dict(
            title="prescribed ratio c = C₂/C₁ (log scale)",
            tickvals=np.log10(ticks).tolist(),
            ticktext=[f"{t:g}" for t in ticks],
        ),
        yaxis=dict(title="sample size n", tickvals=ns, dtick=1),
        height=560,
        sliders=[
            dict(
                active=len(scales) - 1,
                currentvalue=dict(prefix="initialization scale s = "),
                steps=steps,
                pad=dict(t=55),
            )
        ],
    )
    extra = "each cell: consensus of its seeds (hover for every seed)"
    if marked:
        extra += f"; black bar: the paper's Fig. 3 threshold {f3['paper_threshold_low']} at n = 6"
    return stamp_below(fig, _params(summary), extra, y=-0.42, bottom=190)


def _scatter(**kw: Any) -> dict[str, Any]:
    """A scatter trace as a plain dict (fast to build; validated by plotly.js in the browser)."""
    return {"type": "scatter", **kw}


def scale_n_slider(
    summary: dict[str, Any], st: dict[str, np.ndarray], div_id: str = "phase-slider", height: int = 520
) -> str:
    """Two sliders (scale × n): the generalization error of every seed against c, coloured by the set reached
    (symbol: seed); the caption lists the segments of the set reached along c and their boundaries."""
    c = st["c_grid"]
    scales = [float(s) for s in st["scales"]]
    ns = [int(n) for n in st["n_values"]]
    p = summary["parameters"]
    cells, caps = [], []
    for i, s in enumerate(scales):
        row, crow = [], []
        for j, n in enumerate(ns):
            data = []
            o, ge = st["outcome"][i, j], np.maximum(st["gen_error"][i, j], ERROR_FLOOR)
            for code in Outcome:
                for k, seed in enumerate(st["seeds"]):
                    sel = o[:, k] == code
                    if not sel.any():
                        continue
                    data.append(
                        _scatter(
                            x=c[sel],
                            y=ge[sel, k],
                            mode="markers",
                            name=CELL_NAMES[int(code)],
                            legendgroup=str(int(code)),
                            showlegend=k == 0 or not (o[:, :k] == code).any(),
                            marker=dict(
                                size=7,
                                color=CELL_COLORS[int(code)],
                                symbol=SEED_SYMBOLS[k % len(SEED_SYMBOLS)],
                                line=dict(width=0.5, color="#333"),
                            ),
                            hovertemplate=f"seed {int(seed)}: c=%{{x:.3g}}, error %{{y:.1e}}<extra>"
                            f"{CELL_NAMES[int(code)]}</extra>",
                        )
                    )
            row.append(
                {
                    "data": data,
                    "layout": {
                        "title": {
                            "text": f"s = {s:.0e}, n = {n}: recovered exactly {is_recovered(o).mean():.0%} of "
                            f"the {o.size} runs"
                        }
                    },
                }
            )
            segs = summary["segments"][f"{s:g}"][str(n)]
            crow.append(
                "Along c: "
                + "; ".join(
                    f"{CELL_NAMES[g['code']]} for c in [{g['c_first']:.3g}, {g['c_last']:.3g}]" for g in segs
                )
                + "."
            )
        cells.append(row)
        caps.append(crow)
    ticks = [t for t in C_TICKS if c[0] <= t <= c[-1]]
    shapes = [
        dict(
            type="line",
            xref="paper",
            yref="y",
            x0=0,
            x1=1,
            y0=v,
            y1=v,
            line=dict(color="black", dash=dash, width=1),
        )
        for v, dash in ((p["threshold"], "dash"), (p["strict_threshold"], "dot"))
    ]
    prov = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in _params(summary).items()
    )
    base = go.Layout(
        template="plotly",
        margin=dict(t=100, b=80),
        title=dict(font=dict(size=13), y=0.98, yanchor="top"),
        xaxis=dict(
            type="log",
            title=dict(text="prescribed ratio c = C₂/C₁"),
            tickvals=ticks,
            range=[float(np.log10(c[0])) - 0.05, float(np.log10(c[-1])) + 0.05],
        ),
        yaxis=dict(
            type="log",
            range=[-32.5, 1],
            title=dict(text="generalization error at the horizon"),
            exponentformat="power",
        ),
        shapes=shapes,
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", font=dict(size=10)),
        annotations=[
            dict(
                text=f"{prov}; dashed: threshold {p['threshold']:g}, dotted: strict "
                f"{p['strict_threshold']:g}; symbols: seeds; code {summary['code_hash']}",
                xref="paper",
                yref="paper",
                x=0,
                y=-0.2,
                showarrow=False,
                font=dict(size=9, color="#555"),
                xanchor="left",
            )
        ],
    )
    return grid_slider_html(
        cells,
        div_id=div_id,
        row_name="initialization scale s",
        row_labels=[f"{s:.0e}" for s in scales],
        col_name="sample size n",
        col_labels=ns,
        base_layout=base,
        captions=caps,
        initial=(len(scales) - 1, min(2, len(ns) - 1)),
        height=height,
    )


def boundaries_vs_n(summary: dict[str, Any]) -> go.Figure:
    """The boundaries one reads off the diagram, against n, per scale: the c where Q¹ starts (up to c = 1) and
    the edges of the Q² windows.
    """
    p = summary["parameters"]
    ns = p["n_values"]
    fig = go.Figure()
    # the paper's colours (Figure 3): Q¹ blue, Q² orange; the scales differ by dash and open/filled markers
    q1_col, q2_col = SET_COLORS[Q1], SET_COLORS[Q2]
    for i, s in enumerate(sorted(p["scales"], reverse=True)):
        key = f"{s:g}"
        q1_dash, q2_dash = ("solid", "dash", "longdash")[i % 3], ("dot", "dashdot", "longdashdot")[i % 3]
        opened = "-open" if i % 2 else ""
        q1 = [summary["q1_onset"][key][str(n)] for n in ns]
        y = [
            o["boundary"]
            if o["exists"] and o["boundary"] is not None
            else (o["c_first"] if o["exists"] else None)
            for o in q1
        ]
        fig.add_trace(
            go.Scatter(
                x=ns,
                y=y,
                mode="lines+markers",
                name=f"Q¹ from c (s = {s:.0e})",
                line=dict(color=q1_col, dash=q1_dash),
                marker=dict(symbol="circle" + opened, size=8),
                hovertemplate="n=%{x}: Q¹ for c > %{y:.3f}<extra></extra>",
            )
        )
        lo, hi = [], []
        for n in ns:
            w = summary["q2_windows"][key][str(n)]
            lo.append(w[0][0] if w and w[0][0] is not None else (p["c_min"] if w else None))
            hi.append(w[-1][1] if w and w[-1][1] is not None else (p["c_max"] if w else None))
        for vals, name, sym in (
            (lo, "Q² window, lower edge", "triangle-up"),
            (hi, "Q² window, upper edge", "triangle-down"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=ns,
                    y=vals,
                    mode="lines+markers",
                    name=f"{name} (s = {s:.0e})",
                    line=dict(color=q2_col, dash=q2_dash),
                    marker=dict(symbol=sym + opened, size=8),
                    hovertemplate="n=%{x}: %{y:.3f}<extra>" + name + "</extra>",
                )
            )
    f3 = summary["fig3_comparison"]
    if f3["comparable"]:
        fig.add_trace(
            go.Scatter(
                x=[6],
                y=[f3["paper_threshold_low"]],
                mode="markers",
                name="paper Fig. 3 (n = 6)",
                marker=dict(symbol="x", size=12, color="black"),
            )
        )
    fig.update_layout(
        xaxis=dict(title="sample size n", dtick=1),
        yaxis=dict(title="c = C₂/C₁ at the boundary", type="log"),
        height=460,
        title="Boundaries of the phase diagram (grid midpoints; c = 1: Q¹ only at the symmetric point)",
    )
    return stamp_below(
        fig,
        _params(summary),
        "Q² lower edge at the smallest c: Q² down to the end of the grid",
        y=-0.22,
        bottom=110,
    )


def static_png(summary: dict[str, Any], st: dict[str, np.ndarray], path) -> None:
    """Stamped static PNG: the phase diagram at the smallest and the largest scale."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone

    p = summary["parameters"]
    c, ns = st["c_grid"], st["n_values"]
    cmap = ListedColormap([CELL_COLORS[k] for k in CODES])
    norm = BoundaryNorm(np.arange(-0.5, len(CODES)), cmap.N)
    scales = list(st["scales"])
    picks = sorted({0, len(scales) - 1})
    fig = Figure(figsize=(11, 4.2))
    axes = np.atleast_1d(fig.subplots(1, len(picks)))
    edges = np.concatenate(
        [[c[0] ** 1.5 / c[1] ** 0.5], np.sqrt(c[1:] * c[:-1]), [c[-1] ** 1.5 / c[-2] ** 0.5]]
    )
    yedges = np.concatenate([ns - 0.5, [ns[-1] + 0.5]])
    for ax, i in zip(axes, picks):
        im = ax.pcolormesh(edges, yedges, st["consensus"][i], cmap=cmap, norm=norm)
        ax.set(
            xscale="log", xlabel="c = C2/C1", ylabel="n", yticks=ns, title=f"set reached, s = {scales[i]:.0e}"
        )
    cb = fig.colorbar(im, ax=list(axes), ticks=CODES)
    cb.ax.set_yticklabels([CELL_NAMES[k].replace("¹", "1").replace("²", "2") for k in CODES], fontsize=7)
    fig.text(
        0.01,
        0.01,
        f"{p['design']} inputs, {p['seeds']} seeds per cell, {p['c_points']} ratios in "
        f"[{p['c_min']:g}, {p['c_max']:g}], horizon={p['t_max']:g}, rtol={p['rtol']:g}; code "
        f"{summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    static_png(summary, arrays, path)
