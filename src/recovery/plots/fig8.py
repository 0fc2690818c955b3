"""Plots of Figure 8 (reconstructed; which neurons of Figure 5's network stay active): final contribution and
switch-off time against C_i (prescribed C), contributions over time, and a slider over the natural-C trials."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from .common import stamp
from .fig2 import COLORS

ACTIVE = "#d62728"
INACTIVE = "#1f77b4"
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "pentagon")


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {
        "width": p["width"],
        "n": p["n_samples"],
        "C_i/C_1": f"{p['c_ratio_base']:g}+{p['c_ratio_slope']:g}(i-1)",
        "horizon": p["t_max"],
        "active": f">= {p['active_fraction']:g} of the largest",
    }


def _nat_params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {
        "widths": ",".join(map(str, p["widths"])),
        "seeds": p["seeds"],
        "s": p["init_scale"],
        "n": p["n_samples"],
        "horizon": p["natural_t_max"],
        "active": f">= {p['active_fraction']:g} of the largest",
    }


def _rel(c: np.ndarray) -> np.ndarray:
    return c / np.nanmax(c, axis=-1, keepdims=True)


def prescribed_contributions(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Final output contribution (relative to the largest) of every neuron against C_i/C_1, every trial."""
    fig = go.Figure()
    rel = _rel(arrays["contrib"])
    for i, s in enumerate(arrays["scales"]):
        act = arrays["active"][i]
        name = f"seed {int(arrays['seeds'][i])}, s = {s:.0e}"
        for sel, col, lab in ((~act, INACTIVE, "inactive"), (act, ACTIVE, "active")):
            fig.add_trace(
                go.Scatter(
                    x=arrays["C_over_C1"][i, sel],
                    y=np.maximum(rel[i, sel], 1e-12),
                    mode="markers",
                    name=f"{name}: {lab}",
                    marker=dict(
                        color=col,
                        symbol=SYMBOLS[i % len(SYMBOLS)],
                        size=5 if lab == "inactive" else 10,
                        opacity=0.6 if lab == "inactive" else 1.0,
                    ),
                    hovertemplate="neuron %{customdata}<br>C_i/C_1=%{x:.5f}<br>contribution/max=%{y:.3e}<extra>"
                    + name
                    + "</extra>",
                    customdata=np.flatnonzero(sel) + 1,
                )
            )
    fr = summary["parameters"]["active_fraction"]
    x = arrays["C_over_C1"]
    fig.add_trace(
        go.Scatter(
            x=[x.min(), x.max()],
            y=[fr, fr],
            mode="lines",
            line=dict(color="black", dash="dot"),
            name=f"active threshold ({fr:g})",
        )
    )
    fig.update_layout(
        yaxis_type="log",
        yaxis_exponentformat="power",
        xaxis_title="C_i / C_1 (prescribed)",
        yaxis_title="final output contribution / largest",
        height=480,
        legend=dict(font=dict(size=9)),
        title="Final contribution of each neuron against its C_i: only the largest C_i stay active",
    )
    return stamp(fig, _params(summary))


