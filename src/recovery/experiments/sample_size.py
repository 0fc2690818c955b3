"""Sample-size thresholds of arXiv:2405.13787, measured: the optimistic and the separation sample size.

The paper's abstract, in our words: with fewer samples than the optimistic sample size no initialization
recovers the target; at that size only a zero-measure set of initializations does; from the separation sample
size on, a positive-measure set does.

* The *optimistic sample size* is the model rank of the target (arXiv:2307.08921, arXiv:2211.11623), computed
  by :func:`recovery.theory.model_rank` (3 for Example 1).
* The *separation sample size* is measured: for every n, ``seeds`` random initializations θ₀ = s·θ̂ (small s)
  are trained by gradient flow, the fraction *recovered exactly* gets a 95 % Wilson interval, and the
  separation size is the smallest n whose interval's lower bound exceeds ``min_fraction`` (0: at least one).

Two outcomes, named as on the book's intro page: a run *passes the paper's threshold* when its generalization
error is below 1e-8 (the paper's rule); it is *recovered exactly* *(our rule)* when it ends on Q¹ ∪ Q². The
paper's threshold alone cannot tell a run that converges to the target from a spurious interpolant that merely
lies close to it: at n = 3 such near misses pass 1e-8 for a few per cent of initializations, and their share
shrinks like a power of the threshold (zero measure in the limit). A run is therefore recovered exactly if its
error is below ``threshold`` and either at round-off level (below ``strict_threshold``) or still converging:
unfinished at the horizon, with its error down by at least ``min_decay`` over the last decade of time, or no
larger than ``max_gap`` times its training loss (the remaining error is the training misfit itself, not a
function hidden between the samples). A run
that finished training (loss at round-off) with an error in between, or an unfinished one that meets neither
condition, is a *near miss*.

Every (design, n) cell is one :class:`~recovery.sweeps.RunConfig`; all cells go to ONE call of
:func:`~recovery.sweeps.run_many` (one batched gradient-flow program, cached per cell).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import __version__
from ..cache import ResultCache, code_hash
from ..config import UserConfig, check_choice_list, check_float, check_int, check_int_list, spec
from ..core.data import DESIGNS
from ..core.dynamics import Status, single_thread
from ..core.outcomes import (
    CLASSIFICATION_RULE,
    EPS_GRID,
    EXPECTED_SEPARATION,
    OUTCOME_KEYS,
    OUTCOME_RULE,
    Outcome,
    branch_dimensions,
    branch_ranks,
    check_outcome_rule,
    decade_before_index,
    fraction_below,
    is_recovered,
    optimistic_sample_size,
    recovery_rule_text,
    separation_size_by_recovery,
    with_outcomes,
)
from ..core.stats import Z95, power_law_exponent, wilson_interval
from ..core.theory import (
    RECOVERY_THRESHOLD,
)
from ..sweeps import RunConfig, run_many

DESCRIPTION = (
    "Sample-size thresholds: fraction recovered exactly vs n from random small inits (optimistic, separation)"
)

# the abstract's statement, paraphrased (SCIENCE.md: never copy the paper's sentences)
PAPER_STATEMENT = (
    "abstract (paraphrased): below the optimistic sample size no initialization recovers the target; at it, only "
    "a zero-measure set of initializations does; from the separation sample size on, a positive-measure set does"
)
NOT_AVAILABLE = "not available to us"

PAPER_SIZE: dict[str, Any] = {"seeds": 1000, "t_max": 1e12}
QUICK_SIZE: dict[str, Any] = {"seeds": 10, "n_values": [2, 3, 4, 5], "t_max": 1e6}


# --- validation helpers (shared with recovery.figures.phase) ------------------------------------------------


# --- the configuration --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the thresholds chapter (defaults: the book size).

    * ``designs``: ``even`` (n points evenly spaced on [−2, 2], shared by all trials) and/or ``gaussian``
      (trial k draws its own n inputs from N(0, 1) with data seed ``data_seed + k`` (k: its init seed)).
    * ``n_values``, ``seeds`` (initializations per (design, n); the same θ̂ for every n), ``first_seed``,
      ``init_scale`` (s, small), ``t_max`` (horizon; not stated in the paper), ``rtol``,
      ``checkpoints_per_decade`` (of the stored trajectories).
    * The rule for *recovered exactly*: ``threshold`` (the paper's 1e-8), ``strict_threshold`` (round-off level
      of a finished recovery), ``interpolation_loss`` (a run interpolates if its final training loss is below it),
      ``min_decay`` (an unfinished run below ``threshold`` still counts if its error fell at least this factor
      over the last decade of time), or its error is at most ``max_gap`` times its training loss.
    * ``min_fraction``: separation size = smallest n whose 95 % Wilson lower bound of the fraction recovered
      exactly exceeds it (0: at least one exact recovery).
    """

    designs: tuple[str, ...] = spec(("even", "gaussian"), check_choice_list, DESIGNS)
    n_values: tuple[int, ...] = spec((2, 3, 4, 5, 6, 7), check_int_list, 1, 1000)
    seeds: int = spec(200, check_int, 1, 100_000)
    first_seed: int = spec(0, check_int, 0)
    init_scale: float = spec(1e-8, check_float, 0.0, 1e3, low_open=True)
    data_seed: int = spec(0, check_int, 0)
    t_max: float = spec(1e10, check_float, 0.0, 1e12, low_open=True)
    rtol: float = spec(1e-4, check_float, 0.0, 0.1, low_open=True)
    checkpoints_per_decade: int = spec(4, check_int, 1, 1000)
    threshold: float = OUTCOME_RULE["threshold"].field(RECOVERY_THRESHOLD)
    strict_threshold: float = OUTCOME_RULE["strict_threshold"].field(1e-16)
    interpolation_loss: float = OUTCOME_RULE["interpolation_loss"].field(1e-10)
    min_decay: float = OUTCOME_RULE["min_decay"].field(10.0)
    max_gap: float = OUTCOME_RULE["max_gap"].field(100.0)
    min_fraction: float = spec(0.0, check_float, 0.0, 1.0, high_open=True)

    def validate(self, given: dict[str, Any]) -> None:
        check_outcome_rule(self, given)

    def cell(self, design: str, n: int) -> RunConfig:
        """The trials of one (design, n) cell."""
        return RunConfig(
            seeds=self.seeds,
            first_seed=self.first_seed,
            init_scale=self.init_scale,
            n_samples=n,
            design=design,
            data_seed=self.data_seed,
            data_per_trial=design == "gaussian",
            t_max=self.t_max,
            rtol=self.rtol,
            checkpoints_per_decade=self.checkpoints_per_decade,
        )

    def cells(self) -> list[RunConfig]:
        """One RunConfig per (design, n), design major."""
        return [self.cell(d, n) for d in self.designs for n in self.n_values]


