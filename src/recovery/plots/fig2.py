"""Plots of Figure 2 (arXiv:2405.13787): loss curves before and after the Theorem-1 time shift, the log-loss
gap against the initialization scale, and a slider over the scale that works in static HTML."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core.alignment import log_loss_difference
from .common import stamp

COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _positive(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = t > 0
    return t[ok], y[ok]


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    out = {
        "n": p["n_samples"],
        "C2/C1": p["c_ratio"],
        "horizon": p["t_max"],
        "rtol": p["rtol"],
        "checkpoints/decade": p["checkpoints_per_decade"],
    }
    if p.get("design", "even") != "even":  # Figure 7 (reconstructed): Gaussian inputs
        out = {"design": f"{p['design']}, data seed {p['data_seed']}", **out}
    return out


def _end(arrays: dict[str, np.ndarray], i: int, prefix: str = "") -> int:
    """Number of checkpoints up to the run's final time (the frozen tail of a stopped run is not drawn)."""
    return int(np.searchsorted(arrays["times"], arrays[f"{prefix}final_time"][i], side="right"))


def loss_curves(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Figure 2: loss against time (left) and against the reference's time t − lag (right, Theorem 1)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("before the shift (against t)", "after the shift (against t − lag)"),
        horizontal_spacing=0.08,
    )
    t = arrays["times"]
    for i, s in enumerate(arrays["scales"]):
        e = _end(arrays, i)
        lag = float(arrays["lag"][i])
        c = COLORS[i % len(COLORS)]
        name = f"seed {int(arrays['seeds'][i])}, s = {s:.0e}"
        x, y = _positive(t[:e], arrays["loss_traj"][i, :e])
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line=dict(color=c),
                name=name,
                legendgroup=name,
                hovertemplate="t=%{x:.3g}<br>loss=%{y:.3e}<extra>" + name + "</extra>",
            ),
            1,
            1,
        )
        x, y = _positive(t[:e] - lag, arrays["loss_traj"][i, :e])
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line=dict(color=c, dash="dot" if i % 2 else "solid"),
                name=name,
                legendgroup=name,
                showlegend=False,
                hovertemplate=f"lag={lag:.3f}<br>"
                + "t−lag=%{x:.3g}<br>loss=%{y:.3e}<extra>"
                + name
                + "</extra>",
            ),
            1,
            2,
        )
    for col in (1, 2):
        fig.update_xaxes(
            type="log", title_text="t" if col == 1 else "t − lag (time of the reference run)", row=1, col=col
        )
        fig.update_yaxes(type="log", title_text="loss ℓ", row=1, col=col, exponentformat="power")
    fig.update_layout(
        height=470,
        title=f"Loss curves of five trials with C₂/C₁ = {summary['parameters']['c_ratio']:g}",
        legend=dict(font=dict(size=10)),
    )
    return stamp(fig, _params(summary))


def difference_curves(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """|log10 ℓ_i(t + lag) − log10 ℓ_ref(t)| against the reference's time: where the aligned gap sits."""
    fig = go.Figure()
    ref = len(arrays["scales"]) - 1
    floor = summary["parameters"]["loss_floor"]
    for i, s in enumerate(arrays["scales"][:-1]):
        x, d = log_loss_difference(
            arrays["times"],
            arrays["loss_traj"][i],
            arrays["times"],
            arrays["loss_traj"][ref],
            float(arrays["lag"][i]),
            loss_floor=floor,
            t_end=float(arrays["final_time"][i]),
            t_end_ref=float(arrays["final_time"][ref]),
        )
        x, d = _positive(x, np.abs(d))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.maximum(d, 1e-12),
                mode="lines",
                line=dict(color=COLORS[i % len(COLORS)]),
                name=f"seed {int(arrays['seeds'][i])}, s = {s:.0e}",
            )
        )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        xaxis_title="t (reference run's time)",
        yaxis_title="|log10 ℓ(t + lag) − log10 ℓ_ref(t)|",
        height=420,
        yaxis_exponentformat="power",
        title=f"Aligned curves against the reference (s = {arrays['scales'][-1]:.0e})",
    )
    return stamp(fig, _params(summary), f"loss floor {floor:g}")


