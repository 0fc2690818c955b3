"""Sample-size thresholds of arXiv:2405.13787, measured: the optimistic and the separation sample size.

The paper's abstract: "below the optimistic sample size, recovery is unattainable; at the optimistic sample
size, recovery becomes attainable albeit with a set of initialization of zero measure. Upon reaching the
separation sample size, the set of initialization that can successfully recover the target function shifts
from zero to positive measure."

* The *optimistic sample size* is the model rank of the target (arXiv:2307.08921, arXiv:2211.11623), computed
  by :func:`recovery.theory.model_rank` (3 for Example 1).
* The *separation sample size* is measured: for every n, ``seeds`` random initializations θ₀ = s·θ̂ (small s)
  are trained by gradient flow, the fraction that recovers gets a 95 % Wilson interval, and the separation
  size is the smallest n whose interval's lower bound exceeds ``min_fraction`` (0: at least one recovery).

What counts as a recovery *(ours)*. The paper's threshold (generalization error < 1e-8) alone cannot tell a
run that converges to the target from a spurious interpolant that merely lies close to it: at n = 3 such near
misses pass 1e-8 for a few per cent of initializations, and their share shrinks like a power of the threshold
(zero measure in the limit). A run therefore recovers if its error is below ``threshold`` and either at
round-off level (below ``strict_threshold``) or still converging: unfinished at the horizon, with its error
down by at least ``min_decay`` over the last decade of time, or no larger than ``max_gap`` times its training
loss (the remaining error is the training misfit itself, not a function hidden between the samples). A run
that finished training (loss at round-off) with an error in between, or an unfinished one that meets neither
condition, is a *near miss*.

Every (design, n) cell is one :class:`~recovery.sweeps.RunConfig`; all cells go to ONE call of
:func:`~recovery.sweeps.run_many` (one batched gradient-flow program, cached per cell).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..cache import ResultCache, code_hash
from ..config import ParameterError, UserConfig, check_choice_list, check_float, check_int, check_int_list
from ..core.data import DESIGNS, SingleNeuronTarget
from ..core.dynamics import Status, single_thread
from ..core.models import get_activation
from ..sweeps import RunConfig, run_many
from ..core.theory import (
    Q1,
    Q2,
    RECOVERY_THRESHOLD,
    generalization_error,
    jacobian_rank,
    model_rank,
    wilson_interval,
)

DESCRIPTION = (
    "Sample-size thresholds: recovery fraction vs n from random small inits (optimistic, separation)"
)

PAPER_STATEMENT = (
    "below the optimistic sample size, recovery is unattainable; at the optimistic sample size, recovery "
    "becomes attainable albeit with a set of initialization of zero measure. Upon reaching the separation "
    "sample "
    "size, the set of initialization that can successfully recover the target function shifts from zero to "
    "positive measure."
)
NOT_AVAILABLE = "not available to us"
# SCIENCE.md's derived expectation for Example 1 (evenly spaced inputs): Q² separates at n = 4, Q¹ at n = 5.
EXPECTED_SEPARATION = {"Q2": 4, "Q1": 5, "source": "SCIENCE.md (derived, not the paper's printed values)"}
Z95 = 1.959963984540054  # two-sided 95 % normal quantile of the Wilson interval

PAPER_SIZE: dict[str, Any] = {"seeds": 1000, "t_max": 1e12}
QUICK_SIZE: dict[str, Any] = {"seeds": 10, "n_values": [2, 3, 4, 5], "t_max": 1e6}


class Outcome(enum.IntEnum):
    """How a trial ended (mutually exclusive)."""

    RECOVERED_Q1 = 1  # recovered, at the condensed set Q¹
    RECOVERED_Q2 = 2  # recovered, at Q² (one neuron inactive)
    RECOVERED_OTHER = 3  # recovered, branch unresolved (near Q¹ ∩ Q²)
    NEAR_MISS = 4  # spurious interpolant whose error is below the paper's threshold but not falling
    SPURIOUS = 5  # interpolant (training loss ~ 0) with error >= the paper's threshold
    NOT_INTERPOLATING = 6  # final training loss above interpolation_loss


OUTCOME_NAMES = {
    Outcome.RECOVERED_Q1: "recovered at Q¹",
    Outcome.RECOVERED_Q2: "recovered at Q²",
    Outcome.RECOVERED_OTHER: "recovered (branch unresolved)",
    Outcome.NEAR_MISS: "near miss (spurious, error < threshold)",
    Outcome.SPURIOUS: "spurious interpolant",
    Outcome.NOT_INTERPOLATING: "not interpolating",
}
OUTCOME_KEYS = {
    Outcome.RECOVERED_Q1: "recovered_Q1",
    Outcome.RECOVERED_Q2: "recovered_Q2",
    Outcome.RECOVERED_OTHER: "recovered_unresolved",
    Outcome.NEAR_MISS: "near_miss",
    Outcome.SPURIOUS: "spurious_interpolant",
    Outcome.NOT_INTERPOLATING: "not_interpolating",
}
RECOVERED = (Outcome.RECOVERED_Q1, Outcome.RECOVERED_Q2, Outcome.RECOVERED_OTHER)


# --- validation helpers (shared with recovery.figures.phase) ------------------------------------------------


def check_outcome_rule(cfg: Any) -> dict[str, float]:
    """Validate the recovery rule's settings of a Config (threshold, strict_threshold, interpolation_loss,
    min_decay, max_gap); returns the coerced values."""
    out = {
        "threshold": check_float("threshold", cfg.threshold, 0.0, 1.0, low_open=True),
        "strict_threshold": check_float("strict_threshold", cfg.strict_threshold, 0.0, 1.0, low_open=True),
        "interpolation_loss": check_float(
            "interpolation_loss", cfg.interpolation_loss, 0.0, 1.0, low_open=True
        ),
        "min_decay": check_float("min_decay", cfg.min_decay, 1.0, 1e30),
        "max_gap": check_float("max_gap", cfg.max_gap, 0.0, 1e30),
    }
    if out["strict_threshold"] > out["threshold"]:
        raise ParameterError(
            "strict_threshold", cfg.strict_threshold, f"must be <= threshold={out['threshold']:g}"
        )
    return out


# --- the configuration --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(UserConfig):
    """Every parameter of the thresholds chapter (defaults: the book size).

    * ``designs``: ``even`` (n points evenly spaced on [−2, 2], shared by all trials) and/or ``gaussian``
      (trial k draws its own n inputs from N(0, 1) with data seed ``data_seed + k`` (k: its init seed)).
    * ``n_values``, ``seeds`` (initializations per (design, n); the same θ̂ for every n), ``first_seed``,
      ``init_scale`` (s, small), ``t_max`` (horizon; not stated in the paper), ``rtol``,
      ``checkpoints_per_decade`` (of the stored trajectories).
    * The recovery rule: ``threshold`` (the paper's 1e-8), ``strict_threshold`` (round-off level of a finished
      recovery), ``interpolation_loss`` (a run interpolates if its final training loss is below it),
      ``min_decay`` (an unfinished run below ``threshold`` still counts if its error fell at least this factor
      over the last decade of time), or its error is at most ``max_gap`` times its training loss.
    * ``min_fraction``: separation size = smallest n whose 95 % Wilson lower bound of the recovered fraction
      exceeds it (0: at least one recovery).
    """

    designs: tuple[str, ...] = ("even", "gaussian")
    n_values: tuple[int, ...] = (2, 3, 4, 5, 6, 7)
    seeds: int = 200
    first_seed: int = 0
    init_scale: float = 1e-8
    data_seed: int = 0
    t_max: float = 1e10
    rtol: float = 1e-4
    checkpoints_per_decade: int = 4
    threshold: float = RECOVERY_THRESHOLD
    strict_threshold: float = 1e-16
    interpolation_loss: float = 1e-10
    min_decay: float = 10.0
    max_gap: float = 100.0
    min_fraction: float = 0.0

    def __post_init__(self) -> None:
        checked = {
            "designs": check_choice_list("designs", self.designs, DESIGNS),
            "n_values": check_int_list("n_values", self.n_values, 1, 1000),
            "seeds": check_int("seeds", self.seeds, 1, 100_000),
            "first_seed": check_int("first_seed", self.first_seed, 0),
            "init_scale": check_float("init_scale", self.init_scale, 0.0, 1e3, low_open=True),
            "data_seed": check_int("data_seed", self.data_seed, 0),
            "t_max": check_float("t_max", self.t_max, 0.0, 1e12, low_open=True),
            "rtol": check_float("rtol", self.rtol, 0.0, 0.1, low_open=True),
            "checkpoints_per_decade": check_int(
                "checkpoints_per_decade", self.checkpoints_per_decade, 1, 1000
            ),
            "min_fraction": check_float("min_fraction", self.min_fraction, 0.0, 1.0, high_open=True),
            **check_outcome_rule(self),
        }
        for k, v in checked.items():
            object.__setattr__(self, k, v)


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


def optimistic_sample_size(
    target: SingleNeuronTarget | None = None, width: int = 2, activation: str = "tanh"
) -> int:
    """The optimistic sample size: the model rank of the target (arXiv:2307.08921); 3 for Example 1, the
    default target tanh(x + 1)."""
    target = target if target is not None else SingleNeuronTarget()
    return model_rank(torch.from_numpy(target.neuron[None]), width, get_activation(activation))


def branch_ranks(target: SingleNeuronTarget | None = None, activation: str = "tanh") -> dict[str, int]:
    """Model rank (Jacobian rank on generic inputs) at a point of Q¹ and a generic point of Q² (width 2)."""
    target = target if target is not None else SingleNeuronTarget()
    tn = torch.from_numpy(target.neuron)
    q1 = torch.stack(
        [
            tn * torch.tensor([0.3, 1.0, 1.0], dtype=torch.float64),
            tn * torch.tensor([0.7, 1.0, 1.0], dtype=torch.float64),
        ]
    )
    q2 = torch.stack([tn, torch.tensor([0.0, 0.4, -0.8], dtype=torch.float64)])
    act = get_activation(activation)
    return {"Q1": jacobian_rank(q1, act), "Q2": jacobian_rank(q2, act)}


def branch_dimensions() -> dict[str, int]:
    """Dimensions of the branches of global minima of Example 1 (width 2, 6 parameters) *(ours)*: Q¹ is a line
    (a₁ + a₂ = a*), Q² a plane (the inactive neuron's w ∈ R²). Generic interpolants of n points form a set of
    dimension 6 − n, so a branch can be isolated among them only from n = 6 − dim: Q² at 4, Q¹ at 5."""
    return {"Q1": 1, "Q2": 2, "parameters": 6}


def decade_before_index(times: np.ndarray) -> int:
    """Index of the checkpoint nearest (in log time) to one decade before the last one."""
    pos = np.flatnonzero(times > 0)
    goal = math.log10(times[-1]) - 1.0
    return int(pos[np.argmin(np.abs(np.log10(times[pos]) - goal))])


def classify_outcomes(
    gen_error: np.ndarray,
    gen_error_before: np.ndarray,
    final_loss: np.ndarray,
    finished: np.ndarray,
    label: np.ndarray,
    *,
    threshold: float = RECOVERY_THRESHOLD,
    strict_threshold: float = 1e-16,
    interpolation_loss: float = 1e-10,
    min_decay: float = 10.0,
    max_gap: float = 100.0,
) -> np.ndarray:
    """The :class:`Outcome` of every trial (same shape as the inputs) *(our rule, see the module docstring)*.

    ``gen_error``: error at the horizon; ``gen_error_before``: error one decade of time earlier; ``finished``:
    training stopped with its loss at round-off (frozen: its error can no longer change); ``label``: nearer
    branch (:func:`recovery.theory.classify_limit`). An unfinished run below ``threshold`` recovers if its
    error fell by ``min_decay`` over the last decade or is at most ``max_gap`` times its training loss (a
    spurious interpolant has a training loss far below its error; a run still converging to Q¹ or Q² has
    comparable ones, except on Gaussian data whose test inputs reach beyond the training points: then the
    decay decides).
    """
    ge = np.asarray(gen_error, float)
    loss = np.asarray(final_loss, float)
    below = ge < threshold
    unfinished = ~np.asarray(finished, bool)
    moving = (ge * min_decay <= np.asarray(gen_error_before, float)) | (ge <= max_gap * loss)
    recovered = below & ((ge < strict_threshold) | (unfinished & moving))
    label = np.asarray(label)
    out = np.full(ge.shape, int(Outcome.NOT_INTERPOLATING), dtype=np.int8)
    out[~below & (loss < interpolation_loss)] = Outcome.SPURIOUS
    out[below & ~recovered] = Outcome.NEAR_MISS
    out[recovered] = Outcome.RECOVERED_OTHER
    out[recovered & (label == Q1)] = Outcome.RECOVERED_Q1
    out[recovered & (label == Q2)] = Outcome.RECOVERED_Q2
    return out


def is_recovered(outcome: np.ndarray) -> np.ndarray:
    return np.isin(outcome, [int(o) for o in RECOVERED])


def separation_size(
    n_values: Sequence[int],
    successes: Sequence[int],
    trials: int | Sequence[int],
    min_fraction: float = 0.0,
    z: float = Z95,
) -> int | None:
    """Smallest n whose recovered fraction has a 95 % Wilson lower bound above ``min_fraction`` (or None).

    With ``min_fraction = 0`` this is the smallest n with at least one recovery: the Wilson lower bound is 0
    exactly when no trial succeeds.
    """
    k = np.asarray(successes)
    lo, _ = wilson_interval(k, np.broadcast_to(np.asarray(trials), k.shape), z)
    # the bound is exactly 0 for k = 0 in exact arithmetic (round-off leaves ~1e-18): test k > 0 explicitly
    ok = np.flatnonzero((k > 0) & (np.asarray(lo) > min_fraction))
    return int(n_values[ok[0]]) if ok.size else None


def power_law_exponent(gen_error: np.ndarray, eps0: float) -> dict[str, float]:
    """Exponent p of P(error < ε) ∝ ε^p for ε ≤ ``eps0``, by maximum likelihood (Hill estimator).

    Given the k errors below ``eps0``, log(eps0/error) is exponential with rate p under the power law, so p̂ =
    k / Σ log(eps0/error_i) with standard error p̂/√k. NaN when k < 2. A p > 0 means the fraction passing the
    threshold ε vanishes as ε → 0: a set of zero measure.
    """
    ge = np.asarray(gen_error, float).ravel()
    sel = ge[(ge < eps0) & (ge > 0)]
    k = int(sel.size)
    if k < 2:
        return {"exponent": float("nan"), "stderr": float("nan"), "k": k, "eps0": float(eps0)}
    p = k / float(np.log(eps0 / sel).sum())
    return {"exponent": p, "stderr": p / math.sqrt(k), "k": k, "eps0": float(eps0)}


def fraction_below(gen_error: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Fraction of trials (last axis) with error below each ε: ``(..., S)`` → ``(..., len(eps))``."""
    ge = np.asarray(gen_error, float)
    return (ge[..., None, :] < np.asarray(eps, float)[:, None]).mean(-1)


EPS_GRID = 10.0 ** -np.arange(2.0, 32.5, 1.0)  # thresholds ε of the fraction-below-ε curves


# --- computation --------------------------------------------------------------------------------------------


def compute(cfg: Config, *, progress: bool = True, scheduler: str | None = None, device: str = "cpu",
            cache: ResultCache | None = None) -> dict[str, np.ndarray]:
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


def with_outcomes(
    rule: Any, configs: Sequence[RunConfig], results: Sequence[dict[str, np.ndarray]]
) -> list[dict[str, np.ndarray]]:
    """Add ``gen_error_before`` (one decade of time before the horizon) and ``outcome`` (:class:`Outcome`) to
    each configuration's arrays; ``rule`` carries threshold, strict_threshold, interpolation_loss, min_decay.
    """
    out = []
    for c, r in zip(configs, results):
        k = decade_before_index(r["times"])
        spec = c.data_spec()
        th = torch.from_numpy(np.ascontiguousarray(r["theta_traj"][:, k]))
        before = generalization_error(
            th, spec.eval_inputs(), spec.target, get_activation(c.activation)
        ).numpy()
        outcome = classify_outcomes(
            r["gen_error"],
            before,
            r["final_loss"],
            r["status"] == int(Status.CONVERGED),
            r["label"],
            threshold=rule.threshold,
            strict_threshold=rule.strict_threshold,
            interpolation_loss=rule.interpolation_loss,
            min_decay=rule.min_decay,
            max_gap=rule.max_gap,
        )
        out.append({**r, "gen_error_before": before, "outcome": outcome})
    return out


CLASSIFICATION_RULE = (
    "nearer branch: distance to the set < 0.1 and at least 2x smaller than to the other set, "
    "up to tanh's sign symmetry, at t = horizon"
)


def recovery_rule_text(rule: Any) -> str:
    """The recovery rule in words, with the values of ``rule`` (a Config)."""
    return (
        f"generalization error < {rule.threshold:g} and either < {rule.strict_threshold:g} or, for a run "
        f"unfinished at the horizon, fallen by >= {rule.min_decay:g}x over the last decade of time or at "
        "most "
        f"{rule.max_gap:g}x its training loss; a finished run (loss at round-off) with an error in between, "
        "or an unfinished one meeting neither condition, is a near miss"
    )


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
                "recovered": _frac(int(rec.sum()), S),
                "recovered_Q1": _frac(int((o == Outcome.RECOVERED_Q1).sum()), S),
                "recovered_Q2": _frac(int((o == Outcome.RECOVERED_Q2).sum()), S),
            }
            for code, key in OUTCOME_KEYS.items():
                if key not in row:
                    row[key] = _frac(int((o == code).sum()), S)
            row["spurious_incl_near_miss"] = _frac(
                int(np.isin(o, [Outcome.SPURIOUS, Outcome.NEAR_MISS]).sum()), S
            )
            row["below_paper_threshold"] = _frac(int((ge < cfg.threshold).sum()), S)
            row["recovered_still_converging"] = int((rec & unfinished & (ge >= cfg.strict_threshold)).sum())
            row["median_gen_error"] = float(np.median(ge))
            rows.append(row)
        out[d] = rows
    return out


