"""Plots of the Table 1 page: the Hessian spectrum at one generic point of each branch and the separation counts,
with a slider over the sample size n (plotly, static HTML), and a static PNG for the CLI."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core.minima import BRANCH_DIM
from .common import stamp
from .hessian import BRANCH_COLORS, BRANCH_LABELS, BRANCH_SYMBOLS

FLOOR = 1e-18  # exact zeros are drawn here on the log axis
DESIGN_SHORT = {"even": "even", "gaussian": "Gaussian"}


def _first(arrays: dict[str, np.ndarray], branch: str) -> int:
    return int(np.flatnonzero(arrays["geo_branch"] == branch)[0])


def _datasets(arrays: dict[str, np.ndarray]) -> list[tuple[int, str]]:
    """(row, label) of the first training set of each design."""
    out, seen = [], set()
    for di, (d, s) in enumerate(zip(arrays["geo_dataset_design"], arrays["geo_dataset_seed"])):
        if d not in seen:
            seen.add(str(d))
            out.append((di, "even" if d == "even" else f"Gaussian (data seed {int(s)})"))
    return out


def _step_title(summary: dict[str, Any], n: int) -> str:
    parts = []
    for r in summary["rows"]:
        sep = [
            f"{DESIGN_SHORT.get(d, d)} {'separated' if r['separated'][d][str(n)] else 'not separated'}"
            for d in r["separated"]
        ]
        parts.append(f"{BRANCH_LABELS[r['branch']]}: " + ", ".join(sep))
    return f"n = {n}: " + "; ".join(parts)


def separation_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Left: |eigenvalues| of the training Hessian at the first sampled point of Q¹ and of Q², for the first training
    set of each design (crosses at the bottom: numerically zero). Right: per branch and design, the number of zero
    eigenvalues, kernel directions leaving the branch and second-order constraints on them (largest over points and
    data sets), with the branch's dimension; the label says whether the branch is separated. Slider over n."""
    p = summary["parameters"]
    rtol = p["zero_rtol"]
    ns = [int(n) for n in arrays["n_values"]]
    sets = _datasets(arrays)
    designs = [d for d in p["designs"]]
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.5, 0.5],
        horizontal_spacing=0.1,
        subplot_titles=(
            "Hessian spectrum at one generic point per branch",
            "counts behind the separation test",
        ),
    )
    dash = {0: "solid", 1: "dot"}
    per_step = 0
    for ni, n in enumerate(ns):
        count = 0
        for j, (di, label) in enumerate(sets):
            for b in ("Q1", "Q2"):
                pi = _first(arrays, b)
                ev = np.abs(arrays["geo_spectra"][di, ni, pi])
                zero = ev <= rtol * ev.max()
                x = np.arange(1, len(ev) + 1) + (0.08 if j else -0.08) + (0.02 if b == "Q2" else -0.02)
                fig.add_trace(
                    go.Scatter(
                        x=x,
                        y=np.maximum(ev, FLOOR),
                        mode="markers+lines",
                        visible=ni == len(ns) - 1,
                        name=f"{BRANCH_LABELS[b]}, {label}",
                        legendgroup=f"{b}{j}",
                        line=dict(color=BRANCH_COLORS[b], width=1, dash=dash.get(j, "dash")),
                        marker=dict(
                            symbol=[
                                "x" if z else BRANCH_SYMBOLS[b] + ("" if j == 0 else "-open") for z in zero
                            ],
                            size=[12 if z else 8 for z in zero],
                            color=BRANCH_COLORS[b],
                        ),
                        text=[
                            f"|λ{k + 1}| = {v:.2e}" + (" (zero)" if z else "")
                            for k, (v, z) in enumerate(zip(ev, zero))
                        ],
                        hovertemplate="%{text}<extra>" + f"{BRANCH_LABELS[b]}, {label}" + "</extra>",
                    ),
                    1,
                    1,
                )
                count += 1
        cats, zc, leave, cons, dims, text = [], [], [], [], [], []
        for r in summary["rows"]:
            b = r["branch"]
            sel = arrays["geo_branch"] == b
            for d in designs:
                di = arrays["geo_dataset_design"] == d
                cats.append(f"{BRANCH_LABELS[b]} {DESIGN_SHORT.get(d, d)}")
                zc.append(int(arrays["geo_so_zero"][di][:, ni][:, sel].max()))
                leave.append(int(arrays["geo_so_leaving"][di][:, ni][:, sel].max()))
                cons.append(int(arrays["geo_so_constraints"][di][:, ni][:, sel].min()))
                dims.append(BRANCH_DIM[b])
                text.append("separated" if r["separated"][d][str(n)] else "not separated")
        for name, vals, color in (
            ("zero eigenvalues", zc, "#7f7f7f"),
            ("directions leaving the branch", leave, "#ff7f0e"),
            ("second-order constraints (n − rank J)", cons, "#2ca02c"),
            ("dimension of the branch", dims, "#9467bd"),
        ):
            fig.add_trace(
                go.Bar(
                    x=cats,
                    y=vals,
                    name=name,
                    marker_color=color,
                    visible=ni == len(ns) - 1,
                    legendgroup=name,
                    showlegend=True,
                    text=text if name == "dimension of the branch" else None,
                    textposition="outside",
                    hovertemplate="%{x}: %{y}<extra>" + name + "</extra>",
                ),
                1,
                2,
            )
            count += 1
        per_step = count
    fig.add_trace(
        go.Scatter(
            x=[0.5, arrays["geo_spectra"].shape[-1] + 0.5],
            y=[rtol, rtol],
            mode="lines",
            hoverinfo="skip",
            line=dict(color="#888", dash="dash", width=1),
            name=f"zero threshold (zero_rtol = {rtol:g} × max)",
        ),
        1,
        1,
    )
    fixed = 1
    steps = []
    for ni, n in enumerate(ns):
        vis = [False] * (len(ns) * per_step) + [True] * fixed
        vis[ni * per_step : (ni + 1) * per_step] = [True] * per_step
        steps.append(
            dict(method="update", label=str(n), args=[{"visible": vis}, {"title": _step_title(summary, n)}])
        )
    fig.update_xaxes(title_text="eigenvalue index (ascending)", dtick=1, row=1, col=1)
    fig.update_yaxes(
        type="log", range=[-18.5, 1.5], exponentformat="power", title_text="|eigenvalue|", row=1, col=1
    )
    fig.update_yaxes(title_text="count", range=[0, 6.5], dtick=1, row=1, col=2)
    fig.update_layout(
        barmode="group",
        sliders=[
            dict(
                active=len(ns) - 1, steps=steps, currentvalue=dict(prefix="sample size n = "), pad=dict(t=95)
            )
        ],
        title=_step_title(summary, ns[-1]),
        title_font=dict(size=12),
        height=620,
        legend=dict(font=dict(size=10)),
    )
    stamp(
        fig,
        {
            "points/branch": p["points_per_branch"],
            "point_seed": p["point_seed"],
            "zero_rtol": rtol,
            "sep_tol": p["sep_tol"],
            "gaussian_seeds": "/".join(map(str, p["gaussian_seeds"])),
        },
        "crosses: numerically zero eigenvalues, drawn at 1e-18 if exactly 0",
        below_px=170,
    )
    return fig


