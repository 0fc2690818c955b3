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
    for i, v0 in enumerate(v0s):
        vis = i == 0
        t, lo = _curve(arrays, "ratio_min", i)
        _, hi = _curve(arrays, "ratio_max", i)
        fig.add_trace(go.Scatter(x=np.concatenate([t, t[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                                 fillcolor="rgba(31,119,180,0.15)", line=dict(width=0), visible=vis,
                                 name="|v_r|/|w_r|, min to max over filters", hoverinfo="skip"), 1, 1)
        fig.add_trace(go.Scatter(x=t, y=_curve(arrays, "ratio_med", i)[1], mode="lines", visible=vis,
                                 line=dict(color="#1f77b4"), name="|v_r|/|w_r|, median over filters"), 1, 1)
        fig.add_trace(go.Scatter(x=t, y=_curve(arrays, "ratio", i)[1], mode="lines", visible=vis,
                                 line=dict(color="black", dash="dash"), name="|v| / |W|_F"), 1, 1)
        fig.add_trace(go.Scatter(x=t, y=[1.0] * len(t), mode="lines", visible=vis, hoverinfo="skip",
                                 line=dict(color="#999", dash="dot", width=1), name="ratio 1"), 1, 1)
        fig.add_trace(go.Scatter(x=t, y=_curve(arrays, "v_norm", i)[1], mode="lines", visible=vis,
                                 line=dict(color="#d62728"), name="|v| (output layer)"), 1, 2)
        fig.add_trace(go.Scatter(x=t, y=_curve(arrays, "W_norm", i)[1], mode="lines", visible=vis,
                                 line=dict(color="#2ca02c"), name="|W|_F (hidden layer)"), 1, 2)
    steps = []
    for i, v0 in enumerate(v0s):
        vis = [False] * (per * len(v0s))
        vis[per * i:per * (i + 1)] = [True] * per
        e = int(arrays["traj_steps"][i])
        title = (f"v0 = {v0:g}: |v - v(0)|/|v(0)| = {arrays['traj_v_change'][i, e]:.3g} at the end; final median "
                 f"|v_r|/|w_r| = {arrays['traj_ratio_med'][i, e]:.3g}; {e} GD steps to loss {summary['parameters']['loss_target']:g}")
        steps.append(dict(method="update", label=f"{v0:g}", args=[{"visible": vis}, {"title.text": title}]))
    fig.update_layout(sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="output-layer init v0: "),
                                    pad=dict(t=60))],
                      title=steps[0]["args"][1]["title.text"], title_font=dict(size=12), height=560,
                      legend=dict(orientation="h", y=-0.5, font=dict(size=10)))
    for c in (1, 2):
        fig.update_xaxes(type="log", title_text="gradient-flow time t", exponentformat="power", row=1, col=c)
        fig.update_yaxes(type="log", exponentformat="power", row=1, col=c)
    p = summary["parameters"]
    extra = (f"sigma_0={p['sigma_0_values'][0]:g}, n={p['n_values'][-1]}, d={p['d_values'][-1]}, "
             f"|mu|={summary['trajectory_mu']:g}, seed {p['first_seed']}")
    return stamp(fig, _params(summary), extra, below_px=230)


def ratio_overlay(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """(a) All v₀ together: the median |v_r|/‖w_r‖ against ‖W‖_F/‖W(0)‖_F (how far the hidden layer has grown)."""
    fig = go.Figure()
    for i, v0 in enumerate(arrays["v0_values"]):
        e = int(arrays["traj_steps"][i]) + 1
        w = arrays["traj_W_norm"][i, :e]
        fig.add_trace(go.Scatter(x=w / w[0], y=arrays["traj_ratio_med"][i, :e], mode="lines+markers",
                                 marker=dict(size=3), line=dict(color=COLORS[i % len(COLORS)]), name=f"v0 = {v0:g}"))
    fig.add_hline(y=1.0, line=dict(color="#999", dash="dot"))
    fig.update_layout(xaxis_type="log", yaxis_type="log", height=440, xaxis_title="|W|_F / |W(0)|_F",
                      yaxis_title="median over filters of |v_r| / |w_r|", yaxis_exponentformat="power",
                      title="Large v0: the ratio falls as W grows under a fixed v. Small v0: it rises to 1 and stays",
                      title_font=dict(size=13))
    p = summary["parameters"]
    return stamp(fig, _params(summary), f"sigma_0={p['sigma_0_values'][0]:g}, n={p['n_values'][-1]}, "
                 f"d={p['d_values'][-1]}, |mu|={summary['trajectory_mu']:g}")


def _panels(arrays: dict[str, np.ndarray]) -> list[tuple[int, int, int]]:
    return [(s, a, b) for s in range(len(arrays["sigma_0_values"])) for a in range(len(arrays["n_values"]))
            for b in range(len(arrays["d_values"]))]


def phase_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """(b) Mean test accuracy over (v₀, 1/‖μ‖), one (σ₀, n, d) panel per slider step; the cell text is the
    accuracy and n‖μ‖⁴/(σ_p⁴ d)."""
    v0s, mus = arrays["v0_values"], arrays["mu_norms"]
    sp = summary["parameters"]["sigma_p"]
    xl = [f"{v:g}" for v in v0s]
    order = np.argsort(1.0 / mus)  # 1/|mu| ascending upwards
    yl = [f"{1 / mus[j]:.3g}" for j in order]
    panels = _panels(arrays)
    fig = go.Figure()
    for k, (s, a, b) in enumerate(panels):
        n, d = int(arrays["n_values"][a]), int(arrays["d_values"][b])
        z = arrays["acc_mean"][s, a, b][:, order].T  # rows: 1/|mu|, cols: v0
        X = n * mus[order] ** 4 / (sp**4 * d)
        text = [[f"{z[r, c]:.2f}<br>X={X[r]:.2g}" for c in range(len(v0s))] for r in range(len(order))]
        fig.add_trace(go.Heatmap(z=z, x=xl, y=yl, zmin=0.5, zmax=1.0, colorscale="RdBu", text=text,
                                 texttemplate="%{text}", textfont=dict(size=10), visible=k == 0,
                                 colorbar=dict(title="test acc."),
                                 hovertemplate="v0=%{x}<br>1/|mu|=%{y}<br>accuracy %{z:.3f}<extra></extra>"))
    steps = []
    for k, (s, a, b) in enumerate(panels):
        vis = [False] * len(panels)
        vis[k] = True
        label = f"s0={arrays['sigma_0_values'][s]:g}, n={int(arrays['n_values'][a])}, d={int(arrays['d_values'][b])}"
        steps.append(dict(method="update", label=label,
                          args=[{"visible": vis}, {"title.text": f"test accuracy, {label} (X = n|mu|^4/(sigma_p^4 d))"}]))
    fig.update_layout(sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="panel: "), pad=dict(t=60))],
                      title=steps[0]["args"][1]["title.text"], title_font=dict(size=13), height=600,
                      xaxis_title="output-layer initialization v0", yaxis_title="1 / |mu|")
    return stamp(fig, _params(summary), below_px=150)


