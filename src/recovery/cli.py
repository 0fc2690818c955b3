"""Command line: ``python -m recovery list``, ``python -m recovery params FIG`` and
``python -m recovery run FIG [--name value ...] [--out DIR] [--no-progress]`` and
``python -m recovery reproduce [--quick] [--figures fig1,fig3] [--out results]`` (every figure at the
paper's size, the ``PAPER_SIZE`` of its module; ``--quick`` uses ``QUICK_SIZE``, a smoke test).

Every field of a figure's ``Config`` is an option, spelled with dashes (``init_scale`` → ``--init-scale``;
lists as ``--scales 1e-2,1e-4``). ``run`` writes ``OUT/result.json`` (parameters, versions, code hash, measured
numbers next to the paper's, runtime), ``OUT/arrays.npz`` (the raw arrays) and ``OUT/figure.png`` (stamped
with its parameters), each atomically, and records in ``result.json`` whether the cache served every entry
(``"cache": "hit"``) or anything was computed (``"miss"``), the scheduler and number of workers, and the
provenance (:func:`recovery.provenance`).

Failing early, losing nothing:

* bad parameters, an output folder (``--out``) or cache folder (``RECOVERY_CACHE_DIR``) that cannot be created
  or written, an unavailable ``--device``, an unreachable ``--scheduler`` or a sweep whose estimated memory
  exceeds what the machine has: status 2 and one line (``recovery: error: ...``), before any computation,
  nothing written;
* a write that fails (full disk, file-size limit): status 1 and one line naming the file; no partial file is
  left, the batches already cached stay, and the same command resumes once space is freed;
* Ctrl-C (SIGINT) or SIGTERM: the sweep stops at once with one line (status 130 or 143); finished batches stay
  in the cache and the same command resumes.

``--scheduler local:N`` runs the batches on a Dask LocalCluster of N worker processes, ``--scheduler
tcp://HOST:PORT`` on a running Dask scheduler's workers (:mod:`recovery.distributed`); ``--device cuda`` runs the
integrator on a CUDA device.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .cache import ResultCache, atomic_write, check_place, tracking
from .config import ParameterError, PlaceError, ResourceError, WriteError, check_int
from .figures import available, get


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        sys.stderr.write(f"recovery: error: {message}\n")
        raise SystemExit(2)


def _parameter_rows(name: str) -> list[tuple[str, str, str]]:
    """Option, default and allowed values of every parameter of figure ``name`` (from its Config's specs)."""
    return [
        (f"--{k.replace('_', '-')}", f"(default {json.dumps(_jsonable(v))})", allowed)
        for k, v, allowed in get(name).Config.parameter_help()
    ]


class _RunHelp(argparse.Action):
    """``run FIGURE --help``: the usage, then that figure's parameters."""

    def __init__(self, option_strings: list[str], dest: str, **kw: Any) -> None:
        super().__init__(
            option_strings, dest, nargs=0, help="show this help; after FIGURE, its parameters too"
        )

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: Any = None
    ) -> None:
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
    r = sub.add_parser(
        "run",
        help="run one figure and write OUT/result.json",
        add_help=False,
        epilog="Any parameter shown by 'params FIGURE' is an option: --init-scale 1e-6 --seeds 100",
    )
    r.add_argument("-h", "--help", action=_RunHelp)
    r.add_argument("figure", help="figure name (see 'list')")
    r.add_argument("--out", default=None, help="output folder (default results/FIGURE)")
    r.add_argument("--no-progress", action="store_true", help="hide progress bars")
    _compute_options(r)
    rp = sub.add_parser("reproduce", help="run every figure at the paper's size into OUT/FIGURE/")
    rp.add_argument("--out", default="results", help="output folder (default results)")
    rp.add_argument("--quick", action="store_true", help="small sizes (a smoke test of the whole pipeline)")
    rp.add_argument("--figures", default=None, help="comma-separated subset, e.g. fig1,fig3 (default all)")
    rp.add_argument("--no-progress", action="store_true", help="hide progress bars")
    _compute_options(rp)
    return p


