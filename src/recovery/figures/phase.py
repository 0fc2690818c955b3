"""Phase diagram of Example 1 (arXiv:2405.13787): which set gradient flow reaches over (n, c = C₂/C₁, scale).

The paper's abstract: under small initialization the trajectory and its limit are determined by the normalized
initial imbalance vector C(θ₀)/‖C(θ₀)‖ (we read this as Theorem 1, whose conclusion was not available to us, and
take C from our derivation on the intro page *(ours)*), i.e. for width 2 by the ratio c = C₂/C₁. Here the ratio is prescribed: each
seed's θ̂ is drawn from a standard Gaussian, scaled by s, and its second neuron rescaled so that C₂/C₁ = c
(:func:`recovery.theory.rescale_to_ratios`). For every (scale, n, c) a few seeds are trained (the direction of
the remaining components of θ̂ may matter at finite scale), and each run is classified by the rule of
:mod:`recovery.figures.thresholds`: recovered exactly at Q¹ / at Q², near miss (passes the paper's threshold
without being recovered exactly), spurious interpolant, not interpolating.

Symmetries *(ours)*: c and −c are the same run up to flipping the sign of neuron 2, (a₂, w₂) → (−a₂, −w₂),
which leaves f_θ (tanh is odd) and the gradient flow unchanged, so they reach the same function exactly; c and
1/c swap the roles of the two neurons, the same up to the remaining components of θ̂, so the same set for
small s. The grid therefore covers 0 < c ≤ 1, and a subset is re-run at −c and 1/c to check both statements.

All cells (and the mirror checks) are one list of :class:`~recovery.sweeps.RunConfig` passed to
:func:`~recovery.sweeps.run_many` once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import __version__
from ..cache import ResultCache, code_hash
from ..config import (
    Invalid,
    ParameterError,
    UserConfig,
    check_choice,
    check_float,
    check_float_list,
    check_int,
    check_int_list,
    spec,
)
from ..core.data import DESIGNS
from ..core.dynamics import Status, single_thread
from ..core.outcomes import (
    CLASSIFICATION_RULE,
    OUTCOME_KEYS,
    OUTCOME_NAMES,
    OUTCOME_RULE,
    Outcome,
    check_outcome_rule,
    is_recovered,
    optimistic_sample_size,
    recovery_rule_text,
    with_outcomes,
)
from ..core.theory import RECOVERY_THRESHOLD
from ..experiments.convergence_sets import PAPER_FIG3
from ..sweeps import RunConfig, run_many

DESCRIPTION = "Phase diagram: set reached (Q1, Q2, spurious) over sample size n, ratio c = C2/C1 and scale"

MIXED = 0  # consensus code of a cell whose seeds disagree
CELL_NAMES = {MIXED: "mixed (seeds disagree)", **{int(k): v for k, v in OUTCOME_NAMES.items()}}
CELL_KEYS = {MIXED: "mixed", **{int(k): v for k, v in OUTCOME_KEYS.items()}}

PAPER_SIZE: dict[str, Any] = {"seeds": 10, "c_points": 81, "scales": [1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-12]}
QUICK_SIZE: dict[str, Any] = {
    "seeds": 1,
    "c_points": 9,
    "scales": [1e-8],
    "n_values": [3, 4, 5],
    "t_max": 1e6,
    "mirror_every": 4,
}


def distinct_largest_first(scales: tuple[float, ...]) -> tuple[float, ...]:
    """must be distinct; stored largest first"""
    if len(set(scales)) != len(scales):
        raise Invalid("must be distinct")
    return tuple(sorted(scales, reverse=True))


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the phase diagram (defaults: the book size).

    * ``n_values``: sample sizes (``design`` inputs: ``even`` = n points evenly spaced on [−2, 2];
      ``gaussian`` = n N(0, 1) draws with data seed ``data_seed``, shared by all runs).
    * ``c_min``, ``c_max``, ``c_points``: the prescribed ratios c = C₂/C₁, log-spaced (c_max = 1 lands exactly
      on the symmetric point c = 1).
    * ``seeds``/``first_seed``: initializations per cell (θ̂ before rescaling); ``scales``: initialization
      scales.
    * ``t_max``, ``rtol``, ``checkpoints_per_decade``: the integrator; the rule for *recovered exactly*: ``threshold``,
      ``strict_threshold``, ``interpolation_loss``, ``min_decay``, ``max_gap`` as in the thresholds chapter.
    * ``mirror_every``: every k-th c of the grid is re-run at −c and 1/c at the smallest scale (0: off).
    """

    n_values: tuple[int, ...] = spec((2, 3, 4, 5, 6, 7), check_int_list, 1, 1000)
    c_min: float = spec(0.01, check_float, 0.0, 1.0, low_open=True)
    c_max: float = spec(1.0, check_float, 0.0, 100.0, low_open=True)
    c_points: int = spec(61, check_int, 2, 1000)
    seeds: int = spec(3, check_int, 1, 10_000)
    first_seed: int = spec(0, check_int, 0)
    scales: tuple[float, ...] = spec(
        (1e-2, 1e-4, 1e-8),
        check_float_list,
        0.0,
        high=1e3,
        low_open=True,
        min_len=1,
        max_len=20,
        then=distinct_largest_first,
        order=-1,
    )
    design: str = spec("even", check_choice, DESIGNS)
    data_seed: int = spec(0, check_int, 0)
    t_max: float = spec(1e10, check_float, 0.0, 1e12, low_open=True)
    rtol: float = spec(1e-4, check_float, 0.0, 0.1, low_open=True)
    checkpoints_per_decade: int = spec(4, check_int, 1, 1000)
    threshold: float = OUTCOME_RULE["threshold"].field(RECOVERY_THRESHOLD)
    strict_threshold: float = OUTCOME_RULE["strict_threshold"].field(1e-16)
    interpolation_loss: float = OUTCOME_RULE["interpolation_loss"].field(1e-10)
    min_decay: float = OUTCOME_RULE["min_decay"].field(10.0)
    max_gap: float = OUTCOME_RULE["max_gap"].field(100.0)
    mirror_every: int = spec(4, check_int, 0, 1000)

    def validate(self, given: dict[str, Any]) -> None:
        check_outcome_rule(self, given)
        if self.c_max <= self.c_min:
            raise ParameterError("c_max", self.c_max, f"must be > c_min={self.c_min:g}")

    def c_grid(self) -> np.ndarray:
        """The prescribed ratios c = C₂/C₁, log-spaced from ``c_min`` to ``c_max`` (both included exactly)."""
        g = np.logspace(math.log10(self.c_min), math.log10(self.c_max), self.c_points)
        g[0], g[-1] = self.c_min, self.c_max
        return g

    def mirror_c(self) -> np.ndarray:
        """The ratios re-run at −c and 1/c (every ``mirror_every``-th grid value; empty when off)."""
        return self.c_grid()[:: self.mirror_every] if self.mirror_every else np.zeros(0)

    def cell(self, scale: float, n: int, c: float) -> RunConfig:
        return RunConfig(
            seeds=self.seeds,
            first_seed=self.first_seed,
            init_scale=scale,
            n_samples=n,
            design=self.design,
            data_seed=self.data_seed,
            data_per_trial=False,
            c_ratio_base=float(c),
            t_max=self.t_max,
            rtol=self.rtol,
            checkpoints_per_decade=self.checkpoints_per_decade,
        )

    def cells(self) -> list[RunConfig]:
        """The grid (scale-major, then n, then c), then the mirror runs (smallest scale; per n: −c, 1/c)."""
        grid = [self.cell(s, n, c) for s in self.scales for n in self.n_values for c in self.c_grid()]
        s0 = self.scales[-1]
        mirror = [
            self.cell(s0, n, sign)
            for n in self.n_values
            for sign in [-c for c in self.mirror_c()] + [1.0 / c for c in self.mirror_c()]
        ]
        return grid + mirror