def gap_vs_scale(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Largest log-loss gap against the initialization scale: the five trials (aligned and unaligned), the
    one-seed scan, the fitted power law and the numerical floor."""
    s = arrays["scales"][:-1]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=s,
            y=arrays["unaligned_gap"][:-1],
            mode="markers",
            name="five trials, unaligned",
            marker=dict(symbol="x", size=9, color="#7f7f7f"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=s,
            y=arrays["aligned_gap"][:-1],
            mode="markers",
            name="five trials, aligned",
            marker=dict(size=10, color="#d62728"),
        )
    )
    if "check_aligned_gap" in arrays:
        fig.add_trace(
            go.Scatter(
                x=s,
                y=arrays["check_aligned_gap"][:-1],
                mode="markers",
                name=f"aligned, rtol {summary['check_rtol']:g}",
                marker=dict(size=13, color="rgba(0,0,0,0)", line=dict(color="black", width=1.5)),
            )
        )
    ss = arrays["scan_scales"]
    fig.add_trace(
        go.Scatter(
            x=ss,
            y=arrays["scan_aligned_gap"],
            mode="lines+markers",
            name=f"seed {summary['scan_seed']} at every scale, aligned",
            line=dict(color="#1f77b4"),
            marker=dict(size=6),
        )
    )
    p, c = summary["scan_slope"], summary["scan_gap_over_scale"]
    fit = arrays["scan_in_fit"].astype(bool)
    if np.isfinite(p) and fit.any():
        xs = np.array([ss[fit].min(), ss[fit].max()])
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=c * xs**p,
                mode="lines",
                line=dict(color="#1f77b4", dash="dash"),
                name=f"fit: gap ≈ {c:.3g}·s^{p:.2f}",
            )
        )
    x_all = np.concatenate([s, ss])
    fig.add_trace(
        go.Scatter(
            x=[x_all.min(), x_all.max()],
            y=[summary["numerical_floor"]] * 2,
            mode="lines",
            line=dict(color="black", dash="dot", width=1),
            name=f"numerical floor {summary['numerical_floor']:.1e}",
        )
    )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        xaxis_title="initialization scale s",
        yaxis_title="largest |Δ log10 ℓ| over the window",
        height=460,
        yaxis_exponentformat="power",
        xaxis_exponentformat="power",
        title="The aligned gap shrinks like s; the unaligned one does not",
    )
    return stamp(fig, _params(summary), f"reference s = {arrays['scales'][-1]:.0e}")


def shift_slider(
    times: np.ndarray,
    reference: tuple[np.ndarray, str],
    runs: list[dict[str, Any]],
    *,
    active: int,
    title_size: int = 13,
) -> go.Figure:
    """Slider over runs: the reference loss curve (always shown), the selected run's raw curve and the same run
    shifted back by its Theorem-1 lag. ``reference`` is (loss up to its final time, name); each run is a dict
    with ``loss`` (up to its final time), ``lag``, ``raw_name``, ``shifted_name``, ``label`` (slider tick) and
    ``title``. Plotly's slider toggles precomputed traces, so it works in static HTML."""
    fig = go.Figure()
    loss, name = reference
    x, y = _positive(times[: len(loss)], loss)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color="black", width=3), name=name))
    for j, r in enumerate(runs):
        t = times[: len(r["loss"])]
        for tt, line, nm in (
            (t, dict(color="#ff7f0e", dash="dash"), r["raw_name"]),
            (t - r["lag"], dict(color="#1f77b4"), r["shifted_name"]),
        ):
            x, y = _positive(tt, r["loss"])
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", visible=j == active, line=line, name=nm))
    steps = []
    for j, r in enumerate(runs):
        vis = [True] + [False] * (2 * len(runs))
        vis[1 + 2 * j] = vis[2 + 2 * j] = True
        steps.append(
            dict(method="update", label=r["label"], args=[{"visible": vis}, {"title.text": r["title"]}])
        )
    fig.update_layout(
        sliders=[
            dict(
                active=active, steps=steps, currentvalue=dict(prefix="initialization scale: "), pad=dict(t=50)
            )
        ],
        title=runs[active]["title"],
        title_font=dict(size=title_size),
        height=520,
        xaxis_type="log",
        yaxis_type="log",
        yaxis_exponentformat="power",
        yaxis_title="loss ℓ",
        xaxis_title="time (reference run's time for the shifted curve)",
    )
    return fig