def switch_off_times(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """When each neuron leaves the active set, in the reference trial's time (t − lag), against C_i/C_1."""
    fig = go.Figure()
    for i, s in enumerate(arrays["scales"]):
        t = arrays["t_off_ref_time"][i]
        ok = np.isfinite(t)
        name = f"seed {int(arrays['seeds'][i])}, s = {s:.0e}"
        fig.add_trace(
            go.Scatter(
                x=arrays["C_over_C1"][i, ok],
                y=t[ok],
                mode="markers",
                name=name,
                marker=dict(
                    color=COLORS[i % len(COLORS)], symbol=SYMBOLS[i % len(SYMBOLS)], size=5, opacity=0.7
                ),
                customdata=np.flatnonzero(ok) + 1,
                hovertemplate="neuron %{customdata}<br>C_i/C_1=%{x:.5f}<br>off at t−lag=%{y:.4g}"
                "<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        yaxis_type="log",
        yaxis_exponentformat="power",
        xaxis_title="C_i / C_1 (prescribed)",
        yaxis_title="switch-off time t − lag (reference trial's time)",
        height=460,
        title="Neurons switch off in the order of their C_i, at the same shifted time in every trial",
    )
    return stamp(fig, _params(summary), "active neurons (never switched off) not shown")


def contributions_over_time(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Relative contribution over time of a selection of neurons of the reference trial, coloured by C_i/C_1."""
    fig = go.Figure()
    t = arrays["ref_times"]
    ok = t > 0
    shown = arrays["ref_shown"]
    c = arrays["C_over_C1"][-1, shown]
    lo, hi = float(c.min()), float(c.max())
    for j, k in enumerate(shown):
        frac = (c[j] - lo) / (hi - lo) if hi > lo else 1.0
        active = bool(arrays["active"][-1, k])
        col = f"rgb({int(40 + 200 * frac)},{int(80 * (1 - frac))},{int(200 * (1 - frac) + 40)})"
        fig.add_trace(
            go.Scatter(
                x=t[ok],
                y=np.maximum(arrays["ref_rel_contrib"][ok, j], 1e-6),
                mode="lines",
                line=dict(color=col, width=2.5 if active else 1),
                showlegend=False,
                name=f"neuron {k + 1}",
                hovertemplate=f"neuron {k + 1}, C_i/C_1={c[j]:.5f}{' (active)' if active else ''}"
                "<br>t=%{x:.4g}<br>contribution/max=%{y:.3e}<extra></extra>",
            )
        )
    fr = summary["parameters"]["active_fraction"]
    fig.add_trace(
        go.Scatter(
            x=[t[ok][0], t[ok][-1]],
            y=[fr, fr],
            mode="lines",
            name=f"active threshold ({fr:g})",
            line=dict(color="black", dash="dot"),
        )
    )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        xaxis_exponentformat="power",
        yaxis_exponentformat="power",
        xaxis_title="t",
        yaxis_title="output contribution / largest",
        height=480,
        title=f"Reference trial (s = {arrays['scales'][-1]:.0e}): {len(shown)} neurons, blue = smallest "
        "C_i, red = largest; thick = active at the end",
    )
    return stamp(fig, _params(summary))


def natural_slider(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Natural C: one trial per slider step (width × seed); final relative contribution against |C_i|/max|C|.
    Plotly's slider toggles precomputed traces, so it works in static HTML."""
    fig = go.Figure()
    steps = []
    fr = summary["parameters"]["active_fraction"]
    n_tr = 2
    labels = []
    for w, m in enumerate(arrays["widths"]):
        row = summary["natural"][w]
        for s in range(arrays["nat_C"].shape[1]):
            C = np.abs(arrays["nat_C"][w, s, :m])
            r = C / C.max()
            rel = _rel(arrays["nat_contrib"][w, s, :m])
            act = arrays["nat_active"][w, s, :m]
            vis = w == 0 and s == 0
            for sel, col, lab in ((~act, INACTIVE, "inactive"), (act, ACTIVE, "active")):
                fig.add_trace(
                    go.Scatter(
                        x=r[sel],
                        y=np.maximum(rel[sel], 1e-12),
                        mode="markers",
                        visible=vis,
                        name=lab,
                        marker=dict(color=col, size=6 if lab == "inactive" else 10),
                        customdata=np.flatnonzero(sel) + 1,
                        hovertemplate="neuron %{customdata}<br>|C_i|/max|C|=%{x:.4f}<br>"
                        "contribution/max=%{y:.3e}<extra></extra>",
                    )
                )
            labels.append(
                (
                    f"{m}/{s}",
                    f"width {m}, seed {s}: {row['n_active'][s]} active, "
                    f"{'exactly' if row['exact_top_k'][s] else 'NOT'} the {row['n_active'][s]} largest |C|; "
                    f"rank corr(|C|, contribution) {row['spearman'][s]:.4f}",
                )
            )
    n = len(fig.data)
    for j, (lab, title) in enumerate(labels):
        vis = [False] * n
        vis[n_tr * j : n_tr * (j + 1)] = [True] * n_tr
        steps.append(dict(method="update", label=lab, args=[{"visible": vis}, {"title.text": title}]))
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[fr, fr],
            mode="lines",
            line=dict(color="black", dash="dot"),
            name=f"active threshold ({fr:g})",
        )
    )
    for st in steps:
        st["args"][0]["visible"].append(True)
    fig.update_layout(
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="width / seed: "), pad=dict(t=50))],
        title=steps[0]["args"][1]["title.text"],
        title_font=dict(size=13),
        height=540,
        xaxis_title="|C_i| / max |C| (natural, no rescaling)",
        yaxis_title="final contribution / largest",
        yaxis_type="log",
        yaxis_exponentformat="power",
        xaxis_range=[0, 1.03],
    )
    return stamp(fig, _nat_params(summary), below_px=130)