# --- pure functions -----------------------------------------------------------------------------------------


def consensus(outcome: np.ndarray) -> np.ndarray:
    """Per cell, the outcome shared by all seeds (last axis), or :data:`MIXED`: ``(..., S)`` → ``(...)``."""
    o = np.asarray(outcome)
    same = (o == o[..., :1]).all(-1)
    return np.where(same, o[..., 0], MIXED).astype(np.int8)


def segments(c: np.ndarray, codes: np.ndarray) -> list[dict[str, Any]]:
    """Maximal runs of equal consensus along the c grid, with boundaries at the geometric midpoints between
    neighbouring grid values (``None`` at the ends of the grid)."""
    out: list[dict[str, Any]] = []
    start = 0
    for i in range(1, len(c) + 1):
        if i == len(c) or codes[i] != codes[start]:
            out.append(
                {
                    "set": CELL_KEYS[int(codes[start])],
                    "code": int(codes[start]),
                    "c_first": float(c[start]),
                    "c_last": float(c[i - 1]),
                    "boundary_low": float(math.sqrt(c[start - 1] * c[start])) if start > 0 else None,
                    "boundary_high": float(math.sqrt(c[i - 1] * c[i])) if i < len(c) else None,
                }
            )
            start = i
    return out


def q1_onset(segs: list[dict[str, Any]]) -> dict[str, Any]:
    """Where recovery at Q¹ starts: the last segment, if it is Q¹ and reaches the end of the grid (c → 1).

    ``boundary``: the geometric midpoint below its first c (``None`` if Q¹ everywhere); ``c_first``: its first
    c; ``only_at_end``: Q¹ only at the last grid value (c = 1: the zero-measure set of the optimistic size).
    """
    last = segs[-1] if segs else None
    if last is None or last["code"] != int(Outcome.RECOVERED_Q1):
        return {"boundary": None, "c_first": None, "only_at_end": False, "exists": False}
    return {
        "boundary": last["boundary_low"],
        "c_first": last["c_first"],
        "only_at_end": last["c_first"] == last["c_last"] and len(segs) > 1,
        "exists": True,
    }


