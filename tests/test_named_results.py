"""The named-results page: the notebook at reduced size passes its checks, and a wrong input fails one."""

from pathlib import Path

import papermill as pm
import pytest

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_notebook_reduced_size(tmp_path):
    out = tmp_path / "named.ipynb"
    pm.execute_notebook(
        str(NB / "named_results.ipynb"),
        str(out),
        cwd=str(NB),
        progress_bar=False,
        parameters={"scales": [1e-4, 1e-7], "t_max": 1e4},
    )
    assert "all checks passed" in out.read_text()


def test_a_horizon_too_short_to_converge_fails_a_check(tmp_path):
    # at t = 20 the runs have not reached Q1 / Q2 yet: the Corollary checks must fail, not pass vacuously
    with pytest.raises(pm.PapermillExecutionError, match="AssertionError"):
        pm.execute_notebook(
            str(NB / "named_results.ipynb"),
            str(tmp_path / "bad.ipynb"),
            cwd=str(NB),
            progress_bar=False,
            parameters={"scales": [1e-4, 1e-7], "t_max": 20.0},
        )
