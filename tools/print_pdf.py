"""Print the single-page HTML build of the book to one PDF with headless Chromium, offline (``make pdf``).

Usage: .venv/bin/python tools/print_pdf.py [BOOK_ROOT] [--out PDF]

``BOOK_ROOT`` (default ``.``) holds ``_toc.yml`` and ``_build/singlehtml`` (``jupyter-book build --builder
singlehtml``); the page printed is the toc's root document, which holds every chapter in toc order. The page is
loaded from ``file://`` with every other request blocked (one is an error), MathJax and every plotly figure are
waited for, the page is switched to print media at the width of the paper, every plotly figure is re-laid out
at that width (sliders keep their initial state), WebGL figures (3-D) are replaced by plotly's PNG rendering of
them (a WebGL canvas prints blank), and Chromium prints it: A4, backgrounds on, every chapter on a
new page, a figure never split across pages, page numbers in the footer and an outline from the headings.
No TeX is involved. Chromium is Debian's ``/usr/bin/chromium`` (``make browser-deps``), driven by the Python
``playwright`` package and never downloaded, exactly as ``tools/browser_check.py`` launches it.

Exit status 0 with one line naming the PDF, its size and the number of plots; 1 with a message otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_check import ARGS, CHROMIUM, KNOWN_CONSOLE  # one way to launch the browser for both tools

# Harmless script errors of the single-page build, on top of browser_check's known theme messages: the theme's
# inline scripts expect DOCUMENTATION_OPTIONS, which the singlehtml template defines in a file it loads later.
KNOWN_ERRORS = (*KNOWN_CONSOLE, "DOCUMENTATION_OPTIONS is not defined")

PAPER = "A4"
MARGIN_MM = 14
# A4 is 210 mm wide; at CSS's 96 px per inch the printable width is (210 - 2·margin) / 25.4 · 96 px. The page is
# laid out at that viewport width so that what is measured before printing is what gets printed.
VIEWPORT_WIDTH = int((210 - 2 * MARGIN_MM) / 25.4 * 96)

PRINT_CSS = """
@page { size: A4; }
/* every chapter (document) of the single-page build starts a new page */
span[id^="document-"] + section { break-before: page; }
/* a figure, a table or a code cell is never cut in two */
.js-plotly-plot, .plotly-graph-div, table, figure, .cell_input, img { break-inside: avoid; }
/* long code lines wrap instead of running off the page */
pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
/* the theme's on-screen chrome */
.headerlink, .header-article, .prev-next-area, .bd-footer-article, .toggle-secondary-sidebar { display: none !important; }
"""

# every figure emitted by plotly's to_html (class plotly-graph-div) has been drawn by plotly.js
_PLOTS_READY_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div'))
    .every(gd => gd.classList.contains('js-plotly-plot') && gd.querySelector('.main-svg') !== null)"""
_NOT_RENDERED_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div'))
    .filter(gd => !(gd.classList.contains('js-plotly-plot') && gd.querySelector('.main-svg'))).map(gd => gd.id)"""
_RELAYOUT_JS = """async () => {
  const gds = Array.from(document.querySelectorAll('.plotly-graph-div'));
  await Promise.all(gds.map(gd => window.Plotly.Plots.resize(gd)));
  return gds.length;
}"""
# WebGL figures (3-D scenes, scattergl) print blank: Chromium does not keep a WebGL canvas's drawing buffer for
# printing. Each is replaced by plotly's own PNG rendering of it at the size it has on the page (2x resolution).
_GL_TO_IMAGE_JS = """async () => {
  const gds = Array.from(document.querySelectorAll('.plotly-graph-div')).filter(gd => gd.querySelector('canvas'));
  for (const gd of gds) {
    const w = gd._fullLayout.width, h = gd._fullLayout.height;
    const img = document.createElement('img');
    img.src = await window.Plotly.toImage(gd, {format: 'png', width: w, height: h, scale: 2});
    img.style.width = w + 'px';
    img.style.maxWidth = '100%';
    img.alt = 'the interactive figure, as first shown on the page';
    await img.decode();
    gd.style.display = 'none';
    gd.after(img);
  }
  return gds.length;
}"""
_MATHJAX_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; return true; }
  return false;
}"""
FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def single_page(book: Path) -> Path:
    """The single-page HTML of the book, at the top of ``_build/singlehtml``.

    Sphinx writes it as the toc's root document (``book/intro.html``) but with links relative to the top of the
    build (``_static/…``, ``_images/…``), which resolve only from there; so the page is copied to
    ``_build/singlehtml/book.html`` and printed from that copy."""
    out = book / "_build" / "singlehtml"
    root = yaml.safe_load((book / "_toc.yml").read_text())["root"]
    src = out / f"{Path(root).with_suffix('')}.html"
    if not src.is_file():
        raise FileNotFoundError(f"{src} not found (build the single-page HTML first: make pdf)")
    dst = out / "book.html"
    if src.resolve() != dst.resolve():
        shutil.copyfile(src, dst)
    return dst


