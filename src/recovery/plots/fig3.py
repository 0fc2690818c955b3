"""Figure 3 of arXiv:2405.13787 drawn: limit points in 3-D, |C1/C2| per seed, thresholds against the horizon."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..core.outcomes import thresholds_over_horizon
from ..core.theory import NEITHER, Q1, Q2
from .common import SET_COLORS, SET_LABELS, plain_log_labels, stamp


def weak_neuron_coordinates(theta: np.ndarray, C: np.ndarray, target_w: np.ndarray) -> np.ndarray:
    """(a, w₁, w₂) of each run's weaker neuron at initialization (smaller |C_k|), sign-flipped so that its
    final input weight points along w* (tanh is odd). ``theta: (S, ..., 2, 3)`` → ``(S, ..., 3)``."""
    S = theta.shape[0]
    k = np.argmin(np.abs(C), axis=1)
    weak = np.take_along_axis(theta, k.reshape(S, *([1] * (theta.ndim - 1))), axis=-2)[..., 0, :]
    final = weak.reshape(S, -1, weak.shape[-1])[:, -1]
    sign = np.where(final[:, 1:] @ np.asarray(target_w) >= 0, 1.0, -1.0)
    return weak * sign.reshape(S, *([1] * (weak.ndim - 1)))


def fig3_convergence_3d(
    arrays: dict[str, np.ndarray],
    target_neuron: np.ndarray,
    params: dict[str, Any],
    examples: tuple[int, int] | None = None,
) -> go.Figure:
    """Figure 3 (left) of arXiv:2405.13787: limit points of the weaker neuron, Q¹ (dashed line w = w*), Q²
    (the plane a = 0), the origin and two example trajectories (one per set)."""
    tw = np.asarray(target_neuron)[1:]
    P = weak_neuron_coordinates(arrays["final_theta"], arrays["C"], tw)
    label = arrays["label"]
    fig = go.Figure()
    span = np.linspace(min(-0.2, P[:, 1:].min() - 0.2), max(1.6, P[:, 1:].max() + 0.2), 2)
    wa, wb = np.meshgrid(span, span)
    fig.add_trace(
        go.Surface(
            x=np.zeros_like(wa),
            y=wa,
            z=wb,
            opacity=0.25,
            showscale=False,
            name="Q² (a = 0)",
            colorscale=[[0, SET_COLORS[Q2]], [1, SET_COLORS[Q2]]],
            showlegend=True,
            hoverinfo="name",
        )
    )
    a_line = np.linspace(-0.2, 1.2, 2)
    fig.add_trace(
        go.Scatter3d(
            x=a_line,
            y=[tw[0]] * 2,
            z=[tw[1]] * 2,
            mode="lines",
            name="Q¹ (w = w*)",
            line=dict(color=SET_COLORS[Q1], dash="dash", width=5),
        )
    )
    for lab in (Q1, Q2, NEITHER):
        sel = label == lab
        if sel.any():
            fig.add_trace(
                go.Scatter3d(
                    x=P[sel, 0],
                    y=P[sel, 1],
                    z=P[sel, 2],
                    mode="markers",
                    name=SET_LABELS[lab],
                    marker=dict(size=3, color=SET_COLORS[lab]),
                )
            )
    fig.add_trace(
        go.Scatter3d(
            x=[0],
            y=[0],
            z=[0],
            mode="markers",
            name="origin",
            marker=dict(size=5, color="black", symbol="diamond"),
        )
    )
    if examples is None:
        r = arrays["ratio"]
        i1 = np.flatnonzero(label == Q1)
        i2 = np.flatnonzero(label == Q2)
        examples = tuple(int(ix[np.argmin(np.abs(np.log(r[ix])))]) if ix.size else -1 for ix in (i1, i2))
    for i in examples:
        if i < 0:
            continue
        T = weak_neuron_coordinates(arrays["theta_traj"][i : i + 1], arrays["C"][i : i + 1], tw)[0]
        fig.add_trace(
            go.Scatter3d(
                x=T[:, 0],
                y=T[:, 1],
                z=T[:, 2],
                mode="lines",
                name=f"trajectory, seed {int(arrays['seeds'][i])}",
                line=dict(color=SET_COLORS[int(label[i])], width=3),
            )
        )
    fig.update_layout(
        scene=dict(xaxis_title="a (weaker neuron)", yaxis_title="w₁ (slope)", zaxis_title="w₂ (bias)"),
        title="Limit points of the weaker neuron",
        height=560,
        legend=dict(font=dict(size=10)),
    )
    return stamp(fig, params)


def fig3_ratio_scatter(
    arrays: dict[str, np.ndarray], summary: dict[str, Any], params: dict[str, Any]
) -> go.Figure:
    """Figure 3 (right): |C₁/C₂| per seed coloured by the set reached, with the paper's and our thresholds."""
    fig = go.Figure()
    ratio_traces(fig, arrays)
    x = [int(arrays["seeds"].min()), int(arrays["seeds"].max())]
    for key, dash, who in (("paper_threshold", "dash", "paper"), ("threshold", "solid", "measured")):
        for side in ("low", "high"):
            v = summary[f"{key}_{side}"]
            if np.isfinite(v):
                fig.add_trace(
                    go.Scatter(
                        x=x,
                        y=[v, v],
                        mode="lines",
                        line=dict(color="black", dash=dash, width=1),
                        name=f"{who} thresholds",
                        legendgroup=who,
                        showlegend=side == "low",
                        hovertemplate=f"{who} {side}: {v:.3f}<extra></extra>",
                    )
                )
    fig.update_layout(
        xaxis_title="seed",
        yaxis_title="|C₁/C₂|",
        yaxis_type="log",
        height=460,
        title="Which set each seed reaches, against its initial imbalance ratio",
    )
    return stamp(fig, params, f"horizon t={summary['horizon']:g}")


