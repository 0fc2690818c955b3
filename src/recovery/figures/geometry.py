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
  nearby points onto it (:func:`recovery.figures.hessian.minimum_set_dimensions`);
* *separated* at n (ours, as on the Table 1 page): that local dimension equals the branch's own dimension, i.e. near
  the branch every interpolant is on the branch; the *separation sample size* of a branch is the smallest n from
  which on it is separated at every sampled point (:func:`recovery.figures.table1.separation_size`). The second-order
  test of Table 1 (:func:`recovery.figures.table1.second_order_separation`) is reported as a cross-check;
* Morse–Bott at n (:func:`recovery.figures.hessian.is_morse_bott`): local dimension = number of zero eigenvalues.

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
2λ_min of the Hessian at the end point (:func:`recovery.figures.hessian.fit_exponential_rate`, ``fit_power_law``).
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
)
from ..core.data import sample_inputs
from ..core.dynamics import FlowConfig, gradient_flow, single_thread
from ..core.models import Data, get_activation
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
from . import hessian
from .table1 import second_order_separation, separation_size

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

# SCIENCE.md, "Related seeds" (research notes; the paper's text itself was not available to us)
PAPER_GEOMETRY = {
    "source": "SCIENCE.md 'Related seeds' (arXiv:2309.00508 as summarized there; the paper's text was not available)",
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

    settings: tuple[str, ...] = ("no_bias", "bias")
    target_a: float = 1.0
    target_w: float = 1.0
    target_b: float = 1.0
    n_values: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    designs: tuple[str, ...] = ("positive", "even")
    bias_design: str = "even"
    data_seed: int = 0
    half_width: float = 2.0
    points_per_branch: int = 3
    point_seed: int = 0
    zero_rtol: float = 1e-8
    dim_samples: int = 16
    dim_nearby: int = 3
    so_starts: int = 6
    cloud_samples: int = 40
    cloud_radius: float = 0.4
    rate_n: int = 6
    rate_design: str = "even"
    rate_starts: int = 2
    rate_eps: float = 0.15
    rate_t_max: float = 1e8
    rate_rtol: float = 1e-8
    rate_cpd: int = 20
    dead_loss_window: tuple[float, float] = (1e-16, 1e-10)
    condensed_time_window: tuple[float, float] = (1e6, 1e8)

    def __post_init__(self) -> None:
        checked = {
            "settings": check_choice_list("settings", self.settings, SETTINGS),
            "target_a": check_float("target_a", self.target_a, -10.0, 10.0),
            "target_w": check_float("target_w", self.target_w, -10.0, 10.0),
            "target_b": check_float("target_b", self.target_b, -10.0, 10.0),
            "n_values": check_int_list("n_values", self.n_values, 1, 30, max_len=20),
            "designs": check_choice_list("designs", self.designs, GEO_DESIGNS),
            "bias_design": check_choice("bias_design", self.bias_design, GEO_DESIGNS),
            "data_seed": check_int("data_seed", self.data_seed, 0),
            "half_width": check_float("half_width", self.half_width, 0.0, 10.0, low_open=True),
            "points_per_branch": check_int("points_per_branch", self.points_per_branch, 1, 20),
            "point_seed": check_int("point_seed", self.point_seed, 0),
            "zero_rtol": check_float("zero_rtol", self.zero_rtol, 0.0, 1e-2, low_open=True),
            "dim_samples": check_int("dim_samples", self.dim_samples, 8, 200),
            "dim_nearby": check_int("dim_nearby", self.dim_nearby, 1, 20),
            "so_starts": check_int("so_starts", self.so_starts, 1, 50),
            "cloud_samples": check_int("cloud_samples", self.cloud_samples, 0, 500),
            "cloud_radius": check_float("cloud_radius", self.cloud_radius, 0.0, 2.0, low_open=True),
            "rate_n": check_int("rate_n", self.rate_n, 1, 100),
            "rate_design": check_choice("rate_design", self.rate_design, GEO_DESIGNS),
            "rate_starts": check_int("rate_starts", self.rate_starts, 0, 50),
            "rate_eps": check_float("rate_eps", self.rate_eps, 0.0, 0.5, low_open=True),
            "rate_t_max": check_float("rate_t_max", self.rate_t_max, 1.0, 1e10),
            "rate_rtol": check_float("rate_rtol", self.rate_rtol, 0.0, 1e-3, low_open=True),
            "rate_cpd": check_int("rate_cpd", self.rate_cpd, 2, 200),
            "dead_loss_window": check_window("dead_loss_window", self.dead_loss_window),
            "condensed_time_window": check_window("condensed_time_window", self.condensed_time_window),
        }
        if checked["target_a"] == 0.0:
            raise ParameterError("target_a", self.target_a, "must be nonzero (a zero target has no branches)")
        if checked["target_w"] == 0.0:
            raise ParameterError("target_w", self.target_w, "must be nonzero (a zero slope makes the target constant)")
        if checked["condensed_time_window"][1] > checked["rate_t_max"]:
            raise ParameterError("condensed_time_window", self.condensed_time_window,
                                 f"must end at or before rate_t_max={checked['rate_t_max']:g}")
        for k, v in checked.items():
            object.__setattr__(self, k, v)

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
    :func:`~recovery.figures.hessian.q1_point` and :func:`~recovery.figures.hessian.q2_point`: condensed with
    a₁ ~ U(−0.5, 1.5)·a* at least 0.1·|a*| from the crossings a₁ ∈ {0, a*}; dead with w ~ N(0, I), ‖w‖ ≥ 0.3 and
    ‖w ∓ w*‖ ≥ 0.3 (away from the crossings with the w = 0 line and with the condensed branch)."""
    rng = np.random.default_rng(seed)
    target = np.asarray(target, float)
    a_star, w_star = target[0], target[1:]
    out: list[tuple[str, torch.Tensor]] = []
    while len(out) < per_branch:
        a1 = rng.uniform(-0.5, 1.5) * a_star
        if min(abs(a1), abs(a1 - a_star)) >= 0.1 * abs(a_star):
            out.append(("condensed", hessian.q1_point(a1, target)))
    for dead, name in ((0, "dead1"), (1, "dead2")):
        k = 0
        while k < per_branch:
            w = rng.standard_normal(len(w_star))
            if np.linalg.norm(w) >= 0.3 and min(np.linalg.norm(w - w_star), np.linalg.norm(w + w_star)) >= 0.3:
                out.append((name, hessian.q2_point(w, target, dead)))
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
    out = {k: np.zeros((G, N, Pn), dtype=int) for k in ("zero", "rank_train", "dim", "span", "unconverged",
                                                        "so_leaving", "so_constraints")}
    out["so_margin"] = np.full((G, N, Pn), np.nan)
    out["so_separated"] = np.zeros((G, N, Pn), dtype=bool)
    out["lambda_min"] = np.full((G, N, Pn), np.nan)
    with single_thread():  # 400 x P SVDs: threads only add contention
        model_rank = np.array([jacobian_rank(p, act, dim=d, bias=setting == "bias") for _, p in pts])
    sets = {(gi, ni): training_data(cfg, setting, design, n) for gi, design in enumerate(designs)
            for ni, n in enumerate(cfg.n_values)}
    for (gi, ni), data in sets.items():
        X = data.X[0]
        for pi, (b, p) in enumerate(pts):
            ev = hessian_spectrum_at(p, data, act)
            out["zero"][gi, ni, pi] = zero_eigenvalue_count(ev, cfg.zero_rtol)
            out["lambda_min"][gi, ni, pi] = hessian.smallest_nonzero_eigenvalue(ev, cfg.zero_rtol)
            out["rank_train"][gi, ni, pi] = hessian.training_jacobian_rank(p, data, act, cfg.zero_rtol)
            so = second_order_separation(SO_NAME[b], p, X, act, zero_rtol=cfg.zero_rtol, starts=cfg.so_starts)
            out["so_leaving"][gi, ni, pi], out["so_constraints"][gi, ni, pi] = so.leaving, so.constraints
            out["so_margin"][gi, ni, pi], out["so_separated"][gi, ni, pi] = so.margin, so.separated
    keys = list(np.ndindex(G, N, Pn))
    thetas = torch.stack([pts[pi][1] for _, _, pi in keys])
    data_all = _rows([sets[(gi, ni)] for gi, ni, _ in keys])
    dims = hessian.minimum_set_dimensions(thetas, data_all, act, samples=cfg.dim_samples, nearby=cfg.dim_nearby,
                                          seed=cfg.point_seed)
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
    the zero-loss set by Levenberg–Marquardt (:func:`recovery.figures.hessian.project_to_minima`), all in one batch.
    Returns ``cloud: (N, Pn, S, 2, 2)`` and ``cloud_ok: (N, Pn, S)`` (projection converged)."""
    act = get_activation("tanh")
    N, Pn, S = len(cfg.n_values), pts.shape[0], cfg.cloud_samples
    if S == 0:
        return {"cloud": np.zeros((N, Pn, 0, 2, 2)), "cloud_ok": np.zeros((N, Pn, 0), dtype=bool)}
    g = torch.Generator().manual_seed(cfg.point_seed + 1)
    xi = torch.randn(N, Pn, S, 4, generator=g, dtype=torch.float64)
    xi = xi / torch.linalg.vector_norm(xi, dim=-1, keepdim=True)
    start = torch.as_tensor(pts).reshape(1, Pn, 1, 4) + cfg.cloud_radius * xi
    data = _rows([training_data(cfg, "no_bias", cfg.designs[0], n) for n in cfg.n_values for _ in range(Pn * S)])
    proj, res = hessian.project_to_minima(start.reshape(-1, 2, 2), data, act, tol=1e-10, max_iter=300)
    return {"cloud": proj.reshape(N, Pn, S, 2, 2).numpy(), "cloud_ok": (res < 1e-10).reshape(N, Pn, S).numpy()}


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
    keys = ("settings", "target_a", "target_w", "target_b", "half_width", "data_seed", "points_per_branch",
            "point_seed", "rate_n", "rate_design", "rate_starts", "rate_eps", "rate_t_max", "rate_rtol", "rate_cpd")
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
    res = gradient_flow(theta0, data, get_activation("tanh"), fc, progress=progress,
                        desc=f"gradient flow ({theta0.shape[0]} trials)")
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
    out = {k: np.full(R, np.nan) for k in ("dead_rate", "dead_lambda_min", "condensed_loss_exponent",
                                           "condensed_distance_exponent")}
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
            out["dead_rate"][i] = hessian.fit_exponential_rate(t[end], L[end], cfg.dead_loss_window)[0]
            th = torch.as_tensor(fl["final_theta"][i])
            th = th[:, :2] if s == "no_bias" else th
            data = training_data(cfg, s, cfg.rate_design, cfg.rate_n)
            ev = hessian_spectrum_at(th, data, act)
            out["dead_lambda_min"][i] = hessian.smallest_nonzero_eigenvalue(ev, cfg.zero_rtol)
        elif out["label"][i] == Q1:
            w = cfg.condensed_time_window
            out["condensed_loss_exponent"][i] = hessian.fit_power_law(t[end], L[end], w)[0]
            out["condensed_distance_exponent"][i] = hessian.fit_power_law(t[end], out["dist_condensed"][i][end], w)[0]
    out["dead_ratio"] = out["dead_rate"] / (2 * out["dead_lambda_min"])
    return out


def _median(x: np.ndarray) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def rate_verdicts(fl: dict[str, np.ndarray], fits: dict[str, np.ndarray], setting: str) -> dict[str, Any]:
    """Convergence type per branch kind (our rule, as on the Table 1 page): dead *linear* if the median fitted
    exponential rate is within 5 % of 2λ_min; condensed *sublinear* if the median loss exponent lies in (−3, −1)."""
    sel = fl["setting"] == setting
    started_dead = sel & (fl["branch"] != "condensed")
    started_cond = sel & (fl["branch"] == "condensed")
    ratio = fits["dead_ratio"][sel]
    le = fits["condensed_loss_exponent"][sel]
    de = fits["condensed_distance_exponent"][sel]
    rm, lm = _median(ratio), _median(le)
    return {
        "dead": {"starts": int(started_dead.sum()), "ended_dead": int((started_dead & (fits["label"] == Q2)).sum()),
                 "fitted": int(np.isfinite(ratio).sum()), "rate_over_2lambda_min": rm,
                 "rate_median": _median(fits["dead_rate"][sel]),
                 "type": "linear" if math.isfinite(rm) and abs(rm - 1) < 0.05 else "undetermined"},
        "condensed": {"starts": int(started_cond.sum()),
                      "ended_condensed": int((started_cond & (fits["label"] == Q1)).sum()),
                      "fitted": int(np.isfinite(le).sum()), "loss_exponent": lm, "distance_exponent": _median(de),
                      "type": "sublinear" if math.isfinite(lm) and -3 < lm < -1 else "undetermined"},
    }


# ---------------------------------------------------------------------------------------------------------
# The page


def run(cfg: Config, *, progress: bool = True, scheduler: str | None = None,
        device: str = "cpu") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
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
    return summary, arrays


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
            "branch": b, "description": BRANCH_TEXT[b], "parameters": parameter_count(setting),
            "branch_dimension": branch_dimension(setting, b), "counting_bound": counting_bound(setting, b),
            "model_rank": _sets(arrays[f"{setting}_model_rank"][sel]),
            "training_jacobian_rank": {}, "zero_eigenvalues": {}, "interpolating_dimension": {}, "separated": {},
            "separated_second_order": {}, "morse_bott": {}, "separation_n": {}, "separation_n_second_order": {},
            "unconverged": {},
        }
        for gi, design in enumerate(cfg.designs_for(setting)):
            g = lambda key: arrays[f"{setting}_{key}"][gi][:, sel]  # noqa: E731  (N, points)
            row["training_jacobian_rank"][design] = {n: _sets(g("rank_train")[i]) for i, n in enumerate(ns)}
            row["zero_eigenvalues"][design] = {n: _sets(g("zero")[i]) for i, n in enumerate(ns)}
            row["interpolating_dimension"][design] = {n: _sets(g("dim")[i]) for i, n in enumerate(ns)}
            row["separated"][design] = {n: bool(g("separated")[i].all()) for i, n in enumerate(ns)}
            row["separated_second_order"][design] = {n: bool(g("so_separated")[i].all()) for i, n in enumerate(ns)}
            row["morse_bott"][design] = {n: bool(g("morse_bott")[i].all()) for i, n in enumerate(ns)}
            row["unconverged"][design] = int(g("unconverged").sum())
            row["separation_n"][design] = separation_size(ns, g("separated").all(axis=1))
            row["separation_n_second_order"][design] = separation_size(ns, g("so_separated").all(axis=1))
        rows.append(row)
    return rows


