"""Geometry of the global minima and local recovery (arXiv:2309.00508, related to arXiv:2405.13787): two tanh
neurons fitting one, with a scalar input.

Setting (``setting``), stated on the page:

* ``no_bias`` (the related paper's setting, as far as SCIENCE.md reports it): f_θ(x) = a₁tanh(w₁x) + a₂tanh(w₂x),
  θ = (a₁, w₁, a₂, w₂), P = 4, target f*(x) = a*tanh(w*x) (default tanh(x));
* ``bias`` (the main paper's Example 1): x = (x, 1), P = 6, target a*tanh(w*x + b*) (default tanh(x + 1)).

The set of global minima that represent the target has three branches (each up to flipping the sign of a neuron,
(a_k, w_k) → (−a_k, −w_k), which leaves the function unchanged because tanh is odd; we sample and draw the copies
with w_k along +w*, and the distances of the rate experiment are minimized over the flips):

* ``condensed``: w₁ = w₂ = w*, a₁ + a₂ = a* (a line);
* ``dead1`` / ``dead2``: neuron 1 (resp. 2) has a = 0 and a free input weight w, the other equals (a*, w*)
  (a line without bias, a plane with it). A neuron with w = 0 (bias: w = (0, 0)) is dead too, whatever its a:
  that line crosses the dead branch at w = 0 and is not sampled.

Per branch and sample size n (``n_values``) and training design (``designs``), at ``points_per_branch`` random points
of the branch, we compute with the Hessian page's machinery (:mod:`recovery.figures.hessian`):

* the model rank (rank of ∂f_θ/∂θ as functions, :func:`recovery.theory.jacobian_rank`), the rank of the training
  Jacobian, the number of zero eigenvalues of the training-loss Hessian (:func:`recovery.theory.hessian_spectrum_at`);
* the local dimension of the interpolating set (the zero-loss set of the n samples) near the point, by projecting
  nearby points onto it (:func:`recovery.core.minima.minimum_set_dimensions`);
* *separated* at n (ours, as on the Table 1 page): that local dimension equals the branch's own dimension, i.e. near
  the branch every interpolant is on the branch; the *separation sample size* of a branch is the smallest n from
  which on it is separated at every sampled point (:func:`recovery.core.minima.holds_from`). The second-order
  test of Table 1 (:func:`recovery.core.minima.second_order_separation`) is reported as a cross-check;
* Morse–Bott at n (:func:`recovery.core.minima.is_morse_bott`): local dimension = number of zero eigenvalues.

Designs: ``positive`` (n points evenly spaced on (0, h]: x_i = h·i/n), ``even`` (the project's grid on [−h, h]) and
``gaussian`` (N(0, 1), ``data_seed``). Without a bias every network function is odd, so the points x and −x of the
symmetric ``even`` grid give the same equation (and x = 0 none): only ⌊n/2⌋ of its n samples count.

Rates near each branch (``rate_*``): gradient flow from a point of each branch displaced by ``rate_eps`` in a random
direction, at n = ``rate_n`` (design ``rate_design``), for every setting, in ONE batched call of
:func:`recovery.dynamics.gradient_flow`. :class:`recovery.sweeps.RunConfig` cannot express this run: its data always
carry the bias input (``with_bias``), its targets have a bias, and its starts are s·θ̂ around θ = 0. The no-bias
trials are embedded in the bias layout with the second input coordinate 0 and the bias weights 0 (their gradient
is then exactly zero, so they stay 0). The run is cached by :class:`recovery.cache.ResultCache`. Fits: loss ∝ t^p and
distance to the condensed branch ∝ t^q in ``condensed_time_window``; exponential rate in ``dead_loss_window`` against
2λ_min of the Hessian at the end point (:func:`recovery.core.stats.fit_exponential_rate`, ``fit_power_law``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import ResultCache, code_hash
from ..config import (
    ParameterError,
    UserConfig,
    check_choice,
    check_choice_list,
    check_float,
    check_int,
    check_int_list,
    check_window,
    spec,
)
from ..core.data import sample_inputs
from ..core.dynamics import FlowConfig, gradient_flow, single_thread
from ..core.minima import (
    holds_from,
    minimum_set_dimensions,
    project_to_minima,
    q1_point,
    q2_point,
    second_order_separation,
    smallest_nonzero_eigenvalue,
    training_jacobian_rank,
)
from ..core.models import Data, get_activation
from ..core.stats import finite_median, fit_exponential_rate, fit_power_law
from ..core.theory import (
    Q1,
    Q2,
    classify_limit,
    distance_to_Q1,
    distance_to_Q2,
    hessian_spectrum_at,
    jacobian_rank,
    zero_eigenvalue_count,
)
from ..related import geometry as captions

DESCRIPTION = "Related: two neurons fitting one (arXiv:2309.00508): three branches, ranks, Morse-Bott, separation n, rates"

SETTINGS = ("no_bias", "bias")
GEO_DESIGNS = ("positive", "even", "gaussian")
BRANCHES = ("condensed", "dead1", "dead2")
BRANCH_TEXT = {
    "condensed": "condensed: w₁ = w₂ = w*, a₁ + a₂ = a*",
    "dead1": "neuron 1 dead: a₁ = 0, w₁ free; (a₂, w₂) = (a*, w*)",
    "dead2": "neuron 2 dead: a₂ = 0, w₂ free; (a₁, w₁) = (a*, w*)",
}
SO_NAME = {"condensed": "Q1", "dead1": "Q2", "dead2": "Q2"}  # the Table 1 test's branch names

# What the captions of arXiv:2309.00508 state (SCIENCE.md, "Related papers"): checked by caption_checks
PAPER_CAPTIONS = {
    "source": "arXiv:2309.00508, captions as stated in SCIENCE.md 'Related papers'",
    "closures": "the closures of Q1, Q2, Q3 are 1-D affine subspaces (no bias, scalar input)",
    "Q1_Q2": "(a, w, 0, w)",
    "Q1_Q3": "(0, w, a, w)",
    "Q1": "not Morse-Bott at any point; flows converging there are in general biased towards ker Hess R",
    "Q2_Q3": "Morse-Bott almost everywhere, linear convergence",
}

# OURS (research notes, SCIENCE.md 'Related seeds'): derived by us, not stated in the paper's available text
PAPER_GEOMETRY = {
    "source": "ours: research notes (SCIENCE.md 'Related seeds'), derived; the Jacobian ranks are not the paper's",
    "jacobian_rank": {"condensed": 2, "dead": 3},
    "morse_bott": {"condensed": False, "dead": True},
    "convergence": {"condensed": "sublinear", "dead": "linear"},
    "bias_model_rank": {"condensed": 3, "dead": 4},  # SCIENCE.md, Example 1 (Q1 / Q2)
}


def parameter_count(setting: str) -> int:
    return 4 if setting == "no_bias" else 6


def branch_dimension(setting: str, branch: str) -> int:
    """Dimension of the branch as a set: the condensed line 1; a dead branch 1 (no bias) or 2 (bias: w ∈ R²)."""
    return 1 if branch == "condensed" or setting == "no_bias" else 2


def counting_bound(setting: str, branch: str) -> int:
    """P − dim(branch): fewer equations cannot cut the interpolating set down to the branch."""
    return parameter_count(setting) - branch_dimension(setting, branch)


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the page (defaults: the book size).

    * ``settings``: ``no_bias`` (a₁tanh(w₁x) + a₂tanh(w₂x), P = 4) and/or ``bias`` (x = (x, 1), P = 6).
    * ``target_a``, ``target_w`` (slope), ``target_b`` (bias, used by the ``bias`` setting only).
    * Geometry: ``n_values``, ``designs`` of the no-bias setting (``positive``, ``even``, ``gaussian``) and
      ``bias_design`` of the bias setting (default the main paper's grid: on clustered inputs such as ``positive``
      the Levenberg–Marquardt projections near the condensed branch with bias do not converge), ``data_seed``,
      ``half_width`` (h), ``points_per_branch`` random points per branch (``point_seed``), ``zero_rtol``
      (|λ| ≤ zero_rtol·max|λ| is zero), ``dim_samples`` / ``dim_nearby`` (the projection estimate of the Hessian
      page), ``so_starts`` (random starts of the second-order cross-check).
    * The 3-D picture (no-bias setting, first design): ``cloud_samples`` points at distance ``cloud_radius`` around
      each sampled point, projected onto the interpolating set, for every n.
    * Rates: ``rate_n`` samples of ``rate_design``; ``rate_starts`` starts per sampled point at distance ``rate_eps``;
      horizon ``rate_t_max``, tolerance ``rate_rtol``, ``rate_cpd`` checkpoints per decade; fit windows
      ``dead_loss_window`` (loss values) and ``condensed_time_window`` (times).
    """

    settings: tuple[str, ...] = spec(("no_bias", "bias"), check_choice_list, SETTINGS)
    target_a: float = spec(1.0, check_float, -10.0, 10.0)
    target_w: float = spec(1.0, check_float, -10.0, 10.0)
    target_b: float = spec(1.0, check_float, -10.0, 10.0)
    n_values: tuple[int, ...] = spec((1, 2, 3, 4, 5, 6), check_int_list, 1, 30, max_len=20)
    designs: tuple[str, ...] = spec(("positive", "even"), check_choice_list, GEO_DESIGNS)
    bias_design: str = spec("even", check_choice, GEO_DESIGNS)
    data_seed: int = spec(0, check_int, 0)
    half_width: float = spec(2.0, check_float, 0.0, 10.0, low_open=True)
    points_per_branch: int = spec(3, check_int, 1, 20)
    point_seed: int = spec(0, check_int, 0)
    zero_rtol: float = spec(1e-8, check_float, 0.0, 1e-2, low_open=True)
    dim_samples: int = spec(16, check_int, 8, 200)
    dim_nearby: int = spec(3, check_int, 1, 20)
    so_starts: int = spec(6, check_int, 1, 50)
    cloud_samples: int = spec(40, check_int, 0, 500)
    cloud_radius: float = spec(0.4, check_float, 0.0, 2.0, low_open=True)
    rate_n: int = spec(6, check_int, 1, 100)
    rate_design: str = spec("even", check_choice, GEO_DESIGNS)
    rate_starts: int = spec(2, check_int, 0, 50)
    rate_eps: float = spec(0.15, check_float, 0.0, 0.5, low_open=True)
    rate_t_max: float = spec(1e8, check_float, 1.0, 1e10)
    rate_rtol: float = spec(1e-8, check_float, 0.0, 1e-3, low_open=True)
    rate_cpd: int = spec(20, check_int, 2, 200)
    dead_loss_window: tuple[float, float] = spec((1e-16, 1e-10), check_window)
    condensed_time_window: tuple[float, float] = spec((1e6, 1e8), check_window)

    def validate(self, given: dict[str, Any]) -> None:
        if self.target_a == 0.0:
            raise ParameterError(
                "target_a", given["target_a"], "must be nonzero (a zero target has no branches)"
            )
        if self.target_w == 0.0:
            raise ParameterError(
                "target_w", given["target_w"], "must be nonzero (a zero slope makes the target constant)"
            )
        if self.condensed_time_window[1] > self.rate_t_max:
            raise ParameterError(
                "condensed_time_window",
                given["condensed_time_window"],
                f"must end at or before rate_t_max={self.rate_t_max:g}",
            )

    def designs_for(self, setting: str) -> tuple[str, ...]:
        """The training designs of a setting: ``designs`` without bias, (``bias_design``,) with it."""
        return self.designs if setting == "no_bias" else (self.bias_design,)

    def target_neuron(self, setting: str) -> np.ndarray:
        """(a*, w*) without bias, (a*, w*, b*) with it."""
        if setting == "no_bias":
            return np.array([self.target_a, self.target_w])
        return np.array([self.target_a, self.target_w, self.target_b])


