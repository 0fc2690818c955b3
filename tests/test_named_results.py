"""The named-results page: the notebook at reduced size passes its checks, and a wrong input fails one."""

from pathlib import Path

import papermill as pm
import pytest

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_summary_glue_is_plain_values_and_names_every_reading():
    from test_glue_sections import check_glue

    from recovery.figures import named_results

    cfg = named_results.Config.from_user(**named_results.QUICK_SIZE)
    s, a = named_results.run(cfg)
    check_glue(s["glue"])
    assert {"gap_0", "n2_1", "s_1", "tau_spread", "t_spread", "shift_pred", "q2_sep", "zero_dim_3"} <= set(
        s["glue"]
    )
    assert s["corollary1_all_on_Q1"] and s["corollary2_all_on_Q2"] and s["definition1_q2_separated_from"] == 4
    assert not any(k.startswith("paper_") for k in s)  # no statement of these results is available to us


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


def test_config_rejects_bad_values_with_one_line():
    from recovery.config import ParameterError
    from recovery.figures import named_results

    for kw, name in (({"scales": [1e-4]}, "scales"), ({"t_max": 1.0}, "t_max"), ({"rtol": 0.5}, "rtol")):
        with pytest.raises(ParameterError) as e:
            named_results.Config.from_user(**kw)
        assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)
    assert named_results.Config.from_user(scales="1e-8,1e-4").scales == (1e-4, 1e-8)  # largest first


def test_first_order_count_separates_q2_from_n4():
    # Definition 1 (our reading), first order: the zero-loss set near a generic point of Q2 has dimension
    # P - rank J; it equals dim Q2 = 2 exactly from n = 4 on (rank J = min(n, 4), P = 6)
    from recovery.figures import named_results

    dims = named_results.q2_zero_set_dimensions((2, 3, 4, 5, 6))
    assert dims == {2: 4, 3: 3, 4: 2, 5: 2, 6: 2}
