"""Open the built book in headless Chromium, offline, and check every figure page like a reader would.

Usage: .venv/bin/python tools/browser_check.py [HTML_DIR] [--screenshots DIR] [--pages GLOB] [--jobs N]

For every page under ``HTML_DIR/notebooks`` (default ``_build/html``):

* the page is loaded from ``file://`` with every non-file request blocked and recorded (none may happen);
* console errors and uncaught page errors are collected (only the known sphinx-thebe/theme messages are
  ignored, see ``KNOWN_CONSOLE``);
* every plotly figure must have rendered (an SVG/WebGL plot inside each ``.js-plotly-plot``);
* every plotly slider is clicked at the far ends of its rail, and every ``<input type=range>`` is moved with
  the keyboard (Home/End), and the plot must change (trace visibility, data or title);
* a full-page screenshot is written to ``--screenshots`` (default ``_build/screenshots``).

Exit status 0 when every page passes, 1 otherwise, with one line per problem naming the page.
Chromium is Debian's ``/usr/bin/chromium`` (``make browser-deps`` installs it); it is driven by the Python
``playwright`` package and never downloaded.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the checks need playwright; main() says so
    PlaywrightTimeout = TimeoutError

CHROMIUM = os.environ.get("RECOVERY_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# Known harmless messages of the book theme (see shared/TOOLCHAIN.md): thebe's duplicated inline script and
# the theme's mode switch on file:// pages.
KNOWN_CONSOLE = ("Identifier 'THEBE_JS_URL' has already been declared", "Got invalid theme mode")
# Pages whose widgets need a kernel (notebooks/explore.ipynb): the book shows them without running them, so they
# have no plot; instead they must say that a kernel is needed and carry no widget state.
KERNEL_PAGES = ("notebooks/explore.html",)
KERNEL_NOTE = "need a running Python kernel"
# Notebook pages of text, tables and checks only (no figure to move): still checked for console errors and requests.
TEXT_PAGES = ("notebooks/named_results.html",)

# Waits: polled, never fixed (a page or a slider that works returns at once; one that does not, after the timeout).
RENDER_TIMEOUT_MS = 10_000
MOVE_TIMEOUT_MS = 5_000
POLL_MS = 50
FIRST_MOVE_MS = 250
_ALL_DRAWN_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
  .every(g => g.querySelector('.main-svg, canvas'))"""

_SETTLED_JS = """async () => { await document.fonts.ready;
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; } }"""
_SCROLL_BACK_JS = """() => { window.scrollTo(0, 0);
  for (const e of document.querySelectorAll('*')) { if (e.scrollLeft) e.scrollLeft = 0; if (e.scrollTop) e.scrollTop = 0; } }"""

# A signature of a plotly graph's visible state: which traces are visible, the data of the visible
# traces (shortened) and the title.
_SIGNATURE_JS = """(gd) => {
  const vis = gd.data.map(t => t.visible === undefined ? true : t.visible);
  const dat = gd.data.filter(t => t.visible !== false).map(t => {
     const y = t.y || t.z || [];
     return JSON.stringify(Array.from(y).slice(0, 40)) + (t.name || '');
  });
  const title = (gd.layout.title && (gd.layout.title.text || gd.layout.title)) || '';
  return JSON.stringify([vis, dat, title]);
}"""


def _settled_signature(page, gd, before: list[str]) -> str:
    """The plot's signature once the move has taken effect: polled until it differs from the previous state
    (or, when the move goes back, until it equals the first), at most ``MOVE_TIMEOUT_MS``; then returned as it
    is, so a slider that does nothing is reported, not waited for forever."""
    expect_change = len(before) == 1
    deadline_polls = MOVE_TIMEOUT_MS // POLL_MS
    if not before:
        # the first move (to the start, where the plot may already be): nothing to wait for but time, then until
        # the plot is stable
        page.wait_for_timeout(FIRST_MOVE_MS)
        sig = gd.evaluate(_SIGNATURE_JS)
        for _ in range(deadline_polls):
            page.wait_for_timeout(POLL_MS)
            again = gd.evaluate(_SIGNATURE_JS)
            if again == sig:
                break
            sig = again
        return sig
    sig = gd.evaluate(_SIGNATURE_JS)
    for _ in range(deadline_polls):
        if (sig != before[-1]) if expect_change else (sig == before[0]):
            return sig
        page.wait_for_timeout(POLL_MS)
        sig = gd.evaluate(_SIGNATURE_JS)
    return sig


