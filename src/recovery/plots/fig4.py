"""Plots of Figure 4 (Gaussian samples): plotly figures with plotly's own sliders (static HTML, precomputed)
and a stamped static PNG. Inputs are the stacked arrays of :func:`recovery.figures.fig4.stack`."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from ..core.data import SingleNeuronTarget, with_bias
from ..core.models import get_activation, predict
from ..core.outcomes import identified_with_threshold, optimistic_sample_size
from ..core.stats import wilson_interval
from ..core.theory import NEITHER, Q1, Q2
from ..figures.fig4 import (
    Config,
    horizon_recovery,
    measured_separation_size,
    ratio_panel_n,
    recovered_exactly,
    recovery_tables,
)
from . import common as plots
from .fig3 import fig3_convergence_3d

NOT_RECOVERED = "#d62728"  # red: orange and blue are the paper's Q² and Q¹
OUTCOME_COLORS = {Q1: plots.SET_COLORS[Q1], Q2: plots.SET_COLORS[Q2], NEITHER: "#2ca02c"}  # recovered, by set
X_RANGE = (-3.0, 3.0)
Y_RANGE = (-1.6, 1.6)


def outcome_color(recovered: bool, label: int) -> str:
    """Recovered at Q¹ red, at Q² blue (elsewhere green), not recovered orange."""
    return OUTCOME_COLORS.get(int(label), OUTCOME_COLORS[NEITHER]) if recovered else NOT_RECOVERED


def outcome_text(recovered: bool, label: int) -> str:
    if not recovered:
        return "fails the threshold"
    return {Q1: "passes at Q¹", Q2: "passes at Q²"}.get(int(label), "passes the threshold")


def learned_functions(final_theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """f_θ(x) of width-2 tanh networks ``(..., 2, 3)`` on scalar inputs ``x: (G,)`` → ``(..., G)``."""
    lead = final_theta.shape[:-2]
    th = torch.from_numpy(np.ascontiguousarray(final_theta.reshape(-1, *final_theta.shape[-2:])))
    f = predict(th, with_bias(torch.from_numpy(x)), get_activation("tanh")).numpy()
    return f.reshape(*lead, x.size)


def _joined(x: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Several curves on the same x as one trace (NaN-separated), so a cell costs few traces."""
    if ys.size == 0:
        return np.array([]), np.array([])
    k = ys.shape[0]
    X = np.tile(np.append(x, np.nan), k).astype(np.float32)
    Y = np.concatenate([np.append(y, np.nan) for y in ys]).astype(np.float32)
    return X, Y


