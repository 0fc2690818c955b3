"""``make bench``: Figure 3 at paper size, our batched integrator against a per-seed scipy LSODA loop.

Prints both wall times on the same 400 seeds, their ratio, and whether both classify every seed alike.
Not a test (timings depend on the machine); the README quotes its output.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from .core.data import batch_data
from .core.dynamics import gradient_flow
from .core.models import get_activation, initial_parameters
from .core.reference import lsoda_trajectory
from .core.theory import classify_limit
from .sweeps import RunConfig


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recovery.bench")
    p.add_argument("--seeds", type=int, default=400)
    p.add_argument("--rtol-ref", type=float, default=1e-8, help="LSODA relative tolerance")
    a = p.parse_args(argv)
    cfg = RunConfig(seeds=a.seeds)
    act = get_activation(cfg.activation)
    spec = cfg.data_spec()
    theta0 = initial_parameters(cfg.seed_list(), cfg.width, 2, cfg.init_scale)
    data = batch_data([spec] * cfg.seeds)
    tn = spec.target.neuron
    print(f"Figure 3, {cfg.seeds} seeds, s={cfg.init_scale:g}, n={cfg.n_samples}, horizon t={cfg.t_max:g}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores")
    gradient_flow(theta0[:8], data.select(torch.arange(8)), act, cfg.flow())  # warm-up
    t0 = time.perf_counter()
    res = gradient_flow(theta0, data, act, cfg.flow())
    ours = time.perf_counter() - t0
    lab_ours = classify_limit(res.final_theta, tn, act.odd)
    print(f"batched Rosenbrock (rtol {cfg.rtol:g}): {ours:.2f} s, {int(res.steps.max())} steps")
    t0 = time.perf_counter()
    finals = [lsoda_trajectory(theta0[b], data.select(torch.tensor([b])), act, np.array([0.0, cfg.t_max]),
                               rtol=a.rtol_ref)[-1] for b in range(cfg.seeds)]
    ref = time.perf_counter() - t0
    lab_ref = classify_limit(torch.from_numpy(np.stack(finals)), tn, act.odd)
    same = int((lab_ours == lab_ref).sum())
    print(f"per-seed scipy LSODA with Jacobian (rtol {a.rtol_ref:g}): {ref:.2f} s")
    print(f"speed-up: {ref / ours:.1f}x; same reached set for {same}/{cfg.seeds} seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
