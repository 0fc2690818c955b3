"""``make bench``: Figure 3 at paper size, the package's integrator against a per-seed scipy LSODA loop, and how
the whole Figure 3 run scales with the number of seeds.

1. On the same 400 seeds: the batched Rosenbrock engine and a per-seed LSODA loop (exact Jacobian), their
   wall times and ratio, and whether both classify every seed alike.
2. A scaling table: for 400, 4 000 and 40 000 seeds (``--sizes``), each in a fresh process with an empty
   cache, the integration time (min over ``--repeats``), the time per trial, the whole ``run_one`` time
   (integration, analysis, cache write) and the peak resident memory of the process (total and per trial).
3. The whole command ``python -m recovery run fig3 --seeds 400`` as a user runs it (start-up, imports, the run,
   result.json, arrays.npz and figure.png, exit), with an empty cache and with the cache filled, and a refused
   parameter (``--seeds 0``): wall time of the process, min over ``--repeats``.

Not a test (timings depend on the machine and its load); the README quotes its output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def _one_size(seeds: int, repeats: int) -> dict[str, float]:
    """Figure 3 with ``seeds`` seeds in this process: integration time (min of ``repeats``), run_one time and
    the peak RSS (run in a fresh process: ru_maxrss never decreases)."""
    import torch

    from .cache import ResultCache
    from .core.dynamics import gradient_flow
    from .core.models import get_activation
    from .sweeps import RunConfig, run_one

    cfg = RunConfig(seeds=seeds)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        arrays = run_one(cfg, ResultCache(d), progress=False)
    total = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the Figure 3 run alone
    flows = [float(arrays["wall_time"])]
    steps = int(arrays["steps"].max())
    del arrays
    if repeats > 1:
        from .core.data import batch_data

        data = batch_data(cfg.data_specs())
        theta0 = cfg.initial_parameters(data)
        for _ in range(repeats - 1):
            flows.append(gradient_flow(theta0, data, get_activation(cfg.activation), cfg.flow()).wall_time)
    return {
        "seeds": seeds,
        "flow_s": min(flows),
        "run_one_s": total,
        "peak_mb": peak_kb / 1024,
        "steps": steps,
        "threads": torch.get_num_threads(),
    }


def _scaling(sizes: list[int], repeats: int) -> list[dict[str, float]]:
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "recovery.bench", "--one", str(n), "--repeats", str(repeats)],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ.copy(),
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def _whole_process(repeats: int) -> dict[str, float]:
    """Wall time (min of ``repeats``) of ``python -m recovery run fig3 --seeds 400`` with an empty cache, again with
    the cache filled, and of the refused ``--seeds 0``."""
    times: dict[str, list[float]] = {"empty cache": [], "cache hit": [], "refused --seeds 0": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            env = {**os.environ, "RECOVERY_CACHE_DIR": os.path.join(d, "cache")}
            for what, seeds in (("empty cache", "400"), ("cache hit", "400"), ("refused --seeds 0", "0")):
                cmd = [sys.executable, "-m", "recovery", "run", "fig3", "--seeds", seeds, "--no-progress"]
                t0 = time.perf_counter()
                subprocess.run(
                    [*cmd, "--out", os.path.join(d, "out")], capture_output=True, env=env, check=False
                )
                times[what].append(time.perf_counter() - t0)
    return {k: min(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recovery.bench")
    p.add_argument("--seeds", type=int, default=400, help="seeds of the LSODA comparison")
    p.add_argument("--rtol-ref", type=float, default=1e-8, help="LSODA relative tolerance")
    p.add_argument("--sizes", default="400,4000,40000", help="seed counts of the scaling table")
    p.add_argument("--repeats", type=int, default=3, help="integration timed this many times per size (min)")
    p.add_argument("--no-reference", action="store_true", help="skip the LSODA comparison")
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # internal: one size, JSON out
    a = p.parse_args(argv)
    if a.one is not None:
        print(json.dumps(_one_size(a.one, a.repeats)))
        return 0

    import numpy as np
    import torch

    from .core.data import batch_data
    from .core.dynamics import gradient_flow
    from .core.models import get_activation, initial_parameters
    from .core.reference import lsoda_trajectory
    from .core.theory import classify_limit
    from .sweeps import RunConfig

    cfg = RunConfig(seeds=a.seeds)
    act = get_activation(cfg.activation)
    spec = cfg.data_spec()
    theta0 = initial_parameters(cfg.seed_list(), cfg.width, 2, cfg.init_scale)
    data = batch_data([spec] * cfg.seeds)
    tn = spec.target.neuron
    print(
        f"Figure 3, s={cfg.init_scale:g}, n={cfg.n_samples}, width {cfg.width}, horizon t={cfg.t_max:g}; "
        f"torch {torch.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} (timings on a shared machine vary: min of repeats)"
    )
    if not a.no_reference:
        gradient_flow(theta0[:8], data.select(torch.arange(8)), act, cfg.flow())  # warm-up
        ours = min(gradient_flow(theta0, data, act, cfg.flow()).wall_time for _ in range(a.repeats))
        res = gradient_flow(theta0, data, act, cfg.flow())
        lab_ours = classify_limit(res.final_theta, tn, act.odd)
        print(
            f"\n{cfg.seeds} seeds: batched Rosenbrock engine (rtol {cfg.rtol:g}): {ours:.2f} s, "
            f"{int(res.steps.max())} steps"
        )
        t0 = time.perf_counter()
        finals = [
            lsoda_trajectory(
                theta0[b], data.select(torch.tensor([b])), act, np.array([0.0, cfg.t_max]), rtol=a.rtol_ref
            )[-1]
            for b in range(cfg.seeds)
        ]
        ref = time.perf_counter() - t0
        lab_ref = classify_limit(torch.from_numpy(np.stack(finals)), tn, act.odd)
        same = int((lab_ours == lab_ref).sum())
        print(f"{cfg.seeds} seeds: per-seed scipy LSODA with Jacobian (rtol {a.rtol_ref:g}): {ref:.2f} s")
        print(f"speed-up: {ref / ours:.1f}x; same reached set for {same}/{cfg.seeds} seeds")

    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    print("\nscaling (each size in a fresh process, empty cache; peak = the process's resident memory):")
    print(
        f"{'seeds':>7} | {'integration':>11} | {'per trial':>9} | {'run_one':>8} | {'peak memory':>11} | "
        f"{'per trial':>9} | steps"
    )
    for r in _scaling(sizes, a.repeats):
        n = r["seeds"]
        print(
            f"{n:>7} | {r['flow_s']:>9.2f} s | {1e3 * r['flow_s'] / n:>6.3f} ms | {r['run_one_s']:>6.2f} s | "
            f"{r['peak_mb']:>8.0f} MB | {1024 * r['peak_mb'] / n:>6.1f} KB | {r['steps']}"
        )
    print("\nwhole process, python -m recovery run fig3 --seeds 400 (min of repeats):")
    for what, t in _whole_process(a.repeats).items():
        print(f"  {what:<18} {t:5.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
