"""The gradient-flow integrator: closed form, reference solver, tolerance invariance, statuses, budgets."""

import math

import numpy as np
import pytest
import torch

from recovery.core.data import DataSpec, batch_data
from recovery.core.dynamics import FlowConfig, Status, gradient_flow
from recovery.core.models import get_activation, initial_parameters, loss_and_grad
from recovery.core.reference import lsoda_trajectory
from recovery.core.theory import classify_limit, generalization_error, growth_rate, linear_phase

TANH = get_activation("tanh")
SPEC = DataSpec()  # Example 1: n = 6 evenly spaced on [-2, 2], target tanh(x + 1)


def _run(seeds, scale, **cfg):
    theta0 = initial_parameters(list(seeds), 2, 2, scale)
    data = batch_data([SPEC] * len(seeds))
    return theta0, data, gradient_flow(theta0, data, TANH, FlowConfig(**cfg))


def test_linear_phase_matches_theorem1_closed_form():
    # while |θ| stays tiny the flow is linear, θ(t) = exp(tM) θ0 (Theorem 1); nonlinear terms are O(|θ|²) ~ 1e-10.
    # The per-step errors add up along the growing mode (global error ~ steps × rtol), so the match must
    # improve as rtol shrinks at the method's rate (rtol^(2/3) for an order-2 method with order-3 control).
    errors = {}
    for rtol in (1e-5, 1e-7):
        theta0, data, res = _run(range(6), 1e-10, t_max=2.0, rtol=rtol, stop_loss=0.0)
        assert (res.status == Status.HORIZON).all()
        exact = linear_phase(theta0, data, 2.0)
        assert torch.linalg.vector_norm(exact.flatten(1), dim=1).max() < 1e-4  # still in the linear regime
        rel = torch.linalg.vector_norm(
            (res.final_theta - exact).flatten(1), dim=1
        ) / torch.linalg.vector_norm(exact.flatten(1), dim=1)
        errors[rtol] = float(rel.max())
    assert errors[1e-7] < 1e-4
    assert errors[1e-7] < errors[1e-5] / 10
    assert torch.allclose(growth_rate(data), torch.full((6,), 5.6154, dtype=torch.float64), atol=1e-4)


def test_matches_scipy_lsoda_reference_through_the_nonlinear_phase():
    seeds = [0, 1, 2]
    times = np.array([0.0, 2.0, 4.0, 8.0, 30.0, 300.0])
    theta0, data, res = _run(seeds, 1e-8, t_max=300.0, rtol=1e-8, stop_loss=0.0, checkpoints_per_decade=50)
    for b in range(len(seeds)):
        ref = lsoda_trajectory(theta0[b], data.select(torch.tensor([b])), TANH, times)
        assert (
            np.abs(res.times[[int(np.argmin(np.abs(res.times - t))) for t in times]] - times).max()
            < 0.05 * times.max()
        )
        # compare at the exact final time
        assert np.allclose(res.final_theta[b].numpy(), ref[-1], rtol=1e-5, atol=1e-7), (
            b,
            res.final_theta[b],
            ref[-1],
        )


def test_tightening_tolerance_100x_changes_neither_set_nor_final_error():
    seeds = range(40)
    _, _, coarse = _run(seeds, 1e-8, rtol=1e-4)
    _, _, fine = _run(seeds, 1e-8, rtol=1e-6)
    tn = SPEC.target.neuron
    assert torch.equal(classify_limit(coarse.final_theta, tn), classify_limit(fine.final_theta, tn))
    x = SPEC.eval_inputs()
    e1 = generalization_error(coarse.final_theta, x, SPEC.target, TANH)
    e2 = generalization_error(fine.final_theta, x, SPEC.target, TANH)
    assert ((e1 < 1e-8) == (e2 < 1e-8)).all()
    assert torch.allclose(coarse.final_theta, fine.final_theta, atol=2e-3)


def test_long_horizon_is_cheap_because_steps_grow_with_t():
    _, _, res = _run(range(40), 1e-8)
    assert (res.final_time[res.status == Status.HORIZON] == 1e7).all()
    assert set(res.status.tolist()) <= {Status.HORIZON, Status.CONVERGED}
    assert res.steps.max() < 1500  # an explicit method needs ~1e7 steps