def table1_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """PNG for the CLI: the table as text and the separation margin of each branch against n."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.8))
    ax1, ax2 = fig.subplots(1, 2)
    ns = [int(n) for n in arrays["n_values"]]
    for r in summary["rows"]:
        for d, mk in zip(r["margin_min"], ("o", "s")):
            m = [r["margin_min"][d][str(n)] for n in ns]
            y = [1.0 if v is None else max(v, 1e-18) for v in m]
            ax2.semilogy(
                ns, y, mk + "-", color=BRANCH_COLORS[r["branch"]], label=f"{BRANCH_LABELS[r['branch']]} {d}"
            )
    ax2.axhline(summary["parameters"]["sep_tol"], color="grey", ls="--", lw=1)
    ax2.set_xlabel("sample size n")
    ax2.set_ylabel("second-order margin (1 drawn where no direction leaves)")
    ax2.set_title("separated where the margin is above the dashed line")
    ax2.legend(fontsize=7)
    ax1.axis("off")
    lines = [
        f"Table 1 (reconstructed), Example 1, P = {summary['rows'][0]['parameters']}",
        f"optimistic sample size (min model rank): {summary['optimistic_sample_size']}",
    ]
    for r in summary["rows"]:
        lines.append(
            f"{r['branch']}: dim {r['branch_dimension']}, model rank {'/'.join(map(str, r['model_rank']))}, "
            "separation n " + ", ".join(f"{d} {r['separation_n'][d]}" for d in r["separation_n"])
        )
        if r["rate"]:
            lines.append(f"    convergence: {r['rate']['type']}")
    ax1.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=9)
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        f"points/branch={p['points_per_branch']}, gaussian_seeds={p['gaussian_seeds']}, "
        f"zero_rtol={p['zero_rtol']:g}, sep_tol={p['sep_tol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    table1_static(summary, arrays, path)
