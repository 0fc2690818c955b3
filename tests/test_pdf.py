"""`make pdf`: the book printed to one PDF by headless Chromium (no TeX), read back with poppler's pdftotext.

* A small book (an intro, the real notebooks/explore.ipynb, a page with a plotly slider figure, a 3-D WebGL
  figure and math) goes through the same make targets (`build-html`, then `print-pdf`): every chapter is in the
  PDF, in toc order, each starting a page; the slider figure is printed as drawn (its title is text in the PDF),
  the WebGL figure as an image; the explore page says that its sliders need a kernel and no widget state
  reaches the HTML.
* The whole book (marked `browser`, it needs `make book`, shared with tests/test_browser.py): every chapter
  named in _toc.yml is in the PDF.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


def _toc_files(node) -> list[str]:
    if isinstance(node, dict):
        out = []
        for k, v in node.items():
            out += [v] if k in ("root", "file") and isinstance(v, str) else _toc_files(v)
        return out
    if isinstance(node, list):
        return [f for item in node for f in _toc_files(item)]
    return []


def chapter_titles(book: Path) -> list[str]:
    """The title (first level-1 heading) of every page of ``book``'s _toc.yml, in toc order."""
    titles = []
    for f in _toc_files(yaml.safe_load((book / "_toc.yml").read_text())):
        md, nb = book / f"{f}.md", book / f"{f}.ipynb"
        if md.is_file():
            text = md.read_text()
        else:
            cells = json.loads(nb.read_text())["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        m = re.search(r"^# (.+)$", text, re.MULTILINE)
        assert m, f"{f} has no title"
        titles.append(m.group(1).strip())
    return titles


def pdf_pages(pdf: Path) -> list[str]:
    """The text of every page, whitespace collapsed (pdftotext, poppler-utils: installed by `make browser-deps`)."""
    r = subprocess.run(
        [PDFTOTEXT, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return [" ".join(p.split()) for p in r.stdout.split("\f")]


HEAD = 250  # a chapter's title is within the first characters of the page it starts


def _plain(text: str) -> str:
    """Whitespace folded (a title may wrap) and typographic quotes as typed (Sphinx's smartquotes print ’)."""
    return " ".join(text.split()).replace("\u2019", "'").replace("\u2018", "'")


def chapter_pages(pages: list[str], titles: list[str]) -> list[int | None]:
    """The page (1-based) each chapter starts on, looked for in toc order after the previous chapter's page
    (``None``: not found, the rest are then not looked for). A chapter starts a page that begins with its title;
    math ($…$) is typeset by MathJax into glyphs that do not read back as its source, so a title is recognised by
    its longest piece of plain text. The root page's table of contents lists every title too, hence the order."""
    out: list[int | None] = []
    start = 0
    for t in titles:
        key = _plain(max((" ".join(p.split()) for p in re.split(r"\$[^$]*\$", t)), key=len))
        hit = next((i for i in range(start, len(pages)) if key in _plain(pages[i][:HEAD])), None)
        out.append(None if hit is None else hit + 1)
        if hit is None:
            return out + [None] * (len(titles) - len(out))
        start = hit + 1
    return out


def test_chapter_pages_finds_chapters_in_order_and_reports_a_missing_one():
    pages = [
        "Intro Contents A first chapter The $x$ second one",
        "A first chapter text",
        "The y second one text",
    ]
    assert chapter_pages(pages, ["Intro", "A first chapter", "The $x$ second one"]) == [1, 2, 3]
    assert chapter_pages(pages, ["Intro", "No such chapter", "A first chapter"]) == [1, None, None]
    assert chapter_pages(pages, ["Intro", "The $x$ second one", "A first chapter"]) == [1, 3, None]  # order


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=900, check=False
    )


PAGE_CELLS = [
    """import numpy as np, plotly.graph_objects as go
from recovery.plots.common import html
fig = go.Figure([go.Scatter(y=np.arange(10) ** (k + 1), visible=k == 0, name=f"power {k + 1}") for k in range(3)])
steps = [dict(method="update", label=str(k + 1), args=[{"visible": [j == k for j in range(3)]}]) for k in range(3)]
fig.update_layout(sliders=[dict(active=0, steps=steps)], title="printed slider figure")
html(fig)""",
    """f3 = go.Figure(go.Scatter3d(x=[0, 1, 2], y=[0, 1, 0], z=[1, 2, 3], mode="markers+lines"))
html(f3.update_layout(title="printed webgl figure", height=400))""",
]


@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> Path:
    book = tmp_path_factory.mktemp("pdfbook")
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    (book / "book").mkdir()
    shutil.copy(ROOT / "book" / "references.bib", book / "book" / "references.bib")  # _config.yml names it
    (book / "book" / "vendor").symlink_to(ROOT / "book" / "vendor")  # MathJax and plotly.js (make vendor)
    shutil.copytree(
        ROOT / "book" / "css", book / "book" / "css"
    )  # the book's stylesheet, named by _config.yml
    (book / "notebooks").mkdir()
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/explore\n"
        "  - file: notebooks/page\n"
    )
    (book / "book" / "intro.md").write_text("# A small book to print\nSee {doc}`../notebooks/explore`.\n")
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", book / "notebooks" / "explore.ipynb")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Printed figures\nMath: $\\dot\\theta = -\\nabla\\ell(\\theta)$.")
    ]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in PAGE_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, book / "notebooks" / "page.ipynb")
    r = _make("build-html", f"BOOK_ROOT={book}")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    r = _make("print-pdf", f"BOOK_ROOT={book}")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert "1 of them WebGL, printed as images" in r.stdout, r.stdout[-2000:]
    return book


def test_every_chapter_of_a_small_book_is_printed_in_toc_order(small_book):
    pdf = small_book / "_build" / "pdf" / "book.pdf"
    pages = pdf_pages(pdf)
    text = " ".join(pages)
    where = chapter_pages(pages, chapter_titles(small_book))
    assert None not in where and len(set(where)) == 3, where
    assert "The sliders on this page need a running Python kernel." in text
    assert "printed slider figure" in text  # the plotly figure was drawn (its SVG text is printed as text)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3  # each chapter starts a page
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert len(images.splitlines()) >= 3  # header lines + the WebGL figure as an image


def test_live_widget_page_carries_no_widget_state_into_the_html(small_book):
    for build in ("html", "singlehtml"):
        for page in (small_book / "_build" / build).rglob("*.html"):
            assert "application/vnd.jupyter.widget-" not in page.read_text(), page


@pytest.mark.browser
def test_the_pdf_of_the_whole_book_has_every_chapter(built_book):
    book = built_book.parent.parent  # the book's root (BOOK_ROOT)
    r = _make("print-pdf", f"BOOK_ROOT={book}")
    assert r.returncode == 0, (r.stdout + r.stderr)[-5000:]
    titles = chapter_titles(ROOT)
    where = chapter_pages(pdf_pages(book / "_build" / "pdf" / "book.pdf"), titles)
    missing = [t for t, w in zip(titles, where) if w is None]
    assert not missing, (
        f"chapters missing from the PDF (or out of toc order, or not starting a page): {missing}"
    )
