"""The command line, run as a user would: ``python -m recovery``."""

import json
import os
import subprocess
import sys

import pytest


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "recovery", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def test_list_names_the_figures():
    r = _cli("list")
    assert r.returncode == 0 and "fig3\tFigure 3" in r.stdout


def test_params_lists_every_config_field_as_an_option():
    r = _cli("params", "fig3")
    assert r.returncode == 0
    for opt in ("--seeds", "--init-scale", "--n-samples", "--target-w", "--c-ratio-base", "--t-max"):
        assert opt in r.stdout
    assert "--seeds\t(default 400)\tmust be an integer >= 1 and <= 1000000" in r.stdout.splitlines()


def test_run_figure_help_lists_its_parameters_with_defaults_and_ranges():
    r = _cli("run", "fig3", "--help")
    assert r.returncode == 0 and "--no-progress" in r.stdout
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("--init-scale"))
    assert "(default 1e-08)" in line and line.endswith("must be a finite number > 0 and <= 1000")
    r = _cli("run", "--help")  # no figure named: the run options only
    assert r.returncode == 0 and "must be" not in r.stdout


def test_a_reader_that_goes_away_gets_no_traceback():
    """``recovery run fig3 --help | head -1``: the pipe closes under the command; it stops quietly (status 141,
    as the shell reports a command ended by a closed pipe)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout fails with EPIPE
    try:
        r = subprocess.run(
            [sys.executable, "-m", "recovery", "run", "fig3", "--help"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    finally:
        os.close(write_end)
    assert r.returncode == 141 and r.stderr == ""


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--seeds"], "missing value after --seeds"),
        (["seeds", "3"], "expected --NAME VALUE"),
        (["--n-samples=0"], "invalid n_samples='0'"),
        (["--no-such-option", "1"], "invalid no_such_option='1': unknown parameter"),
    ],
)
def test_malformed_options_exit_2_with_one_line(args, fragment, tmp_path):
    r = _cli("run", "fig3", *args, "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and fragment in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()


def test_run_fig3_writes_result_json_with_the_science(tmp_path):
    out = tmp_path / "fig3"
    r = _cli("run", "fig3", "--seeds", "120", "--t-max", "3e4", "--out", str(out), "--no-progress")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "result.json").read_text())
    assert (out / "arrays.npz").exists() and (out / "figure.png").stat().st_size > 10_000
    assert s["parameters"]["seeds"] == 120 and s["parameters"]["init_scale"] == 1e-8
    assert len(s["ratio_abs_C1_over_C2"]) == len(s["reached_set"]) == 120
    assert set(s["reached_set"]) <= {"Q1", "Q2", "neither"}
    # at horizon ~3e4 the measured thresholds are the paper's 0.74 / 1.35 within 0.05
    assert abs(s["threshold_low"] - 0.74) < 0.05 and abs(s["threshold_high"] - 1.35) < 0.05, s[
        "threshold_details"
    ]
    assert 0.1 < s["fraction_Q1"] < 0.4 and s["fraction_Q2"] > 0.5
    assert s["runtime_s"] > 0 and len(s["code_hash"]) == 16


@pytest.mark.parametrize(
    "args, name",
    [
        (["--seeds", "0"], "seeds"),
        (["--seeds", "abc"], "seeds"),
        (["--n-samples", "-2"], "n_samples"),
        (["--n-samples", "0"], "n_samples"),
        (["--init-scale", "0"], "init_scale"),
        (["--init-scale", "-1e-8"], "init_scale"),
        (["--init-scale", "nan"], "init_scale"),
        (["--width", "0"], "width"),
        (["--activation", "relu"], "activation"),
        (["--t-max", "inf"], "t_max"),
    ],
)
def test_bad_parameters_exit_2_with_one_line(args, name, tmp_path):
    r = _cli("run", "fig3", *args, "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"invalid {name}=" in lines[0] and "must be" in lines[0], r.stderr
    assert not (tmp_path / "o").exists()


def test_unknown_figure_exits_2():
    r = _cli("run", "fig99")
    assert r.returncode == 2 and "invalid figure='fig99'" in r.stderr and "fig3" in r.stderr


def test_reproduce_rejects_unknown_figures_before_running(tmp_path):
    r = _cli("reproduce", "--figures", "fig3,fig99", "--out", str(tmp_path))
    assert r.returncode == 2 and "invalid figure='fig99'" in r.stderr and not (tmp_path / "fig3").exists()


def test_result_json_is_strict_json_nan_and_inf_become_null():
    from recovery.cli import _strict

    out = _strict({"glue": {"a": float("nan"), "b": 1.5, "c": "x"}, "l": [float("inf"), (2, -float("inf"))]})
    assert out == {"glue": {"a": None, "b": 1.5, "c": "x"}, "l": [None, [2, None]]}
    json.dumps(out, allow_nan=False)