def summarize(cfg: Config, st: dict[str, np.ndarray]) -> dict[str, Any]:
    """The JSON-able summary (``result.json`` of the CLI)."""
    table = per_n_table(cfg, st)
    S, ns = cfg.seeds, list(cfg.n_values)
    opt = optimistic_sample_size()
    sep, sep_branch, sep_paper_only, zero_measure, below = {}, {}, {}, {}, {}
    for i, d in enumerate(cfg.designs):
        rows = table[d]
        sep[d] = separation_size(ns, [r["recovered"]["count"] for r in rows], S, cfg.min_fraction)
        sep_branch[d] = {
            b: separation_size(ns, [r[f"recovered_{b}"]["count"] for r in rows], S, cfg.min_fraction)
            for b in ("Q1", "Q2")
        }
        sep_paper_only[d] = separation_size(
            ns, [r["below_paper_threshold"]["count"] for r in rows], S, cfg.min_fraction
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
        "recovered fraction by n: "
        + "; ".join(
            d + " " + " ".join(f"{r['n']}:{r['recovered']['fraction']:.2f}" for r in table[d])
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
        "separation_sample_size_paper_threshold_only": sep_paper_only,
        "paper_optimistic_sample_size": NOT_AVAILABLE,
        "paper_separation_sample_size": NOT_AVAILABLE,
        "expected_separation_derived": EXPECTED_SEPARATION,
        "optimistic_rule": "model rank of the target at the condensed point (recovery.theory.model_rank)",
        "separation_rule": f"smallest n whose 95 % Wilson lower bound of the recovered fraction is > "
        f"{cfg.min_fraction:g} (with 0: at least one of the {S} initializations recovers)",
        "recovery_rule": recovery_rule_text(cfg),
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


def run(cfg: Config, *, progress: bool = True, scheduler: str | None = None,
        device: str = "cpu") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run (or load from the cache) the threshold measurement and summarize it (``result.json``)."""
    st = compute(cfg, progress=progress, scheduler=scheduler, device=device)
    return summarize(cfg, st), st