def ratio_traces(fig: go.Figure, arrays: dict[str, np.ndarray], visible: bool = True) -> int:
    n = 0
    for lab in (Q1, Q2, NEITHER):
        sel = arrays["label"] == lab
        fig.add_trace(
            go.Scatter(
                x=arrays["seeds"][sel],
                y=arrays["ratio"][sel],
                mode="markers",
                visible=visible,
                name=SET_LABELS[lab],
                marker=dict(size=5, color=SET_COLORS[lab]),
                legendgroup=str(lab),
            )
        )
        n += 1
    return n


def fig3_scale_slider(
    results: list[tuple[float, dict[str, np.ndarray], dict[str, Any]]], params: dict[str, Any]
) -> go.Figure:
    """Slider over the initialization scale: per-seed |C₁/C₂| coloured by the set reached at each scale.

    ``results`` holds (scale, arrays, summary) per precomputed scale; plotly's slider toggles the traces, so it
    works in static HTML.
    """
    fig = go.Figure()
    groups = []
    for j, (_scale, arrays, _) in enumerate(results):
        start = len(fig.data)
        ratio_traces(fig, arrays, visible=j == len(results) - 1)
        groups.append(range(start, len(fig.data)))
    steps = []
    for j, (scale, _, s) in enumerate(results):
        vis = [False] * len(fig.data)
        for t in groups[j]:
            vis[t] = True
        title = (
            f"init scale s = {scale:.0e}: Q¹ {s['fraction_Q1']:.1%}, Q² {s['fraction_Q2']:.1%}, "
            f"unresolved {s['fraction_neither']:.1%}; Q¹ band {s['threshold_low']:.3f} – {s['threshold_high']:.3f}"
        )
        steps.append(
            dict(method="update", label=f"{scale:.0e}", args=[{"visible": vis}, {"title.text": title}])
        )
    fig.update_layout(
        sliders=[
            dict(
                active=len(results) - 1,
                steps=steps,
                currentvalue=dict(prefix="initialization scale: "),
                pad=dict(t=50),
            )
        ],
        title=steps[-1]["args"][1]["title.text"],
        xaxis_title="seed",
        yaxis_title="|C₁/C₂|",
        yaxis_type="log",
        height=520,
        title_font=dict(size=13),
    )
    return stamp(fig, params)


def thresholds_vs_horizon(
    hz: dict[str, np.ndarray], paper: dict[str, float], params: dict[str, Any]
) -> go.Figure:
    """Measured thresholds when the limit is classified at time t, against t (the paper's values dashed)."""
    t = hz["times"]
    ok = t > 0
    fig = go.Figure()
    for side, color in (("low", "#2ca02c"), ("high", "#9467bd")):
        fig.add_trace(
            go.Scatter(
                x=t[ok],
                y=hz[f"threshold_{side}"][ok],
                mode="lines+markers",
                marker=dict(size=4),
                name=f"measured threshold_{side}",
                line=dict(color=color),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[t[ok][0], t[ok][-1]],
                y=[paper[f"threshold_{side}"]] * 2,
                mode="lines",
                name=f"paper {paper[f'threshold_{side}']}",
                line=dict(color=color, dash="dash"),
            )
        )
    fig.update_layout(
        xaxis_type="log",
        xaxis_title="classification time t (horizon)",
        yaxis_title="|C₁/C₂| threshold",
        title="The measured thresholds depend on the horizon",
        height=420,
    )
    return stamp(fig, params)


def fig3_static(
    arrays: dict[str, np.ndarray], summary: dict[str, Any], hz: dict[str, np.ndarray], path
) -> None:
    """A static PNG of Figure 3 (per-seed ratios by reached set; thresholds against the horizon), stamped."""
    from matplotlib.figure import Figure  # no pyplot: the caller's backend (e.g. a notebook's) is left alone

    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    for lab in (Q1, Q2, NEITHER):
        sel = arrays["label"] == lab
        if sel.any():
            ax1.scatter(
                arrays["seeds"][sel], arrays["ratio"][sel], s=7, color=SET_COLORS[lab], label=SET_LABELS[lab]
            )
    for side in ("low", "high"):
        ax1.axhline(summary[f"paper_threshold_{side}"], color="k", ls="--", lw=0.8)
        ax1.axhline(summary[f"threshold_{side}"], color="k", lw=0.8)
    ax1.set(
        yscale="log",
        xlabel="seed",
        ylabel="|C1/C2|",
        title="Set reached per seed (dashed: paper, solid: ours)",
    )
    ax1.legend(fontsize=7, loc="upper right")
    t = hz["times"]
    ok = t > 0
    for side, c in (("low", "#2ca02c"), ("high", "#9467bd")):
        ax2.plot(t[ok], hz[f"threshold_{side}"][ok], ".-", color=c, ms=3, label=f"measured {side}")
        ax2.axhline(summary[f"paper_threshold_{side}"], color=c, ls="--", lw=0.8, label=f"paper {side}")
    ax2.set(
        xscale="log",
        xlabel="classification time t",
        ylabel="|C1/C2| threshold",
        title="Thresholds depend on the horizon",
    )
    ax2.legend(fontsize=7)
    plain_log_labels(ax1.yaxis, ax2.xaxis)
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        f"n={p['n_samples']} {p['design']}, s={p['init_scale']:g}, seeds={p['seeds']}, "
        f"horizon={p['t_max']:g}, rtol={p['rtol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.subplots_adjust(left=0.06, right=0.985, bottom=0.17, top=0.92, wspace=0.2)  # fixed: no layout pass
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    fig3_static(arrays, summary, thresholds_over_horizon(arrays), path)
