"""Plots of the Hessian/geometry page: the Hessian spectrum at points of Q¹ and Q² with a slider over the sample
size n (plotly, static HTML), and the measured convergence rates next to the Hessian's prediction."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core.theory import NEITHER, Q1, Q2
from .common import SET_COLORS, stamp

BRANCH_COLORS = {"Q1": SET_COLORS[Q1], "Q2": SET_COLORS[Q2], "Q1∩Q2": "#9467bd", "Q2, w=0": "#ff7f0e"}
BRANCH_LABELS = {"Q1": "Q¹", "Q2": "Q²", "Q1∩Q2": "Q¹ ∩ Q²", "Q2, w=0": "Q², w = 0"}
BRANCH_SYMBOLS = {"Q1": "circle", "Q2": "square", "Q1∩Q2": "diamond", "Q2, w=0": "triangle-up"}
DESIGN_LABELS = {"even": "evenly spaced on [−2, 2]", "gaussian": "Gaussian N(0, 1)"}


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {
        "points/branch": p["points_per_branch"],
        "point_seed": p["point_seed"],
        "zero_rtol": p["zero_rtol"],
        "data_seed": p["data_seed"],
        "dim radius": p["dim_radius"],
        "dim samples": p["dim_samples"],
    }


def _step_title(arrays: dict[str, np.ndarray], ni: int) -> str:
    n = int(arrays["n_values"][ni])
    parts = []
    for b in ("Q1", "Q2"):
        sel = arrays["geo_branch"] == b
        z = sorted({int(x) for x in arrays["geo_zero"][:, ni, sel].ravel()})
        d = sorted({int(x) for x in arrays["geo_dim"][:, ni, sel].ravel()})
        mb = bool(arrays["geo_morse_bott"][:, ni, sel].all())
        parts.append(
            f"{BRANCH_LABELS[b]}: {'/'.join(map(str, z))} zero eigenvalue(s), minimum set of dim "
            f"{'/'.join(map(str, d))} → {'Morse–Bott' if mb else 'not Morse–Bott'}"
        )
    return f"n = {n}: " + "; ".join(parts)


def spectrum_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """|eigenvalues| of the training Hessian at every sampled point (x: index in ascending order), one panel per
    design, a slider over n. Open markers: numerically zero (below zero_rtol·max); grey line: that threshold."""
    designs = [str(d) for d in arrays["designs"]]
    fig = make_subplots(
        rows=1,
        cols=len(designs),
        shared_yaxes=True,
        horizontal_spacing=0.05,
        subplot_titles=[DESIGN_LABELS.get(d, d) for d in designs],
    )
    rtol = summary["parameters"]["zero_rtol"]
    br = arrays["geo_branch"]
    N = len(arrays["n_values"])
    P = arrays["geo_spectra"].shape[-1]
    per_step = 0
    for ni in range(N):
        count = 0
        for gi in range(len(designs)):
            for b in ("Q1", "Q2", "Q1∩Q2", "Q2, w=0"):
                idx = np.flatnonzero(br == b)
                if idx.size == 0:
                    continue
                xs, ys, zero, hover = [], [], [], []
                for j, pi in enumerate(idx):
                    ev = np.abs(arrays["geo_spectra"][gi, ni, pi])
                    thr = rtol * ev.max()
                    off = (j - (idx.size - 1) / 2) * 0.06
                    for k in range(P):
                        xs.append(k + 1 + off)
                        ys.append(max(ev[k], 1e-18))
                        zero.append(ev[k] <= thr)
                        hover.append(
                            f"point {j + 1}: |λ{k + 1}| = {ev[k]:.2e}; zero eigenvalues "
                            f"{arrays['geo_zero'][gi, ni, pi]}, dim of minimum set {arrays['geo_dim'][gi, ni, pi]}"
                        )
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=ys,
                        mode="markers",
                        visible=ni == N - 1,
                        name=BRANCH_LABELS[b],
                        legendgroup=b,
                        showlegend=gi == 0,
                        text=hover,
                        hovertemplate="%{text}<extra>" + BRANCH_LABELS[b] + "</extra>",
                        marker=dict(
                            symbol=[BRANCH_SYMBOLS[b] + ("-open" if z else "") for z in zero],
                            size=9,
                            color=BRANCH_COLORS[b],
                            line=dict(width=1.5, color=BRANCH_COLORS[b]),
                        ),
                    ),
                    1,
                    gi + 1,
                )
                count += 1
        per_step = count
    n_fixed = 0
    for gi in range(len(designs)):  # the zero threshold (the spectra's largest |λ| are O(1)-O(10))
        fig.add_trace(
            go.Scatter(
                x=[0.5, P + 0.5],
                y=[rtol, rtol],
                mode="lines",
                hoverinfo="skip",
                line=dict(color="#888", dash="dash", width=1),
                name=f"zero_rtol = {rtol:g}",
                showlegend=gi == 0,
            ),
            1,
            gi + 1,
        )
        n_fixed += 1
        fig.update_xaxes(
            title_text="eigenvalue index (ascending)", dtick=1, range=[0.5, P + 0.5], row=1, col=gi + 1
        )
        fig.update_yaxes(type="log", range=[-18.5, 1.5], exponentformat="power", row=1, col=gi + 1)
    fig.update_yaxes(title_text="|eigenvalue| of the training Hessian", row=1, col=1)
    steps = []
    for ni in range(N):
        vis = [False] * (N * per_step) + [True] * n_fixed
        for j in range(per_step):
            vis[ni * per_step + j] = True
        steps.append(
            dict(
                method="update",
                label=str(int(arrays["n_values"][ni])),
                args=[{"visible": vis}, {"title": _step_title(arrays, ni)}],
            )
        )
    fig.update_layout(
        sliders=[
            dict(active=N - 1, steps=steps, currentvalue=dict(prefix="sample size n = "), pad=dict(t=95))
        ],
        title=_step_title(arrays, N - 1),
        title_font=dict(size=12),
        height=600,
        legend=dict(font=dict(size=10)),
    )
    stamp(fig, _params(summary), "open markers: |λ| ≤ zero_rtol·max|λ|; exact zeros drawn at 1e-18")
    fig.update_layout(margin=dict(b=170))
    return fig


def rates_figure(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Left: loss against t for every run of the rate experiment, coloured by the set reached, with t⁻² through
    the median Q¹ run. Middle: distance to Q¹ of the Q¹ runs, with t^(−1/2). Right: the fitted exponential rate of
    each Q² run against 2λ_min of the Hessian at its end point (the line y = x is the Morse–Bott prediction)."""
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.14,  # room for each panel's own y-axis title at book width
        subplot_titles=(
            "loss ℓ(t), by set reached",
            "Q¹ runs: distance to Q¹",
            "Q² runs: rate vs 2λ_min",
        ),
    )
    t = arrays["rate_times"]
    lab = arrays["rate_label"]
    names = {Q1: "Q¹ (power law)", Q2: "Q² (exponential)", NEITHER: "unresolved"}
    shown = set()
    for i in range(len(lab)):
        end = (t > 0) & (t <= arrays["rate_final_time"][i])
        L = int(lab[i])
        fig.add_trace(
            go.Scattergl(
                x=t[end],
                y=arrays["rate_loss_traj"][i][end],
                mode="lines",
                line=dict(color=SET_COLORS[L], width=0.8),
                opacity=0.5,
                name=names[L],
                legendgroup=str(L),
                showlegend=L not in shown,
                hovertemplate=f"seed {i}, |C₁/C₂| = {arrays['rate_ratio_C'][i]:.3f}"
                + "<br>t=%{x:.3g}<br>loss=%{y:.2e}<extra></extra>",
            ),
            1,
            1,
        )
        shown.add(L)
    q1 = lab == Q1
    if q1.any():
        k = int(np.searchsorted(t, 1e6))
        if k < len(t):
            ref = float(np.median(arrays["rate_loss_traj"][q1, k]))
            tt = np.logspace(4, np.log10(t[-1]), 20)
            fig.add_trace(
                go.Scatter(
                    x=tt,
                    y=ref * (tt / t[k]) ** -2.0,
                    mode="lines",
                    name="∝ t⁻²",
                    line=dict(color="black", dash="dash", width=1.5),
                ),
                1,
                1,
            )
    for _j, i in enumerate(np.flatnonzero(q1)):
        d = arrays["rate_q1_distance_traj"][i]
        end = (t > 0) & (t <= arrays["rate_final_time"][i]) & (d > 0)
        fig.add_trace(
            go.Scattergl(
                x=t[end],
                y=d[end],
                mode="lines",
                line=dict(color=SET_COLORS[Q1], width=0.8),
                opacity=0.5,
                name=names[Q1],
                legendgroup=str(Q1),
                showlegend=False,
                hovertemplate=f"seed {i}" + "<br>t=%{x:.3g}<br>distance=%{y:.2e}<extra></extra>",
            ),
            1,
            2,
        )
    if q1.any():
        k = int(np.searchsorted(t, 1e6))
        if k < len(t):
            ref = float(np.nanmedian(arrays["rate_q1_distance_traj"][q1, k]))
            tt = np.logspace(4, np.log10(t[-1]), 20)
            fig.add_trace(
                go.Scatter(
                    x=tt,
                    y=ref * (tt / t[k]) ** -0.5,
                    mode="lines",
                    name="∝ t^(−1/2)",
                    line=dict(color="black", dash="dot", width=1.5),
                ),
                1,
                2,
            )
    ok = np.isfinite(arrays["rate_q2_ratio"])
    lam2 = 2 * arrays["rate_q2_lambda_min"][ok]
    rate = arrays["rate_q2_rate"][ok]
    w = arrays["rate_q2_dead_w_norm"][ok]
    seeds = np.flatnonzero(ok)
    fig.add_trace(
        go.Scatter(
            x=lam2,
            y=rate,
            mode="markers",
            name="Q² runs (colour: ‖w‖ of the inactive neuron)",
            marker=dict(
                color=w,
                colorscale="Viridis",
                size=7,
                showscale=True,
                colorbar=dict(title="‖w‖", x=1.02, len=0.7),
            ),
            text=[f"seed {s}, ‖w‖ = {x:.3f}" for s, x in zip(seeds, w)],
            hovertemplate="%{text}<br>2λ_min=%{x:.3e}<br>rate=%{y:.3e}<extra></extra>",
        ),
        1,
        3,
    )
    if lam2.size:
        lo, hi = float(min(lam2.min(), rate.min())) * 0.7, float(max(lam2.max(), rate.max())) * 1.4
        fig.add_trace(
            go.Scatter(
                x=[lo, hi],
                y=[lo, hi],
                mode="lines",
                name="rate = 2λ_min (Morse–Bott)",
                line=dict(color="black", dash="dot", width=1),
            ),
            1,
            3,
        )
    fig.update_xaxes(type="log", title_text="t", row=1, col=1, exponentformat="power")
    fig.update_xaxes(type="log", title_text="t", row=1, col=2, exponentformat="power")
    fig.update_yaxes(type="log", title_text="distance to Q¹", row=1, col=2, exponentformat="power")
    fig.update_yaxes(type="log", title_text="loss", row=1, col=1, exponentformat="power")
    fig.update_xaxes(type="log", title_text="2λ_min at the end point", row=1, col=3, exponentformat="power")
    fig.update_yaxes(type="log", title_text="fitted rate r", row=1, col=3, exponentformat="power")
    p = summary["parameters"]
    fig.update_layout(
        height=560,
        legend=dict(font=dict(size=10), orientation="h", y=-0.3),
        title=f"Convergence rates: n = {p['rate_n']}, s = {p['rate_scale']:g}, {p['rate_seeds']} seeds",
    )
    stamp(
        fig,
        {
            "n": p["rate_n"],
            "s": p["rate_scale"],
            "seeds": p["rate_seeds"],
            "horizon": p["rate_t_max"],
            "rtol": p["rate_rtol"],
            "Q² loss window": str(p["q2_loss_window"]),
            "Q¹ time window": str(p["q1_time_window"]),
        },
    )
    fig.update_layout(margin=dict(b=210))
    fig.layout.annotations[-1].update(y=-0.52, yshift=0)  # under the two legend rows
    return fig