# ---------------------------------------------------------------------------------------------------------
# Data and points


def inputs(design: str, n: int, *, data_seed: int = 0, half_width: float = 2.0) -> torch.Tensor:
    """Scalar training inputs ``(n,)``: ``positive`` = h·(1..n)/n, ``even`` = linspace(−h, h, n) and ``gaussian`` =
    N(0, 1) (:func:`recovery.data.sample_inputs`)."""
    check_choice("design", design, GEO_DESIGNS)
    if design == "positive":
        return half_width * torch.arange(1, n + 1, dtype=torch.float64) / n
    return sample_inputs(design, n, data_seed=data_seed, half_width=half_width)


def features(x: torch.Tensor, setting: str) -> torch.Tensor:
    """Network inputs ``(n, d)``: (x) without bias, (x, 1) with it."""
    return x[:, None] if setting == "no_bias" else torch.stack([x, torch.ones_like(x)], -1)


def training_data(cfg: Config, setting: str, design: str, n: int) -> Data:
    """One training set (batch of one): inputs of ``design``, labels from the target neuron."""
    x = inputs(design, n, data_seed=cfg.data_seed, half_width=cfg.half_width)
    X = features(x, setting)
    t = torch.as_tensor(cfg.target_neuron(setting))
    y = t[0] * torch.tanh(X @ t[1:])
    return Data(X[None], y[None], torch.ones(1, n, dtype=torch.float64))


