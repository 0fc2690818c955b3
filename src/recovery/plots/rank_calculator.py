"""Drawing for the page `rank_calculator` (reads its summary and arrays; never runs a simulation)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _stamp_params(summary: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    p = summary["parameters"]
    return {k: (tuple(p[k]) if isinstance(p[k], list) else p[k]) for k in keys}


RANK_COLORS = {1: "#1f77b4", 2: "#ff7f0e", 3: "#2ca02c", 4: "#d62728"}


def mc_fraction_figure(summary: dict[str, Any], arrays: dict[str, np.ndarray]):
    """Recovered fraction against the number of observed entries, one curve per rank, with the model ranks."""
    import plotly.graph_objects as go

    from .common import stamp

    p = summary["parameters"]
    fig = go.Figure()
    for r in p["mc_ranks"]:
        tr = summary["mc_transitions"][str(r)]
        c = RANK_COLORS[r]
        fig.add_trace(
            go.Scatter(
                x=p["mc_n_values"],
                y=tr["fraction"],
                mode="lines+markers",
                line=dict(color=c),
                name=f"rank {r}",
            )
        )
        fig.add_vline(x=tr["model_rank"], line=dict(color=c, dash="dash", width=1))
    fig.add_vline(x=16, line=dict(color="black", dash="dot", width=1))
    fig.update_layout(
        xaxis_title="observed entries n (of 16; W = AB has 32 parameters)",
        yaxis_title="fraction recovered",
        height=430,
        title="4×4 completion from small initialization: recovery starts at the model rank 2rd − r² (dashed)",
    )
    return stamp(fig, _stamp_params(summary, ("mc_patterns", "mc_scale", "mc_t_max", "recovery_tol")))


def mc_error_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]):
    """Slider over the target rank: every trial's relative error against n, the model rank marked."""
    import plotly.graph_objects as go

    from .common import stamp

    p = summary["parameters"]
    fig = go.Figure()
    ranks = p["mc_ranks"]
    rng = np.random.default_rng(0)
    for j, r in enumerate(ranks):
        sel = arrays["mc_rank"] == r
        jitter = rng.uniform(-0.2, 0.2, sel.sum())
        err = np.maximum(arrays["mc_rel_error"][sel], 1e-16)
        conn = arrays["mc_connected"][sel]
        for flag, col, name in (
            (True, RANK_COLORS[r], "connected pattern"),
            (False, "#7f7f7f", "disconnected pattern"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=arrays["mc_n"][sel][conn == flag] + jitter[conn == flag],
                    y=err[conn == flag],
                    mode="markers",
                    visible=j == len(ranks) - 1,
                    name=name,
                    marker=dict(color=col, size=6),
                )
            )
        mr = summary["mc_transitions"][str(r)]["model_rank"]
        fig.add_trace(
            go.Scatter(
                x=[mr, mr],
                y=[1e-16, 10],
                mode="lines",
                visible=j == len(ranks) - 1,
                line=dict(color="black", dash="dash"),
                name=f"model rank {mr}",
            )
        )
    steps = []
    for j, r in enumerate(ranks):
        vis = [False] * len(fig.data)
        for t in range(3 * j, 3 * j + 3):
            vis[t] = True
        tr = summary["mc_transitions"][str(r)]
        steps.append(
            dict(
                method="update",
                label=f"rank {r}",
                args=[
                    {"visible": vis},
                    {
                        "title.text": f"rank-{r} targets: model rank {tr['model_rank']}, "
                        f"first recovery at n = {tr['first_recovery_n']}"
                    },
                ],
            )
        )
    fig.update_layout(
        sliders=[
            dict(active=len(ranks) - 1, steps=steps, currentvalue=dict(prefix="target: "), pad=dict(t=50))
        ],
        title=steps[-1]["args"][1]["title.text"],
        yaxis_type="log",
        height=480,
        xaxis_title="observed entries n",
        yaxis_title="‖W − M‖_F / ‖M‖_F at the horizon",
        yaxis_exponentformat="power",
    )
    fig.add_hline(y=p["recovery_tol"], line=dict(color="black", dash="dot", width=1))
    return stamp(fig, _stamp_params(summary, ("mc_patterns", "mc_scale", "mc_t_max", "recovery_tol")))


