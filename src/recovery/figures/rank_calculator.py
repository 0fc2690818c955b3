"""Related results: the model-rank calculator and recovery at the model rank (arXiv:2307.08921, 2406.18035).

1. The calculator (:func:`recovery.related_rank.calculator_rows`): the model rank at a target, computed from
   Jacobians, for two-layer tanh networks with and without bias, the matrix factorization W = AB, and 1-D and
   2-D convolutional networks against fully connected ones, next to the closed-form values.
2. Matrix completion 4 × 4: a generic rank-r target M (M = UVᵀ/√r, U, V Gaussian), n observed entries drawn
   uniformly, W = AB (hidden width 4, 32 parameters) trained by gradient flow from A₀ = s·Â, B₀ = s·B̂
   (:func:`recovery.completion.gradient_flow`, all trials in ONE batched call). A trial *recovers* if
   ‖W − M‖_F/‖M‖_F < ``recovery_tol`` on all 16 entries. Expected: no recovery below the model rank
   2rd − r² (7, 12, 15, 16), recovery from there on, far below the 32 parameters.
3. A tanh network at a reduced size: width ``tanh_width`` (3·width parameters), target tanh(x + 1) (model
   rank 3), n evenly spaced points on [−2, 2], ``tanh_seeds`` small initializations per n, one
   :func:`recovery.sweeps.run_many` call; generalization error on 1000 grid points of [−2, 2].

The matrix-completion runs are cached on disk (:class:`recovery.cache.ResultCache`, kind ``rank_calculator``)
by their parameters and the code hash, like every sweep of the package.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import ResultCache, code_hash
from ..config import ParameterError, UserConfig, check_float, check_int, check_int_list, spec
from ..core.dynamics import single_thread
from ..related.completion import (
    gradient_flow,
    initial_factors,
    is_connected,
    random_low_rank,
    random_pattern,
    spanning_tree_fraction,
)
from ..related.rank import (
    LLR_KINDS,
    LLR_NAMES,
    LLR_PUBLISHED,
    LocalNet,
    calculator_rows,
    formula_llr,
    formula_matrix_factorization,
    published_rows,
    train_llr,
)
from ..sweeps import RunConfig, run_many

DESCRIPTION = (
    "Related: model-rank calculator (tanh, W=AB, CNN vs FCN) and recovery at the model rank (4x4 completion)"
)

PAPER = {
    "source": "arXiv:2307.08921 (optimistic estimate), arXiv:2406.18035 (local linear recovery); values as in "
    "SCIENCE.md (research notes)",
    "tanh_no_bias_d5": {1: 6, 2: 12, 3: 18},
    "tanh_bias_example1": 3,
    "mf_4x4": {1: 7, 2: 12, 3: 15, 4: 16},
}

# What the LLR paper's available text publishes (SCIENCE.md, "Related papers"): model ranks of the Figure-3 target
# (1-D, d = 5, kernel 3, hidden bias) and the 2-D per-kernel closed forms at d = 28, s = 3
PUBLISHED = {
    "source": "arXiv:2406.18035 (local linear recovery), Figure 3 and its 2-D closed forms, as stated in "
    "SCIENCE.md 'Related papers'",
    "ranks": {f"{dim} {kind}": v for (dim, kind), v in LLR_PUBLISHED.items()},
}

PAPER_SIZE: dict[str, Any] = {"mc_patterns": 30, "tanh_seeds": 30}
QUICK_SIZE: dict[str, Any] = {
    "llr_n_values": [5, 9, 25],
    "llr_seeds": 2,
    "llr_steps": 500,
    "llr_multipliers": [1, 2],
    "mc_ranks": [1, 2],
    "mc_patterns": 3,
    "mc_n_values": [6, 7, 11, 12],
    "tanh_seeds": 2,
    "tanh_n_values": [2, 3, 6],
    "tanh_t_max": 1e4,
    "mc_t_max": 1e4,
}


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the chapter (defaults: the book size).

    Calculator: ``tanh_d`` input dimension of the bias-free tanh rows (targets of 1..``tanh_k_max`` neurons,
    widths ``tanh_widths``); the bias rows use Example 1's raw input dimension 1. ``conv_length``/``conv_kernel``
    (1-D) and ``conv2d_length``/``conv2d_kernel`` (2-D) size the CNN rows. ``seed``: the generic target points.

    Matrix completion (d = 4, hidden width 4): ``mc_ranks``, ``mc_n_values`` (observed entries),
    ``mc_patterns`` (targets × patterns per (rank, n)), ``mc_scale`` s, ``mc_t_max``, ``mc_rtol`` and
    ``recovery_tol`` (relative Frobenius error on the whole matrix).

    Tanh network: ``tanh_width``, ``tanh_n_values``, ``tanh_seeds``, ``tanh_scale``, ``tanh_t_max``.
    """

    tanh_d: int = spec(5, check_int, 1, 20)
    tanh_k_max: int = spec(3, check_int, 1, 6)
    tanh_widths: tuple[int, ...] = spec((3, 6), check_int_list, 1, 20, max_len=6)
    conv_length: int = spec(6, check_int, 2, 12)
    conv_kernel: int = spec(3, check_int, 1, 12)
    conv2d_length: int = spec(4, check_int, 2, 5)
    conv2d_kernel: int = spec(2, check_int, 1, 5)
    seed: int = spec(0, check_int, 0)
    mc_ranks: tuple[int, ...] = spec((1, 2, 3, 4), check_int_list, 1, 4, max_len=4)
    mc_n_values: tuple[int, ...] = spec(tuple(range(1, 17)), check_int_list, 1, 16, max_len=16)
    mc_patterns: int = spec(10, check_int, 1, 200)
    mc_scale: float = spec(1e-8, check_float, 0.0, 0.1, low_open=True)
    mc_t_max: float = spec(1e5, check_float, 10.0, 1e8)
    mc_rtol: float = spec(1e-6, check_float, 0.0, 1e-3, low_open=True)
    recovery_tol: float = spec(1e-3, check_float, 0.0, 0.5, low_open=True)
    tanh_width: int = spec(4, check_int, 1, 12)
    tanh_n_values: tuple[int, ...] = spec((2, 3, 4, 5, 6, 8, 10, 12, 14), check_int_list, 1, 200, max_len=30)
    tanh_seeds: int = spec(10, check_int, 1, 1000)
    tanh_scale: float = spec(1e-8, check_float, 0.0, 0.1, low_open=True)
    tanh_t_max: float = spec(1e6, check_float, 10.0, 1e10)

    llr_multipliers: tuple[int, ...] = spec((1, 2, 3), check_int_list, 1, 6, max_len=6)
    llr2d_check_d: int = spec(5, check_int, 3, 7)
    llr_multiplier: int = spec(2, check_int, 1, 8)
    llr_n_values: tuple[int, ...] = spec(
        (3, 5, 7, 9, 12, 15, 18, 21, 25, 30, 40), check_int_list, 1, 400, max_len=30
    )
    llr_seeds: int = spec(4, check_int, 1, 100)
    llr_scale: float = spec(1e-2, check_float, 0.0, 1.0, low_open=True)
    llr_lr: float = spec(0.5, check_float, 0.0, 1.0, low_open=True)
    llr_steps: int = spec(8000, check_int, 1, 200000)
    llr_recovery_tol: float = spec(1e-3, check_float, 0.0, 0.5, low_open=True)

    def validate(self, given: dict[str, Any]) -> None:
        if self.conv_kernel > self.conv_length:
            raise ParameterError(
                "conv_kernel", given["conv_kernel"], f"must be <= conv_length={self.conv_length}"
            )
        if self.conv2d_kernel > self.conv2d_length:
            raise ParameterError(
                "conv2d_kernel", given["conv2d_kernel"], f"must be <= conv2d_length={self.conv2d_length}"
            )

    def calculator_params(self) -> dict[str, Any]:
        keys = (
            "tanh_d",
            "tanh_k_max",
            "tanh_widths",
            "conv_length",
            "conv_kernel",
            "conv2d_length",
            "conv2d_kernel",
            "seed",
        )
        return {k: v for k, v in self.params().items() if k in keys}

    def published_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.params().items() if k in ("llr_multipliers", "llr2d_check_d", "seed")}

    def llr_params(self) -> dict[str, Any]:
        keys = ("llr_multiplier", "llr_n_values", "llr_seeds", "llr_scale", "llr_lr", "llr_steps", "seed")
        return {k: v for k, v in self.params().items() if k in keys}

    def mc_params(self) -> dict[str, Any]:
        keys = ("mc_ranks", "mc_n_values", "mc_patterns", "mc_scale", "mc_t_max", "mc_rtol", "seed")
        return {k: v for k, v in self.params().items() if k in keys}

    def tanh_runs(self) -> list[RunConfig]:
        return [
            RunConfig(
                seeds=self.tanh_seeds,
                first_seed=self.seed,
                init_scale=self.tanh_scale,
                n_samples=n,
                design="even",
                width=self.tanh_width,
                t_max=self.tanh_t_max,
                rtol=1e-4,
                checkpoints_per_decade=5,
            )
            for n in self.tanh_n_values
        ]


