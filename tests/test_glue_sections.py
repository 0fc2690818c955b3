"""Every number a page's prose uses comes from its module: ``summary["glue"]`` (names -> plain numbers and
strings, glued by the notebook in one loop) and ``summary["tables"]`` (headers and rows rendered by
``plots.common.markdown_table``). Checked at the reduced sizes of the contract test (the runs are shared through
the results cache)."""

from __future__ import annotations

import json

import pytest
from figure_sizes import REDUCED

from recovery.figures import get
from recovery.plots.common import markdown_table

# the pages whose notebooks glue summary["glue"] in one loop
GLUE_PAGES = ["fig2", "fig5", "fig6", "fig7", "fig8", "hessian", "phase", "table1", "theorem1", "thresholds"]


def _summary(name: str) -> dict:
    mod = get(name)
    summary, _ = mod.run(mod.Config.from_user(**REDUCED[name]), progress=False)
    return summary


def check_glue(glue: dict) -> None:
    """Names are identifiers; values are exactly int, float, str or bool (no numpy scalar, whose text differs)."""
    assert glue, "empty glue section"
    for k, v in glue.items():
        assert k.isidentifier(), k
        assert type(v) in (int, float, str, bool), (k, type(v))
    json.dumps(glue)  # JSON-able (NaN allowed here; result.json writes it as null)


def check_tables(tables: dict) -> None:
    for k, t in tables.items():
        assert set(t) == {"headers", "rows"}, k
        assert all(isinstance(c, str) for row in t["rows"] for c in row), k
        markdown_table(t["headers"], t["rows"])  # every row has the header's length


@pytest.mark.parametrize("name", GLUE_PAGES)
def test_page_summary_has_a_glue_section_of_plain_values(name):
    summary = _summary(name)
    check_glue(summary["glue"])
    check_tables(summary.get("tables", {}))


def test_the_checks_fail_on_a_numpy_scalar_or_a_ragged_table():
    np = pytest.importorskip("numpy")
    with pytest.raises(AssertionError):
        check_glue({"n": np.int64(3)})
    with pytest.raises(AssertionError):
        check_glue({"not a name": 1})
    with pytest.raises(ValueError):
        check_tables({"t": {"headers": ["a", "b"], "rows": [["1"]]}})
