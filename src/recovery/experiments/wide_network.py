"""Figure 5 of arXiv:2405.13787: a width-1000 network of σ(x) = x/(1 + x²) neurons learns tanh(x + 1); runs with
the same ratios C_i/C_1 coincide after the Theorem-1 time shift, and only a few neurons end up active.

Setting: f_θ(x) = Σ_k a_k σ(w_kᵀ(x, 1)), m = 1000, n = 6 evenly spaced points on [−2, 2], labels tanh(x + 1),
loss ½Σ(f − y)², gradient flow from θ₀ = s·θ̂. Trial k has its own seed and scale; neuron i ≥ 2 is rescaled to a
prescribed C_i/C_1. The caption prints C_i/C_1 = 1.5 + 0.0015·(i − 1), which cannot hold at i = 1; two readings
(:data:`RATIO_READINGS`, parameter ``ratio_reading``): ``"i_ge_2"`` (the default) applies the formula for i ≥ 2;
``"proportional"`` reads C_i ∝ 1.5 + 0.0015·(i − 1), so C_i/C_1 = 1 + 0.001·(i − 1).
Every trial then has the same normalized C(θ₀), which by the paper's abstract determines the trajectory; the
runs should coincide up to the lag log(‖C_ref‖/‖C‖)/‖z‖ (our linearization of Theorem 1's setting; alignment and
gap: :mod:`recovery.figures.fig2`).

*Active neuron* (our criterion, a parameter): neuron k's output contribution c_k = max over x in [−2, 2] of
|a_k σ(w_kᵀ(x, 1))| is at least ``active_fraction`` × the largest c_j of the network. The target is not a sum of
finitely many x/(1 + x²) neurons, so the generalization error stays above zero even when the six training
points are interpolated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import __version__
from ..cache import code_hash
from ..config import (
    ParameterError,
    UserConfig,
    check_choice,
    check_float,
    check_float_list,
    check_int,
    largest_first,
    spec,
)
from ..core.alignment import log_loss_gap, theorem1_lags
from ..core.dynamics import Status, torch_threads
from ..core.neurons import (
    active_mask,
    angular_spread,
    direction_angle,
    neuron_contributions,
    participation_ratio,
    with_canonical_sign,
)
from ..sweeps import RunConfig, run_many

DESCRIPTION = (
    "Figure 5: width-1000 x/(1+x^2) network, C_i/C_1 = 1.5 + 0.0015(i-1), four seeds/scales: aligned "
    "losses, active neurons"
)

# `python -m recovery reproduce`: the book size plus the tolerance check; --quick: a narrow smoke size
PAPER_SIZE: dict[str, Any] = {"check_rtol": 5e-7}
QUICK_SIZE: dict[str, Any] = {
    "scales": (1e-6, 1e-9),
    "width": 40,
    "t_max": 30,
    "rtol": 1e-6,
    "large_scale": 0,
}

PAPER_FIG5 = {
    "claim": "loss curves of four trials (different seeds and scales, same C_i/C_1) coincide after the Theorem-1 "
    "translation; only a few neurons stay active",
    "width": 1000,
    "trials": 4,
    "activation": "x/(1+x^2)",
    "target": "tanh(x + 1)",
    "c_ratio": "C_i/C_1 = 1.5 + 0.0015 (i - 1) for i = 1..1000, as printed",
}
# The two readings of the caption's ratio formula (ours): name -> (c_ratio_base, c_ratio_slope) of C_i/C_1 = base +
# slope (i - 1) for i >= 2, and what each means
RATIO_READINGS: dict[str, tuple[float, float]] = {
    "i_ge_2": (1.5, 0.0015),  # the printed formula applied for i >= 2 (it cannot hold at i = 1)
    "proportional": (1.0, 0.001),  # C_i proportional to 1.5 + 0.0015 (i - 1): C_i/C_1 = 1 + 0.001 (i - 1)
}
RATIO_READING_TEXT = {
    "i_ge_2": "C_i/C_1 = 1.5 + 0.0015 (i - 1) applied for i >= 2 (the printed formula cannot hold at i = 1)",
    "proportional": "C_i proportional to 1.5 + 0.0015 (i - 1), i.e. C_i/C_1 = 1 + 0.001 (i - 1)",
    "custom": "C_i/C_1 = c_ratio_base + c_ratio_slope (i - 1) for i >= 2, values chosen by the user",
}
DEFAULT_RATIO_READING = "i_ge_2"


def resolve_ratio_reading(reading: Any, base: Any, slope: Any) -> dict[str, Any]:
    """Validated ``ratio_reading``, ``c_ratio_base``, ``c_ratio_slope``: a named reading fixes the two numbers (given
    ones must agree); without a name the numbers are taken as given (defaults: the default reading) and named."""
    if reading is not None:
        reading = check_choice("ratio_reading", reading, (*RATIO_READINGS, "custom"))
    if reading is not None and reading != "custom":
        rb, rs = RATIO_READINGS[reading]
        for name, value, want in (("c_ratio_base", base, rb), ("c_ratio_slope", slope, rs)):
            if value is not None and check_float(name, value) != want:
                raise ParameterError(
                    name, value, f"must be {want:g} for ratio_reading={reading} (or leave it unset)"
                )
        base, slope = rb, rs
    db, ds = RATIO_READINGS[DEFAULT_RATIO_READING]
    base = check_float("c_ratio_base", db if base is None else base, 0.0, 100.0, low_open=True)
    slope = check_float("c_ratio_slope", ds if slope is None else slope, 0.0, 1.0)
    if reading is None:
        reading = next((k for k, v in RATIO_READINGS.items() if v == (base, slope)), "custom")
    return {"ratio_reading": reading, "c_ratio_base": base, "c_ratio_slope": slope}


def ratio_check(cfg: Config, C: np.ndarray, rtol: float = 1e-10) -> bool:
    """The prescribed ratios hold: C_i/C_1 of every trial ``C: (R, width)`` equals the configured reading."""
    C = np.asarray(C, float)
    return bool(np.allclose(C[:, 1:] / C[:, :1], cfg.ratios(), rtol=rtol, atol=0))


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of Figure 5 (defaults: the book size).

    * ``scales``: one initialization scale per trial (trial k has seed ``first_seed + k``), stored largest
      first; the smallest-scale trial is the reference of the alignment. The paper's scales are not known to
      us; ours are small enough for Theorem 1 to apply after the rescaling to the prescribed ratios, which
      multiplies a neuron whose original C_i is near 0 by a large factor (so ‖θ₀‖ ≫ s; reported per trial).
    * ``large_scale``: one more run, seed ``first_seed`` at this larger scale, to show where the alignment
      breaks down (0 skips it).
    * ``ratio_reading``: which reading of the caption's ratio formula (:data:`RATIO_READINGS`: ``i_ge_2``, the
      default, or ``proportional``); it sets ``c_ratio_base``/``c_ratio_slope``. Left unset, those two are taken as
      given (default: the ``i_ge_2`` values) and ``ratio_reading`` becomes the matching name or ``custom``.
    * ``c_ratio_base``, ``c_ratio_slope``: C_i/C_1 = base + slope·(i − 1) for i ≥ 2.
    * ``t_max``: horizon (at the default the loss reaches ≈ 1e-24 and the set of active neurons has settled).
    * ``rtol``, ``checkpoints_per_decade``: integrator tolerance and checkpoint density of the curves (the
      loss curves are interpolated between checkpoints: 200 per decade keeps that error near 1e-3 decades).
    * ``check_rtol``: the two smallest-scale trials (whose gap is at the numerical floor) are run again at this
      tighter tolerance; 0 (the default, to keep the book size within its time budget: the check doubles the
      compute) skips it. ``make reproduce`` runs it.
    * ``loss_floor``: the log-loss gap is measured where both losses are at least this.
    * ``active_fraction``: a neuron is active if its output contribution is at least this × the largest.
    * ``threads``: torch threads during the run (1 is fastest on a shared 2-core machine).
    """

    scales: tuple[float, ...] = spec(
        (1e-8, 1e-10, 1e-12, 1e-14),
        check_float_list,
        0.0,
        high=1.0,
        low_open=True,
        min_len=2,
        max_len=12,
        then=largest_first,
    )
    first_seed: int = spec(0, check_int, 0)
    large_scale: float = spec(1e-6, check_float, 0.0, 1.0)
    width: int = spec(1000, check_int, 2, 5000)
    ratio_reading: str | None = spec(None, check_choice, (*RATIO_READINGS, "custom"), optional=True)
    c_ratio_base: float | None = spec(None, check_float, 0.0, 100.0, low_open=True, optional=True)
    c_ratio_slope: float | None = spec(None, check_float, 0.0, 1.0, optional=True)
    n_samples: int = spec(6, check_int, 2, 1000)
    t_max: float = spec(1e5, check_float, 1.0, 1e8)
    rtol: float = spec(1e-6, check_float, 0.0, 1e-3, low_open=True)
    check_rtol: float = spec(0.0, check_float, 0.0, 1e-3)
    checkpoints_per_decade: int = spec(200, check_int, 10, 1000)
    loss_floor: float = spec(1e-20, check_float, 0.0, 1e-2, low_open=True)
    active_fraction: float = spec(0.1, check_float, 0.0, 1.0, low_open=True)
    threads: int = spec(1, check_int, 1, 256)

    def validate(self, given: dict[str, Any]) -> None:
        for k, v in resolve_ratio_reading(self.ratio_reading, self.c_ratio_base, self.c_ratio_slope).items():
            object.__setattr__(
                self, k, v
            )  # a named reading fixes the two numbers; numbers alone get their name
        if self.check_rtol >= self.rtol:
            raise ParameterError(
                "check_rtol", given["check_rtol"], f"must be 0 (no check) or < rtol={self.rtol:g}"
            )

    def ratios(self) -> np.ndarray:
        """The prescribed C_i/C_1 for i = 2..width."""
        return self.c_ratio_base + self.c_ratio_slope * np.arange(1, self.width)

    def trial(self, seed: int, scale: float, rtol: float | None = None) -> RunConfig:
        """One trial: width-``width`` x/(1+x²) network, target tanh(x + 1), prescribed C ratios."""
        return RunConfig(
            seeds=1,
            first_seed=seed,
            init_scale=scale,
            n_samples=self.n_samples,
            design="even",
            width=self.width,
            activation="rational",
            target_a=1.0,
            target_w=(1.0, 1.0),
            target_activation="tanh",
            c_ratio_base=self.c_ratio_base,
            c_ratio_slope=self.c_ratio_slope,
            t_max=self.t_max,
            rtol=self.rtol if rtol is None else rtol,
            checkpoints_per_decade=self.checkpoints_per_decade,
        )

    def trials(self, rtol: float | None = None) -> list[RunConfig]:
        """The figure's trials, largest scale first; trial k has seed ``first_seed + k``."""
        return [self.trial(self.first_seed + k, s, rtol) for k, s in enumerate(self.scales)]


