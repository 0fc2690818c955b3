"""Plots of the geometry page (arXiv:2309.00508, two neurons fitting one): the three branches in 3-D with the
interpolating set near them (slider over n), the local dimension of the interpolating set against n, and the loss
and distance curves of gradient flow started near each branch."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..figures.geometry import BRANCHES, branch_dimension
from .common import stamp

COLORS = {"condensed": "#d62728", "dead1": "#1f77b4", "dead2": "#2ca02c"}
NAMES = {
    "condensed": "condensed (w₁ = w₂ = w*)",
    "dead1": "neuron 1 dead (a₁ = 0)",
    "dead2": "neuron 2 dead (a₂ = 0)",
}
SETTING_TEXT = {"no_bias": "no bias: a₁tanh(w₁x) + a₂tanh(w₂x)", "bias": "with bias: x = (x, 1)"}


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {
        "target": f"{p['target_a']:g}·tanh({p['target_w']:g}x)",
        "points/branch": p["points_per_branch"],
        "designs": "+".join(p["designs"]),
    }


def branch_lines(target: np.ndarray, span: float = 2.5) -> dict[str, np.ndarray]:
    """The three branches of the no-bias setting in the coordinates (w₁, w₂, a₁) (a₂ is then fixed on each branch:
    a* − a₁, a*, 0), and their sign-flipped copies: name → ``(2, 3)`` end points."""
    a, w = float(target[0]), float(target[1])
    lo, hi = -span, span
    lines = {
        "condensed": np.array([[w, w, -0.8 * a], [w, w, 1.8 * a]]),
        "dead1": np.array([[lo, w, 0.0], [hi, w, 0.0]]),
        "dead2": np.array([[w, lo, a], [w, hi, a]]),
    }
    flips = {  # neuron 1 flipped (w₁, a₁ → −w₁, −a₁), neuron 2 flipped (w₂ → −w₂, a₂ → −a₂)
        "condensed, neuron 1 flipped": lines["condensed"] * np.array([-1.0, 1.0, -1.0]),
        "condensed, neuron 2 flipped": np.array([[w, -w, -0.8 * a], [w, -w, 1.8 * a]]),
        "neuron 1 dead, neuron 2 flipped": lines["dead1"] * np.array([1.0, -1.0, 1.0]),
        "neuron 2 dead, neuron 1 flipped": lines["dead2"] * np.array([-1.0, 1.0, -1.0]),
    }
    return {**lines, **flips}


def coordinates(theta: np.ndarray) -> np.ndarray:
    """(w₁, w₂, a₁) of no-bias parameters ``(..., 2, 2)`` (rows (a_k, w_k))."""
    return np.stack([theta[..., 0, 1], theta[..., 1, 1], theta[..., 0, 0]], -1)


def _dim_text(summary: dict[str, Any], n: int) -> str:
    rows = summary["rows"]["no_bias"]
    d = summary["parameters"]["designs"][0]
    parts = []
    for r in rows:
        dims = "/".join(map(str, r["interpolating_dimension"][d][str(n)]))
        parts.append(
            f"{r['branch']}: dim {dims} ({'separated' if r['separated'][d][str(n)] else 'not separated'})"
        )
    return f"n = {n}: " + "; ".join(parts)


def branches_3d(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """The three branches (lines, sign-flipped copies in grey) and, per n (slider), the interpolants found near each
    sampled point by projecting points at distance ``cloud_radius`` onto the zero-loss set of the n samples."""
    p = summary["parameters"]
    target = np.array([p["target_a"], p["target_w"]])
    span = 2.5
    fig = go.Figure()
    for name, seg in branch_lines(target, span).items():
        main = name in BRANCHES
        fig.add_trace(
            go.Scatter3d(
                x=seg[:, 0],
                y=seg[:, 1],
                z=seg[:, 2],
                mode="lines",
                name=NAMES[name] if main else name,
                line=dict(
                    color=COLORS[name] if main else "#999999",
                    width=7 if main else 3,
                    dash="dash" if name == "condensed" else "solid",
                ),
                visible=True if main else "legendonly",
                legendgroup=name,
                hoverinfo="name",
            )
        )
    pts = coordinates(arrays["no_bias_points"])
    br = arrays["no_bias_branch"]
    fig.add_trace(
        go.Scatter3d(
            x=pts[:, 0],
            y=pts[:, 1],
            z=pts[:, 2],
            mode="markers",
            name="sampled points",
            marker=dict(size=5, color="black", symbol="diamond"),
        )
    )
    n_fixed = len(fig.data)
    ns = [int(n) for n in arrays["n_values"]]
    cl, ok = arrays["cloud"], arrays["cloud_ok"]
    for ni, n in enumerate(ns):
        for b in BRANCHES:
            sel = br == b
            c = coordinates(cl[ni][sel][ok[ni][sel]])
            inside = (
                (np.abs(c[:, :2]) <= span).all(-1)
                & (c[:, 2] > -1.5 * abs(target[0]))
                & (c[:, 2] < 2.5 * abs(target[0]))
            )
            c = c[inside]
            fig.add_trace(
                go.Scatter3d(
                    x=c[:, 0],
                    y=c[:, 1],
                    z=c[:, 2],
                    mode="markers",
                    visible=ni == 0,
                    marker=dict(size=2.5, color=COLORS[b], opacity=0.6),
                    name=f"interpolants near {b} (n = {n})",
                    showlegend=False,
                )
            )
    steps = []
    for ni, n in enumerate(ns):
        vis = [True] * n_fixed + [False] * (len(ns) * len(BRANCHES))
        for k in range(len(BRANCHES)):
            vis[n_fixed + ni * len(BRANCHES) + k] = True
        vis = [v if i >= n_fixed else fig.data[i].visible for i, v in enumerate(vis)]
        steps.append(
            dict(
                method="update", label=str(n), args=[{"visible": vis}, {"title.text": _dim_text(summary, n)}]
            )
        )
    fig.update_layout(
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="sample size n = "), pad=dict(t=10))],
        title=dict(text=_dim_text(summary, ns[0]), font=dict(size=12)),
        height=640,
        scene=dict(
            xaxis_title="w₁",
            yaxis_title="w₂",
            zaxis_title="a₁",
            aspectmode="cube",
            xaxis=dict(range=[-span, span]),
            yaxis=dict(range=[-span, span]),
            zaxis=dict(range=[-1.5 * abs(target[0]), 2.5 * abs(target[0])]),
        ),
        legend=dict(font=dict(size=10), x=0.0, y=1.0),
    )
    return stamp(
        fig, {**_params(summary), "design": p["designs"][0], "cloud radius": p["cloud_radius"]}, below_px=40
    )


def dimension_vs_n(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Local dimension of the interpolating set near each branch (solid) and zero eigenvalues of the Hessian (dotted)
    against n, one panel per setting; the branch's own dimension dashed. Separated where solid meets dashed."""
    settings = summary["parameters"]["settings"]
    fig = make_subplots(
        rows=1,
        cols=len(settings),
        subplot_titles=[SETTING_TEXT[s] for s in settings],
        horizontal_spacing=0.08,
    )
    ns = np.array(arrays["n_values"])
    symbols = {"positive": "circle", "even": "square", "gaussian": "diamond"}
    for c, s in enumerate(settings, start=1):
        rows = summary["rows"][s]
        for r in rows:
            b = r["branch"]
            for d in r["interpolating_dimension"]:
                dim = [max(r["interpolating_dimension"][d][str(n)]) for n in ns]
                zero = [max(r["zero_eigenvalues"][d][str(n)]) for n in ns]
                off = {"condensed": -0.12, "dead1": 0.0, "dead2": 0.12}[b] + (
                    0.04 if d != r_first(r) else 0.0
                )
                name = f"{b}, {d}"
                fig.add_trace(
                    go.Scatter(
                        x=ns + off,
                        y=dim,
                        mode="lines+markers",
                        name=f"{name} ({s})",
                        line=dict(color=COLORS[b], dash="solid" if d == r_first(r) else "dashdot"),
                        marker=dict(symbol=symbols[d], size=8),
                        legendgroup=name,
                        showlegend=c == 1,
                        hovertemplate="n=%{x:.0f}<br>dim=%{y}<extra>" + name + "</extra>",
                    ),
                    1,
                    c,
                )
                fig.add_trace(
                    go.Scatter(
                        x=ns + off,
                        y=zero,
                        mode="markers",
                        name=f"zero eigenvalues, {name}",
                        marker=dict(symbol="x", size=6, color=COLORS[b]),
                        legendgroup=name,
                        showlegend=False,
                        hovertemplate="n=%{x:.0f}<br>zero eigenvalues=%{y}<extra>" + name + "</extra>",
                    ),
                    1,
                    c,
                )
        for bd in sorted({branch_dimension(s, b) for b in BRANCHES}):
            fig.add_trace(
                go.Scatter(
                    x=[ns.min() - 0.3, ns.max() + 0.3],
                    y=[bd, bd],
                    mode="lines",
                    line=dict(color="black", dash="dash", width=1),
                    showlegend=False,
                    hoverinfo="skip",
                ),
                1,
                c,
            )
        fig.update_xaxes(title_text="sample size n", dtick=1, row=1, col=c)
        fig.update_yaxes(title_text="local dimension of the interpolating set", dtick=1, row=1, col=c)
    fig.update_layout(
        height=460,
        title="Interpolating set near each branch (lines) and zero eigenvalues (×); "
        "dashed: the branch's dimension",
        title_font=dict(size=13),
        legend=dict(font=dict(size=10)),
    )
    return stamp(fig, _params(summary))


