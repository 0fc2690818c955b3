"""Every page's checks can fail. Each page's notebook runs at its reduced size in tests/test_figure_contract.py with
one deliberately wrong input slipped in right after the page has computed its results (shuffled labels, a wrong
prescribed ratio, a wrong model rank, recoveries claimed where none happened, ...; the table is
``figure_sizes.WRONG_INPUT``): the page's checks must pass on its own results and stop with an AssertionError on the
wrong ones. A page whose checks pass on wrong data proves nothing.

Here: every page has a wrong input, and the harness that slips it in (``figure_sizes.with_wrong_input``) repeats
the right cells and can tell a page whose checks never fail (a real kernel runs a small notebook).
The boundary page is covered by the contract tests (its checks fail at the reduced size by design).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from figure_sizes import NOTEBOOKS, WRONG_INPUT, with_wrong_input

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_every_page_has_a_wrong_input():
    assert set(WRONG_INPUT) | {"boundary"} == set(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(WRONG_INPUT))
def test_the_wrong_input_repeats_the_cells_from_the_run_to_the_checks_without_figures(name):
    base = nbformat.read(NB / f"{NOTEBOOKS[name]}.ipynb", as_version=4)
    nb = with_wrong_input(NB / f"{NOTEBOOKS[name]}.ipynb", WRONG_INPUT[name])
    added = nb.cells[len(base.cells) :]
    passes = [c.metadata["wrong_input_pass"] for c in added]
    k = passes.count("control")
    assert k >= 1 and passes == ["control"] * k + ["input"] + ["wrong"] * k
    assert WRONG_INPUT[name] in added[k].source
    assert "all checks passed" in added[k - 1].source and "all checks passed" in added[-1].source
    assert not any("remove-input" in c.metadata.get("tags", []) for c in added)


def _small_page(checks: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("summary = {'x': x}"),
        nbformat.v4.new_code_cell("print('figure')", metadata={"tags": ["remove-input"]}),
        nbformat.v4.new_code_cell(checks + "\nprint('all checks passed')"),
    ]
    return nb


@pytest.mark.parametrize(
    ("checks", "fails_on_wrong"),
    [("assert summary['x'] == 1", True), ("assert summary['x'] > -10**9  # cannot fail", False)],
)
def test_the_harness_tells_checks_that_can_fail_from_checks_that_cannot(checks, fails_on_wrong, tmp_path):
    page = tmp_path / "page.ipynb"
    nbformat.write(_small_page(checks), page)
    nbformat.write(with_wrong_input(page, "summary = {'x': 2}"), tmp_path / "wrong.ipynb")
    out = tmp_path / "out.ipynb"
    if fails_on_wrong:
        with pytest.raises(pm.PapermillExecutionError) as e:
            pm.execute_notebook(
                str(tmp_path / "wrong.ipynb"), str(out), progress_bar=False, kernel_name="python3"
            )
        assert e.value.ename == "AssertionError"
        cells = json.loads(out.read_text())["cells"]
        failed = [c for c in cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
        assert [c["metadata"]["wrong_input_pass"] for c in failed] == ["wrong"]
    else:  # a page whose checks cannot fail runs through: the contract test's pytest.raises would catch that
        pm.execute_notebook(
            str(tmp_path / "wrong.ipynb"), str(out), progress_bar=False, kernel_name="python3"
        )
