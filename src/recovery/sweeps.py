"""Sweeps: grids of experiment configurations run as one batched gradient-flow program, cached per entry.

A *configuration* (e.g. :class:`Fig3Config`) fixes data, model, initialization scale, seeds and integrator.
:func:`run_fig3_many` looks every configuration up in the :class:`~recovery.cache.ResultCache`, stacks the
trials of all missing ones (up to ``max_batch`` trials at a time) into a single call of
:func:`~recovery.dynamics.gradient_flow`, and writes each configuration's entry as soon as its batch is done.
A finished sweep recomputes nothing; an interrupted one resumes from the last completed batch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from . import __version__
from .cache import ResultCache, code_hash
from .config import ParameterError, check_choice, check_float, check_int
from .data import DESIGNS, DataSpec, batch_data
from .dynamics import FlowConfig, Status, gradient_flow
from .models import ACTIVATIONS, Data, get_activation, initial_parameters
from .theory import (
    Q1,
    Q2,
    SET_NAMES,
    classify_limit,
    distance_to_Q1,
    distance_to_Q2,
    generalization_error,
    growth_rate,
    imbalance_vector,
    ratio_thresholds,
    recovered,
)

PAPER_FIG3 = {"threshold_low": 0.74, "threshold_high": 1.35, "seeds": 400, "init_scale": 1e-8, "n_samples": 6}


@dataclass(frozen=True)
class Fig3Config:
    """Figure 3 of arXiv:2405.13787: which of Q¹/Q² gradient flow reaches, per seed, against |C₁/C₂|.

    Paper setting: tanh, width 2, target tanh(x + 1), n = 6 evenly spaced points on [−2, 2], s = 1e-8,
    400 seeds. ``t_max`` is the horizon at which the limit is classified.
    """

    seeds: int = 400
    first_seed: int = 0
    init_scale: float = 1e-8
    n_samples: int = 6
    design: str = "even"
    data_seed: int = 0
    width: int = 2
    activation: str = "tanh"
    t_max: float = 1e7
    rtol: float = 1e-4

    def __post_init__(self) -> None:
        checked = {
            "seeds": check_int("seeds", self.seeds, 1, 1_000_000),
            "first_seed": check_int("first_seed", self.first_seed, 0),
            "init_scale": check_float("init_scale", self.init_scale, 0.0, 1e3, low_open=True),
            "n_samples": check_int("n_samples", self.n_samples, 1, 100_000),
            "design": check_choice("design", self.design, DESIGNS),
            "data_seed": check_int("data_seed", self.data_seed, 0),
            "width": check_int("width", self.width, 2, 12),
            "activation": check_choice("activation", self.activation, ACTIVATIONS),
            "t_max": check_float("t_max", self.t_max, 0.0, 1e12, low_open=True),
            "rtol": check_float("rtol", self.rtol, 0.0, 0.1, low_open=True),
        }
        for k, v in checked.items():  # store the coerced values (CLI strings, papermill ints)
            object.__setattr__(self, k, v)

    @classmethod
    def from_user(cls, **kw: Any) -> "Fig3Config":
        """Build from loosely typed values (CLI strings, papermill numbers); ``None`` means the default."""
        names = {f.name for f in dataclasses.fields(cls)}
        for k in kw:
            if k not in names:
                raise ParameterError(k, kw[k], "unknown parameter; allowed: " + ", ".join(sorted(names)))
        return cls(**{k: v for k, v in kw.items() if v is not None})

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def data_spec(self) -> DataSpec:
        return DataSpec(design=self.design, n_samples=self.n_samples, data_seed=self.data_seed)

    def flow(self) -> FlowConfig:
        return FlowConfig(t_max=self.t_max, rtol=self.rtol)

    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))


def _analyse_fig3(cfg: Fig3Config, theta0: torch.Tensor, data: Data, res_slice: dict[str, Any]
                  ) -> dict[str, np.ndarray]:
    """Per-configuration arrays from its slice (``theta0``, ``data``, results) of a batched run."""
    spec = cfg.data_spec()
    act = get_activation(cfg.activation)
    tn = spec.target.neuron
    C = imbalance_vector(theta0, data)
    traj = res_slice["theta"]
    label_t = classify_limit(traj, tn, act.odd)  # (S, K)
    final = res_slice["final_theta"]
    x_test = spec.eval_inputs()
    return {
        "seeds": np.asarray(cfg.seed_list()),
        "theta0": theta0.numpy(),
        "C": C.numpy(),
        "ratio": (C[:, 0] / C[:, 1]).abs().numpy(),
        "growth_rate": growth_rate(data).numpy()[:1],
        "times": res_slice["times"],
        "theta_traj": traj.numpy(),
        "loss_traj": res_slice["loss"].numpy(),
        "label_traj": label_t.numpy().astype(np.int8),
        "final_theta": final.numpy(),
        "final_loss": res_slice["final_loss"].numpy(),
        "final_time": res_slice["final_time"].numpy(),
        "status": res_slice["status"].numpy(),
        "steps": res_slice["steps"].numpy(),
        "label": label_t[:, -1].numpy(),  # the last checkpoint is the final state
        "dist_Q1": distance_to_Q1(final, tn, act.odd).numpy(),
        "dist_Q2": distance_to_Q2(final, tn, act.odd).numpy(),
        "gen_error": generalization_error(final, x_test, spec.target, act).numpy(),
        "wall_time": np.array(res_slice["wall_time"]),
    }


def run_fig3_many(
    configs: list[Fig3Config],
    cache: ResultCache | None = None,
    *,
    max_batch: int = 4000,
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> list[dict[str, np.ndarray]]:
    """Run (or load) several Figure 3 configurations; all missing trials of a batch run as one program.

    Configurations in one batch must share ``activation``, ``width`` and ``t_max``/``rtol`` (they share the
    integrator settings); they may differ in scale, seeds, sample size (padded and masked) and design.
    """
    cache = cache if cache is not None else ResultCache()
    out: list[dict[str, np.ndarray] | None] = [cache.load("fig3", c.params()) for c in configs]
    todo = [i for i, r in enumerate(out) if r is None]
    groups: list[list[int]] = []  # consecutive configurations sharing integrator settings, <= max_batch trials
    for i in todo:
        head = configs[groups[-1][0]] if groups else None
        if head is not None and _batch_key(head) == _batch_key(configs[i]) and \
                sum(configs[j].seeds for j in groups[-1]) + configs[i].seeds <= max_batch:
            groups[-1].append(i)
        else:
            groups.append([i])
    for g in tqdm(groups, desc="fig3 batches", disable=not progress or len(groups) < 2):
        cs = [configs[i] for i in g]
        theta0 = torch.cat([initial_parameters(c.seed_list(), c.width, 2, c.init_scale) for c in cs])
        data = batch_data([s for c in cs for s in [c.data_spec()] * c.seeds])
        res = gradient_flow(theta0.to(device), data.to(device), get_activation(cs[0].activation), cs[0].flow(),
                            progress=progress, desc=f"gradient flow ({theta0.shape[0]} trials)")
        start = 0
        for i, c in zip(g, cs):
            sl = slice(start, start + c.seeds)
            start += c.seeds
            piece = {
                "times": res.times,
                "theta": res.theta[sl].cpu(),
                "loss": res.loss[sl].cpu(),
                "final_theta": res.final_theta[sl].cpu(),
                "final_loss": res.final_loss[sl].cpu(),
                "final_time": res.final_time[sl].cpu(),
                "status": res.status[sl].cpu(),
                "steps": res.steps[sl].cpu(),
                "wall_time": res.wall_time * c.seeds / theta0.shape[0],  # this configuration's share of the batch
            }
            arrays = _analyse_fig3(c, theta0[sl], data.select(torch.arange(sl.start, sl.stop)), piece)
            cache.save("fig3", c.params(), arrays)
            out[i] = arrays
    return [r for r in out if r is not None]


def _batch_key(c: Fig3Config) -> tuple:
    return (c.activation, c.width, c.t_max, c.rtol)


def run_fig3(cfg: Fig3Config, cache: ResultCache | None = None, **kw: Any) -> dict[str, np.ndarray]:
    """Run (or load) one Figure 3 configuration."""
    return run_fig3_many([cfg], cache, **kw)[0]


def fig3_summary(cfg: Fig3Config, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The JSON-able summary of a Figure 3 run (``result.json`` of the CLI)."""
    label = arrays["label"]
    th = ratio_thresholds(arrays["ratio"], label)
    n = len(label)
    statuses = {Status(s).name.lower(): int((arrays["status"] == s).sum()) for s in np.unique(arrays["status"])}
    return {
        "figure": "fig3",
        "paper": "arXiv:2405.13787, Figure 3",
        "parameters": cfg.params(),
        "package_version": __version__,
        "code_hash": code_hash(),
        "seeds": [int(s) for s in arrays["seeds"]],
        "ratio_abs_C1_over_C2": [float(r) for r in arrays["ratio"]],
        "reached_set": [SET_NAMES[int(v)] for v in label],
        "threshold_low": th["threshold_low"],
        "threshold_high": th["threshold_high"],
        "threshold_symmetric": th["threshold_symmetric"],
        "threshold_details": th,
        "paper_threshold_low": PAPER_FIG3["threshold_low"],
        "paper_threshold_high": PAPER_FIG3["threshold_high"],
        "fraction_Q1": float((label == Q1).sum() / n),
        "fraction_Q2": float((label == Q2).sum() / n),
        "fraction_neither": float((label == 0).sum() / n),
        "fraction_recovered": float(recovered(torch.from_numpy(arrays["gen_error"])).sum() / n),
        "horizon": cfg.t_max,
        "classification_rule": "nearer branch: distance to the set < 0.1 and at least 2x smaller than to the "
        "other set, up to tanh's sign symmetry, at t = horizon",
        "test_set": f"{cfg.data_spec().n_test} points, "
        + ("grid on [-2, 2]" if cfg.design == "even" else "N(0, 1) draws, seed 12345"),
        "growth_rate": float(arrays["growth_rate"][0]),
        "status_counts": statuses,
        "runtime_s": float(arrays["wall_time"]),
    }


def thresholds_over_horizon(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Measured thresholds when the limit is classified at each checkpoint time (horizon dependence)."""
    times = arrays["times"]
    lows, highs, fq1 = [], [], []
    for k in range(len(times)):
        th = ratio_thresholds(arrays["ratio"], arrays["label_traj"][:, k])
        lows.append(th["threshold_low"])
        highs.append(th["threshold_high"])
        fq1.append(float((arrays["label_traj"][:, k] == Q1).mean()))
    return {"times": times, "threshold_low": np.array(lows), "threshold_high": np.array(highs),
            "fraction_Q1": np.array(fq1)}
