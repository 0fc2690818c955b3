"""Table 1 (reconstructed): the second-order separation test (closed forms), the Config validator, a reduced run
with the recovery cross-check, the CLI and the notebook."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from recovery.config import ParameterError
from recovery.core import minima
from recovery.core.data import DataSpec, SingleNeuronTarget, batch_data
from recovery.core.models import get_activation
from recovery.figures import table1

NB = Path(__file__).resolve().parent.parent / "notebooks"
ACT = get_activation("tanh")
TARGET = SingleNeuronTarget().neuron


def _X(n, design="even", seed=0):
    return batch_data([DataSpec(design=design, n_samples=n, data_seed=seed)]).X[0]


def test_output_hessians_match_autograd():
    theta = torch.tensor([[0.7, -0.4, 0.3], [-1.1, 0.9, 0.2]], dtype=torch.float64)
    X = _X(5)
    H = minima.output_hessians(theta, X, ACT)
    for i in range(X.shape[0]):
        f = lambda th: (th.reshape(2, 3)[:, 0] * torch.tanh(th.reshape(2, 3)[:, 1:] @ X[i])).sum()  # noqa: E731, B023
        ref = torch.autograd.functional.hessian(f, theta.flatten())
        assert torch.allclose(H[i], ref, atol=1e-12)


def test_branch_tangent_is_tangent_to_the_branch():
    q1 = minima.q1_point(0.3, TARGET)
    t = minima.branch_tangent("Q1", q1)
    moved = q1.flatten().numpy() + 0.2 * t[0]
    assert abs(moved[0] + moved[3] - 1.0) < 1e-12 and np.allclose(moved[[1, 2, 4, 5]], 1.0)
    q2 = minima.q2_point(np.array([0.4, -0.8]), TARGET, dead=0)
    t2 = minima.branch_tangent("Q2", q2)
    assert t2.shape == (2, 6) and np.allclose(t2[:, :3].sum(0), [0, 1, 1]) and not t2[:, 3:].any()
    with pytest.raises(ValueError):
        minima.branch_tangent("Q3", q2)


@pytest.mark.parametrize("design", ["even", "gaussian"])
def test_second_order_test_separates_q2_from_n4_and_q1_from_n5(design):
    q1 = minima.q1_point(0.3, TARGET)
    q2 = minima.q2_point(np.array([0.4, -0.8]), TARGET)
    res = {
        (b, n): minima.second_order_separation(b, p, _X(n, design), ACT)
        for n in (3, 4, 5)
        for b, p in (("Q1", q1), ("Q2", q2))
    }
    # n = 3: J has full row rank, no second-order constraint: a manifold of interpolants of dim 3 around both
    assert res["Q1", 3].constraints == 0 and res["Q1", 3].leaving == 2 and not res["Q1", 3].separated
    assert res["Q2", 3].constraints == 0 and res["Q2", 3].leaving == 1 and not res["Q2", 3].separated
    # n = 4: no kernel direction leaves Q2; at Q1 one quadratic form on 2 directions with real zeros
    assert res["Q2", 4].leaving == 0 and res["Q2", 4].separated
    assert res["Q1", 4].zero == 3 and res["Q1", 4].constraints == 1 and res["Q1", 4].margin < 1e-12
    assert not res["Q1", 4].separated
    # n = 5: two forms without a common real zero: Q1 separated with a clear margin
    assert res["Q1", 5].constraints == 2 and res["Q1", 5].margin > 1e-4 and res["Q1", 5].separated


def test_separation_size_is_the_start_of_the_last_run_of_separated_n():
    assert minima.holds_from([2, 3, 4, 5], [False, False, True, True]) == 4
    assert minima.holds_from([2, 3, 4, 5], [False, True, False, True]) == 5
    assert minima.holds_from([2, 3, 4], [True, True, True]) == 2
    assert minima.holds_from([2, 3, 4], [True, True, False]) is None


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"n_values": [2, 0]}, "n_values[1]"),
        ({"designs": ["grid"]}, "designs[0]"),
        ({"reference_n": 5}, "reference_n"),
        ({"sep_tol": 0}, "sep_tol"),
        ({"rate_seeds": -1}, "rate_seeds"),
        ({"q1_time_window": [1e6, 1e8]}, "q1_time_window"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        table1.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_reduced_run_gives_the_table_and_agrees_with_recovery_runs():
    cfg = table1.Config(
        n_values=(3, 4, 5, 6),
        gaussian_seeds=(0,),
        points_per_branch=1,
        reference_n=9,
        rate_seeds=0,
        xcheck_seeds=24,
    )
    s, a = table1.run(cfg, progress=False)
    rows = {r["branch"]: r for r in s["rows"]}
    assert s["optimistic_sample_size"] == 3 == s["min_model_rank_over_branches"]
    assert rows["Q1"]["model_rank"] == [3] and rows["Q2"]["model_rank"] == [4]
    assert rows["Q1"]["branch_dimension_measured"] == [1] and rows["Q2"]["branch_dimension_measured"] == [2]
    assert s["separation_n"] == {"even": {"Q1": 5, "Q2": 4}, "gaussian": {"Q1": 5, "Q2": 4}}
    assert s["separation_n_projection"]["even"] == {"Q1": 5, "Q2": 4}
    assert s["separation_n_recovered_exact"] == s["separation_n"]
    assert rows["Q1"]["morse_bott"]["even"] == {"3": True, "4": False, "5": False, "6": False}
    assert all(rows["Q2"]["morse_bott"]["even"].values())
    for key in ("figure", "paper", "parameters", "package_version", "code_hash", "runtime_s", "headline"):
        assert key in s
    json.dumps(s, allow_nan=False)
    fig = __import__("recovery.plots.table1", fromlist=["x"]).separation_slider(s, a)
    steps = fig.layout.sliders[0].steps
    assert [st.label for st in steps] == ["3", "4", "5", "6"]
    assert (
        steps[0].args[0]["visible"] != steps[-1].args[0]["visible"] and steps[0].args[1] != steps[1].args[1]
    )
