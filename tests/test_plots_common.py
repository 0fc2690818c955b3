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
