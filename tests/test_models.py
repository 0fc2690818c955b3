"""Two-layer model (recovery.core.models): activations, predictions, closed-form loss/gradient/Hessian against
autograd, masking, and the seeding of the initialization."""

from __future__ import annotations

import pytest
import torch

from recovery.config import ParameterError
from recovery.core.models import (
    Data,
    get_activation,
    initial_parameters,
    loss_and_grad,
    loss_grad_hessian,
    predict,
)

ACTS = ["tanh", "rational"]


def reference_sigma(name: str, u: torch.Tensor) -> torch.Tensor:
    """The activations written independently of the module: tanh and x / (1 + x²)."""
    return torch.tanh(u) if name == "tanh" else u / (1.0 + u**2)


# -------------------------------------------------------------------------------------------- activations


@pytest.mark.parametrize("name", ACTS)
def test_activation_theorem1_normalization(name):
    act = get_activation(name)
    zero = torch.zeros(1, dtype=torch.float64)
    assert act.fn(zero).item() == 0.0  # σ(0) = 0
    assert act.d1(zero).item() == 1.0  # σ'(0) = 1
    assert act.d2(zero).item() == 0.0  # both are odd, so σ''(0) = 0
    u = torch.linspace(-4, 4, 41, dtype=torch.float64)
    assert act.odd
    torch.testing.assert_close(act.fn(-u), -act.fn(u), rtol=0, atol=0)
    torch.testing.assert_close(act.fn(u), reference_sigma(name, u), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", ACTS)
def test_activation_derivatives_match_autograd(name):
    act = get_activation(name)
    u = torch.linspace(-5, 5, 101, dtype=torch.float64).requires_grad_(True)
    (g1,) = torch.autograd.grad(act.fn(u).sum(), u, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), u)
    torch.testing.assert_close(act.d1(u.detach()), g1.detach(), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(act.d2(u.detach()), g2, rtol=1e-12, atol=1e-14)
    # the fused evaluation agrees with the separate functions, for both orders
    v = u.detach().reshape(1, 101, 1)
    one = act.with_derivatives(v, 1)
    two = act.with_derivatives(v, 2)
    assert len(one) == 2 and len(two) == 3
    for got, ref in zip(two, (act.fn(v), act.d1(v), act.d2(v))):
        assert got.shape == v.shape
        torch.testing.assert_close(got, ref, rtol=1e-15, atol=1e-15)
    for got, ref in zip(one, two[:2]):
        torch.testing.assert_close(got, ref, rtol=0, atol=0)


def test_unknown_activation_is_a_parameter_error():
    with pytest.raises(ParameterError) as excinfo:
        get_activation("relu")
    assert excinfo.value.name == "activation"
    assert "tanh" in str(excinfo.value) and "rational" in str(excinfo.value)


# --------------------------------------------------------------------------------------------- helpers


def random_problem(B: int, m: int, d: int, n: int, seed: int, mask_zeros: bool = True):
    g = torch.Generator().manual_seed(seed)
    theta = torch.randn(B, m, 1 + d, generator=g, dtype=torch.float64)
    X = torch.randn(B, n, d, generator=g, dtype=torch.float64)
    y = torch.randn(B, n, generator=g, dtype=torch.float64)
    mask = torch.ones(B, n, dtype=torch.float64)
    if mask_zeros:
        mask[0, -2:] = 0.0  # trial 0 uses n − 2 samples
        if B > 1:
            mask[1, 0] = 0.0  # trial 1 drops its first sample
    return theta, Data(X, y, mask)


def loop_predict(theta_b: torch.Tensor, X_b: torch.Tensor, name: str) -> torch.Tensor:
    """f(x_i) = Σ_k a_k σ(w_k·x_i) for one trial, written as explicit loops."""
    m = theta_b.shape[0]
    out = []
    for i in range(X_b.shape[0]):
        f = theta_b.new_zeros(())
        for k in range(m):
            f = f + theta_b[k, 0] * reference_sigma(name, (theta_b[k, 1:] * X_b[i]).sum())
        out.append(f)
    return torch.stack(out)


def loop_loss(theta_b, X_b, y_b, mask_b, name):
    """½ Σ_i mask_i (f(x_i) − y_i)² for one trial (the paper's sum of squares, padded samples dropped)."""
    r = loop_predict(theta_b, X_b, name) - y_b
    return 0.5 * (mask_b * r * r).sum()


# ----------------------------------------------------------------------------------------------- predict


@pytest.mark.parametrize("name", ACTS)
def test_predict_matches_loop_formula(name):
    act = get_activation(name)
    theta, data = random_problem(B=3, m=3, d=2, n=5, seed=1)
    f = predict(theta, data.X, act)
    assert f.shape == (3, 5)
    for b in range(3):
        torch.testing.assert_close(f[b], loop_predict(theta[b], data.X[b], name), rtol=1e-13, atol=1e-14)
    # inputs shared by all trials, (n, d), give the same as the expanded (B, n, d)
    shared = predict(theta, data.X[0], act)
    torch.testing.assert_close(shared, predict(theta, data.X[0].expand(3, 5, 2), act), rtol=0, atol=0)


def test_predict_is_invariant_under_sign_flip_and_permutation_of_neurons():
    act = get_activation("tanh")
    theta, data = random_problem(B=2, m=3, d=2, n=4, seed=2)
    flipped = theta.clone()
    flipped[:, 1] *= -1.0  # (a, w) → (−a, −w): the same neuron for an odd σ
    permuted = theta[:, [2, 0, 1]]
    f = predict(theta, data.X, act)
    torch.testing.assert_close(predict(flipped, data.X, act), f, rtol=1e-14, atol=1e-15)
    torch.testing.assert_close(predict(permuted, data.X, act), f, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------------------------- loss, gradient, Hessian


@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize(("m", "d"), [(1, 1), (1, 2), (2, 2), (2, 3), (3, 1), (3, 2)])
def test_loss_grad_hessian_match_autograd(name, m, d):
    act = get_activation(name)
    B, n = 3, 6
    theta, data = random_problem(B, m, d, n, seed=10 * m + d)
    loss1, grad1 = loss_and_grad(theta, data, act)
    loss2, grad2, H = loss_grad_hessian(theta, data, act)
    P = m * (1 + d)
    assert loss1.shape == (B,) and grad1.shape == (B, m, 1 + d) and H.shape == (B, P, P)
    torch.testing.assert_close(loss1, loss2, rtol=0, atol=0)
    torch.testing.assert_close(grad1, grad2, rtol=1e-14, atol=1e-14)
    for b in range(B):

        def fn(flat, b=b):
            return loop_loss(flat.reshape(m, 1 + d), data.X[b], data.y[b], data.mask[b], name)

        flat = theta[b].reshape(-1).clone().requires_grad_(True)
        ref_loss = fn(flat)
        (ref_grad,) = torch.autograd.grad(ref_loss, flat)
        ref_H = torch.autograd.functional.hessian(fn, theta[b].reshape(-1))
        torch.testing.assert_close(loss1[b], ref_loss.detach(), rtol=1e-13, atol=1e-13)
        torch.testing.assert_close(grad1[b].reshape(-1), ref_grad, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(H[b], ref_H, rtol=1e-11, atol=1e-11)
    torch.testing.assert_close(H, H.transpose(1, 2), rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", ACTS)
def test_masked_samples_do_not_contribute(name):
    """Garbage samples under mask = 0 change nothing; a masked trial equals the unpadded problem."""
    act = get_activation(name)
    theta, data = random_problem(B=2, m=2, d=2, n=6, seed=3)
    garbage_X = data.X.clone()
    garbage_y = data.y.clone()
    off = data.mask == 0
    garbage_X[off] = 1e3
    garbage_y[off] = -1e3
    garbage = Data(garbage_X, garbage_y, data.mask)
    out_a = loss_grad_hessian(theta, data, act)
    out_b = loss_grad_hessian(theta, garbage, act)
    for u, v in zip(out_a, out_b):
        torch.testing.assert_close(u, v, rtol=0, atol=0)
    # trial 0 masks its last two samples: the same as a problem with only the first four
    short = Data(data.X[:1, :4], data.y[:1, :4], torch.ones(1, 4, dtype=torch.float64))
    for u, v in zip(loss_grad_hessian(theta[:1], short, act), out_a):
        torch.testing.assert_close(u, v[:1], rtol=1e-14, atol=1e-14)
    # and the loss is the sum of squares over the used samples only
    r = predict(theta, data.X, act) - data.y
    torch.testing.assert_close(out_a[0], 0.5 * (data.mask * r * r).sum(-1), rtol=1e-14, atol=0)


def test_hessian_at_a_global_minimum_is_gauss_newton_and_psd():
    """At an interpolating point the residual term vanishes: H = JᵀJ is positive semidefinite."""
    act = get_activation("tanh")
    theta, data = random_problem(B=1, m=2, d=2, n=4, seed=4, mask_zeros=False)
    data = Data(data.X, predict(theta, data.X, act), data.mask)  # labels produced by θ itself
    loss, grad, H = loss_grad_hessian(theta, data, act)
    assert loss.item() < 1e-28 and grad.abs().max().item() < 1e-13
    eig = torch.linalg.eigvalsh(H[0])
    assert eig.min().item() > -1e-12
    # rank ≤ n = 4 < P = 6: the zero directions of a sum of n rank-one terms
    assert int((eig > 1e-10).sum()) <= 4


def test_hessian_of_zero_is_the_theorem1_linear_system():
    """At θ = 0 (σ(0) = 0, σ'(0) = 1) the Hessian is block diagonal with blocks −[[0, zᵀ], [z, 0]],
    z = Σ y_i x_i: the gradient flow there is the linear system of Theorem 1."""
    act = get_activation("tanh")
    _, data = random_problem(B=1, m=2, d=2, n=5, seed=5, mask_zeros=True)
    theta = torch.zeros(1, 2, 3, dtype=torch.float64)
    _, grad, H = loss_grad_hessian(theta, data, act)
    assert grad.abs().max().item() == 0.0
    z = ((data.y * data.mask)[..., None] * data.X).sum(1)[0]
    block = torch.zeros(3, 3, dtype=torch.float64)
    block[0, 1:] = z
    block[1:, 0] = z
    expected = torch.block_diag(-block, -block)
    torch.testing.assert_close(H[0], expected, rtol=1e-14, atol=1e-14)


# ---------------------------------------------------------------------------------------- initialization


def test_initial_parameters_shape_dtype_and_seeding():
    th = initial_parameters([3, 1, 2], width=2, dim=2, scale=1.0)
    assert th.shape == (3, 2, 3) and th.dtype == torch.float64
    # a trial's start depends only on its own seed, not on batch size, order or neighbours
    alone = initial_parameters([1], width=2, dim=2, scale=1.0)
    torch.testing.assert_close(th[1], alone[0], rtol=0, atol=0)
    reordered = initial_parameters([2, 3, 1, 1, 7], width=2, dim=2, scale=1.0)
    torch.testing.assert_close(reordered[[1, 2, 0]], th, rtol=0, atol=0)
    torch.testing.assert_close(reordered[3], reordered[2], rtol=0, atol=0)
    # different seeds give different draws
    assert not torch.equal(th[0], th[1]) and not torch.equal(th[1], th[2])
    # seeding does not depend on the global RNG state
    torch.manual_seed(123)
    again = initial_parameters([3, 1, 2], width=2, dim=2, scale=1.0)
    torch.testing.assert_close(again, th, rtol=0, atol=0)


def test_initial_parameters_scale_multiplies():
    unit = initial_parameters([0, 5, 9], width=3, dim=2, scale=1.0)
    tiny = initial_parameters([0, 5, 9], width=3, dim=2, scale=1e-20)
    torch.testing.assert_close(tiny, 1e-20 * unit, rtol=1e-15, atol=0)
    per_seed = initial_parameters([0, 5, 9], width=3, dim=2, scale=[1e-8, 1e-6, 2.0])
    scales = torch.tensor([1e-8, 1e-6, 2.0], dtype=torch.float64)[:, None, None]
    torch.testing.assert_close(per_seed, scales * unit, rtol=1e-15, atol=0)
    assert per_seed.dtype == torch.float64
    integer_scale = initial_parameters([0, 5, 9], width=3, dim=2, scale=2)
    torch.testing.assert_close(integer_scale, 2.0 * unit, rtol=0, atol=0)


def test_initial_parameters_is_standard_gaussian():
    th = initial_parameters(list(range(400)), width=2, dim=2, scale=1.0)  # 2400 draws
    assert abs(th.mean().item()) < 0.1  # standard error ≈ 0.02
    assert abs(th.std().item() - 1.0) < 0.06
