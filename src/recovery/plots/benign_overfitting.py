"""Plots of the benign-overfitting page (arXiv:2410.19139): plotly for the book (sliders work offline), one
static matplotlib PNG for the CLI. Every figure is stamped with its parameters and the code hash."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import stamp

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {k: p[k] for k in ("m", "sigma_p", "seeds", "n_test", "loss_target", "lr_factor")}


def _curve(arrays: dict[str, np.ndarray], key: str, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Trajectory ``key`` of the i-th v₀ up to its last step, against the flow's time (t > 0 for log axes)."""
    e = int(arrays["traj_steps"][i]) + 1
    t = arrays["traj_t"][i, :e]
    return t[1:], arrays[f"traj_{key}"][i, 1:e]


def trajectory_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """(a) One v₀ per slider step: left, the layer ratio ‖v‖/‖W‖_F and the median (band: min–max) over filters of
    |v_r|/‖w_r‖; right, ‖v‖ and ‖W‖_F; both against the gradient-flow time t (log axes)."""
    v0s = arrays["v0_values"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("layer ratio", "layer norms"), horizontal_spacing=0.1)
    per = 6
    for i, _v0 in enumerate(v0s):
        vis = i == 0
        t, lo = _curve(arrays, "ratio_min", i)
        _, hi = _curve(arrays, "ratio_max", i)
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([t, t[::-1]]),
                y=np.concatenate([hi, lo[::-1]]),
                fill="toself",
                fillcolor="rgba(31,119,180,0.15)",
                line=dict(width=0),
                visible=vis,
                name="|v_r|/|w_r|, min to max over filters",
                hoverinfo="skip",
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=_curve(arrays, "ratio_med", i)[1],
                mode="lines",
                visible=vis,
                line=dict(color="#1f77b4"),
                name="|v_r|/|w_r|, median over filters",
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=_curve(arrays, "ratio", i)[1],
                mode="lines",
                visible=vis,
                line=dict(color="black", dash="dash"),
                name="|v| / |W|_F",
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=[1.0] * len(t),
                mode="lines",
                visible=vis,
                hoverinfo="skip",
                line=dict(color="#999", dash="dot", width=1),
                name="ratio 1",
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=_curve(arrays, "v_norm", i)[1],
                mode="lines",
                visible=vis,
                line=dict(color="#d62728"),
                name="|v| (output layer)",
            ),
            1,
            2,
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=_curve(arrays, "W_norm", i)[1],
                mode="lines",
                visible=vis,
                line=dict(color="#2ca02c"),
                name="|W|_F (hidden layer)",
            ),
            1,
            2,
        )
    steps = []
    for i, v0 in enumerate(v0s):
        vis = [False] * (per * len(v0s))
        vis[per * i : per * (i + 1)] = [True] * per
        e = int(arrays["traj_steps"][i])
        title = (
            f"v0 = {v0:g}: |v - v(0)|/|v(0)| = {arrays['traj_v_change'][i, e]:.3g} at the end; final median "
            f"|v_r|/|w_r| = {arrays['traj_ratio_med'][i, e]:.3g}; {e} GD steps to loss {summary['parameters']['loss_target']:g}"
        )
        steps.append(dict(method="update", label=f"{v0:g}", args=[{"visible": vis}, {"title.text": title}]))
    fig.update_layout(
        sliders=[
            dict(active=0, steps=steps, currentvalue=dict(prefix="output-layer init v0: "), pad=dict(t=60))
        ],
        title=steps[0]["args"][1]["title.text"],
        title_font=dict(size=12),
        height=560,
        legend=dict(orientation="h", y=-0.5, font=dict(size=10)),
    )
    for c in (1, 2):
        fig.update_xaxes(type="log", title_text="gradient-flow time t", exponentformat="power", row=1, col=c)
        fig.update_yaxes(type="log", exponentformat="power", row=1, col=c)
    p = summary["parameters"]
    extra = (
        f"sigma_0={p['sigma_0_values'][0]:g}, n={p['n_values'][-1]}, d={p['d_values'][-1]}, "
        f"|mu|={summary['trajectory_mu']:g}, seed {p['first_seed']}"
    )
    return stamp(fig, _params(summary), extra, below_px=230)