def r_first(row: dict[str, Any]) -> str:
    return next(iter(row["interpolating_dimension"]))


def rate_curves(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Loss (left) and distance to the branch reached (right) against t for gradient flow started near each
    branch: exponential decay near the dead branches, t⁻² (loss) and t^(−1/2) (distance) near the condensed one."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("loss", "distance to the branch reached"), horizontal_spacing=0.09
    )
    t = arrays["rate_times"]
    shown = set()
    for i in range(len(arrays["rate_setting"])):
        s, b = str(arrays["rate_setting"][i]), str(arrays["rate_branch"][i])
        e = int(np.searchsorted(t, arrays["rate_final_time"][i], side="right"))
        key = (s, b)
        name = f"start near {b}, {s.replace('_', ' ')}"
        dist = (
            arrays["rate_dist_condensed"][i] if arrays["rate_label"][i] == 1 else arrays["rate_dist_dead"][i]
        )
        for col, y in ((1, arrays["rate_loss_traj"][i]), (2, dist)):
            ok = (t[:e] > 0) & (y[:e] > 0)
            fig.add_trace(
                go.Scatter(
                    x=t[:e][ok],
                    y=y[:e][ok],
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1 and key not in shown,
                    line=dict(color=COLORS[b], width=1.2, dash="solid" if s == "no_bias" else "dot"),
                ),
                1,
                col,
            )
        shown.add(key)
    w = summary["parameters"]["condensed_time_window"]
    tt = np.array(w)
    sel = arrays["rate_label"] == 1
    if sel.any():
        L = arrays["rate_loss_traj"][sel][:, np.searchsorted(t, w[0])]
        D = arrays["rate_dist_condensed"][sel][:, np.searchsorted(t, w[0])]
        fig.add_trace(
            go.Scatter(
                x=tt,
                y=float(np.max(L)) * 3 * (tt / tt[0]) ** -2.0,
                mode="lines",
                name="∝ t⁻²",
                line=dict(color="black", dash="dash"),
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=tt,
                y=float(np.max(D)) * 2 * (tt / tt[0]) ** -0.5,
                mode="lines",
                name="∝ t^(−1/2)",
                line=dict(color="gray", dash="dash"),
            ),
            1,
            2,
        )
    for col in (1, 2):
        fig.update_xaxes(type="log", title_text="t", exponentformat="power", row=1, col=col)
        fig.update_yaxes(type="log", exponentformat="power", row=1, col=col)
    p = summary["parameters"]
    fig.update_layout(
        height=470,
        legend=dict(font=dict(size=10)),
        title=f"Gradient flow from a point of each branch displaced by {p['rate_eps']:g} "
        f"(n = {p['rate_n']}, {p['rate_design']})",
        title_font=dict(size=13),
    )
    return stamp(fig, {**_params(summary), "rtol": p["rate_rtol"], "horizon": p["rate_t_max"]})