def fig8_static(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static PNG: prescribed C (contribution and switch-off time against C_i/C_1), natural C (all trials of
    every width: contribution against |C_i|/max|C|); stamped with the parameters."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.5))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    rel = _rel(arrays["contrib"])
    for i in range(len(arrays["scales"])):
        act = arrays["active"][i]
        ax1.scatter(arrays["C_over_C1"][i, ~act], np.maximum(rel[i, ~act], 1e-12), s=3, color=INACTIVE)
        ax1.scatter(arrays["C_over_C1"][i, act], rel[i, act], s=14, color=ACTIVE)
        t = arrays["t_off_ref_time"][i]
        ok = np.isfinite(t)
        ax2.scatter(
            arrays["C_over_C1"][i, ok],
            t[ok],
            s=3,
            color=COLORS[i % len(COLORS)],
            label=f"seed {int(arrays['seeds'][i])}, s={arrays['scales'][i]:.0e}",
        )
    fr = summary["parameters"]["active_fraction"]
    ax1.axhline(fr, color="k", ls=":", lw=0.8)
    ax1.set(
        yscale="log",
        xlabel="C_i / C_1",
        ylabel="final contribution / largest",
        title="prescribed C: active (red) = largest C_i",
    )
    ax2.set(
        yscale="log",
        xlabel="C_i / C_1",
        ylabel="switch-off time t - lag",
        title="prescribed C: switch-off time",
    )
    ax2.legend(fontsize=7)
    for w, m in enumerate(arrays["widths"]):
        for s in range(arrays["nat_C"].shape[1]):
            C = np.abs(arrays["nat_C"][w, s, :m])
            ax3.scatter(
                C / C.max(),
                np.maximum(_rel(arrays["nat_contrib"][w, s, :m]), 1e-12),
                s=3,
                color=COLORS[w % len(COLORS)],
                label=f"width {m}" if s == 0 else None,
            )
    ax3.axhline(fr, color="k", ls=":", lw=0.8)
    ax3.set(
        yscale="log",
        xlabel="|C_i| / max|C|",
        ylabel="final contribution / largest",
        title=f"natural C: active = k largest |C| in {summary['natural_exact_top_k'][0]}/"
        f"{summary['natural_exact_top_k'][1]} trials",
    )
    ax3.legend(fontsize=7)
    p = summary["parameters"]
    fig.text(
        0.01,
        0.01,
        f"reconstructed; width={p['width']}, scales={list(p['scales'])}, C_i/C_1={p['c_ratio_base']:g}+"
        f"{p['c_ratio_slope']:g}(i-1), horizon={p['t_max']:g}; natural: widths={list(p['widths'])}, "
        f"seeds={p['seeds']}, s={p['init_scale']:g}, horizon={p['natural_t_max']:g}; active >= {fr:g} of largest; "
        f"code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:

    fig8_static(summary, arrays, path)
