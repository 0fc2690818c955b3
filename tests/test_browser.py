"""The built book in a real browser: `make book`, then headless Chromium (Debian's package) opens every
figure page from disk with the network off, moves every slider and checks that the plot changes, that no
console error appears and that no request leaves the machine. Screenshots go to `_build/screenshots/`.

The book is built once per session by the `built_book` fixture (tests/conftest.py), shared with tests/test_pdf.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOC_PAGES = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.browser


# Pages that show live widgets, which need a kernel: rendered without being run, so no plot (see
# tools/browser_check.py, which checks their note and that they carry no widget state).
KERNEL_PAGES = {"explore"}
# A page of text, tables and checks (no figure), and a page whose figures have no precomputed grid to slide over
# (the boundary is one number per horizon and scale, drawn as curves): both still checked for errors and requests.
TEXT_PAGES = {"named_results"}
NO_SLIDER_PAGES = {"boundary_limit"}


def test_every_figure_page_renders_offline_and_every_slider_moves(built_book):
    shots = ROOT / "_build" / "screenshots"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "browser_check.py"),
            str(built_book),
            "--screenshots",
            str(shots),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((shots / "report.json").read_text())
    assert sorted(Path(p).stem for p in report) == TOC_PAGES  # every notebook is a page and was checked
    for page, info in report.items():
        if Path(page).stem in KERNEL_PAGES:
            assert info["graphs"] == 0 and info["problems"] == [], (page, info)
            continue
        if Path(page).stem in TEXT_PAGES:
            assert info["problems"] == [], (page, info)
            continue
        assert info["graphs"] >= 1 and (info["sliders"] >= 1 or Path(page).stem in NO_SLIDER_PAGES), (
            page,
            info,
        )
        assert (shots / (Path(page).stem + ".png")).stat().st_size > 20_000
