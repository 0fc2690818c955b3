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
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import ResultCache, code_hash
from ..related.completion import gradient_flow, initial_factors, is_connected, random_low_rank, random_pattern
from ..config import UserConfig, check_float, check_int, check_int_list
from ..core.dynamics import single_thread
from ..related.rank import calculator_rows, formula_matrix_factorization
from ..sweeps import RunConfig, run_many

DESCRIPTION = "Related: model-rank calculator (tanh, W=AB, CNN vs FCN) and recovery at the model rank (4x4 completion)"

PAPER = {
    "source": "arXiv:2307.08921 (optimistic estimate), arXiv:2406.18035 (local linear recovery); values as in "
              "SCIENCE.md (research notes)",
    "tanh_no_bias_d5": {1: 6, 2: 12, 3: 18},
    "tanh_bias_example1": 3,
    "mf_4x4": {1: 7, 2: 12, 3: 15, 4: 16},
}

PAPER_SIZE: dict[str, Any] = {"mc_patterns": 30, "tanh_seeds": 30}
QUICK_SIZE: dict[str, Any] = {"mc_ranks": [1, 2], "mc_patterns": 3, "mc_n_values": [6, 7, 11, 12], "tanh_seeds": 2,
                              "tanh_n_values": [2, 3, 6], "tanh_t_max": 1e4, "mc_t_max": 1e4}


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

    tanh_d: int = 5
    tanh_k_max: int = 3
    tanh_widths: tuple[int, ...] = (3, 6)
    conv_length: int = 6
    conv_kernel: int = 3
    conv2d_length: int = 4
    conv2d_kernel: int = 2
    seed: int = 0
    mc_ranks: tuple[int, ...] = (1, 2, 3, 4)
    mc_n_values: tuple[int, ...] = tuple(range(1, 17))
    mc_patterns: int = 10
    mc_scale: float = 1e-8
    mc_t_max: float = 1e5
    mc_rtol: float = 1e-6
    recovery_tol: float = 1e-3
    tanh_width: int = 4
    tanh_n_values: tuple[int, ...] = (2, 3, 4, 5, 6, 8, 10, 12, 14)
    tanh_seeds: int = 10
    tanh_scale: float = 1e-8
    tanh_t_max: float = 1e6

    def __post_init__(self) -> None:
        checked = {
            "tanh_d": check_int("tanh_d", self.tanh_d, 1, 20),
            "tanh_k_max": check_int("tanh_k_max", self.tanh_k_max, 1, 6),
            "tanh_widths": check_int_list("tanh_widths", self.tanh_widths, 1, 20, max_len=6),
            "conv_length": check_int("conv_length", self.conv_length, 2, 12),
            "conv_kernel": check_int("conv_kernel", self.conv_kernel, 1, 12),
            "conv2d_length": check_int("conv2d_length", self.conv2d_length, 2, 5),
            "conv2d_kernel": check_int("conv2d_kernel", self.conv2d_kernel, 1, 5),
            "seed": check_int("seed", self.seed, 0),
            "mc_ranks": check_int_list("mc_ranks", self.mc_ranks, 1, 4, max_len=4),
            "mc_n_values": check_int_list("mc_n_values", self.mc_n_values, 1, 16, max_len=16),
            "mc_patterns": check_int("mc_patterns", self.mc_patterns, 1, 200),
            "mc_scale": check_float("mc_scale", self.mc_scale, 0.0, 0.1, low_open=True),
            "mc_t_max": check_float("mc_t_max", self.mc_t_max, 10.0, 1e8),
            "mc_rtol": check_float("mc_rtol", self.mc_rtol, 0.0, 1e-3, low_open=True),
            "recovery_tol": check_float("recovery_tol", self.recovery_tol, 0.0, 0.5, low_open=True),
            "tanh_width": check_int("tanh_width", self.tanh_width, 1, 12),
            "tanh_n_values": check_int_list("tanh_n_values", self.tanh_n_values, 1, 200, max_len=30),
            "tanh_seeds": check_int("tanh_seeds", self.tanh_seeds, 1, 1000),
            "tanh_scale": check_float("tanh_scale", self.tanh_scale, 0.0, 0.1, low_open=True),
            "tanh_t_max": check_float("tanh_t_max", self.tanh_t_max, 10.0, 1e10),
        }
        from ..config import ParameterError

        if checked["conv_kernel"] > checked["conv_length"]:
            raise ParameterError("conv_kernel", self.conv_kernel, f"must be <= conv_length={checked['conv_length']}")
        if checked["conv2d_kernel"] > checked["conv2d_length"]:
            raise ParameterError("conv2d_kernel", self.conv2d_kernel,
                                 f"must be <= conv2d_length={checked['conv2d_length']}")
        for k, v in checked.items():
            object.__setattr__(self, k, v)

    def calculator_params(self) -> dict[str, Any]:
        keys = ("tanh_d", "tanh_k_max", "tanh_widths", "conv_length", "conv_kernel", "conv2d_length",
                "conv2d_kernel", "seed")
        return {k: v for k, v in self.params().items() if k in keys}

    def mc_params(self) -> dict[str, Any]:
        keys = ("mc_ranks", "mc_n_values", "mc_patterns", "mc_scale", "mc_t_max", "mc_rtol", "seed")
        return {k: v for k, v in self.params().items() if k in keys}

    def tanh_runs(self) -> list[RunConfig]:
        return [RunConfig(seeds=self.tanh_seeds, first_seed=self.seed, init_scale=self.tanh_scale, n_samples=n,
                          design="even", width=self.tanh_width, t_max=self.tanh_t_max, rtol=1e-4,
                          checkpoints_per_decade=5) for n in self.tanh_n_values]


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
    return {"rank": np.array(rs), "n": np.array(ns), "pattern": np.array(ps), "M": torch.stack(Ms).numpy(),
            "mask": torch.stack(masks).numpy()}


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
    out = {**tr, "W": W.numpy(), "rel_error": rel, "final_loss": res.final_loss.numpy(),
           "status": res.status.numpy(), "steps": res.steps.numpy(), "wall_time": np.array(res.wall_time),
           "connected": np.array([is_connected(m) for m in tr["mask"]])}
    cache.save("rank_calculator", cfg.mc_params(), out)
    return out


