"""The related pages' glue sections (issue 10): ``summary["glue"]`` holds plain values only and ``summary["tables"]``
renders, at the reduced sizes of the contract test (runs shared through the results cache)."""

from __future__ import annotations

import pytest
from test_glue_sections import _summary, check_glue, check_tables

RELATED_PAGES = ["benign_overfitting", "completion", "geometry", "rank_calculator"]


@pytest.mark.parametrize("name", RELATED_PAGES)
def test_related_page_summary_has_a_glue_section_of_plain_values(name):
    summary = _summary(name)
    check_glue(summary["glue"])
    check_tables(summary["tables"])