def branch_points(target: np.ndarray, per_branch: int, seed: int) -> list[tuple[str, torch.Tensor]]:
    """``per_branch`` random points of each branch (shape ``(2, 1+d)``), through the Hessian page's
    :func:`~recovery.core.minima.q1_point` and :func:`~recovery.core.minima.q2_point`: condensed with
    a₁ ~ U(−0.5, 1.5)·a* at least 0.1·|a*| from the crossings a₁ ∈ {0, a*}; dead with w ~ N(0, I), ‖w‖ ≥ 0.3 and
    ‖w ∓ w*‖ ≥ 0.3 (away from the crossings with the w = 0 line and with the condensed branch)."""
    rng = np.random.default_rng(seed)
    target = np.asarray(target, float)
    a_star, w_star = target[0], target[1:]
    out: list[tuple[str, torch.Tensor]] = []
    while len(out) < per_branch:
        a1 = rng.uniform(-0.5, 1.5) * a_star
        if min(abs(a1), abs(a1 - a_star)) >= 0.1 * abs(a_star):
            out.append(("condensed", q1_point(a1, target)))
    for dead, name in ((0, "dead1"), (1, "dead2")):
        k = 0
        while k < per_branch:
            w = rng.standard_normal(len(w_star))
            if (
                np.linalg.norm(w) >= 0.3
                and min(np.linalg.norm(w - w_star), np.linalg.norm(w + w_star)) >= 0.3
            ):
                out.append((name, q2_point(w, target, dead)))
                k += 1
    return out


def _rows(data: list[Data]) -> Data:
    n_max = max(d.X.shape[1] for d in data)
    X = torch.zeros(len(data), n_max, data[0].X.shape[2], dtype=torch.float64)
    y = torch.zeros(len(data), n_max, dtype=torch.float64)
    mask = torch.zeros(len(data), n_max, dtype=torch.float64)
    for i, d in enumerate(data):
        n = d.X.shape[1]
        X[i, :n], y[i, :n], mask[i, :n] = d.X[0], d.y[0], d.mask[0]
    return Data(X, y, mask)


# ---------------------------------------------------------------------------------------------------------
# Geometry


def geometry(cfg: Config, setting: str) -> dict[str, np.ndarray]:
    """Ranks, zero eigenvalues, local dimension of the interpolating set, Morse–Bott and the second-order test at
    every (design, n, point) of one setting. Arrays ``(designs, n_values, points)``; per point ``branch``,
    ``points`` and ``model_rank``."""
    act = get_activation("tanh")
    target = cfg.target_neuron(setting)
    pts = branch_points(target, cfg.points_per_branch, cfg.point_seed)
    designs = cfg.designs_for(setting)
    G, N, Pn = len(designs), len(cfg.n_values), len(pts)
    d = len(target) - 1
    out = {
        k: np.zeros((G, N, Pn), dtype=int)
        for k in ("zero", "rank_train", "dim", "span", "unconverged", "so_leaving", "so_constraints")
    }
    out["so_margin"] = np.full((G, N, Pn), np.nan)
    out["so_separated"] = np.zeros((G, N, Pn), dtype=bool)
    out["lambda_min"] = np.full((G, N, Pn), np.nan)
    with single_thread():  # 400 x P SVDs: threads only add contention
        model_rank = np.array([jacobian_rank(p, act, dim=d, bias=setting == "bias") for _, p in pts])
    sets = {
        (gi, ni): training_data(cfg, setting, design, n)
        for gi, design in enumerate(designs)
        for ni, n in enumerate(cfg.n_values)
    }
    for (gi, ni), data in sets.items():
        X = data.X[0]
        for pi, (b, p) in enumerate(pts):
            ev = hessian_spectrum_at(p, data, act)
            out["zero"][gi, ni, pi] = zero_eigenvalue_count(ev, cfg.zero_rtol)
            out["lambda_min"][gi, ni, pi] = smallest_nonzero_eigenvalue(ev, cfg.zero_rtol)
            out["rank_train"][gi, ni, pi] = training_jacobian_rank(p, data, act, cfg.zero_rtol)
            so = second_order_separation(SO_NAME[b], p, X, act, zero_rtol=cfg.zero_rtol, starts=cfg.so_starts)
            out["so_leaving"][gi, ni, pi], out["so_constraints"][gi, ni, pi] = so.leaving, so.constraints
            out["so_margin"][gi, ni, pi], out["so_separated"][gi, ni, pi] = so.margin, so.separated
    keys = list(np.ndindex(G, N, Pn))
    thetas = torch.stack([pts[pi][1] for _, _, pi in keys])
    data_all = _rows([sets[(gi, ni)] for gi, ni, _ in keys])
    dims = minimum_set_dimensions(
        thetas, data_all, act, samples=cfg.dim_samples, nearby=cfg.dim_nearby, seed=cfg.point_seed
    )
    for (gi, ni, pi), md in zip(keys, dims):
        out["dim"][gi, ni, pi], out["span"][gi, ni, pi] = md.dim, md.span
        out["unconverged"][gi, ni, pi] = md.unconverged
    branch = np.array([b for b, _ in pts])
    bdim = np.array([branch_dimension(setting, b) for b in branch])
    return {
        "branch": branch,
        "points": np.stack([p.numpy() for _, p in pts]),
        "model_rank": model_rank,
        "branch_dim": bdim,
        "separated": out["dim"] == bdim,
        "morse_bott": out["zero"] == out["dim"],
        **out,
    }


