"""Live exploration in a Jupyter kernel: ipywidgets panels that recompute a figure when a control moves.

The static book shows sliders over grids precomputed at build time. In a running kernel these panels go
further: every control can take any value in its range and the package recomputes the result on the spot
(through :func:`recovery.sweeps.run_many`, so the on-disk :class:`~recovery.cache.ResultCache` is reused and
filled). Three panels:

* ``panel("fig3")``: Figure 3 of arXiv:2405.13787 (which of Q¹/Q² each seed reaches against |C₁/C₂|) over
  the initialization scale s (1e-20 to 1, log slider), the sample size n, the number of seeds, the design
  (evenly spaced or Gaussian inputs) and the horizon t at which limits are classified;
* ``panel("fig1")``: one cell of Figure 1 (scale s, sample size n, design, trials): the learned functions
  against the target and every trial's generalization error;
* ``panel("phase")``: one cell of the phase diagram (sample size n, prescribed ratio c = C₂/C₁, scale,
  seeds): each seed's training loss and generalization error against time, coloured by its outcome.

Every panel has a text field for any other parameter of the underlying configuration (``rtol=1e-6,
first_seed=400``). Values outside a slider's range cannot be entered; anything else goes through the package's
validator, and a bad value shows the validator's one-line message in the panel, leaving the plot and the cache
untouched. While a result is computed the previous plot stays, a progress bar and a status line say what is
happening, and the new plot replaces the old one in one step when it is ready.

A panel is an ``ipywidgets.VBox`` whose parts are attributes, so it can be driven without a browser::

    p = panel("fig3", seeds=40, t_max=1e4)   # computes once
    p.controls["n_samples"].value = 5        # recomputes (observers run synchronously)
    p.result["threshold_low"], p.figure.data # the last summary and the plotly figure shown

Plots are plotly figures shown through an ``ipywidgets.Output`` (plotly's own mime renderer, which
JupyterLab, Notebook 7 and VS Code have); plotly's ``FigureWidget`` is not used because plotly 7 needs the
separate ``anywidget`` package for it.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import torch
from plotly.subplots import make_subplots

from .cache import ResultCache
from .config import ParameterError
from .core.models import get_activation
from .core.outcomes import OUTCOME_NAMES, Outcome, with_outcomes
from .core.theory import RECOVERY_THRESHOLD, generalization_error
from .figures import fig1, fig3, phase
from .plots.common import stamp
from .plots.fig1 import ERROR_FLOOR, TRIAL_COLORS, Y_RANGE, plot_grid
from .plots.fig3 import fig3_ratio_scatter
from .plots.thresholds import OUTCOME_COLORS
from .sweeps import KIND, RunConfig, run_many

PANELS = ("fig1", "fig3", "phase")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
_STEPS = 3  # progress bar: validate, compute (or load), draw


# --- controls ------------------------------------------------------------------------------------------------

_LAYOUT = widgets.Layout(width="440px")
_STYLE = {"description_width": "150px"}


def _log_slider(
    value: float, lo: int, hi: int, description: str, step: float = 0.5, fmt: str = ".1e"
) -> widgets.FloatLogSlider:
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=lo,
        max=hi,
        step=step,
        description=description,
        readout_format=fmt,
        continuous_update=False,
        layout=_LAYOUT,
        style=_STYLE,
    )


def _int_slider(value: int, lo: int, hi: int, description: str, step: int = 1) -> widgets.IntSlider:
    return widgets.IntSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=False,
        layout=_LAYOUT,
        style=_STYLE,
    )


def _design() -> widgets.Dropdown:
    return widgets.Dropdown(
        options=[("evenly spaced", "even"), ("Gaussian", "gaussian")],
        value="even",
        description="design",
        layout=_LAYOUT,
        style=_STYLE,
    )


def parse_extra(text: str) -> dict[str, str]:
    """``"rtol=1e-6, first_seed=400"`` → ``{"rtol": "1e-6", "first_seed": "400"}`` (values stay strings: the
    configuration's validator coerces and checks them, as for the CLI). Commas or whitespace separate pairs."""
    out: dict[str, str] = {}
    for item in text.replace(",", " ").split():
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise ParameterError("more parameters", text, "expected name=value pairs separated by commas")
        out[name.strip()] = value.strip()
    return out


# --- the three experiments -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    """What a panel computes: its controls, how their values become a validated configuration, the cached
    configurations it runs, the computation, the drawing and a one-line result."""

    title: str
    controls: Callable[[], dict[str, widgets.ValueWidget]]
    owned: frozenset[str]  # configuration parameters set by the controls (not allowed in the text field)
    config: Callable[[dict[str, Any], dict[str, str]], Any]
    run_configs: Callable[[Any], list[RunConfig]]
    compute: Callable[[Any], tuple[dict[str, Any], dict[str, np.ndarray]]]
    draw: Callable[[Any, dict[str, Any], dict[str, np.ndarray]], go.Figure]
    headline: Callable[[dict[str, Any]], str]


# Figure 3


def _fig3_controls() -> dict[str, widgets.ValueWidget]:
    return {
        "init_scale": _log_slider(1e-8, -20, 0, "init. scale s"),
        "n_samples": _int_slider(6, 2, 20, "samples n"),
        "seeds": _int_slider(400, 10, 4000, "seeds", step=10),
        "design": _design(),
        "t_max": _log_slider(1e7, 2, 12, "horizon t"),
    }


def _fig3_config(v: dict[str, Any], extra: dict[str, str]) -> RunConfig:
    return RunConfig.from_user(
        **extra,
        init_scale=v["init_scale"],
        n_samples=v["n_samples"],
        seeds=v["seeds"],
        design=v["design"],
        t_max=v["t_max"],
    )


def _fig3_draw(cfg: RunConfig, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    params = {
        "n": cfg.n_samples,
        "design": cfg.design,
        "s": cfg.init_scale,
        "seeds": cfg.seeds,
        "rtol": cfg.rtol,
    }
    fig = fig3_ratio_scatter(arrays, summary, params)
    fig.update_layout(
        title=f"Figure 3, live: n = {cfg.n_samples} ({cfg.design}), s = {cfg.init_scale:.1e}: "
        f"Q¹ {summary['fraction_Q1']:.0%}, Q² {summary['fraction_Q2']:.0%}",
        title_font=dict(size=13),
    )
    return fig


def _fig3_headline(s: dict[str, Any]) -> str:
    return (
        f"Q¹ band of |C₁/C₂|: {s['threshold_low']:.3f} – {s['threshold_high']:.3f} (paper "
        f"{s['paper_threshold_low']} – {s['paper_threshold_high']} at n = 6, s = 1e-8); reached Q¹ "
        f"{s['fraction_Q1']:.1%}, Q² {s['fraction_Q2']:.1%}, unresolved {s['fraction_neither']:.1%}"
    )


FIG3 = Experiment(
    title="Figure 3: which set of global minima each seed reaches",
    controls=_fig3_controls,
    owned=frozenset({"init_scale", "n_samples", "seeds", "design", "t_max"}),
    config=_fig3_config,
    run_configs=lambda cfg: [cfg],
    compute=lambda cfg: fig3.run(cfg, progress=False),
    draw=_fig3_draw,
    headline=_fig3_headline,
)


# Figure 1 (one cell)


def _fig1_controls() -> dict[str, widgets.ValueWidget]:
    return {
        "init_scale": _log_slider(1e-8, -20, 1, "init. scale s"),
        "n_samples": _int_slider(6, 2, 20, "samples n"),
        "design": _design(),
        "trials": _int_slider(50, 1, 500, "trials"),
    }


def _fig1_config(v: dict[str, Any], extra: dict[str, str]) -> fig1.Config:
    return fig1.Config.from_user(
        **extra,
        scales=(v["init_scale"],),
        n_values=(v["n_samples"],),
        designs=(v["design"],),
        trials=v["trials"],
    )


def _fig1_draw(cfg: fig1.Config, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    """Left: the learned functions of up to 10 trials, the target and the training points; right: every
    trial's generalization error (log axis; green below the paper's recovery threshold 1e-8)."""
    d, s, n = cfg.designs[0], cfg.scales[0], cfg.n_values[0]
    ge = arrays[f"{d}_gen_error"][0, 0]
    show = min(10, cfg.trials)
    x = plot_grid(d)
    f = fig1.learned_functions(cfg, arrays[f"{d}_final_theta"][0, 0, :show], x)
    xs = arrays[f"{d}_train_x"][0, :show]
    fig = make_subplots(
        1,
        2,
        column_widths=[0.6, 0.4],
        horizontal_spacing=0.1,
        subplot_titles=(f"learned functions (first {show} trials)", "generalization error per trial"),
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=fig1.target_function(cfg, x),
            mode="lines",
            name="target tanh(x + 1)",
            line=dict(color="black", width=4),
            opacity=0.35,
        ),
        1,
        1,
    )
    for k in range(show):
        c = TRIAL_COLORS[k % len(TRIAL_COLORS)]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=f[k],
                mode="lines",
                line=dict(color=c, width=1.5),
                showlegend=False,
                name=f"trial {k}",
                hovertemplate=f"trial {k}: error {ge[k]:.1e}<extra></extra>",
            ),
            1,
            1,
        )
        xt = xs[k][np.isfinite(xs[k])]
        if d == "gaussian" or k == 0:
            fig.add_trace(
                go.Scatter(
                    x=xt,
                    y=fig1.target_function(cfg, xt),
                    mode="markers",
                    showlegend=k == 0,
                    name="training points",
                    marker=dict(color="black" if d == "even" else c, size=7, symbol="x"),
                ),
                1,
                1,
            )
    rec = ge < RECOVERY_THRESHOLD
    fig.add_trace(
        go.Scatter(
            x=np.arange(cfg.trials),
            y=np.maximum(ge, ERROR_FLOOR),
            mode="markers",
            name="error per trial (green: passes the threshold)",
            marker=dict(size=6, color=np.where(rec, "#2ca02c", "#d62728")),
        ),
        1,
        2,
    )
    fig.add_hline(y=RECOVERY_THRESHOLD, line=dict(color="black", dash="dash", width=1), row=1, col=2)
    fig.update_yaxes(range=list(Y_RANGE), title_text="f(x)", row=1, col=1)
    fig.update_yaxes(type="log", exponentformat="power", range=[-32.5, 1.5], row=1, col=2)
    fig.update_xaxes(title_text="x", row=1, col=1)
    fig.update_xaxes(title_text="trial", row=1, col=2)
    fig.update_layout(
        height=460,
        title_font=dict(size=13),
        legend=dict(orientation="h", x=0, y=-0.15),
        title=f"Figure 1, live: s = {s:.1e}, n = {n} ({d}): median error {np.median(ge):.1e}, "
        f"{rec.mean():.0%} of {cfg.trials} pass the threshold",
    )
    return stamp(
        fig,
        {"design": d, "s": s, "n": n, "trials": cfg.trials, "horizon": cfg.t_max, "rtol": cfg.rtol},
        below_px=95,
    )


def _fig1_headline(s: dict[str, Any]) -> str:
    d = next(iter(s["table"]))
    row = s["table"][d][0]
    return (
        f"median generalization error {row['median']:.1e} (mean {row['mean']:.1e}); passes the threshold "
        f"{row['passes_threshold']:.0%}; reached Q¹ {row['fraction_Q1']:.0%}, Q² {row['fraction_Q2']:.0%}"
    )


FIG1 = Experiment(
    title="Figure 1: one (scale, n) cell",
    controls=_fig1_controls,
    owned=frozenset({"scales", "n_values", "designs", "trials"}),
    config=_fig1_config,
    run_configs=lambda cfg: cfg.run_configs(),
    compute=lambda cfg: fig1.run(cfg, progress=False),
    draw=_fig1_draw,
    headline=_fig1_headline,
)


# the phase diagram (one cell)


@dataclass(frozen=True)
class PhaseCell:
    """One (n, c = C₂/C₁, scale) cell of the phase diagram with the diagram's integrator and outcome rule."""

    rule: phase.Config
    c: float

    def run_config(self) -> RunConfig:
        return self.rule.cell(self.rule.scales[0], self.rule.n_values[0], self.c)


