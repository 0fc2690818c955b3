"""Plots of the sample-size thresholds (plotly for the book, with plotly's own slider over n; a stamped PNG).

Inputs are the summary of :func:`recovery.figures.thresholds.summarize` and the stacked arrays of
:func:`recovery.figures.thresholds.compute` (``(designs, n, seeds)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core.outcomes import OUTCOME_KEYS, OUTCOME_NAMES, Outcome
from ..core.theory import Q1, Q2
from . import common as plots

OUTCOME_COLORS = {  # the paper's Figure 3 colours for the two branches (blue Q¹, orange Q²)
    Outcome.RECOVERED_Q1: plots.SET_COLORS[Q1],
    Outcome.RECOVERED_Q2: plots.SET_COLORS[Q2],
    Outcome.RECOVERED_OTHER: "#2ca02c",
    Outcome.NEAR_MISS: "#d62728",
    Outcome.SPURIOUS: "#9467bd",
    Outcome.NOT_INTERPOLATING: "#7f7f7f",
}
DESIGN_TITLES = {
    "even": "evenly spaced inputs on [−2, 2]",
    "gaussian": "Gaussian inputs (new data per trial)",
}
ERROR_FLOOR = 1e-32  # errors are drawn no lower than this on log axes


def stamp_below(
    fig: go.Figure, params: dict[str, Any], extra: str = "", y: float = -0.3, bottom: int = 170
) -> go.Figure:
    """:func:`recovery.plots.stamp` with the provenance line moved to ``y`` (below axis titles, sliders)."""
    plots.stamp(fig, params, extra)
    fig.layout.annotations[-1].update(y=y, yshift=0)
    fig.update_layout(margin=dict(b=bottom))
    return fig


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {"s": p["init_scale"], "inits": p["seeds"], "horizon": p["t_max"], "rtol": p["rtol"]}


def _vlines(fig: go.Figure, summary: dict[str, Any], design: str, col: int) -> None:
    """Dotted vertical lines at the optimistic (computed) and the separation (measured) sample size."""
    opt = summary["optimistic_sample_size"][design]
    sep = summary["separation_sample_size"][design]
    fig.add_vline(
        x=opt,
        line=dict(color="#555", dash="dot", width=1),
        row=1,
        col=col,
        annotation_text=f"optimistic {opt}",
        annotation_position="top left",
        annotation_font_size=10,
    )
    if sep is not None:
        fig.add_vline(
            x=sep,
            line=dict(color="#000", dash="dash", width=1),
            row=1,
            col=col,
            annotation_text=f"separation {sep}",
            annotation_position="bottom right",
            annotation_font_size=10,
        )


def fraction_vs_n(summary: dict[str, Any]) -> go.Figure:
    """Fraction recovered exactly against n with 95 % Wilson intervals, per design; recovered exactly at Q¹ / Q²
    and the fraction that passes the paper's threshold (near misses included).
    """
    designs = list(summary["per_n"])
    fig = make_subplots(
        rows=1, cols=len(designs), subplot_titles=[DESIGN_TITLES[d] for d in designs], shared_yaxes=True
    )
    series = (
        ("recovered_exact", "recovered exactly (our rule)", "#000000", "solid", 2.5),
        ("recovered_Q2", "recovered exactly at Q²", OUTCOME_COLORS[Outcome.RECOVERED_Q2], "dash", 1.5),
        ("recovered_Q1", "recovered exactly at Q¹", OUTCOME_COLORS[Outcome.RECOVERED_Q1], "dash", 1.5),
        (
            "passes_threshold",
            "passes the paper's threshold, error < 1e-8 (near misses included)",
            "#d62728",
            "dot",
            1.5,
        ),
    )
    for c, d in enumerate(designs, start=1):
        rows = summary["per_n"][d]
        n = [r["n"] for r in rows]
        for key, name, color, dash, width in series:
            f = np.array([r[key]["fraction"] for r in rows])
            lo = np.array([r[key]["ci95"][0] for r in rows])
            hi = np.array([r[key]["ci95"][1] for r in rows])
            fig.add_trace(
                go.Scatter(
                    x=n,
                    y=f,
                    mode="lines+markers",
                    name=name,
                    legendgroup=key,
                    showlegend=c == 1,
                    line=dict(color=color, dash=dash, width=width),
                    marker=dict(size=6),
                    error_y=dict(
                        type="data",
                        symmetric=False,
                        array=np.maximum(hi - f, 0),
                        arrayminus=np.maximum(f - lo, 0),
                        width=3,
                        thickness=1,
                    ),
                    customdata=np.stack([[r[key]["count"] for r in rows], lo, hi], -1),
                    hovertemplate="n=%{x}: %{y:.3f} (%{customdata[0]} trials), 95% CI [%{customdata[1]:.3f}, "
                    "%{customdata[2]:.3f}]<extra>" + name + "</extra>",
                ),
                row=1,
                col=c,
            )
        _vlines(fig, summary, d, c)
        fig.update_xaxes(title_text="sample size n", dtick=1, row=1, col=c)
    fig.update_yaxes(title_text="fraction of initializations", range=[-0.03, 1.05], row=1, col=1)
    fig.update_layout(
        height=500,
        legend=dict(orientation="h", y=-0.22),
        title="Exact recovery from random small initializations against the sample size",
    )
    return stamp_below(fig, _params(summary), "error bars: 95 % Wilson intervals", y=-0.36)


def outcome_bars(summary: dict[str, Any]) -> go.Figure:
    """Stacked fractions of every outcome against n, per design."""
    designs = list(summary["per_n"])
    fig = make_subplots(
        rows=1, cols=len(designs), subplot_titles=[DESIGN_TITLES[d] for d in designs], shared_yaxes=True
    )
    for c, d in enumerate(designs, start=1):
        rows = summary["per_n"][d]
        n = [r["n"] for r in rows]
        for code, key in OUTCOME_KEYS.items():
            fig.add_trace(
                go.Bar(
                    x=n,
                    y=[r[key]["fraction"] for r in rows],
                    name=OUTCOME_NAMES[code],
                    legendgroup=key,
                    showlegend=c == 1,
                    marker_color=OUTCOME_COLORS[code],
                    customdata=[r[key]["count"] for r in rows],
                    hovertemplate="n=%{x}: %{y:.3f} (%{customdata} trials)<extra>"
                    + OUTCOME_NAMES[code]
                    + "</extra>",
                ),
                row=1,
                col=c,
            )
        fig.update_xaxes(title_text="sample size n", dtick=1, row=1, col=c)
    fig.update_yaxes(title_text="fraction of initializations", row=1, col=1)
    fig.update_layout(
        barmode="stack", height=500, legend=dict(orientation="h", y=-0.22), title="What the runs converge to"
    )
    return stamp_below(fig, _params(summary), y=-0.5, bottom=190)


def error_vs_ratio_slider(
    summary: dict[str, Any], st: dict[str, np.ndarray], start_n: int | None = None
) -> go.Figure:
    """Slider over n: every trial's generalization error against its |C₁/C₂|, coloured by outcome, per design.

    Dashed line: the paper's threshold; dotted: the strict (round-off) threshold of our rule.
    """
    designs = [str(d) for d in st["designs"]]
    ns = [int(n) for n in st["n_values"]]
    p = summary["parameters"]
    fig = make_subplots(
        rows=1, cols=len(designs), subplot_titles=[DESIGN_TITLES[d] for d in designs], shared_yaxes=True
    )
    start_n = start_n if start_n in ns else ns[0]
    owner: list[int] = []
    seeds = st["seeds"]
    for j, n in enumerate(ns):
        for c, _d in enumerate(designs, start=1):
            o = st["outcome"][c - 1, j]
            for code in Outcome:
                sel = o == code
                if not sel.any():
                    continue
                ge = np.maximum(st["gen_error"][c - 1, j][sel], ERROR_FLOOR)
                fig.add_trace(
                    go.Scatter(
                        x=st["ratio"][c - 1, j][sel],
                        y=ge,
                        mode="markers",
                        name=OUTCOME_NAMES[code],
                        legendgroup=str(int(code)),
                        showlegend=c == 1,
                        visible=n == start_n,
                        marker=dict(size=5, color=OUTCOME_COLORS[code]),
                        customdata=seeds[sel],
                        hovertemplate="seed %{customdata}: |C₁/C₂|=%{x:.4g}, error %{y:.2e}<extra>"
                        + OUTCOME_NAMES[code]
                        + "</extra>",
                    ),
                    row=1,
                    col=c,
                )
                owner.append(j)
    for c in range(1, len(designs) + 1):
        fig.add_hline(y=p["threshold"], line=dict(color="#000", dash="dash", width=1), row=1, col=c)
        fig.add_hline(y=p["strict_threshold"], line=dict(color="#000", dash="dot", width=1), row=1, col=c)
        fig.update_xaxes(type="log", title_text="|C₁/C₂| at initialization", row=1, col=c)
    fig.update_yaxes(type="log", range=[-32.5, 1], exponentformat="power")
    fig.update_yaxes(title_text="generalization error at the horizon", row=1, col=1)
    owner_a = np.array(owner)
    steps = []
    for j, n in enumerate(ns):
        steps.append(dict(method="update", label=str(n), args=[{"visible": list(owner_a == j)}]))
    fig.update_layout(
        sliders=[
            dict(
                active=ns.index(start_n),
                currentvalue=dict(prefix="sample size n = "),
                steps=steps,
                pad=dict(t=60),
            )
        ],
        height=560,
        title="Every trial: error against |C₁/C₂|",
    )
    return stamp_below(
        fig, _params(summary), "dashed: threshold 1e-8, dotted: strict threshold", y=-0.62, bottom=230
    )


def fraction_below_eps(summary: dict[str, Any]) -> go.Figure:
    """Fraction of initializations whose error is below ε, against ε, per n and design (log–log); the power
    law fitted at the optimistic size (dashed) shows that this fraction vanishes as ε → 0 there.
    """
    designs = list(summary["fraction_below_eps"])
    fig = make_subplots(
        rows=1, cols=len(designs), subplot_titles=[DESIGN_TITLES[d] for d in designs], shared_yaxes=True
    )
    palette = [
        "#8c564b",
        "#e377c2",
        "#17becf",
        "#bcbd22",
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#7f7f7f",
    ]
    for c, d in enumerate(designs, start=1):
        fb = summary["fraction_below_eps"][d]
        eps = np.array(fb["eps"])
        keys = [k for k in fb if k.startswith("n=")]
        for i, k in enumerate(keys):
            f = np.array(fb[k], float)
            y = np.where(f > 0, f, np.nan)
            fig.add_trace(
                go.Scatter(
                    x=eps,
                    y=y,
                    mode="lines+markers",
                    name=k,
                    legendgroup=k,
                    showlegend=c == 1,
                    line=dict(color=palette[i % len(palette)]),
                    marker=dict(size=4),
                    hovertemplate="ε=%{x:.0e}: %{y:.3f}<extra>" + k + "</extra>",
                ),
                row=1,
                col=c,
            )
        zm = summary["zero_measure_at_optimistic_size"].get(d)
        opt = summary["optimistic_sample_size"][d]
        if zm and np.isfinite(zm["exponent"]) and f"n={opt}" in fb:
            f0 = np.interp(np.log10(zm["eps0"]), np.log10(eps[::-1]), np.array(fb[f"n={opt}"])[::-1])
            e = eps[eps <= zm["eps0"]]
            e = e[f0 * (e / zm["eps0"]) ** zm["exponent"] >= 0.5 / summary["parameters"]["seeds"]]
            fig.add_trace(
                go.Scatter(
                    x=e,
                    y=f0 * (e / zm["eps0"]) ** zm["exponent"],
                    mode="lines",
                    name=f"fit ∝ ε^p at n={opt}",
                    legendgroup="fit",
                    showlegend=c == 1,
                    line=dict(color="#000", dash="dash", width=1),
                    hovertemplate=f"p = {zm['exponent']:.2f} ± {zm['stderr']:.2f}<extra></extra>",
                ),
                row=1,
                col=c,
            )
        fig.add_vline(
            x=summary["parameters"]["threshold"], line=dict(color="#555", dash="dot", width=1), row=1, col=c
        )
        fig.update_xaxes(
            type="log",
            autorange="reversed",
            title_text="threshold ε on the generalization error",
            exponentformat="power",
            row=1,
            col=c,
        )
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="fraction with error < ε", row=1, col=1)
    fig.update_layout(
        height=500,
        legend=dict(orientation="h", y=-0.22),
        title="Zero versus positive measure: the fraction below ε as ε → 0",
    )
    return stamp_below(fig, _params(summary), "dotted: the paper's threshold 1e-8", y=-0.36)


def static_png(summary: dict[str, Any], st: dict[str, np.ndarray], path) -> None:
    """Stamped static PNG: fraction recovered exactly against n (Wilson intervals) and the fraction below ε."""
    from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone

    p = summary["parameters"]
    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    for d, style in zip(summary["per_n"], ("o-", "s--")):
        rows = summary["per_n"][d]
        n = np.array([r["n"] for r in rows])
        f = np.array([r["recovered_exact"]["fraction"] for r in rows])
        ci = np.array([r["recovered_exact"]["ci95"] for r in rows])
        ax1.errorbar(
            n,
            f,
            yerr=[np.maximum(f - ci[:, 0], 0), np.maximum(ci[:, 1] - f, 0)],
            fmt=style,
            capsize=3,
            ms=4,
            label=f"{d} (separation {summary['separation_sample_size'][d]})",
        )
    opt = next(iter(summary["optimistic_sample_size"].values()))
    ax1.axvline(opt, color="#555", ls=":", lw=0.8)
    ax1.set(
        xlabel="sample size n",
        ylabel="fraction recovered exactly",
        ylim=(-0.05, 1.05),
        title=f"Exact recovery from {p['seeds']} random inits (optimistic size {opt})",
    )
    ax1.legend(fontsize=7)
    d0 = next(iter(summary["fraction_below_eps"]))
    fb = summary["fraction_below_eps"][d0]
    for k in (k for k in fb if k.startswith("n=")):
        f = np.array(fb[k], float)
        ax2.plot(fb["eps"], np.where(f > 0, f, np.nan), ".-", ms=3, label=k)
    ax2.axvline(p["threshold"], color="#555", ls=":", lw=0.8)
    ax2.set(
        xscale="log",
        yscale="log",
        xlabel="threshold ε",
        ylabel="fraction with error < ε",
        title=f"Fraction below ε ({d0} inputs)",
    )
    ax2.invert_xaxis()
    ax2.legend(fontsize=7)
    fig.text(
        0.01,
        0.01,
        f"designs {p['designs']}, s={p['init_scale']:g}, {p['seeds']} inits per cell, "
        f"horizon={p['t_max']:g}, rtol={p['rtol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    static_png(summary, arrays, path)
