"""Plots of Figure 7 (reconstructed; Figure 2 with Gaussian inputs): loss curves before and after the Theorem-1
shift with a slider over the data set, and the log-loss gap against the scale for every data set."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import stamp
from .fig2 import COLORS

STRIDE = 4  # the curves are drawn at every 4th checkpoint (the gaps are measured on all of them)


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {
        "n": p["n_samples"],
        "design": "gaussian",
        "C2/C1": p["c_ratio"],
        "horizon": p["t_max"],
        "rtol": p["rtol"],
    }


def _curve(arrays: dict[str, np.ndarray], d: int, i: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Trial i of data set d up to its final time, every STRIDE-th checkpoint, time shifted by −``shift``."""
    t = arrays["times"][d]
    e = int(np.searchsorted(t, arrays["final_time"][d, i], side="right"))
    idx = np.unique(np.concatenate([np.arange(0, e, STRIDE), [e - 1]]))
    x, y = t[idx] - shift, arrays["loss_traj"][d, i, idx]
    ok = x > 0
    return x[ok], y[ok]


def data_set_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Figure 2 on one Gaussian data set per slider step: loss against t (left) and against t − lag (right).
    Plotly's slider toggles precomputed traces, so it works in static HTML."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("before the shift (against t)", "after the shift (against t − lag)"),
        horizontal_spacing=0.08,
    )
    rows = summary["per_data_seed"]
    groups = []
    for d, _row in enumerate(rows):
        start = len(fig.data)
        for i, s in enumerate(arrays["scales"][d]):
            c = COLORS[i % len(COLORS)]
            name = f"seed {int(arrays['seeds'][d, i])}, s = {s:.0e}"
            lag = float(arrays["lag"][d, i])
            x, y = _curve(arrays, d, i, 0.0)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    line=dict(color=c),
                    name=name,
                    legendgroup=name,
                    visible=d == 0,
                    hovertemplate="t=%{x:.3g}<br>loss=%{y:.3e}<extra>" + name + "</extra>",
                ),
                1,
                1,
            )
            x, y = _curve(arrays, d, i, lag)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    line=dict(color=c, dash="dot" if i % 2 else "solid"),
                    name=name,
                    legendgroup=name,
                    showlegend=False,
                    visible=d == 0,
                    hovertemplate=f"lag={lag:.3f}<br>"
                    + "t−lag=%{x:.3g}<br>loss=%{y:.3e}<extra>"
                    + name
                    + "</extra>",
                ),
                1,
                2,
            )
        groups.append(range(start, len(fig.data)))
    steps = []
    for d, row in enumerate(rows):
        vis = [False] * len(fig.data)
        for k in groups[d]:
            vis[k] = True
        title = (
            f"data set {row['data_seed']} (inputs in [{min(row['train_x']):.2f}, {max(row['train_x']):.2f}]): "
            f"aligned gap ≤ {row['max_aligned_gap']:.1e}, unaligned ≥ {row['min_unaligned_gap']:.2f} decades; "
            f"reached {'/'.join(sorted(set(row['reached_set'])))}"
        )
        steps.append(
            dict(method="update", label=str(row["data_seed"]), args=[{"visible": vis}, {"title.text": title}])
        )
    for col in (1, 2):
        fig.update_xaxes(
            type="log",
            title_text="t" if col == 1 else "t − lag (time of the reference run)",
            row=1,
            col=col,
            exponentformat="power",
        )
        fig.update_yaxes(type="log", title_text="loss ℓ", row=1, col=col, exponentformat="power")
    fig.update_layout(
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="data set (seed): "), pad=dict(t=60))],
        title=steps[0]["args"][1]["title.text"],
        title_font=dict(size=13),
        height=560,
        legend=dict(font=dict(size=10)),
    )
    return stamp(fig, _params(summary), "curves drawn at every 4th checkpoint", below_px=150)


def gap_vs_scale(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Largest log-loss gap against the scale, every data set: the one-seed scan (line), the five trials after
    (dots) and before (crosses) the shift."""
    fig = go.Figure()
    ss = arrays["scan_scales"][0]
    for d, row in enumerate(summary["per_data_seed"]):
        c = COLORS[d % len(COLORS)]
        lab = f"data set {row['data_seed']}"
        s = arrays["scales"][d, :-1]
        fig.add_trace(
            go.Scatter(
                x=ss,
                y=arrays["scan_aligned_gap"][d],
                mode="lines+markers",
                line=dict(color=c),
                marker=dict(size=5),
                legendgroup=lab,
                name=f"{lab}: seed {summary['parameters']['scan_seed']}, aligned "
                f"(slope {row['scan_slope']:.2f})",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=s,
                y=arrays["aligned_gap"][d, :-1],
                mode="markers",
                legendgroup=lab,
                marker=dict(size=10, color=c, line=dict(color="black", width=1)),
                name=f"{lab}: five trials, aligned",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=s,
                y=arrays["unaligned_gap"][d, :-1],
                mode="markers",
                legendgroup=lab,
                marker=dict(symbol="x", size=8, color=c),
                name=f"{lab}: five trials, unaligned",
            )
        )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        xaxis_title="initialization scale s",
        yaxis_title="largest |Δ log10 ℓ| over the window",
        height=520,
        yaxis_exponentformat="power",
        xaxis_exponentformat="power",
        legend=dict(font=dict(size=9)),
        title="On every data set the aligned gap shrinks like s down to a numerical floor",
    )
    return stamp(fig, _params(summary))


def fig7_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static PNG: shifted curves of every data set, the gap against the scale; stamped with the parameters."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4.5))
    ax1, ax2 = fig.subplots(1, 2)
    rows = summary["per_data_seed"]
    for d, row in enumerate(rows):
        c = COLORS[d % len(COLORS)]
        for i in range(arrays["scales"].shape[1]):
            x, y = _curve(arrays, d, i, float(arrays["lag"][d, i]))
            ax1.plot(
                x,
                y,
                color=c,
                lw=1,
                ls=":" if i % 2 else "-",
                label=f"data set {row['data_seed']}" if i == 0 else None,
            )
        ax2.loglog(
            arrays["scan_scales"][d],
            arrays["scan_aligned_gap"][d],
            ".-",
            color=c,
            label=f"data set {row['data_seed']}: scan, slope {row['scan_slope']:.2f}",
        )
        ax2.loglog(arrays["scales"][d, :-1], arrays["aligned_gap"][d, :-1], "o", color=c)
        ax2.loglog(arrays["scales"][d, :-1], arrays["unaligned_gap"][d, :-1], "x", color=c)
    ax1.set(
        xscale="log",
        yscale="log",
        xlabel="t - lag (reference run's time)",
        ylabel="loss",
        title="five trials per data set after the Theorem-1 shift",
    )
    ax1.legend(fontsize=7)
    ax2.set(
        xlabel="initialization scale s",
        ylabel="largest |delta log10 loss|",
        title="gap: scan (line), trials aligned (o) / unaligned (x)",
    )
    ax2.legend(fontsize=7)
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        f"reconstructed; Gaussian n={p['n_samples']}, data seeds={list(p['data_seeds'])}, "
        f"C2/C1={p['c_ratio']:g}, scales={list(p['scales'])}, horizon={p['t_max']:g}, rtol={p['rtol']:g}; "
        f"code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    fig7_static(summary, arrays, path)