def _phase_controls() -> dict[str, widgets.ValueWidget]:
    return {
        "n_samples": _int_slider(6, 2, 12, "samples n"),
        "c_ratio": _log_slider(0.5, -2, 2, "ratio C₂/C₁", step=0.02, fmt=".3g"),
        "init_scale": _log_slider(1e-8, -20, 0, "init. scale s"),
        "seeds": _int_slider(3, 1, 50, "seeds"),
    }


def _phase_config(v: dict[str, Any], extra: dict[str, str]) -> PhaseCell:
    rule = phase.Config.from_user(
        **extra, n_values=(v["n_samples"],), scales=(v["init_scale"],), seeds=v["seeds"]
    )
    c = float(v["c_ratio"])
    if not (np.isfinite(c) and c != 0.0):
        raise ParameterError("c_ratio", c, "must be a finite nonzero ratio C2/C1")
    return PhaseCell(rule, c)


def _phase_compute(cell: PhaseCell) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    rc = cell.run_config()
    arrays = with_outcomes(cell.rule, [rc], run_many([rc], progress=False))[0]
    spec = rc.data_spec()
    traj = torch.from_numpy(np.ascontiguousarray(arrays["theta_traj"]))
    arrays["gen_error_traj"] = generalization_error(
        traj, spec.eval_inputs(), spec.target, get_activation(rc.activation)
    ).numpy()
    outcome = arrays["outcome"]
    counts = {OUTCOME_NAMES[Outcome(int(o))]: int((outcome == o).sum()) for o in np.unique(outcome)}
    summary = {
        "parameters": {**cell.rule.params(), "c": cell.c},
        "outcomes": counts,
        "gen_error": [float(g) for g in arrays["gen_error"]],
        "c": cell.c,
        "measured_ratio_C2_over_C1": [float(r) for r in arrays["C"][:, 1] / arrays["C"][:, 0]],
    }
    return summary, arrays


