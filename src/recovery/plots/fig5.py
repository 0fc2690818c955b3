"""Plots of Figure 5 (arXiv:2405.13787): width-1000 x/(1+x²) network. Loss curves before and after the
Theorem-1 shift, trajectories of the first and of the active neurons, the number of active neurons over time,
the neurons' input weights over time (a slider), the learned function, and a slider over the trials."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import stamp
from .fig2 import COLORS, shift_slider

LARGE_COLOR = "#7f7f7f"


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {
        "width": p["width"],
        "n": p["n_samples"],
        "C_i/C_1": f"{p['c_ratio_base']:g}+{p['c_ratio_slope']:g}(i-1), i>=2 ({p['ratio_reading']})",
        "horizon": p["t_max"],
        "rtol": p["rtol"],
        "checkpoints/decade": p["checkpoints_per_decade"],
    }


def _name(arrays: dict[str, np.ndarray], i: int) -> str:
    tag = " (large)" if i >= int(arrays["n_main"]) else ""
    return f"seed {int(arrays['seeds'][i])}, s = {arrays['scales'][i]:.0e}{tag}"


def _color(arrays: dict[str, np.ndarray], i: int) -> str:
    return LARGE_COLOR if i >= int(arrays["n_main"]) else COLORS[i % len(COLORS)]


def _end(times: np.ndarray, final_time: float) -> int:
    return int(np.searchsorted(times, final_time, side="right"))


def _pos(t: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, ...]:
    ok = t > 0
    return (t[ok],) + tuple(y[..., ok] for y in ys)


def loss_curves(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Figure 5 (loss): against t (left) and against the reference's time t − lag (right)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("before the shift (against t)", "after the shift (against t − lag)"),
        horizontal_spacing=0.08,
    )
    t = arrays["times"]
    for i in range(len(arrays["scales"])):
        e = _end(t, arrays["final_time"][i])
        name, c = _name(arrays, i), _color(arrays, i)
        dash = "dash" if i >= int(arrays["n_main"]) else ("dot" if i % 2 else "solid")
        for col, shift in ((1, 0.0), (2, float(arrays["lag"][i]))):
            x, y = _pos(t[:e] - shift, arrays["loss_traj"][i, :e])
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    line=dict(color=c, dash=dash),
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    hovertemplate="t=%{x:.4g}<br>loss=%{y:.3e}<extra>" + name + "</extra>",
                ),
                1,
                col,
            )
    for col in (1, 2):
        fig.update_xaxes(
            type="log", title_text="t" if col == 1 else "t − lag (time of the reference run)", row=1, col=col
        )
        fig.update_yaxes(type="log", title_text="loss ℓ", exponentformat="power", row=1, col=col)
    fig.update_layout(
        height=480,
        title=f"Width {summary['parameters']['width']}: loss curves of the trials",
        legend=dict(font=dict(size=10)),
    )
    return stamp(fig, _params(summary))


def _neuron_picks(
    summary: dict[str, Any], arrays: dict[str, np.ndarray], n_first: int, n_active: int
) -> list[int]:
    ref = int(arrays["n_main"]) - 1
    top = list(np.argsort(-arrays["contrib"][ref])[:n_active])
    return list(range(n_first)) + [int(k) for k in top if k >= n_first]


def neuron_trajectories(
    summary: dict[str, Any], arrays: dict[str, np.ndarray], n_first: int = 3, n_active: int = 4
) -> go.Figure:
    """|a_k| and the input-weight angle of the first neurons (k = 1..n_first) and of the reference's largest
    neurons, in every trial, against the reference's time t − lag (sign-canonical: σ is odd)."""
    picks = _neuron_picks(summary, arrays, n_first, n_active)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=("output weight |a_k|", "direction of w_k = (slope, bias): angle in degrees"),
    )
    tt = arrays["traj_times"]
    R = int(arrays["n_main"])
    dashes = ("solid", "dot", "dash", "dashdot")
    for j, k in enumerate(picks):
        c = COLORS[j % len(COLORS)]
        label = f"neuron {k + 1}" + (" (first)" if k < n_first else " (active)")
        for i in range(R):
            x, a, ang = _pos(
                tt - arrays["lag"][i], np.abs(arrays["theta_traj"][i, :, k, 0]), arrays["angles_t"][i, :, k]
            )
            common = dict(
                mode="lines", legendgroup=label, line=dict(color=c, dash=dashes[i % len(dashes)], width=1.5)
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=a,
                    name=label,
                    showlegend=i == R - 1,
                    hovertemplate=f"{label}, {_name(arrays, i)}<br>" + "t−lag=%{x:.4g}<br>|a|=%{y:.3e}"
                    "<extra></extra>",
                    **common,
                ),
                1,
                1,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=ang,
                    name=label,
                    showlegend=False,
                    hovertemplate=f"{label}, {_name(arrays, i)}<br>"
                    + "t−lag=%{x:.4g}<br>angle=%{y:.2f}°<extra></extra>",
                    **common,
                ),
                2,
                1,
            )
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_xaxes(type="log", title_text="t − lag (line style: trial)", row=2, col=1)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_layout(
        height=640,
        title="Trajectories of the first neurons and of the active ones, all trials",
        legend=dict(font=dict(size=10)),
    )
    return stamp(fig, _params(summary), "trials drawn with solid, dotted, dashed, dash-dot lines")


