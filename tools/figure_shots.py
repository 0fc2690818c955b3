"""Screenshot every figure of the book at the book's content width, before and after moving its sliders.

Usage: PYTHONPATH=src .venv/bin/python tools/figure_shots.py [PAGE ...] [--out /tmp/shots] [--width 688]
       [--work DIR] [--no-run]

For each page (default: every page of ``tests/figure_sizes.NOTEBOOKS``) the notebook runs at its reduced size
(``figure_sizes.notebook_parameters``) through papermill into ``--work`` (its results cache, RECOVERY_CACHE_DIR,
lives there too, so a second run only redraws). Every HTML output that holds a plotly figure (``plots.html``, the
grid sliders) is put, in order, into one local page whose content column is ``--width`` pixels wide (the
sphinx-book-theme column is about 688 px), drawn by Debian's Chromium (``/usr/bin/chromium``, driven by
Playwright, offline; plotly.js from ``book/vendor``) and written to ``OUT/PAGE-N.png``. Every plotly slider and
every ``<input type=range>`` of the figure is then moved to its last step and the figure shot again
(``OUT/PAGE-N-end.png``). A page whose checks need the book's size still has its figures drawn (they come before
its checks cell).

This is a tool for looking at the figures, not a test: it prints the files written and exits 0.
"""

from __future__ import annotations

import argparse
import html as _html
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
from browser_check import ARGS, CHROMIUM  # noqa: E402  Chromium launched as the browser check launches it

# the book's body font (sphinx-book-theme / pydata: the system sans-serif stack) and the column's padding
PAGE_CSS = """
body { margin: 0; padding: 16px; background: #fff;
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 16px; }
.shot { width: %(width)dpx; padding: 4px 0; margin-bottom: 24px; outline: 1px dashed #ddd; }
"""


def run_page(name: str, work: Path) -> Path:
    """Run the page's notebook at its reduced size into ``work``; the executed notebook's path."""
    import papermill as pm
    from figure_sizes import NOTEBOOKS, notebook_parameters

    out = work / f"{name}.ipynb"
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in notebook_parameters(name).items()}
    try:
        pm.execute_notebook(
            str(ROOT / "notebooks" / f"{NOTEBOOKS[name]}.ipynb"),
            str(out),
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
            parameters=params,
        )
    except pm.PapermillExecutionError as e:  # e.g. checks that need the book's size: the figures are drawn
        print(f"figure_shots: {name}: the notebook stopped ({e.ename}); shooting the figures it drew")
    return out


def figure_outputs(nb_path: Path) -> list[str]:
    """The HTML of every output of the notebook that holds a plotly figure, in order."""
    cells = json.loads(nb_path.read_text())["cells"]
    found = []
    for c in cells:
        for o in c.get("outputs", []):
            h = o.get("data", {}).get("text/html")
            if h is None:
                continue
            h = "".join(h) if isinstance(h, list) else h
            if "plotly-graph-div" in h or "Plotly." in h:
                found.append(h)
    return found


def page_html(blocks: list[str], width: int) -> str:
    plotly = (ROOT / "book" / "vendor" / "plotly.min.js").as_uri()
    body = "\n".join(f'<div class="shot" id="shot-{i}">{b}</div>' for i, b in enumerate(blocks))
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><script src="{_html.escape(plotly)}"></script>'
        f"<style>{PAGE_CSS % {'width': width}}</style></head><body>{body}</body></html>"
    )


def shoot(name: str, blocks: list[str], out: Path, width: int, work: Path) -> list[Path]:
    """Screenshot each block before and after moving its sliders to their last step."""
    from playwright.sync_api import sync_playwright

    page_file = work / f"{name}.html"
    page_file.write_text(page_html(blocks, width))
    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": width + 64, "height": 1000}, offline=True)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_timeout(1500)
        for i in range(len(blocks)):
            block = page.locator(f"#shot-{i}")
            block.scroll_into_view_if_needed()
            p = out / f"{name}-{i + 1}.png"
            block.screenshot(path=str(p))
            written.append(p)
            moved = False
            rails = block.locator("g.slider-container rect.slider-rail-rect")
            for k in range(rails.count()):
                box = rails.nth(k).bounding_box()
                if box:
                    page.mouse.click(box["x"] + 0.995 * box["width"], box["y"] + box["height"] / 2)
                    page.wait_for_timeout(400)
                    moved = True
            ranges = block.locator("input[type=range]")
            for k in range(ranges.count()):
                ranges.nth(k).focus()
                page.keyboard.press("End")
                page.wait_for_timeout(400)
                moved = True
            if moved:
                p = out / f"{name}-{i + 1}-end.png"
                block.screenshot(path=str(p))
                written.append(p)
        for e in errors:
            print(f"figure_shots: {name}: page error: {e[:200]}")
        ctx.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    from figure_sizes import NOTEBOOKS

    p = argparse.ArgumentParser(prog="tools/figure_shots.py", description=__doc__.split("\n\n")[0])
    p.add_argument("pages", nargs="*", help="page names (default: every page)")
    p.add_argument("--out", default="/tmp/shots")
    p.add_argument("--width", type=int, default=688, help="content width in CSS pixels (default 688)")
    p.add_argument("--work", default=None, help="folder for the executed notebooks and the results cache")
    p.add_argument("--no-run", action="store_true", help="reuse the executed notebooks in --work")
    a = p.parse_args(argv)
    pages = a.pages or list(NOTEBOOKS)
    unknown = [q for q in pages if q not in NOTEBOOKS]
    if unknown:
        p.error(f"unknown pages {unknown}; known: {', '.join(NOTEBOOKS)}")
    work = Path(a.work or tempfile.mkdtemp(prefix="figure-shots-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["RECOVERY_CACHE_DIR"] = str(work / "cache")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in pages:
        for old in out.glob(f"{name}-*.png"):
            old.unlink()
        nb = work / f"{name}.ipynb" if a.no_run else run_page(name, work)
        blocks = figure_outputs(nb)
        files = shoot(name, blocks, out, a.width, work)
        print(f"figure_shots: {name}: {len(blocks)} figures, {' '.join(f.name for f in files)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