def windows(segs: list[dict[str, Any]], code: int) -> list[list[float | None]]:
    """The [low, high] boundaries of every segment with consensus ``code``."""
    return [[s["boundary_low"], s["boundary_high"]] for s in segs if s["code"] == code]


# --- computation --------------------------------------------------------------------------------------------


def compute(
    cfg: Config,
    *,
    progress: bool = True,
    scheduler: str | None = None,
    device: str = "cpu",
    cache: ResultCache | None = None,
) -> dict[str, np.ndarray]:
    """Run (or load) every cell with ONE call of :func:`run_many`; arrays ``(scales, n, c, seeds)`` and the
    mirror runs ``(n, mirror c, seeds)`` (``neg_*`` for −c, ``inv_*`` for 1/c) at the smallest scale."""
    configs = cfg.cells()
    t0 = time.perf_counter()
    with single_thread():
        results = with_outcomes(
            cfg, configs, run_many(configs, cache, progress=progress, scheduler=scheduler, device=device)
        )
    elapsed = time.perf_counter() - t0
    Sc, N, C = len(cfg.scales), len(cfg.n_values), cfg.c_points
    main, mirror = results[: Sc * N * C], results[Sc * N * C :]

    def grid(rs: list[dict[str, np.ndarray]], key: str, shape: tuple[int, ...]) -> np.ndarray:
        a = np.stack([r[key] for r in rs])
        return a.reshape(*shape, *a.shape[1:])

    keys = ("gen_error", "outcome", "label", "status", "final_loss", "ratio", "C")
    st = {k: grid(main, k, (Sc, N, C)) for k in keys}
    st["consensus"] = consensus(st["outcome"])
    M = len(cfg.mirror_c())
    if M:
        mir = {k: grid(mirror, k, (N, 2, M)) for k in ("gen_error", "outcome", "C")}
        for j, tag in enumerate(("neg", "inv")):
            for k in mir:
                st[f"{tag}_{k}"] = mir[k][:, j]
    st["c_grid"] = cfg.c_grid()
    st["c_mirror"] = cfg.mirror_c()
    st["scales"] = np.array(cfg.scales)
    st["n_values"] = np.array(cfg.n_values)
    st["seeds"] = main[0]["seeds"]
    st["wall_time"] = np.array(sum(float(r["wall_time"]) for r in results))
    st["call_time"] = np.array(elapsed)
    return st


