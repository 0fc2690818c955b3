"""Figure 3 on a CUDA device against the CPU, on the same seeds: every label, both thresholds and the time.

    PYTHONPATH=src python3 tools/device_check.py --seeds 4000 [--device cuda]

Initial weights are drawn on the CPU per seed, so the two runs start from the same point; the integrator's
arithmetic differs only in rounding, and the reached set must not. Prints one JSON line. Not a test: CI has no
GPU; run it where one is lent and quote the line (with the date) in the README.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
import torch

from recovery.cache import ResultCache
from recovery.experiments.convergence_sets import fig3_summary
from recovery.sweeps import RunConfig, run_many


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=4000)
    p.add_argument("--device", default="cuda")
    args = p.parse_args()
    cfg = RunConfig(seeds=args.seeds)
    out = {
        "seeds": args.seeds,
        "device_name": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    runs = {}
    for device in ("cpu", args.device):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            runs[device] = run_many(
                [cfg], ResultCache(d), max_batch=args.seeds, progress=False, device=device
            )[0]
            out[f"wall_s_{device}"] = round(time.perf_counter() - t0, 3)
    a, b = runs["cpu"], runs[args.device]
    sa, sb = fig3_summary(cfg, a), fig3_summary(cfg, b)
    out.update(
        {
            "labels_identical": bool((a["label"] == b["label"]).all()),
            "labels_differing": int((a["label"] != b["label"]).sum()),
            "threshold_low": [sa["threshold_low"], sb["threshold_low"]],
            "threshold_high": [sa["threshold_high"], sb["threshold_high"]],
            "max_abs_final_theta_difference": float(np.abs(a["final_theta"] - b["final_theta"]).max()),
        }
    )
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