def active_over_time(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Number of active neurons and the participation ratio (Σc)²/Σc² against the reference's time."""
    fig = go.Figure()
    tt = arrays["traj_times"]
    frac = summary["parameters"]["active_fraction"]
    for i in range(len(arrays["scales"])):
        name, c = _name(arrays, i), _color(arrays, i)
        x, n, pr = _pos(
            tt - arrays["lag"][i], arrays["n_active_t"][i].astype(float), arrays["participation_t"][i]
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=n,
                mode="lines",
                line=dict(color=c),
                name=f"{name}: active (≥ {frac:g} of max)",
                legendgroup=name,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=pr,
                mode="lines",
                line=dict(color=c, dash="dot"),
                name=f"{name}: participation ratio",
                legendgroup=name,
            )
        )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        xaxis_title="t − lag",
        yaxis_title="number of neurons",
        height=460,
        title=f"How many of the {summary['parameters']['width']} neurons matter, over time",
        legend=dict(font=dict(size=9)),
    )
    return stamp(fig, _params(summary))


def neuron_snapshot_slider(
    summary: dict[str, Any], arrays: dict[str, np.ndarray], n_frames: int = 18
) -> go.Figure:
    """Slider over time: every neuron of the reference run as a point w_k = (slope, bias), coloured by
    log10 of its output contribution (active neurons ringed). Plotly's slider: works in static HTML."""
    ref = int(arrays["n_main"]) - 1
    tt = arrays["traj_times"]
    ks = np.unique(np.geomspace(1, len(tt) - 1, n_frames).astype(int))
    W = arrays["theta_traj"][ref, :, :, 1:]
    frac = summary["parameters"]["active_fraction"]
    fig = go.Figure()
    for j, k in enumerate(ks):
        c = arrays["contrib_t"][ref, k]
        act = c >= frac * c.max()
        vis = j == len(ks) - 1
        fig.add_trace(
            go.Scatter(
                x=W[k, :, 0],
                y=W[k, :, 1],
                mode="markers",
                visible=vis,
                name="neurons",
                marker=dict(
                    size=6,
                    color=np.log10(np.maximum(c, 1e-30)),
                    colorscale="Viridis",
                    colorbar=dict(title="log10 c_k"),
                    showscale=True,
                ),
                hovertemplate="w=(%{x:.3g}, %{y:.3g})<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=W[k, act, 0],
                y=W[k, act, 1],
                mode="markers",
                visible=vis,
                name="active",
                marker=dict(size=13, color="rgba(0,0,0,0)", line=dict(color="#d62728", width=2)),
                text=[f"neuron {i + 1}" for i in np.flatnonzero(act)],
                hovertemplate="%{text}<extra>active</extra>",
            )
        )
    steps = []
    for j, k in enumerate(ks):
        vis = [False] * len(fig.data)
        vis[2 * j] = vis[2 * j + 1] = True
        c = arrays["contrib_t"][ref, k]
        n_act = int((c >= frac * c.max()).sum())
        loss = arrays["loss_traj"][ref, np.searchsorted(arrays["times"], tt[k])]
        title = f"t = {tt[k]:.3g}: loss {loss:.2e}, {n_act} active neurons"
        steps.append(
            dict(method="update", label=f"{tt[k]:.2g}", args=[{"visible": vis}, {"title.text": title}])
        )
    fig.update_layout(
        sliders=[dict(active=len(ks) - 1, steps=steps, currentvalue=dict(prefix="time t: "), pad=dict(t=50))],
        title=steps[-1]["args"][1]["title.text"],
        title_font=dict(size=13),
        height=560,
        xaxis_title="w (slope)",
        yaxis_title="w (bias)",
        showlegend=False,
    )
    return stamp(fig, _params(summary), f"reference run: {_name(arrays, ref)}; axes rescale with every step")


