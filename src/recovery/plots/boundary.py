"""Drawing for the page `boundary` (reads its summary; never runs a simulation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import stamp

RULE_STYLE = {"strict": dict(color="#2ca02c", dash="solid"), "forced": dict(color="#9467bd", dash="dot")}
RULE_NAME = {
    "strict": "nearer branch with margin (unresolved allowed)",
    "forced": "nearer branch (every run labelled)",
}


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {"n": p["n_samples"], "s_min": min(p["scales"]), "t_max": p["t_max"], "rtol": p["rtol"]}


def edge_vs_horizon(summary: dict[str, Any]) -> go.Figure:
    """The measured edges against the horizon t at the smallest scale, both rules (error bars: bracket
    half-width), with the paper's lines (dashed) and the limit (shaded band: ± its uncertainty)."""
    t = np.array(summary["horizons"])
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("edge below 1 (Q² → Q¹)", "edge above 1 (Q¹ → Q²)"),
        horizontal_spacing=0.12,
    )
    for c, side in enumerate(("low", "high"), start=1):
        lim = summary[f"boundary_{side}"]
        fig.add_hrect(
            y0=lim["value"] - lim["uncertainty"],
            y1=lim["value"] + lim["uncertainty"],
            row=1,
            col=c,
            fillcolor="#2ca02c",
            opacity=0.25,
            line_width=0,
        )
        for rule in ("strict", "forced"):
            y = np.array(summary["edge_vs_horizon"][f"{rule}_{side}"])
            e = np.array(summary["edge_vs_horizon_half_width"][f"{rule}_{side}"])
            fig.add_trace(
                go.Scatter(
                    x=t,
                    y=y,
                    error_y=dict(type="data", array=e, visible=True),
                    mode="lines+markers",
                    name=RULE_NAME[rule],
                    legendgroup=rule,
                    showlegend=c == 1,
                    line=RULE_STYLE[rule],
                ),
                row=1,
                col=c,
            )
        paper = summary[f"paper_threshold_{side}"]
        fig.add_trace(
            go.Scatter(
                x=[t[0], t[-1]],
                y=[paper, paper],
                mode="lines",
                name="paper's line (Figure 3)",
                legendgroup="paper",
                showlegend=c == 1,
                line=dict(color="black", dash="dash"),
            ),
            row=1,
            col=c,
        )
        fig.update_xaxes(type="log", title_text="horizon t (gradient-flow time)", row=1, col=c)
    fig.update_yaxes(title_text="|C₁/C₂| at the edge", row=1, col=1)
    fig.update_yaxes(range=[0.68, 0.82], row=1, col=1)
    fig.update_yaxes(range=[1.22, 1.46], row=1, col=2)
    fig.update_layout(height=470, legend=dict(orientation="h", y=-0.28, x=0), margin=dict(t=40))
    return stamp(fig, _params(summary), below_px=130)


def edge_vs_scale(summary: dict[str, Any]) -> go.Figure:
    """The edges at the longest horizon against the initialization scale (strict rule)."""
    rows = summary["edge_vs_scale"]
    s = [r["scale"] for r in rows]
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("edge below 1", "edge above 1"), horizontal_spacing=0.12
    )
    for c, side in enumerate(("low", "high"), start=1):
        lim = summary[f"boundary_{side}"]
        fig.add_trace(
            go.Scatter(
                x=s,
                y=[r[f"strict_{side}"] for r in rows],
                mode="lines+markers",
                name="measured edge",
                showlegend=c == 1,
                line=RULE_STYLE["strict"],
            ),
            row=1,
            col=c,
        )
        fig.add_hrect(
            y0=lim["value"] - lim["uncertainty"],
            y1=lim["value"] + lim["uncertainty"],
            row=1,
            col=c,
            fillcolor="#2ca02c",
            opacity=0.25,
            line_width=0,
        )
        fig.update_xaxes(type="log", title_text="initialization scale s = ‖C(θ₀)‖", row=1, col=c)
    fig.update_yaxes(title_text=f"|C₁/C₂| at t = {summary['edge_vs_scale_horizon']:.0e}", row=1, col=1)
    fig.update_layout(height=380, margin=dict(t=40))
    return stamp(fig, _params(summary))