# ---------------------------------------------------------------------------------------------- computations


def mc_trials(cfg: Config) -> dict[str, np.ndarray]:
    """Targets, patterns and initial factors of every matrix-completion trial, flattened over
    (rank, n, pattern): target seed 1000·r + p + seed, pattern seed 10⁶ + 10⁴·r + 100·n + p + seed."""
    d = 4
    rs, ns, ps, Ms, masks = [], [], [], [], []
    for r in cfg.mc_ranks:
        for n in cfg.mc_n_values:
            for p in range(cfg.mc_patterns):
                rs.append(r), ns.append(n), ps.append(p)
                Ms.append(random_low_rank(1000 * r + p + cfg.seed, d, r))
                masks.append(random_pattern(10**6 + 10**4 * r + 100 * n + p + cfg.seed, d, n))
    return {
        "rank": np.array(rs),
        "n": np.array(ns),
        "pattern": np.array(ps),
        "M": torch.stack(Ms).numpy(),
        "mask": torch.stack(masks).numpy(),
    }


def _in_background(fn: Callable[..., Any], *args: Any) -> Future:
    """Start ``fn(*args)`` in one more Python process, started fresh (``spawn``), and return its future: a page
    whose independent parts are each single-threaded then uses two cores. The numbers are unchanged (the same code
    on the same inputs, in its own process). ``fn`` must be a module-level function."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)


def run_mc(cfg: Config, cache: ResultCache | None = None) -> dict[str, np.ndarray]:
    """Every matrix-completion trial in one batched gradient-flow call (or loaded from the cache)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("rank_calculator", cfg.mc_params())
    if hit is not None:
        return hit
    tr = mc_trials(cfg)
    M, mask = torch.from_numpy(tr["M"]), torch.from_numpy(tr["mask"])
    A0, B0 = initial_factors(list(range(cfg.seed, cfg.seed + len(M))), 4, 4, cfg.mc_scale)
    with single_thread():
        res = gradient_flow(M, mask, A0, B0, t_max=cfg.mc_t_max, rtol=cfg.mc_rtol, checkpoints_per_decade=5)
    W = res.W[:, -1]
    rel = (torch.linalg.matrix_norm(W - M) / torch.linalg.matrix_norm(M)).numpy()
    out = {
        **tr,
        "W": W.numpy(),
        "rel_error": rel,
        "final_loss": res.final_loss.numpy(),
        "status": res.status.numpy(),
        "steps": res.steps.numpy(),
        "wall_time": np.array(res.wall_time),
        "connected": np.array([is_connected(m) for m in tr["mask"]]),
    }
    cache.save("rank_calculator", cfg.mc_params(), out)
    return out


