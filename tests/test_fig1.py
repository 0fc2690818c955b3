"""Figure 1 (scale sweep): configuration, one batched run over the grid, summary table, plots, notebook, CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recovery import sweeps
from recovery.config import ParameterError
from recovery.core.theory import RECOVERY_THRESHOLD
from recovery.figures import fig1
from recovery.plots import fig1 as fp

NB = Path(__file__).resolve().parent.parent / "notebooks"
SMALL = dict(scales=[10, 1e-4, 1e-8], n_values=[2, 3, 6], trials=6, t_max=1e5)


@pytest.fixture(scope="module")
def small_run():
    cfg = fig1.Config.from_user(**SMALL)
    return cfg, *fig1.run(cfg, progress=False)


def test_defaults_are_the_paper_grid():
    cfg = fig1.Config()
    assert cfg.scales == tuple(10.0**k for k in range(1, -11, -1)) and cfg.n_values == (2, 3, 4, 5, 6)
    assert cfg.designs == ("even", "gaussian") and cfg.trials == 50 and cfg.t_max == 1e7
    assert len(cfg.run_configs()) == 2 * 12 * 5


def test_config_coerces_cli_strings_and_canonicalizes():
    cfg = fig1.Config.from_user(scales="1e-8,1e-2 1e-2", n_values="6,2", designs="gaussian,even", trials="7")
    assert cfg.scales == (1e-2, 1e-8) and cfg.n_values == (2, 6) and cfg.designs == ("even", "gaussian")
    assert cfg.trials == 7


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"scales": "0"}, "scales[0]"),
        ({"scales": "1e-2,abc"}, "scales[1]"),
        ({"scales": [1e4]}, "scales[0]"),
        ({"n_values": "0"}, "n_values[0]"),
        ({"n_values": []}, "n_values"),
        ({"designs": "uniform"}, "designs[0]"),
        ({"trials": 0}, "trials"),
        ({"t_max": "inf"}, "t_max"),
        ({"seeds": 5}, "seeds"),
    ],
)
def test_bad_parameters_raise_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        fig1.Config.from_user(**kw)
    msg = str(e.value)
    assert msg.startswith(f"invalid {name}=") and "\n" not in msg


def test_one_run_config_per_cell_gaussian_data_per_trial():
    cfg = fig1.Config.from_user(**SMALL)
    rcs = cfg.run_configs()
    assert [(r.design, r.init_scale, r.n_samples) for r in rcs[:3]] == [
        ("even", 10.0, 2),
        ("even", 10.0, 3),
        ("even", 10.0, 6),
    ]
    assert all(r.data_per_trial == (r.design == "gaussian") for r in rcs)
    assert all(r.seeds == 6 and r.t_max == 1e5 for r in rcs)
    g = cfg.run_config("gaussian", 1e-4, 6)
    xs = [g.data_spec(s).train_inputs().numpy() for s in g.seed_list()]
    assert len({tuple(x) for x in xs}) == 6  # every trial has its own data set
    g3 = cfg.run_config("gaussian", 1e-4, 3)
    assert np.array_equal(g3.data_spec(4).train_inputs().numpy(), xs[4][:3])  # nested in n


def test_whole_grid_runs_as_one_batched_program(monkeypatch, tmp_path):
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(tmp_path))
    calls = []
    real = sweeps.gradient_flow

    def counting(theta0, *a, **k):
        calls.append(theta0.shape[0])
        return real(theta0, *a, **k)

    monkeypatch.setattr(sweeps, "gradient_flow", counting)
    cfg = fig1.Config.from_user(scales=[1e-2, 1e-6], n_values=[3, 6], trials=3, t_max=1e3)
    fig1.run(cfg, progress=False)
    assert calls == [2 * 2 * 2 * 3]


def test_summary_table_matches_the_arrays(small_run):
    cfg, s, a = small_run
    for key in ("figure", "paper", "parameters", "package_version", "code_hash", "runtime_s", "headline"):
        assert key in s
    assert s["figure"] == "fig1" and 1 <= len(s["headline"]) <= 3 and s["runtime_s"] > 0
    json.dumps(s, allow_nan=False)
    for d in cfg.designs:
        ge = a[f"{d}_gen_error"]
        assert ge.shape == (3, 3, 6) and a[f"{d}_final_theta"].shape == (3, 3, 6, 2, 3)
        rows = s["table"][d]
        assert [(r["scale"], r["n"]) for r in rows] == [(sc, n) for sc in cfg.scales for n in cfg.n_values]
        for r, g in zip(rows, ge.reshape(-1, 6)):
            assert r["mean"] == pytest.approx(g.mean()) and r["median"] == pytest.approx(np.median(g))
            assert r["q25"] <= r["median"] <= r["q75"]
            assert r["passes_threshold"] == pytest.approx((g < RECOVERY_THRESHOLD).mean())
        assert np.allclose(fig1.matrix(s, d, "mean"), ge.mean(-1))
        # the error at the last decade checkpoint is the final error (smallest scale)
        assert np.allclose(a[f"{d}_gen_error_time"][..., -1], ge[-1])
        assert s["passes_threshold_vs_time_at_smallest_scale"]["times"][-1] == cfg.t_max


def test_small_run_science(small_run):
    cfg, s, a = small_run
    for d in cfg.designs:
        ge = a[f"{d}_gen_error"]
        assert (ge[:, 0] > RECOVERY_THRESHOLD).all()  # n = 2 never recovers
        assert ge[:, 1].min() > 1e-12  # n = 3: at best approximate
        # Theorem 1: s = 1e-4 and 1e-8 end in the same set with the same recovery flag
        assert fig1.agreement_with_smallest_scale(a, d)[1].min() == 1.0
        assert s["scale_independent_from"][d] == 1e-4
        # smaller scale -> lower error at n = 6
        assert ge[-1, -1].mean() < ge[0, -1].mean()
    x = a["even_train_x"]
    assert np.allclose(x[2, :, :6], np.linspace(-2, 2, 6)) and np.isnan(x[0, :, 2:]).all()


def test_caption_layout_curves_follow_the_averaging_rule(small_run):
    cfg, s, a = small_run
    t = a["times_curve"]
    assert t[-1] == cfg.t_max and (np.diff(t) > 0).all() and t[0] > 0
    for d in cfg.designs:
        cm, ps = a[f"{d}_curve_mean"], a[f"{d}_curve_passes"]
        assert cm.shape == ps.shape == (len(cfg.scales), len(cfg.n_values), t.size)
        ge = a[f"{d}_gen_error"]
        # the last checkpoint is the final state: the curve ends at the mean of max(error, 1e-8)
        assert np.allclose(cm[..., -1], np.maximum(ge, RECOVERY_THRESHOLD).mean(-1), rtol=1e-12)
        assert np.allclose(ps[..., -1], (ge < RECOVERY_THRESHOLD).mean(-1))
        assert np.allclose(fig1.matrix(s, d, "mean_clipped"), cm[..., -1], rtol=1e-12)
    assert all(fig1.caption_layout_checks(cfg, s, a).values())


def test_best_scale_is_not_decided_by_round_off():
    cfg = fig1.Config.from_user(scales=[1.0, 1e-2, 1e-8], n_values=[6], designs=["even"], trials=4)
    ge = np.array(
        [
            [[1e-13, 1e-13, 1e-14, 1e-13]],  # s = 1: passes, sublinear runs still at 1e-13
            [[1e-30, 1e-31, 1e-30, 1e-30]],  # s = 1e-2: round-off
            [[1e-30, 1e-31, 1e-30, 1e-3]],
        ]
    )  # s = 1e-8: one trial fails
    b = fig1.best_scales(cfg, {"even_gen_error": ge}, "even")["6"]
    assert b["scales"] == [1.0, 1e-2] and b["tie"]  # both pass: a tie, not s = 1e-2 by round-off
    assert b["fraction_passes_threshold"] == 1.0 and b["mean_clipped"] == pytest.approx(1e-8)
    assert b["raw_mean_argmin_scale"] == 1e-2  # what the raw mean would have said
    assert b["by_fraction_passing"] == {"scales": [1.0, 1e-2], "fraction_passes_threshold": 1.0}
    ge[0, 0, 0] = 2e-8  # one s = 1 trial now fails: s = 1e-2 alone is best
    assert fig1.best_scales(cfg, {"even_gen_error": ge}, "even")["6"]["scales"] == [1e-2]
    ge[1, 0, 0] = (
        1e-1  # every scale passes 3 of 4 now: a tie by fraction, the failures' errors decide the mean
    )
    b = fig1.best_scales(cfg, {"even_gen_error": ge}, "even")["6"]
    assert b["scales"] == [1.0] and b["mean_clipped"] == pytest.approx((2e-8 + 3e-8) / 4)
    assert b["by_fraction_passing"] == {"scales": [1.0, 1e-2, 1e-8], "fraction_passes_threshold": 0.75}


def test_caption_layout_checks_fail_on_wrong_inputs(small_run):
    cfg, s, a = small_run
    wrong = dict(a, even_curve_mean=a["even_curve_mean"] * 1e-3)  # averaged without the identification rule
    res = fig1.caption_layout_checks(cfg, s, wrong)
    assert not res["even_floor"] and not res["even_horizon"]
    wrong = dict(a, gaussian_curve_passes=np.ones_like(a["gaussian_curve_passes"]))  # n = 2 "passes"
    res = fig1.caption_layout_checks(cfg, s, wrong)
    assert not res["gaussian_n2_never_passes"] and not res["gaussian_passes_consistent"]
    bad = {
        **s,
        "best_scale": {
            **s["best_scale"],
            "even": {k: {**v, "scales": list(cfg.scales)} for k, v in s["best_scale"]["even"].items()},
        },
    }  # every scale "best"
    assert not fig1.caption_layout_checks(cfg, bad, a)["even_best_is_tie_safe"]


def test_scale_independent_from():
    scales = np.array([1.0, 1e-2, 1e-4, 1e-6])
    agree = np.array([[0.5, 1.0], [0.97, 1.0], [1.0, 0.99], [1.0, 1.0]])
    assert fig1.scale_independent_from(scales, agree) == 1e-4
    assert fig1.scale_independent_from(scales, agree, level=0.95) == 1e-2
    assert fig1.decade_indices(np.array([0.01, 0.5, 1.0, 3.0, 10.0, 100.0])).tolist() == [2, 4, 5]


def test_plots_and_png(small_run, tmp_path):
    cfg, s, a = small_run
    for d in cfg.designs:
        assert len(fp.error_vs_n(s, d).data) == 4 * len(cfg.scales)
        assert len(fp.learned_functions_panels(cfg, a, s, d, show=3).data) >= len(cfg.n_values) * 5
        h = fp.scale_n_slider(cfg, a, s, d, show=3)
        assert f'id="fig1-slider-{d}"' in h and h.count('type="range"') == 2
        assert len(h) < 60_000
        assert len(fp.passes_threshold_vs_time(s, d).data) == len(cfg.n_values)
    panels = fp.caption_panels(s)
    assert panels == [("even", 2), ("even", 3), ("even", 6), ("gaussian", 6)]
    assert fp.caption_panels(s, gaussian_n=3)[-1] == ("gaussian", 3)
    f = fp.error_vs_time(s, a)
    assert len(f.data) == len(panels) * len(cfg.scales)
    assert [tr.name for tr in f.data if tr.showlegend] == [f"{x:.0e}" for x in cfg.scales]  # legend = scale
    assert min(min(tr.y) for tr in f.data) >= RECOVERY_THRESHOLD * (1 - 1e-12)
    fp.write_png(s, a, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 10_000


def test_cli_writes_the_table(tmp_path):
    out = tmp_path / "fig1"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "recovery",
            "run",
            "fig1",
            "--scales",
            "10,1e-6",
            "--n-values",
            "2,6",
            "--trials",
            "4",
            "--t-max",
            "1e4",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "result.json").read_text())
    assert s["parameters"]["scales"] == [10.0, 1e-6] and s["parameters"]["trials"] == 4
    for d in ("even", "gaussian"):
        assert len(s["table"][d]) == 4
        assert {"mean", "median", "q25", "q75", "passes_threshold", "fraction_Q1", "fraction_Q2"} <= set(
            s["table"][d][0]
        )
        assert s["table"][d][0]["passes_threshold"] == 0.0  # n = 2
        assert s["scale_trend"][d]["mean_at_smallest"] < s["scale_trend"][d]["mean_at_largest"]
    assert (out / "figure.png").stat().st_size > 10_000 and (out / "arrays.npz").exists()