def test_checkpoints_are_landed_on_exactly():
    theta0, data, res = _run(range(4), 1e-6, t_max=50.0, stop_loss=0.0)
    # recomputing the loss of the stored checkpoint states reproduces the stored losses
    K = len(res.times)
    loss, _ = loss_and_grad(res.theta.reshape(-1, 2, 3), batch_data([SPEC] * (4 * K)), TANH)
    assert torch.allclose(loss.reshape(4, K), res.loss, rtol=1e-12, atol=0)
    assert torch.equal(res.theta[:, 0], theta0)
    assert (res.final_time == 50.0).all()
    assert torch.equal(res.theta[:, -1], res.final_theta)


def test_status_budgets_never_hang():
    _, _, res = _run(range(3), 1e-8, max_steps=5)
    assert (res.status == Status.STEP_BUDGET).all() and (res.steps == 5).all()
    _, _, res = _run(range(3), 1e-8, wall_time_limit=1e-9)
    assert (res.status == Status.TIME_BUDGET).all()
    _, _, res = _run(range(3), 1e-8, stop_loss=1e6)
    assert (res.status == Status.CONVERGED).all() and (res.steps == 0).all()


def test_nan_trial_is_marked_and_does_not_poison_the_batch():
    theta0 = initial_parameters([0, 1, 2], 2, 2, 1e-8)
    theta0[1, 0, 0] = math.nan
    data = batch_data([SPEC] * 3)
    res = gradient_flow(theta0, data, TANH, FlowConfig(t_max=1e3))
    assert res.status[1] == Status.DIVERGED
    assert (res.status[[0, 2]] != Status.DIVERGED).all()
    assert torch.isfinite(res.final_theta[[0, 2]]).all()


def test_trial_result_does_not_depend_on_its_batch():
    _, _, alone = _run([7], 1e-8, t_max=1e4)
    _, _, batch = _run([3, 7, 11], 1e-8, t_max=1e4)
    assert torch.allclose(alone.final_theta[0], batch.final_theta[1], rtol=1e-9, atol=1e-12)


def test_flow_config_rejects_bad_values():
    from recovery.config import ParameterError

    for kw in ({"t_max": 0}, {"rtol": float("nan")}, {"max_steps": 0}, {"rtol": 1.0}):
        with pytest.raises(ParameterError):
            FlowConfig(**kw)


def test_lowrank_woodbury_solves_match_dense_lu():
    """The Woodbury path (block diagonal + rank n) is the same method as the dense LU, to round-off."""
    theta0 = initial_parameters(list(range(6)), 8, 2, 1e-6)
    data = batch_data([SPEC] * 6)
    dense = gradient_flow(theta0, data, TANH, FlowConfig(t_max=1e4, linear_solver="dense"))
    low = gradient_flow(theta0, data, TANH, FlowConfig(t_max=1e4, linear_solver="lowrank"))
    assert torch.equal(dense.steps, low.steps)
    assert torch.allclose(dense.theta, low.theta, rtol=1e-9, atol=1e-12)


def test_width_1000_network_trains_with_lowrank_solves():
    """Figure 5's width: P = 3000 parameters per trial is cheap because solves cost O(P n²)."""
    rat = get_activation("rational")
    theta0 = initial_parameters([0, 1], 1000, 2, 1e-6)
    data = batch_data([SPEC] * 2)
    res = gradient_flow(theta0, data, rat, FlowConfig(t_max=1e3))
    assert (res.status == int(Status.HORIZON)).all() or (res.status == int(Status.CONVERGED)).all()
    assert (res.final_loss < 1e-3 * res.loss[:, 0]).all()


def _paths_agree(theta0, data, act, **cfg):
    fast = gradient_flow(theta0, data, act, FlowConfig(linear_solver="unrolled", **cfg))
    dense = gradient_flow(theta0, data, act, FlowConfig(linear_solver="dense", **cfg))
    return fast, dense


def test_unrolled_small_system_path_agrees_with_the_dense_lu_path():
    """The trials-last numpy path (Figure 3's) and the general torch path are the same method: same reached
    set for every seed, same statuses, states equal to round-off accumulated over the run."""
    seeds = range(24)
    theta0 = initial_parameters(list(seeds), 2, 2, 1e-8)
    data = batch_data([SPEC] * len(seeds))
    fast, dense = _paths_agree(theta0, data, TANH)
    tn = SPEC.target.neuron
    assert torch.equal(classify_limit(fast.final_theta, tn), classify_limit(dense.final_theta, tn))
    assert torch.equal(classify_limit(fast.theta, tn), classify_limit(dense.theta, tn))  # at every checkpoint
    assert torch.equal(fast.status, dense.status)
    assert torch.allclose(fast.final_theta, dense.final_theta, rtol=0, atol=1e-9)
    assert torch.allclose(fast.loss, dense.loss, rtol=1e-6, atol=1e-20)  # below: round-off of a ~1e-28 loss


