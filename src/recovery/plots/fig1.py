"""plotly figures of Figure 1 (arXiv:2405.13787): error against n per scale, learned functions, 2-D slider.

All figures work in static HTML: the two-dimensional (scale × n) slider is a precomputed grid switched by
:func:`recovery.sliders.grid_slider_html`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from ..core.dynamics import Status
from ..core.theory import Q1, Q2, RECOVERY_THRESHOLD
from ..figures import fig1
from ..figures.fig1 import matrix
from .common import stamp
from .sliders import grid_slider_html

ERROR_FLOOR = 1e-32  # errors are shown clipped at this value on log axes (round-off level is ~1e-31)
TRIAL_COLORS = (
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


def scale_colors(k: int) -> list[str]:
    """One colour per scale, largest (dark) to smallest (light)."""
    return sample_colorscale("Viridis", list(np.linspace(0.0, 0.92, k))) if k > 1 else ["#440154"]


def _params(summary: dict[str, Any]) -> dict[str, Any]:
    p = summary["parameters"]
    return {"trials": p["trials"], "horizon": p["t_max"], "rtol": p["rtol"], "width": p["width"]}


def error_vs_n(summary: dict[str, Any], design: str) -> go.Figure:
    """Figure 1: generalization error against n, one curve per scale: median (solid) and mean (dotted) with
    the quartile band; right panel the fraction passing the threshold (error < 1e-8). Log error axis, clipped at 1e-32."""
    p = summary["parameters"]
    scales, ns = p["scales"], p["n_values"]
    med, q25, q75, mean = (
        np.maximum(fig1.matrix(summary, design, k), ERROR_FLOOR) for k in ("median", "q25", "q75", "mean")
    )
    rec = fig1.matrix(summary, design, "passes_threshold")
    colors = scale_colors(len(scales))
    fig = make_subplots(
        1,
        2,
        column_widths=[0.62, 0.38],
        horizontal_spacing=0.09,
        subplot_titles=(
            "generalization error (solid: median, dotted: mean, band: quartiles)",
            "fraction passing (error < 1e-8)",
        ),
    )
    for i, s in enumerate(scales):
        g, c = f"s{i}", colors[i]
        fig.add_trace(
            go.Scatter(
                x=list(ns) + list(ns)[::-1],
                y=list(q75[i]) + list(q25[i])[::-1],
                fill="toself",
                fillcolor=c,
                opacity=0.08,
                line=dict(width=0),
                legendgroup=g,
                showlegend=False,
                hoverinfo="skip",
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=ns,
                y=med[i],
                mode="lines+markers",
                name=f"s = {s:.0e}",
                legendgroup=g,
                line=dict(color=c),
                marker=dict(size=5),
                hovertemplate=f"s={s:.0e}, n=%{{x}}: median %{{y:.2e}}<extra></extra>",
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=ns,
                y=mean[i],
                mode="lines",
                legendgroup=g,
                showlegend=False,
                line=dict(color=c, dash="dot", width=1),
                hovertemplate=f"s={s:.0e}, n=%{{x}}: mean %{{y:.2e}}<extra></extra>",
            ),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=ns,
                y=rec[i],
                mode="lines+markers",
                legendgroup=g,
                showlegend=False,
                line=dict(color=c),
                marker=dict(size=5),
                hovertemplate=f"s={s:.0e}, n=%{{x}}: %{{y:.0%}} pass 1e-8<extra></extra>",
            ),
            1,
            2,
        )
    fig.add_hline(y=RECOVERY_THRESHOLD, line=dict(color="black", dash="dash", width=1), row=1, col=1)
    fig.update_yaxes(type="log", title_text="generalization error", exponentformat="power", row=1, col=1)
    fig.update_yaxes(range=[-0.03, 1.03], tickformat=".0%", row=1, col=2)
    fig.update_xaxes(title_text="sample size n", tickvals=list(ns))
    fig.update_layout(
        height=470,
        title=f"Figure 1, {design} inputs: error against sample size for each scale",
        legend=dict(font=dict(size=10), title_text="scale"),
        title_font=dict(size=14),
    )
    fig.update_annotations(font_size=11)
    return stamp(fig, {**_params(summary), "design": design}, f"test set: {summary['test_set'][design]}")


def caption_panels(summary: dict[str, Any], gaussian_n: int | None = None) -> list[tuple[str, int]]:
    """The caption's panels: (even, n) for every n of the grid, then one (gaussian, n) panel (its n is ours: the
    largest of the grid unless given)."""
    p = summary["parameters"]
    ns = list(p["n_values"])
    panels = [("even", n) for n in ns] if "even" in p["designs"] else []
    if "gaussian" in p["designs"]:
        panels.append(("gaussian", ns[-1] if gaussian_n is None else int(gaussian_n)))
    return panels


def error_vs_time(
    summary: dict[str, Any], arrays: dict[str, np.ndarray], gaussian_n: int | None = None, cols: int = 3
) -> go.Figure:
    """Figure 1 in the caption's layout: one panel per n (evenly spaced inputs) and a Gaussian-input panel; in
    each, the mean generalization error over the trials against training time (x-axis: our choice), one curve per
    initialization scale (legend = scale), errors below 1e-8 identified with 1e-8 before averaging."""
    p = summary["parameters"]
    scales, ns = p["scales"], list(p["n_values"])
    panels = caption_panels(summary, gaussian_n)
    rows = -(-len(panels) // cols)
    t = np.asarray(arrays["times_curve"])
    titles = [f"{'evenly spaced' if d == 'even' else 'Gaussian'}, n = {n}" for d, n in panels]
    fig = make_subplots(
        rows,
        cols,
        subplot_titles=titles,
        shared_yaxes=True,
        shared_xaxes=True,
        horizontal_spacing=0.03,
        vertical_spacing=0.09,
    )
    colors = scale_colors(len(scales))
    for k, (d, n) in enumerate(panels):
        r, c = k // cols + 1, k % cols + 1
        j = ns.index(n)
        cm, ps = arrays[f"{d}_curve_mean"][:, j], arrays[f"{d}_curve_passes"][:, j]
        for i, s in enumerate(scales):
            fig.add_trace(
                go.Scatter(
                    x=t,
                    y=cm[i],
                    mode="lines",
                    name=f"{s:.0e}",
                    legendgroup=f"s{i}",
                    showlegend=k == 0,
                    line=dict(color=colors[i], width=1.6),
                    customdata=ps[i],
                    hovertemplate=f"s={s:.0e}, {d} n={n}, t=%{{x:.1e}}: mean %{{y:.2e}}, "
                    "%{customdata:.0%} pass 1e-8<extra></extra>",
                ),
                r,
                c,
            )
        fig.add_hline(y=RECOVERY_THRESHOLD, line=dict(color="black", dash="dash", width=1), row=r, col=c)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(type="log", exponentformat="power")
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text="mean error", row=r, col=1)
    for c in range(1, cols + 1):
        fig.update_xaxes(title_text="training time t (ours)", row=rows, col=c)
    fig.update_layout(
        height=300 * rows + 140,
        margin=dict(t=90, b=90),
        title=dict(
            text="Figure 1 in the caption's layout: mean error (values below 1e-8 counted as "
            "1e-8) against training time",
            font=dict(size=13),
        ),
        legend=dict(title_text="scale s", font=dict(size=10)),
    )
    fig.update_annotations(font_size=11)
    return stamp(
        fig,
        {**_params(summary), "gaussian panel n": panels[-1][1]},
        "x-axis and Gaussian panel's n: ours; averaging rule: Figure 4's caption",
    )


def plot_grid(design: str, points: int = 61) -> np.ndarray:
    """x grid of the learned-function panels: [−2, 2] for evenly spaced inputs, [−3, 3] for Gaussian."""
    h = fig1.PLOT_HALF_WIDTH[design]
    return np.linspace(-h, h, points)


def _scatter(**kw: Any) -> dict[str, Any]:
    """A scatter trace as a plain dict (building thousands of validated ``go.Scatter`` objects is slow)."""
    return {"type": "scatter", **kw}


def _function_traces(
    cfg: fig1.Config,
    arrays: dict[str, np.ndarray],
    design: str,
    i: int,
    j: int,
    x: np.ndarray,
    show: int,
    legend: bool = True,
) -> list[dict[str, Any]]:
    """Target, the learned functions of the first ``show`` trials and their training points, cell (i, j)."""
    # rounded to 1e-3 (the panels' resolution): identical curves are then stored once by the slider
    f = np.round(fig1.learned_functions(cfg, arrays[f"{design}_final_theta"][i, j, :show], x), 3) + 0.0
    ge = arrays[f"{design}_gen_error"][i, j, :show]
    xs = arrays[f"{design}_train_x"][j, :show]
    out = [
        _scatter(
            x=x,
            y=np.round(fig1.target_function(cfg, x), 3) + 0.0,
            mode="lines",
            name="target tanh(x + 1)",
            line=dict(color="black", width=4),
            opacity=0.35,
            showlegend=legend,
            hoverinfo="skip",
        )
    ]
    for k in range(f.shape[0]):
        out.append(
            _scatter(
                x=x,
                y=f[k],
                mode="lines",
                line=dict(color=TRIAL_COLORS[k % len(TRIAL_COLORS)], width=1.5),
                name=f"trial {k}",
                legendgroup=f"t{k}",
                showlegend=False,
                hovertemplate=f"trial {k}: error {ge[k]:.1e}<extra></extra>",
            )
        )
    if design == "even":
        xt = xs[0][np.isfinite(xs[0])]
        out.append(
            _scatter(
                x=xt,
                y=fig1.target_function(cfg, xt),
                mode="markers",
                name="training points",
                marker=dict(color="black", size=8, symbol="x"),
                showlegend=legend,
                hoverinfo="skip",
            )
        )
    else:  # every trial has its own data: its points in its colour
        for k in range(xs.shape[0]):
            xt = xs[k][np.isfinite(xs[k])]
            out.append(
                _scatter(
                    x=xt,
                    y=fig1.target_function(cfg, xt),
                    mode="markers",
                    legendgroup=f"t{k}",
                    marker=dict(color=TRIAL_COLORS[k % len(TRIAL_COLORS)], size=7, symbol="x"),
                    name="training points (own data per trial)",
                    showlegend=legend and k == 0,
                    hoverinfo="skip",
                )
            )
    return out


Y_RANGE = (-1.6, 1.6)


def learned_functions_panels(
    cfg: fig1.Config,
    arrays: dict[str, np.ndarray],
    summary: dict[str, Any],
    design: str,
    scale_index: int = -1,
    show: int = 10,
) -> go.Figure:
    """One panel per n: the learned functions of ``show`` trials against the target and the training points,
    at one scale (default the smallest); each panel's title gives the median error and the fraction passing the threshold."""
    ns = cfg.n_values
    i = scale_index % len(cfg.scales)
    titles = []
    for j, n in enumerate(ns):
        ge = arrays[f"{design}_gen_error"][i, j]
        titles.append(f"n = {n}<br>median {np.median(ge):.0e}, {np.mean(ge < RECOVERY_THRESHOLD):.0%} rec.")
    fig = make_subplots(1, len(ns), shared_yaxes=True, subplot_titles=titles, horizontal_spacing=0.02)
    x = plot_grid(design)
    for j in range(len(ns)):
        for tr in _function_traces(cfg, arrays, design, i, j, x, show, legend=j == 0):
            fig.add_trace(go.Scatter({k: v for k, v in tr.items() if k != "type"}), 1, j + 1)
    fig.update_yaxes(range=list(Y_RANGE))
    fig.update_layout(
        height=430,
        margin=dict(t=110),
        title=f"Learned functions against x, {design} inputs, "
        f"s = {cfg.scales[i]:.0e} "
        f"(first {min(show, cfg.trials)} trials)",
        legend=dict(orientation="h", x=0, y=-0.08, yanchor="top"),
        title_font=dict(size=14),
    )
    fig.update_annotations(font_size=10)
    return stamp(fig, {**_params(summary), "design": design, "s": cfg.scales[i]}, below_px=85)


