"""Theorem 1 page: the interpolation and alignment (closed forms), the Config validator, a real reduced run, the
notebook and the CLI. One reduced configuration is shared so that the notebook and the CLI load its runs from the
cache."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from figure_sizes import REDUCED

from recovery.config import ParameterError
from recovery.core import alignment
from recovery.core.data import DataSpec, batch_data
from recovery.figures import theorem1
from recovery.sweeps import run_one

NB = Path(__file__).resolve().parent.parent / "notebooks"
DATA = batch_data([DataSpec(n_samples=6)])


def test_hermite5_is_exact_for_quintics_and_sixth_order_for_exponentials():
    t = np.linspace(0.0, 2.0, 9)
    c = np.array([0.3, -1.0, 0.5, 2.0, -0.7, 0.25])  # a quintic
    y = np.polyval(c, t)[:, None]
    v = np.polyval(np.polyder(c), t)[:, None]
    a = np.polyval(np.polyder(c, 2), t)[:, None]
    tq = np.linspace(0.0, 2.0, 101)
    assert np.allclose(alignment.hermite5(t, y, v, a, tq)[:, 0], np.polyval(c, tq), atol=1e-12)
    errs = []
    for k in (8, 16):  # e^{3t}: halving the spacing divides the error by ~2^6
        t = np.linspace(0.0, 1.0, k + 1)
        e = np.exp(3 * t)[:, None]
        tq = np.linspace(0.0, 1.0, 997)
        errs.append(np.abs(alignment.hermite5(t, e, 3 * e, 9 * e, tq)[:, 0] - np.exp(3 * tq)).max())
    assert 40 < errs[0] / errs[1] < 90


def test_aligned_time_and_canonical_sign():
    C = np.array([3e-4, 4e-4])  # |C| = 5e-4
    tau = alignment.aligned_time(np.array([0.0, 1.0]), C, 2.0)
    assert tau == pytest.approx([math.log(5e-4) / 2.0, 1.0 + math.log(5e-4) / 2.0])
    assert alignment.canonical_sign(C) == 1.0 and alignment.canonical_sign(-C) == -1.0


@pytest.fixture(scope="module")
def short_run():
    """One real trajectory (Example 1, c = 0.3, s = 1e-3) to build exact copies from."""
    cfg = theorem1.Config.from_user(**REDUCED["theorem1"])
    arr = run_one(cfg.trial(0.3, 1e-3), progress=False)
    return {
        "times": arr["times"],
        "theta": arr["theta_traj"][0],
        "loss": arr["loss_traj"][0],
        "C": arr["C"][0],
        "t_end": float(arr["final_time"][0]),
        "rate": float(arr["growth_rate"][0]),
    }


def test_align_a_run_with_itself_its_mirror_and_a_shifted_copy(short_run):
    rate = short_run["rate"]
    ref = {k: v for k, v in short_run.items() if k != "rate"}
    same = alignment.align(ref, ref, rate, DATA, tau_min=-math.inf)
    assert same.distance < 1e-13 and same.loss_gap < 1e-12
    # θ -> -θ (tanh odd) with C -> -C is the same run after canonicalization
    mirror = dict(ref, theta=-ref["theta"], C=-ref["C"])
    assert alignment.align(mirror, ref, rate, DATA).distance < 1e-13
    # the same trajectory started L earlier with |C| larger by e^{|z| L}: same aligned time, distance 0
    L = 0.7
    shifted = dict(ref, times=ref["times"] - L, C=ref["C"] * math.exp(rate * L), t_end=ref["t_end"] - L)
    al = alignment.align(shifted, ref, rate, DATA, tau_min=-math.inf)
    assert al.distance < 1e-13 and al.tau.size > 10
    # the wrong shift (no C rescaling) is far off
    wrong = dict(ref, times=ref["times"] - L, t_end=ref["t_end"] - L)
    assert alignment.align(wrong, ref, rate, DATA).distance > 1e-2
    # an empty window gives NaN, not a number that looks like agreement
    assert math.isnan(alignment.align(ref, ref, rate, DATA, tau_min=1e6, tau_max=2e6).distance)


def test_interpolation_error_estimate_is_small_at_dense_checkpoints(short_run):
    e = alignment.interpolation_error(short_run["times"], short_run["theta"], DATA, short_run["t_end"])
    assert 0 < e < 1e-5


def test_mask_floor_and_spread_helpers():
    d = np.array([1e-2, 1e-3, 2e-6, np.nan])
    dc = np.array([1.001e-2, 1.0e-3, 5e-6, np.nan])
    m = alignment.converged_mask(d, dc, 0.1)
    assert m.tolist() == [True, True, False, False]
    assert theorem1.numerical_floor(d, m) == pytest.approx(2e-6)
    th = np.ones((3, 2, 3))
    C = np.array([[1.0, 0.3], [-1.0, -0.3], [2.0, 0.6]])
    th[1] *= -1  # the mirrored run is the same point after canonicalization
    assert alignment.limit_spread(th, C) == 0.0


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"scales": [1e-2]}, "scales"),
        ({"scales": [1e-2, 2.0]}, "scales[1]"),
        ({"c_ratios": [0.3, -1]}, "c_ratios[1]"),
        ({"check_rtol": 3e-9}, "check_rtol"),
        ({"tau_min": 5, "tau_max": 1}, "tau_max"),
        ({"seeds": 0}, "seeds"),
        ({"limit_seeds": 1}, "limit_seeds"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        theorem1.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_config_coerces_cli_strings_and_builds_one_runconfig_per_cell():
    cfg = theorem1.Config.from_user(scales="1e-6,1e-2", c_ratios="0.5", seeds="3", t_max="50")
    assert cfg.scales == (1e-2, 1e-6) and cfg.c_ratios == (0.5,) and cfg.seeds == 3 and cfg.t_max == 50.0
    grid = cfg.grid()
    assert [g.init_scale for g in grid] == [1e-2, 1e-6]
    assert all(g.c_ratio_base == 0.5 and g.width == 2 and g.seeds == 3 for g in grid)
    assert {g.rtol for g in cfg.grid(cfg.check_rtol)} == {cfg.check_rtol}
    json.dumps(cfg.params())


def test_reduced_run_distance_is_linear_in_s_and_limits_agree():
    cfg = theorem1.Config.from_user(**REDUCED["theorem1"])
    s, a = theorem1.run(cfg, progress=False)
    d = a["distance"]
    assert d.shape == (2, 2, 3) and np.isnan(d[:, :, -1]).all()  # the reference is not compared with itself
    assert (d[:, :, 0] > 5 * d[:, :, 1]).all()  # 10x smaller scale: ~10x smaller distance
    fin = np.isfinite(a["slope"])
    assert fin.any() and (np.abs(a["slope"][fin] - 1) < 0.2).all()
    assert np.isfinite(a["seed_distance"][:, 1]).all() and np.isnan(a["seed_distance"][:, 0]).all()
    assert s["limit_same_set_small_scale"] and s["limit_sets_small_scale"] == {
        "0.3": ["Q2"] * 3,
        "1": ["Q1"] * 3,
    }
    assert (a["limit_spread"][:, 1] < 1e-2 * a["limit_spread"][:, 0]).all()
    assert 0.8 < s["slope_median"] < 1.2
    for key in (
        "figure",
        "paper",
        "parameters",
        "package_version",
        "code_hash",
        "runtime_s",
        "headline",
        "slope_median",
        "numerical_floor",
        "check_distance",
    ):
        assert key in s
    json.dumps(s)