def mirror_indices(cfg: Config) -> np.ndarray:
    """Positions of the mirror ratios in the c grid."""
    return np.arange(0, cfg.c_points, cfg.mirror_every) if cfg.mirror_every else np.zeros(0, int)


def mirror_checks(cfg: Config, st: dict[str, np.ndarray]) -> dict[str, Any]:
    """Compare the −c and 1/c runs with the c runs at the smallest scale (same seeds)."""
    if not cfg.mirror_every:
        return {}
    idx = mirror_indices(cfg)
    base_o = st["outcome"][-1][:, idx]  # (N, M, S)
    base_g = st["gen_error"][-1][:, idx]
    neg_same = st["neg_outcome"] == base_o
    inv_same = st["inv_outcome"] == base_o
    g1, g2 = base_g, st["neg_gen_error"]
    big = (g1 > cfg.strict_threshold) | (g2 > cfg.strict_threshold)
    rel = np.abs(g1 - g2) / np.maximum(np.maximum(g1, g2), 1e-300)
    C2C1_neg = st["neg_C"][..., 1] / st["neg_C"][..., 0]
    C2C1_inv = st["inv_C"][..., 1] / st["inv_C"][..., 0]
    c = st["c_mirror"][None, :, None]
    return {
        "c_values": [float(v) for v in st["c_mirror"]],
        "scale": cfg.scales[-1],
        "neg_same_outcome_fraction": float(neg_same.mean()),
        "neg_max_relative_error_difference": float(rel[big].max()) if big.any() else 0.0,
        "inv_same_outcome_fraction": float(inv_same.mean()),
        "inv_disagreements": [
            {
                "n": int(cfg.n_values[i]),
                "c": float(st["c_mirror"][j]),
                "seed": int(st["seeds"][k]),
                "at_c": CELL_KEYS[int(base_o[i, j, k])],
                "at_1_over_c": CELL_KEYS[int(st["inv_outcome"][i, j, k])],
            }
            for i, j, k in zip(*np.nonzero(~inv_same))
        ],
        "prescribed_ratio_error": float(max(np.abs(C2C1_neg + c).max(), np.abs(C2C1_inv * c - 1).max())),
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def summarize(cfg: Config, st: dict[str, np.ndarray]) -> dict[str, Any]:
    """The JSON-able summary (``result.json`` of the CLI).

    Per (scale, n): the segments of the set reached along c and their boundaries, the Q¹ onset and Q² windows;
    agreement across seeds and scales; the mirror checks.
    """
    c = st["c_grid"]
    cells: dict[str, dict[str, Any]] = {}
    onset: dict[str, dict[str, Any]] = {}
    q2w: dict[str, dict[str, Any]] = {}
    for i, s in enumerate(cfg.scales):
        key = f"{s:g}"
        cells[key], onset[key], q2w[key] = {}, {}, {}
        for j, n in enumerate(cfg.n_values):
            segs = segments(c, st["consensus"][i, j])
            cells[key][str(n)] = segs
            onset[key][str(n)] = q1_onset(segs)
            q2w[key][str(n)] = windows(segs, int(Outcome.RECOVERED_Q2))
    S = cfg.seeds
    seed_agree = {f"{s:g}": float((st["consensus"][i] != MIXED).mean()) for i, s in enumerate(cfg.scales)}
    scale_agree = {
        f"{s:g}": float((st["outcome"][i] == st["outcome"][-1]).mean()) for i, s in enumerate(cfg.scales)
    }
    rec = is_recovered(st["outcome"])  # ends on Q¹ ∪ Q² (our rule)
    fraction_recovered_exact = {
        f"{s:g}": {str(n): float(rec[i, j].mean()) for j, n in enumerate(cfg.n_values)}
        for i, s in enumerate(cfg.scales)
    }
    passes = st["gen_error"] < cfg.threshold  # the paper's rule
    fraction_passes_threshold = {
        f"{s:g}": {str(n): float(passes[i, j].mean()) for j, n in enumerate(cfg.n_values)}
        for i, s in enumerate(cfg.scales)
    }
    s0 = f"{cfg.scales[-1]:g}"
    n6 = onset[s0].get("6", {})
    fig3 = {
        "paper_threshold_low": PAPER_FIG3["threshold_low"],
        "paper_threshold_high": PAPER_FIG3["threshold_high"],
        "paper_setting": "n = 6 evenly spaced, s = 1e-8, 400 random seeds (Figure 3's caption)",
        "measured_q1_boundary_n6": n6.get("boundary"),
        "measured_scale": cfg.scales[-1],
        "comparable": cfg.design == "even" and 6 in cfg.n_values,
    }
    opt = optimistic_sample_size()

    def fmt(o: dict[str, Any]) -> str:
        if not o["exists"]:
            return "none"
        if o["only_at_end"]:
            return f"only the last grid point c={o['c_first']:g}"
        return "all c" if o["boundary"] is None else f"c>{o['boundary']:.3f}"

    statuses = {Status(int(v)).name.lower(): int((st["status"] == v).sum()) for v in np.unique(st["status"])}
    headline = [
        f"Q1 onset at s={s0}: " + ", ".join(f"n={n}: {fmt(onset[s0][str(n)])}" for n in cfg.n_values),
        f"Q2 windows at s={s0}: "
        + ", ".join(
            f"n={n}: "
            + (
                "none"
                if not q2w[s0][str(n)]
                else " & ".join(f"[{_r(w[0])}, {_r(w[1])}]" for w in q2w[s0][str(n)])
            )
            for n in cfg.n_values
        ),
        "same outcome as the smallest scale: "
        + ", ".join(f"s={k}: {v:.2f}" for k, v in scale_agree.items())
        + f"; compute {float(st['wall_time']):.1f} s",
    ]
    summary = {
        "figure": "phase",
        "paper": "arXiv:2405.13787, abstract and Figure 3's caption (the phase diagram itself is ours)",
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "c_grid": [float(v) for v in c],
        "cell_rule": "consensus over the seeds of a cell; 'mixed' if they disagree",
        "recovered_exact_rule": recovery_rule_text(cfg),
        "passes_threshold_rule": f"generalization error < {cfg.threshold:g} (the paper's rule)",
        "classification_rule": CLASSIFICATION_RULE,
        "segments": cells,
        "q1_onset": onset,
        "q2_windows": q2w,
        "fraction_recovered_exact": fraction_recovered_exact,
        "fraction_passes_threshold": fraction_passes_threshold,
        "seed_agreement": seed_agree,
        "agreement_with_smallest_scale": scale_agree,
        "mirror": mirror_checks(cfg, st),
        "optimistic_sample_size": opt,
        "fig3_comparison": fig3,
        "test_set": "1000 points, grid on [-2, 2]"
        if cfg.design == "even"
        else "1000 N(0, 1) draws, seed 12345",
        "horizon": cfg.t_max,
        "trials": int(
            st["outcome"].size + sum(st[k].size for k in ("neg_outcome", "inv_outcome") if k in st)
        ),
        "seeds_per_cell": S,
        "status_counts": statuses,
        "runtime_s": float(st["wall_time"]),
        "headline": headline,
    }
    summary["glue"] = glue_values(cfg, summary, st)
    return summary


def _range_text(w: list[float | None]) -> str:
    lo = "the smallest c" if w[0] is None else f"{w[0]:.3f}"
    hi = "c = 1" if w[1] is None else f"{w[1]:.3f}"
    return f"{lo} – {hi}"


def _segments_text(summary: dict[str, Any], n: int, key: str) -> str:
    segs = summary["segments"].get(key, {}).get(str(n))
    if segs is None:
        return "not run"
    return "; ".join(
        f"{CELL_NAMES[g['code']]} for c in [{g['c_first']:.3g}, {g['c_last']:.3g}]" for g in segs
    )


def glue_values(cfg: Config, summary: dict[str, Any], st: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (JSON-able; NaN where the run leaves it undefined):
    at the smallest scale, per n = 2..7, the Q¹ onset, the Q² windows and the segments along c (also at the
    largest scale), the comparison with Figure 3, the mirror checks and the agreement across seeds and scales."""
    nan = float("nan")
    c = st["c_grid"]
    s0 = f"{cfg.scales[-1]:g}"  # the smallest scale
    out: dict[str, Any] = {
        "n_seeds": cfg.seeds,
        "c_points": cfg.c_points,
        "c_min": cfg.c_min,
        "c_max": cfg.c_max,
        "c_step": 100 * (float(c[1] / c[0]) - 1),
        "smallest_scale": cfg.scales[-1],
        "largest_scale": cfg.scales[0],
        "horizon": cfg.t_max,
        "runtime": summary["runtime_s"],
        "call_time": float(st["call_time"]),
        "n_trials": summary["trials"],
        "opt": summary["optimistic_sample_size"],
    }
    for n in range(2, 8):
        o = summary["q1_onset"][s0].get(str(n))
        out[f"q1_n{n}"] = nan if not o or not o["exists"] or o["boundary"] is None else o["boundary"]
        q2 = summary["q2_windows"][s0].get(str(n))
        out[f"q2_n{n}"] = (
            "not run" if q2 is None else ("none" if not q2 else " and ".join(_range_text(w) for w in q2))
        )
        out[f"segs_n{n}"] = _segments_text(summary, n, s0)
        out[f"segs_big_n{n}"] = _segments_text(summary, n, f"{cfg.scales[0]:g}")
    f3 = summary["fig3_comparison"]
    out["fig3_low"] = f3["paper_threshold_low"]
    out["fig3_high"] = f3["paper_threshold_high"]
    out["fig3_ours"] = nan if f3["measured_q1_boundary_n6"] is None else f3["measured_q1_boundary_n6"]
    out["fig3_ours_inv"] = nan if f3["measured_q1_boundary_n6"] is None else 1 / f3["measured_q1_boundary_n6"]
    o6 = summary["q1_onset"][s0].get("6")
    k6 = int(np.searchsorted(c, o6["c_first"])) if o6 and o6["exists"] else 0
    out["fig3_c_above"] = float(c[k6]) if k6 > 0 else nan  # first grid ratio reaching Q1 at n = 6
    out["fig3_c_below"] = float(c[k6 - 1]) if k6 > 0 else nan  # last one reaching Q2
    mir = summary["mirror"]
    out["mirror_neg"] = 100 * mir.get("neg_same_outcome_fraction", nan)
    out["mirror_neg_diff"] = mir.get("neg_max_relative_error_difference", nan)
    out["mirror_inv"] = 100 * mir.get("inv_same_outcome_fraction", nan)
    out["mirror_n"] = len(mir.get("c_values", []))
    agree = summary["agreement_with_smallest_scale"]
    out["agree_largest"] = 100 * agree[f"{cfg.scales[0]:g}"]
    out["seeds_agree_largest"] = 100 * summary["seed_agreement"][f"{cfg.scales[0]:g}"]
    out["seeds_agree_smallest"] = 100 * summary["seed_agreement"][s0]
    out["agree_second"] = 100 * agree[f"{cfg.scales[1]:g}"] if len(cfg.scales) > 1 else nan
    out["second_scale"] = cfg.scales[1] if len(cfg.scales) > 1 else nan
    return out


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) the phase diagram and summarize it (``result.json``)."""
    st = compute(cfg, progress=progress, scheduler=scheduler, device=device)
    return summarize(cfg, st), st