def _cell_title(arrays: dict[str, np.ndarray], design: str, i: int, j: int, scale: float, n: int) -> str:
    ge = arrays[f"{design}_gen_error"][i, j]
    return (
        f"s = {scale:.0e}, n = {n}: median error {np.median(ge):.1e}, mean {ge.mean():.1e}, "
        f"{np.mean(ge < RECOVERY_THRESHOLD):.0%} of {ge.size} trials pass 1e-8"
    )


def _cell_caption(arrays: dict[str, np.ndarray], design: str, i: int, j: int) -> str:
    """Reached sets and integrator statuses of one cell (shown under the sliders)."""
    lab, st = arrays[f"{design}_label"][i, j], arrays[f"{design}_status"][i, j]
    counts = ", ".join(f"{Status(int(v)).name.lower()} {int((st == v).sum())}" for v in np.unique(st))
    return (
        f"Reached Q¹ (condensed) {np.mean(lab == Q1):.0%}, Q² (one neuron inactive) {np.mean(lab == Q2):.0%}, "
        f"neither {np.mean(lab == 0):.0%}; integrator status: {counts}."
    )


def scale_n_slider(
    cfg: fig1.Config,
    arrays: dict[str, np.ndarray],
    summary: dict[str, Any],
    design: str,
    show: int = 10,
    div_id: str | None = None,
    points: int = 61,
    height: int = 500,
) -> str:
    """The 2-D slider (HTML): for the selected (scale, n), the learned functions of ``show`` trials against the
    target and training points (left) and every trial's generalization error (right, log axis)."""
    x = plot_grid(design, points)
    trials = np.arange(cfg.trials)
    # the error axis reaches above the largest error of any cell (large scales give errors of order 10-100)
    top = max(1.5, float(np.log10(np.nanmax(arrays[f"{design}_gen_error"]))) + 0.5)
    cells, caps = [], []
    for i, s in enumerate(cfg.scales):
        row, crow = [], []
        for j, n in enumerate(cfg.n_values):
            data = _function_traces(cfg, arrays, design, i, j, x, show)
            ge = arrays[f"{design}_gen_error"][i, j]
            rec = ge < RECOVERY_THRESHOLD
            data.append(
                _scatter(
                    x=trials,
                    y=np.maximum(ge, ERROR_FLOOR),
                    mode="markers",
                    xaxis="x2",
                    yaxis="y2",
                    marker=dict(
                        size=6,
                        color=rec.astype(int),
                        cmin=0,
                        cmax=1,
                        colorscale=[[0, "#d62728"], [1, "#2ca02c"]],
                    ),
                    name="error per trial (green: passes 1e-8)",
                    hovertemplate="trial %{x}: %{y:.1e}<extra></extra>",
                )
            )
            row.append({"data": data, "layout": {"title": {"text": _cell_title(arrays, design, i, j, s, n)}}})
            crow.append(_cell_caption(arrays, design, i, j))
        cells.append(row)
        caps.append(crow)
    thr = dict(
        type="line",
        xref="x2",
        yref="y2",
        x0=-0.5,
        x1=cfg.trials - 0.5,
        y0=RECOVERY_THRESHOLD,
        y1=RECOVERY_THRESHOLD,
        line=dict(color="black", dash="dash", width=1),
    )
    p = _params(summary)
    prov = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.items())
    base = go.Layout(
        template="plotly",
        margin=dict(t=95, b=75),
        title=dict(font=dict(size=13), y=0.98, yanchor="top"),
        xaxis=dict(domain=[0.0, 0.6], title=dict(text="x"), range=[float(x[0]), float(x[-1])]),
        yaxis=dict(range=list(Y_RANGE), title=dict(text="f(x)")),
        xaxis2=dict(domain=[0.7, 1.0], title=dict(text="trial"), range=[-1, cfg.trials]),
        yaxis2=dict(
            anchor="x2",
            type="log",
            range=[-32.5, top],
            title=dict(text="generalization error"),
            exponentformat="power",
        ),
        shapes=[thr],
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", font=dict(size=10)),
        annotations=[
            dict(
                text=f"{design} inputs, {prov}; code {summary['code_hash']}",
                xref="paper",
                yref="paper",
                x=0,
                y=-0.2,
                showarrow=False,
                font=dict(size=9, color="#555"),
                xanchor="left",
            )
        ],
    )
    return grid_slider_html(
        cells,
        div_id=div_id or f"fig1-slider-{design}",
        row_name="initialization scale s",
        row_labels=[f"{s:.0e}" for s in cfg.scales],
        col_name="sample size n",
        col_labels=list(cfg.n_values),
        base_layout=base,
        captions=caps,
        initial=(len(cfg.scales) - 1, len(cfg.n_values) - 1),
        digits=3,
        height=height,
    )