def test_unrolled_path_with_per_trial_data_width_3_and_rational_activation():
    """Per-trial (padded, masked) data sets, P = 9 and the rational activation take the same path."""
    specs = [
        DataSpec(design="gaussian", n_samples=n, data_seed=s) for s, n in ((0, 5), (1, 8), (2, 3), (3, 8))
    ]
    data = batch_data(specs)
    theta0 = initial_parameters([0, 1, 2, 3], 3, 2, 1e-6)
    for act in (TANH, get_activation("rational")):
        fast, dense = _paths_agree(theta0, data, act, t_max=1e4)
        assert torch.equal(fast.status, dense.status)
        assert torch.allclose(fast.final_theta, dense.final_theta, rtol=0, atol=1e-8)


def test_unrolled_lu_with_partial_pivoting_solves_every_system():
    from recovery.core.unrolled import lu_factor, lu_solve

    g = np.random.default_rng(0)
    A = g.standard_normal((7, 7, 50))
    A[0, 0, :10] = 0.0  # these need a row swap at the first column
    rhs = g.standard_normal((7, 50))
    x = lu_solve(lu := A.copy(), lu_factor(lu), rhs)
    ref = np.linalg.solve(A.transpose(2, 0, 1), rhs.T[..., None])[..., 0].T
    assert np.allclose(x, ref, rtol=1e-9, atol=1e-9)


def test_unrolled_pivots_are_numpys_argmax_including_ties_and_nan():
    """The pivot search looks at argmax only where the diagonal is not a largest entry: the same rows as a
    plain argmax of |column| in every case (ties: the first; a NaN: the first NaN)."""
    from recovery.core.unrolled import lu_factor

    def reference(A):  # elimination with np.argmax pivots, every trial swapped explicitly
        A = A.copy()
        P, b = A.shape[0], A.shape[-1]
        for k in range(P - 1):
            piv = np.abs(A[k:, k]).argmax(0) + k
            for t in range(b):
                A[[k, piv[t]], :, t] = A[[piv[t], k], :, t]
            A[k + 1 :, k] /= A[k, k]
            A[k + 1 :, k + 1 :] -= A[k + 1 :, k, None] * A[k, None, k + 1 :]
        return A

    g = np.random.default_rng(1)
    A = np.round(g.standard_normal((5, 5, 200)))  # ties and zeros
    A[2, 0, 3] = A[4, 1, 7] = A[0, 0, 9] = np.nan
    A[1, 2, 11] = np.inf
    with np.errstate(all="ignore"):
        lu_factor(ours := A.copy())
        assert np.array_equal(ours, reference(A), equal_nan=True)


def test_reusing_the_evaluation_at_the_accepted_state_changes_no_bit(monkeypatch):
    """The engine passes the unrolled path's evaluation at x⁺ back as the next step's: the same numbers as
    evaluating the state again (a problem without ``evaluate`` takes the plain path)."""
    from recovery.core.unrolled import SmallNetworkProblem

    data = batch_data([SPEC] * 64)
    theta0 = initial_parameters(list(range(64)), 2, 2, 1e-8)
    cfg = FlowConfig(t_max=1e5)
    reused = gradient_flow(theta0, data, TANH, cfg)
    monkeypatch.delattr(SmallNetworkProblem, "evaluate")
    plain = gradient_flow(theta0, data, TANH, cfg)
    for name in ("theta", "loss", "final_theta", "final_time", "status", "steps", "rejected"):
        assert torch.equal(getattr(reused, name), getattr(plain, name)), name


def test_auto_solver_takes_the_unrolled_path_for_small_networks_only():
    from recovery.core.dynamics import NetworkProblem, network_problem
    from recovery.core.unrolled import SmallNetworkProblem

    data = batch_data([SPEC] * 2)
    assert isinstance(
        network_problem(initial_parameters([0, 1], 2, 2, 1e-8), data, TANH, FlowConfig())[0],
        SmallNetworkProblem,
    )
    assert isinstance(
        network_problem(initial_parameters([0, 1], 50, 2, 1e-8), data, TANH, FlowConfig())[0], NetworkProblem
    )