def calculator(cfg: Config, cache: ResultCache | None = None) -> list[dict[str, Any]]:
    """The calculator rows (cached as JSON)."""
    cache = cache if cache is not None else ResultCache()
    hit = cache.load("rank_calculator_table", cfg.calculator_params())
    if hit is not None:
        return json.loads(str(hit["rows"]))
    ks = tuple(range(1, cfg.tanh_k_max + 1))
    rows = calculator_rows(tanh_d=cfg.tanh_d, tanh_ks=ks, tanh_widths=cfg.tanh_widths, conv_length=cfg.conv_length,
                           conv_kernel=cfg.conv_kernel, conv2d_length=cfg.conv2d_length,
                           conv2d_kernel=cfg.conv2d_kernel, seed=cfg.seed)
    cache.save("rank_calculator_table", cfg.calculator_params(), {"rows": np.array(json.dumps(rows))})
    return rows


def transitions(rank: np.ndarray, n: np.ndarray, recovered: np.ndarray, ranks, n_values) -> dict[int, dict]:
    """Per rank: recovered fraction per n, the smallest n with any recovery and with ≥ half recovered."""
    out = {}
    for r in ranks:
        frac = [float(recovered[(rank == r) & (n == k)].mean()) for k in n_values]
        first = next((k for k, f in zip(n_values, frac) if f > 0), None)
        half = next((k for k, f in zip(n_values, frac) if f >= 0.5), None)
        out[int(r)] = {"fraction": frac, "first_recovery_n": first, "half_recovery_n": half,
                       "model_rank": formula_matrix_factorization(4, int(r))}
    return out


def run(cfg: Config, *, progress: bool = True, scheduler: str | None = None,
        device: str = "cpu") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The calculator, the matrix-completion trials and the tanh trials."""
    t0 = time.perf_counter()
    rows = calculator(cfg)
    mc = run_mc(cfg)
    tanh = run_many(cfg.tanh_runs(), progress=progress, max_batch=10**6, scheduler=scheduler, device=device)
    recovered = mc["rel_error"] < cfg.recovery_tol
    tr = transitions(mc["rank"], mc["n"], recovered, cfg.mc_ranks, cfg.mc_n_values)
    gen = np.stack([a["gen_error"] for a in tanh])  # (n values, seeds)
    arrays = {**{f"mc_{k}": v for k, v in mc.items()}, "mc_recovered": recovered,
              "tanh_n": np.array(cfg.tanh_n_values), "tanh_gen_error": gen,
              "tanh_final_loss": np.stack([a["final_loss"] for a in tanh]),
              "tanh_status": np.stack([a["status"] for a in tanh])}
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
        "mc_transitions": {str(k): v for k, v in tr.items()},
        "mc_parameter_count": 32,
        "mc_recovery_rule": f"relative Frobenius error on all 16 entries < {cfg.recovery_tol:g} at t = {cfg.mc_t_max:g}",
        "mc_recovered_below_model_rank": int(sum(recovered[(mc["rank"] == r) & (mc["n"] < tr[int(r)]["model_rank"])].sum()
                                                 for r in cfg.mc_ranks)),
        "mc_compute_s": float(mc["wall_time"]),
        "mc_status_counts": {int(k): int(v) for k, v in zip(*np.unique(mc["status"], return_counts=True))},
        "tanh_model_rank": 3,
        "tanh_parameter_count": 3 * cfg.tanh_width,
        "tanh_median_gen_error": tanh_median,
        "tanh_fraction_below_1e-8": [float((g < 1e-8).mean()) for g in gen],
        "runtime_s": time.perf_counter() - t0,
    }
    heads = [f"calculator: {sum(r['match'] for r in rows)}/{len(rows)} computed model ranks equal the formulas"]
    heads.append("4x4 completion, first n with recovery (paper 7, 12, 15, 16): "
                 + ", ".join(f"rank {r}: {tr[int(r)]['first_recovery_n']}" for r in cfg.mc_ranks)
                 + "; parameters 32")
    heads.append(f"tanh width {cfg.tanh_width} ({3 * cfg.tanh_width} parameters, model rank 3): median gen. error "
                 + ", ".join(f"n={n}: {e:.1e}" for n, e in zip(cfg.tanh_n_values, tanh_median)))
    summary["headline"] = heads
    return summary, arrays


# ---------------------------------------------------------------------------------------------- figures


