"""Sample-size thresholds: the recovery rule, the separation rule, the power-law exponent, the optimistic
size, the Config validator, a real reduced run, the notebook and the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recovery.config import ParameterError
from recovery.core import outcomes
from recovery.core.dynamics import Status
from recovery.core.outcomes import Outcome
from recovery.figures import thresholds as thr

NB = Path(__file__).resolve().parent.parent / "notebooks"
REDUCED = {"designs": ["even", "gaussian"], "n_values": [2, 3, 4, 5], "seeds": 16, "t_max": 1e8}


def test_classify_outcomes_covers_every_branch_of_the_rule():
    ge = np.array([1e-30, 1e-30, 1e-30, 1e-12, 1e-12, 1e-12, 1e-3, 1e-3, 5e-9])
    before = np.array([1e-30, 1e-30, 1e-30, 1e-12, 1e-10, 2e-12, 1e-3, 1e-3, 1e-3])
    loss = np.array([1e-30, 1e-30, 1e-30, 1e-30, 1e-15, 1e-15, 1e-20, 1e-3, 1e-16])
    finished = np.array([True, True, False, True, False, False, True, False, False])
    label = np.array([2, 1, 0, 1, 2, 1, 0, 0, 2])
    out = outcomes.classify_outcomes(ge, before, loss, finished, label)
    assert out.tolist() == [
        Outcome.RECOVERED_Q2,
        Outcome.RECOVERED_Q1,
        Outcome.RECOVERED_OTHER,
        Outcome.NEAR_MISS,  # finished with an error between the thresholds: frozen
        Outcome.RECOVERED_Q2,  # unfinished and falling 100x per decade
        Outcome.NEAR_MISS,  # unfinished but stalled (2x per decade)
        Outcome.SPURIOUS,
        Outcome.NOT_INTERPOLATING,
        Outcome.RECOVERED_Q2,
    ]  # still far away a decade ago: converging
    assert outcomes.is_recovered(out).tolist() == [True, True, True, False, True, False, False, False, True]
    # an unfinished run whose error is at most max_gap x its training loss is still converging (slow Q1)
    slow = outcomes.classify_outcomes(
        np.array([1e-12]), np.array([1.5e-12]), np.array([1e-13]), np.array([False]), np.array([1])
    )
    assert slow.tolist() == [Outcome.RECOVERED_Q1]
    assert outcomes.classify_outcomes(
        np.array([1e-12]),
        np.array([1.5e-12]),
        np.array([1e-13]),
        np.array([False]),
        np.array([1]),
        max_gap=1.0,
    ).tolist() == [Outcome.NEAR_MISS]
    # the thresholds are parameters: a looser strict threshold turns the finished near miss into a recovery
    assert (
        outcomes.classify_outcomes(ge, before, loss, finished, label, strict_threshold=1e-11)[3]
        == Outcome.RECOVERED_Q1
    )


def test_separation_rule_is_the_smallest_n_with_a_positive_wilson_lower_bound():
    n = [2, 3, 4, 5]
    assert outcomes.separation_size_by_recovery(n, [0, 0, 3, 50], 100) == 4
    assert (
        outcomes.separation_size_by_recovery(n, [0, 0, 0, 0], 100) is None
    )  # a zero count has lower bound 0 (not 1e-18)
    assert (
        outcomes.separation_size_by_recovery(n, [0, 0, 3, 50], 100, min_fraction=0.1) == 5
    )  # 3/100 has lower bound ~0.01
    assert outcomes.separation_size_by_recovery(n, np.array([0, 1, 0, 0]), np.array([10, 10, 10, 10])) == 3


def test_fraction_below_counts_errors_under_each_threshold():
    fb = outcomes.fraction_below(np.array([[1e-3, 1e-9, 1e-20, 1e-30]]), np.array([1e-2, 1e-8, 1e-25]))
    assert fb.tolist() == [[1.0, 0.75, 0.25]]


def test_optimistic_size_branch_ranks_and_the_decade_before():
    assert outcomes.optimistic_sample_size() == 3
    assert outcomes.branch_ranks() == {"Q1": 3, "Q2": 4}
    d = outcomes.branch_dimensions()
    assert d["parameters"] - d["Q2"] == 4 and d["parameters"] - d["Q1"] == 5  # the derived separation sizes
    times = np.concatenate([[0.0], np.logspace(-2, 10, 49)])
    assert times[outcomes.decade_before_index(times)] == pytest.approx(1e9)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"seeds": -5}, "seeds"),
        ({"designs": "even,cubic"}, "designs[1]"),
        ({"n_values": "2,2"}, "n_values"),
        ({"strict_threshold": 1e-6}, "strict_threshold"),
        ({"min_decay": 0.5}, "min_decay"),
        ({"max_gap": -1}, "max_gap"),
        ({"min_fraction": 1}, "min_fraction"),
        ({"t_max": 0}, "t_max"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        thr.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_config_coerces_cli_strings_and_builds_one_cell_per_design_and_n():
    cfg = thr.Config.from_user(designs="gaussian,even", n_values="5,2", seeds="7", t_max="1e6", data_seed=3)
    assert (
        cfg.designs == ("even", "gaussian") and cfg.n_values == (2, 5) and cfg.seeds == 7 and cfg.t_max == 1e6
    )
    cells = cfg.cells()
    assert [(c.design, c.n_samples) for c in cells] == [
        ("even", 2),
        ("even", 5),
        ("gaussian", 2),
        ("gaussian", 5),
    ]
    assert [c.data_per_trial for c in cells] == [False, False, True, True]
    assert (
        cells[2].data_spec(4).data_seed == 7 and cells[0].data_spec(4).data_seed == 3
    )  # per-trial Gaussian data


def test_reduced_run_measures_the_jump_after_the_optimistic_size():
    cfg = thr.Config.from_user(**REDUCED)
    s, a = thr.run(cfg, progress=False)
    assert s["optimistic_sample_size"] == {"even": 3, "gaussian": 3}
    assert s["separation_sample_size"]["even"] == 4
    assert s["separation_sample_size_by_branch"]["even"] == {"Q1": 5, "Q2": 4}
    rows = {r["n"]: r for r in s["per_n"]["even"]}
    assert rows[2]["recovered_exact"]["count"] == rows[3]["recovered_exact"]["count"] == 0
    assert rows[4]["recovered_Q1"]["count"] == 0 and rows[5]["recovered_exact"]["fraction"] == 1.0
    for d in cfg.designs:  # the outcomes partition the trials; intervals contain the fractions
        for r in s["per_n"][d]:
            total = sum(r[k]["count"] for k in outcomes.OUTCOME_KEYS.values())
            assert total == cfg.seeds
            assert (
                r["recovered_exact"]["ci95"][0]
                <= r["recovered_exact"]["fraction"]
                <= r["recovered_exact"]["ci95"][1]
            )
            # every run recovered exactly passes the paper's threshold (the converse fails for near misses)
            assert r["passes_threshold"]["count"] >= r["recovered_exact"]["count"]
    assert a["outcome"].shape == (2, 4, 16) and a["gen_error_before"].shape == (2, 4, 16)
    # runs recovered exactly pass the paper's threshold; finished runs between the thresholds are near misses
    rec = outcomes.is_recovered(a["outcome"])
    assert (a["gen_error"][rec] < cfg.threshold).all()
    near = (
        (a["status"] == int(Status.CONVERGED))
        & (a["gen_error"] < cfg.threshold)
        & (a["gen_error"] >= cfg.strict_threshold)
    )
    assert (a["outcome"][near] == Outcome.NEAR_MISS).all()
    for key in (
        "figure",
        "paper",
        "parameters",
        "package_version",
        "code_hash",
        "runtime_s",
        "headline",
        "paper_optimistic_sample_size",
        "paper_separation_sample_size",
        "separation_rule",
    ):
        assert key in s
    # one vocabulary (intro page): glue keys name the outcome they count; "paper_" only for the paper's text
    assert {"exact_even_n4", "pass_even_n3", "sep_pass_even"} <= set(s["glue"])
    assert not any(k.startswith(("rec_", "paper_", "sep_paper_")) for k in s["glue"])
    json.dumps(s)


def test_cli_run_thresholds_writes_both_sample_sizes_per_design(tmp_path):
    out = tmp_path / "thresholds"
    cmd = "run thresholds --designs even,gaussian --n-values 2,3,4,5 --seeds 16 --t-max 1e8 --no-progress"
    r = subprocess.run(
        [sys.executable, "-m", "recovery", *cmd.split(), "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "result.json").read_text())
    assert s["optimistic_sample_size"] == {"even": 3, "gaussian": 3}
    assert (
        set(s["separation_sample_size"]) == {"even", "gaussian"} and s["separation_sample_size"]["even"] == 4
    )
    assert s["paper_separation_sample_size"] == "not available to us"
    n3 = s["per_n"]["even"][1]
    assert n3["n"] == 3 and n3["recovered_exact"]["count"] == 0 and n3["recovered_exact"]["ci95"][0] == 0
    assert (out / "figure.png").stat().st_size > 10_000 and "separation sample size" in r.stdout
