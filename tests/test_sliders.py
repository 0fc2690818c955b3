"""The generic 2-D slider block: payload packing (rounding, shared subtrees), HTML structure, and a real
browser moving both sliders (skipped where chromium/playwright are missing)."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from recovery.plots.sliders import grid_slider_html, pack_cells, to_plain, unpack_cell

PLOTLY_JS = Path(go.__file__).resolve().parent.parent / "package_data" / "plotly.min.js"


def _grid(R=3, C=4, points=50):
    x = np.linspace(-2, 2, points)
    return [
        [
            {
                "data": [{"type": "scatter", "x": x, "y": np.tanh((i + 1) * x + j), "name": f"cell {i},{j}"}],
                "layout": {"title": {"text": f"i={i} j={j}"}},
            }
            for j in range(C)
        ]
        for i in range(R)
    ]


def test_to_plain_rounds_and_converts():
    out = to_plain(
        {
            "a": np.array([1.23456789, np.nan, np.inf]),
            "b": (np.float64(2.0), np.int64(3)),
            "c": np.bool_(True),
            "d": "text",
        },
        digits=3,
    )
    assert out == {"a": [1.23, None, None], "b": [2.0, 3], "c": True, "d": "text"}
    assert to_plain(go.Scatter(x=[0.123456], y=[1e-31]), 2)["y"] == [
        1e-31
    ]  # significant digits, not decimals
    json.dumps(out, allow_nan=False)


def test_pack_shares_repeated_arrays_and_unpacks_to_the_rounded_cells():
    cells = _grid()
    payload = pack_cells(cells, digits=4)
    x_plain = to_plain(cells[0][0]["data"][0]["x"], 4)
    assert x_plain in payload["shared"]  # the common x grid is stored once...
    assert json.dumps(payload).count(json.dumps(x_plain)) == 1
    for i in range(3):
        for j in range(4):  # ...and every cell resolves to exactly its own rounded figure
            assert unpack_cell(payload, i, j) == to_plain(cells[i][j], 4)
    naive = len(json.dumps(to_plain(cells, 4)))
    assert len(json.dumps(payload)) < 0.7 * naive


def test_pack_drops_cell_templates_and_accepts_figures():
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]), layout=dict(template="plotly", title="t"))
    payload = pack_cells([[fig]])
    cell = unpack_cell(payload, 0, 0)
    assert "template" not in cell["layout"] and cell["layout"]["title"]["text"] == "t"
    with pytest.raises(ValueError, match="each cell"):
        pack_cells([[{"layout": {}}]])


def test_html_block_structure():
    h = grid_slider_html(
        _grid(),
        div_id="demo-grid",
        row_name="scale s",
        row_labels=["1e-1", "1e-2", "1e-3"],
        col_name="n",
        col_labels=[2, 3, 4, 5],
        initial=(2, 1),
        height=400,
        captions=[[f"cap {i}{j}" for j in range(4)] for i in range(3)],
        base_layout=go.Layout(template="plotly", xaxis=dict(title="x")),
    )
    assert 'id="demo-grid"' in h and 'id="demo-grid-block"' in h and 'data-cell="2,1"' in h
    ranges = re.findall(r'<input type="range" id="([^"]+)" min="0" max="(\d+)" step="1" value="(\d+)"', h)
    assert ranges == [("demo-grid-row", "2", "2"), ("demo-grid-col", "3", "1")]
    assert ">1e-3</output>" in h and ">3</output>" in h  # live value labels start at the initial cell
    assert "Plotly.react" in h and "<script src" not in h and "http" not in h.replace("http://www.w3.org", "")
    assert h.count("</script>") == 1  # the payload cannot close the script early


def test_payload_cannot_break_out_of_the_script():
    cells = [[{"data": [{"type": "scatter", "x": [0], "y": [0], "name": "</script><b>x</b>"}]}]]
    h = grid_slider_html(cells, div_id="g", row_name="r", row_labels=["a"], col_name="c", col_labels=["b"])
    assert h.count("</script>") == 1 and "<\\/script>" in h


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"div_id": "1bad"}, "div_id"),
        ({"div_id": "has space"}, "div_id"),
        ({"row_labels": ["a", "b"]}, "labels"),
        ({"initial": (3, 0)}, "initial"),
        ({"captions": [["x"]]}, "captions"),
    ],
)
def test_bad_arguments_raise(kw, msg):
    args = dict(div_id="ok", row_name="r", row_labels=["a", "b", "c"], col_name="c", col_labels=[1, 2, 3, 4])
    args.update(kw)
    with pytest.raises(ValueError, match=msg):
        grid_slider_html(_grid(), **args)


def test_ragged_grid_raises():
    g = _grid()
    g[1] = g[1][:2]
    with pytest.raises(ValueError, match="rectangular"):
        grid_slider_html(g, div_id="g", row_name="r", row_labels="abc", col_name="c", col_labels="abcd")


def _browser():
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        return None
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.skipif(
    _browser() is None or not PLOTLY_JS.exists(), reason="needs chromium, playwright and plotly.min.js"
)
def test_sliders_redraw_in_a_real_browser_offline(tmp_path):
    from playwright.sync_api import sync_playwright

    block = grid_slider_html(
        _grid(),
        div_id="demo",
        row_name="row",
        row_labels=["r0", "r1", "r2"],
        col_name="col",
        col_labels=["c0", "c1", "c2", "c3"],
        captions=[[f"cap {i},{j}" for j in range(4)] for i in range(3)],
    )
    page = tmp_path / "page.html"
    page.write_text(
        f'<html><head><meta charset="utf-8"><script src="{PLOTLY_JS.as_uri()}"></script></head>'
        f"<body>{block}</body></html>"
    )
    state = """() => { const g = document.getElementById('demo');
        return [g.data[0].y[10], g.layout.title.text, document.getElementById('demo-row-value').textContent,
                document.getElementById('demo-col-value').textContent,
                document.getElementById('demo-caption').textContent]; }"""

    def move(pg, key, v):
        pg.evaluate(f"""() => {{ const e = document.getElementById('demo-{key}'); e.value = {v};
                     e.dispatchEvent(new Event('input')); }}""")
        pg.wait_for_timeout(200)

    x = np.linspace(-2, 2, 50)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_browser(), args=["--no-sandbox", "--disable-gpu"])
        pg = b.new_page()
        errors = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(page.as_uri())
        pg.wait_for_timeout(500)
        s0 = pg.evaluate(state)
        move(pg, "row", 2)
        s1 = pg.evaluate(state)
        move(pg, "col", 3)
        s2 = pg.evaluate(state)
        b.close()
    assert errors == []
    assert s0[1:] == ["i=0 j=0", "r0", "c0", "cap 0,0"]
    assert s1[1:] == ["i=2 j=0", "r2", "c0", "cap 2,0"]
    assert s2[1:] == ["i=2 j=3", "r2", "c3", "cap 2,3"]
    assert s0[0] == pytest.approx(np.tanh(x[10]), abs=1e-3) and s2[0] == pytest.approx(
        np.tanh(3 * x[10] + 3), abs=1e-3
    )
