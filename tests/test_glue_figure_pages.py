"""The glue sections of Figures 1, 3, 4 and the boundary page (``summary["glue"]``, ``summary["tables"]``): plain
values only, every name the page's prose uses present, and Figure 3's outcomes in the book's vocabulary. Reduced
sizes of the contract test (the runs are shared through the results cache)."""

from __future__ import annotations

import math

import pytest
from figure_sizes import REDUCED
from test_glue_sections import check_glue, check_tables

from recovery.figures import get

PAGES = ["fig1", "fig3", "fig4", "boundary"]


@pytest.fixture(scope="module")
def runs():
    out = {}

    def run(name):
        if name not in out:
            mod = get(name)
            cfg = mod.Config.from_user(**REDUCED[name])
            out[name] = (cfg, *mod.run(cfg, progress=False))
        return out[name]

    return run


@pytest.mark.parametrize("name", PAGES)
def test_glue_section_is_plain_values(name, runs):
    _, summary, _ = runs(name)
    check_glue(summary["glue"])
    check_tables(summary.get("tables", {}))


def test_fig3_reports_both_outcomes_and_no_bare_recovered(runs):
    cfg, summary, arrays = runs("fig3")
    assert "fraction_recovered" not in summary
    passes, exact = summary["fraction_passes_threshold"], summary["fraction_recovered_exact"]
    assert 0 <= passes <= 1 and 0 <= exact <= 1
    assert math.isclose(exact, summary["fraction_Q1"] + summary["fraction_Q2"], abs_tol=1e-9)
    g = summary["glue"]
    assert g["fraction_passes"] == 100 * passes and g["fraction_exact"] == 100 * exact
    assert "fraction_recovered" not in g


def test_fig3_page_sections_come_from_the_given_runs(runs):
    fig3 = get("fig3")
    cfg, _, arrays = runs("fig3")
    other = dict(arrays, label=arrays["label"].copy())
    other["label"][:] = 2  # every seed at Q2 at the "largest" scale
    by_scale = {cfg.init_scale: arrays, 10 * cfg.init_scale: other}
    s = fig3.summarize(cfg, arrays, by_scale)
    assert s["glue"]["q1_at_largest"] == 0.0
    assert s["glue"]["agree_extremes"] == pytest.approx(100 * (arrays["label"] == 2).mean())
    assert "limit_low" not in s["glue"]  # no boundary summary given: no limit numbers


def test_boundary_table_has_one_row_per_budget(runs):
    cfg, summary, _ = runs("boundary")
    rows = summary["tables"]["gradient_descent"]["rows"]
    assert len(rows) == len(cfg.gd_learning_rates) * len(cfg.gd_epochs)
    g = summary["glue"]
    assert g["gd_low_min"] <= g["gd_low_max"] and g["gd_high_min"] <= g["gd_high_max"]


def test_fig4_table_has_one_row_per_data_seed(runs):
    cfg, summary, st = runs("fig4")
    t = summary["tables"]["data_seeds"]
    assert [r[0] for r in t["rows"]] == [str(d) for d in cfg.data_seeds]
    assert len(t["headers"]) == 2 + len(cfg.n_values)
    assert summary["glue"]["n_recovered"] == int(st["recovered"].sum())
