"""Figure 4 (Gaussian samples): configuration, the science at reduced size, plots, notebook and CLI."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recovery import sweeps
from recovery.cache import ResultCache
from recovery.config import ParameterError
from recovery.core.theory import Q1, Q2
from recovery.figures import fig4
from recovery.plots import fig4 as f4p

NB = Path(__file__).resolve().parent.parent / "notebooks"
# two data seeds that converge fast; n = 6 recovers for every init within t = 1e7 on them
SMALL = dict(data_seeds=(0, 4), n_values=(2, 3, 4, 6), seeds=4, t_max=1e7)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fig4-cache")


@pytest.fixture(scope="module")
def small_run(cache_dir):
    cfg = fig4.Config(**SMALL)
    by_scale = fig4.compute(cfg, [1e-8], progress=False, cache=ResultCache(cache_dir))
    return cfg, by_scale


# --- configuration ------------------------------------------------------------------------------------


def test_config_defaults_are_the_papers_setting():
    cfg = fig4.Config()
    assert cfg.data_seeds == (0, 1, 2, 3, 4) and cfg.n_values == (2, 3, 4, 5, 6)
    assert cfg.init_scale == 1e-20 and cfg.threshold == 1e-8 and cfg.example_n == 4
    cells = cfg.cells()
    assert len(cells) == 25 and all(c.design == "gaussian" and not c.data_per_trial for c in cells)
    assert {(c.data_seed, c.n_samples) for c in cells} == {(d, n) for d in range(5) for n in range(2, 7)}


def test_config_coerces_loose_values():
    cfg = fig4.Config.from_user(data_seeds="4,0", n_values=[6, "2", 4.0], seeds="3", t_max="1e9", example_n=4)
    assert cfg.data_seeds == (0, 4) and cfg.n_values == (2, 4, 6) and cfg.seeds == 3 and cfg.t_max == 1e9
    assert json.loads(json.dumps(cfg.params()))["data_seeds"] == [0, 4]


@pytest.mark.parametrize(
    "kw, name",
    [
        (dict(seeds=0), "seeds"),
        (dict(data_seeds="0,0"), "data_seeds"),
        (dict(data_seeds=[-1]), "data_seeds[0]"),
        (dict(n_values=[0, 2]), "n_values[0]"),
        (dict(n_values=[2, 3], example_n=4), "example_n"),
        (dict(init_scale=0), "init_scale"),
        (dict(t_max=1e13), "t_max"),
        (dict(strict_threshold=1e-6), "strict_threshold"),
        (dict(nonsense=1), "nonsense"),
    ],
)
def test_bad_parameters_raise_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        fig4.Config.from_user(**kw)
    msg = str(e.value)
    assert msg.startswith(f"invalid {name}=") and "\n" not in msg


def test_slider_scales_always_include_the_main_scale():
    cfg = fig4.Config()
    assert fig4.slider_scales("1e-4,1e-8", cfg) == [1e-4, 1e-8, 1e-20]
    assert fig4.slider_scales([], cfg) == [1e-20]
    with pytest.raises(ParameterError):
        fig4.slider_scales([1e-4, -1.0], cfg)


def test_horizon_indices_are_log_spaced_and_end_at_the_horizon():
    times = sweeps.RunConfig(t_max=1e9).flow().checkpoint_times()
    k = fig4.horizon_indices(times, per_decade=4)
    assert k[-1] == len(times) - 1 and np.all(np.diff(k) > 0) and times[k[0]] > 0
    assert abs(len(k) - 11 * 4) <= 2  # 1e-2 .. 1e9: 11 decades


# --- the science at reduced size ----------------------------------------------------------------------


def test_one_batched_program_for_every_scale_and_cell(cache_dir, monkeypatch):
    calls = []
    real = sweeps.gradient_flow

    def counting(theta0, *a, **k):
        calls.append(theta0.shape[0])
        return real(theta0, *a, **k)

    monkeypatch.setattr(sweeps, "gradient_flow", counting)
    cfg = fig4.Config(data_seeds=(0,), n_values=(2, 6), seeds=3, t_max=1e4, example_n=6)
    cache = ResultCache(cache_dir / "count")
    fig4.compute(cfg, [1e-4, 1e-8], progress=False, cache=cache)
    assert calls == [3 * 2 * 3]  # 3 scales x 2 sample sizes x 3 inits, one program
    fig4.compute(cfg, [1e-4, 1e-8], progress=False, cache=cache)
    assert calls == [18]  # cached: nothing recomputed


def test_recovery_follows_the_sample_size_thresholds(small_run):
    cfg, by_scale = small_run
    st = by_scale[cfg.init_scale]
    ns = list(cfg.n_values)
    assert st["gen_error"].shape == (2, 4, 4)
    # all inits of a cell share the data set; nested sets: the n = 2 points are the first two of n = 6
    x = st["x_train"]
    assert np.allclose(x[:, ns.index(2), :2], x[:, ns.index(6), :2])
    # below the optimistic sample size 3: no recovery at all
    assert not st["recovered"][:, ns.index(2)].any()
    # at the optimistic size no trial converges to Q1/Q2 (zero-measure recovery)
    assert not st["strict"][:, ns.index(3)].any()
    # n = 6, small scale: every data seed and init recovers
    assert st["recovered"][:, ns.index(6)].all()
    # n = 4: the paper-like trial of data seed 0 recovers at Q2 (the paper's observation)
    j4 = ns.index(4)
    assert st["recovered"][0, j4, 0] and st["label"][0, j4, 0] == Q2
    assert (st["label"][:, j4][st["strict"][:, j4]] == Q2).all()
    # Theorem 1: at s = 1e-8 the outcomes equal those at s = 1e-20
    assert np.array_equal(by_scale[1e-8]["recovered"], st["recovered"])


def test_summary_is_json_and_reports_the_science(small_run):
    cfg, by_scale = small_run
    s = fig4.summarize(cfg, by_scale[cfg.init_scale])
    s = json.loads(json.dumps(s))
    for key in (
        "figure",
        "paper",
        "parameters",
        "package_version",
        "code_hash",
        "runtime_s",
        "headline",
        "paper_reports",
        "test_set",
        "horizon",
        "per_cell",
        "per_n",
    ):
        assert key in s
    assert s["figure"] == "fig4" and 1 <= len(s["headline"]) <= 3
    assert len(s["per_cell"]) == 2 * 4 and [p["n"] for p in s["per_n"]] == [2, 3, 4, 6]
    per_n = {p["n"]: p for p in s["per_n"]}
    assert per_n[2]["fraction_passes_threshold"] == 0.0 and per_n[6]["fraction_passes_threshold"] == 1.0
    assert per_n[4]["first_init_outcomes"][0] == "passes the threshold at Q2"
    assert s["smallest_n_first_init"]["0"] == 4 and s["example_data_seed"] == 0
    assert s["test_set"].startswith("1000 N(0, 1)")
    for c in s["per_cell"]:
        lo, hi = c["fraction_passes_threshold_ci95"]
        assert lo <= c["fraction_passes_threshold"] <= hi
        assert math.isclose(c["fraction_Q1"] + c["fraction_Q2"] + c["fraction_neither"], 1.0)
    hz = s["fraction_passes_threshold_vs_horizon"]
    assert hz["times"][-1] == cfg.t_max and hz["n=6"][-1] == 1.0 and hz["n=6"][0] == 0.0


def test_paper_fields_hold_only_the_caption():
    assert set(fig4.PAPER_FIG4) == {
        "data_seeds",
        "init_scale",
        "threshold",
        "below_threshold",
        "example_panel",
    }
    assert fig4.PAPER_FIG4["example_panel"] == {"n": 4, "data_seed": 3, "convergence_point": "Q2"}
    assert "n_values" in fig4.OURS_FIG4 and not hasattr(fig4, "SEPARATION_SIZE")


def test_separation_line_comes_from_the_measurement(small_run):
    cfg, by_scale = small_run
    st = by_scale[cfg.init_scale]
    s = fig4.summarize(cfg, st)
    assert s["sample_size_theory"]["separation_size_measured"] == fig4.measured_separation_size(cfg, st) == 4
    assert all(fig4.separation_checks(cfg, st, s).values())
    fig = f4p.recovery_scale_slider(cfg, by_scale, {})
    assert sorted(sh.x0 for sh in fig.layout.shapes) == [3, 4]
    # no exact recovery at n = 4 any more: the measured line moves to n = 6
    j4 = cfg.n_values.index(4)
    moved = dict(st, strict=st["strict"].copy())
    moved["strict"][:, j4] = False
    assert fig4.measured_separation_size(cfg, moved) == 6
    fig = f4p.recovery_scale_slider(cfg, {cfg.init_scale: moved}, {})
    assert sorted(sh.x0 for sh in fig.layout.shapes) == [3, 6]


def test_separation_checks_fail_on_wrong_inputs(small_run):
    cfg, by_scale = small_run
    st = by_scale[cfg.init_scale]
    s = fig4.summarize(cfg, st)
    wrong = json.loads(json.dumps(s))
    wrong["sample_size_theory"]["separation_size_measured"] = 3  # a typed constant instead of the measurement
    assert not fig4.separation_checks(cfg, st, wrong)["separation_is_measured"]
    loose = dict(st, recovered=st["gen_error"] < 1.0)  # a wrong threshold: everything "passes"
    assert not fig4.separation_checks(cfg, loose, s)["none_below_optimistic"]
    flipped = dict(st, label=np.where(st["label"] == Q2, Q1, st["label"]))  # Q1/Q2 labels swapped
    assert not fig4.separation_checks(cfg, flipped, s)["n4_exact_at_Q2"]
    exact3 = dict(st, strict=st["strict"].copy(), label=st["label"].copy())
    exact3["strict"][0, 1, 0], exact3["label"][0, 1, 0] = True, Q1  # an exact recovery at n = 3
    res = fig4.separation_checks(cfg, exact3, s)
    assert not res["optimistic_zero_measure"] and not res["separation_is_measured"]


def test_error_against_ratio_panels(small_run):
    cfg, by_scale = small_run
    st = by_scale[cfg.init_scale]
    assert fig4.ratio_panel_n(cfg) == [3, 4]
    fig = f4p.error_vs_ratio(cfg, st, {})
    D, S = len(cfg.data_seeds), cfg.seeds
    assert sum(len(t.x) for t in fig.data) == 2 * D * S
    ys = np.concatenate([np.asarray(t.y) for t in fig.data])
    assert ys.min() >= cfg.threshold  # the caption's rule: errors below 1e-8 shown at 1e-8
    j4 = cfg.n_values.index(4)
    names = {t.name for t in fig.data}
    assert ("recovered exactly at Q²" in names) == bool(fig4.recovered_exactly(st)[:, j4].any())
    xs = np.sort(np.concatenate([np.asarray(t.x) for t in fig.data]))
    assert np.allclose(xs, np.sort(st["ratio"][:, [1, j4]].ravel()))


def test_near_misses_are_final_interpolants(small_run):
    cfg, by_scale = small_run
    st = by_scale[cfg.init_scale]
    nm = fig4.near_miss(st)
    assert not (nm & st["strict"]).any() and (st["interpolant"] | ~nm).all()
    assert (st["final_loss"][st["interpolant"]] < 1e-27).all()


# --- plots ----------------------------------------------------------------------------------------------


def test_n_slider_shows_one_cell_group_per_step(small_run):
    cfg, by_scale = small_run
    st = by_scale[cfg.init_scale]
    fig = f4p.learned_functions_slider(cfg, st, {"s": cfg.init_scale})
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == [str(n) for n in cfg.n_values]
    D = len(cfg.data_seeds)
    for s in steps:
        vis = s.args[0]["visible"]
        assert len(vis) == len(fig.data)
        assert (
            sum(vis) == D + D * 4
        )  # the targets + (2 bundles of other inits, first init, points) per data seed
    # the training points of the n = 6 step are the data
    last = [
        fig.data[k] for k, v in enumerate(steps[-1].args[0]["visible"]) if v and fig.data[k].mode == "markers"
    ]
    assert len(last) == D and all(len(t.x) == 6 for t in last)
    learned = f4p.learned_functions(st["final_theta"][:, -1, :1], np.array([-1.0, 0.0, 1.0]))
    assert np.allclose(learned[..., 0, :], np.tanh(np.array([-1.0, 0.0, 1.0]) + 1), atol=1e-3)  # recovered


def test_scale_slider_and_other_figures(small_run, tmp_path):
    cfg, by_scale = small_run
    st = by_scale[cfg.init_scale]
    fig = f4p.recovery_scale_slider(cfg, by_scale, {})
    assert [s.label for s in fig.layout.sliders[0].steps] == ["1e-08", "1e-20"]
    assert fig.layout.sliders[0].active == 1
    f4p.gen_error_strip(cfg, st, {})
    f4p.recovery_vs_horizon(cfg, st, {})
    fig3d = f4p.convergence_points_3d(cfg, st, 0, {})
    names = [t.name for t in fig3d.data]
    assert "Q¹ (w = w*)" in names and "Q² (a = 0)" in names
    assert any(n.startswith("trajectory, init seed 0 (passes at Q²)") for n in names if n)
    s = fig4.summarize(cfg, st)
    f4p.write_png(s, st, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 10_000


# --- notebook and CLI ---------------------------------------------------------------------------------


def test_cli_run_fig4_writes_result_json(tmp_path, cache_dir):
    out = tmp_path / "fig4"
    env = {**os.environ, "RECOVERY_CACHE_DIR": str(cache_dir)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "recovery",
            "run",
            "fig4",
            "--data-seeds",
            "0,4",
            "--n-values",
            "2,3,4,6",
            "--seeds",
            "4",
            "--t-max",
            "1e7",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "result.json").read_text())
    assert s["parameters"]["data_seeds"] == [0, 4] and s["parameters"]["init_scale"] == 1e-20
    per_n = {p["n"]: p for p in s["per_n"]}
    assert per_n[2]["fraction_passes_threshold"] == 0.0 and per_n[6]["fraction_passes_threshold"] == 1.0
    assert per_n[3]["strict_fraction"] == 0.0
    assert s["example_data_seed"] == 0 and s["runtime_s"] > 0 and len(s["code_hash"]) == 16
    assert (out / "arrays.npz").exists() and (out / "figure.png").stat().st_size > 10_000
    assert "fraction passing 1e-8 by n" in r.stdout


def test_cli_bad_parameter_exits_2(tmp_path, capsys):
    from recovery.cli import main  # in-process: the subprocess path is covered above

    assert main(["run", "fig4", "--data-seeds", "1,1", "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "invalid data_seeds=" in lines[0] and "distinct integers" in lines[0]
