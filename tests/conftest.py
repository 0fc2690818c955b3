"""Fixtures shared by test modules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TESTED_BOOK = ROOT / "_build" / "tested-book"


def _book_notebooks() -> list[str]:
    """The notebooks the book's _toc.yml names (paths without suffix, relative to the root)."""

    def files(node) -> list[str]:
        if isinstance(node, dict):
            return [f for k, v in node.items() for f in ([v] if k == "file" else files(v))]
        return [f for item in node for f in files(item)] if isinstance(node, list) else []

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [f for f in files(toc) if (ROOT / f"{f}.ipynb").is_file()]


def _runs_in_book(path: Path) -> bool:
    """False for a notebook the book shows without running it (``mystnb: execution_mode: off``, e.g. the live
    panels, which need a kernel)."""
    return json.loads(path.read_text())["metadata"].get("mystnb", {}).get("execution_mode") != "off"


def _make(*args: str) -> None:
    r = subprocess.run(["make", "-s", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, (r.stdout + r.stderr)[-5000:]


def book_from_executed_notebooks(executed: Path, root: Path = TESTED_BOOK) -> Path:
    """The book at ``root``: this checkout's pages, with each notebook as ``executed/NAME.ipynb`` (run by nbval in
    this session), built with execution off (``make build-html``) and checked (``tools/check_html.sh``)."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "notebooks").mkdir(parents=True)
    config = (ROOT / "_config.yml").read_text()
    assert config.count("execute_notebooks: force") == 1, "_config.yml: execute_notebooks moved"
    (root / "_config.yml").write_text(config.replace("execute_notebooks: force", 'execute_notebooks: "off"'))
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    shutil.copytree(ROOT / "book", root / "book", ignore=shutil.ignore_patterns("vendor"))
    (root / "book" / "vendor").symlink_to(ROOT / "book" / "vendor")
    for f in _book_notebooks():
        source = ROOT / f"{f}.ipynb"
        shutil.copy(executed / source.name if _runs_in_book(source) else source, root / f"{f}.ipynb")
    _make("build-html", f"BOOK_ROOT={root}")
    html = root / "_build" / "html"
    r = subprocess.run([str(ROOT / "tools" / "check_html.sh"), str(html)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return html


@pytest.fixture(scope="session")
def built_book(request) -> Path:
    """The whole book, built once per test session; the browser and PDF tests share it (``BOOK_ROOT`` of the
    returned ``.../_build/html`` is two folders up).

    When this session runs every notebook of the book through nbval (``make test``), the book is built from the
    notebooks nbval executed (conftest.py keeps them; the scheduler starts the book only after the last one), so
    each page runs once at the book's size. Otherwise (a test run on its own) it is ``make book``."""
    executed = os.environ.get("RECOVERY_EXECUTED_NOTEBOOKS")
    collected = {Path(str(it.path)).name for it in request.session.items if str(it.path).endswith(".ipynb")}
    needed = [ROOT / f"{f}.ipynb" for f in _book_notebooks()]
    needed = [p for p in needed if _runs_in_book(p)]
    if executed and {p.name for p in needed} <= collected:
        missing = [p.name for p in needed if not (Path(executed) / p.name).is_file()]
        assert not missing, f"nbval did not write these executed notebooks: {missing}"
        return book_from_executed_notebooks(Path(executed))
    _make("book")
    return ROOT / "_build" / "html"