def ratio_overlay(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """(a) All v₀ together: the median |v_r|/‖w_r‖ against ‖W‖_F/‖W(0)‖_F (how far the hidden layer has grown)."""
    fig = go.Figure()
    for i, v0 in enumerate(arrays["v0_values"]):
        e = int(arrays["traj_steps"][i]) + 1
        w = arrays["traj_W_norm"][i, :e]
        fig.add_trace(
            go.Scatter(
                x=w / w[0],
                y=arrays["traj_ratio_med"][i, :e],
                mode="lines+markers",
                marker=dict(size=3),
                line=dict(color=COLORS[i % len(COLORS)]),
                name=f"v0 = {v0:g}",
            )
        )
    fig.add_hline(y=1.0, line=dict(color="#999", dash="dot"))
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        height=440,
        xaxis_title="|W|_F / |W(0)|_F",
        yaxis_title="median over filters of |v_r| / |w_r|",
        yaxis_exponentformat="power",
        title="Large v0: the ratio falls as W grows under a fixed v. Small v0: it rises to 1 and stays",
        title_font=dict(size=13),
    )
    p = summary["parameters"]
    return stamp(
        fig,
        _params(summary),
        f"sigma_0={p['sigma_0_values'][0]:g}, n={p['n_values'][-1]}, "
        f"d={p['d_values'][-1]}, |mu|={summary['trajectory_mu']:g}",
    )


def figure3(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """The paper's Figure-3 quantities against the flow's time, one curve per v₀: max_i ⟨w_{y_i,r}, ξ_i⟩,
    max_i v_{y_i,r,2} and their ratio (medians over the filters r)."""
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.08,
        subplot_titles=("max_i <w_(y_i,r), xi_i>", "max_i v_(y_i,r,2)", "ratio"),
    )
    for i, v0 in enumerate(arrays["v0_values"]):
        c = COLORS[i % len(COLORS)]
        for col, key in enumerate(("noise_inner", "v_noise", "paper_ratio"), start=1):
            t, y = _curve(arrays, key, i)
            fig.add_trace(
                go.Scatter(
                    x=t,
                    y=y,
                    mode="lines",
                    line=dict(color=c),
                    name=f"v0 = {v0:g}",
                    legendgroup=f"{v0:g}",
                    showlegend=col == 1,
                ),
                1,
                col,
            )
    for col in (1, 2, 3):
        fig.update_xaxes(
            type="log", title_text="gradient-flow time t", exponentformat="power", row=1, col=col
        )
        fig.update_yaxes(type="log", exponentformat="power", row=1, col=col)
    fig.update_layout(
        height=440,
        title="Figure 3's quantities (median over filters r), until the loss target",
        title_font=dict(size=13),
    )
    p = summary["parameters"]
    return stamp(
        fig,
        _params(summary),
        f"sigma_0={p['sigma_0_values'][0]:g}, n={p['n_values'][-1]}, "
        f"d={p['d_values'][-1]}, |mu|={summary['trajectory_mu']:g}, seed {p['first_seed']}",
    )


def _log_edges(x: np.ndarray) -> np.ndarray:
    """Cell edges (log-midpoints) around ascending positive centres."""
    lx = np.log10(x)
    mid = (lx[1:] + lx[:-1]) / 2
    step0 = (lx[1] - lx[0]) if len(lx) > 1 else 0.5
    step1 = (lx[-1] - lx[-2]) if len(lx) > 1 else 0.5
    return np.concatenate([[lx[0] - step0 / 2], mid, [lx[-1] + step1 / 2]])


