"""Figure 5: neuron measures (closed forms), the Config validator, a reduced real run, the notebook and the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import papermill as pm
import pytest
import torch

from recovery.config import ParameterError
from recovery.core import dynamics, neurons
from recovery.figures import fig5

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_neuron_contribution_is_the_max_of_the_neuron_output_on_the_interval():
    # a σ(w x + b) with σ(u) = u/(1+u²): |σ| ≤ 1/2, reached at u = ±1
    theta = np.array([[2.0, 1.0, 0.0], [1.0, 0.0, 0.0], [-3.0, 0.1, 0.0]])
    c = neurons.neuron_contributions(theta)
    assert c[0] == pytest.approx(1.0, abs=1e-12)  # u = x reaches 1 inside [-2, 2]
    assert c[1] == 0.0  # w = 0: σ(0) = 0
    assert c[2] == pytest.approx(3.0 * 0.2 / 1.04)  # u = 0.1x ≤ 0.2 on [-2, 2], σ increasing there
    assert neurons.neuron_contributions(theta[None, None]).shape == (1, 1, 3)


def test_active_mask_participation_ratio_and_angles():
    c = np.array([[1.0, 0.5, 0.05, 0.0]])
    assert neurons.active_mask(c, 0.1).tolist() == [[True, True, False, False]]
    assert neurons.participation_ratio(np.ones(7)) == pytest.approx(7.0)
    assert neurons.participation_ratio(np.array([3.0, 0.0, 0.0])) == pytest.approx(1.0)
    th = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, -2.0]])
    assert neurons.direction_angle(th).tolist() == pytest.approx([45.0, -90.0])
    assert neurons.angular_spread(neurons.direction_angle(th)) == pytest.approx(135.0)
    assert neurons.angular_spread(neurons.direction_angle(th), [True, False]) == 0.0


def test_canonical_sign_flips_runs_with_negative_C1():
    theta = np.ones((2, 5, 3, 3))
    C = np.array([[-1.0, -2.0, -3.0], [1.0, 2.0, 3.0]])
    out = neurons.with_canonical_sign(theta, C)
    assert (out[0] == -1).all() and (out[1] == 1).all()


def test_torch_threads_restores_the_callers_setting():
    before = torch.get_num_threads()
    with dynamics.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"scales": [1e-8]}, "scales"),
        ({"active_fraction": 2}, "active_fraction"),
        ({"width": 1}, "width"),
        ({"check_rtol": 1e-5}, "check_rtol"),
        ({"large_scale": -1}, "large_scale"),
        ({"unknown": 3}, "unknown"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        fig5.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_trials_are_the_papers_setting():
    cfg = fig5.Config.from_user(scales="1e-12,1e-8", first_seed="2")
    assert cfg.scales == (1e-8, 1e-12)
    for k, c in enumerate(cfg.trials()):
        assert (c.first_seed, c.width, c.activation, c.target_activation) == (2 + k, 1000, "rational", "tanh")
        assert (c.c_ratio_base, c.c_ratio_slope, c.n_samples, c.design) == (1.5, 0.0015, 6, "even")


def test_ratio_readings_are_named_presets():
    cfg = fig5.Config()
    assert (cfg.ratio_reading, cfg.c_ratio_base, cfg.c_ratio_slope) == (
        "i_ge_2",
        1.5,
        0.0015,
    )  # today's reading
    p = fig5.Config.from_user(ratio_reading="proportional")
    assert (p.c_ratio_base, p.c_ratio_slope) == (1.0, 0.001)
    # C_i proportional to 1.5 + 0.0015 (i - 1): C_i/C_1 = (1.5 + 0.0015 (i - 1)) / 1.5 for i = 2..width
    i = np.arange(2, p.width + 1)
    assert np.allclose(p.ratios(), (1.5 + 0.0015 * (i - 1)) / 1.5, rtol=1e-14)
    assert np.allclose(cfg.ratios(), 1.5 + 0.0015 * (i - 1), rtol=1e-14)
    assert p.trials()[0].c_ratio_base == 1.0 and fig5.Config.from_user(**p.params()) == p
    assert fig5.Config.from_user(c_ratio_base=1.0, c_ratio_slope=0.001).ratio_reading == "proportional"
    assert fig5.Config.from_user(c_ratio_base=2.0).ratio_reading == "custom"
    for kw, name in (
        ({"ratio_reading": "i=1"}, "ratio_reading"),
        ({"ratio_reading": "proportional", "c_ratio_slope": 0.0015}, "c_ratio_slope"),
    ):
        with pytest.raises(ParameterError) as e:
            fig5.Config.from_user(**kw)
        assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_ratio_check_fails_on_the_other_reading():
    width = 30
    cfg = fig5.Config(width=width)
    other = fig5.Config(width=width, ratio_reading="proportional")
    C1 = np.array([[0.7], [-2.0]])
    assert fig5.ratio_check(cfg, np.hstack([C1, C1 * cfg.ratios()]))
    assert not fig5.ratio_check(
        cfg, np.hstack([C1, C1 * other.ratios()])
    )  # the other reading's C: the check fails
    assert fig5.ratio_check(other, np.hstack([C1, C1 * other.ratios()]))


def test_reduced_run_prescribes_the_ratios_and_aligns_the_curves():
    cfg = fig5.Config(
        scales=(1e-6, 1e-9),
        width=40,
        t_max=30,
        rtol=1e-6,
        check_rtol=0,
        large_scale=0,
        checkpoints_per_decade=100,
    )
    s, a = fig5.run(cfg, progress=False)
    # C_i/C_1 = 1.5 + 0.0015 (i - 1) for i >= 2 (the caption read for i >= 2)
    ratios = a["C"][:, 1:] / a["C"][:, :1]
    assert np.allclose(ratios, 1.5 + 0.0015 * np.arange(1, 40), rtol=1e-10)
    assert fig5.ratio_check(cfg, a["C"]) and s["ratio_reading"] == "i_ge_2"
    assert s["shift_used"][0] < 0 and s["shift_used"][-1] == 0.0
    assert s["aligned_gap"][0] < 0.1 * s["unaligned_gap"][0]
    assert len(s["n_active"]) == 2 and all(1 <= n <= 40 for n in s["n_active"])
    for key in (
        "figure",
        "paper",
        "parameters",
        "package_version",
        "code_hash",
        "runtime_s",
        "headline",
        "active_criterion",
        "gap_definition",
        "c_ratio_note",
    ):
        assert key in s
    json.dumps(s)


def test_fig5_notebook_reduced_size(tmp_path):
    out = tmp_path / "fig5.ipynb"
    pm.execute_notebook(
        str(NB / "fig5_wide_network.ipynb"),
        str(out),
        cwd=str(NB),
        progress_bar=False,
        parameters={
            "scales": [1e-6, 1e-9],
            "width": 40,
            "t_max": 30,
            "rtol": 1e-6,
            "check_rtol": 0,
            "large_scale": 1e-4,
            "checkpoints_per_decade": 100,
            "ratio_reading": "proportional",
        },
    )  # the other reading (the contract test: default)
    text = out.read_text()
    assert "all checks passed" in text and "ratio reading proportional: C_2/C_1 = 1.0010" in text
    assert "fig5-trial-slider" in text and "fig5-neuron-slider" in text


def test_cli_run_fig5_writes_gaps_and_active_neurons(tmp_path):
    out = tmp_path / "fig5"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "recovery",
            "run",
            "fig5",
            "--scales",
            "1e-6,1e-9",
            "--width",
            "40",
            "--t-max",
            "30",
            "--rtol",
            "1e-6",
            "--check-rtol",
            "0",
            "--large-scale",
            "0",
            "--checkpoints-per-decade",
            "100",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "result.json").read_text())
    assert s["parameters"]["width"] == 40 and len(s["shift_used"]) == 2
    assert s["max_aligned_gap"] < 0.1 * s["min_unaligned_gap"]
    assert all(len(a) == n for a, n in zip(s["active_neurons"], s["n_active"]))
    assert (out / "figure.png").stat().st_size > 10_000 and "active neurons" in r.stdout