def learned_functions_slider(
    cfg: Config, st: dict[str, np.ndarray], params: dict[str, Any], grid_points: int = 61
) -> go.Figure:
    """Slider over n: per data seed (one panel each) the target tanh(x + 1), the training points, the learned
    function of the first initialization (bold, coloured by its outcome) and of the other initializations
    (thin: blue recovered, orange not), with the cell's recovery fraction in the panel title."""
    D, N, S = st["gen_error"].shape
    x = np.linspace(*X_RANGE, grid_points)
    F = learned_functions(st["final_theta"], x).astype(
        np.float32
    )  # (D, N, S, G); float32 keeps the page small
    x = x.astype(np.float32)
    target = SingleNeuronTarget()
    fx = target(torch.from_numpy(x)).numpy()
    T = recovery_tables(cfg, st)
    fig = make_subplots(
        rows=1,
        cols=D,
        shared_yaxes=True,
        horizontal_spacing=0.02,
        subplot_titles=[f"data seed {d}" for d in cfg.data_seeds],
    )
    n_titles = len(fig.layout.annotations)
    for i in range(D):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=fx,
                mode="lines",
                line=dict(color="black", dash="dash", width=1.5),
                name="target tanh(x + 1)",
                legendgroup="target",
                showlegend=i == 0,
                hoverinfo="skip",
            ),
            row=1,
            col=i + 1,
        )
    groups: list[list[int]] = []
    active = N - 1
    for j, n in enumerate(cfg.n_values):
        idx = []
        for i in range(D):
            rec, lab = st["recovered"][i, j], st["label"][i, j]
            vis = j == active
            for flag, color, name in (
                (True, "#1f77b4", "other inits: pass the threshold"),
                (False, NOT_RECOVERED, "other inits: fail it"),
            ):
                sel = np.flatnonzero(rec[1:] == flag) + 1
                X, Y = _joined(x, F[i, j, sel])
                fig.add_trace(
                    go.Scatter(
                        x=X,
                        y=Y,
                        mode="lines",
                        line=dict(color=color, width=0.7),
                        opacity=0.35,
                        name=name,
                        legendgroup=name,
                        showlegend=i == 0,
                        visible=vis,
                        hoverinfo="skip",
                    ),
                    row=1,
                    col=i + 1,
                )
                idx.append(len(fig.data) - 1)
            c0 = outcome_color(bool(rec[0]), int(lab[0]))
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=F[i, j, 0],
                    mode="lines",
                    line=dict(color=c0, width=3),
                    visible=vis,
                    name=f"first init (seed {cfg.first_seed})",
                    legendgroup="first",
                    showlegend=i == 0,
                    hovertemplate=f"data seed {cfg.data_seeds[i]}, n={n}: "
                    f"{outcome_text(bool(rec[0]), int(lab[0]))}, error "
                    f"{st['gen_error'][i, j, 0]:.1e}<extra></extra>",
                ),
                row=1,
                col=i + 1,
            )
            idx.append(len(fig.data) - 1)
            xs = st["x_train"][i, j, :n]
            ys = target(torch.from_numpy(xs)).numpy()
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="markers",
                    visible=vis,
                    marker=dict(color="black", size=8, symbol="circle-open", line=dict(width=2)),
                    name="training points",
                    legendgroup="pts",
                    showlegend=i == 0,
                    hovertemplate="x=%{x:.2f}<extra></extra>",
                ),
                row=1,
                col=i + 1,
            )
            idx.append(len(fig.data) - 1)
        groups.append(idx)
    steps = []
    n_traces = len(fig.data)
    for j, n in enumerate(cfg.n_values):
        vis = [k < D for k in range(n_traces)]
        for k in groups[j]:
            vis[k] = True
        lay: dict[str, Any] = {}
        for i in range(D):
            rec0, lab0 = bool(st["recovered"][i, j, 0]), int(st["label"][i, j, 0])
            lay[f"annotations[{i}].text"] = (
                f"data seed {cfg.data_seeds[i]}<br>first init: "
                f"{outcome_text(rec0, lab0)}<br>all: {T['recovered'][i, j]:.0%} pass"
            )
        rf = float(st["recovered"][:, j].mean())
        n_first = int(st["recovered"][:, j, 0].sum())
        lay["title.text"] = (
            f"n = {n} Gaussian samples: first init passes for {n_first} of {D} data seeds; "
            f"{rf:.0%} of all {D}×{S} trials pass (error < {cfg.threshold:g})"
        )
        steps.append(dict(method="update", label=str(n), args=[{"visible": vis}, lay]))
    fig.update_layout(
        sliders=[
            dict(active=active, steps=steps, currentvalue=dict(prefix="sample size n: "), pad=dict(t=40))
        ],
        height=600,
        title_font=dict(size=13),
        legend=dict(orientation="h", y=-0.45, font=dict(size=10)),
    )
    for k, v in steps[active]["args"][1].items():  # initial state = the active step
        if k == "title.text":
            fig.update_layout(title_text=v)
        else:
            fig.layout.annotations[int(k.split("[")[1].split("]")[0])].text = v
    for a in fig.layout.annotations[:n_titles]:
        a.font = dict(size=10)
    fig.update_xaxes(range=list(X_RANGE), title_text="x")
    fig.update_yaxes(range=list(Y_RANGE))
    fig.update_yaxes(title_text="f(x)", row=1, col=1)
    fig = plots.stamp(fig, params)
    fig.layout.annotations[-1].update(
        y=-0.58, yshift=0
    )  # the provenance line below the slider and the legend
    fig.update_layout(margin=dict(t=110, b=210), height=620)
    return fig