def calculator(cfg: Config, cache: ResultCache | None = None) -> list[dict[str, Any]]:
    """The calculator rows (cached as JSON)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("rank_calculator_table", cfg.calculator_params())
    if hit is not None:
        return json.loads(str(hit["rows"]))
    ks = tuple(range(1, cfg.tanh_k_max + 1))
    rows = calculator_rows(
        tanh_d=cfg.tanh_d,
        tanh_ks=ks,
        tanh_widths=cfg.tanh_widths,
        conv_length=cfg.conv_length,
        conv_kernel=cfg.conv_kernel,
        conv2d_length=cfg.conv2d_length,
        conv2d_kernel=cfg.conv2d_kernel,
        seed=cfg.seed,
    )
    cache.save("rank_calculator_table", cfg.calculator_params(), {"rows": np.array(json.dumps(rows))})
    return rows


def published(cfg: Config, cache: ResultCache | None = None) -> list[dict[str, Any]]:
    """The published model ranks, computed (:func:`recovery.related.rank.published_rows`; cached as JSON)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("rank_calculator_published", cfg.published_params())
    if hit is not None:
        return json.loads(str(hit["rows"]))
    with single_thread():
        rows = published_rows(multipliers=cfg.llr_multipliers, d2_check=cfg.llr2d_check_d, seed=cfg.seed)
    cache.save("rank_calculator_published", cfg.published_params(), {"rows": np.array(json.dumps(rows))})
    return rows