def print_pdf(html: Path, out: Path, timeout_ms: int = 120_000) -> dict[str, int]:
    """Print ``html`` to ``out``; returns the number of plots and the PDF's size. Raises on a request that
    leaves the machine, a plot that does not render or a page error."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    remote: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": VIEWPORT_WIDTH, "height": 1000}, offline=True)
        page = ctx.new_page()
        page.on(
            "pageerror", lambda e: None if any(k in str(e) for k in KNOWN_ERRORS) else errors.append(str(e))
        )

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                return r.continue_()
            remote.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.goto(html.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        page.evaluate(_MATHJAX_JS)
        try:
            page.wait_for_function(_PLOTS_READY_JS, timeout=timeout_ms)
        except PlaywrightTimeout as e:
            missing = page.evaluate(_NOT_RENDERED_JS)
            raise RuntimeError(
                f"{len(missing)} plots did not render in {timeout_ms / 1000:.0f} s: {', '.join(missing[:5])}"
            ) from e
        page.emulate_media(media="print")
        page.add_style_tag(content=PRINT_CSS)
        n_plots = page.evaluate(_RELAYOUT_JS)
        page.wait_for_timeout(500)
        n_gl = page.evaluate(_GL_TO_IMAGE_JS)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(
            path=str(out),
            format=PAPER,
            print_background=True,
            outline=True,
            tagged=True,
            margin={k: f"{MARGIN_MM}mm" for k in ("top", "bottom", "left", "right")},
            display_header_footer=True,
            header_template="<div></div>",
            footer_template=FOOTER,
        )
        ctx.close()
        browser.close()
    if remote:
        raise RuntimeError(f"requests left the machine: {remote[:3]}")
    if errors:
        raise RuntimeError(f"page errors: {errors[:3]}")
    return {"plots": int(n_plots), "webgl_as_images": int(n_gl), "bytes": out.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tools/print_pdf.py")
    p.add_argument(
        "book", nargs="?", default=".", help="the book folder (holds _toc.yml and _build/singlehtml)"
    )
    p.add_argument("--out", default=None, help="the PDF (default BOOK/_build/pdf/book.pdf)")
    a = p.parse_args(argv)
    book = Path(a.book)
    out = Path(a.out) if a.out else book / "_build" / "pdf" / "book.pdf"
    try:
        html = single_page(book)
    except FileNotFoundError as e:
        print(f"print_pdf: {e}", file=sys.stderr)
        return 1
    if not Path(CHROMIUM).exists():
        print(
            f"print_pdf: {CHROMIUM} not found (make browser-deps installs Debian's chromium)", file=sys.stderr
        )
        return 1
    from playwright.sync_api import Error as PlaywrightError

    t0 = time.perf_counter()
    try:
        info = print_pdf(html, out)
    except (RuntimeError, PlaywrightError) as e:  # one line, naming the problem
        print(f"print_pdf: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
    print(
        f"print_pdf: wrote {out} ({info['bytes'] / 1e6:.1f} MB, {info['plots']} plots, "
        f"{info['webgl_as_images']} of them WebGL, printed as images) in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
