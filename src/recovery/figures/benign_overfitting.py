"""Related results: benign overfitting of a two-layer ReLU CNN with a trainable output layer (arXiv:2410.19139,
Shang, Meng, Cao, Zou, "Initialization Matters: On the Benign Overfitting of Two-Layer ReLU CNN with Fully
Trainable Layers").

Setting (:mod:`recovery.benign`): signal–noise patch data x = (y·μ, ξ), ξ ~ N(0, σ_p²(I − μμᵀ/‖μ‖²)),
f = F₊₁ − F₋₁ with F_j = Σ_r v_{j,r} Σ_p ReLU(⟨w_{j,r}, x_p⟩), W(0) ~ N(0, σ₀²), v(0) = v₀ (trainable), logistic
loss, full-batch GD with a small per-trial step (gradient flow to O(step)), stopped at training loss
``loss_target``. Every (σ₀, n, d, v₀, ‖μ‖, seed) trial of the page is one batched tensor program, cached on disk
(kind ``benign``, keyed by the parameters and the code hash).

What is measured:

* (a) layer-ratio trajectories ‖v‖/‖W‖_F and the per-filter |v_r|/‖w_r‖ against the flow's time, for every v₀
  (one trial per v₀: the smallest σ₀, the largest n and d, the ‖μ‖ of the grid nearest ``trajectory_mu``).
  Large v₀: v stays put (‖v − v(0)‖/‖v(0)‖ ≪ 1) while W grows: a fixed output layer. Small v₀: the ratio rises
  to a constant (≈ 1, the conservation law of :mod:`recovery.benign`) and then both layers grow at that ratio.
* (b) the test accuracy (fresh data) on the grid v₀ × ‖μ‖ for each (σ₀, n, d) panel, and for the largest v₀
  at the smallest σ₀ the accuracy against n‖μ‖⁴/(σ_p⁴ d) for every (n, d): the fixed-output-layer prediction
  (Kou et al. 2023) is a boundary at a fixed value of that quantity, i.e. a crossing ‖μ‖* ∝ n^(−1/4) d^(1/4);
  the exponents are fitted from the crossings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..related.benign import Setting, Trials, conserved_ratio, snr_quantity, train
from ..cache import ResultCache, code_hash
from ..config import UserConfig, check_float, check_float_list, check_int, check_int_list
from ..core.dynamics import torch_threads

DESCRIPTION = ("Related: benign overfitting of a ReLU CNN with trainable output layer (arXiv:2410.19139): "
               "layer-ratio trajectories and the test-accuracy phase diagram over (v0, 1/|mu|)")

PAPER_SIZE: dict[str, Any] = {}
QUICK_SIZE: dict[str, Any] = {"v0_values": (1e-4, 1.0), "mu_norms": (0.25, 1.0, 8.0), "n_values": (20,),
                              "d_values": (100,), "sigma_0_values": (1e-3,), "seeds": 1, "n_test": 500}

PAPER = {
    "source": "arXiv:2410.19139 (abstract; the qualitative statements in SCIENCE.md). The paper's figures and "
              "constants were not available to us: only qualitative statements are compared.",
    "large_v0": "large output-layer initialization behaves like a fixed output layer: the hidden layer grows, "
                "the output layer stays largely unchanged; benign iff n|mu|^4 >~ sigma_p^4 d",
    "small_v0": "small output-layer initialization: the hidden layer first grows to a specific ratio to the "
                "output layer, then both grow jointly keeping that ratio",
    "phase_diagram": "test error over (v0, 1/|mu|): sharp conditions on the initialization scale and the SNR",
    "fixed_output_boundary_exponents": {"n": -0.25, "d": 0.25},
}


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the page (defaults: the book size).

    * ``v0_values``: output-layer initialization scales v₀ (v_{j,r}(0) = v₀ for every filter);
      ``mu_norms``: signal strengths ‖μ‖ (μ = ‖μ‖e₁); ``n_values`` / ``d_values``: training-set sizes and
      dimensions (every combination is a panel); ``sigma_0_values``: std σ₀ of W(0) (every value is a panel).
    * ``seeds`` / ``first_seed``: seeds per grid point (data, test set and the direction of W(0)).
    * ``m``: filters per class; ``sigma_p``: noise level; ``n_test``: fresh test samples per seed.
    * ``loss_target``: training stops at this logistic loss (every sample is then fitted); ``lr_factor``: c in
      the step η = c / (bound on the sharpness) (gradient flow as c → 0); ``max_steps``: cap on steps.
    * ``trajectory_mu``: the trajectories of (a) use the grid ‖μ‖ nearest to this; ``accuracy_threshold``:
      the benign/harmful crossing of (b) is where the mean test accuracy crosses this.
    """

    v0_values: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 0.1, 1.0)
    mu_norms: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
    n_values: tuple[int, ...] = (20, 40)
    d_values: tuple[int, ...] = (100, 200)
    sigma_0_values: tuple[float, ...] = (1e-3, 3e-2)
    seeds: int = 3
    first_seed: int = 0
    # the shared setting of every trial, with recovery.benign.Setting's defaults (one place for them)
    m: int = Setting.m
    sigma_p: float = Setting.sigma_p
    n_test: int = Setting.n_test
    loss_target: float = Setting.loss_target
    lr_factor: float = Setting.lr_factor
    max_steps: int = Setting.max_steps
    trajectory_mu: float = 1.0
    accuracy_threshold: float = 0.75

    def __post_init__(self) -> None:
        def floats(name: str, vals: Any, lo: float, hi: float, max_len: int) -> tuple[float, ...]:
            return tuple(sorted(check_float_list(name, vals, lo, high=hi, low_open=True, max_len=max_len,
                                                 distinct=True)))

        checked = {
            "v0_values": floats("v0_values", self.v0_values, 0.0, 100.0, 12),
            "mu_norms": floats("mu_norms", self.mu_norms, 0.0, 100.0, 12),
            "n_values": check_int_list("n_values", self.n_values, 2, 400, max_len=4),
            "d_values": check_int_list("d_values", self.d_values, 3, 2000, max_len=4),
            "sigma_0_values": floats("sigma_0_values", self.sigma_0_values, 0.0, 1.0, 4),
            "seeds": check_int("seeds", self.seeds, 1, 20),
            "first_seed": check_int("first_seed", self.first_seed, 0),
            "m": check_int("m", self.m, 1, 200),
            "sigma_p": check_float("sigma_p", self.sigma_p, 0.0, 100.0, low_open=True),
            "n_test": check_int("n_test", self.n_test, 10, 20000),
            "loss_target": check_float("loss_target", self.loss_target, 0.0, 0.5, low_open=True),
            "lr_factor": check_float("lr_factor", self.lr_factor, 0.0, 1.0, low_open=True),
            "max_steps": check_int("max_steps", self.max_steps, 1, 100000),
            "trajectory_mu": check_float("trajectory_mu", self.trajectory_mu, 0.0, 100.0, low_open=True),
            "accuracy_threshold": check_float("accuracy_threshold", self.accuracy_threshold, 0.5, 1.0,
                                              low_open=True, high_open=True),
        }
        for k, v in checked.items():
            object.__setattr__(self, k, v)

    def setting(self) -> Setting:
        return Setting(m=self.m, sigma_p=self.sigma_p, n_test=self.n_test, loss_target=self.loss_target,
                       lr_factor=self.lr_factor, max_steps=self.max_steps)

    def trials(self) -> Trials:
        """Every trial, in the order (σ₀, n, d, v₀, ‖μ‖, seed), the seed fastest."""
        return Trials.product(self.v0_values, self.mu_norms, self.n_values, self.d_values,
                              range(self.first_seed, self.first_seed + self.seeds), self.sigma_0_values)

    def sweep_params(self) -> dict[str, Any]:
        """The parameters the simulation depends on (the cache key; display choices left out)."""
        p = self.params()
        for k in ("trajectory_mu", "accuracy_threshold"):
            p.pop(k)
        return p

    def shape(self) -> tuple[int, ...]:
        return (len(self.sigma_0_values), len(self.n_values), len(self.d_values), len(self.v0_values),
                len(self.mu_norms), self.seeds)


