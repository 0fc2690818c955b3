"""Sweeps: grids of experiment configurations run as one batched gradient-flow program, cached per entry.

A *configuration* (e.g. :class:`RunConfig`) fixes data, model, initialization scale, seeds and integrator.
:func:`run_many` looks every configuration up in the :class:`~recovery.cache.ResultCache`, stacks the
trials of all missing ones (up to ``max_batch`` trials at a time) into a single call of
:func:`~recovery.dynamics.gradient_flow`, and writes each configuration's entry as soon as its batch is done.
A finished sweep recomputes nothing; an interrupted one resumes from the last completed batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from .cache import ResultCache
from .config import UserConfig, check_bool, check_choice, check_float, check_float_list, check_int, spec
from .core.data import DESIGNS, DataSpec, SingleNeuronTarget, batch_data
from .core.dynamics import FlowConfig, gradient_flow, single_thread
from .core.models import ACTIVATIONS, Data, get_activation, initial_parameters
from .core.theory import (
    classify_limit,
    distance_to_Q1,
    distance_to_Q2,
    generalization_error,
    growth_rate,
    imbalance_vector,
    rescale_to_ratios,
)


@dataclass(frozen=True)
class RunConfig(UserConfig):
    """One group of gradient-flow trials of arXiv:2405.13787 that share data, model and initialization scale.

    Defaults are the paper's Example 1 / Figure 3 setting: tanh, width 2, target tanh(x + 1), n = 6 evenly
    spaced points on [−2, 2], s = 1e-8, 400 seeds. ``t_max`` is the horizon at which limits are classified.

    * ``data_per_trial``: trial with seed k draws its own inputs with data seed ``data_seed + k`` (Gaussian
      design; an average over data sets), instead of all trials sharing data seed ``data_seed``.
    * ``c_ratio_base`` / ``c_ratio_slope``: if ``c_ratio_base`` is set, neuron k ≥ 2 is rescaled so that
      C_k/C_1 = base + slope·(k − 1) (Figures 2 and 5 fix these ratios across seeds and scales).
    * ``target_*``: the single-neuron target a*·σ*(w*ᵀ(x, 1)); σ* may differ from the network's activation.
    """

    seeds: int = spec(400, check_int, 1, 1_000_000)
    first_seed: int = spec(0, check_int, 0)
    init_scale: float = spec(1e-8, check_float, 0.0, 1e3, low_open=True)
    n_samples: int = spec(6, check_int, 1, 100_000)
    design: str = spec("even", check_choice, DESIGNS)
    data_seed: int = spec(0, check_int, 0)
    data_per_trial: bool = spec(False, check_bool)
    width: int = spec(2, check_int, 1, 100_000)
    activation: str = spec("tanh", check_choice, ACTIVATIONS)
    target_a: float = spec(1.0, check_float)
    target_w: tuple[float, float] = spec((1.0, 1.0), check_float_list, min_len=2, max_len=2)
    target_activation: str = spec("tanh", check_choice, ACTIVATIONS)
    c_ratio_base: float | None = spec(None, check_float, optional=True)
    c_ratio_slope: float = spec(0.0, check_float)
    t_max: float = spec(1e7, check_float, 0.0, 1e12, low_open=True)
    rtol: float = spec(1e-4, check_float, 0.0, 0.1, low_open=True)
    checkpoints_per_decade: int = spec(20, check_int, 1, 1000)

    def target(self) -> SingleNeuronTarget:
        return SingleNeuronTarget(a=self.target_a, w=self.target_w, activation=self.target_activation)

    def data_spec(self, seed: int | None = None) -> DataSpec:
        """The data of the trial with init seed ``seed`` (the shared data when ``data_per_trial`` is off)."""
        ds = self.data_seed + (seed if (self.data_per_trial and seed is not None) else 0)
        return DataSpec(design=self.design, n_samples=self.n_samples, data_seed=ds, target=self.target())

    def data_specs(self) -> list[DataSpec]:
        return [self.data_spec(s) for s in self.seed_list()]

    def flow(self) -> FlowConfig:
        return FlowConfig(t_max=self.t_max, rtol=self.rtol, checkpoints_per_decade=self.checkpoints_per_decade)

    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def initial_parameters(self, data: Data) -> torch.Tensor:
        """θ₀ = s·θ̂ per seed (drawn on the CPU), rescaled to the prescribed C ratios if any (Theorem 1)."""
        theta0 = initial_parameters(self.seed_list(), self.width, 2, self.init_scale)
        if self.c_ratio_base is None:
            return theta0
        ratios = self.c_ratio_base + self.c_ratio_slope * torch.arange(1, self.width, dtype=torch.float64)
        return rescale_to_ratios(theta0, data, ratios)


def _analyse(cfg: RunConfig, theta0: torch.Tensor, data: Data, res_slice: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-configuration arrays from its slice (``theta0``, ``data``, results) of a batched run.

    Distances to Q¹/Q² and the reached set are computed for widths up to 12 (they enumerate sign patterns);
    wider networks get ``label`` = 0 (unclassified) and NaN distances.
    """
    target = cfg.target()
    act = get_activation(cfg.activation)
    tn = target.neuron
    C = imbalance_vector(theta0, data)
    traj = res_slice["theta"]
    final = res_slice["final_theta"]
    classify = cfg.width <= 12 and cfg.width >= 2
    if classify:
        label_t = classify_limit(traj, tn, act.odd)  # (S, K)
        d1, d2 = distance_to_Q1(final, tn, act.odd).numpy(), distance_to_Q2(final, tn, act.odd).numpy()
    else:
        label_t = torch.zeros(traj.shape[:2], dtype=torch.int64)
        d1 = d2 = np.full(cfg.seeds, np.nan)
    ratio = (C[:, 0] / C[:, 1]).abs().numpy() if cfg.width >= 2 else np.full(cfg.seeds, np.nan)
    x_test = cfg.data_spec().eval_inputs()
    return {
        "seeds": np.asarray(cfg.seed_list()),
        "theta0": theta0.numpy(),
        "C": C.numpy(),
        "ratio": ratio,
        "growth_rate": growth_rate(data).numpy(),
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
        "dist_Q1": d1,
        "dist_Q2": d2,
        "gen_error": generalization_error(final, x_test, target, act).numpy(),
        "wall_time": np.array(res_slice["wall_time"]),
    }


