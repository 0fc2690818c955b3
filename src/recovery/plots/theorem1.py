"""Plots of the Theorem-1 page: aligned distance against the scale, distance over aligned time, and a slider over
the scale showing the aligned trajectories and loss curves (plotly, works in static HTML)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import stamp

C_COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
SEED_DASH = ("solid", "dot", "dash", "dashdot", "longdash")


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {
        "n": p["n_samples"],
        "horizon": p["t_max"],
        "rtol": p["rtol"],
        "check_rtol": p["check_rtol"],
        "checkpoints/decade": p["checkpoints_per_decade"],
        "tau window": f"[{p['tau_min']:g}, {p['tau_max']:g}]",
    }


def _thin(x: np.ndarray, y: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``keep`` evenly spaced points (the last always kept)."""
    if len(x) <= keep:
        return x, y
    idx = np.unique(np.r_[np.linspace(0, len(x) - 1, keep).astype(int), len(x) - 1])
    return x[idx], y[idx]


def distance_vs_scale(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Left: max aligned parameter distance against s (filled: converged between the two tolerances, open: at the
    numerical floor; crosses: the check tolerance; grey: s¹ through the median prefactor). Right: the same for
    the log-loss gap, and the distance between two seeds with the same c at the same s."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=("parameters: max ‖θ_s(τ) − θ_ref(τ)‖", "loss gap and seed-to-seed distance"),
    )
    s = arrays["scales"]
    conv = arrays["converged"]
    for ci, c in enumerate(arrays["c_ratios"]):
        col = C_COLORS[ci % len(C_COLORS)]
        for k, seed in enumerate(arrays["seeds"]):
            name = f"C₂/C₁ = {c:g}, seed {int(seed)}"
            d = arrays["distance"][ci, k]
            ok = np.isfinite(d)
            fig.add_trace(
                go.Scatter(
                    x=s[ok],
                    y=d[ok],
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    line=dict(color=col, dash=SEED_DASH[k % len(SEED_DASH)], width=1.5),
                    marker=dict(symbol=["circle" if v else "circle-open" for v in conv[ci, k, ok]], size=8),
                    hovertemplate="s=%{x:.0e}<br>distance=%{y:.2e}<extra>" + name + "</extra>",
                ),
                1,
                1,
            )
            if "check_distance" in arrays:
                dc = arrays["check_distance"][ci, k]
                fig.add_trace(
                    go.Scatter(
                        x=s[ok],
                        y=dc[ok],
                        mode="markers",
                        name=name + " (check rtol)",
                        legendgroup=name,
                        showlegend=False,
                        marker=dict(symbol="x-thin", size=9, color=col, line=dict(width=1.5, color=col)),
                        hovertemplate="check rtol<br>s=%{x:.0e}<br>distance=%{y:.2e}<extra>"
                        + name
                        + "</extra>",
                    ),
                    1,
                    1,
                )
            g = arrays["loss_gap"][ci, k]
            okg = np.isfinite(g) & (g > 0)
            fig.add_trace(
                go.Scatter(
                    x=s[okg],
                    y=g[okg],
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=False,
                    line=dict(color=col, dash=SEED_DASH[k % len(SEED_DASH)], width=1.5),
                    marker=dict(size=6),
                    hovertemplate="s=%{x:.0e}<br>log10-loss gap=%{y:.2e}<extra>" + name + "</extra>",
                ),
                1,
                2,
            )
            if k > 0:
                sd = arrays["seed_distance"][ci, k]
                oks = np.isfinite(sd)
                fig.add_trace(
                    go.Scatter(
                        x=s[oks],
                        y=sd[oks],
                        mode="lines+markers",
                        name=f"seed {int(seed)} vs seed {int(arrays['seeds'][0])}, C₂/C₁ = {c:g}",
                        legendgroup=f"seed-{c}",
                        line=dict(color=col, width=1, dash="dot"),
                        marker=dict(symbol="diamond-open", size=7),
                        hovertemplate="s=%{x:.0e}<br>seed-to-seed distance=%{y:.2e}<extra></extra>",
                    ),
                    1,
                    2,
                )
    med = np.nanmedian(arrays["prefactor"]) if np.isfinite(arrays["prefactor"]).any() else np.nan
    if np.isfinite(med):
        fig.add_trace(
            go.Scatter(
                x=s,
                y=med * s,
                mode="lines",
                line=dict(color="#888", width=1),
                name=f"{med:.2g}·s (slope 1)",
                hoverinfo="skip",
            ),
            1,
            1,
        )
    floor = summary.get("numerical_floor", np.nan)
    if floor is not None and np.isfinite(floor):
        fig.add_trace(
            go.Scatter(
                x=[s.min(), s.max()],
                y=[floor, floor],
                mode="lines",
                line=dict(color="black", dash="dash", width=1),
                name=f"numerical floor {floor:.1e}",
                hoverinfo="skip",
            ),
            1,
            1,
        )
    for col in (1, 2):
        fig.update_xaxes(
            type="log", title_text="initialization scale s", row=1, col=col, exponentformat="power"
        )
        fig.update_yaxes(type="log", row=1, col=col, exponentformat="power")
    fig.update_yaxes(title_text="max over the τ window", row=1, col=1)
    fig.update_yaxes(title_text="decades of loss / parameter distance", row=1, col=2)
    fig.update_layout(
        height=520,
        title="Theorem 1: distance to the smallest-scale run after the time shift",
        legend=dict(font=dict(size=9)),
    )
    return stamp(fig, _params(summary), f"slope median {summary['slope_median']:.2f}")