def gd_edges(summary: dict[str, Any]) -> go.Figure:
    """Gradient descent: the edge (nearer branch, every run labelled) against η·E, one curve per learning rate η,
    next to gradient flow's edge against t (same rule) and the paper's lines."""
    rows = summary["gradient_descent"]
    lrs = sorted({r["learning_rate"] for r in rows})
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("edge below 1", "edge above 1"), horizontal_spacing=0.12
    )
    t = np.array(summary["horizons"])
    colours = ["#1f77b4", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
    for c, side in enumerate(("low", "high"), start=1):
        fig.add_trace(
            go.Scatter(
                x=t,
                y=summary["edge_vs_horizon"][f"forced_{side}"],
                mode="lines",
                name="gradient flow, against t",
                showlegend=c == 1,
                line=dict(color="black", width=1),
            ),
            row=1,
            col=c,
        )
        for i, lr in enumerate(lrs):
            sel = [r for r in rows if r["learning_rate"] == lr]
            fig.add_trace(
                go.Scatter(
                    x=[r["flow_time"] for r in sel],
                    y=[r[f"forced_{side}"] for r in sel],
                    mode="markers+lines",
                    name=f"GD, η = {lr:g}",
                    showlegend=c == 1,
                    marker=dict(size=8, color=colours[i % len(colours)]),
                    line=dict(color=colours[i % len(colours)], dash="dot"),
                ),
                row=1,
                col=c,
            )
        paper = summary[f"paper_threshold_{side}"]
        fig.add_hline(y=paper, line=dict(color="black", dash="dash"), row=1, col=c)
        fig.update_xaxes(type="log", title_text="η × epochs (GD) or t (flow)", row=1, col=c)
    fig.update_yaxes(title_text="|C₁/C₂| at the edge", row=1, col=1)
    fig.update_layout(height=480, legend=dict(orientation="h", y=-0.3, x=0), margin=dict(t=40))
    p = summary["parameters"]
    return stamp(fig, {"n": p["n_samples"], "s": p["gd_scale"]}, "dashed: the paper's lines", below_px=150)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4))
    axes = fig.subplots(1, 3)
    t = np.array(summary["horizons"])
    for side, ax in zip(("low", "high"), axes[:2]):
        lim = summary[f"boundary_{side}"]
        for rule in ("strict", "forced"):
            ax.errorbar(
                t,
                summary["edge_vs_horizon"][f"{rule}_{side}"],
                yerr=summary["edge_vs_horizon_half_width"][f"{rule}_{side}"],
                marker="o",
                ms=3,
                label=rule,
                color=RULE_STYLE[rule]["color"],
            )
        ax.axhline(summary[f"paper_threshold_{side}"], color="k", ls="--", lw=0.8, label="paper")
        ax.axhspan(
            lim["value"] - lim["uncertainty"], lim["value"] + lim["uncertainty"], color="#2ca02c", alpha=0.3
        )
        ax.set(
            xscale="log",
            xlabel="horizon t",
            ylabel="|C1/C2| at the edge",
            title=f"edge {side}: limit {lim['value']:.4f} ± {lim['uncertainty']:.1e}",
        )
        ax.legend(fontsize=7)
    ax = axes[2]
    for side in ("low", "high"):
        for i, lr in enumerate(sorted({r["learning_rate"] for r in summary["gradient_descent"]})):
            sel = [r for r in summary["gradient_descent"] if r["learning_rate"] == lr]
            ax.plot(
                [r["flow_time"] for r in sel],
                [r[f"forced_{side}"] for r in sel],
                "o:",
                color=f"C{i}",
                label=f"GD η={lr:g}" if side == "low" else None,
            )
        ax.plot(
            t,
            summary["edge_vs_horizon"][f"forced_{side}"],
            "k-",
            lw=1,
            label="flow" if side == "low" else None,
        )
        ax.axhline(summary[f"paper_threshold_{side}"], color="k", ls="--", lw=0.8)
    ax.set(xscale="log", xlabel="η·epochs or t", title="gradient descent (forced rule)")
    ax.legend(fontsize=7)
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        f"n={p['n_samples']} even, s={min(p['scales']):g}..{max(p['scales']):g}, t<={p['t_max']:g}, "
        f"rtol={p['rtol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