def cloud(cfg: Config, pts: np.ndarray) -> dict[str, np.ndarray]:
    """The interpolating set near each sampled point, for the 3-D picture (no-bias setting, first design): for every
    n, ``cloud_samples`` points at distance ``cloud_radius`` around each point ``pts: (Pn, 2, 2)`` are projected onto
    the zero-loss set by Levenberg–Marquardt (:func:`recovery.core.minima.project_to_minima`), all in one batch.
    Returns ``cloud: (N, Pn, S, 2, 2)`` and ``cloud_ok: (N, Pn, S)`` (projection converged)."""
    act = get_activation("tanh")
    N, Pn, S = len(cfg.n_values), pts.shape[0], cfg.cloud_samples
    if S == 0:
        return {"cloud": np.zeros((N, Pn, 0, 2, 2)), "cloud_ok": np.zeros((N, Pn, 0), dtype=bool)}
    g = torch.Generator().manual_seed(cfg.point_seed + 1)
    xi = torch.randn(N, Pn, S, 4, generator=g, dtype=torch.float64)
    xi = xi / torch.linalg.vector_norm(xi, dim=-1, keepdim=True)
    start = torch.as_tensor(pts).reshape(1, Pn, 1, 4) + cfg.cloud_radius * xi
    data = _rows(
        [training_data(cfg, "no_bias", cfg.designs[0], n) for n in cfg.n_values for _ in range(Pn * S)]
    )
    proj, res = project_to_minima(start.reshape(-1, 2, 2), data, act, tol=1e-10, max_iter=300)
    return {
        "cloud": proj.reshape(N, Pn, S, 2, 2).numpy(),
        "cloud_ok": (res < 1e-10).reshape(N, Pn, S).numpy(),
    }


# ---------------------------------------------------------------------------------------------------------
# Rates near each branch


def _embed(theta: torch.Tensor) -> torch.Tensor:
    """No-bias parameters ``(..., 2, 2)`` in the bias layout ``(..., 2, 3)`` with a zero bias weight."""
    return torch.cat([theta, torch.zeros(*theta.shape[:-1], 1, dtype=theta.dtype)], -1)


def rate_trials(cfg: Config) -> tuple[torch.Tensor, Data, list[tuple[str, str, int]]]:
    """Starts (bias layout ``(R, 2, 3)``), data and (setting, branch, point index) of every rate trial: each sampled
    point of each branch displaced by ``rate_eps`` along ``rate_starts`` random unit directions of its own
    parameter space (the no-bias trials: input (x, 0) and bias weights 0)."""
    g = torch.Generator().manual_seed(cfg.point_seed + 2)
    starts, data, meta = [], [], []
    for setting in cfg.settings:
        pts = branch_points(cfg.target_neuron(setting), cfg.points_per_branch, cfg.point_seed)
        d = training_data(cfg, setting, cfg.rate_design, cfg.rate_n)
        if setting == "no_bias":
            d = Data(torch.cat([d.X, torch.zeros_like(d.X)], -1), d.y, d.mask)
        for pi, (b, p) in enumerate(pts):
            for _ in range(cfg.rate_starts):
                xi = torch.randn(p.numel(), generator=g, dtype=torch.float64)
                th = p + cfg.rate_eps * (xi / xi.norm()).reshape(p.shape)
                starts.append(_embed(th) if setting == "no_bias" else th)
                data.append(d)
                meta.append((setting, b, pi))
    return torch.stack(starts), _rows(data), meta


def rate_params(cfg: Config) -> dict[str, Any]:
    keys = (
        "settings",
        "target_a",
        "target_w",
        "target_b",
        "half_width",
        "data_seed",
        "points_per_branch",
        "point_seed",
        "rate_n",
        "rate_design",
        "rate_starts",
        "rate_eps",
        "rate_t_max",
        "rate_rtol",
        "rate_cpd",
    )
    return {k: v for k, v in cfg.params().items() if k in keys}


def flow(cfg: Config, *, progress: bool = False, cache: ResultCache | None = None) -> dict[str, np.ndarray]:
    """All rate trials in ONE batched :func:`recovery.dynamics.gradient_flow` call, cached on disk."""
    cache = cache if cache is not None else ResultCache()
    params = rate_params(cfg)
    hit = cache.load("geometry_flow", params)
    if hit is not None:
        return hit
    theta0, data, meta = rate_trials(cfg)
    fc = FlowConfig(t_max=cfg.rate_t_max, rtol=cfg.rate_rtol, checkpoints_per_decade=cfg.rate_cpd)
    res = gradient_flow(
        theta0,
        data,
        get_activation("tanh"),
        fc,
        progress=progress,
        desc=f"gradient flow ({theta0.shape[0]} trials)",
    )
    arrays = {
        "setting": np.array([m[0] for m in meta]),
        "branch": np.array([m[1] for m in meta]),
        "point": np.array([m[2] for m in meta]),
        "theta0": theta0.numpy(),
        "times": res.times,
        "theta_traj": res.theta.numpy(),
        "loss_traj": res.loss.numpy(),
        "final_theta": res.final_theta.numpy(),
        "final_loss": res.final_loss.numpy(),
        "final_time": res.final_time.numpy(),
        "status": res.status.numpy(),
        "steps": res.steps.numpy(),
        "wall_time": np.array(res.wall_time),
    }
    cache.save("geometry_flow", params, arrays)
    return arrays


