"""Theory quantities (recovery.core.theory): Theorem 1 (growth rate, unstable direction, imbalance vector, linear
phase, time shift) on Example 1, and the sets Q¹, Q² (distances, classification, generalization error)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from recovery.core.data import DataSpec, SingleNeuronTarget, batch_data, generalization_inputs
from recovery.core.dynamics import FlowConfig, gradient_flow
from recovery.core.models import Data, get_activation, initial_parameters, loss_and_grad, predict
from recovery.core.theory import (
    NEITHER,
    Q1,
    Q2,
    RECOVERY_THRESHOLD,
    classify_limit,
    distance_to_Q1,
    distance_to_Q2,
    generalization_error,
    growth_rate,
    growth_vector,
    imbalance_vector,
    linear_phase,
    recovered,
    theorem1_time_shift,
    unstable_direction,
)

TANH = get_activation("tanh")
TARGET = SingleNeuronTarget()  # tanh(x + 1)
NEURON = TARGET.neuron  # (a*, w*) = (1, 1, 1)
WSTAR = torch.tensor([1.0, 1.0], dtype=torch.float64)


@pytest.fixture(scope="module")
def example1() -> Data:
    """Example 1: n = 6 evenly spaced on [−2, 2], x = (x, 1), y = tanh(x + 1); three identical trials."""
    return batch_data([DataSpec(n_samples=6)] * 3)


def system_matrix(z: torch.Tensor) -> torch.Tensor:
    """Per-neuron matrix of the linearized flow at θ = 0: [[0, zᵀ], [z, 0]]."""
    d = z.shape[0]
    M = torch.zeros(1 + d, 1 + d, dtype=torch.float64)
    M[0, 1:] = z
    M[1:, 0] = z
    return M


# --------------------------------------------------------------------------------------------- Theorem 1


def test_example1_growth_vector_and_rate(example1):
    x = torch.linspace(-2, 2, 6, dtype=torch.float64)
    y = torch.tanh(x + 1.0)
    z = torch.stack([(y * x).sum(), y.sum()])
    torch.testing.assert_close(growth_vector(example1), z.expand(3, 2), rtol=1e-14, atol=1e-14)
    rate = growth_rate(example1)
    assert rate.shape == (3,)
    assert abs(rate[0].item() - 5.6154) < 1e-4
    torch.testing.assert_close(rate, torch.linalg.vector_norm(z).expand(3), rtol=1e-14, atol=0)


def test_growth_vector_ignores_padded_samples():
    data = batch_data([DataSpec(n_samples=6), DataSpec(n_samples=3)])
    alone = batch_data([DataSpec(n_samples=3)])
    torch.testing.assert_close(growth_vector(data)[1], growth_vector(alone)[0], rtol=1e-14, atol=1e-14)


def test_unstable_direction_is_the_unit_growing_eigenvector(example1):
    u = unstable_direction(example1)
    z = growth_vector(example1)
    lam = growth_rate(example1)
    assert u.shape == (3, 3)
    torch.testing.assert_close(
        torch.linalg.vector_norm(u, dim=-1), torch.ones(3, dtype=torch.float64), rtol=1e-15, atol=0
    )
    M = system_matrix(z[0])
    torch.testing.assert_close(M @ u[0], lam[0] * u[0], rtol=1e-13, atol=1e-13)
    # ‖z‖ is the largest eigenvalue, and the only positive one
    eig = torch.linalg.eigvalsh(M)
    torch.testing.assert_close(eig.max(), lam[0], rtol=1e-13, atol=0)
    assert int((eig > 1e-12).sum()) == 1
    # it points into the a > 0 half-space, with w along z
    assert u[0, 0].item() > 0
    torch.testing.assert_close(u[0, 1:] / u[0, 0], z[0] / lam[0], rtol=1e-14, atol=1e-14)


def test_imbalance_vector_is_projection_on_u(example1):
    theta0 = initial_parameters([0, 1, 2], width=2, dim=2, scale=1e-8)
    C = imbalance_vector(theta0, example1)
    u = unstable_direction(example1)
    assert C.shape == (3, 2)
    for b in range(3):
        for k in range(2):
            torch.testing.assert_close(C[b, k], theta0[b, k] @ u[b], rtol=1e-14, atol=0)
    # linear in θ₀, and a neuron flipped to (−a, −w) has imbalance −C_k
    torch.testing.assert_close(imbalance_vector(7.0 * theta0, example1), 7.0 * C, rtol=1e-14, atol=0)
    flipped = theta0.clone()
    flipped[:, 0] *= -1.0
    torch.testing.assert_close(imbalance_vector(flipped, example1)[:, 0], -C[:, 0], rtol=1e-14, atol=0)


def test_linear_phase_solves_the_linearized_flow(example1):
    theta0 = initial_parameters([0, 1, 2], width=2, dim=2, scale=1.0)
    z = growth_vector(example1)[0]
    M = system_matrix(z)
    torch.testing.assert_close(linear_phase(theta0, example1, 0.0), theta0, rtol=0, atol=1e-15)
    for t in (0.1, 0.7, 1.5):
        th = linear_phase(theta0, example1, t)
        # equals exp(tM) θ₀ neuron by neuron
        ref = torch.einsum("pq,bkq->bkp", torch.linalg.matrix_exp(t * M), theta0)
        torch.testing.assert_close(th, ref, rtol=1e-12, atol=1e-12)
        # d/dt θ = Mθ, by a central finite difference
        h = 1e-5
        dth = (linear_phase(theta0, example1, t + h) - linear_phase(theta0, example1, t - h)) / (2 * h)
        torch.testing.assert_close(dth, torch.einsum("pq,bkq->bkp", M, th), rtol=1e-8, atol=1e-8)
    # semigroup: flowing 0.4 then 0.9 is flowing 1.3
    torch.testing.assert_close(
        linear_phase(linear_phase(theta0, example1, 0.4), example1, 0.9),
        linear_phase(theta0, example1, 1.3),
        rtol=1e-12,
        atol=1e-12,
    )
    # one time per trial
    ts = torch.tensor([0.1, 0.7, 1.5], dtype=torch.float64)
    per_trial = linear_phase(theta0, example1, ts)
    for b, t in enumerate(ts.tolist()):
        torch.testing.assert_close(per_trial[b], linear_phase(theta0, example1, t)[b], rtol=1e-14, atol=1e-14)


def full_flow(theta0: torch.Tensor, data: Data, times, rtol: float = 1e-12) -> np.ndarray:
    """Reference solution of the nonlinear gradient flow for one trial (DOP853, tight tolerances).

    Returns ``(len(times), m, 1+d)``; the absolute tolerance is set far below the scale of θ₀.
    """
    shape = theta0.shape

    def rhs(_t, y):
        th = torch.as_tensor(y, dtype=torch.float64).reshape(1, *shape)
        _, g = loss_and_grad(th, data, TANH)
        return -g.reshape(-1).numpy()

    atol = 1e-8 * float(theta0.abs().max())
    sol = solve_ivp(
        rhs,
        (0.0, max(times)),
        theta0.reshape(-1).numpy(),
        method="DOP853",
        t_eval=times,
        rtol=rtol,
        atol=atol,
    )
    assert sol.success
    return sol.y.T.reshape(len(times), *shape)


def test_linear_phase_matches_the_full_flow_at_small_scale():
    """Scale 1e-10: up to t = 2 (‖θ‖ grows to ~1e-5) the nonlinear flow equals exp(tM)θ₀ to a relative
    error < 1e-6."""
    data = batch_data([DataSpec(n_samples=6)])
    theta0 = initial_parameters([4], width=2, dim=2, scale=1e-10)
    times = [0.5, 1.0, 2.0]
    ref = full_flow(theta0[0], data, times)
    for t, r in zip(times, ref):
        lin = linear_phase(theta0, data, t)[0].numpy()
        assert np.linalg.norm(lin - r) / np.linalg.norm(r) < 1e-6
    assert np.linalg.norm(ref[-1]) < 1e-4
    # sanity: the comparison is not trivial (θ grew by orders of magnitude)
    assert np.linalg.norm(ref[-1]) > 1e3 * float(torch.linalg.vector_norm(theta0))


def test_linear_phase_matches_gradient_flow_integrator():
    """The package's integrator agrees with the closed form within the accuracy its rtol allows."""
    data = batch_data([DataSpec(n_samples=6)] * 2)
    theta0 = initial_parameters([0, 1], width=2, dim=2, scale=1e-10)
    res = gradient_flow(theta0, data, TANH, FlowConfig(t_max=2.0, rtol=1e-6, checkpoints_per_decade=2))
    assert (res.final_time == 2.0).all()
    for k, t in enumerate(res.times):
        lin = linear_phase(theta0, data, float(t))
        rel = torch.linalg.vector_norm((res.theta[:, k] - lin).flatten(1), dim=-1) / torch.linalg.vector_norm(
            lin.flatten(1), dim=-1
        )
        assert rel.max().item() < 2e-3  # global error ≈ (number of steps) × rtol ≈ 3e-4 here