def fig2_v0_plane(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Figure 2(a) and (c): mean test accuracy over (v₀, 1/‖μ‖) (first panel), cells above the threshold
    marked (0.95 for (a), 0.8 for (c)), with the measured contour ‖μ‖*(v₀) of that threshold."""
    p = summary["parameters"]
    v0s, mus = arrays["v0_values"], arrays["mu_norms"]
    z = arrays["acc_mean"][0, 0, 0].T  # rows: mu, cols: v0
    lx, ly = np.log10(v0s), np.log10(1.0 / mus)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(
            f"(a) accuracy > {p['accuracy_threshold_a']:g} marked",
            f"(c) accuracy > {p['accuracy_threshold']:g} marked",
        ),
    )
    for col, (thr, key) in enumerate(
        ((p["accuracy_threshold_a"], "mu_star_a"), (p["accuracy_threshold"], "mu_star_c")), start=1
    ):
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=lx,
                y=ly,
                zmin=0.5,
                zmax=1.0,
                colorscale="RdBu",
                showscale=col == 2,
                colorbar=dict(title="test acc."),
                customdata=np.broadcast_to(v0s, z.shape),
                hovertemplate="log10 v0=%{x:.2f}<br>log10 1/|mu|=%{y:.2f}<br>accuracy %{z:.3f}"
                "<extra></extra>",
            ),
            1,
            col,
        )
        rr, cc = np.nonzero(z > thr)
        fig.add_trace(
            go.Scatter(
                x=lx[cc],
                y=ly[rr],
                mode="markers",
                marker=dict(symbol="circle", size=6, color="white", line=dict(color="black", width=1)),
                name=f"accuracy > {thr:g}",
                hoverinfo="skip",
            ),
            1,
            col,
        )
        ms = arrays[key]
        ok = np.isfinite(ms)
        fig.add_trace(
            go.Scatter(
                x=lx[ok],
                y=np.log10(1.0 / ms[ok]),
                mode="lines+markers",
                line=dict(color="black", width=2),
                marker=dict(symbol="x", size=8),
                name=f"contour {thr:g} (crossing along |mu|)",
            ),
            1,
            col,
        )
        fig.update_xaxes(title_text="log10 v0", row=1, col=col)
        fig.update_yaxes(title_text="log10 (1/|mu|)", row=1, col=col)
    fig.add_vline(x=float(np.log10(p["small_v0_max"])), line=dict(color="#555", dash="dot"), row=1, col=2)
    fig.update_layout(
        height=500,
        title_font=dict(size=13),
        legend=dict(orientation="h", y=-0.25),
        title=f"Figure 2(a), (c): slope of the {p['accuracy_threshold']:g} contour for v0 <= "
        f"{p['small_v0_max']:g}: {summary['fig2c_slope_small']:.3f}; over all v0: "
        f"{summary['fig2c_slope_all']:.3f}",
    )
    return stamp(
        fig,
        _params(summary),
        f"sigma_0={p['sigma_0_values'][0]:g}, n={p['n_values'][0]}, d={p['d_values'][0]}",
        below_px=170,
    )


def fig2b(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Figure 2(b): at v₀ = ``fig2b_v0`` the mean test accuracy at every (σ_p⁴d, n‖μ‖⁴) (colour), cells above the
    threshold marked, the threshold's crossings (σ_p⁴d, n‖μ‖*⁴) and their least-squares line (log-log)."""
    p = summary["parameters"]
    mus, sp = arrays["mu_norms"], p["sigma_p"]
    fig = go.Figure()
    xs, ys, zs = [], [], []
    for a, n in enumerate(arrays["b_n_values"]):
        for b, d in enumerate(arrays["b_d_values"]):
            xs += [sp**4 * d] * len(mus)
            ys += list(n * mus**4)
            zs += list(arrays["b_acc_mean"][a, b])
    xs, ys, zs = np.array(xs), np.array(ys), np.array(zs)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            name="test accuracy (mean over seeds)",
            marker=dict(
                symbol="square",
                size=16,
                color=zs,
                cmin=0.5,
                cmax=1.0,
                colorscale="RdBu",
                colorbar=dict(title="test acc."),
                line=dict(
                    color=np.where(zs > p["accuracy_threshold"], "black", "#ddd"),
                    width=np.where(zs > p["accuracy_threshold"], 2, 0.5),
                ),
            ),
            hovertemplate="sigma_p^4 d=%{x:.3g}<br>n|mu|^4=%{y:.3g}<br>accuracy %{marker.color:.3f}"
            "<extra></extra>",
        )
    )
    bx, by = arrays["b_x_star"], arrays["b_y_star"]
    ok = np.isfinite(by)
    fig.add_trace(
        go.Scatter(
            x=bx[ok],
            y=by[ok],
            mode="markers",
            marker=dict(symbol="x", size=10, color="black"),
            name=f"crossing of {p['accuracy_threshold']:g}",
        )
    )
    if np.isfinite(summary["fig2b_slope"]) and ok.any():
        xl = np.array([bx[ok].min(), bx[ok].max()])
        c = np.mean(np.log10(by[ok]) - summary["fig2b_slope"] * np.log10(bx[ok]))
        fig.add_trace(
            go.Scatter(
                x=xl,
                y=10 ** (summary["fig2b_slope"] * np.log10(xl) + c),
                mode="lines",
                line=dict(color="black"),
                name=f"fit: slope {summary['fig2b_slope']:.2f}",
            )
        )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        height=520,
        xaxis_title="sigma_p^4 d",
        yaxis_title="n |mu|^4",
        legend=dict(orientation="h", y=-0.2),
        title_font=dict(size=13),
        title=f"Figure 2(b), v0 = {p['fig2b_v0']:g}: accuracy > {p['accuracy_threshold']:g} outlined; "
        f"contour slope {summary['fig2b_slope']:.2f} (fixed-output theory: 1)",
    )
    return stamp(
        fig, _params(summary), f"sigma_0={p['sigma_0_values'][0]:g}, v0={p['fig2b_v0']:g}", below_px=150
    )