def rates(cfg: Config, fl: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per trial: the set reached (Q¹ = condensed, Q² = a dead branch, nearer-branch rule of
    :func:`recovery.theory.classify_limit`), the distance to the condensed branch along the run, and the fits."""
    act = get_activation("tanh")
    R = len(fl["setting"])
    t = fl["times"]
    out = {
        k: np.full(R, np.nan)
        for k in ("dead_rate", "dead_lambda_min", "condensed_loss_exponent", "condensed_distance_exponent")
    }
    out["label"] = np.zeros(R, dtype=int)
    out["dist_condensed"] = np.full(fl["loss_traj"].shape, np.nan)
    out["dist_dead"] = np.full(fl["loss_traj"].shape, np.nan)
    for i in range(R):
        s = str(fl["setting"][i])
        tn = cfg.target_neuron(s)
        tn3 = np.concatenate([tn, [0.0]]) if s == "no_bias" else tn
        traj = torch.as_tensor(fl["theta_traj"][i])
        out["dist_condensed"][i] = distance_to_Q1(traj, tn3).numpy()
        out["dist_dead"][i] = distance_to_Q2(traj, tn3).numpy()
        out["label"][i] = int(classify_limit(torch.as_tensor(fl["final_theta"][i])[None], tn3)[0])
        end = t <= fl["final_time"][i]
        L = fl["loss_traj"][i]
        if out["label"][i] == Q2:
            out["dead_rate"][i] = fit_exponential_rate(t[end], L[end], cfg.dead_loss_window)[0]
            th = torch.as_tensor(fl["final_theta"][i])
            th = th[:, :2] if s == "no_bias" else th
            data = training_data(cfg, s, cfg.rate_design, cfg.rate_n)
            ev = hessian_spectrum_at(th, data, act)
            out["dead_lambda_min"][i] = smallest_nonzero_eigenvalue(ev, cfg.zero_rtol)
        elif out["label"][i] == Q1:
            w = cfg.condensed_time_window
            out["condensed_loss_exponent"][i] = fit_power_law(t[end], L[end], w)[0]
            out["condensed_distance_exponent"][i] = fit_power_law(t[end], out["dist_condensed"][i][end], w)[0]
    out["dead_ratio"] = out["dead_rate"] / (2 * out["dead_lambda_min"])
    return out


def rate_verdicts(fl: dict[str, np.ndarray], fits: dict[str, np.ndarray], setting: str) -> dict[str, Any]:
    """Convergence type per branch kind (our rule, as on the Table 1 page): dead *linear* if the median fitted
    exponential rate is within 5 % of 2λ_min; condensed *sublinear* if the median loss exponent lies in (−3, −1)."""
    sel = fl["setting"] == setting
    started_dead = sel & (fl["branch"] != "condensed")
    started_cond = sel & (fl["branch"] == "condensed")
    ratio = fits["dead_ratio"][sel]
    le = fits["condensed_loss_exponent"][sel]
    de = fits["condensed_distance_exponent"][sel]
    rm, lm = finite_median(ratio), finite_median(le)
    return {
        "dead": {
            "starts": int(started_dead.sum()),
            "ended_dead": int((started_dead & (fits["label"] == Q2)).sum()),
            "fitted": int(np.isfinite(ratio).sum()),
            "rate_over_2lambda_min": rm,
            "rate_median": finite_median(fits["dead_rate"][sel]),
            "type": "linear" if math.isfinite(rm) and abs(rm - 1) < 0.05 else "undetermined",
        },
        "condensed": {
            "starts": int(started_cond.sum()),
            "ended_condensed": int((started_cond & (fits["label"] == Q1)).sum()),
            "fitted": int(np.isfinite(le).sum()),
            "loss_exponent": lm,
            "distance_exponent": finite_median(de),
            "type": "sublinear" if math.isfinite(lm) and -3 < lm < -1 else "undetermined",
        },
    }


# ---------------------------------------------------------------------------------------------------------
# The paper's captions, checked (no bias, scalar input)


def caption_checks(cfg: Config, arrays: dict[str, np.ndarray], *, random_count: int = 4000) -> dict[str, Any]:
    """The captions of arXiv:2309.00508 against our numbers (:mod:`recovery.related.geometry`).

    * Closures: the converged Levenberg–Marquardt projections of the 3-D picture at the largest n (points of the
      zero-loss set, found numerically, not placed on the lines by us) are canonicalized, labelled by branch and
      fitted by an affine subspace per branch (its dimension and s₂/s₁); the fitted lines of Q₁ and Q₂ (Q₃) are
      intersected and compared with (ā, w̄, 0, w̄) ((0, w̄, ā, w̄)).
    * Approach direction: for every no-bias rate run that ends on Q₁, θ* = the nearest point of Q₁ to its final point,
      the direction u = θ(t_end) − θ* and its angle to ker Hess R(θ*) (training loss at ``rate_n``), against the
      median angle of random directions (in R⁴, and in the normal space of Q₁); the same for the runs that end on a
      dead branch (Q₂, Q₃; θ* = their final point's nearest point on that line), where Morse–Bott predicts 90°.
    """
    a_bar, w_bar = cfg.target_a, cfg.target_w
    t = (a_bar, w_bar)
    out: dict[str, Any] = {
        "stated_Q1_Q2": [a_bar, w_bar, 0.0, w_bar],
        "stated_Q1_Q3": [0.0, w_bar, a_bar, w_bar],
    }
    if "no_bias" in cfg.settings and arrays.get("cloud") is not None and arrays["cloud"].shape[2] > 0:
        pts = captions.canonical(arrays["cloud"][-1][arrays["cloud_ok"][-1]], w_bar)
        lab = captions.assign_branch(pts, t, tol=1e-3)  # LM projections near Q1 are accurate to ~1e-4 only
        fits = {}
        for b in captions.BRANCH_ORDER:
            P = pts[lab == b].reshape(-1, 4)
            if len(P) >= 3:
                fits[b] = captions.affine_fit(P, rtol=1e-3)
        out["closure_points"] = {b: int((lab == b).sum()) for b in (*captions.BRANCH_ORDER, "both", "other")}
        out["closure_n"] = int(cfg.n_values[-1])
        out["closure_dim"] = {b: f["dim"] for b, f in fits.items()}
        out["closure_residual"] = {b: f["residual"] for b, f in fits.items()}
        for other, key in (("Q2", "Q1_Q2"), ("Q3", "Q1_Q3")):
            if "Q1" in fits and other in fits:
                p, gap = captions.line_intersection(
                    fits["Q1"]["center"],
                    fits["Q1"]["direction"],
                    fits[other]["center"],
                    fits[other]["direction"],
                )
                out[f"measured_{key}"] = [float(v) for v in p]
                out[f"gap_{key}"] = gap
                out[f"error_{key}"] = float(np.linalg.norm(p - np.array(out[f"stated_{key}"])))
    if "no_bias" in cfg.settings and cfg.rate_starts > 0 and "rate_label" in arrays:
        data = training_data(cfg, "no_bias", cfg.rate_design, cfg.rate_n)
        x, y = data.X[0, :, 0].numpy(), data.y[0].numpy()
        sel = arrays["rate_setting"] == "no_bias"
        ang: dict[str, list[float]] = {"Q1": [], "dead": []}
        dist: dict[str, list[float]] = {"Q1": [], "dead": []}
        rnd_full, rnd_normal, kdim = [], [], []
        for i in np.nonzero(sel)[0]:
            fin = captions.canonical(arrays["rate_final_theta"][i][:, :2], w_bar)
            if arrays["rate_label"][i] == Q1:
                star = captions.project_to_q1(fin, t)
                key = "Q1"
            elif arrays["rate_label"][i] == Q2:
                star = fin.copy()
                k = 1 if abs(fin[1, 0]) < abs(fin[0, 0]) else 0  # the dead neuron
                star[k, 0], star[1 - k] = 0.0, (a_bar, w_bar)
                key = "dead"
            else:
                continue
            u = (fin - star).reshape(4)
            if np.linalg.norm(u) == 0:
                continue
            K = captions.kernel_basis(captions.loss_hessian(star, x, y), cfg.zero_rtol)
            ang[key].append(captions.angle_to_subspace(u, K))
            dist[key].append(float(np.linalg.norm(u)))
            if key == "Q1":
                kdim.append(K.shape[1])
                tang = captions.q1_tangent()
                normal = np.linalg.svd(np.eye(4) - np.outer(tang, tang))[0][:, :3]
                rnd_full.append(float(np.median(captions.random_angles(K, random_count, seed=i))))
                rnd_normal.append(
                    float(np.median(captions.random_angles(K, random_count, seed=i, within=normal)))
                )
        out["approach_runs"] = {k: len(v) for k, v in ang.items()}
        out["approach_angle_Q1_deg"] = ang["Q1"]
        out["approach_angle_Q1_max_deg"] = float(max(ang["Q1"])) if ang["Q1"] else float("nan")
        out["approach_angle_dead_deg"] = ang["dead"]
        out["approach_angle_dead_min_deg"] = float(min(ang["dead"])) if ang["dead"] else float("nan")
        out["approach_distance_Q1"] = dist["Q1"]
        out["ker_hess_dim_Q1"] = kdim
        out["random_angle_median_deg"] = float(np.median(rnd_full)) if rnd_full else float("nan")
        out["random_angle_normal_median_deg"] = float(np.median(rnd_normal)) if rnd_normal else float("nan")
    return out


# ---------------------------------------------------------------------------------------------------------
# The page


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Geometry for every setting, the 3-D cloud (no bias) and the rate trials (ONE batched flow call, cached)."""
    t0 = time.perf_counter()
    arrays: dict[str, np.ndarray] = {"n_values": np.array(cfg.n_values)}
    for s in cfg.settings:
        arrays[f"{s}_designs"] = np.array(cfg.designs_for(s))
        for k, v in geometry(cfg, s).items():
            arrays[f"{s}_{k}"] = v
    if "no_bias" in cfg.settings:
        arrays.update(cloud(cfg, arrays["no_bias_points"]))
    t_geo = time.perf_counter() - t0
    if cfg.rate_starts > 0:
        fl = flow(cfg, progress=progress)
        fits = rates(cfg, fl)
        arrays.update({f"rate_{k}": v for k, v in fl.items()})
        arrays.update({f"rate_{k}": v for k, v in fits.items()})
    summary = geometry_summary(cfg, arrays, geometry_s=t_geo, runtime_s=time.perf_counter() - t0)
    summary["captions"] = caption_checks(cfg, arrays)
    summary["glue"] = glue_values(cfg, summary)
    summary["tables"] = tables(cfg, summary)
    return summary, arrays


_SETTING_TEXT = {"no_bias": "no bias", "bias": "with bias"}
_BRANCH_NAME = {"condensed": "condensed", "dead1": "neuron 1 dead", "dead2": "neuron 2 dead"}


def _slash(v: Any) -> str:
    return "/".join(map(str, v))


def _opt(v: Any) -> str:
    return "–" if v is None else str(v)


def _rate_text(summary: dict[str, Any], setting: str, kind: str) -> str:
    if setting not in summary["rates"]:
        return "not run"
    v = summary["rates"][setting][kind]
    if kind == "dead":
        return (
            f"{v['type']}: fitted rate = {v['rate_over_2lambda_min']:.3f} × 2λ_min (median of {v['fitted']} of "
            f"{v['starts']} runs; median rate {v['rate_median']:.1e})"
        )
    return (
        f"{v['type']}: loss ∝ t^{v['loss_exponent']:.2f}, distance ∝ t^{v['distance_exponent']:.2f} (medians of "
        f"{v['fitted']} of {v['starts']} runs)"
    )


def glue_values(cfg: Config, summary: dict[str, Any]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (plain int, float, str): model ranks, separation
    sizes (measured, second-order test, expected by our counting), Morse–Bott verdicts, rates, the caption checks
    and the compute times; "not run" for a setting or design the configuration leaves out."""
    n_last = str(cfg.n_values[-1])
    rk, sep, sep2 = summary["model_rank"], summary["separation_n"], summary["separation_n_second_order"]
    out: dict[str, Any] = {}
    for s in SETTINGS:
        run_s = s in cfg.settings
        for b in BRANCHES:
            out[f"rank_{s}_{b}"] = _slash(rk[s][b]) if run_s else "not run"
            for d in GEO_DESIGNS:
                ok = run_s and d in cfg.designs_for(s)
                out[f"sep_{s}_{d}_{b}"] = _opt(sep[s][d][b]) if ok else "not run"
                out[f"exp_{s}_{d}_{b}"] = str(expected_separation(s, d, b))
                out[f"so_{s}_{d}_{b}"] = _opt(sep2[s][d][b]) if ok else "not run"
        if run_s:
            r0 = {r["branch"]: r for r in summary["rows"][s]}
            d0 = cfg.designs_for(s)[0]
            out[f"mb_{s}"] = ", ".join(
                f"{_BRANCH_NAME[b]} {'yes' if r0[b]['morse_bott'][d0][n_last] else 'no'} "
                f"({_slash(r0[b]['zero_eigenvalues'][d0][n_last])} zero eigenvalues vs dimension "
                f"{_slash(r0[b]['interpolating_dimension'][d0][n_last])})"
                for b in BRANCHES
            )
        else:
            out[f"mb_{s}"] = "not run"
        for kind in ("dead", "condensed"):
            out[f"rate_{s}_{kind}"] = _rate_text(summary, s, kind)
    out |= {
        "n_last": n_last,
        "rate_n": int(cfg.rate_n),
        "rate_design": str(cfg.rate_design),
        "rate_eps": float(cfg.rate_eps),
        "rate_t_max": float(cfg.rate_t_max),
        "geometry_s": float(summary["geometry_s"]),
        "runtime_s": float(summary["runtime_s"]),
        "rate_compute_s": float(summary["rate_compute_s"])
        if summary["rate_compute_s"] is not None
        else float("nan"),
        "points_per_branch": int(cfg.points_per_branch),
        "first_design": str(cfg.designs[0]),
        "branch_table_n": n_last,
        "sep_first_condensed": _opt(sep["no_bias"][cfg.designs[0]]["condensed"])
        if "no_bias" in cfg.settings
        else "not run",
    }
    cap = summary.get("captions", {})

    def fmt(v: Any) -> str:
        return "(" + ", ".join(f"{x:.4f}" for x in v) + ")"

    for k in ("Q1_Q2", "Q1_Q3"):
        out[f"cap_meas_{k}"] = fmt(cap[f"measured_{k}"]) if f"measured_{k}" in cap else "not measured"
        out[f"cap_err_{k}"] = float(cap.get(f"error_{k}", float("nan")))
        out[f"cap_stated_{k}"] = fmt(cap[f"stated_{k}"])
    cd = cap.get("closure_dim", {})
    cr = cap.get("closure_residual", {})
    pts = cap.get("closure_points", {})
    runs = cap.get("approach_runs", {})
    out |= {
        "cap_dims": " / ".join(str(cd.get(b, "–")) for b in ("Q1", "Q2", "Q3")),
        "cap_res": " / ".join(f"{cr[b]:.0e}" if b in cr else "–" for b in ("Q1", "Q2", "Q3")),
        "cap_npts": " / ".join(str(pts.get(b, 0)) for b in ("Q1", "Q2", "Q3")),
        "cap_other": int(pts.get("other", 0)),
        "cap_n": cap.get("closure_n", "–"),
        "cap_runs_q1": int(runs.get("Q1", 0)),
        "cap_runs_dead": int(runs.get("dead", 0)),
        "cap_ang_q1": float(cap.get("approach_angle_Q1_max_deg", float("nan"))),
        "cap_ang_dead": float(cap.get("approach_angle_dead_min_deg", float("nan"))),
        "cap_rand": float(cap.get("random_angle_median_deg", float("nan"))),
        "cap_rand_normal": float(cap.get("random_angle_normal_median_deg", float("nan"))),
        "cap_kdim": "/".join(sorted(set(map(str, cap.get("ker_hess_dim_Q1", []))))) or "–",
        "cap_dist": float(max(cap.get("approach_distance_Q1", [float("nan")]))),
    }
    if not isinstance(out["cap_n"], str):
        out["cap_n"] = int(out["cap_n"])
    return out


def tables(cfg: Config, summary: dict[str, Any]) -> dict[str, dict[str, list]]:
    """The page's tables: ``branch_table`` (one row per setting and branch) and ``per_n_no_bias`` /
    ``per_n_bias`` (zero eigenvalues / local dimension / verdict per n and design; one "(not run)" cell for a
    setting the configuration leaves out)."""
    n_last = str(cfg.n_values[-1])
    headers = [
        "setting",
        "branch",
        "$P$",
        "dim",
        "model rank",
        f"zero eigenvalues ($n={n_last}$)",
        f"Morse–Bott ($n={n_last}$)",
        "$P-\\dim$",
        "separation $n$ (design)",
        "second-order test",
    ]
    rows = []
    for s in cfg.settings:
        ds = cfg.designs_for(s)
        for r in summary["rows"][s]:
            rows.append(
                [
                    _SETTING_TEXT[s],
                    _BRANCH_NAME[r["branch"]],
                    f"{r['parameters']}",
                    f"{r['branch_dimension']}",
                    _slash(r["model_rank"]),
                    _slash(r["zero_eigenvalues"][ds[0]][n_last]),
                    "yes" if r["morse_bott"][ds[0]][n_last] else "no",
                    f"{r['counting_bound']}",
                    ", ".join(f"**{_opt(r['separation_n'][d])}** ({d})" for d in ds),
                    ", ".join(f"{_opt(r['separation_n_second_order'][d])} ({d})" for d in ds),
                ]
            )
    out = {"branch_table": {"headers": headers, "rows": rows}}
    for s in SETTINGS:
        if s not in cfg.settings:
            out[f"per_n_{s}"] = {"headers": ["(not run)"], "rows": []}
            continue
        ds = cfg.designs_for(s)
        per = []
        for n in (str(v) for v in cfg.n_values):
            cells = [
                f"{_slash(r['zero_eigenvalues'][d][n])} / {_slash(r['interpolating_dimension'][d][n])} / "
                + ("**separated**" if r["separated"][d][n] else "not separated")
                for r in summary["rows"][s]
                for d in ds
            ]
            per.append([n, *cells])
        out[f"per_n_{s}"] = {
            "headers": ["$n$"] + [f"{_BRANCH_NAME[b]}, {d}" for b in BRANCHES for d in ds],
            "rows": per,
        }
    return out


def _sets(x: np.ndarray) -> list[int]:
    return sorted({int(v) for v in np.asarray(x).ravel()})


def branch_rows(cfg: Config, arrays: dict[str, np.ndarray], setting: str) -> list[dict[str, Any]]:
    """One row per branch of one setting: ranks, and per design and n the zero eigenvalues, local dimension,
    separated (projection and second-order), Morse–Bott; the separation sample sizes."""
    ns = list(cfg.n_values)
    br = arrays[f"{setting}_branch"]
    rows = []
    for b in BRANCHES:
        sel = br == b
        row: dict[str, Any] = {
            "branch": b,
            "description": BRANCH_TEXT[b],
            "parameters": parameter_count(setting),
            "branch_dimension": branch_dimension(setting, b),
            "counting_bound": counting_bound(setting, b),
            "model_rank": _sets(arrays[f"{setting}_model_rank"][sel]),
            "training_jacobian_rank": {},
            "zero_eigenvalues": {},
            "interpolating_dimension": {},
            "separated": {},
            "separated_second_order": {},
            "morse_bott": {},
            "separation_n": {},
            "separation_n_second_order": {},
            "unconverged": {},
        }
        for gi, design in enumerate(cfg.designs_for(setting)):
            g = lambda key: arrays[f"{setting}_{key}"][gi][:, sel]  # noqa: E731, B023  (N, points)
            row["training_jacobian_rank"][design] = {n: _sets(g("rank_train")[i]) for i, n in enumerate(ns)}
            row["zero_eigenvalues"][design] = {n: _sets(g("zero")[i]) for i, n in enumerate(ns)}
            row["interpolating_dimension"][design] = {n: _sets(g("dim")[i]) for i, n in enumerate(ns)}
            row["separated"][design] = {n: bool(g("separated")[i].all()) for i, n in enumerate(ns)}
            row["separated_second_order"][design] = {
                n: bool(g("so_separated")[i].all()) for i, n in enumerate(ns)
            }
            row["morse_bott"][design] = {n: bool(g("morse_bott")[i].all()) for i, n in enumerate(ns)}
            row["unconverged"][design] = int(g("unconverged").sum())
            row["separation_n"][design] = holds_from(ns, g("separated").all(axis=1))
            row["separation_n_second_order"][design] = holds_from(ns, g("so_separated").all(axis=1))
        rows.append(row)
    return rows


def expected_separation(setting: str, design: str, branch: str) -> int:
    """Our prediction: the counting bound P − dim(branch); without bias on the symmetric ``even`` grid only ⌊n/2⌋
    samples count (every network function is odd), so the bound applies to ⌊n/2⌋: n = 2·bound."""
    b = counting_bound(setting, branch)
    return 2 * b if (setting == "no_bias" and design == "even") else b


def geometry_summary(
    cfg: Config, arrays: dict[str, np.ndarray], *, geometry_s: float, runtime_s: float
) -> dict[str, Any]:
    """The JSON-able ``result.json``."""

    def js(x: Any) -> Any:  # int keys (n) -> str for JSON
        if isinstance(x, dict):
            return {str(k): js(v) for k, v in x.items()}
        if isinstance(x, list):
            return [js(v) for v in x]
        return x

    rows = {s: js(branch_rows(cfg, arrays, s)) for s in cfg.settings}
    verdicts = (
        {
            s: rate_verdicts(
                {k[5:]: v for k, v in arrays.items() if k.startswith("rate_")},
                {k[5:]: v for k, v in arrays.items() if k.startswith("rate_")},
                s,
            )
            for s in cfg.settings
        }
        if cfg.rate_starts > 0
        else {}
    )
    ranks = {s: {r["branch"]: r["model_rank"] for r in rows[s]} for s in cfg.settings}
    sep = {
        s: {d: {r["branch"]: r["separation_n"][d] for r in rows[s]} for d in cfg.designs_for(s)}
        for s in cfg.settings
    }
    sep2 = {
        s: {d: {r["branch"]: r["separation_n_second_order"][d] for r in rows[s]} for d in cfg.designs_for(s)}
        for s in cfg.settings
    }
    exp = {
        s: {d: {b: expected_separation(s, d, b) for b in BRANCHES} for d in cfg.designs_for(s)}
        for s in cfg.settings
    }
    mb_at = {
        s: {r["branch"]: r["morse_bott"][cfg.designs_for(s)[0]].get(str(cfg.n_values[-1])) for r in rows[s]}
        for s in cfg.settings
    }
    head = []
    for s in cfg.settings:
        head.append(
            f"{s}: model rank condensed/dead1/dead2 = {'/'.join(str(ranks[s][b]) for b in BRANCHES)}; "
            f"separation n ({cfg.designs_for(s)[0]}) = "
            f"{'/'.join(str(sep[s][cfg.designs_for(s)[0]][b]) for b in BRANCHES)}; "
            f"Morse-Bott at n={cfg.n_values[-1]}: "
            + "/".join("yes" if mb_at[s][b] else "no" for b in BRANCHES)
        )
        if s in verdicts:
            v = verdicts[s]
            head.append(
                f"{s} rates (n={cfg.rate_n}): dead {v['dead']['type']} (rate/2lambda_min "
                f"{v['dead']['rate_over_2lambda_min']:.3f}), condensed {v['condensed']['type']} (loss ~ "
                f"t^{v['condensed']['loss_exponent']:.2f}, distance ~ t^{v['condensed']['distance_exponent']:.2f})"
            )
    return {
        "figure": "geometry",
        "paper": "arXiv:2309.00508 (geometry and local recovery of global minima), as summarized in SCIENCE.md",
        "paper_reported": PAPER_CAPTIONS,
        "derived": PAPER_GEOMETRY,
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "separated_definition": "the local dimension of the interpolating set near every sampled point of the branch "
        "(projection estimate) equals the branch's dimension",
        "rows": rows,
        "model_rank": ranks,
        "separation_n": sep,
        "separation_n_second_order": sep2,
        "expected_separation_n": exp,
        "rates": verdicts,
        "rate_compute_s": float(arrays["rate_wall_time"]) if "rate_wall_time" in arrays else None,
        "geometry_s": geometry_s,
        "runtime_s": runtime_s,
        "headline": head,
    }


PAPER_SIZE: dict[str, Any] = {
    "points_per_branch": 5,
    "dim_samples": 24,
    "dim_nearby": 5,
    "designs": ["positive", "even", "gaussian"],
    "rate_starts": 4,
    "rate_t_max": 1e7,
    "condensed_time_window": [1e5, 1e7],
}
QUICK_SIZE: dict[str, Any] = {
    "n_values": [2, 3, 5],
    "designs": ["positive"],
    "points_per_branch": 1,
    "cloud_samples": 10,
    "rate_starts": 1,
    "rate_t_max": 1e5,
    "condensed_time_window": [1e3, 1e5],
    "rate_rtol": 1e-6,
}
