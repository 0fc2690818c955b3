"""Related results: benign overfitting of a two-layer ReLU CNN with a trainable output layer (arXiv:2410.19139,
Shang, Meng, Cao, Zou, "Initialization Matters: On the Benign Overfitting of Two-Layer ReLU CNN with Fully
Trainable Layers").

Setting (:mod:`recovery.related.benign`): signal–noise patch data x = (y·μ, ξ), ξ ~ N(0, σ_p²(I − μμᵀ/‖μ‖²)),
f = F₊₁ − F₋₁ with F_j = Σ_r Σ_p v_{j,r,p} ReLU(⟨w_{j,r}, x_p⟩) (the paper's output weight per class, filter and
patch), W(0) ~ N(0, σ₀²), v(0) = v₀ (trainable), logistic
loss, full-batch GD with a small per-trial step (gradient flow to O(step)), stopped at training loss
``loss_target``. The trials run as a few batched tensor programs (the (v₀, 1/‖μ‖) plane; its first panel at half
the learning rate; the Figure-2(b) plane, one program per d), cached on disk together (kind ``benign``, keyed by
the parameters and the code hash).

What is measured:

* Figure 3: the paper's max_i ⟨w_{y_i,r}, ξ_i⟩, max_i v_{y_i,r,2} and their ratio against the flow's time, one
  trial per v₀ (smallest σ₀, largest n and d of the plane, ‖μ‖ nearest ``trajectory_mu``, first seed), with the
  layer ratios ‖v‖/‖W‖_F and |v_r|/‖w_r‖ (large v₀: v stays put while W grows).
* Figure 2(a), (c): the test accuracy (fresh data) over (v₀, 1/‖μ‖); per v₀ the crossing ‖μ‖*(v₀) of the
  accuracy thresholds 0.95 and 0.8 along ‖μ‖ (log-interpolated), and the contour slope d log(1/‖μ‖*)/d log v₀
  (a least-squares line over v₀ ≤ ``small_v0_max``, its largest residual: how straight; and the local slopes).
* Figure 2(b): at v₀ = ``fig2b_v0`` the accuracy over (σ_p⁴d, n‖μ‖⁴); the 0.8 contour's points
  (σ_p⁴d, n‖μ‖*⁴) per (n, d) and their log-log slope (the fixed-output-layer prediction of Kou et al. 2023, a
  boundary at fixed n‖μ‖⁴/(σ_p⁴d), is slope 1, i.e. ‖μ‖* ∝ n^(−1/4) d^(1/4)).
* The step check: the first panel of (a) at half the learning rate, cell by cell.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import ResultCache, code_hash
from ..config import (
    UserConfig,
    ascending,
    check_bool,
    check_float,
    check_float_list,
    check_int,
    check_int_list,
    spec,
)
from ..related.benign import RECORDS, Setting, Trials, conserved_ratio, snr_quantity, train

DESCRIPTION = (
    "Related: benign overfitting of a ReLU CNN with trainable output layer (arXiv:2410.19139): "
    "layer-ratio trajectories and the test-accuracy phase diagram over (v0, 1/|mu|)"
)

PAPER_SIZE: dict[str, Any] = {
    "v0_values": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 5.0),
    "mu_norms": (0.25, 0.35, 0.5, 0.71, 1.0, 1.19, 1.41, 1.68, 2.0, 2.83, 4.0, 5.66),
    "sigma_0_values": (1e-3, 3e-2),
    "seeds": 5,
    "fig2b_n_values": (20, 40, 80),
    "fig2b_d_values": (100, 200, 400, 800),
}
QUICK_SIZE: dict[str, Any] = {
    "v0_values": (1e-4, 1.0),
    "mu_norms": (0.25, 1.0, 8.0),
    "seeds": 1,
    "n_test": 500,
    "fig2b_n_values": (20,),
    "fig2b_d_values": (100,),
    "halving_check": False,
}

PAPER = {
    "source": "arXiv:2410.19139 (abstract and figure captions as listed in SCIENCE.md). The paper's constants and "
    "experimental sizes were not available to us: only qualitative statements are compared.",
    "large_v0": "large output-layer initialization behaves like a fixed output layer: the hidden layer grows, "
    "the output layer stays largely unchanged; benign iff n|mu|^4 >~ sigma_p^4 d",
    "small_v0": "small output-layer initialization: the hidden layer first grows to a specific ratio to the "
    "output layer, then both grow jointly keeping that ratio",
    "figure_2a": "test accuracy over (v0, 1/|mu|), accuracy > 0.95 blue; a phase transition between small and "
    "large v0",
    "figure_2b": "v0 = 5: test accuracy over (sigma_p^4 d, n|mu|^4), accuracy > 0.8 blue, straight contours",
    "figure_2c": "small v0: test accuracy over (v0, 1/|mu|), accuracy > 0.8 blue, straight contours",
    "figure_3": "max_i <w_{y_i,r}, xi_i> / max_i v_{y_i,r,2} keeps growing for large v0, converges for small v0",
    "fixed_output_boundary_exponents": {"n": -0.25, "d": 0.25},
}


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the page (defaults: the book size).

    * The (v₀, 1/‖μ‖) plane (Figure 2(a), (c), and the Figure-3 trajectories): ``v0_values``, output-layer
      initialization scales v₀ (v_{j,r,p}(0) = v₀); ``mu_norms``, signal strengths ‖μ‖ (μ = ‖μ‖e₁), shared with
      the Figure-2(b) plane; ``n_values`` / ``d_values`` / ``sigma_0_values`` (std σ₀ of W(0)): every combination
      is a panel of that plane.
    * The (σ_p⁴d, n‖μ‖⁴) plane of Figure 2(b): ``fig2b_v0`` (the paper's 5), ``fig2b_n_values``,
      ``fig2b_d_values``, at the first σ₀, over ``mu_norms``.
    * ``seeds`` / ``first_seed``: seeds per grid point (data, test set and the direction of W(0)).
    * ``m``: filters per class; ``sigma_p``: noise level; ``n_test``: fresh test samples per seed.
    * ``loss_target``: training stops at this logistic loss (every sample is then fitted); ``lr_factor``: c in
      the step η = c / (bound on the sharpness) (gradient flow as c → 0); ``max_steps``: cap on steps.
    * ``halving_check``: also run the first panel of the (v₀, 1/‖μ‖) plane at half the learning rate (and twice
      the step cap) and compare the accuracies cell by cell.
    * ``trajectory_mu``: the trajectories use the grid ‖μ‖ nearest to this; ``accuracy_threshold``: the contour
      of Figure 2(b), (c) (the paper's 0.8); ``accuracy_threshold_a``: that of Figure 2(a) (the paper's 0.95);
      ``small_v0_max``: the contour slope of Figure 2(c) is fitted over v₀ ≤ this.
    """

    v0_values: tuple[float, ...] = spec(
        (1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 5.0),
        check_float_list,
        0.0,
        high=100.0,
        low_open=True,
        max_len=12,
        distinct=True,
        then=ascending,
    )
    mu_norms: tuple[float, ...] = spec(
        (0.35, 0.5, 0.71, 1.0, 1.41, 2.0, 2.83, 4.0, 5.66),
        check_float_list,
        0.0,
        high=100.0,
        low_open=True,
        max_len=14,
        distinct=True,
        then=ascending,
    )
    n_values: tuple[int, ...] = spec((20,), check_int_list, 2, 400, max_len=4)
    d_values: tuple[int, ...] = spec((100,), check_int_list, 3, 2000, max_len=4)
    sigma_0_values: tuple[float, ...] = spec(
        (1e-3,), check_float_list, 0.0, high=1.0, low_open=True, max_len=4, distinct=True, then=ascending
    )
    fig2b_v0: float = spec(5.0, check_float, 0.0, 100.0, low_open=True)
    fig2b_n_values: tuple[int, ...] = spec((20, 40), check_int_list, 2, 400, max_len=4)
    fig2b_d_values: tuple[int, ...] = spec((100, 200, 400), check_int_list, 3, 2000, max_len=5)
    seeds: int = spec(3, check_int, 1, 20)
    first_seed: int = spec(0, check_int, 0)
    # the shared setting of every trial, with recovery.related.benign.Setting's defaults (one place for them)
    m: int = spec(Setting.m, check_int, 1, 200)
    sigma_p: float = spec(Setting.sigma_p, check_float, 0.0, 100.0, low_open=True)
    n_test: int = spec(Setting.n_test, check_int, 10, 20000)
    loss_target: float = spec(Setting.loss_target, check_float, 0.0, 0.5, low_open=True)
    lr_factor: float = spec(Setting.lr_factor, check_float, 0.0, 1.0, low_open=True)
    max_steps: int = spec(Setting.max_steps, check_int, 1, 100000)
    halving_check: bool = spec(True, check_bool)
    trajectory_mu: float = spec(1.0, check_float, 0.0, 100.0, low_open=True)
    accuracy_threshold: float = spec(0.8, check_float, 0.5, 1.0, low_open=True, high_open=True)
    accuracy_threshold_a: float = spec(0.95, check_float, 0.5, 1.0, low_open=True, high_open=True)
    small_v0_max: float = spec(1e-2, check_float, 0.0, 100.0, low_open=True)

    def setting(self) -> Setting:
        return Setting(
            m=self.m,
            sigma_p=self.sigma_p,
            n_test=self.n_test,
            loss_target=self.loss_target,
            lr_factor=self.lr_factor,
            max_steps=self.max_steps,
        )

    def seed_range(self) -> range:
        return range(self.first_seed, self.first_seed + self.seeds)

    def trials(self) -> Trials:
        """The (v₀, 1/‖μ‖) plane, in the order (σ₀, n, d, v₀, ‖μ‖, seed), the seed fastest."""
        return Trials.product(
            self.v0_values,
            self.mu_norms,
            self.n_values,
            self.d_values,
            self.seed_range(),
            self.sigma_0_values,
        )

    def halving_trials(self) -> Trials:
        """The first panel of the (v₀, 1/‖μ‖) plane at half the learning rate: (v₀, ‖μ‖, seed)."""
        return Trials.product(
            self.v0_values,
            self.mu_norms,
            self.n_values[:1],
            self.d_values[:1],
            self.seed_range(),
            self.sigma_0_values[:1],
            lr_scale=0.5,
        )

    def fig2b_trials(self, d: int) -> Trials:
        """The Figure-2(b) trials of dimension d: (n, ‖μ‖, seed) at v₀ = ``fig2b_v0`` and the first σ₀."""
        return Trials.product(
            [self.fig2b_v0],
            self.mu_norms,
            self.fig2b_n_values,
            [d],
            self.seed_range(),
            self.sigma_0_values[:1],
        )

    def sweep_params(self) -> dict[str, Any]:
        """The parameters the simulation depends on (the cache key; display choices left out)."""
        p = self.params()
        for k in ("trajectory_mu", "accuracy_threshold", "accuracy_threshold_a", "small_v0_max"):
            p.pop(k)
        return p

    def shape(self) -> tuple[int, ...]:
        return (
            len(self.sigma_0_values),
            len(self.n_values),
            len(self.d_values),
            len(self.v0_values),
            len(self.mu_norms),
            self.seeds,
        )

    def fig2b_shape(self) -> tuple[int, ...]:
        """(n, d, ‖μ‖, seed)."""
        return (len(self.fig2b_n_values), len(self.fig2b_d_values), len(self.mu_norms), self.seeds)