def expected_separation(setting: str, design: str, branch: str) -> int:
    """Our prediction: the counting bound P − dim(branch); without bias on the symmetric ``even`` grid only ⌊n/2⌋
    samples count (every network function is odd), so the bound applies to ⌊n/2⌋: n = 2·bound."""
    b = counting_bound(setting, branch)
    return 2 * b if (setting == "no_bias" and design == "even") else b


def geometry_summary(cfg: Config, arrays: dict[str, np.ndarray], *, geometry_s: float, runtime_s: float
                     ) -> dict[str, Any]:
    """The JSON-able ``result.json``."""

    def js(x: Any) -> Any:  # int keys (n) -> str for JSON
        if isinstance(x, dict):
            return {str(k): js(v) for k, v in x.items()}
        if isinstance(x, list):
            return [js(v) for v in x]
        return x

    rows = {s: js(branch_rows(cfg, arrays, s)) for s in cfg.settings}
    verdicts = ({s: rate_verdicts({k[5:]: v for k, v in arrays.items() if k.startswith("rate_")},
                                  {k[5:]: v for k, v in arrays.items() if k.startswith("rate_")}, s)
                 for s in cfg.settings} if cfg.rate_starts > 0 else {})
    ranks = {s: {r["branch"]: r["model_rank"] for r in rows[s]} for s in cfg.settings}
    sep = {s: {d: {r["branch"]: r["separation_n"][d] for r in rows[s]} for d in cfg.designs_for(s)}
           for s in cfg.settings}
    sep2 = {s: {d: {r["branch"]: r["separation_n_second_order"][d] for r in rows[s]} for d in cfg.designs_for(s)}
            for s in cfg.settings}
    exp = {s: {d: {b: expected_separation(s, d, b) for b in BRANCHES} for d in cfg.designs_for(s)}
           for s in cfg.settings}
    mb_at = {s: {r["branch"]: r["morse_bott"][cfg.designs_for(s)[0]].get(str(cfg.n_values[-1])) for r in rows[s]}
             for s in cfg.settings}
    head = []
    for s in cfg.settings:
        head.append(f"{s}: model rank condensed/dead1/dead2 = {'/'.join(str(ranks[s][b]) for b in BRANCHES)}; "
                    f"separation n ({cfg.designs_for(s)[0]}) = "
                    f"{'/'.join(str(sep[s][cfg.designs_for(s)[0]][b]) for b in BRANCHES)}; "
                    f"Morse-Bott at n={cfg.n_values[-1]}: "
                    + "/".join('yes' if mb_at[s][b] else 'no' for b in BRANCHES))
        if s in verdicts:
            v = verdicts[s]
            head.append(f"{s} rates (n={cfg.rate_n}): dead {v['dead']['type']} (rate/2lambda_min "
                        f"{v['dead']['rate_over_2lambda_min']:.3f}), condensed {v['condensed']['type']} (loss ~ "
                        f"t^{v['condensed']['loss_exponent']:.2f}, distance ~ t^{v['condensed']['distance_exponent']:.2f})")
    return {
        "figure": "geometry",
        "paper": "arXiv:2309.00508 (geometry and local recovery of global minima), as summarized in SCIENCE.md",
        "paper_reported": PAPER_GEOMETRY,
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


PAPER_SIZE: dict[str, Any] = {"points_per_branch": 5, "dim_samples": 24, "dim_nearby": 5,
                              "designs": ["positive", "even", "gaussian"], "rate_starts": 4, "rate_t_max": 1e7,
                              "condensed_time_window": [1e5, 1e7]}
QUICK_SIZE: dict[str, Any] = {"n_values": [2, 3, 5], "designs": ["positive"], "points_per_branch": 1,
                              "cloud_samples": 10, "rate_starts": 1, "rate_t_max": 1e5,
                              "condensed_time_window": [1e3, 1e5], "rate_rtol": 1e-6}