def hessian_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """PNG for the CLI: spectra at n = rate_n (first design) and the fitted Q² rates against 2λ_min."""
    from matplotlib.figure import Figure

    from ..cache import code_hash

    fig = Figure(figsize=(12, 4.8))
    ax1, ax2 = fig.subplots(1, 2)
    n_vals = [int(n) for n in arrays["n_values"]]
    n = summary["parameters"]["rate_n"]
    ni = n_vals.index(n) if n in n_vals else len(n_vals) - 1
    br = arrays["geo_branch"]
    for b in ("Q1", "Q2", "Q1∩Q2", "Q2, w=0"):
        idx = np.flatnonzero(br == b)
        for j, pi in enumerate(idx):
            ev = np.maximum(np.abs(arrays["geo_spectra"][0, ni, pi]), 1e-18)
            ax1.semilogy(
                np.arange(1, len(ev) + 1) + 0.06 * j,
                ev,
                "o",
                color=BRANCH_COLORS[b],
                ms=5,
                label=BRANCH_LABELS[b] if j == 0 else None,
            )
    ax1.axhline(summary["parameters"]["zero_rtol"], color="grey", ls="--", lw=1)
    ax1.set_xlabel("eigenvalue index")
    ax1.set_ylabel("|eigenvalue| of the training Hessian")
    ax1.set_title(f"n = {n_vals[ni]} ({arrays['designs'][0]}): zero eigenvalues below the dashed line")
    ax1.legend(fontsize=7)
    ok = np.isfinite(arrays["rate_q2_ratio"])
    lam2, rate = 2 * arrays["rate_q2_lambda_min"][ok], arrays["rate_q2_rate"][ok]
    ax2.loglog(lam2, rate, "o", ms=4, color=BRANCH_COLORS["Q2"])
    if lam2.size:
        lo, hi = min(lam2.min(), rate.min()), max(lam2.max(), rate.max())
        ax2.loglog([lo, hi], [lo, hi], "k:", lw=1)
    ax2.set_xlabel("2λ_min at the end point")
    ax2.set_ylabel("fitted rate (loss ∝ exp(−rate·t))")
    ax2.set_title(
        f"Q²: rate/2λ_min median {summary['q2_rate_over_2lambda_median']:.3f}; Q¹: loss ∝ "
        f"t^{summary['q1_loss_exponent_median']:.2f}"
    )
    fig.suptitle(f"Hessian geometry and rates (arXiv:2405.13787, Example 1); code {code_hash()}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    hessian_static(summary, arrays, path)
