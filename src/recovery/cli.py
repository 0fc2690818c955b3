"""Command line: ``python -m recovery list``, ``python -m recovery params FIG`` and
``python -m recovery run FIG [--name value ...] [--out DIR] [--no-progress]``.

Every field of a figure's ``Config`` is an option, spelled with dashes (``init_scale`` → ``--init-scale``;
lists as ``--scales 1e-2,1e-4``). ``run`` writes ``OUT/result.json`` (parameters, versions, code hash, measured
numbers next to the paper's, runtime), ``OUT/arrays.npz`` (the raw arrays) and ``OUT/figure.png`` (stamped
with its parameters). Bad parameters exit with status 2 and one line
``recovery: error: invalid NAME=VALUE: allowed range`` from the same validator the Python API and the
notebooks use; nothing is written then.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .config import ParameterError
from .figures import available, get


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        sys.stderr.write(f"recovery: error: {message}\n")
        raise SystemExit(2)


def _parser() -> _Parser:
    p = _Parser(prog="python -m recovery", description="Companion computations for arXiv:2405.13787.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="name the figures that can be run")
    pp = sub.add_parser("params", help="list a figure's parameters and their defaults")
    pp.add_argument("figure")
    r = sub.add_parser("run", help="run one figure and write OUT/result.json",
                       epilog="Any parameter shown by 'params FIGURE' is an option: --init-scale 1e-6 --seeds 100")
    r.add_argument("figure", help="figure name (see 'list')")
    r.add_argument("--out", default=None, help="output folder (default results/FIGURE)")
    r.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


def _options(tokens: list[str]) -> dict[str, str]:
    """``['--init-scale', '1e-8', ...]`` → ``{'init_scale': '1e-8'}``; values may start with '-' (e.g. -1)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or len(tok) < 3:
            raise ParameterError("option", tok, "expected --NAME VALUE (see 'python -m recovery params FIGURE')")
        name, eq, value = tok[2:].partition("=")
        if not eq:
            if i + 1 >= len(tokens):
                raise ParameterError(name.replace("-", "_"), None, "missing value after --" + name)
            value = tokens[i + 1]
            i += 1
        out[name.replace("-", "_")] = value
        i += 1
    return out


def _jsonable(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def main(argv: list[str] | None = None) -> int:
    args, rest = _parser().parse_known_args(argv)
    try:
        if args.command == "list":
            for name in available():
                print(f"{name}\t{get(name).DESCRIPTION}")
            return 0
        mod = get(args.figure)
        if args.command == "params":
            for f in dataclasses.fields(mod.Config):
                default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
                print(f"--{f.name.replace('_', '-')}\t(default {json.dumps(_jsonable(default))})")
            return 0
        if args.command != "run" or (rest and args.command != "run"):
            raise ParameterError("command", args.command, "must be list, params or run")
        cfg = mod.Config.from_user(**_options(rest))
        out = Path(args.out if args.out is not None else Path("results") / args.figure)
        t0 = time.perf_counter()
        summary, arrays = mod.run(cfg, progress=not args.no_progress)
        summary["call_time_s"] = time.perf_counter() - t0
    except ParameterError as e:
        sys.stderr.write(f"recovery: error: {e}\n")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(summary, indent=2, default=_jsonable) + "\n")
    np.savez_compressed(out / "arrays.npz", **arrays)
    mod.write_png(summary, arrays, out / "figure.png")
    print(f"{args.figure}: wrote {out / 'result.json'}, arrays.npz, figure.png")
    for line in summary.get("headline", []):
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
