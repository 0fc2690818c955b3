"""The built book in a real browser: `make book`, then headless Chromium (Debian's package) opens every
figure page from disk with the network off, moves every slider and checks that the plot changes, that no
console error appears and that no request leaves the machine. Screenshots go to `_build/screenshots/`.

The build uses this test session's results cache, so the notebooks' computations are shared with nbval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOC_PAGES = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def built_book() -> Path:
    r = subprocess.run(["make", "-s", "-C", str(ROOT), "book"], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, (r.stdout + r.stderr)[-5000:]
    return ROOT / "_build" / "html"


def test_every_figure_page_renders_offline_and_every_slider_moves(built_book):
    shots = ROOT / "_build" / "screenshots"
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "browser_check.py"), str(built_book), "--screenshots",
                        str(shots)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((shots / "report.json").read_text())
    assert sorted(Path(p).stem for p in report) == TOC_PAGES  # every notebook is a page and was checked
    for page, info in report.items():
        assert info["graphs"] >= 1 and info["sliders"] >= 1, (page, info)
        assert (shots / (Path(page).stem + ".png")).stat().st_size > 20_000