def test_theorem1_time_shift_linear_phase(example1):
    theta0 = initial_parameters([0, 1, 2], width=2, dim=2, scale=1e-6)
    lam = growth_rate(example1)
    C = imbalance_vector(theta0, example1)
    for c in (1e-2, 0.3, 5.0):
        shift = theorem1_time_shift(C, c * C, lam)
        assert shift.shape == (3,)
        torch.testing.assert_close(
            shift, torch.full((3,), math.log(1.0 / c), dtype=torch.float64) / lam, rtol=1e-12, atol=1e-15
        )
        # a smaller start lags (positive shift), a larger one leads
        assert (shift > 0).all() if c < 1 else (shift < 0).all()
        u = unstable_direction(example1)
        for t in (0.0, 1.0, 2.5):
            ref = linear_phase(theta0, example1, t)
            shifted = linear_phase(c * theta0, example1, t + shift)
            # along the growing direction the two runs coincide exactly
            along_shifted = torch.einsum("bkp,bp->bk", shifted, u)
            along_ref = torch.einsum("bkp,bp->bk", ref, u)
            torch.testing.assert_close(along_shifted, along_ref, rtol=1e-10, atol=0)
    # late in the linear phase the whole states coincide up to the decaying/neutral part (relative e^{−‖z‖t})
    shift = theorem1_time_shift(C, 1e-2 * C, lam)
    t = 4.0
    ref = linear_phase(theta0, example1, t)
    shifted = linear_phase(1e-2 * theta0, example1, t + shift)
    norm = torch.linalg.vector_norm
    rel = norm((shifted - ref).flatten(1), dim=-1) / norm(ref.flatten(1), dim=-1)
    assert rel.max().item() < 1e-6