# --- pure functions -----------------------------------------------------------------------------------------


# --- computation --------------------------------------------------------------------------------------------


def compute(
    cfg: Config,
    *,
    progress: bool = True,
    scheduler: str | None = None,
    device: str = "cpu",
    cache: ResultCache | None = None,
) -> dict[str, np.ndarray]:
    """Run (or load) every (design, n) cell with ONE call of :func:`run_many` and stack the results.

    Arrays ``(Dz, N, S)`` (designs, sample sizes, initializations): ``gen_error``, ``gen_error_before`` (one
    decade of time before the horizon), ``final_loss``, ``status``, ``label``, ``ratio`` (|C₁/C₂|),
    ``outcome``; ``times`` (checkpoints) and ``wall_time: (Dz, N)``.
    """
    configs = cfg.cells()
    t0 = time.perf_counter()
    with single_thread():
        results = run_many(configs, cache, progress=progress, scheduler=scheduler, device=device)
        results = with_outcomes(cfg, configs, results)
    elapsed = time.perf_counter() - t0
    Dz, N = len(cfg.designs), len(cfg.n_values)

    def grid(key: str) -> np.ndarray:
        a = np.stack([r[key] for r in results])
        return a.reshape(Dz, N, *a.shape[1:])

    st = {
        k: grid(k)
        for k in (
            "gen_error",
            "gen_error_before",
            "final_loss",
            "status",
            "label",
            "ratio",
            "final_theta",
            "outcome",
        )
    }
    st["times"] = results[0]["times"]
    st["time_before"] = np.array(results[0]["times"][decade_before_index(results[0]["times"])])
    st["wall_time"] = np.array([float(r["wall_time"]) for r in results]).reshape(Dz, N)
    st["call_time"] = np.array(elapsed)
    st["designs"] = np.array(cfg.designs)
    st["n_values"] = np.array(cfg.n_values)
    st["seeds"] = results[0]["seeds"]
    return st


def _frac(k: int, S: int) -> dict[str, Any]:
    lo, hi = wilson_interval(k, S, Z95)
    return {"count": int(k), "fraction": k / S, "ci95": [float(lo), float(hi)]}


def per_n_table(cfg: Config, st: dict[str, np.ndarray]) -> dict[str, list[dict[str, Any]]]:
    """Per design and n: counts, fractions and Wilson intervals of every outcome."""
    S = cfg.seeds
    out: dict[str, list[dict[str, Any]]] = {}
    for i, d in enumerate(cfg.designs):
        rows = []
        for j, n in enumerate(cfg.n_values):
            o, ge = st["outcome"][i, j], st["gen_error"][i, j]
            rec = is_recovered(o)
            unfinished = st["status"][i, j] != int(Status.CONVERGED)
            row = {
                "n": n,
                "trials": S,
                "recovered_exact": _frac(int(rec.sum()), S),
                "recovered_Q1": _frac(int((o == Outcome.RECOVERED_Q1).sum()), S),
                "recovered_Q2": _frac(int((o == Outcome.RECOVERED_Q2).sum()), S),
            }
            for code, key in OUTCOME_KEYS.items():
                if key not in row:
                    row[key] = _frac(int((o == code).sum()), S)
            row["spurious_incl_near_miss"] = _frac(
                int(np.isin(o, [Outcome.SPURIOUS, Outcome.NEAR_MISS]).sum()), S
            )
            row["passes_threshold"] = _frac(int((ge < cfg.threshold).sum()), S)
            row["recovered_exact_still_converging"] = int(
                (rec & unfinished & (ge >= cfg.strict_threshold)).sum()
            )
            row["median_gen_error"] = float(np.median(ge))
            rows.append(row)
        out[d] = rows
    return out


