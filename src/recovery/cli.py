"""Command line: ``python -m recovery list`` and ``python -m recovery run FIGURE [options]``.

``run fig3`` writes ``OUT/result.json`` (parameters, versions, per-seed ratios and sets, measured thresholds,
fractions, runtime), ``OUT/arrays.npz`` (the raw arrays) and ``OUT/figure.png`` (stamped with its parameters). Bad parameters exit with status 2 and one line
``recovery: error: invalid NAME=VALUE: allowed range`` from the same validator the Python API and the
notebooks use.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import ParameterError, check_choice

FIGURES: dict[str, str] = {
    "fig3": "Figure 3: Q1/Q2 convergence against |C1/C2| (n=6 evenly spaced, s=1e-8, 400 seeds)",
}


class _Parser(argparse.ArgumentParser):
    def __init__(self, *a: Any, **k: Any) -> None:
        super().__init__(*a, **k)
        # let "-1e-8", "-2.5", "-inf" reach the validator as values instead of being taken for options
        self._negative_number_matcher = re.compile(r"^-((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|inf|nan)$", re.I)

    def error(self, message: str) -> None:  # one line, status 2
        sys.stderr.write(f"recovery: error: {message}\n")
        raise SystemExit(2)


def _parser() -> _Parser:
    p = _Parser(prog="python -m recovery", description="Companion computations for arXiv:2405.13787.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="name the figures that can be run")
    r = sub.add_parser("run", help="run one figure and write OUT/result.json")
    r.add_argument("figure", help="figure name (see 'list')")
    # values are kept as strings here and validated by recovery.config, so every entry point words errors alike
    r.add_argument("--seeds", help="number of initialization seeds (integer >= 1)")
    r.add_argument("--first-seed", help="first seed (integer >= 0)")
    r.add_argument("--init-scale", help="initialization scale s > 0")
    r.add_argument("--n-samples", help="training sample size n >= 1")
    r.add_argument("--design", help="input design: even or gaussian")
    r.add_argument("--data-seed", help="seed of Gaussian inputs (integer >= 0)")
    r.add_argument("--width", help="number of neurons (2 to 12 for fig3)")
    r.add_argument("--activation", help="activation: tanh or rational (x/(1+x^2))")
    r.add_argument("--t-max", help="gradient-flow horizon > 0")
    r.add_argument("--rtol", help="integrator relative tolerance in (0, 0.1]")
    r.add_argument("--out", default=None, help="output folder (default results/FIGURE)")
    r.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


def _run_fig3(args: argparse.Namespace) -> dict[str, Any]:
    from . import plots
    from .sweeps import Fig3Config, fig3_summary, run_fig3, thresholds_over_horizon

    cfg = Fig3Config.from_user(
        seeds=args.seeds, first_seed=args.first_seed, init_scale=args.init_scale, n_samples=args.n_samples,
        design=args.design, data_seed=args.data_seed, width=args.width, activation=args.activation,
        t_max=args.t_max, rtol=args.rtol,
    )
    t0 = time.perf_counter()
    arrays = run_fig3(cfg, progress=not args.no_progress)
    summary = fig3_summary(cfg, arrays)
    summary["call_time_s"] = time.perf_counter() - t0
    hz = thresholds_over_horizon(arrays)
    return {"summary": summary, "arrays": arrays,
            "png": lambda path: plots.fig3_static(arrays, summary, hz, path)}


RUNNERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {"fig3": _run_fig3}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for name, text in FIGURES.items():
            print(f"{name}\t{text}")
        return 0
    try:
        check_choice("figure", args.figure, FIGURES)
        out = Path(args.out if args.out is not None else Path("results") / args.figure)
        res = RUNNERS[args.figure](args)
    except ParameterError as e:
        sys.stderr.write(f"recovery: error: {e}\n")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(res["summary"], indent=2) + "\n")
    np.savez_compressed(out / "arrays.npz", **res["arrays"])
    if "png" in res:
        res["png"](out / "figure.png")
    s = res["summary"]
    print(f"{args.figure}: wrote {out / 'result.json'}")
    if "threshold_low" in s:
        print(f"  thresholds |C1/C2|: low {s['threshold_low']:.3f} (paper {s['paper_threshold_low']}), "
              f"high {s['threshold_high']:.3f} (paper {s['paper_threshold_high']}) at horizon t={s['horizon']:g}")
        print(f"  reached Q1 {s['fraction_Q1']:.3f}, Q2 {s['fraction_Q2']:.3f}, neither {s['fraction_neither']:.3f}; "
              f"compute {s['runtime_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
