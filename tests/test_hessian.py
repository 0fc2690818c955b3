"""Hessian/geometry page: batched residuals and Jacobians, the projection onto the minima, the local dimension of
the minimum set (closed cases), the Morse–Bott criterion, the rate fits, the Config validator, a reduced run, the
notebook and the CLI. One reduced configuration is shared so that the notebook and the CLI load its runs from the
cache."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from figure_sizes import REDUCED

from recovery.config import ParameterError
from recovery.core import minima
from recovery.core.data import DataSpec, SingleNeuronTarget, batch_data
from recovery.core.models import get_activation, loss_and_grad
from recovery.core.theory import hessian_spectrum_at, output_jacobian, zero_eigenvalue_count
from recovery.figures import hessian

NB = Path(__file__).resolve().parent.parent / "notebooks"
TANH = get_activation("tanh")
TARGET = SingleNeuronTarget().neuron
Q1_PT = minima.q1_point(0.3, TARGET)
Q2_PT = minima.q2_point(np.array([0.4, -0.8]), TARGET)


def data(n, design="even"):
    return batch_data([DataSpec(design=design, n_samples=n)])


def test_branch_points_are_global_minima_of_the_right_shape():
    pts = minima.branch_points(TARGET, 4, seed=3)
    assert [b for b, _ in pts] == ["Q1"] * 4 + ["Q2"] * 4 + ["Q1∩Q2", "Q2, w=0"]
    d = data(6)
    for b, p in pts:
        loss, _ = loss_and_grad(p[None], d, TANH)
        assert float(loss[0]) < 1e-28, b
        if b == "Q1":
            assert torch.allclose(p[:, 1:], torch.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=torch.float64))
            assert (
                float(p[:, 0].sum()) == pytest.approx(1.0)
                and min(abs(float(p[0, 0])), abs(float(p[0, 0]) - 1)) >= 0.1
            )
        if b == "Q2":
            dead = int(torch.argmin(p[:, 0].abs()))
            assert float(p[dead, 0]) == 0.0 and float(p[dead, 1:].norm()) >= 0.3


def test_batched_residuals_and_jacobians_match_the_single_point_versions():
    d = batch_data([DataSpec(n_samples=5), DataSpec(n_samples=7)])  # padded to 7 with a mask
    g = torch.Generator().manual_seed(0)
    theta = torch.randn(2, 2, 3, generator=g, dtype=torch.float64)
    J = minima.jacobians(theta, d, TANH)
    for b, n in enumerate((5, 7)):
        assert torch.allclose(J[b, :n], output_jacobian(theta[b], d.X[b, :n], TANH), atol=1e-14)
        assert (J[b, n:] == 0).all()
    r = minima.residuals(theta, d, TANH)
    loss, _ = loss_and_grad(theta, d, TANH)
    assert torch.allclose(0.5 * (r * r).sum(-1), loss, rtol=1e-12)


def test_projection_lands_on_the_minimum_set_close_to_the_start():
    d = data(6)
    g = torch.Generator().manual_seed(1)
    start = Q2_PT[None] + 1e-3 * torch.randn(8, 2, 3, generator=g, dtype=torch.float64)
    rows = batch_data([DataSpec(n_samples=6)] * 8)
    p, res = minima.project_to_minima(start, rows, TANH, tol=1e-13)
    assert (res < 1e-13).all()
    assert ((p - start).flatten(1).norm(dim=-1) < 1e-2).all()
    loss, _ = loss_and_grad(p, rows, TANH)
    assert (loss < 1e-25).all()
    del d


@pytest.mark.parametrize(
    "n, point, dim, zero",
    [(6, "Q2", 2, 2), (6, "Q1", 1, 3), (5, "Q1", 1, 3), (4, "Q1", 2, 3), (3, "Q1", 3, 3), (2, "Q2", 4, 4)],
)
def test_local_dimension_of_the_minimum_set_and_the_morse_bott_criterion(n, point, dim, zero):
    """Q² is a plane (Morse–Bott for n ≥ 4); Q¹ a line with a 3-dim kernel (n ≥ 5), two crossing sheets (n = 4);
    for n ≤ 3 (resp. n ≤ 4 on Q²) the Jacobian has full row rank and M is a (6 − n)-manifold."""
    theta = Q1_PT if point == "Q1" else Q2_PT
    d = data(n)
    md = minima.minimum_set_dimension(theta, d, TANH)
    z = zero_eigenvalue_count(hessian_spectrum_at(theta, d, TANH))
    assert z == zero == 6 - minima.training_jacobian_rank(theta, d, TANH)
    assert md.dim == dim and md.unconverged == 0
    assert minima.is_morse_bott(z, md.dim) == (dim == zero)
    if n == 4 and point == "Q1":
        assert md.span == 3  # the two sheets span the kernel: counting at the point itself would over-count


def test_smallest_nonzero_eigenvalue_and_crossing_distance():
    assert minima.smallest_nonzero_eigenvalue(np.array([1e-17, -2e-16, 0.05, 3.0])) == pytest.approx(0.05)
    assert math.isnan(minima.smallest_nonzero_eigenvalue(np.zeros(3)))
    cross = minima.q1_point(1.0, TARGET).numpy()
    assert minima.distance_to_crossing(cross, TARGET) == 0.0
    flipped = np.stack([-cross[1], cross[0]])  # neurons swapped, one sign-flipped: the same function
    assert minima.distance_to_crossing(flipped, TARGET) == 0.0
    assert minima.distance_to_crossing(Q2_PT.numpy(), TARGET) > 0.5


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"n_values": [0, 3]}, "n_values[0]"),
        ({"designs": ["grid"]}, "designs[0]"),
        ({"zero_rtol": 0}, "zero_rtol"),
        ({"dim_nearby_radius": 1e-4}, "dim_nearby_radius"),
        ({"q2_loss_window": [1e-10, 1e-16]}, "q2_loss_window"),
        ({"rate_seeds": 0}, "rate_seeds"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        hessian.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_config_coerces_cli_strings():
    cfg = hessian.Config.from_user(n_values="6,4", designs="even", rate_seeds="12", q1_time_window="1e4,1e5")
    assert cfg.n_values == (4, 6) and cfg.designs == ("even",) and cfg.rate_seeds == 12
    assert cfg.q1_time_window == (1e4, 1e5) and cfg.rate_config().seeds == 12
    json.dumps(cfg.params())


def test_reduced_run_geometry_and_rates():
    cfg = hessian.Config.from_user(**REDUCED["hessian"])
    s, a = hessian.run(cfg, progress=False)
    assert s["zero_count_equals_P_minus_training_rank"]
    br = a["geo_branch"].tolist()
    i1, i2 = br.index("Q1"), br.index("Q2")
    # n = 3, 4, 6: Q1 zero/dim 3/3, 3/2, 3/1; Q2 3/3, 2/2, 2/2
    assert a["geo_zero"][0, :, i1].tolist() == [3, 3, 3] and a["geo_dim"][0, :, i1].tolist() == [3, 2, 1]
    assert a["geo_zero"][0, :, i2].tolist() == [3, 2, 2] and a["geo_dim"][0, :, i2].tolist() == [3, 2, 2]
    assert a["geo_morse_bott"][0, :, i2].all() and a["geo_morse_bott"][0, :, i1].tolist() == [
        True,
        False,
        False,
    ]
    assert s["model_rank"]["Q1"] == [3] and s["model_rank"]["Q2"] == [4]
    assert sum(s["rate_runs"].values()) == 10 and s["q2_fitted"] >= 1
    assert abs(s["q2_rate_over_2lambda_median"] - 1) < 0.1  # loose tolerance: rtol 1e-6
    rows = {row["branch"]: row for row in s["branch_table"]}
    assert rows["Q1"]["morse_bott_all"] is False and rows["Q2"]["morse_bott_all"] is True
    assert rows["Q1"]["zero_eigenvalues"] == [3] and rows["Q1"]["minimum_set_dimension"] == [1]
    assert s["geometry"]["even n=4 Q1"]["minimum_set_dimension"] == [2]
    for key in (
        "figure",
        "paper",
        "parameters",
        "package_version",
        "code_hash",
        "runtime_s",
        "headline",
        "branch_table",
        "criterion",
    ):
        assert key in s
    json.dumps(s)
