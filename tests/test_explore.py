"""recovery.explore: live ipywidgets panels driven from code, as a reader's slider moves would drive them.

Real widget objects (ipywidgets without a kernel, whose observers run synchronously), real computations at
small sizes, a real results cache in a temporary folder, and the real notebook run by papermill; no mocks.
"""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
import numpy as np
import papermill as pm
import pytest

from recovery import explore
from recovery.cache import ResultCache
from recovery.config import ParameterError
from recovery.sweeps import RunConfig

NB = Path(__file__).resolve().parent.parent / "notebooks" / "explore.ipynb"
SMALL_FIG3 = {"seeds": 20, "t_max": 1e3}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def _plotly_shown(p: explore.Panel) -> dict:
    """The figure the panel's Output widget shows (the plotly mime bundle)."""
    (out,) = p.output.outputs
    return out["data"][explore.PLOTLY_MIME]


def test_fig3_panel_has_the_issue_controls_with_their_bounds():
    p = explore.Panel("fig3", compute=False)
    c = p.controls
    assert set(c) == {"init_scale", "n_samples", "seeds", "design", "t_max"}
    assert (c["init_scale"].min, c["init_scale"].max, c["init_scale"].base) == (-20, 0, 10)  # 1e-20 … 1, log
    assert set(c["design"].options) == {("evenly spaced", "even"), ("Gaussian", "gaussian")}
    c["init_scale"].value = 1e-30  # beyond the slider: impossible, clamped to its end
    c["n_samples"].value = 10_000
    assert c["init_scale"].value == pytest.approx(1e-20) and c["n_samples"].value == c["n_samples"].max
    assert set(explore.Panel("fig1", compute=False).controls) >= {"init_scale", "n_samples"}
    assert set(explore.Panel("phase", compute=False).controls) >= {"n_samples", "c_ratio"}


def test_moving_a_control_recomputes_redraws_and_moving_back_reuses_the_cache(own_cache):
    p = explore.panel("fig3", **SMALL_FIG3)
    assert p.computations == 1 and p.source == "computed" and p.error is None
    ratios = p.arrays["ratio"].copy()
    shown = _plotly_shown(p)
    assert p.progress.value == p.progress.max and "computed 20 trials" in p.status.value

    p.controls["n_samples"].value = 4  # an observer recomputes at once
    assert p.computations == 2 and p.result["parameters"]["n_samples"] == 4
    assert not np.allclose(p.arrays["ratio"], ratios)  # C depends on the data, so on n
    assert _plotly_shown(p) != shown  # the plot shown was swapped for the new one
    assert "n = 4" in p.figure.layout.title.text

    p.controls["n_samples"].value = 6
    assert p.computations == 3 and p.source == "cache" and "loaded from the cache" in p.status.value
    np.testing.assert_array_equal(p.arrays["ratio"], ratios)
    assert _plotly_shown(p) == shown
    # the panel computes exactly what the package computes
    direct = ResultCache().load("trials", RunConfig(n_samples=6, **SMALL_FIG3).params())
    np.testing.assert_array_equal(direct["label"], p.arrays["label"])


def test_every_control_changes_the_result():
    p = explore.panel("fig3", **SMALL_FIG3)
    for name, value in (("seeds", 30), ("design", "gaussian"), ("t_max", 1e4), ("init_scale", 1e-2)):
        before = p.computations
        p.controls[name].value = value
        assert p.computations == before + 1, name
        assert (
            p.config.params()[name] == pytest.approx(value) if name != "design" else p.config.design == value
        )
    assert len(p.arrays["seeds"]) == 30


def test_a_bad_value_shows_the_validator_message_and_leaves_plot_and_cache(own_cache):
    p = explore.panel("fig3", **SMALL_FIG3)
    shown, fig, entries = p.output.outputs, p.figure, _entries(own_cache)
    with pytest.raises(ParameterError) as expected:
        RunConfig.from_user(rtol="0.5")  # text-field values reach the validator as strings, as from the CLI
    p.extra.value = "rtol=0.5"
    assert p.error == str(expected.value)  # the validator's own one-line message
    assert (
        html.escape(str(expected.value), quote=False) in p.status.value and p.progress.bar_style == "danger"
    )
    assert p.output.outputs == shown and p.figure is fig and p.computations == 1
    assert _entries(own_cache) == entries
    p.extra.value = "seeds=3"  # a parameter that has a control is refused in the text field
    assert p.error.startswith("invalid seeds='3'") and p.computations == 1
    p.extra.value = "no_such=1"
    assert "unknown parameter" in p.error
    p.extra.value = "rtol=1e-5, first_seed=7"  # a good value recomputes
    assert p.error is None and p.computations == 2 and p.config.first_seed == 7 and p.config.rtol == 1e-5