_FINAL_KEYS = ("steps", "final_loss", "train_acc", "test_acc", "final_t")


def run_sweep(
    cfg: Config,
    cache: ResultCache | None = None,
    *,
    progress: bool = False,
    device: str | torch.device = "cpu",
) -> dict[str, np.ndarray]:
    """Every trial (or loaded from the cache, kind ``benign``), in a few batched GD programs: the (v₀, 1/‖μ‖)
    plane (every record), its first panel at half the learning rate (``half_*``: final values) and the
    Figure-2(b) plane, one program per dimension d (``b_*``: final values; trials of one d share one padded
    shape, so a small d does not pay for a large one)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("benign", cfg.sweep_params())
    if hit is not None:
        return hit
    t0 = time.perf_counter()
    st = cfg.setting()
    out = train(cfg.trials(), st, device=device, progress=progress)
    if cfg.halving_check:
        half = train(cfg.halving_trials(), st, device=device, progress=progress)
        out.update({f"half_{k}": half[k] for k in _FINAL_KEYS})
    parts = [train(cfg.fig2b_trials(d), st, device=device, progress=progress) for d in cfg.fig2b_d_values]
    for k in _FINAL_KEYS:  # (d, n, mu, seed) -> (n, d, mu, seed)
        arr = np.stack(
            [p[k].reshape(len(cfg.fig2b_n_values), len(cfg.mu_norms), cfg.seeds) for p in parts], 1
        )
        out[f"b_{k}"] = arr
    out["wall_time"] = np.array(time.perf_counter() - t0)
    cache.save("benign", cfg.sweep_params(), out)
    return out


# ---------------------------------------------------------------------------------------------- analysis


def crossing(x: np.ndarray, acc: np.ndarray, threshold: float) -> float:
    """The x (log-interpolated) where ``acc`` first rises through ``threshold`` (x ascending); NaN if it
    never does, x[0] if it starts above."""
    x, acc = np.asarray(x, float), np.asarray(acc, float)
    if acc[0] >= threshold:
        return float(x[0])
    for k in range(len(x) - 1):
        if acc[k] < threshold <= acc[k + 1]:
            lx = np.log10(x[k]) + (threshold - acc[k]) * (np.log10(x[k + 1]) - np.log10(x[k])) / (
                acc[k + 1] - acc[k]
            )
            return float(10**lx)
    return float("nan")


def fit_exponents(n: np.ndarray, d: np.ndarray, mu_star: np.ndarray) -> dict[str, float]:
    """Least squares log10 ‖μ‖* = a·log10 n + b·log10 d + c over the panels with a crossing; a (b) is NaN
    unless at least two distinct n (d) are present."""
    n, d, y = (np.asarray(v, float) for v in (n, d, mu_star))
    ok = np.isfinite(y)
    n, d, y = n[ok], d[ok], np.log10(y[ok])
    cols, names = [np.ones_like(y)], []
    for name, v in (("n", n), ("d", d)):
        if len(np.unique(v)) >= 2:
            cols.append(np.log10(v))
            names.append(name)
    out = {"n": float("nan"), "d": float("nan")}
    if len(y) >= len(cols):
        coef = np.linalg.lstsq(np.stack(cols, 1), y, rcond=None)[0]
        out.update({k: float(c) for k, c in zip(names, coef[1:])})
    return out


def trajectory_index(cfg: Config) -> np.ndarray:
    """Trial index of the trajectory trial of each v₀: smallest σ₀, largest n and d, ‖μ‖ nearest
    ``trajectory_mu``, the first seed. ``(len(v0_values),)``."""
    shape = cfg.shape()
    j = int(np.argmin(np.abs(np.log(np.array(cfg.mu_norms) / cfg.trajectory_mu))))
    return np.array(
        [np.ravel_multi_index((0, shape[1] - 1, shape[2] - 1, i, j, 0), shape) for i in range(shape[3])]
    )


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load) the sweep and measure (a) the trajectories and (b) the phase diagram and its collapse."""
    t0 = time.perf_counter()
    raw = run_sweep(cfg, progress=progress)
    return analyse(cfg, raw, t0=t0)