def _recovery_traces(fig: go.Figure, cfg: Config, st: dict[str, np.ndarray], visible: bool) -> int:
    """Recovered fraction against n: one line per data seed (with a 95 % Wilson band as error bars), the
    pooled fraction (black), and the first initialization's outcome as markers at 0/1."""

    n = np.asarray(cfg.n_values)
    rec = st["recovered"]
    S = rec.shape[-1]
    palette = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#2ca02c"]
    count = 0
    for i, d in enumerate(cfg.data_seeds):
        k = rec[i].sum(-1)
        ci = np.stack(wilson_interval(k, S), axis=-1)
        p = k / S
        fig.add_trace(
            go.Scatter(
                x=n + 0.04 * (i - (len(cfg.data_seeds) - 1) / 2),
                y=p,
                mode="lines+markers",
                visible=visible,
                name=f"data seed {d}",
                legendgroup=f"d{d}",
                line=dict(color=palette[i % len(palette)], width=1.5),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=ci[:, 1] - p,
                    arrayminus=p - ci[:, 0],
                    thickness=1,
                    width=3,
                ),
                hovertemplate=f"data seed {d}, n=%{{x:.0f}}: %{{y:.0%}} of {S} inits<extra></extra>",
            )
        )
        count += 1
    fig.add_trace(
        go.Scatter(
            x=n,
            y=rec.mean((0, 2)),
            mode="lines+markers",
            visible=visible,
            name="all trials",
            line=dict(color="black", width=3),
            marker=dict(size=8),
            hovertemplate="all, n=%{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=n,
            y=rec[..., 0].mean(0),
            mode="markers",
            visible=visible,
            name="first init only (paper-like): fraction of data seeds",
            marker=dict(color="black", symbol="x", size=10),
            hovertemplate="first init, n=%{x}: %{y:.0%} of data seeds<extra></extra>",
        )
    )
    return count + 2


def _sample_size_lines(fig: go.Figure, separation: int | None) -> None:
    """Dotted lines at the optimistic size (the target's model rank, computed) and at the separation size
    measured on the figure's runs (none if no n qualifies)."""
    opt = optimistic_sample_size()
    lines = [(opt, f"optimistic size {opt}")]
    if separation is not None:
        lines.append((separation, f"separation size {separation} (measured)"))
    for x, text in lines:
        fig.add_vline(
            x=x,
            line=dict(color="#555", dash="dot", width=1),
            annotation_text=text,
            annotation_position="top",
            annotation_font_size=10,
        )


def recovery_scale_slider(
    cfg: Config, by_scale: dict[float, dict[str, np.ndarray]], params: dict[str, Any]
) -> go.Figure:
    """Slider over the initialization scale: recovered fraction against n per data seed (same initial
    directions θ̂ and data at every scale). Plotly's own slider: works in static HTML."""
    fig = go.Figure()
    scales = sorted(by_scale, reverse=True)
    groups = []
    active = scales.index(cfg.init_scale) if cfg.init_scale in scales else len(scales) - 1
    for j, s in enumerate(scales):
        start = len(fig.data)
        _recovery_traces(fig, cfg, by_scale[s], j == active)
        groups.append(range(start, len(fig.data)))
    steps = []
    for j, s in enumerate(scales):
        vis = [False] * len(fig.data)
        for t in groups[j]:
            vis[t] = True
        rec = by_scale[s]["recovered"]
        per_n = ", ".join(f"n={n}: {rec[:, k].mean():.0%}" for k, n in enumerate(cfg.n_values))
        steps.append(
            dict(
                method="update",
                label=f"{s:.0e}",
                args=[{"visible": vis}, {"title.text": f"s = {s:.0e}: passing {per_n}"}],
            )
        )
    _sample_size_lines(
        fig, measured_separation_size(cfg, by_scale[cfg.init_scale]) if cfg.init_scale in by_scale else None
    )
    fig.update_layout(
        sliders=[
            dict(
                active=active,
                steps=steps,
                currentvalue=dict(prefix="initialization scale s: "),
                pad=dict(t=50),
            )
        ],
        title=steps[active]["args"][1]["title.text"],
        title_font=dict(size=13),
        xaxis_title="sample size n",
        yaxis_title="fraction passing the threshold (of inits)",
        yaxis_range=[-0.05, 1.05],
        height=520,
        legend=dict(font=dict(size=10)),
    )
    return plots.stamp(fig, params)