def run_sweep(cfg: Config, cache: ResultCache | None = None, *, progress: bool = False,
              device: str | torch.device = "cpu") -> dict[str, np.ndarray]:
    """Every trial in one batched GD program (or loaded from the cache, kind ``benign``)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("benign", cfg.sweep_params())
    if hit is not None:
        return hit
    with torch_threads(min(2, torch.get_num_threads())):
        out = train(cfg.trials(), cfg.setting(), device=device, progress=progress)
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
            lx = np.log10(x[k]) + (threshold - acc[k]) * (np.log10(x[k + 1]) - np.log10(x[k])) / (acc[k + 1] - acc[k])
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
    return np.array([np.ravel_multi_index((0, shape[1] - 1, shape[2] - 1, i, j, 0), shape)
                     for i in range(shape[3])])


def run(cfg: Config, *, progress: bool = True, scheduler: str | None = None,
        device: str = "cpu") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load) the sweep and measure (a) the trajectories and (b) the phase diagram and its collapse."""
    t0 = time.perf_counter()
    raw = run_sweep(cfg, progress=progress)
    return analyse(cfg, raw, t0=t0)


def analyse(cfg: Config, raw: dict[str, np.ndarray], *, t0: float) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    shape = cfg.shape()
    S0, Nn, Nd, V, M, R = shape
    acc = raw["test_acc"].reshape(shape)
    acc_mean = acc.mean(-1)
    interp = (raw["train_acc"] == 1.0) & (raw["final_loss"] <= cfg.loss_target)
    mus = np.array(cfg.mu_norms)
    # (b) collapse at the largest v0, smallest sigma_0
    sizes = [(n, d) for n in cfg.n_values for d in cfg.d_values]
    large = acc_mean[0, :, :, -1, :].reshape(len(sizes), M)
    small = acc_mean[0, :, :, 0, :].reshape(len(sizes), M)
    X = np.array([snr_quantity(mus, n, d, cfg.sigma_p) for n, d in sizes])
    mu_star = np.array([crossing(mus, a, cfg.accuracy_threshold) for a in large])
    X_star = np.array([snr_quantity(m_, n, d, cfg.sigma_p) for m_, (n, d) in zip(mu_star, sizes)])
    mu_star_small = np.array([crossing(mus, a, cfg.accuracy_threshold) for a in small])
    expo = fit_exponents(np.array([s[0] for s in sizes]), np.array([s[1] for s in sizes]), mu_star)
    hi, lo = X >= 10.0, X <= 0.01
    acc_high_X = float(large[hi].min()) if hi.any() else float("nan")
    acc_low_X = float(large[lo].max()) if lo.any() else float("nan")
    # v0 dependence of the accuracy, per sigma_0 panel group
    v0_effect = [float(np.abs(acc_mean[s, :, :, -1, :] - acc_mean[s, :, :, 0, :]).max()) for s in range(S0)]
    # (a) trajectories
    ti = trajectory_index(cfg)
    K = raw["t"].shape[0]
    traj = {k: raw[k][:, ti].T for k in ("t", "loss", "v_norm", "W_norm", "ratio", "ratio_med", "ratio_min",
                                          "ratio_max", "v_change", "drift")}
    steps = raw["steps"][ti]
    small_i = 0
    e = int(steps[small_i])
    rm = traj["ratio_med"][small_i, :e + 1]
    wn = traj["W_norm"][small_i, :e + 1]
    growth = wn >= 10.0 * wn[0]  # the joint-growth phase: ‖W‖ at least 10x its initial value
    ratio_settled = float(rm[-1])
    ratio_spread = float(np.max(np.abs(rm[growth] / rm[-1] - 1))) if growth.any() else float("nan")
    w_end = raw["w_norms"][ti[small_i]]
    pred = conserved_ratio(cfg.v0_values[small_i], raw["w0_norms"][ti[small_i]], w_end)
    meas = np.abs(raw["v"][ti[small_i]]) / w_end
    v_change_large = float(traj["v_change"][-1, int(steps[-1])])
    W_growth_large = float(traj["W_norm"][-1, int(steps[-1])] / traj["W_norm"][-1, 0])
    arrays: dict[str, np.ndarray] = {
        "test_acc": acc, "acc_mean": acc_mean, "train_acc": raw["train_acc"].reshape(shape),
        "final_loss": raw["final_loss"].reshape(shape), "steps": raw["steps"].reshape(shape),
        "final_t": raw["final_t"].reshape(shape),
        "v0_values": np.array(cfg.v0_values), "mu_norms": mus, "n_values": np.array(cfg.n_values),
        "d_values": np.array(cfg.d_values), "sigma_0_values": np.array(cfg.sigma_0_values),
        "collapse_X": X, "collapse_acc_large": large, "collapse_acc_small": small,
        "collapse_n": np.array([s[0] for s in sizes]), "collapse_d": np.array([s[1] for s in sizes]),
        "mu_star": mu_star, "X_star": X_star, "mu_star_small": mu_star_small,
        "traj_index": ti, "traj_steps": steps, **{f"traj_{k}": v for k, v in traj.items()},
        "final_ratio_med": raw["ratio_med"][-1].reshape(shape), "final_v_change": raw["v_change"][-1].reshape(shape),
        "max_drift": raw["drift"].max(0).reshape(shape),
    }
    summary = {
        "figure": "benign_overfitting",
        "paper": "arXiv:2410.19139 (Shang, Meng, Cao, Zou), fixed-output baseline Kou et al. 2023",
        "paper_reported": PAPER,
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "trials": int(np.prod(shape)),
        "gd_steps_max": int(raw["steps"].max()),
        "steps_recorded": int(K),
        "fraction_interpolating": float(interp.mean()),
        "all_reached_loss_target": bool((raw["final_loss"] <= cfg.loss_target).all()),
        "trajectory_mu": float(mus[int(np.argmin(np.abs(np.log(mus / cfg.trajectory_mu))))]),
        "small_v0_final_ratio": ratio_settled,
        "small_v0_ratio_spread_in_growth": ratio_spread,
        "small_v0_ratio_conservation_law": float(np.nanmedian(pred)),
        "small_v0_ratio_vs_law_max_abs": float(np.nanmax(np.abs(meas - pred))),
        "large_v0_v_change": v_change_large,
        "large_v0_W_growth": W_growth_large,
        "final_ratio_med_smallest_v0_all": float(np.median(raw["ratio_med"][-1].reshape(shape)[0, :, :, 0])),
        "max_conservation_drift": float(raw["drift"].max()),
        "sizes": [list(s) for s in sizes],
        "mu_star_large_v0": [float(x) for x in mu_star],
        "X_star_large_v0": [float(x) for x in X_star],
        "mu_star_small_v0": [float(x) for x in mu_star_small],
        "exponent_n": expo["n"],
        "exponent_d": expo["d"],
        "spread_log10_mu_star": float(np.nanmax(np.log10(mu_star)) - np.nanmin(np.log10(mu_star)))
        if np.isfinite(mu_star).any() else float("nan"),
        "spread_log10_X_star_over_4": float((np.nanmax(np.log10(X_star)) - np.nanmin(np.log10(X_star))) / 4)
        if np.isfinite(X_star).any() else float("nan"),
        "acc_large_v0_X_ge_10_min": acc_high_X,
        "acc_large_v0_X_le_0.01_max": acc_low_X,
        "v0_effect_max_by_sigma_0": v0_effect,
        "compute_s": float(raw["wall_time"]),
        "runtime_s": time.perf_counter() - t0,
    }
    summary["headline"] = [
        f"{summary['trials']} trials in one batched GD program ({summary['gd_steps_max']} steps at most), "
        f"{100 * summary['fraction_interpolating']:.0f} % fit every training sample; compute {summary['compute_s']:.1f} s",
        f"(a) v0={cfg.v0_values[-1]:g}: |v-v0|/|v0| = {v_change_large:.3f} while |W| grows x{W_growth_large:.0f}; "
        f"v0={cfg.v0_values[0]:g}: median |v_r|/|w_r| settles at {ratio_settled:.3f} "
        f"(varies by {100 * ratio_spread:.1f} % once |W| > 10|W(0)|; "
        f"conservation law: {summary['small_v0_ratio_conservation_law']:.3f})",
        f"(b) large v0, sigma_0={cfg.sigma_0_values[0]:g}: accuracy >= {acc_high_X:.2f} where n|mu|^4/(sigma_p^4 d) >= 10, "
        f"<= {acc_low_X:.2f} where <= 0.01; crossing |mu|* ~ n^{expo['n']:.2f} d^{expo['d']:.2f} "
        "(fixed-output prediction n^-0.25 d^0.25)",
        "largest accuracy change between the smallest and largest v0, per sigma_0: "
        + ", ".join(f"sigma_0={s:g}: {e_:.2f}" for s, e_ in zip(cfg.sigma_0_values, v0_effect)),
    ]
    return summary, arrays


