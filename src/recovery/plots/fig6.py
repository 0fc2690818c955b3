"""Drawing for the page `fig6` (reads its summary and arrays; never runs a simulation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..core.theory import NEITHER, Q1, Q2
from ..plots.common import SET_COLORS, SET_LABELS, stamp
from .fig3 import ratio_traces


def data_seed_slider(arrays: dict[str, np.ndarray], summary: dict[str, Any]) -> go.Figure:
    """Slider over the data set: per-seed |C₁/C₂| coloured by the set reached (works in static HTML)."""
    fig = go.Figure()
    groups = []
    D = arrays["ratio"].shape[0]
    for d in range(D):
        start = len(fig.data)
        ratio_traces(
            fig,
            {"seeds": arrays["seeds"], "ratio": arrays["ratio"][d], "label": arrays["label"][d]},
            visible=d == 0,
        )
        groups.append(range(start, len(fig.data)))
    steps = []
    for d, row in enumerate(summary["per_data_seed"]):
        vis = [False] * len(fig.data)
        for t in groups[d]:
            vis[t] = True
        title = (
            f"data set {d}: Q¹ {row['fraction_Q1']:.0%}, Q² {row['fraction_Q2']:.0%}, unresolved "
            f"{row['fraction_neither']:.0%}; Q¹ band {row['threshold_low']:.3f} – {row['threshold_high']:.3f}"
        )
        steps.append(dict(method="update", label=str(d), args=[{"visible": vis}, {"title.text": title}]))
    fig.update_layout(
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="data set (seed): "), pad=dict(t=50))],
        title=steps[0]["args"][1]["title.text"],
        xaxis_title="seed",
        yaxis_title="|C₁/C₂|",
        yaxis_type="log",
        height=520,
        title_font=dict(size=13),
    )
    p = summary["parameters"]
    return stamp(
        fig,
        {
            "n": p["n_samples"],
            "design": "gaussian",
            "s": p["init_scale"],
            "seeds": p["seeds"],
            "horizon": p["t_max"],
        },
    )


def inputs_and_thresholds(summary: dict[str, Any]) -> go.Figure:
    """Each data set's inputs (a strip per data set) next to its measured Q¹ band."""
    fig = go.Figure()
    for row in summary["per_data_seed"]:
        d = row["data_seed"]
        fig.add_trace(
            go.Scatter(
                x=row["train_x"],
                y=[d] * len(row["train_x"]),
                mode="markers",
                showlegend=d == 0,
                name="training inputs",
                marker=dict(color="black", size=7, symbol="x"),
            )
        )
    fig.update_layout(
        xaxis_title="x (training inputs, N(0, 1) draws)",
        yaxis_title="data set",
        height=320,
        title="The five data sets",
        yaxis=dict(dtick=1),
    )
    p = summary["parameters"]
    return stamp(fig, {"n": p["n_samples"], "data_seeds": p["data_seeds"]})


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    from matplotlib.figure import Figure

    D = arrays["ratio"].shape[0]
    fig = Figure(figsize=(min(3.2 * D, 16), 3.6))
    axes = np.atleast_1d(fig.subplots(1, D, sharey=True))
    for d, ax in enumerate(axes):
        for lab in (Q1, Q2, NEITHER):
            sel = arrays["label"][d] == lab
            if sel.any():
                ax.scatter(
                    arrays["seeds"][sel],
                    arrays["ratio"][d][sel],
                    s=5,
                    color=SET_COLORS[lab],
                    label=SET_LABELS[lab],
                )
        row = summary["per_data_seed"][d]
        for side in ("low", "high"):
            if np.isfinite(row[f"threshold_{side}"]):
                ax.axhline(row[f"threshold_{side}"], color="k", lw=0.8)
        ax.set(yscale="log", xlabel="seed", title=f"data set {d}")
    axes[0].set_ylabel("|C1/C2|")
    axes[-1].legend(fontsize=6)
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        f"Gaussian n={p['n_samples']}, s={p['init_scale']:g}, seeds={p['seeds']}, horizon={p['t_max']:g}; "
        f"code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