def run_llr(cfg: Config, cache: ResultCache | None = None) -> dict[str, np.ndarray]:
    """Recovery of the LLR Figure-3 target by the CNN, the locally connected and the fully connected network
    (multiplier ``llr_multiplier``): for each model every (n, seed) trial in one batched GD program (cached)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("rank_calculator_llr", cfg.llr_params())
    if hit is not None:
        return hit
    t0 = time.perf_counter()
    out: dict[str, np.ndarray] = {}
    seeds = tuple(range(cfg.seed, cfg.seed + cfg.llr_seeds))
    with single_thread():
        for kind in LLR_KINDS:
            net = LocalNet(kind, 5, 3, 1, cfg.llr_multiplier, True)
            r = train_llr(
                net, cfg.llr_n_values, seeds, scale=cfg.llr_scale, lr=cfg.llr_lr, steps=cfg.llr_steps
            )
            out[f"{kind}_test_error"] = r["test_error"].numpy()
            out[f"{kind}_train_loss"] = r["train_loss"].numpy()
            out["zero_error"] = np.array(float(r["zero_error"]))
            out[f"{kind}_params"] = np.array(net.n_params)
    out["wall_time"] = np.array(time.perf_counter() - t0)
    cache.save("rank_calculator_llr", cfg.llr_params(), out)
    return out


def llr_summary(cfg: Config, llr: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per model: median relative test error (test error / that of f = 0) against n, and the first n from which
    the median stays below ``llr_recovery_tol``."""
    out: dict[str, Any] = {}
    for kind in LLR_KINDS:
        rel = llr[f"{kind}_test_error"] / float(llr["zero_error"])
        med = np.median(rel, axis=1)
        below = med < cfg.llr_recovery_tol
        first = next((n for i, n in enumerate(cfg.llr_n_values) if below[i:].all()), None)
        out[kind] = {
            "model": LLR_NAMES[kind],
            "model_rank": formula_llr(kind, 5, 3, 1, True),
            "params": int(llr[f"{kind}_params"]),
            "median_rel_error": [float(v) for v in med],
            "first_n_below_tol": first,
            "min_rel_error_below_model_rank": float(
                rel[np.array(cfg.llr_n_values) < formula_llr(kind, 5, 3, 1, True)].min()
            )
            if (np.array(cfg.llr_n_values) < formula_llr(kind, 5, 3, 1, True)).any()
            else float("nan"),
            "max_train_loss": float(llr[f"{kind}_train_loss"].max()),
        }
    return out


