"""The shared drawing helpers (recovery.plots.common): the one Markdown table of every page."""

from __future__ import annotations

import pytest

from recovery.plots.common import markdown_table


def test_markdown_table_writes_header_rule_and_rows():
    text = markdown_table(["a", "$b$"], [[1, "x"], [2.5, "–"]])
    assert text == "| a | $b$ |\n|---|---|\n| 1 | x |\n| 2.5 | – |"


def test_markdown_table_without_rows_is_header_and_rule():
    assert markdown_table(("only",), []) == "| only |\n|---|"


def test_markdown_table_matches_the_hand_written_form_of_the_pages():
    # the form the notebooks used to build by concatenation: "| " + cells joined by " | " + " |"
    cells = ["1 (reference)", "0", "1e-12", "–"]
    assert markdown_table(["t", "s", "scale", "gap"], [cells]).splitlines()[2] == f"| {' | '.join(cells)} |"


@pytest.mark.parametrize("rows", [[[1]], [[1, 2, 3]]])
def test_markdown_table_rejects_a_row_of_the_wrong_length(rows):
    with pytest.raises(ValueError, match="row 0 has"):
        markdown_table(["a", "b"], rows)


def test_markdown_table_rejects_a_table_without_columns():
    with pytest.raises(ValueError, match="at least one column"):
        markdown_table([], [])


def test_axes_that_share_a_range_must_share_the_log_type():
    """A shared y axis left linear in one panel is drawn against the other panel's log range (the Theorem-1
    profiles before the fix): html() refuses it; with every panel log it passes."""
    from plotly.subplots import make_subplots

    from recovery.plots.common import html, mismatched_axes

    fig = make_subplots(rows=1, cols=3, shared_yaxes=True)
    for c in (1, 2, 3):
        fig.add_scatter(x=[1, 10], y=[1e-9, 1e-2], row=1, col=c)
    fig.update_yaxes(type="log", row=1, col=1)
    assert mismatched_axes(fig) == [
        "yaxis2 (linear) matches yaxis (log)",
        "yaxis3 (linear) matches yaxis (log)",
    ]
    with pytest.raises(ValueError, match="yaxis2 \\(linear\\) matches yaxis \\(log\\)"):
        html(fig)
    fig.update_yaxes(type="log")
    assert mismatched_axes(fig) == [] and "yaxis2" in html(fig).data


def test_the_theorem1_profiles_have_every_panel_on_one_log_axis():
    import numpy as np

    from recovery.plots import theorem1 as plots
    from recovery.plots.common import mismatched_axes

    k = 5
    arrays = {
        "c_ratios": np.array([0.3, 1.0, 2.0]),
        "scales": np.array([1e-2, 1e-4, 1e-10]),
        "seeds": np.array([0]),
        "profile_tau": np.broadcast_to(np.logspace(-1, 2, k), (3, 1, 2, k)),
        "profile_distance": np.broadcast_to(np.logspace(-9, -2, k), (3, 1, 2, k)),
    }
    names = ("n_samples", "t_max", "rtol", "check_rtol", "checkpoints_per_decade", "tau_min", "tau_max")
    fig = plots.profiles({"parameters": dict.fromkeys(names, 1)}, arrays)
    assert mismatched_axes(fig) == []
    assert [fig.layout[f"yaxis{i}"].type for i in ("", "2", "3")] == ["log"] * 3
