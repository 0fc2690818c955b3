"""Drawing for the page `completion` (reads its summary and arrays; never runs a simulation)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _stamp(summary: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    p = summary["parameters"]
    return {k: (tuple(p[k]) if isinstance(p[k], list) else p[k]) for k in keys}


def connected_error_figure(summary: dict[str, Any], arrays: dict[str, np.ndarray]):
    """|? − 6| against s for [[1, 2], [3, ?]], every seed, with the predicted power law."""
    import plotly.graph_objects as go

    from .common import stamp

    s, e = arrays["connected_scale"], np.maximum(arrays["connected_error"], 1e-17)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=s, y=e, mode="markers", name="one seed", marker=dict(size=7, color="#1f77b4")))
    xs = np.array(sorted(set(s.tolist())))
    # the medians follow the configured scales, largest first (Config.example_scales)
    med_largest = float(summary["connected_error_by_scale"][0])
    p = summary["connected_error_slope_predicted"]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=med_largest * (xs / xs[-1]) ** p,
            mode="lines",
            line=dict(dash="dash", color="black"),
            name=f"predicted slope {p:.3f} through the median at the largest scale",
        )
    )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        xaxis_title="initialization scale s",
        yaxis_title="|learned ? − 6|",
        height=420,
        xaxis_exponentformat="power",
        yaxis_exponentformat="power",
        title=f"[[1, 2], [3, ?]]: the fill tends to 6 (minimum rank), measured slope "
        f"{summary['connected_error_slope']:.3f}",
    )
    return stamp(fig, _stamp(summary, ("example_seeds", "t_max", "rtol")))


def grid_figure(summary: dict[str, Any], arrays: dict[str, np.ndarray]):
    """4 × 4 patterns coloured by connectivity: nuclear-norm excess and rank excess over the references."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .common import stamp

    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("(‖W‖* − min ‖X‖*) / min ‖X‖*", "rank W − minimum rank")
    )
    rng = np.random.default_rng(1)
    n = arrays["grid_n"] + rng.uniform(-0.25, 0.25, len(arrays["grid_n"]))
    fitted = arrays["grid_fit_residual"] < 1e-4
    conn, bip = arrays["grid_connected"], arrays["grid_complete_bipartite"]
    cats = (
        (conn, "#d62728", "connected"),
        (~conn & bip, "#1f77b4", "disconnected, complete bipartite components"),
        (~conn & ~bip, "#17becf", "disconnected, other"),
    )
    for cat, col, name in cats:
        sel = cat & fitted
        txt = [
            f"target rank {r}, {c} component(s)"
            for r, c in zip(arrays["grid_rank"][sel], arrays["grid_components"][sel])
        ]
        fig.add_trace(
            go.Scatter(
                x=n[sel],
                y=np.maximum(arrays["grid_nuclear_gap"][sel], 1e-9),
                mode="markers",
                marker=dict(color=col, size=6),
                name=name,
                legendgroup=name,
                text=txt,
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=n[sel],
                y=(arrays["grid_rank_W"] - arrays["grid_min_rank"])[sel]
                + rng.uniform(-0.08, 0.08, sel.sum()),
                mode="markers",
                marker=dict(color=col, size=6),
                name=name,
                legendgroup=name,
                showlegend=False,
                text=txt,
            ),
            1,
            2,
        )
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_xaxes(title_text="observed entries n")
    fig.update_layout(
        height=460,
        title="Which reference the learned completion matches, by connectivity "
        "(nuclear excess below 1e-9 drawn at 1e-9)",
    )
    return stamp(fig, _stamp(summary, ("target_ranks", "patterns", "scale", "t_max", "rank_rtol")))


def staircase_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]):
    """Slider over s: singular values of W(t) and the loss, the saddle-to-saddle staircase."""
    import plotly.graph_objects as go

    from .common import stamp

    t = arrays["times"]
    ok = t > 0
    scales = arrays["stair_scales"]
    fig = go.Figure()
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    per = 5
    for j, _s in enumerate(scales):
        vis = j == len(scales) // 2
        for k in range(4):
            fig.add_trace(
                go.Scatter(
                    x=t[ok],
                    y=np.maximum(arrays["stair_sv"][j, ok, k], 1e-30),
                    mode="lines",
                    visible=vis,
                    line=dict(color=colors[k]),
                    name=f"σ{k + 1}(W)",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=t[ok],
                y=np.maximum(arrays["stair_loss"][j, ok], 1e-30),
                mode="lines",
                visible=vis,
                line=dict(color="black", dash="dot"),
                name="loss",
            )
        )
    steps = []
    for j, s in enumerate(scales):
        vis = [False] * len(fig.data)
        for q in range(per * j, per * j + per):
            vis[q] = True
        st = ", ".join("–" if not np.isfinite(v) else f"{v:.0f}" for v in arrays["stair_stage_times"][j])
        steps.append(
            dict(
                method="update",
                label=f"{s:.0e}",
                args=[{"visible": vis}, {"title.text": f"s = {s:.0e}: stage times {st}"}],
            )
        )
    a = len(scales) // 2
    fig.update_layout(
        sliders=[
            dict(active=a, steps=steps, currentvalue=dict(prefix="initialization scale: "), pad=dict(t=50))
        ],
        title=steps[a]["args"][1]["title.text"],
        xaxis_type="log",
        yaxis_type="log",
        yaxis_range=[-12, 2],
        height=500,
        xaxis_title="time t",
        yaxis_title="singular values of W(t), loss",
        yaxis_exponentformat="power",
    )
    return stamp(fig, _stamp(summary, ("staircase_rank", "staircase_observed", "t_max", "rtol")))


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static figure: the connected example's convergence, the 4 × 4 comparison, the staircase; stamped."""
    from matplotlib.figure import Figure

    p = summary["parameters"]
    fig = Figure(figsize=(15, 4.3))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ax1.loglog(arrays["connected_scale"], np.maximum(arrays["connected_error"], 1e-17), "o", ms=4)
    ax1.set(xlabel="s", ylabel="|? - 6|", title="[[1,2],[3,?]] -> 6")
    fitted = arrays["grid_fit_residual"] < 1e-4
    for flag, col, name in ((True, "#d62728", "connected"), (False, "#1f77b4", "disconnected")):
        sel = (arrays["grid_connected"] == flag) & fitted
        ax2.scatter(
            arrays["grid_n"][sel],
            np.maximum(arrays["grid_nuclear_gap"][sel], 1e-9),
            s=8,
            color=col,
            label=name,
        )
    ax2.set(yscale="log", xlabel="observed entries", ylabel="nuclear-norm excess", title="4x4 patterns")
    ax2.legend(fontsize=8)
    j = len(arrays["stair_scales"]) // 2
    t = arrays["times"]
    for k in range(4):
        ax3.loglog(t[1:], np.maximum(arrays["stair_sv"][j, 1:, k], 1e-30), label=f"sigma{k + 1}")
    ax3.set(ylim=(1e-12, 1e2), xlabel="t", title=f"staircase, s={arrays['stair_scales'][j]:.0e}")
    ax3.legend(fontsize=8)
    fig.text(
        0.01,
        0.01,
        f"s={p['scale']:g}, patterns={p['patterns']}, ranks={p['target_ranks']}, t={p['t_max']:g}, "
        f"rtol={p['rtol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