def scale_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Slider over the initialization scale (one seed): the reference curve, the run's raw curve and the same
    run shifted by Theorem 1 (:func:`shift_slider`)."""
    ss = arrays["scan_scales"]
    ref = len(ss)  # the scan's reference is stored last
    loss = lambda i: arrays["scan_loss_traj"][i, : _end(arrays, i, "scan_")]  # noqa: E731
    runs = [
        dict(
            loss=loss(i),
            lag=float(arrays["scan_lag"][i]),
            raw_name=f"s = {s:.0e}, raw",
            shifted_name=f"s = {s:.0e}, shifted by lag {float(arrays['scan_lag'][i]):.3f}",
            label=f"{s:.0e}",
            title=f"s = {s:.0e}: lag {arrays['scan_lag'][i]:.3f}; largest |Δ log10 ℓ| raw "
            f"{arrays['scan_unaligned_gap'][i]:.2g}, shifted {arrays['scan_aligned_gap'][i]:.2g}",
        )
        for i, s in enumerate(ss)
    ]
    fig = shift_slider(
        arrays["times"], (loss(ref), f"reference s = {arrays['scales'][-1]:.0e}"), runs, active=len(ss) // 2
    )
    return stamp(fig, {**_params(summary), "seed": summary["scan_seed"]})


def fig2_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static PNG: raw curves, shifted curves, gap against scale; stamped with parameters and code hash."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 4.3))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    t = arrays["times"]
    for i, s in enumerate(arrays["scales"]):
        e = _end(arrays, i)
        c = COLORS[i % len(COLORS)]
        lab = f"seed {int(arrays['seeds'][i])}, s={s:.0e}"
        x, y = _positive(t[:e], arrays["loss_traj"][i, :e])
        ax1.plot(x, y, color=c, label=lab)
        x, y = _positive(t[:e] - arrays["lag"][i], arrays["loss_traj"][i, :e])
        ax2.plot(x, y, color=c, ls=":" if i % 2 else "-")
    ax1.set(xscale="log", yscale="log", xlabel="t", ylabel="loss", title="before the Theorem-1 shift")
    ax2.set(xscale="log", yscale="log", xlabel="t - lag", title="after the shift")
    ax1.legend(fontsize=7)
    s = arrays["scales"][:-1]
    ax3.loglog(s, arrays["unaligned_gap"][:-1], "x", color="gray", label="five trials, unaligned")
    ax3.loglog(s, arrays["aligned_gap"][:-1], "o", color="#d62728", label="five trials, aligned")
    ax3.loglog(
        arrays["scan_scales"],
        arrays["scan_aligned_gap"],
        ".-",
        color="#1f77b4",
        label=f"seed {summary['scan_seed']}, aligned (slope {summary['scan_slope']:.2f})",
    )
    ax3.axhline(summary["numerical_floor"], color="k", ls=":", lw=0.8, label="numerical floor")
    ax3.set(xlabel="initialization scale s", ylabel="largest |Δ log10 loss|", title="log-loss gap")
    ax3.legend(fontsize=7)
    p = summary["parameters"]
    design = p.get("design", "even") + (
        "" if p.get("design", "even") == "even" else f" (data seed {p['data_seed']})"
    )
    fig.text(
        0.01,
        0.01,
        f"n={p['n_samples']} {design}, C2/C1={p['c_ratio']:g}, scales={list(p['scales'])}, "
        f"horizon={p['t_max']:g}, rtol={p['rtol']:g}, checkpoints/decade={p['checkpoints_per_decade']}; "
        f"code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    fig2_static(summary, arrays, path)