# ---------------------------------------------------------------------------------------------------------
# Neurons (pure functions)


# ---------------------------------------------------------------------------------------------------------
# The figure


def _plateau_index(loss: np.ndarray, times: np.ndarray) -> int:
    """Checkpoint on the plateau after the escape from θ = 0 (all neurons condensed): after the loss has fallen
    below half its initial value and before it falls below 1e-2, where it decreases slowest in log t."""
    lg = np.log10(np.maximum(loss, 1e-300))
    lt = np.log10(np.maximum(times, 1e-300))
    ok = (times > 0) & (loss < 0.5 * loss[0]) & (loss > 1e-2)
    idx = np.flatnonzero(ok)
    if idx.size < 3:
        return 0
    rate = np.gradient(lg[idx], lt[idx])
    return int(idx[np.argmax(rate)])


def _gaps(
    res: list[dict[str, np.ndarray]], ref: dict[str, np.ndarray], loss_floor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Theorem-1 lags, aligned and unaligned log-loss gaps (and where the aligned one is reached) against ``ref``."""
    rate = float(ref["growth_rate"][0])
    lags = theorem1_lags(np.concatenate([r["C"] for r in res]), ref["C"][0], rate)
    out = []
    for r, lag in zip(res, lags):
        kw = dict(
            loss_floor=loss_floor, t_end=float(r["final_time"][0]), t_end_ref=float(ref["final_time"][0])
        )
        g = log_loss_gap(r["times"], r["loss_traj"][0], ref["times"], ref["loss_traj"][0], float(lag), **kw)
        u = log_loss_gap(r["times"], r["loss_traj"][0], ref["times"], ref["loss_traj"][0], 0.0, **kw)
        out.append((g.gap, u.gap, g.t_at_max))
    a = np.array(out).reshape(-1, 3)
    return lags, a[:, 0], a[:, 1], a[:, 2]


TRAJ_STRIDE = 4  # trajectories are kept at every 4th checkpoint (50 per decade at the default density)


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) every trial of Figure 5 in one batched call, align and count neurons.

    Runs: the trials (``scales``), the extra large-scale run, and the trials again at ``check_rtol``.
    """
    t0 = time.perf_counter()
    main = cfg.trials()
    large = [cfg.trial(cfg.first_seed, cfg.large_scale)] if cfg.large_scale > 0 else []
    # the tolerance check reruns the two smallest-scale trials, whose gap sits at the numerical floor
    check = cfg.trials(cfg.check_rtol)[-2:] if cfg.check_rtol > 0 else []
    unique = list(dict.fromkeys(main + large + check))
    with torch_threads(cfg.threads):
        done = dict(zip(unique, run_many(unique, progress=progress, scheduler=scheduler, device=device)))
    res = [done[c] for c in main + large]  # the large-scale run (if any) is stored last
    R = len(main)
    ref = res[R - 1]
    lags, gaps, ungaps, t_at = _gaps(res, ref, cfg.loss_floor)
    C = np.concatenate([r["C"] for r in res])
    times = res[0]["times"]
    sub = np.unique(np.concatenate([np.arange(0, len(times), TRAJ_STRIDE), [len(times) - 1]]))
    traj = with_canonical_sign(np.stack([r["theta_traj"][0, sub] for r in res]), C)  # (R', K', m, 3)
    contrib_t = neuron_contributions(traj)
    final = with_canonical_sign(np.concatenate([r["final_theta"] for r in res]), C)
    contrib = neuron_contributions(final)
    active = active_mask(contrib, cfg.active_fraction)
    angles_t = direction_angle(traj)
    loss = np.concatenate([r["loss_traj"] for r in res])
    kp = _plateau_index(loss[R - 1, sub], times[sub])
    arrays: dict[str, np.ndarray] = {
        "times": times,
        "traj_times": times[sub],
        "scales": np.array(cfg.scales + ((cfg.large_scale,) if large else ())),
        "n_main": np.array(R),
        "seeds": np.concatenate([r["seeds"] for r in res]),
        "growth_rate": ref["growth_rate"],
        "C": C,
        "theta0_norm": np.array([float(np.linalg.norm(r["theta0"])) for r in res]),
        "most_inflated": np.array([int(np.argmax(np.linalg.norm(r["theta0"][0], axis=-1))) for r in res]),
        "lag": lags,
        "aligned_gap": gaps,
        "unaligned_gap": ungaps,
        "t_at_max": t_at,
        "loss_traj": loss,
        "theta_traj": traj,
        "final_theta": final,
        "final_loss": np.concatenate([r["final_loss"] for r in res]),
        "final_time": np.concatenate([r["final_time"] for r in res]),
        "status": np.concatenate([r["status"] for r in res]),
        "steps": np.concatenate([r["steps"] for r in res]),
        "gen_error": np.concatenate([r["gen_error"] for r in res]),
        "contrib": contrib,
        "active": active,
        "contrib_t": contrib_t,
        "n_active_t": active_mask(contrib_t, cfg.active_fraction).sum(-1),
        "participation_t": participation_ratio(contrib_t),
        "angles_t": angles_t,
        "plateau_index": np.array(kp),
    }
    if check:
        rc = [done[c] for c in check]
        _, g_check, _, _ = _gaps(rc, rc[-1], cfg.loss_floor)
        arrays["check_aligned_gap"] = g_check
        arrays["check_gen_error"] = np.concatenate([r["gen_error"] for r in rc])
        arrays["check_n_active"] = active_mask(
            neuron_contributions(
                with_canonical_sign(np.concatenate([r["final_theta"] for r in rc]), C[R - 2 : R])
            ),
            cfg.active_fraction,
        ).sum(-1)
    wall = float(sum(float(r["wall_time"]) for r in done.values()))
    return fig5_summary(cfg, arrays, compute_s=wall, runtime_s=time.perf_counter() - t0), arrays


def fig5_summary(
    cfg: Config, arrays: dict[str, np.ndarray], *, compute_s: float, runtime_s: float
) -> dict[str, Any]:
    """The JSON-able summary (``result.json``) of a Figure 5 run (the trials; the large-scale run separately)."""
    R = int(arrays["n_main"])
    ref = R - 1
    al, un = arrays["aligned_gap"][:ref], arrays["unaligned_gap"][:ref]
    active = arrays["active"]
    n_active = active.sum(-1)
    kp = int(arrays["plateau_index"])
    spread_plateau = angular_spread(arrays["angles_t"][ref, kp])
    spread_active = angular_spread(arrays["angles_t"][ref, -1], active[ref])
    statuses = [Status(int(s)).name.lower() for s in arrays["status"]]
    main = slice(0, R)
    loss_ref, times = arrays["loss_traj"][ref], arrays["times"]
    below = np.flatnonzero((loss_ref < 1e-2) & (times > 0))
    t_second = float(times[below[0]]) if below.size else float("nan")  # first checkpoint below 1e-2
    n_t = arrays["n_active_t"][ref]
    changes = np.flatnonzero(n_t[1:] != n_t[:-1])
    t_settled = float(arrays["traj_times"][changes[-1] + 1]) if changes.size else 0.0
    largest_C = [
        bool(set(np.flatnonzero(active[i])) == set(np.argsort(-np.abs(arrays["C"][i]))[: n_active[i]]))
        for i in range(R)
    ]

    def fl(xs: np.ndarray) -> list[float]:
        return [float(x) for x in xs]

    out: dict[str, Any] = {
        "figure": "fig5",
        "paper": "arXiv:2405.13787, Figure 5",
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "paper_reported": PAPER_FIG5,
        "c_ratio_note": "C_i/C_1 = base + slope (i - 1) is applied for i >= 2; at i = 1 the caption's formula would "
        "give 1.5, impossible for C_1/C_1",
        "ratio_reading": cfg.ratio_reading,
        "ratio_reading_text": RATIO_READING_TEXT[cfg.ratio_reading],
        "ratio_readings_available": {
            k: {"c_ratio_base": v[0], "c_ratio_slope": v[1], "text": RATIO_READING_TEXT[k]}
            for k, v in RATIO_READINGS.items()
        },
        "gap_definition": "max over the reference's checkpoint times t in the common window (both losses >= "
        f"{cfg.loss_floor:g}) of |log10 loss(t + lag) - log10 loss_ref(t)|, cubic spline in t; reference = "
        "smallest-scale trial; lag = log(|C_ref|/|C|)/|z| (Theorem 1), 0 for the unaligned gap",
        "active_criterion": f"max over x in [-2, 2] of |a_k sigma(w_k.(x, 1))| >= {cfg.active_fraction:g} x the "
        "largest neuron's, at the end of the run",
        "seeds": [int(s) for s in arrays["seeds"][main]],
        "scales": list(cfg.scales),
        "theta0_norm": fl(arrays["theta0_norm"][main]),
        "C_norm": [float(np.linalg.norm(c)) for c in arrays["C"][main]],
        "growth_rate": float(arrays["growth_rate"][0]),
        "shift_used": fl(arrays["lag"][main]),
        "aligned_gap": fl(arrays["aligned_gap"][main]),
        "unaligned_gap": fl(arrays["unaligned_gap"][main]),
        "gap_at_time": fl(arrays["t_at_max"][main]),
        "max_aligned_gap": float(np.nanmax(al)),
        "min_unaligned_gap": float(np.nanmin(un)),
        "n_active": [int(x) for x in n_active[main]],
        "active_neurons": [[int(k) + 1 for k in np.flatnonzero(a)] for a in active[main]],  # 1-based
        "same_active_set_as_reference": [bool((active[i] == active[ref]).all()) for i in range(R)],
        "active_are_largest_C": largest_C,
        "t_active_settled": t_settled,
        "t_loss_below_1e-2": t_second,
        "n_active_1pct": [int(x) for x in active_mask(arrays["contrib"][main], 0.01).sum(-1)],
        "participation_ratio": fl(participation_ratio(arrays["contrib"][main])),
        "plateau_time": float(arrays["traj_times"][kp]),
        "plateau_loss": float(
            arrays["loss_traj"][ref, np.searchsorted(arrays["times"], arrays["traj_times"][kp])]
        ),
        "angular_spread_plateau_deg": spread_plateau,
        "angular_spread_active_end_deg": spread_active,
        "final_loss": fl(arrays["final_loss"][main]),
        "final_time": fl(arrays["final_time"][main]),
        "status": statuses[:R],
        "gen_error": fl(arrays["gen_error"][main]),
        "horizon": cfg.t_max,
        "test_set": "1000 points, grid on [-2, 2]",
        "compute_s": compute_s,
        "runtime_s": runtime_s,
    }
    if "check_aligned_gap" in arrays:  # the two smallest-scale trials at check_rtol
        ck = float(arrays["check_aligned_gap"][0])
        out["check_rtol"] = cfg.check_rtol
        out["check_trials"] = [R - 1, R]  # 1-based
        out["check_aligned_gap"] = ck
        out["check_abs_change_of_gap"] = abs(ck - float(arrays["aligned_gap"][R - 2]))
        out["check_n_active"] = [int(x) for x in arrays["check_n_active"]]
        out["check_rel_change_gen_error"] = float(
            np.max(np.abs(arrays["check_gen_error"] / arrays["gen_error"][R - 2 : R] - 1))
        )
    if arrays["scales"].size > R:
        out["large_scale_run"] = {
            "seed": int(arrays["seeds"][R]),
            "scale": float(arrays["scales"][R]),
            "theta0_norm": float(arrays["theta0_norm"][R]),
            "shift_used": float(arrays["lag"][R]),
            "aligned_gap": float(arrays["aligned_gap"][R]),
            "unaligned_gap": float(arrays["unaligned_gap"][R]),
            "n_active": int(n_active[R]),
            "active_neurons": [int(k) + 1 for k in np.flatnonzero(active[R])],
            "largest_initial_neuron": int(arrays["most_inflated"][R]) + 1,  # 1-based
            "final_loss": float(arrays["final_loss"][R]),
            "gen_error": float(arrays["gen_error"][R]),
        }
    out["headline"] = [
        f"aligned log10-loss gap {out['max_aligned_gap']:.1e} at most vs unaligned {out['min_unaligned_gap']:.2f} at "
        f"least; shifts {', '.join(f'{x:.2f}' for x in arrays['lag'][:ref])}",
        f"active neurons (>= {cfg.active_fraction:g} of the largest) {', '.join(str(int(x)) for x in n_active[main])} "
        f"of {cfg.width}; generalization error {', '.join(f'{x:.2e}' for x in arrays['gen_error'][main])}",
    ]
    return out