def tanh_figure(summary: dict[str, Any], arrays: dict[str, np.ndarray]):
    """Generalization error of every trial against n, the model rank 3 and the parameter count marked."""
    import plotly.graph_objects as go

    from .common import stamp

    p = summary["parameters"]
    fig = go.Figure()
    n = arrays["tanh_n"]
    g = np.maximum(arrays["tanh_gen_error"], 1e-30)
    xs = np.repeat(n, g.shape[1]) + np.tile(np.linspace(-0.15, 0.15, g.shape[1]), len(n))
    fig.add_trace(
        go.Scatter(
            x=xs, y=g.ravel(), mode="markers", marker=dict(size=5, color="#1f77b4"), name="one initialization"
        )
    )
    fig.add_trace(
        go.Scatter(x=n, y=np.median(g, 1), mode="lines+markers", line=dict(color="black"), name="median")
    )
    fig.add_vline(x=summary["tanh_model_rank"], line=dict(color="#d62728", dash="dash"))
    fig.add_vline(x=summary["tanh_parameter_count"], line=dict(color="#7f7f7f", dash="dot"))
    fig.add_hline(y=1e-8, line=dict(color="black", dash="dot", width=1))
    fig.update_layout(
        yaxis_type="log",
        xaxis_title="samples n (evenly spaced on [−2, 2])",
        yaxis_title="generalization error",
        yaxis_exponentformat="power",
        height=430,
        title=f"tanh network of width {p['tanh_width']}: the error collapses near the model rank 3 "
        f"(red), not at the {summary['tanh_parameter_count']} parameters (grey)",
    )
    return stamp(fig, _stamp_params(summary, ("tanh_width", "tanh_seeds", "tanh_scale", "tanh_t_max")))


LLR_COLORS = {"cnn": "#1f77b4", "lc": "#ff7f0e", "fc": "#2ca02c"}


def llr_figure(summary: dict[str, Any], arrays: dict[str, np.ndarray]):
    """The LLR Figure-3 target learned by the CNN, the locally connected and the fully connected network: relative
    test error of every run (dots) and the median (line) against n; dashed: the model ranks 7, 15, 21."""
    import plotly.graph_objects as go

    from .common import stamp

    fig = go.Figure()
    n = arrays["llr_n"]
    z = float(arrays["llr_zero_error"])
    for kind, v in summary["llr_recovery"].items():
        c = LLR_COLORS[kind]
        rel = np.maximum(arrays[f"llr_{kind}_test_error"] / z, 1e-16)
        fig.add_trace(
            go.Scatter(
                x=np.repeat(n, rel.shape[1]),
                y=rel.ravel(),
                mode="markers",
                showlegend=False,
                marker=dict(color=c, size=5, opacity=0.5),
                hoverinfo="x+y",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=n,
                y=v["median_rel_error"],
                mode="lines+markers",
                line=dict(color=c),
                name=f"{v['model']} ({v['params']} parameters)",
            )
        )
        fig.add_vline(x=v["model_rank"], line=dict(color=c, dash="dash", width=1.5))
    fig.add_hline(y=summary["parameters"]["llr_recovery_tol"], line=dict(color="black", dash="dot", width=1))
    fig.update_layout(
        yaxis_type="log",
        xaxis_title="training samples n (x ~ N(0, I₅))",
        yaxis_title="test error / test error of f = 0",
        yaxis_exponentformat="power",
        height=450,
        title="f*(x) = Σ tanh(0.6x_s + 0.8x_{s+1} + x_{s+2}): dashed lines at the model ranks 7, 15, 21",
    )
    return stamp(
        fig, _stamp_params(summary, ("llr_multiplier", "llr_seeds", "llr_scale", "llr_lr", "llr_steps"))
    )


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static figure: recovered fraction (completion) and generalization error (tanh), stamped."""
    from matplotlib.figure import Figure

    p = summary["parameters"]
    fig = Figure(figsize=(12, 4.3))
    ax1, ax2 = fig.subplots(1, 2)
    for r in p["mc_ranks"]:
        tr = summary["mc_transitions"][str(r)]
        ax1.plot(p["mc_n_values"], tr["fraction"], ".-", color=RANK_COLORS[r], label=f"rank {r}")
        ax1.axvline(tr["model_rank"], color=RANK_COLORS[r], ls="--", lw=0.8)
    ax1.set(
        xlabel="observed entries n", ylabel="fraction recovered", title="4x4 completion (dashed: 2rd - r^2)"
    )
    ax1.legend(fontsize=8)
    g = np.maximum(arrays["tanh_gen_error"], 1e-30)
    for j, n in enumerate(arrays["tanh_n"]):
        ax2.scatter(np.full(g.shape[1], n), g[j], s=6, color="#1f77b4")
    ax2.plot(arrays["tanh_n"], np.median(g, 1), "k.-", label="median")
    ax2.axvline(3, color="#d62728", ls="--", label="model rank 3")
    ax2.axvline(summary["tanh_parameter_count"], color="gray", ls=":", label="parameters")
    ax2.set(
        yscale="log",
        xlabel="samples n",
        ylabel="generalization error",
        title=f"tanh, width {p['tanh_width']}",
    )
    ax2.legend(fontsize=8)
    fig.text(
        0.01,
        0.01,
        f"completion: {p['mc_patterns']} patterns per cell, s={p['mc_scale']:g}, t={p['mc_t_max']:g}, "
        f"tol={p['recovery_tol']:g}; tanh: {p['tanh_seeds']} seeds, s={p['tanh_scale']:g}, t={p['tanh_t_max']:g}; "
        f"code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