def test_parse_extra():
    assert explore.parse_extra(" rtol=1e-6,first_seed=4  design=even") == {
        "rtol": "1e-6",
        "first_seed": "4",
        "design": "even",
    }
    assert explore.parse_extra("") == {}
    with pytest.raises(ParameterError, match="expected name=value pairs"):
        explore.parse_extra("rtol 1e-6")


def test_unknown_panel_and_control_are_one_line_errors():
    with pytest.raises(ParameterError, match="invalid kind='fig9': one of fig1, fig3, phase"):
        explore.panel("fig9")
    with pytest.raises(ParameterError, match="not a control of panel 'fig3'"):
        explore.panel("fig3", trials=3)
    with pytest.raises(ParameterError, match="invalid design='uniform': one of even, gaussian"):
        explore.panel("fig3", design="uniform")


def test_set_changes_several_controls_with_one_computation():
    p = explore.panel("fig3", **SMALL_FIG3)
    assert p.set(n_samples=5, seeds=10) and p.computations == 2
    assert (p.config.n_samples, p.config.seeds) == (5, 10)
    assert not p.update()  # nothing changed: nothing recomputed
    assert p.update(force=True) and p.computations == 3


def test_fig1_panel_learned_functions_follow_scale_and_n():
    p = explore.panel("fig1", trials=4, n_samples=3)
    d = p.figure.data
    y0 = [np.asarray(t.y).copy() for t in d]
    assert p.result["parameters"]["n_values"] == [3] and len(p.arrays["even_gen_error"][0, 0]) == 4
    p.controls["init_scale"].value = 1.0
    assert p.result["parameters"]["scales"] == [1.0]
    assert any(not np.allclose(a, np.asarray(t.y)) for a, t in zip(y0, p.figure.data) if len(a) == len(t.y))
    p.controls["n_samples"].value = 5
    (xs,) = [t for t in p.figure.data if t.name == "training points"]
    assert len(xs.x) == 5  # the training points drawn are the new n


def test_phase_panel_prescribes_the_ratio_and_classifies_each_seed():
    p = explore.panel("phase", seeds=2, n_samples=4)
    for c in (0.05, 1.0):
        p.controls["c_ratio"].value = c
        assert p.result["c"] == pytest.approx(c)
        np.testing.assert_allclose(p.result["measured_ratio_C2_over_C1"], c, rtol=1e-9)  # C₂/C₁ as prescribed
        assert sum(p.result["outcomes"].values()) == 2
        assert f"C₂/C₁ = {c:.3g}" in p.figure.layout.title.text
    p.extra.value = "threshold=2"
    assert p.error.startswith("invalid threshold=") and p.computations == 3


def test_explore_notebook_runs_and_its_checks_pass(tmp_path):
    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(
        str(NB),
        str(out),
        cwd=str(NB.parent),
        progress_bar=False,
        parameters={"seeds": 20, "t_max": 1e3, "fig1_trials": 3, "phase_seeds": 1},
    )
    assert "all checks passed" in out.read_text()


def test_explore_notebook_is_shown_but_not_run_by_the_book():
    """Its widgets need a kernel, and an executed copy would carry their state into the HTML."""
    nb = nbformat.read(NB, as_version=4)
    assert nb.metadata["mystnb"]["execution_mode"] == "off"
    assert "need a running Python kernel" in nb.cells[0].source
    shown = [c for c in nb.cells if c.cell_type == "code" and "explore.panel(" in c.source]
    assert len(shown) == 3 and all("remove-output" in c.metadata.get("tags", []) for c in shown)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored without outputs
    assert "widgets" not in nb.metadata


def test_check_html_rejects_a_page_with_embedded_widget_state(tmp_path):
    """`make book` (tools/check_html.sh) fails if a page carries live widgets' state into the static book."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    for f in ("_static/mathjax/es5/tex-chtml.js", "_static/plotly.min.js"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("")
    page = tmp_path / "notebooks" / "explore.html"
    page.parent.mkdir()
    page.write_text("<p>The sliders on this page need a running Python kernel.</p>")
    ok = subprocess.run(
        [str(root / "tools" / "check_html.sh"), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    page.write_text('<script type="application/vnd.jupyter.widget-state+json">{"state": {}}</script>')
    bad = subprocess.run(
        [str(root / "tools" / "check_html.sh"), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1 and "ipywidgets state embedded" in bad.stderr and "explore.html" in bad.stderr
