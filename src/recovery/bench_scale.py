"""``make bench-scale``: Figure 3 (paper setting, t = 1e7) at large seed counts: wall time, peak memory and the
memory estimate that :func:`recovery.sweeps.run_many` checks before it starts.

Each size runs in a fresh process with an empty cache (so the peak resident memory is that run's), in-process
or on a Dask scheduler, on the CPU or a CUDA device::

    python -m recovery.bench_scale --seeds 40000,400000 [--batch-size 4000] [--device cuda] [--scheduler local:2]

Prints one JSON line per size. Not a test (timings and memory depend on the machine); the README quotes it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

CHILD = """
import json, resource, sys, time
import torch
from recovery.cache import ResultCache, tracking
from recovery.experiments.convergence_sets import fig3_summary
from recovery.sweeps import RunConfig, memory_estimate, run_many
seeds, batch, device, scheduler, cache = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] or None, sys.argv[5]
cfg = RunConfig(seeds=seeds)
t0 = time.perf_counter()
with tracking() as log:
    arrays = run_many([cfg], ResultCache(cache), max_batch=batch, progress=False, device=device, scheduler=scheduler)[0]
wall = time.perf_counter() - t0
s = fig3_summary(cfg, arrays)
print(json.dumps({
    "seeds": seeds, "batch_size": batch, "device": device, "scheduler": log.scheduler, "workers": log.workers,
    "wall_s": round(wall, 2), "peak_rss_MiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "estimate_MiB": round(memory_estimate([cfg], batch, in_process=scheduler is None) / 2**20),
    "cuda_peak_MiB": round(torch.cuda.max_memory_allocated() / 2**20) if device.startswith("cuda") else None,
    "threshold_low": s["threshold_low"], "threshold_high": s["threshold_high"], "fraction_Q1": s["fraction_Q1"],
}), flush=True)
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recovery.bench_scale")
    p.add_argument("--seeds", default="40000,400000", help="comma-separated seed counts")
    p.add_argument("--batch-size", type=int, default=4000)
    p.add_argument("--device", default="cpu")
    p.add_argument("--scheduler", default="")
    a = p.parse_args(argv)
    for n in [int(x) for x in a.seeds.split(",") if x.strip()]:
        with tempfile.TemporaryDirectory(prefix="recovery-bench-") as cache:
            r = subprocess.run(
                [sys.executable, "-c", CHILD, str(n), str(a.batch_size), a.device, a.scheduler, cache],
                env=dict(os.environ),
                check=False,
            )
            if r.returncode:
                return r.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
