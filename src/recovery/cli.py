"""Command line: ``python -m recovery list``, ``python -m recovery params FIG`` and
``python -m recovery run FIG [--name value ...] [--out DIR] [--no-progress]`` and
``python -m recovery reproduce [--quick] [--figures fig1,fig3] [--out results]`` (every figure at the
paper's size, the ``PAPER_SIZE`` of its module; ``--quick`` uses ``QUICK_SIZE``, a smoke test).

Every field of a figure's ``Config`` is an option, spelled with dashes (``init_scale`` → ``--init-scale``;
lists as ``--scales 1e-2,1e-4``). ``run`` writes ``OUT/result.json`` (parameters, versions, code hash, measured
numbers next to the paper's, runtime), ``OUT/arrays.npz`` (the raw arrays) and ``OUT/figure.png`` (stamped
with its parameters). Bad parameters exit with status 2 and one line
``recovery: error: invalid NAME=VALUE: allowed range`` from the same validator the Python API and the
notebooks use; nothing is written then.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
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


def _parameter_rows(name: str) -> list[tuple[str, str, str]]:
    """Option, default and allowed values of every parameter of figure ``name`` (from its Config's specs)."""
    return [(f"--{k.replace('_', '-')}", f"(default {json.dumps(_jsonable(v))})", allowed)
            for k, v, allowed in get(name).Config.parameter_help()]


class _RunHelp(argparse.Action):
    """``run FIGURE --help``: the usage, then that figure's parameters."""

    def __init__(self, option_strings: list[str], dest: str, **kw: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show this help; after FIGURE, its parameters too")

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: Any = None) -> None:
        parser.print_help()
        name = getattr(namespace, "figure", None)
        if name in available():
            print(f"\nparameters of {name} (default, allowed values):")
            rows = _parameter_rows(name)
            w0, w1 = (max(len(r[i]) for r in rows) for i in (0, 1))
            print("\n".join(f"  {o:<{w0}}  {d:<{w1}}  {a}".rstrip() for o, d, a in rows))
        parser.exit()


def _parser() -> _Parser:
    p = _Parser(prog="python -m recovery", description="Companion computations for arXiv:2405.13787.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="name the figures that can be run")
    pp = sub.add_parser("params", help="list a figure's parameters, their defaults and allowed values")
    pp.add_argument("figure")
    r = sub.add_parser("run", help="run one figure and write OUT/result.json", add_help=False,
                       epilog="Any parameter shown by 'params FIGURE' is an option: --init-scale 1e-6 --seeds 100")
    r.add_argument("-h", "--help", action=_RunHelp)
    r.add_argument("figure", help="figure name (see 'list')")
    r.add_argument("--out", default=None, help="output folder (default results/FIGURE)")
    r.add_argument("--no-progress", action="store_true", help="hide progress bars")
    rp = sub.add_parser("reproduce", help="run every figure at the paper's size into OUT/FIGURE/")
    rp.add_argument("--out", default="results", help="output folder (default results)")
    rp.add_argument("--quick", action="store_true", help="small sizes (a smoke test of the whole pipeline)")
    rp.add_argument("--figures", default=None, help="comma-separated subset, e.g. fig1,fig3 (default all)")
    rp.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


def _write(mod: Any, name: str, cfg: Any, out: Path, progress: bool) -> dict[str, Any]:
    """Run one figure and write result.json, arrays.npz and figure.png into ``out``."""
    t0 = time.perf_counter()
    summary, arrays = mod.run(cfg, progress=progress)
    summary["call_time_s"] = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(_strict(summary), indent=2, default=_jsonable) + "\n")
    np.savez_compressed(out / "arrays.npz", **arrays)
    importlib.import_module(f"recovery.plots.{name}").write_png(summary, arrays, out / "figure.png")
    print(f"{name}: wrote {out / 'result.json'}, arrays.npz, figure.png ({summary['call_time_s']:.1f} s)")
    for line in summary.get("headline", []):
        print("  " + line)
    return summary


def _reproduce(args: argparse.Namespace) -> int:
    """Every figure at its paper size (``PAPER_SIZE`` of its module) or, with --quick, ``QUICK_SIZE``."""
    names = available() if args.figures is None else [n.strip() for n in args.figures.split(",") if n.strip()]
    mods = {n: get(n) for n in names}  # validate every name before running anything
    cfgs = {n: m.Config.from_user(**getattr(m, "QUICK_SIZE" if args.quick else "PAPER_SIZE", {}))
            for n, m in mods.items()}
    for n, m in mods.items():
        _write(m, n, cfgs[n], Path(args.out) / n, not args.no_progress)
    return 0


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


def _strict(v: Any) -> Any:
    """``v`` with every NaN or infinite float replaced by ``None`` (``null``), so result.json is strict JSON (a
    page's glue section may hold NaN where a reduced run leaves a value undefined)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _strict(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_strict(x) for x in v]
    return v


def _jsonable(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def main(argv: list[str] | None = None) -> int:
    args, rest = _parser().parse_known_args(argv)
    try:
        if rest and args.command != "run":
            raise ParameterError("option", rest[0], f"'{args.command}' takes no figure parameters")
        if args.command == "list":
            for name in available():
                print(f"{name}\t{get(name).DESCRIPTION}")
            return 0
        if args.command == "reproduce":
            return _reproduce(args)
        mod = get(args.figure)
        if args.command == "params":
            print("\n".join("\t".join(r).rstrip() for r in _parameter_rows(args.figure)))
            return 0
        cfg = mod.Config.from_user(**_options(rest))
        out = Path(args.out if args.out is not None else Path("results") / args.figure)
    except ParameterError as e:
        sys.stderr.write(f"recovery: error: {e}\n")
        return 2
    _write(mod, args.figure, cfg, out, not args.no_progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
