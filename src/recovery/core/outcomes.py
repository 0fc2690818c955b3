"""Outcomes of a run, defined once (arXiv:2405.13787): the paper's operational rule (generalization error below 1e-8) and our finer classification (recovered at Q¹ / Q² — the run ends on a branch of the target set — near miss, spurious interpolant, not interpolating); the optimistic sample size (model rank) and the separation sample size measured by recovery."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..config import ParameterError, Spec, check_float
from .data import SingleNeuronTarget
from .dynamics import Status
from .models import get_activation
from .stats import Z95, wilson_interval
from .theory import (
    Q1,
    Q2,
    RECOVERY_THRESHOLD,
    generalization_error,
    jacobian_rank,
    model_rank,
    ratio_thresholds,
)

# SCIENCE.md's derived expectation for Example 1 (evenly spaced inputs): Q² separates at n = 4, Q¹ at n = 5.
EXPECTED_SEPARATION = {"Q2": 4, "Q1": 5, "source": "SCIENCE.md (derived, not the paper's printed values)"}


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


# The recovery rule's settings, declared once for every Config that applies the rule (the thresholds page, the
# phase diagram): ``threshold: float = OUTCOME_RULE["threshold"].field(RECOVERY_THRESHOLD)``. They are checked
# after the Config's own parameters (order 1), then :func:`check_outcome_rule` relates them.
OUTCOME_RULE: dict[str, Spec] = {
    "threshold": Spec(check_float, (0.0, 1.0), {"low_open": True}, order=1),
    "strict_threshold": Spec(check_float, (0.0, 1.0), {"low_open": True}, order=1),
    "interpolation_loss": Spec(check_float, (0.0, 1.0), {"low_open": True}, order=1),
    "min_decay": Spec(check_float, (1.0, 1e30), order=1),
    "max_gap": Spec(check_float, (0.0, 1e30), order=1),
}


def check_outcome_rule(cfg: Any, given: dict[str, Any]) -> None:
    """The constraint between the recovery rule's settings of a checked Config (``given``: the values as passed,
    for the message): the strict threshold is at most the threshold."""
    if cfg.strict_threshold > cfg.threshold:
        raise ParameterError(
            "strict_threshold", given["strict_threshold"], f"must be <= threshold={cfg.threshold:g}"
        )


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


def separation_size_by_recovery(
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


def identified_with_threshold(gen_error: np.ndarray, threshold: float = RECOVERY_THRESHOLD) -> np.ndarray:
    """Errors below the threshold identified with the threshold (Figure 4's caption rule, arXiv:2405.13787):
    ``max(error, threshold)``, so that averages are not decided by round-off below it."""
    return np.maximum(np.asarray(gen_error, float), threshold)


def best_by_clipped_mean(clipped_mean: np.ndarray, passes: np.ndarray, rtol: float = 1e-9) -> np.ndarray:
    """Indices of the best entries: the lowest mean of threshold-identified errors, ties (equal within ``rtol``)
    all returned; among those, the highest fraction passing the threshold (ties kept)."""
    cm, ps = np.asarray(clipped_mean, float), np.asarray(passes, float)
    low = np.flatnonzero(cm <= cm.min() * (1 + rtol))
    return low[ps[low] >= ps[low].max()]


def fraction_below(gen_error: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Fraction of trials (last axis) with error below each ε: ``(..., S)`` → ``(..., len(eps))``."""
    ge = np.asarray(gen_error, float)
    return (ge[..., None, :] < np.asarray(eps, float)[:, None]).mean(-1)


EPS_GRID = 10.0 ** -np.arange(2.0, 32.5, 1.0)  # thresholds ε of the fraction-below-ε curves


def with_outcomes(
    rule: Any, configs: Sequence[Any], results: Sequence[dict[str, np.ndarray]]
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


def thresholds_over_horizon(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Measured thresholds when the limit is classified at each checkpoint time (horizon dependence)."""
    times = arrays["times"]
    lows, highs, fq1 = [], [], []
    for k in range(len(times)):
        th = ratio_thresholds(arrays["ratio"], arrays["label_traj"][:, k])
        lows.append(th["threshold_low"])
        highs.append(th["threshold_high"])
        fq1.append(float((arrays["label_traj"][:, k] == Q1).mean()))
    return {
        "times": times,
        "threshold_low": np.array(lows),
        "threshold_high": np.array(highs),
        "fraction_Q1": np.array(fq1),
    }