def test_theorem1_time_shift_aligns_the_full_flow():
    """Scales 1e-6 and 1e-8 with the same θ̂: after the shift log(100)/‖z‖ the nonlinear trajectories coincide
    through the escape (loss drops from 5.2 to ≈ 0.05), and without the shift they do not."""
    data = batch_data([DataSpec(n_samples=6)])
    th1 = initial_parameters([3], width=2, dim=2, scale=1e-6)
    th2 = initial_parameters([3], width=2, dim=2, scale=1e-8)
    C1, C2 = imbalance_vector(th1, data), imbalance_vector(th2, data)
    shift = theorem1_time_shift(C1, C2, growth_rate(data)).item()
    assert abs(shift - math.log(100.0) / 5.6154) < 1e-4
    times = [2.0, 3.0, 4.0]
    r1 = full_flow(th1[0], data, times, rtol=1e-10)
    t2 = sorted([t + shift for t in times] + [3.0])
    r2 = dict(zip(t2, full_flow(th2[0], data, t2, rtol=1e-10)))
    for t, a in zip(times, r1):
        assert np.linalg.norm(a - r2[t + shift]) / np.linalg.norm(a) < 1e-4
    loss_end, _ = loss_and_grad(torch.as_tensor(r1[-1])[None], data, TANH)
    assert loss_end.item() < 0.1  # the comparison includes the nonlinear escape
    # without the shift the runs differ at order one (mid-escape at t = 3)
    assert np.linalg.norm(r1[1] - r2[3.0]) / np.linalg.norm(r1[1]) > 0.5