def summarize(cfg: Config, st: dict[str, np.ndarray]) -> dict[str, Any]:
    """The JSON-able summary (``result.json`` of the CLI)."""
    table = per_n_table(cfg, st)
    S, ns = cfg.seeds, list(cfg.n_values)
    opt = optimistic_sample_size()
    sep, sep_branch, sep_passes, zero_measure, below = {}, {}, {}, {}, {}
    for i, d in enumerate(cfg.designs):
        rows = table[d]
        sep[d] = separation_size_by_recovery(
            ns, [r["recovered_exact"]["count"] for r in rows], S, cfg.min_fraction
        )
        sep_branch[d] = {
            b: separation_size_by_recovery(
                ns, [r[f"recovered_{b}"]["count"] for r in rows], S, cfg.min_fraction
            )
            for b in ("Q1", "Q2")
        }
        sep_passes[d] = separation_size_by_recovery(
            ns, [r["passes_threshold"]["count"] for r in rows], S, cfg.min_fraction
        )
        if opt in ns:
            zero_measure[d] = power_law_exponent(st["gen_error"][i, ns.index(opt)], eps0=100 * cfg.threshold)
        fb = fraction_below(st["gen_error"][i], EPS_GRID)
        below[d] = {
            "eps": [float(e) for e in EPS_GRID],
            **{f"n={n}": [float(v) for v in fb[j]] for j, n in enumerate(ns)},
        }
    statuses = {Status(int(c)).name.lower(): int((st["status"] == c).sum()) for c in np.unique(st["status"])}
    headline = [
        "optimistic sample size (model rank) "
        + ", ".join(f"{d}: {opt}" for d in cfg.designs)
        + "; separation sample size (measured) "
        + ", ".join(f"{d}: {sep[d]}" for d in cfg.designs),
        "fraction recovered exactly by n: "
        + "; ".join(
            d + " " + " ".join(f"{r['n']}:{r['recovered_exact']['fraction']:.2f}" for r in table[d])
            for d in cfg.designs
        )
        + f" ({S} inits, s={cfg.init_scale:g}, horizon {cfg.t_max:g})",
        "branch separation sizes: "
        + "; ".join(f"{d} Q2 {sep_branch[d]['Q2']}, Q1 {sep_branch[d]['Q1']}" for d in cfg.designs),
    ]
    return {
        "figure": "thresholds",
        "paper": "arXiv:2405.13787, abstract (optimistic and separation sample size)",
        "paper_statement": PAPER_STATEMENT,
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "optimistic_sample_size": {d: opt for d in cfg.designs},
        "separation_sample_size": sep,
        "separation_sample_size_by_branch": sep_branch,
        "separation_sample_size_passes_threshold": sep_passes,
        "paper_optimistic_sample_size": NOT_AVAILABLE,
        "paper_separation_sample_size": NOT_AVAILABLE,
        "expected_separation_derived": EXPECTED_SEPARATION,
        "optimistic_rule": "model rank of the target at the condensed point (recovery.theory.model_rank)",
        "separation_rule": f"smallest n whose 95 % Wilson lower bound of the fraction recovered exactly is > "
        f"{cfg.min_fraction:g} (with 0: at least one of the {S} initializations is recovered exactly)",
        "recovered_exact_rule": recovery_rule_text(cfg),
        "passes_threshold_rule": f"generalization error < {cfg.threshold:g} (the paper's rule)",
        "interpolation_rule": f"final training loss < {cfg.interpolation_loss:g}",
        "classification_rule": CLASSIFICATION_RULE,
        "branch_model_ranks": branch_ranks(),
        "branch_dimensions": branch_dimensions(),
        "zero_measure_at_optimistic_size": zero_measure,
        "fraction_below_eps": below,
        "per_n": table,
        "test_set": {
            d: ("1000 points, grid on [-2, 2]" if d == "even" else "1000 N(0, 1) draws, seed 12345")
            for d in cfg.designs
        },
        "data": {
            "even": "n points evenly spaced on [-2, 2], shared by all trials",
            "gaussian": f"trial k draws n i.i.d. N(0, 1) inputs with data seed {cfg.data_seed} + k",
        },
        "horizon": cfg.t_max,
        "status_counts": statuses,
        "runtime_s": float(st["wall_time"].sum()),
        "headline": headline,
    }


def run(
    cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) the threshold measurement and summarize it (``result.json``)."""
    st = compute(cfg, progress=progress, scheduler=scheduler, device=device)
    return summarize(cfg, st), st