def passes_threshold_vs_time(summary: dict[str, Any], design: str) -> go.Figure:
    """Fraction passing the threshold at the smallest scale when the error is measured at time t (the horizon)."""
    d = summary["passes_threshold_vs_time_at_smallest_scale"]
    t = d["times"]
    ns = summary["parameters"]["n_values"]
    colors = (
        sample_colorscale("Plasma", list(np.linspace(0.0, 0.85, len(ns)))) if len(ns) > 1 else ["#0d0887"]
    )
    fig = go.Figure()
    for k, n in enumerate(ns):
        fig.add_trace(
            go.Scatter(
                x=t,
                y=d[design][str(n)],
                mode="lines+markers",
                name=f"n = {n}",
                line=dict(color=colors[k]),
                hovertemplate=f"n={n}, t=%{{x:.0e}}: %{{y:.0%}}<extra></extra>",
            )
        )
    s = summary["parameters"]["scales"][-1]
    fig.update_layout(
        xaxis=dict(type="log", title="training time t at which the error is measured"),
        yaxis=dict(title="fraction passing (error < 1e-8)", range=[-0.03, 1.03], tickformat=".0%"),
        height=380,
        title=f"{design} inputs, s = {s:.0e}: passing the threshold against training time",
        title_font=dict(size=14),
    )
    return stamp(fig, {**_params(summary), "design": design})