def run_many(
    configs: list[RunConfig],
    cache: ResultCache | None = None,
    *,
    max_batch: int = 4000,
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> list[dict[str, np.ndarray]]:
    """Run (or load) several configurations; all missing trials of a batch run as one tensor program.

    Configurations in one batch must share the integrator and the architecture (``_batch_key``); they may
    differ in scale, seeds, sample size (padded and masked), design, data seeds, target and C ratios.
    Consecutive compatible configurations are grouped up to ``max_batch`` trials; each configuration's cache
    entry is written as soon as its batch is done, so an interrupted sweep resumes.
    """
    cache = cache if cache is not None else ResultCache()
    out: list[dict[str, np.ndarray] | None] = [cache.load(KIND, c.params()) for c in configs]
    todo = [i for i, r in enumerate(out) if r is None]
    groups: list[list[int]] = []
    for i in todo:
        head = configs[groups[-1][0]] if groups else None
        if head is not None and _batch_key(head) == _batch_key(configs[i]) and \
                sum(configs[j].seeds for j in groups[-1]) + configs[i].seeds <= max_batch:
            groups[-1].append(i)
        else:
            groups.append([i])
    for g in tqdm(groups, desc="batches", disable=not progress or len(groups) < 2):
        cs = [configs[i] for i in g]
        data = batch_data([s for c in cs for s in c.data_specs()])
        bounds = np.cumsum([0] + [c.seeds for c in cs])
        theta0 = torch.cat([c.initial_parameters(data.select(torch.arange(int(bounds[j]), int(bounds[j + 1]))))
                            for j, c in enumerate(cs)])
        res = gradient_flow(theta0.to(device), data.to(device), get_activation(cs[0].activation), cs[0].flow(),
                            progress=progress, desc=f"gradient flow ({theta0.shape[0]} trials)")
        for j, (i, c) in enumerate(zip(g, cs)):
            sl = slice(int(bounds[j]), int(bounds[j + 1]))
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
            with single_thread(theta0.device.type == "cpu"):
                arrays = _analyse(c, theta0[sl], data.select(torch.arange(sl.start, sl.stop)), piece)
            cache.save(KIND, c.params(), arrays)
            out[i] = arrays
    return [r for r in out if r is not None]


KIND = "trials"  # cache folder of RunConfig entries


def _batch_key(c: RunConfig) -> tuple:
    return (c.activation, c.width, c.t_max, c.rtol, c.checkpoints_per_decade)


def run_one(cfg: RunConfig, cache: ResultCache | None = None, **kw: Any) -> dict[str, np.ndarray]:
    """Run (or load) one configuration."""
    return run_many([cfg], cache, **kw)[0]