def profiles(summary: dict[str, Any], arrays: dict[str, np.ndarray], seed_index: int = 0) -> go.Figure:
    """‖θ_s(τ) − θ_ref(τ)‖ over the aligned time window, one panel per c, one curve per scale."""
    cs = arrays["c_ratios"]
    fig = make_subplots(
        rows=1,
        cols=len(cs),
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=[f"C₂/C₁ = {c:g}" for c in cs],
    )
    s = arrays["scales"][:-1]
    shades = np.linspace(0.15, 0.9, len(s))
    for ci in range(len(cs)):
        for si, sc in enumerate(s):
            tau, d = arrays["profile_tau"][ci, seed_index, si], arrays["profile_distance"][ci, seed_index, si]
            ok = np.isfinite(tau) & np.isfinite(d) & (tau > 0) & (d > 0)
            x, y = _thin(tau[ok], d[ok], 300)
            grey = int(255 * (1 - shades[si]))
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    name=f"s = {sc:.0e}",
                    legendgroup=f"{sc}",
                    showlegend=ci == 0,
                    line=dict(color=f"rgb({grey},{grey},255)", width=1.3),
                    hovertemplate="τ=%{x:.3g}<br>distance=%{y:.2e}<extra>s=" + f"{sc:.0e}</extra>",
                ),
                1,
                ci + 1,
            )
        fig.update_xaxes(type="log", title_text="aligned time τ", row=1, col=ci + 1, exponentformat="power")
    # every panel's y axis log (they are matched: an axis left linear made plotly's shared range cut the
    # other panels' largest and smallest distances)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="‖θ_s(τ) − θ_ref(τ)‖", row=1, col=1)
    fig.update_layout(
        height=430,
        title=f"Where the aligned runs differ (seed {int(arrays['seeds'][seed_index])}, "
        f"reference s = {arrays['scales'][-1]:.0e})",
        legend=dict(font=dict(size=9)),
    )
    return stamp(fig, _params(summary))