def _compute_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler",
        default=None,
        help="where the batches run: in-process (default), local:N (a Dask LocalCluster of N worker "
        "processes) or tcp://HOST:PORT (a running Dask scheduler)",
    )
    p.add_argument("--device", default="cpu", help="where the integrator runs: cpu (default), cuda or cuda:N")
    p.add_argument(
        "--batch-size",
        default=None,
        help="trials per batch (default $RECOVERY_BATCH_SIZE or 4000): bounds the memory; each batch is "
        "cached as it finishes, so an interrupted run resumes from the last one",
    )


def _check_compute(args: argparse.Namespace) -> tuple[str | None, str]:
    """Validate --scheduler and --device before any work (one line, status 2, otherwise)."""
    from .sweeps import BATCH_ENV, batch_size, check_device, check_scheduler

    check_scheduler(args.scheduler)
    if args.batch_size is not None:
        os.environ[BATCH_ENV] = str(check_int("batch_size", args.batch_size, 1, 10**7))
    batch_size()
    return args.scheduler, check_device(args.device)


def _write(
    mod: Any,
    name: str,
    cfg: Any,
    out: Path,
    progress: bool,
    scheduler: str | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Run one figure and write result.json, arrays.npz and figure.png into ``out`` (all or none)."""
    from . import provenance

    t0 = time.perf_counter()
    with tracking() as log:
        summary, arrays = mod.run(cfg, progress=progress, scheduler=scheduler, device=device)
    summary["call_time_s"] = time.perf_counter() - t0
    summary["cache"] = log.cache
    summary["batches_computed"] = log.batches
    summary["scheduler"] = log.scheduler if scheduler else "in-process"
    summary["workers"] = log.workers if scheduler else 1
    summary["provenance"] = provenance(device, scheduler=summary["scheduler"], workers=summary["workers"])
    _write_outputs(name, summary, arrays, out)
    print(
        f"{name}: wrote {out / 'result.json'}, arrays.npz, figure.png ({summary['call_time_s']:.1f} s, "
        f"cache {summary['cache']})"
    )
    for line in summary.get("headline", []):
        print("  " + line)
    return summary


def _write_outputs(name: str, summary: dict[str, Any], arrays: dict[str, np.ndarray], out: Path) -> None:
    """arrays.npz, figure.png and result.json, each written to a temporary file first and renamed into place
    only when all three are complete: a failure (full disk) leaves no partial or mixed set of files."""
    tmp_png = out / f".figure.{os.getpid()}.tmp.png"
    staged: list[tuple[Path, Path]] = []
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        staged.append(
            (
                _stage(out / "arrays.npz", lambda f: np.savez_compressed(f, **arrays), "arrays"),
                out / "arrays.npz",
            )
        )
        try:
            importlib.import_module(f"recovery.plots.{name}").write_png(summary, arrays, tmp_png)
        except OSError as e:
            raise WriteError("figure", out / "figure.png", e) from None
        staged.append((tmp_png, out / "figure.png"))
        text = json.dumps(_strict(summary), indent=2, default=_jsonable) + "\n"
        staged.append((_stage(out / "result.json", text.encode(), "result"), out / "result.json"))
        for tmp, final in staged:
            os.replace(tmp, final)
    except BaseException as e:  # a failed write, or Ctrl-C while writing: remove what was staged
        tmp_png.unlink(missing_ok=True)
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # leave no empty folder behind either
        if isinstance(e, OSError) and not isinstance(e, WriteError):
            raise WriteError("output", out, e) from None
        raise


def _stage(final: Path, data: bytes | Callable[[BinaryIO], None], what: str) -> Path:
    """``data`` written completely (fsynced) to a temporary file beside ``final``; WriteError naming ``final``."""
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        atomic_write(tmp, data, what)
    except WriteError as e:
        raise WriteError(what, final, OSError(e.reason)) from None
    return tmp


class Terminated(KeyboardInterrupt):
    """SIGTERM, unwinding like Ctrl-C (finished batches are already in the cache)."""


@contextlib.contextmanager
def _interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` inside the block (SIGINT already raises KeyboardInterrupt)."""

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _check_places(outs: list[Path]) -> None:
    """The output folders and the cache folder, before any work."""
    for out in outs:
        check_place("--out", out)
    ResultCache().check()


def _reproduce(args: argparse.Namespace) -> int:
    """Every figure at its paper size (``PAPER_SIZE`` of its module) or, with --quick, ``QUICK_SIZE``."""
    names = available() if args.figures is None else [n.strip() for n in args.figures.split(",") if n.strip()]
    mods = {n: get(n) for n in names}  # validate every name before running anything
    cfgs = {
        n: m.Config.from_user(**getattr(m, "QUICK_SIZE" if args.quick else "PAPER_SIZE", {}))
        for n, m in mods.items()
    }
    scheduler, device = _check_compute(args)
    _check_places([Path(args.out) / n for n in mods])
    for n, m in mods.items():
        _write(m, n, cfgs[n], Path(args.out) / n, not args.no_progress, scheduler, device)
    return 0


def _options(tokens: list[str]) -> dict[str, str]:
    """``['--init-scale', '1e-8', ...]`` → ``{'init_scale': '1e-8'}``; values may start with '-' (e.g. -1)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or len(tok) < 3:
            raise ParameterError(
                "option", tok, "expected --NAME VALUE (see 'python -m recovery params FIGURE')"
            )
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
    with tracking() as log, _interrupts():
        try:
            return _main(args, rest)
        except (ParameterError, PlaceError, ResourceError) as e:
            sys.stderr.write(f"recovery: error: {e}\n")
            return 2
        except WriteError as e:
            sys.stderr.write(
                f"recovery: error: {e} (nothing partial was left; {log.batches} batch(es) finished "
                "in this run are kept in the cache: free space and run the same command to resume)\n"
            )
            return 1
        except KeyboardInterrupt as e:
            sig = "SIGTERM" if isinstance(e, Terminated) else "SIGINT"
            sys.stderr.write(
                f"recovery: interrupted by {sig}; {log.batches} finished batch(es) of this run are kept "
                f"in the cache ({ResultCache().root}); run the same command to resume\n"
            )
            return 143 if isinstance(e, Terminated) else 130
        finally:
            if "recovery.distributed" in sys.modules:
                sys.modules["recovery.distributed"].close_all()


def _main(args: argparse.Namespace, rest: list[str]) -> int:
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
    scheduler, device = _check_compute(args)
    _check_places([out])
    _write(mod, args.figure, cfg, out, not args.no_progress, scheduler, device)
    return 0


def entry() -> int:
    """``python -m recovery`` and the ``recovery`` script: :func:`main`, then an immediate exit once the atexit
    handlers have run, without tearing the interpreter down.

    Everything the command writes is complete (fsynced) when :func:`main` returns, and tearing torch and
    matplotlib down costs ≈ 0.3-0.5 s, a sixth of a whole Figure 3 run (after an interrupt, seconds on a busy
    machine: an interrupted user gets the prompt back at once). Only when another non-daemon thread is still
    alive (the interpreter would wait for it) does the exit take the ordinary way.
    """
    try:
        code = main()
    except BrokenPipeError:  # the reader went away (e.g. `recovery run fig3 --help | head`): no traceback
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # 128 + SIGPIPE, as the shell reports a command killed by a closed pipe
    if threading.active_count() == 1 or code in (130, 143):
        if code not in (130, 143):
            atexit._run_exitfuncs()  # what a normal exit runs (e.g. coverage, logging), without the teardown
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
                stream.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    raise SystemExit(entry())