def gen_error_strip(cfg: Config, st: dict[str, np.ndarray], params: dict[str, Any]) -> go.Figure:
    """Every trial's generalization error against n (jittered by data seed), coloured by the nearer set, with
    the paper's threshold and the strict one: exact recoveries sit at round-off, spurious interpolants above."""
    fig = go.Figure()
    D, N, S = st["gen_error"].shape
    ge = np.maximum(st["gen_error"], 1e-33)
    rng = np.random.default_rng(0)
    jitter = (np.arange(D)[:, None, None] - (D - 1) / 2) * 0.12 + rng.uniform(-0.04, 0.04, (D, N, S))
    X = np.asarray(cfg.n_values)[None, :, None] + jitter
    names = {Q1: "nearer Q¹", Q2: "nearer Q²", NEITHER: "neither (far from both)"}
    for lab in (Q1, Q2, NEITHER):
        sel = st["label"] == lab
        if sel.any():
            ds = np.broadcast_to(np.asarray(cfg.data_seeds)[:, None, None], sel.shape)[sel]
            cd = np.stack([ds, st["ratio"][sel], np.broadcast_to(st["seeds"], sel.shape)[sel]], axis=-1)
            fig.add_trace(
                go.Scatter(
                    x=X[sel],
                    y=ge[sel],
                    mode="markers",
                    name=names[lab],
                    customdata=cd,
                    marker=dict(size=5, color=plots.SET_COLORS[lab], opacity=0.7),
                    hovertemplate="data seed %{customdata[0]}, init seed %{customdata[2]}: "
                    "error %{y:.1e}, |C₁/C₂| = %{customdata[1]:.3f}<extra></extra>",
                )
            )
    for y, text, dash in (
        (cfg.threshold, f"paper threshold {cfg.threshold:g}", "dash"),
        (cfg.strict_threshold, f"strict {cfg.strict_threshold:g}", "dot"),
    ):
        fig.add_hline(y=y, line=dict(color="black", dash=dash, width=1))
        fig.add_annotation(
            x=1,
            xref="paper",
            y=float(np.log10(y)),
            yref="y",
            text=text,
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            font=dict(size=10),
        )  # log axis: y in decades
    fig.update_layout(
        yaxis_type="log",
        xaxis_title="sample size n (points spread by data seed)",
        yaxis_title="generalization error",
        height=460,
        yaxis_exponentformat="power",
        title="Generalization error of every trial at the horizon",
    )
    fig.update_xaxes(tickvals=list(cfg.n_values))
    return plots.stamp(fig, params)


RATIO_OUTCOMES = (  # (name, colour, symbol) of the error-against-ratio panels
    ("recovered exactly at Q¹", plots.SET_COLORS[Q1], "circle"),
    ("recovered exactly at Q²", plots.SET_COLORS[Q2], "circle"),
    ("passes 1e-8, not exactly (near miss)", "#2ca02c", "diamond"),
    ("does not pass", "#7f7f7f", "x"),
)


def ratio_outcome_index(st: dict[str, np.ndarray]) -> np.ndarray:
    """Index into :data:`RATIO_OUTCOMES` of every trial ``(D, N, S)``."""
    ex = recovered_exactly(st)
    out = np.full(st["gen_error"].shape, 3)
    out[st["recovered"] & ~ex] = 2
    out[ex & (st["label"] == Q2)] = 1
    out[ex & (st["label"] == Q1)] = 0
    return out


