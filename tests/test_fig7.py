"""Figure 7 (reconstructed, Figure 2 with Gaussian inputs): the Config, a reduced run over two data sets, the
notebook and the CLI. The gap itself is tested in tests/test_fig2.py."""

import json
from pathlib import Path

import numpy as np
import pytest
from figure_sizes import REDUCED

from recovery.config import ParameterError
from recovery.figures import fig2, fig7

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_config_passes_figure2s_parameters_with_gaussian_data_per_data_set():
    cfg = fig7.Config.from_user(data_seeds="3,1", scales="1e-8,1e-4", t_max="100")
    assert cfg.data_seeds == (1, 3) and cfg.scales == (1e-4, 1e-8) and cfg.t_max == 100.0
    f2 = cfg.fig2_configs()
    assert [c.data_seed for c in f2] == [1, 3] and all(c.design == "gaussian" for c in f2)
    for c in f2[0].trials():
        assert (c.design, c.data_seed, c.c_ratio_base, c.width) == ("gaussian", 1, 0.5, 2)
    # Figure 2's defaults are untouched: evenly spaced data
    assert fig2.Config().design == "even" and fig2.Config().trials()[0].design == "even"


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"data_seeds": []}, "data_seeds"),
        ({"data_seeds": [-1]}, "data_seeds[0]"),
        ({"c_ratio": 0}, "c_ratio"),
        ({"scales": [1e-4]}, "scales"),
        ({"check_rtol": 1e-3}, "check_rtol"),
        ({"design": "even"}, "design"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        fig7.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_reduced_run_aligns_curves_on_every_gaussian_data_set():
    s, a = fig7.run(fig7.Config.from_user(**REDUCED["fig7"]), progress=False)  # the contract tests' size
    assert a["loss_traj"].shape[:2] == (2, 3) and a["train_x"].shape == (2, 6)
    assert not np.allclose(a["train_x"][0], a["train_x"][1])  # two different data sets
    assert np.allclose(a["C"][..., 1] / a["C"][..., 0], 0.5, rtol=1e-12)
    for r in s["per_data_seed"]:
        al, un = np.array(r["aligned_gap"][:-1]), np.array(r["unaligned_gap"][:-1])
        assert (
            (al < un).all() and (al[1:] < un[1:] / 100).all() and un.min() > 0.5
        )  # s = 1e-3 is not small here
        assert al[0] > al[1]  # the larger scale aligns less well
        assert len(set(r["reached_set"])) == 1  # one run up to a time shift: one limit
    # data sets 0 and 4 converge to Q2 with zero error well before t = 1e5
    assert s["data_sets_all_Q2"] == [0, 4] and s["data_sets_pass_threshold"] == [0, 4]
    assert s["data_sets_recovered_exact"] == [0, 4]  # every trial ends on Q1 u Q2
    # the comparison on the grid: Example 1's growth rate ||z|| = 5.6154 for n = 6 (SCIENCE.md), ending on Q2
    assert abs(s["grid"]["growth_rate"] - 5.6154) < 1e-3 and set(s["grid"]["reached_set"]) == {"Q2"}
    assert s["reconstructed"] is True and len(s["headline"]) == 2
    json.dumps(s)