def collapse(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """(b) Largest v₀, smallest σ₀: test accuracy against ‖μ‖ (left, one curve per (n, d)) and against
    n‖μ‖⁴/(σ_p⁴ d) (right); the fixed-output-layer theory predicts that the right-hand curves coincide."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("against |mu|", "against n|mu|^4 / (sigma_p^4 d)"),
        horizontal_spacing=0.1,
    )
    mus = arrays["mu_norms"]
    R = arrays["b_test_acc"]  # (n, d, mu, seeds)
    k = 0
    for a, n in enumerate(arrays["b_n_values"]):
        for b, d in enumerate(arrays["b_d_values"]):
            c = COLORS[k % len(COLORS)]
            acc = arrays["collapse_acc_large"][k]
            sd = R[a, b].std(-1)
            name = f"n={int(n)}, d={int(d)}"
            fig.add_trace(
                go.Scatter(
                    x=mus,
                    y=acc,
                    error_y=dict(type="data", array=sd, visible=True),
                    mode="lines+markers",
                    line=dict(color=c),
                    name=name,
                    legendgroup=name,
                ),
                1,
                1,
            )
            fig.add_trace(
                go.Scatter(
                    x=arrays["collapse_X"][k],
                    y=acc,
                    mode="lines+markers",
                    line=dict(color=c),
                    name=name,
                    legendgroup=name,
                    showlegend=False,
                ),
                1,
                2,
            )
            k += 1
    thr = summary["parameters"]["accuracy_threshold"]
    for col in (1, 2):
        fig.add_hline(y=thr, line=dict(color="#999", dash="dot"), row=1, col=col)
        fig.add_hline(y=0.5, line=dict(color="#ccc", dash="dash"), row=1, col=col)
        fig.update_xaxes(type="log", exponentformat="power", row=1, col=col)
        fig.update_yaxes(title_text="test accuracy (mean over seeds)" if col == 1 else None, row=1, col=col)
    v0 = summary["parameters"]["fig2b_v0"]
    fig.update_layout(
        height=460,
        title=f"v0 = {v0:g}, sigma_0 = {arrays['sigma_0_values'][0]:g}: crossings of "
        f"{thr:g} at |mu|* ~ n^{summary['exponent_n']:.2f} d^{summary['exponent_d']:.2f}",
        title_font=dict(size=13),
    )
    return stamp(fig, _params(summary))


def static_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static PNG: ratio trajectories, phase diagram of the first panel, the collapse; stamped."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(16, 4.4))
    ax1, ax2, ax3, ax4 = fig.subplots(1, 4)
    for i, v0 in enumerate(arrays["v0_values"]):
        e = int(arrays["traj_steps"][i]) + 1
        t = arrays["traj_t"][i, 1:e]
        ax1.loglog(t, arrays["traj_ratio_med"][i, 1:e], color=COLORS[i % len(COLORS)], label=f"v0={v0:g}")
    ax1.axhline(1.0, color="#999", ls=":")
    ax1.set(xlabel="gradient-flow time t", ylabel="median |v_r|/|w_r|", title="(a) layer ratio")
    ax1.legend(fontsize=7)
    mus = arrays["mu_norms"]
    im = ax2.pcolormesh(
        np.arange(len(arrays["v0_values"]) + 1),
        np.arange(len(mus) + 1),
        arrays["acc_mean"][0, -1, -1].T,
        vmin=0.5,
        vmax=1.0,
        cmap="RdBu",
    )
    ax2.set_xticks(
        np.arange(len(arrays["v0_values"])) + 0.5, [f"{v:g}" for v in arrays["v0_values"]], fontsize=7
    )
    ax2.set_yticks(np.arange(len(mus)) + 0.5, [f"{1 / m:.3g}" for m in mus], fontsize=7)
    ax2.set(
        xlabel="v0",
        ylabel="1/|mu|",
        title=f"(b) test accuracy, n={arrays['n_values'][-1]}, "
        f"d={arrays['d_values'][-1]}, s0={arrays['sigma_0_values'][0]:g}",
    )
    fig.colorbar(im, ax=ax2)
    for k in range(len(arrays["collapse_n"])):
        lab = f"n={arrays['collapse_n'][k]}, d={arrays['collapse_d'][k]}"
        ax3.semilogx(
            mus, arrays["collapse_acc_large"][k], "o-", ms=3, color=COLORS[k % len(COLORS)], label=lab
        )
        ax4.semilogx(
            arrays["collapse_X"][k],
            arrays["collapse_acc_large"][k],
            "o-",
            ms=3,
            color=COLORS[k % len(COLORS)],
        )
    ax3.set(xlabel="|mu|", ylabel="test accuracy", title=f"v0={summary['parameters']['fig2b_v0']:g}")
    ax3.legend(fontsize=7)
    ax4.set(xlabel="n |mu|^4 / (sigma_p^4 d)", title="collapse")
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        ", ".join(f"{k}={v}" for k, v in p.items()) + f"; code {summary['code_hash']}",
        fontsize=6,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=100)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    static_png(summary, arrays, path)