def transitions(rank: np.ndarray, n: np.ndarray, recovered: np.ndarray, ranks, n_values) -> dict[int, dict]:
    """Per rank: recovered fraction per n, the smallest n with any recovery and with ≥ half recovered."""
    out = {}
    for r in ranks:
        frac = [float(recovered[(rank == r) & (n == k)].mean()) for k in n_values]
        first = next((k for k, f in zip(n_values, frac) if f > 0), None)
        half = next((k for k, f in zip(n_values, frac) if f >= 0.5), None)
        out[int(r)] = {
            "fraction": frac,
            "first_recovery_n": first,
            "half_recovery_n": half,
            "model_rank": formula_matrix_factorization(4, int(r)),
        }
    return out


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The calculator, the matrix-completion trials and the tanh trials."""
    t0 = time.perf_counter()
    # A cold run trains the LLR models (single-threaded, independent of the rest) in a second process while this
    # one computes the calculator, the completion flow and the tanh runs: the same numbers, on two cores.
    cached = ResultCache().load("rank_calculator_llr", cfg.llr_params())
    background = _in_background(run_llr, cfg) if cached is None else None
    rows = calculator(cfg)
    pub = published(cfg)
    mc = run_mc(cfg)
    tanh = run_many(cfg.tanh_runs(), progress=progress, max_batch=10**6, scheduler=scheduler, device=device)
    llr = background.result() if background is not None else cached
    llr_s = llr_summary(cfg, llr)
    recovered = mc["rel_error"] < cfg.recovery_tol
    tr = transitions(mc["rank"], mc["n"], recovered, cfg.mc_ranks, cfg.mc_n_values)
    gen = np.stack([a["gen_error"] for a in tanh])  # (n values, seeds)
    arrays = {
        **{f"mc_{k}": v for k, v in mc.items()},
        "mc_recovered": recovered,
        "tanh_n": np.array(cfg.tanh_n_values),
        "tanh_gen_error": gen,
        "tanh_final_loss": np.stack([a["final_loss"] for a in tanh]),
        "tanh_status": np.stack([a["status"] for a in tanh]),
        "llr_n": np.array(cfg.llr_n_values),
        **{f"llr_{k}": v for k, v in llr.items()},
    }
    tanh_median = [float(np.median(g)) for g in gen]
    summary = {
        "figure": "rank_calculator",
        "paper": PAPER["source"],
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "calculator": rows,
        "all_formulas_match": all(r["match"] for r in rows),
        "paper_values": {k: v for k, v in PAPER.items() if k != "source"},
        "published_source": PUBLISHED["source"],
        "published_ranks": [
            {
                "model": r["model"],
                "setting": r["setting"],
                "published": r["published"],
                "computed": r["computed"],
                "how": r["how"],
                "match": r["match"],
            }
            for r in pub
        ],
        "published_detail": pub,
        "published_all_match": all(r["match"] for r in pub),
        "llr_recovery": llr_s,
        "llr_rule": f"median over {cfg.llr_seeds} seeds of (test error)/(test error of f = 0) below "
        f"{cfg.llr_recovery_tol:g} from this n on; GD, step {cfg.llr_lr:g}, {cfg.llr_steps} steps, "
        f"init scale {cfg.llr_scale:g}, width multiplier {cfg.llr_multiplier}",
        "llr_compute_s": float(llr["wall_time"]),
        "mc_transitions": {str(k): v for k, v in tr.items()},
        "mc_parameter_count": 32,
        "mc_recovery_rule": f"relative Frobenius error on all 16 entries < {cfg.recovery_tol:g} at t = {cfg.mc_t_max:g}",
        "mc_recovered_below_model_rank": int(
            sum(
                recovered[(mc["rank"] == r) & (mc["n"] < tr[int(r)]["model_rank"])].sum()
                for r in cfg.mc_ranks
            )
        ),
        "mc_compute_s": float(mc["wall_time"]),
        "mc_status_counts": {int(k): int(v) for k, v in zip(*np.unique(mc["status"], return_counts=True))},
        # the largest final loss of the runs that stopped before the horizon (status != 2)
        "mc_max_final_loss_converged": float(mc["final_loss"][mc["status"] != 2].max())
        if (mc["status"] != 2).any()
        else float("nan"),
        "mc_rank1_spanning_tree_fraction": spanning_tree_fraction(4, 4),
        "tanh_model_rank": 3,
        "tanh_parameter_count": 3 * cfg.tanh_width,
        "tanh_median_gen_error": tanh_median,
        "tanh_fraction_below_1e-8": [float((g < 1e-8).mean()) for g in gen],
        "runtime_s": time.perf_counter() - t0,
    }
    heads = [
        f"calculator: {sum(r['match'] for r in rows)}/{len(rows)} computed model ranks equal the formulas"
    ]
    heads.append(
        "published model ranks (LLR): "
        + "; ".join(
            f"{r['model']} {r['setting'].split(',')[0]}: published {r['published']}, computed {r['computed']}"
            for r in pub
        )
    )
    heads.append(
        "LLR target recovered (median rel. error < tol) from n = "
        + ", ".join(
            f"{v['model']}: {v['first_n_below_tol']} (rank {v['model_rank']})" for v in llr_s.values()
        )
    )
    heads.append(
        "4x4 completion, first n with recovery (paper 7, 12, 15, 16): "
        + ", ".join(f"rank {r}: {tr[int(r)]['first_recovery_n']}" for r in cfg.mc_ranks)
        + "; parameters 32"
    )
    heads.append(
        f"tanh width {cfg.tanh_width} ({3 * cfg.tanh_width} parameters, model rank 3): median gen. error "
        + ", ".join(f"n={n}: {e:.1e}" for n, e in zip(cfg.tanh_n_values, tanh_median))
    )
    summary["headline"] = heads
    summary["glue"] = glue_values(cfg, summary)
    summary["tables"] = {"calc_table": calculator_table(summary), "pub_table": published_table(summary)}
    return summary, arrays


def rank_of(rows: list[dict[str, Any]], family: str, target: str, model_has: str = "") -> int:
    """The computed model rank of the first calculator row of ``family`` at ``target`` whose model contains
    ``model_has``."""
    return next(
        r["rank"] for r in rows if r["family"] == family and r["target"] == target and model_has in r["model"]
    )


def _none(v: Any) -> Any:
    return "none" if v is None else v


def glue_values(cfg: Config, summary: dict[str, Any]) -> dict[str, Any]:
    """Every number the page's prose states, by its glue name (plain int, float, str): the calculator's ranks,
    the completion transitions, the tanh errors around the model rank, the published ranks and the LLR
    recovery, the settings and the compute times."""
    calc = summary["calculator"]
    out: dict[str, Any] = {}
    for k in (1, 2, 3):
        if k <= cfg.tanh_k_max:
            out[f"tanh_k{k}"] = rank_of(calc, "two-layer tanh", f"{k} neuron{'s' if k > 1 else ''}")
    out["tanh_bias1"] = rank_of(calc, "two-layer tanh with bias", "1 neuron")
    for r in (1, 2, 3, 4):
        out[f"mf_r{r}"] = rank_of(calc, "matrix factorization", f"rank {r}")
    tr = summary["mc_transitions"]
    for r in (1, 2, 3, 4):
        if r in cfg.mc_ranks:
            out[f"first_r{r}"] = _none(tr[str(r)]["first_recovery_n"])
            out[f"half_r{r}"] = _none(tr[str(r)]["half_recovery_n"])
        else:
            out[f"first_r{r}"] = out[f"half_r{r}"] = "not run"
    out |= {
        "n_match": sum(bool(r["match"]) for r in calc),
        "n_rows": len(calc),
        "below": int(summary["mc_recovered_below_model_rank"]),
        "mc_patterns": int(cfg.mc_patterns),
        "mc_scale": float(cfg.mc_scale),
        "mc_t_max": float(cfg.mc_t_max),
        "recovery_tol": float(cfg.recovery_tol),
        "mc_compute": float(summary["mc_compute_s"]),
        "n_horizon": int(summary["mc_status_counts"].get(2, 0)),
        "mc_conv_loss": float(summary["mc_max_final_loss_converged"]),
        "spanning_pct": 100 * float(summary["mc_rank1_spanning_tree_fraction"]),
    }
    med = dict(zip(cfg.tanh_n_values, summary["tanh_median_gen_error"]))
    n_lo = min(cfg.tanh_n_values)
    n3 = min((n for n in cfg.tanh_n_values if n >= 3), default=n_lo)
    npar = max((n for n in cfg.tanh_n_values if n <= summary["tanh_parameter_count"]), default=n_lo)
    half = next((n for n, f in zip(cfg.tanh_n_values, summary["tanh_fraction_below_1e-8"]) if f >= 0.5), None)
    out |= {
        "tanh_params": int(summary["tanh_parameter_count"]),
        "tanh_width": int(cfg.tanh_width),
        "tanh_seeds": int(cfg.tanh_seeds),
        "tanh_t_max": float(cfg.tanh_t_max),
        "tanh_n_lo": int(n_lo),
        "tanh_err_lo": float(med[n_lo]),
        "tanh_n3": int(n3),
        "tanh_err_3": float(med[n3]),
        "tanh_n_par": int(npar),
        "tanh_err_par": float(med[npar]),
        "tanh_half": _none(half),
    }
    pub = summary["published_detail"]
    out["pub_match"] = sum(bool(r["match"]) for r in pub)
    out["pub_rows"] = len(pub)
    for r in pub:
        out[f"pub_{r['dim']}d_{r['kind']}"] = int(r["computed"])
    lr = summary["llr_recovery"]
    for k, v in lr.items():
        out[f"llr_first_{k}"] = _none(v["first_n_below_tol"])
        out[f"llr_params_{k}"] = int(v["params"])
    out |= {
        "llr_tol": float(cfg.llr_recovery_tol),
        "llr_seeds": int(cfg.llr_seeds),
        "llr_mult": int(cfg.llr_multiplier),
        "llr_steps": int(cfg.llr_steps),
        "llr_lr": float(cfg.llr_lr),
        "llr_scale": float(cfg.llr_scale),
        "llr_compute": float(summary["llr_compute_s"]),
        "llr_max_train": float(max(v["max_train_loss"] for v in lr.values())),
        "llr_floor": float(min(min(v["median_rel_error"]) for v in lr.values())),
    }
    return out


def calculator_table(summary: dict[str, Any]) -> dict[str, list]:
    """One row per calculator entry: computed model rank next to its closed form and the generic rank."""
    headers = ["model", "size", "target", "parameters", "model rank (computed)", "formula", "generic rank"]
    rows = [
        [
            f"{r['family']}",
            f"{r['model']}",
            f"{r['target']}",
            f"{r['params']}",
            f"{r['rank']}" + ("" if r["match"] else " **(differs)**"),
            f"{r['formula_text']} = {r['formula']}",
            "–" if r["generic"] is None else f"{r['generic']}",
        ]
        for r in summary["calculator"]
    ]
    return {"headers": headers, "rows": rows}


def published_table(summary: dict[str, Any]) -> dict[str, list]:
    """One row per published model rank of the LLR paper: the published value, ours, and how it was computed."""
    headers = ["model", "setting", "published", "computed", "how", "parameters", "agree"]
    rows = []
    for r in summary["published_detail"]:
        if r["dim"] == 1:
            how = "numerical Jacobian rank, multipliers " + ", ".join(
                f"{M}: {v}" for M, v in r["computed_by_multiplier"].items()
            )
            par = ", ".join(str(v) for v in r["params_by_multiplier"].values())
        else:
            how = (
                f"closed form at d = 28; at d = {r['check_d']} (2 kernels) numerical {r['check_numerical']}, "
                f"closed form {r['check_formula']}"
            )
            par = f"{r['check_params']} (at d = {r['check_d']})"
        rows.append(
            [
                f"{r['model']}",
                f"{r['setting']}",
                f"{r['published']}",
                f"{r['computed']}",
                how,
                par,
                "yes" if r["match"] else "**no**",
            ]
        )
    return {"headers": headers, "rows": rows}


# ---------------------------------------------------------------------------------------------- figures
