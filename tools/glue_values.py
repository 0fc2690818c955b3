"""Dump every glued value of the built book, and compare two dumps (a refactoring must not move a number).

    python tools/glue_values.py dump _build before.json           # after `make book`
    python tools/glue_values.py dump-notebook out.json a.ipynb ...  # notebooks executed by papermill
    python tools/glue_values.py compare before.json after.json     # exit 1 if a value moved
    python tools/glue_values.py compare --subset before.json out.json   # only the pages out.json holds

A value is the ``text/plain`` of the glue output (myst-nb keeps it in ``NOTEBOOK.glue.json`` beside the executed notebook); numbers
compare equal to ``--rtol`` (default 1e-12, for a shared helper that replaced a copy), everything else exactly.
Glued figures and HTML are compared by their text form only (plotly div ids and addresses are dropped).
``dump-notebook`` reads the glue outputs (metadata ``scrapbook.name``) from executed notebooks and keys them like
``dump`` (``notebooks/NAME``, from the notebook's file name), so one page can be checked without building the book;
``--markdown`` records a glued Markdown object by its Markdown text instead of its ``text/plain`` placeholder.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

_VOLATILE = re.compile(r"(0x[0-9a-f]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def dump(build: Path) -> dict[str, dict[str, str]]:
    """``{page: {glue key: text}}`` from the ``*.glue.json`` files that myst-nb writes next to the executed
    notebooks under ``build/jupyter_execute``."""
    out: dict[str, dict[str, str]] = {}
    for f in sorted((build / "jupyter_execute").rglob("*.glue.json")):
        page = f.relative_to(build / "jupyter_execute").as_posix().removesuffix(".glue.json")
        values = {name: _glue_text(o.get("data", {})) for name, o in json.loads(f.read_text()).items()}
        if values:
            out[page] = values
    return out


def _glue_text(data: dict, markdown: bool = False) -> str:
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    if "text/html" in data or "image/png" in data:
        text = "<figure>"  # figures are compared by eye (screenshots), not by their bytes
    if markdown and "text/markdown" in data:
        md = data["text/markdown"]
        text = "".join(md) if isinstance(md, list) else md
    return _VOLATILE.sub("#", text)


def dump_notebooks(paths: list[Path], markdown: bool = False) -> dict[str, dict[str, str]]:
    """``{"notebooks/NAME": {glue key: text}}`` from executed notebooks (papermill keeps each glue output in its
    cell, with metadata ``scrapbook.name``); the same text as :func:`dump` (``markdown``: Markdown by its text)."""
    out: dict[str, dict[str, str]] = {}
    for path in paths:
        values: dict[str, str] = {}
        for cell in json.loads(Path(path).read_text())["cells"]:
            for o in cell.get("outputs", []):
                name = o.get("metadata", {}).get("scrapbook", {}).get("name")
                if name is not None:  # papermill prefixes the mime types with application/papermill.record/
                    data = {
                        k.removeprefix("application/papermill.record/"): v
                        for k, v in o.get("data", {}).items()
                    }
                    values[name] = _glue_text(data, markdown)
        if values:
            out[f"notebooks/{Path(path).stem}"] = values
    return out


def _number(text: str) -> float | None:
    t = text.strip().removeprefix("np.float64(").removesuffix(")")
    try:
        return float(t)
    except ValueError:
        return None


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]], rtol: float) -> list[str]:
    """One line per glued value that disappeared, appeared or moved."""
    lines = []
    for page in sorted(set(before) | set(after)):
        b, a = before.get(page, {}), after.get(page, {})
        for key in sorted(set(b) | set(a)):
            if key not in a:
                lines.append(f"{page}: {key} removed (was {b[key]!r})")
            elif key not in b:
                lines.append(f"{page}: {key} added ({a[key]!r})")
            elif a[key] != b[key]:
                x, y = _number(b[key]), _number(a[key])
                if (
                    x is not None
                    and y is not None
                    and (
                        x == y
                        or (math.isnan(x) and math.isnan(y))
                        or math.isclose(x, y, rel_tol=rtol, abs_tol=0.0)
                    )
                ):
                    continue
                lines.append(f"{page}: {key} moved {b[key]!r} -> {a[key]!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("build", type=Path)
    d.add_argument("out", type=Path)
    n = sub.add_parser("dump-notebook")
    n.add_argument("out", type=Path)
    n.add_argument("notebooks", type=Path, nargs="+")
    n.add_argument("--markdown", action="store_true", help="record glued Markdown by its text")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--rtol", type=float, default=1e-12)
    c.add_argument("--subset", action="store_true", help="compare only the pages that AFTER holds")
    args = p.parse_args(argv)
    if args.cmd == "dump":
        values = dump(args.build)
        args.out.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")
        print(f"{sum(len(v) for v in values.values())} glued values from {len(values)} pages -> {args.out}")
        return 0
    if args.cmd == "dump-notebook":
        values = dump_notebooks(args.notebooks, args.markdown)
        args.out.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")
        print(
            f"{sum(len(v) for v in values.values())} glued values from {len(values)} notebooks -> {args.out}"
        )
        return 0
    before, after = json.loads(args.before.read_text()), json.loads(args.after.read_text())
    if args.subset:
        before = {page: v for page, v in before.items() if page in after}
    lines = compare(before, after, args.rtol)
    for line in lines:
        print(line)
    print(f"{len(lines)} glued values differ" if lines else "every glued value is unchanged")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