def collapse(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """(b) Largest v₀, smallest σ₀: test accuracy against ‖μ‖ (left, one curve per (n, d)) and against
    n‖μ‖⁴/(σ_p⁴ d) (right); the fixed-output-layer theory predicts that the right-hand curves coincide."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("against |mu|", "against n|mu|^4 / (sigma_p^4 d)"),
                        horizontal_spacing=0.1)
    mus = arrays["mu_norms"]
    R = arrays["test_acc"]  # (S0, Nn, Nd, V, M, seeds)
    k = 0
    for a, n in enumerate(arrays["n_values"]):
        for b, d in enumerate(arrays["d_values"]):
            c = COLORS[k % len(COLORS)]
            acc = arrays["collapse_acc_large"][k]
            sd = R[0, a, b, -1].std(-1)
            name = f"n={int(n)}, d={int(d)}"
            fig.add_trace(go.Scatter(x=mus, y=acc, error_y=dict(type="data", array=sd, visible=True), mode="lines+markers",
                                     line=dict(color=c), name=name, legendgroup=name), 1, 1)
            fig.add_trace(go.Scatter(x=arrays["collapse_X"][k], y=acc, mode="lines+markers", line=dict(color=c),
                                     name=name, legendgroup=name, showlegend=False), 1, 2)
            k += 1
    thr = summary["parameters"]["accuracy_threshold"]
    for col in (1, 2):
        fig.add_hline(y=thr, line=dict(color="#999", dash="dot"), row=1, col=col)
        fig.add_hline(y=0.5, line=dict(color="#ccc", dash="dash"), row=1, col=col)
        fig.update_xaxes(type="log", exponentformat="power", row=1, col=col)
        fig.update_yaxes(title_text="test accuracy (mean over seeds)" if col == 1 else None, row=1, col=col)
    v0 = arrays["v0_values"][-1]
    fig.update_layout(height=460, title=f"v0 = {v0:g}, sigma_0 = {arrays['sigma_0_values'][0]:g}: crossings of "
                      f"{thr:g} at |mu|* ~ n^{summary['exponent_n']:.2f} d^{summary['exponent_d']:.2f}",
                      title_font=dict(size=13))
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
    im = ax2.pcolormesh(np.arange(len(arrays["v0_values"]) + 1), np.arange(len(mus) + 1),
                        arrays["acc_mean"][0, -1, -1].T, vmin=0.5, vmax=1.0, cmap="RdBu")
    ax2.set_xticks(np.arange(len(arrays["v0_values"])) + 0.5, [f"{v:g}" for v in arrays["v0_values"]], fontsize=7)
    ax2.set_yticks(np.arange(len(mus)) + 0.5, [f"{1 / m:.3g}" for m in mus], fontsize=7)
    ax2.set(xlabel="v0", ylabel="1/|mu|", title=f"(b) test accuracy, n={arrays['n_values'][-1]}, "
            f"d={arrays['d_values'][-1]}, s0={arrays['sigma_0_values'][0]:g}")
    fig.colorbar(im, ax=ax2)
    for k in range(len(arrays["collapse_n"])):
        lab = f"n={arrays['collapse_n'][k]}, d={arrays['collapse_d'][k]}"
        ax3.semilogx(mus, arrays["collapse_acc_large"][k], "o-", ms=3, color=COLORS[k % len(COLORS)], label=lab)
        ax4.semilogx(arrays["collapse_X"][k], arrays["collapse_acc_large"][k], "o-", ms=3, color=COLORS[k % len(COLORS)])
    ax3.set(xlabel="|mu|", ylabel="test accuracy", title=f"large v0={arrays['v0_values'][-1]:g}")
    ax3.legend(fontsize=7)
    ax4.set(xlabel="n |mu|^4 / (sigma_p^4 d)", title="collapse")
    p = summary["parameters"]
    fig.text(0.01, 0.01, ", ".join(f"{k}={v}" for k, v in p.items()) + f"; code {summary['code_hash']}",
             fontsize=6, color="#555")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=100)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    static_png(summary, arrays, path)