def loglog_line(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Least-squares line log10 y = slope·log10 x + c through the finite points, with ``max_residual`` (decades)
    the largest distance of a point from it (how straight the contour is) and ``points`` the number used; NaN
    slope below two distinct x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    lx, ly = np.log10(x[ok]), np.log10(y[ok])
    out = {
        "slope": float("nan"),
        "intercept": float("nan"),
        "max_residual": float("nan"),
        "points": int(ok.sum()),
    }
    if len(np.unique(lx)) >= 2:
        slope, c = np.polyfit(lx, ly, 1)
        out.update(
            slope=float(slope), intercept=float(c), max_residual=float(np.abs(ly - slope * lx - c).max())
        )
    return out


def analyse(
    cfg: Config, raw: dict[str, np.ndarray], *, t0: float
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Figure 2 (a)-(c) contours and slopes, the Figure-3 trajectories, the halving check (see the module)."""
    shape = cfg.shape()
    S0, Nn, Nd, V, M, R = shape
    acc = raw["test_acc"].reshape(shape)
    acc_mean = acc.mean(-1)
    interp = (raw["train_acc"] == 1.0) & (raw["final_loss"] <= cfg.loss_target)
    mus = np.array(cfg.mu_norms)
    v0s = np.array(cfg.v0_values)
    thr, thr_a = cfg.accuracy_threshold, cfg.accuracy_threshold_a
    # Figure 2(a), (c): first panel, the crossing |mu|*(v0) of each threshold along |mu|
    plane = acc_mean[0, 0, 0]  # (V, M)
    mu_star_a = np.array([crossing(mus, plane[i], thr_a) for i in range(V)])
    mu_star_c = np.array([crossing(mus, plane[i], thr) for i in range(V)])
    small = v0s <= cfg.small_v0_max
    fit_c = loglog_line(v0s[small], 1.0 / mu_star_c[small])
    fit_c_all = loglog_line(v0s, 1.0 / mu_star_c)
    fit_a_all = loglog_line(v0s, 1.0 / mu_star_a)
    fit_a_small = loglog_line(v0s[small], 1.0 / mu_star_a[small])
    with np.errstate(invalid="ignore", divide="ignore"):
        local_c = np.diff(np.log10(1.0 / mu_star_c)) / np.diff(np.log10(v0s))
    shift_c = float(np.log10(mu_star_c[0] / mu_star_c[-1])) if V >= 2 else float("nan")
    tilted = np.flatnonzero(np.abs(np.nan_to_num(local_c)) > 0.05)  # the v0 band over which the contour moves
    band = (
        (float(v0s[tilted[0]]), float(v0s[tilted[-1] + 1])) if len(tilted) else (float("nan"), float("nan"))
    )
    # Figure 2(b): v0 = fig2b_v0 over (sigma_p^4 d, n|mu|^4); the contour of thr
    bn, bd = np.array(cfg.fig2b_n_values), np.array(cfg.fig2b_d_values)
    b_acc = raw["b_test_acc"]  # (n, d, mu, seed)
    b_mean = b_acc.mean(-1)
    sizes = [(int(n), int(d)) for n in bn for d in bd]
    b_curves = b_mean.reshape(len(sizes), M)
    X = np.array([snr_quantity(mus, n, d, cfg.sigma_p) for n, d in sizes])
    mu_star = np.array([crossing(mus, c, thr) for c in b_curves])
    X_star = np.array([snr_quantity(m_, n, d, cfg.sigma_p) for m_, (n, d) in zip(mu_star, sizes)])
    b_x = np.array([cfg.sigma_p**4 * d for _, d in sizes])
    b_y = np.array([n * m_**4 for m_, (n, _) in zip(mu_star, sizes)])
    fit_b = loglog_line(b_x, b_y)
    expo = fit_exponents(np.array([s_[0] for s_ in sizes]), np.array([s_[1] for s_ in sizes]), mu_star)
    hi, lo = X >= 10.0, X <= 0.01
    acc_high_X = float(b_curves[hi].min()) if hi.any() else float("nan")
    acc_low_X = float(b_curves[lo].max()) if lo.any() else float("nan")
    b_interp = (raw["b_train_acc"] == 1.0) & (raw["b_final_loss"] <= cfg.loss_target)
    # halving the learning rate: the first panel of the (v0, 1/|mu|) plane, cell by cell (mean over seeds)
    if "half_test_acc" in raw:
        half = raw["half_test_acc"].reshape(V, M, R).mean(-1)
        dacc = np.abs(half - plane)
        halving = {
            "max_change": float(dacc.max()),
            "fraction_changed": float((dacc > 0.05).mean()),
            "cells": int(dacc.size),
            "contour_shift_decades": float(
                np.nanmax(
                    np.abs(np.log10(np.array([crossing(mus, half[i], thr) for i in range(V)]) / mu_star_c))
                )
            )
            if np.isfinite(mu_star_c).any()
            else float("nan"),
            "all_interpolate": bool(
                ((raw["half_train_acc"] == 1.0) & (raw["half_final_loss"] <= cfg.loss_target)).all()
            ),
            "steps_max": int(raw["half_steps"].max()),
        }
    else:
        half = np.full((V, M), np.nan)
        halving = {
            "max_change": float("nan"),
            "fraction_changed": float("nan"),
            "cells": 0,
            "contour_shift_decades": float("nan"),
            "all_interpolate": True,
            "steps_max": 0,
        }
    # v0 dependence of the accuracy, per sigma_0
    v0_effect = [
        float(np.abs(acc_mean[s_, :, :, -1, :] - acc_mean[s_, :, :, 0, :]).max()) for s_ in range(S0)
    ]
    # Figure 3 trajectories
    ti = trajectory_index(cfg)
    K = raw["t"].shape[0]
    traj = {k: raw[k][:, ti].T for k in RECORDS}
    steps = raw["steps"][ti]
    e = int(steps[0])
    rm = traj["ratio_med"][0, : e + 1]
    wn = traj["W_norm"][0, : e + 1]
    growth = wn >= 10.0 * wn[0]  # the joint-growth phase: |W| at least 10x its initial value
    ratio_settled = float(rm[-1])
    ratio_spread = float(np.max(np.abs(rm[growth] / rm[-1] - 1))) if growth.any() else float("nan")
    w_end = raw["w_norms"][ti[0]]
    pred = conserved_ratio(np.sqrt(2) * cfg.v0_values[0], raw["w0_norms"][ti[0]], w_end)
    meas = np.linalg.norm(raw["v"][ti[0]], axis=-1) / w_end  # |v_r| = |(v_r1, v_r2)|
    pr_growth = []
    for i in range(V):
        e_i = int(steps[i])
        tt, rr = traj["t"][i, : e_i + 1], traj["paper_ratio"][i, : e_i + 1]
        k = int(np.searchsorted(tt, tt[-1] / 10)) if tt[-1] > 0 else 0
        pr_growth.append(float(rr[-1] / rr[min(k, e_i)]) if np.isfinite(rr[-1]) else float("nan"))
    v_change_large = float(traj["v_change"][-1, int(steps[-1])])
    W_growth_large = float(traj["W_norm"][-1, int(steps[-1])] / traj["W_norm"][-1, 0])
    arrays: dict[str, np.ndarray] = {
        "test_acc": acc,
        "acc_mean": acc_mean,
        "train_acc": raw["train_acc"].reshape(shape),
        "final_loss": raw["final_loss"].reshape(shape),
        "steps": raw["steps"].reshape(shape),
        "final_t": raw["final_t"].reshape(shape),
        "v0_values": v0s,
        "mu_norms": mus,
        "n_values": np.array(cfg.n_values),
        "d_values": np.array(cfg.d_values),
        "sigma_0_values": np.array(cfg.sigma_0_values),
        "mu_star_a": mu_star_a,
        "mu_star_c": mu_star_c,
        "half_acc_mean": half,
        "b_test_acc": b_acc,
        "b_acc_mean": b_mean,
        "b_n_values": bn,
        "b_d_values": bd,
        "collapse_X": X,
        "collapse_acc_large": b_curves,
        "collapse_n": np.array([s_[0] for s_ in sizes]),
        "collapse_d": np.array([s_[1] for s_ in sizes]),
        "mu_star": mu_star,
        "X_star": X_star,
        "b_x_star": b_x,
        "b_y_star": b_y,
        "traj_index": ti,
        "traj_steps": steps,
        **{f"traj_{k}": v for k, v in traj.items()},
        "final_ratio_med": raw["ratio_med"][-1].reshape(shape),
        "final_v_change": raw["v_change"][-1].reshape(shape),
        "max_drift": raw["drift"].max(0).reshape(shape),
    }
    nan_list = lambda a_: [float(x) for x in a_]  # noqa: E731
    summary = {
        "figure": "benign_overfitting",
        "paper": "arXiv:2410.19139 (Shang, Meng, Cao, Zou), fixed-output baseline Kou et al. 2023",
        "paper_reported": PAPER,
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "trials": int(np.prod(shape))
        + int(np.prod(cfg.fig2b_shape()))
        + (V * M * R if cfg.halving_check else 0),
        "gd_steps_max": int(max(raw["steps"].max(), raw["b_steps"].max(), halving["steps_max"])),
        "steps_recorded": int(K),
        "fraction_interpolating": float(np.concatenate([interp.ravel(), b_interp.ravel()]).mean()),
        "all_reached_loss_target": bool(
            (raw["final_loss"] <= cfg.loss_target).all() and (raw["b_final_loss"] <= cfg.loss_target).all()
        ),
        "trajectory_mu": float(mus[int(np.argmin(np.abs(np.log(mus / cfg.trajectory_mu))))]),
        "small_v0_final_ratio": ratio_settled,
        "small_v0_ratio_spread_in_growth": ratio_spread,
        "small_v0_ratio_conservation_law": float(np.nanmedian(pred)),
        "small_v0_ratio_vs_law_max_abs": float(np.nanmax(np.abs(meas - pred))),
        "large_v0_v_change": v_change_large,
        "large_v0_W_growth": W_growth_large,
        "paper_ratio_final_by_v0": [float(traj["paper_ratio"][i, int(steps[i])]) for i in range(V)],
        "paper_ratio_growth_last_decade_by_v0": pr_growth,
        "noise_inner_final_by_v0": [float(traj["noise_inner"][i, int(steps[i])]) for i in range(V)],
        "v_noise_final_by_v0": [float(traj["v_noise"][i, int(steps[i])]) for i in range(V)],
        "final_ratio_med_smallest_v0_all": float(np.median(raw["ratio_med"][-1].reshape(shape)[0, :, :, 0])),
        "max_conservation_drift": float(raw["drift"].max()),
        # Figure 2(a), (c)
        "fig2_mu_star_a_by_v0": nan_list(mu_star_a),
        "fig2_mu_star_c_by_v0": nan_list(mu_star_c),
        "fig2a_slope_all": fit_a_all["slope"],
        "fig2a_max_residual_all": fit_a_all["max_residual"],
        "fig2a_slope_small": fit_a_small["slope"],
        "fig2c_slope_small": fit_c["slope"],
        "fig2c_max_residual_small": fit_c["max_residual"],
        "fig2c_points_small": fit_c["points"],
        "fig2c_slope_all": fit_c_all["slope"],
        "fig2c_max_residual_all": fit_c_all["max_residual"],
        "fig2c_local_slopes": nan_list(local_c),
        "fig2c_shift_decades": shift_c,
        "fig2c_band_v0": list(band),
        # Figure 2(b)
        "sizes": [list(s_) for s_ in sizes],
        "mu_star_fig2b": nan_list(mu_star),
        "X_star_fig2b": nan_list(X_star),
        "fig2b_slope": fit_b["slope"],
        "fig2b_max_residual": fit_b["max_residual"],
        "fig2b_points": fit_b["points"],
        "exponent_n": expo["n"],
        "exponent_d": expo["d"],
        "spread_log10_X_star_over_4": float((np.nanmax(np.log10(X_star)) - np.nanmin(np.log10(X_star))) / 4)
        if np.isfinite(X_star).any()
        else float("nan"),
        "acc_large_v0_X_ge_10_min": acc_high_X,
        "acc_large_v0_X_le_0.01_max": acc_low_X,
        # halving the learning rate
        "halving_max_change": halving["max_change"],
        "halving_fraction_changed": halving["fraction_changed"],
        "halving_cells": halving["cells"],
        "halving_contour_shift_decades": halving["contour_shift_decades"],
        "halving_all_interpolate": halving["all_interpolate"],
        "v0_effect_max_by_sigma_0": v0_effect,
        "compute_s": float(raw["wall_time"]),
        "runtime_s": time.perf_counter() - t0,
    }
    summary["headline"] = [
        f"{summary['trials']} trials in batched GD programs ({summary['gd_steps_max']} steps at most), "
        f"{100 * summary['fraction_interpolating']:.0f} % fit every training sample; compute {summary['compute_s']:.1f} s",
        f"Fig 2(a): |mu|* at accuracy {thr_a:g} by v0: "
        + ", ".join(f"{m_:.2f}" for m_ in mu_star_a)
        + f"; Fig 2(c): at {thr:g}: "
        + ", ".join(f"{m_:.2f}" for m_ in mu_star_c)
        + f"; slope of log(1/|mu|*) against log v0 for v0 <= {cfg.small_v0_max:g}: {fit_c['slope']:.3f}",
        f"Fig 2(b) (v0={cfg.fig2b_v0:g}): contour {thr:g} in (sigma_p^4 d, n|mu|^4) has log-log slope "
        f"{fit_b['slope']:.2f} (straight line within {fit_b['max_residual']:.2f} decades); |mu|* ~ "
        f"n^{expo['n']:.2f} d^{expo['d']:.2f}",
        f"halving the learning rate: {100 * halving['fraction_changed']:.0f} % of {halving['cells']} cells change "
        f"by > 0.05 (largest change {halving['max_change']:.3f})",
        "Fig 3: max<w,xi>/max v_2 over the last decade of t: x"
        + ", ".join(f"{g_:.2f} (v0={v:g})" for v, g_ in zip(cfg.v0_values, pr_growth)),
        f"v0={cfg.v0_values[-1]:g}: |v-v0|/|v0| = {v_change_large:.3f} while |W| grows x{W_growth_large:.0f}; "
        f"v0={cfg.v0_values[0]:g}: median |v_r|/|w_r| settles at {ratio_settled:.3f}",
    ]
    summary["glue"] = glue_values(cfg, summary)
    summary["tables"] = tables(cfg, summary)
    return summary, arrays


def failed_checks(cfg: Config, s: dict[str, Any]) -> list[str]:
    """The page's checks on a summary of :func:`analyse`: one line per failed check (empty: all pass). Checks that
    need a part of the grid the configuration does not have are skipped."""
    bad: list[str] = []

    def need(ok: bool, msg: str) -> None:
        if not ok:
            bad.append(msg)

    need(
        s["fraction_interpolating"] == 1.0,
        f"not every trial fits its training data: {s['fraction_interpolating']}",
    )
    need(
        s["max_conservation_drift"] < 0.15, f"conserved |v_r|^2-|w_r|^2 drifts: {s['max_conservation_drift']}"
    )
    if cfg.v0_values[-1] >= 1.0:  # Figure 3 / large v0: the output layer stays put while W grows
        need(
            s["large_v0_v_change"] < 0.05 and s["large_v0_W_growth"] > 3,
            f"large v0: |v-v0|/|v0| = {s['large_v0_v_change']}, |W| growth {s['large_v0_W_growth']}",
        )
    if cfg.v0_values[0] <= 1e-3:  # small v0: |v_r|/|w_r| follows the conservation law and settles at ~1
        need(
            abs(s["small_v0_final_ratio"] - 1) < 0.05 and s["small_v0_ratio_vs_law_max_abs"] < 0.05,
            f"small v0: |v_r|/|w_r| = {s['small_v0_final_ratio']} (law: max deviation "
            f"{s['small_v0_ratio_vs_law_max_abs']})",
        )
    # Figure 2(b): benign for large n|mu|^4/(sigma_p^4 d), near chance for small
    if np.isfinite(s["acc_large_v0_X_ge_10_min"]):
        need(
            s["acc_large_v0_X_ge_10_min"] > 0.95,
            f"Fig 2(b): accuracy {s['acc_large_v0_X_ge_10_min']} at X >= 10",
        )
    if np.isfinite(s["acc_large_v0_X_le_0.01_max"]):
        need(
            s["acc_large_v0_X_le_0.01_max"] < 0.65,
            f"Fig 2(b): accuracy {s['acc_large_v0_X_le_0.01_max']} at X <= 0.01",
        )
    # Figure 2(b): a straight contour of slope ~1 (at least three d, three seeds)
    if len(cfg.fig2b_d_values) >= 3 and cfg.seeds >= 3 and s["fig2b_points"] >= 3:
        need(
            0.7 < s["fig2b_slope"] < 1.3 and s["fig2b_max_residual"] < 0.15,
            f"Fig 2(b): contour slope {s['fig2b_slope']}, max residual {s['fig2b_max_residual']} decades",
        )
    # Figure 2(a), (c): the contour moves between small and large v0 and is straight at small v0
    if cfg.v0_values[0] <= 1e-3 and cfg.v0_values[-1] >= 1.0 and cfg.seeds >= 3:
        need(s["fig2c_shift_decades"] > 0.1, f"Fig 2(c): contour shift {s['fig2c_shift_decades']} decades")
        if s["fig2c_points_small"] >= 3:
            need(
                s["fig2c_max_residual_small"] < 0.05,
                f"Fig 2(c): small-v0 contour not straight ({s['fig2c_max_residual_small']} decades)",
            )
    # the step: halving the learning rate changes no cell of the phase diagram by more than 0.05
    if cfg.halving_check:
        need(
            s["halving_fraction_changed"] == 0.0 and s["halving_all_interpolate"],
            f"halving the learning rate changes {s['halving_fraction_changed']} of the cells by > 0.05",
        )
    return bad


def glue_values(cfg: Config, summary: dict[str, Any]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (plain int, float, str): the trajectories
    (Figure 3), the contours of Figure 2(a)-(c), the step check, the settings and the compute and page times."""
    s = summary
    pr = s["paper_ratio_growth_last_decade_by_v0"]
    mid = len(cfg.v0_values) // 2
    local = s["fig2c_local_slopes"]
    return {
        "trials": int(s["trials"]),
        "steps_max": int(s["gd_steps_max"]),
        "frac_fit": 100 * float(s["fraction_interpolating"]),
        "compute_s": float(s["compute_s"]),
        "v0_large": float(cfg.v0_values[-1]),
        "v0_small": float(cfg.v0_values[0]),
        "sigma0_small": float(cfg.sigma_0_values[0]),
        "w0_norm": float(cfg.sigma_0_values[0] * np.sqrt(cfg.d_values[0])),
        "v_change": float(s["large_v0_v_change"]),
        "W_growth": float(s["large_v0_W_growth"]),
        "ratio_small": float(s["small_v0_final_ratio"]),
        "ratio_law": float(s["small_v0_ratio_conservation_law"]),
        "ratio_spread": 100 * float(s["small_v0_ratio_spread_in_growth"]),
        "drift": float(s["max_conservation_drift"]),
        "acc_hi": float(s["acc_large_v0_X_ge_10_min"]),
        "acc_lo": float(s["acc_large_v0_X_le_0.01_max"]),
        "exp_n": float(s["exponent_n"]),
        "exp_d": float(s["exponent_d"]),
        "spread_X": float(s["spread_log10_X_star_over_4"]),
        "thr": float(cfg.accuracy_threshold),
        "thr_a": float(cfg.accuracy_threshold_a),
        "v0_2b": float(cfg.fig2b_v0),
        "slope_b": float(s["fig2b_slope"]),
        "resid_b": float(s["fig2b_max_residual"]),
        "points_b": int(s["fig2b_points"]),
        "slope_c_small": float(s["fig2c_slope_small"]),
        "resid_c_small": float(s["fig2c_max_residual_small"]),
        "slope_c_all": float(s["fig2c_slope_all"]),
        "slope_c_local_max": float(np.nanmax(local)) if len(local) else float("nan"),
        "shift_c": float(s["fig2c_shift_decades"]),
        "shift_c_factor": float(10 ** s["fig2c_shift_decades"]),
        "slope_a_all": float(s["fig2a_slope_all"]),
        "small_v0_max": float(cfg.small_v0_max),
        "band_lo": float(s["fig2c_band_v0"][0]),
        "band_hi": float(s["fig2c_band_v0"][1]),
        "mu_star_c_small": float(s["fig2_mu_star_c_by_v0"][0]),
        "mu_star_c_large": float(s["fig2_mu_star_c_by_v0"][-1]),
        "mu_star_a_small": float(s["fig2_mu_star_a_by_v0"][0]),
        "mu_star_a_large": float(s["fig2_mu_star_a_by_v0"][-1]),
        "half_frac": 100 * float(s["halving_fraction_changed"]),
        "half_max": float(s["halving_max_change"]),
        "half_cells": int(s["halving_cells"]),
        "half_shift": float(s["halving_contour_shift_decades"]),
        "lr_half": float(cfg.lr_factor / 2),
        "v0_eff_small": float(s["v0_effect_max_by_sigma_0"][0]),
        "traj_mu": float(s["trajectory_mu"]),
        "n_big": int(cfg.n_values[-1]),
        "d_big": int(cfg.d_values[-1]),
        "page_s": float(s["runtime_s"]),
        "pr_growth_large": float(pr[-1]),
        "pr_growth_small": float(pr[0]),
        "pr_growth_mid": float(pr[mid]),
        "v0_mid": float(cfg.v0_values[mid]),
        "n_test": int(cfg.n_test),
        "lr_factor": float(cfg.lr_factor),
        "max_steps": int(cfg.max_steps),
    }


def tables(cfg: Config, summary: dict[str, Any]) -> dict[str, dict[str, list]]:
    """The page's tables: ``crossing_table`` (Figure 2(b): where the accuracy crosses ``accuracy_threshold``, per
    (n, d)) and ``v0_table`` (per v0: both contours and the growth of the Figure-3 ratio)."""
    s = summary
    crossing = {
        "headers": [
            "$n$",
            "$d$",
            "$\\lVert\\mu\\rVert^*$",
            "$n\\lVert\\mu^*\\rVert^4$",
            "$n\\lVert\\mu^*\\rVert^4/(\\sigma_p^4d)$",
        ],
        "rows": [
            [f"{n_}", f"{d_}", f"{a:.3f}", f"{n_ * a**4:.3g}", f"{x:.3f}"]
            for (n_, d_), a, x in zip(s["sizes"], s["mu_star_fig2b"], s["X_star_fig2b"])
        ],
    }
    v0 = {
        "headers": ["$v_0$"] + [f"{v:g}" for v in cfg.v0_values],
        "rows": [
            [f"$\\lVert\\mu\\rVert^*$ at {cfg.accuracy_threshold_a:g}"]
            + [f"{x:.2f}" for x in s["fig2_mu_star_a_by_v0"]],
            [f"$\\lVert\\mu\\rVert^*$ at {cfg.accuracy_threshold:g}"]
            + [f"{x:.2f}" for x in s["fig2_mu_star_c_by_v0"]],
            ["Fig. 3 ratio, growth over the last decade of $t$"]
            + [f"×{x:.2f}" for x in s["paper_ratio_growth_last_decade_by_v0"]],
        ],
    }
    return {"crossing_table": crossing, "v0_table": v0}