def _phase_draw(cell: PhaseCell, summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> go.Figure:
    t = arrays["times"]
    ok = t > 0
    fig = make_subplots(
        1, 2, horizontal_spacing=0.1, subplot_titles=("training loss", "generalization error")
    )
    shown: set[int] = set()
    for k, seed in enumerate(arrays["seeds"]):
        o = int(arrays["outcome"][k])
        color = OUTCOME_COLORS[Outcome(o)]
        for col, key in ((1, "loss_traj"), (2, "gen_error_traj")):
            fig.add_trace(
                go.Scatter(
                    x=t[ok],
                    y=np.maximum(arrays[key][k][ok], ERROR_FLOOR),
                    mode="lines",
                    line=dict(color=color, width=1.5),
                    name=OUTCOME_NAMES[Outcome(o)],
                    legendgroup=str(o),
                    showlegend=col == 1 and o not in shown,
                    hovertemplate=f"seed {int(seed)}, t=%{{x:.1e}}: %{{y:.1e}}<extra></extra>",
                ),
                1,
                col,
            )
        shown.add(o)
    fig.add_hline(y=cell.rule.threshold, line=dict(color="black", dash="dash", width=1), row=1, col=2)
    fig.update_xaxes(type="log", title_text="time t", exponentformat="power")
    fig.update_yaxes(type="log", exponentformat="power")
    n, s = cell.rule.n_values[0], cell.rule.scales[0]
    counts = ", ".join(f"{v} {k}" for k, v in summary["outcomes"].items())
    fig.update_layout(
        height=440,
        title_font=dict(size=13),
        legend=dict(orientation="h", x=0, y=-0.18),
        title=f"Phase diagram, one cell: n = {n} ({cell.rule.design}), C₂/C₁ = {cell.c:.3g}, "
        f"s = {s:.1e}: {counts}",
    )
    return stamp(
        fig,
        {
            "n": n,
            "c": cell.c,
            "s": s,
            "seeds": cell.rule.seeds,
            "horizon": cell.rule.t_max,
            "rtol": cell.rule.rtol,
        },
        below_px=100,
    )


PHASE = Experiment(
    title="Phase diagram: one (n, C₂/C₁) cell",
    controls=_phase_controls,
    owned=frozenset({"n_values", "scales", "seeds", "c_min", "c_max", "c_points"}),
    config=_phase_config,
    run_configs=lambda cell: [cell.run_config()],
    compute=_phase_compute,
    draw=_phase_draw,
    headline=lambda s: "outcomes: " + ", ".join(f"{k}: {v}" for k, v in s["outcomes"].items()),
)

EXPERIMENTS: dict[str, Experiment] = {"fig1": FIG1, "fig3": FIG3, "phase": PHASE}


# --- the panel ---------------------------------------------------------------------------------------------------


def figure_output(fig: go.Figure) -> dict[str, Any]:
    """One ``display_data`` output (nbformat) showing ``fig`` with plotly's mime renderer."""
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            PLOTLY_MIME: json.loads(pio.to_json(fig, validate=False)),
            "text/plain": f"<plotly figure: {fig.layout.title.text}>",
        },
    }


