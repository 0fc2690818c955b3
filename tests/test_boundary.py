"""The gradient-flow boundary page: bisection and classification (core.boundary), gradient descent (core.descent),
the experiment at reduced size, and its notebook (including a deliberately wrong input that fails a check)."""

from pathlib import Path

import numpy as np
import pytest
import torch

from recovery.config import ParameterError
from recovery.core.boundary import (
    Bracket,
    bisect_edges,
    crossing_time,
    edge_bracket,
    on_growing_direction,
    refine_points,
)
from recovery.core.data import DataSpec, batch_data
from recovery.core.descent import gradient_descent
from recovery.core.models import get_activation, loss_and_grad
from recovery.core.theory import NEITHER, Q1, Q2, growth_rate, imbalance_vector, linear_phase
from recovery.figures import boundary

NB = Path(__file__).resolve().parent.parent / "notebooks"
W = {"low": (0.5, 0.95), "high": (1.05, 2.0)}


def test_start_on_growing_direction_has_the_prescribed_imbalance():
    data = batch_data([DataSpec()] * 3)
    r = np.array([0.5, 1.0, 1.7])
    th = on_growing_direction(r, 1e-6, data)
    C = imbalance_vector(th, data)
    assert torch.allclose(C[:, 0] / C[:, 1], torch.tensor(r, dtype=torch.float64), rtol=1e-12)
    assert torch.allclose(
        torch.linalg.vector_norm(C, dim=1), torch.full((3,), 1e-6, dtype=torch.float64), rtol=1e-12
    )
    # on the growing direction the linearized flow only stretches: θ(t) = e^{‖z‖t} θ₀
    t = 0.7
    lam = growth_rate(data)[:, None, None]
    assert torch.allclose(linear_phase(th, data, t), torch.exp(lam * t) * th, rtol=1e-12)
    with pytest.raises(ValueError):
        on_growing_direction([0.0], 1e-6, batch_data([DataSpec()]))


def test_edge_bracket_monotone_unresolved_and_mixed():
    r = np.array([0.6, 0.65, 0.7, 0.72, 0.74, 0.8, 0.9])
    lab = np.array([Q2, Q2, Q2, NEITHER, NEITHER, Q1, Q1])
    br = edge_bracket(r, lab, "low", W["low"])
    assert (br.lo, br.hi, br.unresolved, br.monotone, br.found) == (0.7, 0.8, (0.72, 0.74), True, True)
    assert br.edge == pytest.approx(0.75) and br.half_width == pytest.approx(0.05)
    # the high side is the mirror image (Q1 near 1, Q2 beyond the edge)
    brh = edge_bracket(2 - r, lab, "high", W["high"])
    assert (brh.lo, brh.hi) == pytest.approx((1.2, 1.3)) and brh.monotone
    # interleaved labels: the bracket is the whole mixed zone
    mixed = edge_bracket(r, np.array([Q2, Q2, Q1, Q2, Q1, Q1, Q1]), "low", W["low"])
    assert not mixed.monotone and (mixed.lo, mixed.hi) == (0.7, 0.72)
    # no Q1 at all: not found, the bracket reaches the window's end
    none = edge_bracket(r, np.full(7, Q2), "low", W["low"])
    assert not none.found and none.hi == 0.95


def test_refine_points_split_around_an_unresolved_zone():
    br = Bracket(0.7, 0.8, 0.7, 0.8, (0.72, 0.74), True, True)
    p = refine_points(br, 4)
    assert len(p) == 4 and ((p > 0.7) & (p < 0.72)).sum() == 2 and ((p > 0.74) & (p < 0.8)).sum() == 2
    assert np.allclose(refine_points(Bracket(0.7, 0.8, 0.7, 0.8, (), True, True), 3), [0.725, 0.75, 0.775])


def test_bisection_finds_a_known_edge_to_the_requested_precision():
    true = {"low": 0.7123456, "high": 1.4037}

    def evaluate(requests):
        out = []
        for _, r in requests:
            lab = np.where((r > true["low"]) & (r < true["high"]), Q1, Q2)
            out.append(np.repeat(lab[:, None, None], 2, axis=2))  # one checkpoint, two rules
        return out

    store = bisect_edges(evaluate, ["g"], 1, windows=W, n_initial=16, n_refine=6, rounds=4)
    for side in ("low", "high"):
        r, lab = store[("g", side)]
        br = edge_bracket(r, lab[:, 0, 0], side, W[side])
        assert br.lo <= true[side] <= br.hi and br.half_width < 1e-4


def test_crossing_time_interpolates_in_log_t():
    assert crossing_time([1e2, 1e4], [0.8, 0.7], 0.75) == pytest.approx(1e3)
    assert np.isnan(crossing_time([1e2, 1e4], [0.8, 0.79], 0.75))


def test_gradient_descent_matches_the_loss_gradient_and_small_steps_follow_the_flow():
    data = batch_data([DataSpec()] * 2)
    th0 = torch.randn(2, 2, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.3
    one = gradient_descent(th0, data, [0.01, 0.02], [1])[:, 0]
    _, g = loss_and_grad(th0, data, get_activation("tanh"))
    expect = th0 - torch.tensor([0.01, 0.02], dtype=torch.float64)[:, None, None] * g
    assert np.allclose(one, expect.numpy(), rtol=1e-13, atol=1e-15)
    blown = gradient_descent(th0 * 30, data, [50.0, 0.01], [200])
    assert np.isnan(blown[0]).all() and np.isfinite(blown[1]).all()
    with pytest.raises(ParameterError, match="epochs"):
        gradient_descent(th0, data, [0.1, 0.1], [10, 5])
    with pytest.raises(ParameterError, match="lr"):
        gradient_descent(th0, data, [0.1], [10])


SMALL = dict(
    scales=(1e-4, 1e-8),
    t_min=1e3,
    t_max=1e6,
    rtol=1e-4,
    check_rtol=1e-5,
    n_initial=12,
    n_refine=4,
    rounds=2,
    gd_learning_rates=(0.1,),
    gd_epochs=(100, 1000),
    gd_initial=8,
    gd_rounds=1,
)


def test_run_reduced_size():  # the contract tests' size: computed once per session
    s, a = boundary.run(boundary.Config(**SMALL), progress=False)
    low, high = s["boundary_low"], s["boundary_high"]
    assert low["found"] and high["found"] and 0.6 < low["value"] < 0.8 and 1.25 < high["value"] < 1.6
    assert s["horizons"] == pytest.approx([1e3, 1e4, 1e5, 1e6])
    # the two edges are measured independently, yet the r -> 1/r symmetry holds to the stated uncertainty
    assert (
        abs(np.log(s["boundary_product"]))
        < low["uncertainty"] / low["value"] + high["uncertainty"] / high["value"] + 1e-4
    )
    assert set(s["horizon_matching_paper"]) == {"low", "high"} and len(s["gradient_descent"]) == 2
    assert {"scale_drift", "tolerance_drift", "horizon_drift", "bracket"} <= set(low)
    s2, _ = boundary.run(boundary.Config(**SMALL), progress=False)  # from the cache: the same numbers
    assert s2["boundary_low"] == low


def test_bad_parameters_name_themselves():
    for bad in (
        {"scales": [0]},
        {"t_max": 1.0},
        {"rtol": 0},
        {"check_rtol": 1e-6},
        {"gd_epochs": [0]},
        {"gd_learning_rates": [-1]},
        {"margin": 0.5},
        {"nope": 1},
    ):
        with pytest.raises(ParameterError, match=list(bad)[0]):
            boundary.Config.from_user(**bad)