def write_png(summary: dict[str, Any], arrays: dict[str, np.ndarray], path) -> None:
    """Static Figure 1: per design, median error (quartile band) and fraction passing the threshold against n, per scale."""
    from matplotlib import cm
    from matplotlib.figure import Figure

    p = summary["parameters"]
    designs, scales, ns = p["designs"], p["scales"], p["n_values"]
    panels = caption_panels(summary)
    top_rows = -(-len(panels) // 3)
    fig = Figure(figsize=(11, 3.6 * len(designs) + 2.6 * top_rows))
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.6 * top_rows, 3.6 * len(designs)])
    colors = cm.viridis(np.linspace(0, 0.95, len(scales)))
    caxes = top.subplots(top_rows, 3, squeeze=False, sharex=True, sharey=True)
    for k, ax in enumerate(caxes.flat):
        if k >= len(panels):
            ax.set_visible(False)
            continue
        d, n = panels[k]
        j = list(ns).index(n)
        for i, s in enumerate(scales):
            ax.plot(
                arrays["times_curve"], arrays[f"{d}_curve_mean"][i, j], color=colors[i], lw=1, label=f"{s:g}"
            )
        ax.axhline(RECOVERY_THRESHOLD, color="k", ls="--", lw=0.8)
        ax.set(xscale="log", yscale="log", title=f"{d}, n = {n}")
        ax.title.set_fontsize(9)
        if k % 3 == 0:
            ax.set_ylabel("mean error (<1e-8 as 1e-8)", fontsize=8)
        if k == 0:
            ax.legend(fontsize=5, ncol=2, title="scale", title_fontsize=6)
    for k, ax in enumerate(caxes.flat):
        ax.xaxis.set_tick_params(labelbottom=True)
        if k + 3 >= len(panels):  # the lowest visible panel of its column
            ax.set_xlabel("training time t (ours)", fontsize=8)
    axes = bottom.subplots(len(designs), 2, squeeze=False)
    floor = 1e-32
    for r, d in enumerate(designs):
        med, q25, q75 = (np.maximum(matrix(summary, d, k), floor) for k in ("median", "q25", "q75"))
        rec = matrix(summary, d, "passes_threshold")
        ax, bx = axes[r]
        for i, s in enumerate(scales):
            ax.plot(ns, med[i], "o-", color=colors[i], ms=3, lw=1, label=f"s={s:g}")
            ax.fill_between(ns, q25[i], q75[i], color=colors[i], alpha=0.06)
            bx.plot(ns, rec[i], "o-", color=colors[i], ms=3, lw=1)
        ax.axhline(RECOVERY_THRESHOLD, color="k", ls="--", lw=0.8)
        ax.set(
            yscale="log",
            xlabel="sample size n",
            ylabel="generalization error",
            title=f"{d} inputs: median (band: quartiles)",
            xticks=ns,
        )
        bx.set(
            xlabel="sample size n",
            ylabel="fraction passing (error < 1e-8)",
            ylim=(-0.03, 1.03),
            title=f"{d} inputs: fraction passing the threshold",
            xticks=ns,
        )
        if r == 0:
            ax.legend(fontsize=6, ncol=2)
    fig.text(
        0.01,
        0.005,
        f"trials={p['trials']}, width={p['width']}, {p['activation']}, horizon={p['t_max']:g}, "
        f"rtol={p['rtol']:g}; code {summary['code_hash']}",
        fontsize=7,
        color="#555",
    )
    bottom.subplots_adjust(bottom=0.12, hspace=0.45, wspace=0.25)
    top.subplots_adjust(hspace=0.35, wspace=0.08)
    fig.savefig(path, dpi=110)