def geometry_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static PNG: dimension of the interpolating set against n (no bias, first design), loss curves near each
    branch, distance curves; stamped with the parameters and the code hash."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(14, 4.3))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ns = np.array(arrays["n_values"])
    p = summary["parameters"]
    for s, ls in (("no_bias", "-"), ("bias", ":")):
        if s not in summary["rows"]:
            continue
        for r in summary["rows"][s]:
            d = r_first(r)
            off = {"condensed": -0.08, "dead1": 0.0, "dead2": 0.08}[r["branch"]]
            ax1.plot(
                ns + off,
                [max(r["interpolating_dimension"][d][str(n)]) for n in ns],
                ls,
                marker="o",
                color=COLORS[r["branch"]],
                label=f"{r['branch']}, {s} ({d})",
            )
    ax1.set(
        xlabel="sample size n",
        ylabel="local dim. of interpolating set",
        title="interpolating set near each branch",
    )
    ax1.legend(fontsize=6)
    if "rate_times" in arrays:
        t = arrays["rate_times"]
        for i in range(len(arrays["rate_setting"])):
            s, b = str(arrays["rate_setting"][i]), str(arrays["rate_branch"][i])
            e = int(np.searchsorted(t, arrays["rate_final_time"][i], side="right"))
            ls = "-" if s == "no_bias" else ":"
            dist = (
                arrays["rate_dist_condensed"][i]
                if arrays["rate_label"][i] == 1
                else arrays["rate_dist_dead"][i]
            )
            ok = t[:e] > 0
            ax2.loglog(
                t[:e][ok], np.maximum(arrays["rate_loss_traj"][i][:e][ok], 1e-32), ls, color=COLORS[b], lw=0.8
            )
            ax3.loglog(t[:e][ok], np.maximum(dist[:e][ok], 1e-17), ls, color=COLORS[b], lw=0.8)
    ax2.set(xlabel="t", ylabel="loss", title="near condensed (red): ~t^-2; dead (blue/green): exp.")
    ax3.set(xlabel="t", ylabel="distance to branch reached", title="distance (solid: no bias, dotted: bias)")
    fig.text(
        0.01,
        0.01,
        f"target {p['target_a']:g} tanh({p['target_w']:g} x) [bias: +{p['target_b']:g}], designs "
        f"{p['designs']} / bias {p['bias_design']}, points/branch {p['points_per_branch']}, rate n={p['rate_n']} "
        f"{p['rate_design']}, eps={p['rate_eps']:g}, horizon={p['rate_t_max']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    geometry_static(summary, arrays, path)