def trial_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Slider over the trials (initialization scales): the reference loss curve, the selected run's raw curve
    and the same run shifted by its Theorem-1 lag (:func:`recovery.figures.fig2_plots.shift_slider`)."""
    t = arrays["times"]
    ref = int(arrays["n_main"]) - 1
    loss = lambda i: arrays["loss_traj"][i, : _end(t, arrays["final_time"][i])]  # noqa: E731
    runs = [
        dict(
            loss=loss(i),
            lag=float(arrays["lag"][i]),
            raw_name=f"{_name(arrays, i)}, raw",
            shifted_name=f"{_name(arrays, i)}, shifted by {arrays['lag'][i]:.3f}",
            label=f"{arrays['scales'][i]:.0e}",
            title=f"{_name(arrays, i)} (‖θ₀‖ = {arrays['theta0_norm'][i]:.1e}): lag {arrays['lag'][i]:.3f}; "
            f"largest |Δ log10 ℓ| raw {arrays['unaligned_gap'][i]:.2g}, "
            f"shifted {arrays['aligned_gap'][i]:.2g}",
        )
        for i in range(len(arrays["scales"]))
        if i != ref
    ]
    fig = shift_slider(t, (loss(ref), f"reference: {_name(arrays, ref)}"), runs, active=0, title_size=12)
    return stamp(fig, _params(summary))


def network_output(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """f_θ(x) = Σ_k a_k σ(w_kᵀ(x, 1)) with σ(u) = u/(1 + u²); ``theta: (m, 3)``, ``x: (N,)`` → ``(N,)``."""
    u = theta[:, 1, None] * x + theta[:, 2, None]
    return (theta[:, 0, None] * u / (1.0 + u * u)).sum(0)


def learned_function(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """The learned function minus the target tanh(x + 1) on [−2, 2] (and a bit beyond), training points marked."""
    x = np.linspace(-3.0, 3.0, 601)
    xs = np.linspace(-2.0, 2.0, summary["parameters"]["n_samples"])
    fig = go.Figure()
    for i in range(len(arrays["scales"])):
        err = network_output(arrays["final_theta"][i], x) - np.tanh(x + 1.0)
        fig.add_trace(
            go.Scatter(x=x, y=err, mode="lines", line=dict(color=_color(arrays, i)), name=_name(arrays, i))
        )
    ref = int(arrays["n_main"]) - 1
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=network_output(arrays["final_theta"][ref], xs) - np.tanh(xs + 1.0),
            mode="markers",
            marker=dict(size=9, color="black"),
            name="training points",
        )
    )
    fig.add_vrect(x0=-2, x1=2, fillcolor="#eee", opacity=0.4, line_width=0, layer="below")
    fig.update_layout(
        xaxis_title="x (shaded: [−2, 2], where the test set lies)",
        yaxis_title="f_θ(x) − tanh(x + 1)",
        height=440,
        title="Error of the learned function at the end of the run",
    )
    return stamp(fig, _params(summary))


def fig5_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static PNG: raw and shifted loss curves, active neurons over time, error of the learned function."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.3))
    ax1, ax2, ax3, ax4 = fig.subplots(1, 4)
    t = arrays["times"]
    for i in range(len(arrays["scales"])):
        e = _end(t, arrays["final_time"][i])
        c, name = _color(arrays, i), _name(arrays, i)
        x, y = _pos(t[:e], arrays["loss_traj"][i, :e])
        ax1.plot(x, y, color=c, label=name)
        x, y = _pos(t[:e] - arrays["lag"][i], arrays["loss_traj"][i, :e])
        ax2.plot(x, y, color=c, ls=":" if i % 2 else "-")
        x, n = _pos(arrays["traj_times"] - arrays["lag"][i], arrays["n_active_t"][i].astype(float))
        ax3.plot(x, n, color=c)
        xx = np.linspace(-2, 2, 401)
        ax4.plot(xx, network_output(arrays["final_theta"][i], xx) - np.tanh(xx + 1), color=c)
    ax1.set(xscale="log", yscale="log", xlabel="t", ylabel="loss", title="before the Theorem-1 shift")
    ax2.set(xscale="log", yscale="log", xlabel="t - lag", title="after the shift")
    ax3.set(
        xscale="log",
        yscale="log",
        xlabel="t - lag",
        title=f"active neurons (>= {summary['parameters']['active_fraction']:g} of max)",
    )
    ax4.set(xlabel="x", ylabel="f(x) - tanh(x+1)", title="error of the learned function")
    ax1.legend(fontsize=6)
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        f"width={p['width']}, sigma=x/(1+x^2), target tanh(x+1), n={p['n_samples']} even, "
        f"C_i/C_1={p['c_ratio_base']:g}+{p['c_ratio_slope']:g}(i-1) ({p['ratio_reading']}), scales={list(p['scales'])}, "
        f"horizon={p['t_max']:g}, rtol={p['rtol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    fig5_static(summary, arrays, path)
