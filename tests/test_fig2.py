"""Figure 2: the log-loss gap (closed forms), the Config validator, a real reduced run, the notebook and the CLI."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from figure_sizes import REDUCED
from scipy.special import expit

from recovery.config import ParameterError
from recovery.core import alignment
from recovery.figures import fig2

NB = Path(__file__).resolve().parent.parent / "notebooks"
TIMES = np.concatenate([[0.0], np.logspace(-2, 3, 5 * 100 + 1)])


def _curve(t, t0=4.0):
    """A loss curve with a plateau, a sigmoidal drop at t0 and exponential decay: like an escape from θ = 0."""
    return 1.8 * expit(-3.0 * (t - t0)) + 1e-3 * np.exp(-0.05 * t) + 1e-12


def test_exactly_shifted_curves_have_zero_aligned_gap_and_the_lag_sign_convention():
    # the run reaches the drop 1.5 time units after the reference: it lags by L = 1.5
    ref, run = _curve(TIMES), _curve(TIMES - 1.5)
    aligned = alignment.log_loss_gap(TIMES, run, TIMES, ref, lag=1.5)
    unaligned = alignment.log_loss_gap(TIMES, run, TIMES, ref, lag=0.0)
    assert aligned.gap < 1e-4  # only the spline's interpolation error is left
    assert unaligned.gap > 1.0 and 3.0 < unaligned.t_at_max < 7.0
    assert alignment.log_loss_gap(TIMES, run, TIMES, ref, lag=-1.5).gap > unaligned.gap  # wrong sign is worse
    # window: reference times t with run time t + L inside [0, t_max]
    assert aligned.t_lo == 0.0 and aligned.t_hi <= 1e3 - 1.5


def test_gap_of_a_constant_factor_is_its_log10_and_the_floor_cuts_the_window():
    ref = _curve(TIMES)
    g = alignment.log_loss_gap(TIMES, 2.0 * ref, TIMES, ref)
    assert g.gap == pytest.approx(math.log10(2.0), rel=1e-9)
    # a floor above the tail shortens the window to where both losses are above it
    g2 = alignment.log_loss_gap(TIMES, 2.0 * ref, TIMES, ref, loss_floor=1e-4)
    assert g2.t_hi < g.t_hi and (ref[TIMES <= g2.t_hi] >= 1e-4).all()
    # a run that stopped early (t_end) is compared only up to where it was integrated
    g3 = alignment.log_loss_gap(TIMES, 2.0 * ref, TIMES, ref, t_end=10.0)
    assert g3.t_hi <= 10.0
    # no overlap: NaN, not a number that looks like agreement
    assert math.isnan(alignment.log_loss_gap(TIMES, ref, TIMES, ref, lag=5e3).gap)


def test_theorem1_lags_and_linear_regime():
    C_ref = np.array([1e-12, 0.5e-12])
    C = np.array([[1e-4, 0.5e-4], [1e-12, 0.5e-12]])
    lags = alignment.theorem1_lags(C, C_ref, 5.0)
    assert lags[0] == pytest.approx(math.log(1e-8) / 5.0) and lags[1] == 0.0  # bigger C escapes earlier
    assert alignment.linear_regime(np.array([0.5, 1e-3, 1e-6]), floor=1e-6).tolist() == [False, True, False]


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"scales": [1e-4]}, "scales"),
        ({"scales": [1e-4, 0.0]}, "scales[1]"),
        ({"c_ratio": -1}, "c_ratio"),
        ({"check_rtol": 1e-6}, "check_rtol"),
        ({"rtol": 0.5}, "rtol"),
        ({"scan_scales": "2,1e-3"}, "scan_scales[0]"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        fig2.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_config_coerces_cli_strings_and_sorts_scales():
    cfg = fig2.Config.from_user(scales="1e-8,1e-4", t_max="100", first_seed="3")
    assert cfg.scales == (1e-4, 1e-8) and cfg.t_max == 100.0 and cfg.first_seed == 3
    assert [c.first_seed for c in cfg.trials()] == [3, 4]
    assert all(c.c_ratio_base == 0.5 and c.width == 2 for c in cfg.trials())


def test_reduced_run_aligns_curves_and_prescribes_the_ratio():
    s, a = fig2.run(fig2.Config.from_user(**REDUCED["fig2"]), progress=False)  # the contract tests' size
    assert np.allclose(a["C"][:, 1] / a["C"][:, 0], 0.5, rtol=1e-12)
    al, un = np.array(s["aligned_gap"][:-1]), np.array(s["unaligned_gap"][:-1])
    assert (al < un / 100).all() and un.min() > 0.5
    assert s["shift_used"][-1] == 0.0 and all(
        x < 0 for x in s["shift_used"][:-1]
    )  # larger scale: earlier escape
    assert al[0] > al[1]  # the larger scale aligns less well
    assert s["scan_aligned_gap"][0] > s["scan_aligned_gap"][1]
    assert len(s["shift_used"]) == 3 and s["max_aligned_gap"] < s["min_unaligned_gap"] / 100
    assert s["aligned_gap_shrinks_with_scale"] is True
    for key in ("figure", "paper", "parameters", "package_version", "code_hash", "runtime_s", "headline"):
        assert key in s
    json.dumps(s)