def check_page(page, url: str, shot: Path) -> tuple[list[str], dict[str, int]]:
    """All problems found on one page (empty list: the page passes)."""
    problems: list[str] = []
    console: list[str] = []
    remote: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"uncaught: {e}"))

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            return r.continue_()
        remote.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    # plotly renders after load: wait until every plot has drawn (a plot that never draws is reported below)
    try:
        page.wait_for_function(_ALL_DRAWN_JS, timeout=RENDER_TIMEOUT_MS)
    except PlaywrightTimeout:
        pass
    graphs = page.locator(".js-plotly-plot")
    n_graphs = graphs.count()
    for i in range(n_graphs):
        gd = graphs.nth(i)
        if gd.locator(".main-svg, canvas").count() == 0:
            problems.append(f"plot {i} ({gd.get_attribute('id')}) did not render")
    n_sliders = 0
    for i in range(n_graphs):
        gd = graphs.nth(i)
        rails = gd.locator("g.slider-container rect.slider-rail-rect")
        for k in range(rails.count()):
            n_sliders += 1
            rail = rails.nth(k)
            rail.scroll_into_view_if_needed()
            box = rail.bounding_box()
            if box is None:
                problems.append(f"slider {k} of plot {gd.get_attribute('id')} is not visible")
                continue
            sigs = []
            for frac in (0.01, 0.99, 0.01):
                page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
                sigs.append(_settled_signature(page, gd, sigs))
            if sigs[0] == sigs[1] or sigs[0] != sigs[2]:
                problems.append(f"slider {k} of plot {gd.get_attribute('id')} does not change the plot")
    ranges = page.locator("input[type=range]")
    for k in range(ranges.count()):
        n_sliders += 1
        rng = ranges.nth(k)
        target = rng.get_attribute("data-plot")  # the id of the plot the range input drives, if stated
        if target:
            gd = page.locator(f"[id='{target}']")
        else:  # else the nearest plot sharing an enclosing block with the input
            gd = rng.locator(
                "xpath=ancestor::div[.//div[contains(@class,'js-plotly-plot')]][1]"
                "//div[contains(@class,'js-plotly-plot')]"
            ).first
            target = gd.get_attribute("id") if gd.count() else None
        if not target or gd.count() == 0:
            problems.append(f"range input {k} ({rng.get_attribute('id')}) drives no plot")
            continue
        rng.scroll_into_view_if_needed()
        sigs = []
        for key in ("Home", "End", "Home"):
            rng.focus()
            page.keyboard.press(key)
            sigs.append(_settled_signature(page, gd, sigs))
        if sigs[0] == sigs[1] or sigs[0] != sigs[2]:
            problems.append(f"range input {k} ({rng.get_attribute('id')}) does not change plot {target}")
    shot.parent.mkdir(parents=True, exist_ok=True)
    # the page as a reader opens it: its fonts and math typeset (a page without plots reaches this point early),
    # and every container scrolled back (moving the sliders may have scrolled one sideways, next to a wide table)
    page.evaluate(_SETTLED_JS)
    page.evaluate(_SCROLL_BACK_JS)
    page.screenshot(path=str(shot), full_page=True)
    for msg in console:
        if not any(k in msg for k in KNOWN_CONSOLE):
            problems.append(f"console error: {msg[:200]}")
    for u in remote:
        problems.append(f"request left the machine: {u[:200]}")
    if url.endswith(KERNEL_PAGES):
        html = page.content()
        if KERNEL_NOTE not in html:
            problems.append(f"a live-widget page without the note that its sliders {KERNEL_NOTE}")
        if "application/vnd.jupyter.widget-" in html:
            problems.append("a live-widget page carries ipywidgets state into the static book")
    elif "notebooks/" in url and n_graphs == 0 and not url.endswith(TEXT_PAGES):
        problems.append("no plotly figure on a figure page")
    return problems, {"graphs": n_graphs, "sliders": n_sliders}


def _check_pages(
    pages: list[Path], root: Path, shots: Path
) -> list[tuple[str, tuple[list[str], dict[str, int]]]]:
    """Check ``pages`` one after the other in one Chromium of this thread's own; (page, (problems, info)) each.
    Most of a page's time is waiting (rendering, slider moves), so a few threads check the book in a fraction of
    the time on two cores."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for q in pages:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
            out.append(
                (
                    q.relative_to(root).as_posix(),
                    check_page(ctx.new_page(), q.as_uri(), shots / (q.stem + ".png")),
                )
            )
            ctx.close()
        browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tools/browser_check.py")
    p.add_argument("html", nargs="?", default="_build/html")
    p.add_argument("--screenshots", default="_build/screenshots")
    p.add_argument("--pages", default="notebooks/*.html", help="glob of pages, relative to HTML_DIR")
    p.add_argument(
        "--jobs",
        type=int,
        default=3,
        help="pages checked at once, each in its own Chromium (default: %(default)s)",
    )
    a = p.parse_args(argv)
    if a.jobs < 1:
        p.error(f"--jobs must be >= 1, got {a.jobs}")

    root = Path(a.html).resolve()
    pages = sorted(
        q for q in root.rglob("*.html") if fnmatch.fnmatch(q.relative_to(root).as_posix(), a.pages)
    )
    if not pages:
        print(
            f"browser_check: no pages matching {a.pages} under {root} (run make book first)", file=sys.stderr
        )
        return 1
    if not Path(CHROMIUM).exists():
        print(
            f"browser_check: {CHROMIUM} not found (make browser-deps installs Debian's chromium)",
            file=sys.stderr,
        )
        return 1
    shots = Path(a.screenshots)
    groups = [pages[k :: a.jobs] for k in range(min(a.jobs, len(pages)))]
    with ThreadPoolExecutor(
        len(groups)
    ) as pool:  # one Chromium per thread (playwright: an instance per thread)
        results = dict(kv for part in pool.map(lambda g: _check_pages(g, root, shots), groups) for kv in part)
    failed = 0
    report = {}
    for q in pages:  # reported in page order, whichever thread checked the page
        rel = q.relative_to(root).as_posix()
        problems, info = results[rel]
        report[rel] = {"problems": problems, **info}
        status = "ok" if not problems else "FAIL"
        print(f"browser_check: {status} {rel}: {info['graphs']} plots, {info['sliders']} sliders")
        for prob in problems:
            print(f"browser_check:   {rel}: {prob}", file=sys.stderr)
        failed += bool(problems)
    Path(a.screenshots).mkdir(parents=True, exist_ok=True)
    (Path(a.screenshots) / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
