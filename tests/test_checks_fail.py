"""Every page's checks can fail: each notebook is run at its reduced size with one deliberately wrong input slipped
in right after the page has computed its results (shuffled labels, a wrong prescribed ratio, a wrong model rank,
recoveries claimed where none happened, ...). The notebook must then stop in its checks cell with an
AssertionError, after its figures were drawn: a page whose checks pass on wrong data proves nothing.

The boundary page is covered by the contract tests (its checks fail at the reduced size by design).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from figure_sizes import NOTEBOOKS, notebook_parameters

NB = Path(__file__).resolve().parent.parent / "notebooks"

# page -> code run right after the cell that computes the page's results (the first cell assigning `summary`)
WRONG_INPUT: dict[str, str] = {
    # n = 3 is recovered only approximately: errors of exactly 0 there are impossible
    "fig1": "arrays['even_gen_error'] = np.zeros_like(arrays['even_gen_error'])",
    # a prescribed C2/C1 that was not applied
    "fig2": "arrays['C'] = arrays['C'] * np.array([1.0, 1.01])",
    # shuffled labels: the Q1 seeds no longer form one band around |C1/C2| = 1
    "fig3": (
        "arrays = dict(arrays); arrays['label'] = np.random.default_rng(0).permutation(arrays['label']); "
        "summary = fig3_summary(cfg, arrays)"
    ),
    # recoveries claimed below the optimistic sample size (n = 2)
    "fig4": "st['recovered'] = st['recovered'].copy(); st['recovered'][:, 0] = True",
    # the prescribed ratios C_i/C_1 perturbed
    "fig5": "arrays['C'] = arrays['C'] * (1 + 1e-3 * np.arange(arrays['C'].shape[-1]))",
    # a band edge on the wrong side of |C1/C2| = 1 on every data set
    "fig6": "[r.__setitem__('threshold_low', 1.1) for r in summary['per_data_seed']]",
    "fig7": "arrays['C'] = arrays['C'] * np.array([1.0, 1.01])",
    # one trial with the complementary set of active neurons
    "fig8": "arrays['active'] = arrays['active'].copy(); arrays['active'][0] = ~arrays['active'][0]",
    # a wrong optimistic sample size (model rank of the target)
    "table1": "summary['optimistic_sample_size'] = 4",
    # every run labelled recovered, although at n = 2 none is near the target
    "thresholds": "st['outcome'] = np.full_like(st['outcome'], int(outcomes.Outcome.RECOVERED_Q1))",
    # recoveries below the optimistic size
    "phase": "st['outcome'] = st['outcome'].copy(); st['outcome'][:, 0] = int(Outcome.RECOVERED_Q2)",
    # limits that depend on the scale
    "theorem1": "summary['limit_same_set_small_scale'] = False",
    # a wrong model rank on the branches
    "hessian": "arrays['geo_model_rank'] = arrays['geo_model_rank'] + 1",
    "rank_calculator": "summary['all_formulas_match'] = False",
    "completion": "summary['disconnected_rank2_fraction'] = 0.5",
    # a wrong model rank on every branch
    "geometry": "[r.__setitem__('model_rank', [99]) for rows in summary['rows'].values() for r in rows]",
    "benign_overfitting": "summary['fraction_interpolating'] = 0.5",
}


def test_every_page_has_a_wrong_input():
    assert set(WRONG_INPUT) | {"boundary"} == set(NOTEBOOKS)


def _with_wrong_input(path: Path, code: str) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    at = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "summary" in c.source and "parameters" not in c.metadata.get("tags", [])
    )
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell("import numpy as np\n" + code + "  # the wrong input"))
    return nb


@pytest.mark.parametrize("name", sorted(WRONG_INPUT))
def test_a_wrong_input_fails_the_pages_checks(name, tmp_path):
    src = tmp_path / f"{name}-wrong.ipynb"
    nbformat.write(_with_wrong_input(NB / f"{NOTEBOOKS[name]}.ipynb", WRONG_INPUT[name]), src)
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in notebook_parameters(name).items()}
    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(
            str(src), str(tmp_path / "out.ipynb"), cwd=str(NB), progress_bar=False, parameters=params
        )
    assert e.value.ename == "AssertionError", (e.value.ename, e.value.evalue)
    # it is the checks cell that stopped, not an earlier one
    cells = json.loads((tmp_path / "out.ipynb").read_text())["cells"]
    failed = [
        c
        for c in cells
        if c["cell_type"] == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    assert failed and "all checks passed" in "".join(failed[0]["source"])