def error_vs_ratio(cfg: Config, st: dict[str, np.ndarray], params: dict[str, Any]) -> go.Figure:
    """Generalization error against the initial imbalance ratio |C₁/C₂| (log axis), one panel per data seed and
    one row per n in :data:`recovery.figures.fig4.RATIO_PANEL_N`; errors below the threshold are identified with it
    (the caption's rule), so every trial that passes sits on the dashed line; the marker says how it ended."""
    ns = ratio_panel_n(cfg)
    D = len(cfg.data_seeds)
    fig = make_subplots(
        rows=len(ns),
        cols=D,
        shared_xaxes=True,
        shared_yaxes=True,
        horizontal_spacing=0.015,
        vertical_spacing=0.1,
        subplot_titles=[f"n = {n}, data seed {d}" for n in ns for d in cfg.data_seeds],
    )
    kind = ratio_outcome_index(st)
    shown: set[int] = set()
    for r, n in enumerate(ns):
        j = cfg.n_values.index(n)
        for i, d in enumerate(cfg.data_seeds):
            y = identified_with_threshold(st["gen_error"][i, j], cfg.threshold)
            for k, (name, color, symbol) in enumerate(RATIO_OUTCOMES):
                sel = kind[i, j] == k
                if not sel.any():
                    continue
                fig.add_trace(
                    go.Scatter(
                        x=st["ratio"][i, j][sel],
                        y=y[sel],
                        mode="markers",
                        name=name,
                        legendgroup=name,
                        showlegend=k not in shown,
                        customdata=np.stack([st["seeds"][sel], st["gen_error"][i, j][sel]], -1),
                        marker=dict(color=color, symbol=symbol, size=7, opacity=0.8),
                        hovertemplate=f"data seed {d}, n={n}, init seed %{{customdata[0]}}: "
                        "|C₁/C₂| = %{x:.3f}, error %{customdata[1]:.1e}<extra></extra>",
                    ),
                    row=r + 1,
                    col=i + 1,
                )
                shown.add(k)
            fig.add_hline(
                y=cfg.threshold, line=dict(color="black", dash="dash", width=1), row=r + 1, col=i + 1
            )
            fig.add_vline(x=1.0, line=dict(color="#999", dash="dot", width=1), row=r + 1, col=i + 1)
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log", exponentformat="power")
    for i in range(D):
        fig.update_xaxes(title_text="|C₁/C₂|", row=len(ns), col=i + 1)
    for r in range(len(ns)):
        fig.update_yaxes(title_text="error (<1e-8 as 1e-8)", row=r + 1, col=1)
    fig.update_layout(
        height=290 * len(ns) + 170,
        margin=dict(t=80, b=120),
        title=dict(
            text="Generalization error against the initial imbalance ratio, per data seed", font=dict(size=13)
        ),
        legend=dict(orientation="h", y=-0.22, font=dict(size=10)),
    )
    fig.update_annotations(font_size=10)
    return plots.stamp(fig, params)