# ---------------------------------------------------------------------------------------- Q¹ and Q² points


def neuron(a: float, w) -> torch.Tensor:
    return torch.tensor([a, *w], dtype=torch.float64)


def q1_points() -> torch.Tensor:
    """Points of Q¹ (w₁ = w₂ = w*, a₁ + a₂ = 1) and sign-flipped copies, ``(B, 2, 3)``."""
    pts = []
    for alpha in (0.5, 0.3, 1.7, -0.4, 0.95):
        p = torch.stack([neuron(alpha, WSTAR), neuron(1.0 - alpha, WSTAR)])
        pts.append(p)
        for flip in ([-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]):
            pts.append(p * torch.tensor(flip, dtype=torch.float64)[:, None])
    return torch.stack(pts)


def q2_points() -> torch.Tensor:
    """Points of Q² (one neuron ±(1, w*), the other a = 0 with an arbitrary w), ``(B, 2, 3)``."""
    g = torch.Generator().manual_seed(0)
    pts = []
    for j in (0, 1):
        for s in (1.0, -1.0):
            for _ in range(3):
                dead = neuron(0.0, 2.0 * torch.randn(2, generator=g, dtype=torch.float64))
                live = s * neuron(1.0, WSTAR)
                pts.append(torch.stack([live, dead] if j == 0 else [dead, live]))
    return torch.stack(pts)


def test_points_on_Q1_have_zero_distance_to_Q1():
    P = q1_points()
    assert distance_to_Q1(P, NEURON).max().item() < 1e-14
    assert (distance_to_Q2(P[:4], NEURON) > 0.3).all()  # α = 0.5: both neurons active, not on Q²


def test_points_on_Q2_have_zero_distance_to_Q2():
    P = q2_points()
    assert distance_to_Q2(P, NEURON).max().item() < 1e-14
    assert (distance_to_Q1(P, NEURON) > 0.1).all()  # the dead neuron's w is generic


def test_sign_flips_count_only_for_odd_activations():
    P = q2_points()[3:6]  # live neuron is −(1, w*)
    assert distance_to_Q2(P, NEURON, odd=False).min().item() > 1.0
    Pq1 = q1_points()[1:2]  # first neuron flipped
    assert distance_to_Q1(Pq1, NEURON, odd=False).item() > 1.0
    assert distance_to_Q1(Pq1, NEURON, odd=True).item() < 1e-14


def test_distance_to_Q2_closed_form_for_normal_perturbations():
    """At a Q² point the normal space is the live neuron (3 directions) plus the dead neuron's a: moving by a
    small normal vector ν changes the distance by exactly ‖ν‖; moving the dead neuron's w changes nothing."""
    base = torch.stack([neuron(1.0, WSTAR), neuron(0.0, [-0.7, 0.4])])
    for delta in (1e-3, 0.05):
        p = base.clone()
        p[1, 0] = delta
        assert abs(distance_to_Q2(p, NEURON).item() - delta) < 1e-9 * delta
    g = torch.Generator().manual_seed(1)
    nu = torch.zeros(2, 3, dtype=torch.float64)
    nu[0] = torch.randn(3, generator=g, dtype=torch.float64)
    nu[1, 0] = torch.randn((), generator=g, dtype=torch.float64)
    nu *= 0.02 / torch.linalg.vector_norm(nu)
    torch.testing.assert_close(
        distance_to_Q2(base + nu, NEURON), torch.tensor(0.02, dtype=torch.float64), rtol=1e-12, atol=0
    )
    tangent = base.clone()
    tangent[1, 1:] += torch.tensor([0.3, -0.2], dtype=torch.float64)
    assert distance_to_Q2(tangent, NEURON).item() < 1e-14


