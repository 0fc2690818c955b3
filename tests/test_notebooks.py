"""Notebooks executed for real with papermill at reduced sizes; their assert cells check the science."""

from pathlib import Path

import papermill as pm
import pytest

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_fig3_notebook_reduced_size(tmp_path):
    out = tmp_path / "fig3.ipynb"
    pm.execute_notebook(str(NB / "fig3_convergence_sets.ipynb"), str(out), cwd=str(NB), progress_bar=False,
                        parameters={"seeds": 60, "t_max": 3e4, "slider_scales": [1e-4, 1e-8, 1e-10]})
    text = out.read_text()
    assert "all checks passed" in text
    assert "fig3-scale-slider" in text  # the slider figure was produced


def test_fig3_notebook_rejects_bad_parameter_with_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(str(NB / "fig3_convergence_sets.ipynb"), str(tmp_path / "bad.ipynb"), cwd=str(NB),
                            progress_bar=False, parameters={"seeds": -5})
    assert "invalid seeds=-5: must be an integer >= 1" in str(e.value)