def recovery_vs_horizon(cfg: Config, st: dict[str, np.ndarray], params: dict[str, Any]) -> go.Figure:
    """Recovered fraction per n had training stopped at time t (pooled over data seeds and inits)."""
    hz = horizon_recovery(cfg, st)
    fig = go.Figure()
    palette = ["#7f7f7f", "#bcbd22", "#ff7f0e", "#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for j, n in enumerate(cfg.n_values):
        fig.add_trace(
            go.Scatter(
                x=hz["times"],
                y=hz["fraction"][j],
                mode="lines",
                name=f"n = {n}",
                line=dict(color=palette[j % len(palette)], width=2),
                hovertemplate=f"n={n}, t=%{{x:.1e}}: %{{y:.0%}}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis_type="log",
        xaxis_title="training time t (gradient flow)",
        yaxis_range=[-0.05, 1.05],
        yaxis_title=f"fraction passing (error < {cfg.threshold:g})",
        height=420,
        title="Recovery depends on how long one trains: narrow data sets converge slowly",
    )
    return plots.stamp(fig, params)


def convergence_points_3d(
    cfg: Config, st: dict[str, np.ndarray], data_index: int, params: dict[str, Any]
) -> go.Figure:
    """The paper's 3-D picture for n = ``example_n`` of one data seed: limit points of the weaker neuron with
    Q¹ (dashed line) and Q² (plane a = 0), via :func:`recovery.plots.fig3.fig3_convergence_3d`.

    Points are coloured by *recovery* (a trial near Q² that does not pass the threshold counts as not
    recovered), and the trajectories drawn are the first initialization and, for contrast, the first
    non-recovered one."""
    j = cfg.n_values.index(cfg.example_n)
    rec = st["recovered"][data_index, j]
    label = np.where(rec, st["label"][data_index, j], NEITHER)
    arrays = {
        "final_theta": st["final_theta"][data_index, j],
        "C": st["C"][data_index, j],
        "label": label,
        "ratio": st["ratio"][data_index, j],
        "seeds": st["seeds"],
        "theta_traj": st["example_theta_traj"][data_index],
    }
    bad = np.flatnonzero(~rec)
    examples = (0, int(bad[0]) if bad.size and bad[0] != 0 else -1)
    fig = fig3_convergence_3d(arrays, SingleNeuronTarget().neuron, params, examples=examples)
    for tr in fig.data:
        if tr.name == plots.SET_LABELS[NEITHER]:
            tr.name = "not recovered (spurious interpolant)"
        elif tr.name == plots.SET_LABELS[Q1]:
            tr.name = "recovered at Q¹"
        elif tr.name == plots.SET_LABELS[Q2]:
            tr.name = "recovered at Q²"
        elif tr.name and tr.name.startswith("trajectory"):
            seed = int(tr.name.rsplit(" ", 1)[-1])
            k = int(np.flatnonzero(st["seeds"] == seed)[0])
            tr.name = f"trajectory, init seed {seed} ({outcome_text(bool(rec[k]), int(st['label'][data_index, j, k]))})"
            if not rec[k]:
                tr.line.color = NOT_RECOVERED
    for tr in fig.data:
        if getattr(tr, "marker", None) is not None and tr.name == "not recovered (spurious interpolant)":
            tr.marker.color = NOT_RECOVERED
    fig.update_layout(
        title=f"n = {cfg.example_n}, data seed {cfg.data_seeds[data_index]}: limit points of the "
        "weaker neuron (a, w₁, w₂)",
        scene_camera=dict(eye=dict(x=1.9, y=-1.0, z=0.7)),
    )
    return fig


def static_png(summary: dict[str, Any], st: dict[str, np.ndarray], path) -> None:
    """Stamped static PNG: recovered fraction against n per data seed, and every trial's error against n."""
    from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone

    p = summary["parameters"]
    n = np.asarray(p["n_values"])
    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    rec = st["recovered"]
    for i, d in enumerate(p["data_seeds"]):
        ax1.plot(n, rec[i].mean(-1), ".-", lw=1, label=f"data seed {d}")
    ax1.plot(n, rec.mean((0, 2)), "k.-", lw=2.5, label="all trials")
    ax1.plot(n, rec[..., 0].mean(0), "kx", ms=8, label="first init (fraction of data seeds)")
    sep = summary["sample_size_theory"]["separation_size_measured"]
    for x in (optimistic_sample_size(), sep):
        if x is not None:
            ax1.axvline(x, color="#555", ls=":", lw=0.8)
    ax1.set(
        xlabel="sample size n",
        ylabel="recovered fraction",
        ylim=(-0.05, 1.05),
        xticks=n,
        title=f"Recovery (error < {p['threshold']:g}), Gaussian samples",
    )
    ax1.legend(fontsize=7)
    D, N, S = st["gen_error"].shape
    jitter = (np.arange(D)[:, None, None] - (D - 1) / 2) * 0.12
    X = n[None, :, None] + jitter + np.zeros((D, N, S))
    for lab, name in ((Q1, "nearer Q1"), (Q2, "nearer Q2"), (NEITHER, "neither")):
        sel = st["label"] == lab
        if sel.any():
            ax2.scatter(
                X[sel], np.maximum(st["gen_error"][sel], 1e-33), s=6, color=plots.SET_COLORS[lab], label=name
            )
    ax2.axhline(p["threshold"], color="k", ls="--", lw=0.8)
    ax2.axhline(p["strict_threshold"], color="k", ls=":", lw=0.8)
    ax2.set(
        yscale="log",
        xlabel="sample size n",
        ylabel="generalization error",
        xticks=n,
        title="Every trial's error (dashed: 1e-8, dotted: strict)",
    )
    ax2.legend(fontsize=7)
    fig.text(
        0.01,
        0.01,
        f"data seeds {p['data_seeds']}, s={p['init_scale']:g}, {p['seeds']} inits per cell, "
        f"horizon={p['t_max']:g}, rtol={p['rtol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    static_png(summary, arrays, path)