@pytest.mark.parametrize("delta", [1e-6, 1e-8, 1e-10])
def test_distance_to_Q2_resolves_small_distances(delta):
    # needed to show the linear (exponential) convergence to Q² below 1e-8
    p = torch.stack([neuron(1.0, WSTAR), neuron(delta, [-0.7, 0.4])])
    assert abs(distance_to_Q2(p, NEURON).item() - delta) < 1e-6 * delta


def test_distance_to_Q1_resolves_small_distances():
    for eps in (1e-8, 1e-10, 1e-12):
        eps = (1.0 + eps) - 1.0  # the perturbation actually representable at 1.0
        p = torch.stack([neuron(0.4, WSTAR), neuron(0.6, [1.0, 1.0 + eps])])
        assert abs(distance_to_Q1(p, NEURON).item() - eps) < 1e-6 * eps


def test_distance_to_Q1_closed_form_for_normal_perturbations():
    """At a Q¹ point the only tangent direction is (1, 0, 0, −1, 0, 0)/√2 (redistributing a between neurons);
    moving by a normal vector ν changes the distance by ‖ν‖, e.g. a₁ + a₂ = 1 + ε gives ε/√2."""
    base = torch.stack([neuron(0.4, WSTAR), neuron(0.6, WSTAR)])
    for eps in (1e-6, 1e-3, 0.05):
        p = base.clone()
        p[:, 0] += eps / 2  # along (1, 1): a₁ + a₂ = 1 + ε
        assert abs(distance_to_Q1(p, NEURON).item() - eps / math.sqrt(2.0)) < 1e-12
    g = torch.Generator().manual_seed(2)
    nu = torch.randn(2, 3, generator=g, dtype=torch.float64)
    nu[:, 0] = nu[:, 0].mean()  # remove the tangent component
    nu *= 0.03 / torch.linalg.vector_norm(nu)
    torch.testing.assert_close(
        distance_to_Q1(base + nu, NEURON), torch.tensor(0.03, dtype=torch.float64), rtol=1e-12, atol=0
    )
    tangent = base.clone()
    tangent[0, 0] += 5.0
    tangent[1, 0] -= 5.0
    assert distance_to_Q1(tangent, NEURON).item() < 1e-14


def test_distances_from_the_origin():
    """θ = 0: the nearest Q¹ point is w_k = w*, a_k = a*/m, the nearest Q² point is one target neuron."""
    zero = torch.zeros(1, 2, 3, dtype=torch.float64)
    assert abs(distance_to_Q1(zero, NEURON).item() - math.sqrt(2 * 2.0 + 1.0 / 2)) < 1e-14
    assert abs(distance_to_Q2(zero, NEURON).item() - math.sqrt(3.0)) < 1e-14
    zero3 = torch.zeros(1, 3, 3, dtype=torch.float64)  # width 3
    assert abs(distance_to_Q1(zero3, NEURON).item() - math.sqrt(3 * 2.0 + 1.0 / 3)) < 1e-14


