"""The book build fails loudly: a notebook that raises, a missing figure, a broken cross-reference or a
missing glued number each fail the same build command `make book` uses, with a message naming it."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def _book(tmp: Path, intro: str, cell: str) -> Path:
    """A two-page book with the project's own _config.yml."""
    shutil.copy(ROOT / "_config.yml", tmp / "_config.yml")
    (tmp / "book" / "vendor").mkdir(parents=True)
    shutil.copytree(ROOT / "book" / "css", tmp / "book" / "css")  # _config.yml names it
    shutil.copy(ROOT / "book" / "references.bib", tmp / "book" / "references.bib")  # _config.yml names it
    (tmp / "notebooks").mkdir()
    (tmp / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/page\n")
    (tmp / "book" / "intro.md").write_text(intro)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Page\nvalue {glue:text}`page_key`"),
        nbformat.v4.new_code_cell(cell),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp / "notebooks" / "page.ipynb")
    return tmp


def _build(book: Path, jobs: int | None = None) -> subprocess.CompletedProcess:
    """`make build-html` on ``book`` (with ``jobs`` processes reading the pages, else as many as cores)."""
    env = {**os.environ, "RECOVERY_BOOK_JOBS": str(jobs)} if jobs else None
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), "build-html", f"BOOK_ROOT={book}"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def test_a_notebook_that_raises_fails_the_build_naming_it(tmp_path):
    book = _book(tmp_path, "# Intro\n", "raise RuntimeError('the science broke here')")
    r = _build(book)
    log = r.stdout + r.stderr
    assert r.returncode != 0
    assert "notebooks/page.ipynb" in log and "the science broke here" in log


def test_missing_figure_xref_and_glue_fail_the_build_naming_each(tmp_path):
    intro = "# Intro\nSee {doc}`../notebooks/no_such_page`.\n\n![figure](no_such_figure.png)\n"
    book = _book(tmp_path, intro, "from myst_nb import glue\nglue('other_key', 1.0, display=False)")
    r = _build(book)
    log = r.stdout + r.stderr
    assert r.returncode != 0
    assert "unknown document: '../notebooks/no_such_page'" in log
    assert "image file not readable: book/no_such_figure.png" in log
    assert "No key 'page_key' found in glue data" in log


def test_a_clean_book_builds_and_renders_a_markdown_table_from_a_cell(tmp_path):
    book = _book(
        tmp_path,
        "# Intro\nSee {doc}`../notebooks/page`.\n",
        "from myst_nb import glue\nfrom IPython.display import Markdown\nglue('page_key', 1.0, display=False)\n"
        "Markdown('| a | b |\\n|---|---|\\n| 1 | 2 |')",
    )
    r = _build(book)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    page = book / "_build" / "html" / "notebooks" / "page.html"
    assert (
        "<table" in page.read_text()
    )  # a table printed by a cell is a table, not text (nb_render_markdown_format)
    check = subprocess.run(
        [str(ROOT / "tools" / "check_html.sh"), str(book / "_build" / "html")], capture_output=True, text=True
    )
    assert "rendered as plain text" not in check.stderr


def test_html_check_reports_a_table_left_as_plain_text(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "page.html").write_text("<html><body><p>| a | b |\n|---|---|</p></body></html>")
    check = subprocess.run(
        [str(ROOT / "tools" / "check_html.sh"), str(tmp_path)], capture_output=True, text=True
    )
    assert check.returncode != 0
    assert "rendered as plain text" in check.stderr and "notebooks/page.html" in check.stderr


def _many_pages_book(tmp: Path, pages: int, failing: int | None) -> Path:
    """A book with enough notebook pages for Sphinx to read (execute) them in parallel; page ``failing`` raises."""
    tmp.mkdir()
    book = _book(tmp, "# Intro\n", "from myst_nb import glue\nglue('page_key', 0.0, display=False)")
    toc = "format: jb-book\nroot: book/intro\nchapters:\n"
    for i in range(pages):
        nb = nbformat.v4.new_notebook()
        code = (
            f"import time\nt0 = time.time()\ntime.sleep(2)\nfrom myst_nb import glue\nglue('key{i}', {i} + 0.5, "
            f"display=False)\nopen({str(tmp / f'p{i}.times')!r}, 'w').write(f'{{t0}} {{time.time()}}')\n"
        )
        if i == failing:
            code += f"raise RuntimeError('page {i} broke here')\n"
        nb.cells = [
            nbformat.v4.new_markdown_cell(f"# Page {i}\nvalue {{glue:text}}`key{i}`"),
            nbformat.v4.new_code_cell(code),
        ]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, book / "notebooks" / f"p{i}.ipynb")
        toc += f"  - file: notebooks/p{i}\n"
    (book / "_toc.yml").write_text(toc)
    return book


def test_the_book_executes_its_notebooks_in_parallel_and_a_failure_still_names_its_page_and_error(tmp_path):
    """`make book` reads (executes) the notebooks on two processes (tools/jb_build.py); each page gets its own
    glued values, and a cell that raises still fails the build with the page's name and the error's text."""
    good = _many_pages_book(tmp_path / "good", 6, failing=None)
    r = _build(good, jobs=2)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-3000:]
    spans = [tuple(map(float, (good / f"p{i}.times").read_text().split())) for i in range(6)]
    assert any(a[0] < b[1] and b[0] < a[1] for a, b in itertools.combinations(spans, 2)), spans  # two at once
    for i in range(6):
        assert f"{i + 0.5}" in (good / "_build" / "html" / "notebooks" / f"p{i}.html").read_text()
    bad = _many_pages_book(tmp_path / "bad", 6, failing=4)
    r = _build(bad, jobs=2)
    log = r.stdout + r.stderr
    assert r.returncode != 0
    assert "notebooks/p4.ipynb" in log and "page 4 broke here" in log
