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


def _slider_page(tmp_path: Path, steps_change_the_plot: bool) -> Path:
    """A page like the book's: one plotly figure (the vendored plotly.js, offline) with a slider whose steps
    change the trace's data, or steps that do nothing."""
    plotly_js = (ROOT / "book" / "vendor" / "plotly.min.js").as_uri()
    ys = [[1, 2, 3], [3, 2, 1], [2, 2, 2]]
    steps = [
        {"method": "restyle", "args": [{"y": [y if steps_change_the_plot else ys[0]]}], "label": str(i)}
        for i, y in enumerate(ys)
    ]
    fig = {
        "data": [{"y": ys[0], "type": "scatter"}],
        "layout": {"width": 600, "height": 400, "sliders": [{"steps": steps, "active": 0}]},
    }
    html = (
        f'<html><head><script src="{plotly_js}"></script></head><body><div id="g"></div>'
        f"<script>Plotly.newPlot('g', {json.dumps(fig['data'])}, {json.dumps(fig['layout'])});</script>"
        "</body></html>"
    )
    page = tmp_path / "notebooks" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(html)
    return tmp_path


@pytest.mark.parametrize("works", [True, False])
def test_the_browser_check_tells_a_slider_that_moves_the_plot_from_one_that_does_not(tmp_path, works):
    """The check that guards the book's sliders can fail: on a page whose slider steps leave the plot as it is,
    it reports that slider; on the same page with working steps it passes (and waits no fixed time)."""
    root = _slider_page(tmp_path, works)
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "browser_check.py"),
            str(root),
            "--screenshots",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((tmp_path / "s" / "report.json").read_text())["notebooks/page.html"]
    assert report["sliders"] == 1, report
    if works:
        assert r.returncode == 0 and report["problems"] == [], r.stdout + r.stderr
    else:
        assert r.returncode == 1, r.stdout + r.stderr
        assert any("does not change the plot" in p for p in report["problems"]), report