def test_distances_are_invariant_under_neuron_symmetries():
    theta = torch.randn(20, 2, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    flipped = theta * torch.tensor([-1.0, 1.0], dtype=torch.float64)[:, None]
    swapped = theta[:, [1, 0]]
    for dist in (distance_to_Q1, distance_to_Q2):
        d = dist(theta, NEURON)
        assert (d > 0).all()
        torch.testing.assert_close(dist(flipped, NEURON), d, rtol=1e-14, atol=0)
        torch.testing.assert_close(dist(swapped, NEURON), d, rtol=1e-14, atol=0)
    # extra leading dimensions (trials × checkpoints) are kept
    assert distance_to_Q1(theta.reshape(4, 5, 2, 3), NEURON).shape == (4, 5)
    assert distance_to_Q2(theta.reshape(4, 5, 2, 3), NEURON).shape == (4, 5)


def test_classify_limit():
    q1 = q1_points()
    q2 = q2_points()
    assert (classify_limit(q1, NEURON) == Q1).all()
    assert (classify_limit(q2, NEURON) == Q2).all()
    # near Q¹: perturbed off the line, still labelled Q¹ (α = 0.3 keeps it far from Q²)
    near = q1[4:5].clone()
    near[0, 0, 1:] += 0.01
    assert classify_limit(near, NEURON).item() == Q1
    # Q¹ ∩ Q²: w₁ = w₂ = w*, a = (1, 0) lies on both, so it is unresolved
    both = torch.stack([neuron(1.0, WSTAR), neuron(0.0, WSTAR)])[None]
    assert distance_to_Q1(both, NEURON).item() < 1e-14 and distance_to_Q2(both, NEURON).item() < 1e-14
    assert classify_limit(both, NEURON).item() == NEITHER
    # near the intersection with comparable distances (d1 = 0.01, d2 = 0.01·√2 < margin·d1): unresolved
    close_to_both = torch.stack([neuron(0.99, WSTAR), neuron(0.01, [1.01, 1.0])])[None]
    assert abs(distance_to_Q1(close_to_both, NEURON).item() - 0.01) < 1e-12
    assert abs(distance_to_Q2(close_to_both, NEURON).item() - 0.01 * math.sqrt(2.0)) < 1e-9
    assert classify_limit(close_to_both, NEURON).item() == NEITHER
    # but exactly on Q¹ with a = (0.99, 0.01) it is Q¹ (distance 0 vs 0.014)
    on_q1 = torch.stack([neuron(0.99, WSTAR), neuron(0.01, WSTAR)])[None]
    assert classify_limit(on_q1, NEURON).item() == Q1
    # far from both (the origin, a generic point)
    far = torch.stack([torch.zeros(2, 3, dtype=torch.float64), torch.ones(2, 3, dtype=torch.float64) * 3.0])
    assert (classify_limit(far, NEURON) == NEITHER).all()
    labels = classify_limit(torch.cat([q1[:2], both, q2[:2]]), NEURON)
    assert labels.tolist() == [Q1, Q1, NEITHER, Q2, Q2] and labels.dtype == torch.int64


# ---------------------------------------------------------------------------------- generalization error


@pytest.mark.parametrize("design", ["even", "gaussian"])
def test_generalization_error_zero_on_Q1_and_Q2(design):
    x_test = generalization_inputs(design)
    err = generalization_error(torch.cat([q1_points(), q2_points()]), x_test, TARGET, TANH)
    assert err.max().item() < 1e-28


def test_generalization_error_is_the_mean_squared_difference():
    x_test = generalization_inputs("even")
    theta = torch.randn(4, 2, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    err = generalization_error(theta, x_test, TARGET, TANH)
    assert err.shape == (4,) and (err > 0).all()
    for b in range(4):
        f = sum(theta[b, k, 0] * torch.tanh(theta[b, k, 1] * x_test + theta[b, k, 2]) for k in range(2))
        torch.testing.assert_close(err[b], ((f - torch.tanh(x_test + 1.0)) ** 2).mean(), rtol=1e-13, atol=0)
    # the origin predicts 0: the error is the mean of f*² over the grid
    zero = torch.zeros(1, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(
        generalization_error(zero, x_test, TARGET, TANH)[0],
        (torch.tanh(x_test + 1.0) ** 2).mean(),
        rtol=1e-14,
        atol=0,
    )
    # leading dimensions are kept: (trials, checkpoints, m, 1+d) → (trials, checkpoints)
    stacked = torch.stack([theta, q1_points()[:4]], dim=1)
    many = generalization_error(stacked, x_test, TARGET, TANH)
    assert many.shape == (4, 2)
    torch.testing.assert_close(many[:, 0], err, rtol=1e-14, atol=0)
    assert many[:, 1].max().item() < 1e-28
    # a single point without a batch dimension gives a scalar
    assert generalization_error(theta[0], x_test, TARGET, TANH).shape == ()


def test_generalization_error_small_perturbation_is_quadratic():
    """Perturbing a Q² point by δ in the dead neuron's a: error = δ² mean(tanh(wᵀx)²)."""
    x_test = generalization_inputs("even")
    base = torch.stack([neuron(1.0, WSTAR), neuron(0.0, [-0.7, 0.4])])
    for delta in (1e-3, 1e-5):
        p = base.clone()
        p[1, 0] = delta
        expected = delta**2 * (torch.tanh(-0.7 * x_test + 0.4) ** 2).mean()
        torch.testing.assert_close(generalization_error(p, x_test, TARGET, TANH), expected, rtol=1e-8, atol=0)


def test_recovered_uses_the_paper_threshold():
    assert RECOVERY_THRESHOLD == 1e-8
    err = torch.tensor([0.0, 1e-20, 0.99e-8, 1e-8, 1.01e-8, 1.0, math.inf], dtype=torch.float64)
    assert recovered(err).tolist() == [True, True, True, False, False, False, False]
    assert recovered(torch.tensor([1e-7]), threshold=1e-6).item()
    # a point 1e-5 off Q² (in the dead neuron's a) is recovered, 1e-3 off is not
    x_test = generalization_inputs("even")
    base = torch.stack([neuron(1.0, WSTAR), neuron(0.0, [0.0, 1.0])])
    pts = base.repeat(2, 1, 1)
    pts[0, 1, 0], pts[1, 1, 0] = 1e-5, 1e-3
    assert recovered(generalization_error(pts, x_test, TARGET, TANH)).tolist() == [True, False]


def test_predict_on_Q1_and_Q2_matches_the_target_on_training_data():
    """Q¹ and Q² are global minima of the training loss too (zero loss, zero gradient)."""
    data = batch_data([DataSpec(n_samples=6)] * 8)
    P = torch.cat([q1_points()[:4], q2_points()[:4]])
    loss, grad = loss_and_grad(P, data, TANH)
    assert loss.max().item() < 1e-28 and grad.abs().max().item() < 1e-14
    torch.testing.assert_close(predict(P, data.X, TANH), data.y, rtol=0, atol=1e-15)


# ------------------------------------------------------------------------------------ Figure-3 thresholds


def test_ratio_thresholds_midpoints_between_the_bands():
    from recovery.core.theory import ratio_thresholds

    ratio = np.array([0.8, 1.0, 1.25, 0.5, 0.7, 1.4, 2.0, 0.72])
    label = np.array([Q1, Q1, Q1, Q2, Q2, Q2, Q2, NEITHER])  # unresolved seeds are ignored
    out = ratio_thresholds(ratio, label)
    assert out["q1_min"] == 0.8 and out["q1_max"] == 1.25
    assert out["q2_below_max"] == 0.7 and out["q2_above_min"] == 1.4
    assert abs(out["threshold_low"] - 0.75) < 1e-15 and abs(out["threshold_high"] - 1.325) < 1e-15
    # pooled through ρ = max(r, 1/r): Q¹ up to 1.25, Q² from 1.4
    assert abs(out["threshold_symmetric"] - 1.325) < 1e-15
    assert out["band_is_interval"] is True
    # a Q² seed inside the Q¹ band breaks the interval
    inside = ratio_thresholds(np.append(ratio, 1.1), np.append(label, Q2))
    assert inside["band_is_interval"] is False
    # no Q¹ seed: thresholds undefined
    none = ratio_thresholds(ratio[3:], label[3:])
    assert math.isnan(none["threshold_low"]) and none["band_is_interval"] is False


def test_rescale_to_ratios_sets_C_ratios_and_keeps_directions(example1):
    from recovery.core.theory import rescale_to_ratios

    theta0 = initial_parameters([0, 1, 2], 4, 2, 1e-3)
    ratios = torch.tensor([0.5, 1.5, 2.0], dtype=torch.float64)
    out = rescale_to_ratios(theta0, example1, ratios)
    C = imbalance_vector(out, example1)
    assert torch.allclose(C[:, 1:] / C[:, :1], ratios.expand(3, 3), rtol=1e-12)
    assert torch.equal(out[:, 0], theta0[:, 0])  # neuron 1 untouched
    cos = torch.nn.functional.cosine_similarity(out.flatten(0, 1), theta0.flatten(0, 1), dim=-1).abs()
    assert torch.allclose(cos, torch.ones_like(cos), atol=1e-12)  # only rescaled
    with pytest.raises(ValueError):
        rescale_to_ratios(theta0, example1, ratios[:2])


# ------------------------------------------------------------------------------------ model rank, Hessian


def test_model_rank_of_example1_is_the_optimistic_sample_size_3_at_any_width():
    from recovery.core.theory import model_rank

    for width in (1, 2, 3, 7):
        assert model_rank(torch.from_numpy(NEURON[None]), width, TANH) == 3


@pytest.mark.parametrize("k", [1, 2, 3])
def test_model_rank_k_neuron_targets_without_and_with_bias(k):
    """k(d + 1) without bias (d = 5: 6, 12, 18); k(d₀ + 2) with a bias (d₀ = 2: 4, 8, 12); any width."""
    from recovery.core.theory import model_rank

    g = torch.Generator().manual_seed(k)
    nobias = torch.randn(k, 1 + 5, generator=g, dtype=torch.float64)
    withbias = torch.randn(k, 1 + 3, generator=g, dtype=torch.float64)
    for width in (k, k + 1, 3 * k + 2):
        assert model_rank(nobias, width, TANH, bias=False) == k * (5 + 1)
        assert model_rank(withbias, width, TANH, bias=True) == k * (2 + 2)


def test_model_rank_on_Q1_is_3_and_on_Q2_is_4():
    from recovery.core.theory import jacobian_rank

    q1 = torch.tensor([[0.3, 1, 1], [0.7, 1, 1]], dtype=torch.float64)
    q2 = torch.tensor([[1, 1, 1], [0.0, 0.4, -0.8]], dtype=torch.float64)
    assert jacobian_rank(q1, TANH) == 3 and jacobian_rank(q2, TANH) == 4


@pytest.mark.parametrize("n", [4, 5, 6])
def test_hessian_zero_eigenvalues_Q1_degenerate_Q2_morse_bott(n):
    """Null space of the Hessian vs dimension of the branch: Q¹ (a line) has 3 zero eigenvalues, not
    Morse–Bott; Q² (a plane) has 2 for n ≥ 4, Morse–Bott."""
    from recovery.core.theory import hessian_spectrum_at, zero_eigenvalue_count

    data = batch_data([DataSpec(n_samples=n)])
    q1 = torch.tensor([[0.3, 1, 1], [0.7, 1, 1]], dtype=torch.float64)
    q2 = torch.tensor([[1, 1, 1], [0.0, 0.4, -0.8]], dtype=torch.float64)
    assert zero_eigenvalue_count(hessian_spectrum_at(q1, data, TANH)) == 3
    assert zero_eigenvalue_count(hessian_spectrum_at(q2, data, TANH)) == 2
    assert (hessian_spectrum_at(q1, data, TANH) > -1e-10).all()  # a minimum: positive semidefinite