class Panel(widgets.VBox):
    """A live panel (an ``ipywidgets.VBox``): controls, a text field for further parameters, a progress bar
    and status line, and the plot.

    Attributes a program (or a test) can use: ``controls`` (name → widget; set ``.value`` to recompute),
    ``extra`` (the text field), ``update()`` (recompute now, synchronously), ``result`` and ``arrays`` (the
    last summary and arrays), ``figure`` (the plotly figure shown), ``error`` (the last validation message or
    ``None``), ``source`` (``"computed"`` or ``"cache"``), ``computations`` (how many results were drawn).
    """

    def __init__(self, kind: str, *, auto: bool = True, compute: bool = True, **values: Any) -> None:
        if kind not in EXPERIMENTS:
            raise ParameterError("kind", kind, f"one of {', '.join(PANELS)}")
        self.kind = kind
        self.experiment = EXPERIMENTS[kind]
        self.controls: dict[str, widgets.ValueWidget] = self.experiment.controls()
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ParameterError(
                unknown[0],
                values[unknown[0]],
                f"not a control of panel {kind!r}; controls: {', '.join(self.controls)}",
            )
        for k, v in values.items():
            self._set_control(k, v)
        self.extra = widgets.Text(
            value="",
            description="more parameters",
            placeholder="e.g. rtol=1e-6, first_seed=400",
            continuous_update=False,
            layout=_LAYOUT,
            style=_STYLE,
        )
        self.progress = widgets.IntProgress(
            value=0, min=0, max=_STEPS, description="", layout=widgets.Layout(width="200px")
        )
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.result: dict[str, Any] | None = None
        self.arrays: dict[str, np.ndarray] | None = None
        self.figure: go.Figure | None = None
        self.config: Any = None
        self.error: str | None = None
        self.source: str | None = None
        self.computations = 0
        self._last_key: str | None = None
        self._last_status = ""
        self._busy = False
        super().__init__(
            [
                widgets.HTML(f"<b>{self.experiment.title}</b>"),
                *self.controls.values(),
                self.extra,
                widgets.HBox([self.progress, self.status]),
                self.output,
            ]
        )
        if auto:
            for w in (*self.controls.values(), self.extra):
                w.observe(self._on_change, names="value")
        if compute:
            self.update()

    def values(self) -> dict[str, Any]:
        """The controls' current values."""
        return {k: w.value for k, w in self.controls.items()}

    def set(self, **values: Any) -> bool:
        """Set several controls at once and recompute once (the observers are held back meanwhile)."""
        self._busy = True
        try:
            for k, v in values.items():
                self._set_control(k, v)
        finally:
            self._busy = False
        return self.update()

    def _set_control(self, name: str, value: Any) -> None:
        """Set one control; a value a slider cannot take is clamped to its range, a choice it does not offer is
        a one-line error."""
        w = self.controls.get(name)
        if w is None:
            raise ParameterError(
                name, value, f"not a control of panel {self.kind!r}; controls: {', '.join(self.controls)}"
            )
        if isinstance(w, widgets.Dropdown):
            allowed = [v for _, v in w.options]
            if value not in allowed:
                raise ParameterError(name, value, f"one of {', '.join(map(str, allowed))}")
        w.value = value

    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._busy:
            self.update()

    def _say(self, step: int, text: str, style: str = "info") -> None:
        self.progress.value = step
        self.progress.bar_style = style
        self.status.value = text

    def update(self, force: bool = False) -> bool:
        """Validate the current values, compute (or load from the cache) and draw; synchronous.

        Returns ``True`` when a new figure was drawn. A bad value leaves the previous figure, the result and
        the cache as they were and shows the validator's one-line message (also in ``error``)."""
        exp = self.experiment
        self._say(0, "checking the parameters…")
        try:
            extra = parse_extra(self.extra.value)
            clash = sorted(set(extra) & exp.owned)
            if clash:
                raise ParameterError(clash[0], extra[clash[0]], "is set by this panel's controls, not here")
            cfg = exp.config(self.values(), extra)
        except ParameterError as e:
            self.error = str(e)
            self._say(0, f"<span style='color:#b00'>{_esc(str(e))}</span> (plot unchanged)", "danger")
            return False
        self.error = None
        key = repr(cfg)
        if key == self._last_key and not force:  # nothing changed (e.g. a bad value was corrected back)
            self._say(_STEPS, self._last_status, "success")
            return False
        configs = exp.run_configs(cfg)
        cache = ResultCache()
        cached = all(cache.path(KIND, c.params()).exists() for c in configs)
        trials = sum(c.seeds for c in configs)
        self._say(
            1,
            "loading from the cache…"
            if cached
            else f"computing {trials} trial{'s' * (trials != 1)} (gradient flow to t = {configs[0].t_max:.0e})…",
        )
        t0 = time.perf_counter()
        try:
            summary, arrays = exp.compute(cfg)
            self._say(2, "drawing…")
            fig = exp.draw(cfg, summary, arrays)
        except Exception as e:  # show it in the panel, then let the kernel report it
            self._say(
                0,
                f"<span style='color:#b00'>failed: {_esc(type(e).__name__ + ': ' + str(e))}</span>",
                "danger",
            )
            raise
        self.output.outputs = (figure_output(fig),)  # swap: the old plot stays until this assignment
        self.config, self.result, self.arrays, self.figure = cfg, summary, arrays, fig
        self.source = "cache" if cached else "computed"
        self.computations += 1
        self._last_key = key
        dt = time.perf_counter() - t0
        how = "loaded from the cache" if cached else f"computed {trials} trials"
        self._last_status = f"{how} in {dt:.2f} s. {_esc(exp.headline(summary))}"
        self._say(_STEPS, self._last_status, "success")
        return True


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def panel(kind: str, **values: Any) -> Panel:
    """The live panel ``kind`` (``"fig1"``, ``"fig3"`` or ``"phase"``), computed once with its controls at
    their defaults or at ``values`` (e.g. ``panel("fig3", seeds=100)``); display it in a notebook."""
    return Panel(kind, **values)