def scale_slider(
    summary: dict[str, Any],
    arrays: dict[str, np.ndarray],
    seed_index: int = 0,
    tau_range: tuple[float, float] = (-3.0, 25.0),
    keep: int = 160,
) -> go.Figure:
    """Slider over the scale s (reference: the smallest): output weights a₁(τ), a₂(τ) and the loss against the
    aligned time τ for every c, the run at s (solid) on top of the reference (black dotted)."""
    cs = arrays["c_ratios"]
    nc = len(cs)
    ns = len(arrays["scales"])
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.09, subplot_titles=("output weights a₁(τ), a₂(τ)", "loss ℓ(τ)")
    )

    def curves(ci: int, si: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        tau = arrays["tau"][ci, si, seed_index]
        end = np.searchsorted(arrays["times"], arrays["final_time"][ci, si, seed_index], side="right")
        sel = (np.arange(len(tau)) < end) & (tau >= tau_range[0]) & (tau <= tau_range[1])
        th = arrays["theta_traj"][ci, si, seed_index][sel]
        idx = (
            np.unique(np.r_[np.linspace(0, sel.sum() - 1, keep).astype(int)])
            if sel.sum() > keep
            else np.arange(sel.sum())
        )
        return tau[sel][idx], th[idx, 0, 0], th[idx, 1, 0], arrays["loss_traj"][ci, si, seed_index][sel][idx]

    n_ref = 0
    for ci in range(nc):  # the reference curves stay on every step
        t, a1, a2, lo = curves(ci, ns - 1)
        for y, nm in ((a1, "a₁"), (a2, "a₂")):
            fig.add_trace(
                go.Scatter(
                    x=t,
                    y=y,
                    mode="lines",
                    line=dict(color="black", dash="dot", width=1.5),
                    name="reference s = " + f"{arrays['scales'][-1]:.0e}",
                    legendgroup="ref",
                    showlegend=ci == 0 and nm == "a₁",
                    hoverinfo="skip",
                ),
                1,
                1,
            )
            n_ref += 1
        fig.add_trace(
            go.Scatter(
                x=t,
                y=lo,
                mode="lines",
                line=dict(color="black", dash="dot", width=1.5),
                name="reference",
                legendgroup="ref",
                showlegend=False,
                hoverinfo="skip",
            ),
            1,
            2,
        )
        n_ref += 1
    per_step = 3 * nc
    for si in range(ns - 1):
        for ci, c in enumerate(cs):
            col = C_COLORS[ci % len(C_COLORS)]
            t, a1, a2, lo = curves(ci, si)
            nm = f"C₂/C₁ = {c:g}"
            for y, lab, dash in ((a1, "a₁", "solid"), (a2, "a₂", "dash")):
                fig.add_trace(
                    go.Scatter(
                        x=t,
                        y=y,
                        mode="lines",
                        visible=si == 0,
                        line=dict(color=col, dash=dash),
                        name=f"{nm}: {lab}",
                        legendgroup=nm,
                        hovertemplate="τ=%{x:.2f}<br>" + lab + "=%{y:.4f}<extra>" + nm + "</extra>",
                    ),
                    1,
                    1,
                )
            fig.add_trace(
                go.Scatter(
                    x=t,
                    y=lo,
                    mode="lines",
                    visible=si == 0,
                    line=dict(color=col),
                    name=nm,
                    legendgroup=nm,
                    showlegend=False,
                    hovertemplate="τ=%{x:.2f}<br>loss=%{y:.3e}<extra>" + nm + "</extra>",
                ),
                1,
                2,
            )
    steps = []
    for si in range(ns - 1):
        vis = [True] * n_ref + [False] * ((ns - 1) * per_step)
        for j in range(per_step):
            vis[n_ref + si * per_step + j] = True
        d = arrays["distance"][:, seed_index, si]
        label = f"{arrays['scales'][si]:.0e}"
        steps.append(
            dict(
                method="update",
                label=label,
                args=[
                    {"visible": vis},
                    {
                        "title": f"s = {label} against the reference s = {arrays['scales'][-1]:.0e} (seed "
                        f"{int(arrays['seeds'][seed_index])}): max distance "
                        + ", ".join(f"{x:.1e}" for x in d)
                        + " for C₂/C₁ = "
                        + ", ".join(f"{c:g}" for c in cs)
                    },
                ],
            )
        )
    fig.update_layout(
        sliders=[
            dict(active=0, steps=steps, currentvalue=dict(prefix="initialization scale s = "), pad=dict(t=95))
        ],
        title=steps[0]["args"][1]["title"] if steps else "",
        height=620,
        legend=dict(font=dict(size=9)),
    )
    fig.update_xaxes(title_text="aligned time τ = t + log‖C(θ₀)‖/‖z‖", row=1, col=1)
    fig.update_xaxes(title_text="aligned time τ", row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=2, exponentformat="power")
    stamp(fig, _params(summary))
    fig.update_layout(margin=dict(b=170))
    return fig


def theorem1_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """PNG for the CLI: distance against s (left) and the distance profiles of the first seed (right)."""
    from matplotlib.figure import Figure

    from ..cache import code_hash

    fig = Figure(figsize=(12, 4.8))
    ax1, ax2 = fig.subplots(1, 2)
    s = arrays["scales"]
    for ci, c in enumerate(arrays["c_ratios"]):
        col = C_COLORS[ci % len(C_COLORS)]
        for k in range(len(arrays["seeds"])):
            d = arrays["distance"][ci, k]
            ax1.loglog(
                s,
                d,
                marker="o",
                color=col,
                ms=4,
                lw=1,
                ls="-" if k == 0 else ":",
                label=f"c = {c:g}, seed {int(arrays['seeds'][k])}",
            )
            if "check_distance" in arrays:
                ax1.loglog(s, arrays["check_distance"][ci, k], "x", color=col, ms=5)
        for si in range(len(s) - 1):
            tau, d = arrays["profile_tau"][ci, 0, si], arrays["profile_distance"][ci, 0, si]
            ok = np.isfinite(tau) & (tau > 0) & np.isfinite(d) & (d > 0)
            ax2.loglog(tau[ok], d[ok], color=col, lw=0.8, alpha=0.3 + 0.7 * si / max(len(s) - 2, 1))
    med = np.nanmedian(arrays["prefactor"]) if np.isfinite(arrays["prefactor"]).any() else np.nan
    if np.isfinite(med):
        ax1.loglog(s, med * s, color="grey", lw=1, label=f"{med:.2g}·s")
    ax1.set_xlabel("initialization scale s")
    ax1.set_ylabel("max over τ of ‖θ_s(τ) − θ_ref(τ)‖")
    ax1.set_title(f"aligned distance ~ s^{summary['slope_median']:.2f} (x: check rtol)")
    ax1.legend(fontsize=6)
    ax2.set_xlabel("aligned time τ")
    ax2.set_ylabel("‖θ_s(τ) − θ_ref(τ)‖ (first seed)")
    ax2.set_title("distance over τ (darker: smaller s)")
    p = summary["parameters"]
    fig.suptitle(
        f"Theorem 1, n={p['n_samples']}, rtol={p['rtol']:g}, check {p['check_rtol']:g}, horizon "
        f"{p['t_max']:g}; code {code_hash()}",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    theorem1_static(summary, arrays, path)
