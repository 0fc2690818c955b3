"""Matrix completion and connectivity (arXiv:2405.13721): observation graphs, the exact Hessian, the integrator
(tolerance halving, scipy, the exact disconnected limit, padding), the 2 x 2 examples, the reference completions,
the figure's Config, the CLI and the notebook."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from figure_sizes import REDUCED as SIZES

from recovery.config import ParameterError
from recovery.figures import completion as co
from recovery.related import completion as C

NB = Path(__file__).resolve().parent.parent / "notebooks"
T64 = torch.float64
CONN_M = torch.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=T64)
CONN_MASK = torch.tensor([[1.0, 1.0], [1.0, 0.0]], dtype=T64)
DISC_M = torch.tensor([[1.0, 0.0], [0.0, 4.0]], dtype=T64)
DISC_MASK = torch.eye(2, dtype=T64)


def _batch(M, mask, T):
    return M.expand(T, *M.shape).clone(), mask.expand(T, *mask.shape).clone()


def test_observation_graph_connectivity_forest_and_complete_bipartite():
    assert C.is_connected(CONN_MASK.numpy()) and not C.is_connected(DISC_MASK.numpy())
    m = np.zeros((4, 4))
    m[0, 0] = m[0, 2] = m[1, 2] = 1  # one path; rows 2, 3 and columns 1, 3 unobserved (left out)
    assert C.is_connected(m) and C.is_forest(m) and not C.components_complete_bipartite(m)
    k, labels = C.observation_components(m)
    assert k == 1 and (labels[[2, 3, 5, 7]] == -1).all()
    blocks = np.zeros((4, 4))
    blocks[:2, :2] = blocks[2:, 2:] = 1
    assert C.observation_components(blocks)[0] == 2 and C.components_complete_bipartite(blocks)
    assert not C.is_forest(blocks) and C.is_forest(DISC_MASK.numpy())


def test_gradient_and_hessian_match_autograd():
    g = torch.Generator().manual_seed(0)
    d, h, T = 3, 2, 3
    M = torch.randn(T, d, d, generator=g, dtype=T64)
    mask = (torch.rand(T, d, d, generator=g) < 0.6).to(T64)
    th = torch.randn(T, 2 * d * h, generator=g, dtype=T64)
    _, grad, H = C.loss_grad_hessian(th, M, mask, d, h)
    for b in range(T):
        f = lambda x: C.loss_and_grad(x[None], M[b : b + 1], mask[b : b + 1], d, h)[0][0]  # noqa: E731, B023
        assert torch.allclose(torch.autograd.functional.jacobian(f, th[b]), grad[b], atol=1e-12)
        assert torch.allclose(torch.autograd.functional.hessian(f, th[b]), H[b], atol=1e-12)


def test_completion_flow_runs_on_the_shared_engine_and_reports_statuses():
    """Matrix completion gets the engine's Status values, budgets and divergence detection (issue 10)."""
    from recovery.core.dynamics import Status

    A0, B0 = C.initial_factors([0, 1, 2], 2, 2, 1e-3)
    M, mask = _batch(CONN_M, CONN_MASK, 3)
    r = C.gradient_flow(M, mask, A0, B0, t_max=1e4, rtol=1e-6)
    assert [Status(int(s)) for s in r.status] == [Status.CONVERGED] * 3
    r = C.gradient_flow(M, mask, A0, B0, t_max=1e4, max_steps=4)
    assert (r.status == Status.STEP_BUDGET).all() and (r.steps == 4).all()
    r = C.gradient_flow(M, mask, A0, B0, t_max=1e4, wall_time_limit=1e-9)
    assert (r.status == Status.TIME_BUDGET).all()
    A1 = A0.clone()
    A1[1, 0, 0] = math.nan
    r = C.gradient_flow(M, mask, A1, B0, t_max=1e4, rtol=1e-6)
    assert r.status[1] == Status.DIVERGED and (r.status[[0, 2]] == Status.CONVERGED).all()
    assert torch.isfinite(r.W[[0, 2]]).all()


def test_connected_2x2_learns_the_minimum_rank_fill_6():
    A0, B0 = C.initial_factors([0, 1, 2], 2, 2, 1e-8)
    r = C.gradient_flow(*_batch(CONN_M, CONN_MASK, 3), A0, B0, t_max=1e4, rtol=1e-6)
    assert (r.status == 1).all()  # loss below 1e-26
    assert torch.allclose(r.W[:, -1, 1, 1], torch.full((3,), 6.0, dtype=T64), atol=1e-3)
    # the minimum nuclear norm completion is ? = 1 with norm 5 (closed form, DR and the 1-D minimization agree)
    x, v = C.connected_2x2_min_nuclear(1, 2, 3)
    assert x == pytest.approx(1.0, abs=1e-6) and v == pytest.approx(5.0, abs=1e-12)
    X, nuc, lb = C.nuclear_norm_completion(CONN_M[None], CONN_MASK[None], iters=2000)
    assert float(X[0, 1, 1]) == pytest.approx(1.0, abs=1e-6) and float(nuc[0]) == pytest.approx(5.0, abs=1e-8)
    assert float(lb[0]) <= float(nuc[0]) + 1e-12 and float(lb[0]) == pytest.approx(5.0, abs=1e-6)
    assert C.nuclear_norm_2x2([[1, 2], [3, 6]]) == pytest.approx(math.sqrt(50))
    s1, s2 = math.sqrt(7 + math.sqrt(13)), math.sqrt(7 - math.sqrt(13))  # singular values of [[1, 2], [3, 0]]
    assert co.connected_exponent() == pytest.approx(2 * (1 - s2 / s1), rel=1e-12)


def test_disconnected_2x2_reaches_its_exact_limit_symmetric_nuclear_norm_5():
    seeds = list(range(4))
    for s in (1e-2, 1e-5):
        A0, B0 = C.initial_factors(seeds, 2, 2, s)
        r = C.gradient_flow(*_batch(DISC_M, DISC_MASK, 4), A0, B0, t_max=1e3, rtol=1e-6)
        W = r.W[:, -1]
        x12, x21 = C.disconnected_2x2_limit(A0, B0, 1.0, 4.0)
        assert torch.allclose(W[:, 0, 1], x12, atol=1e-5) and torch.allclose(W[:, 1, 0], x21, atol=1e-5)
        nuc = torch.linalg.matrix_norm(W, ord="nuc")
        assert torch.allclose(nuc, torch.full((4,), 5.0, dtype=T64), atol=1e-6)
    lim = C.disconnected_2x2_small_init_limit(A0, B0, 1.0, 4.0)
    assert torch.allclose(W[:, 0, 1], lim, atol=1e-4) and (lim.abs() < 2).all()  # rank 2, PSD, not rank 1
    # the minimum nuclear norm is 5 for every symmetric fill |x| <= 2; DR finds one
    _, nuc_min, _ = C.nuclear_norm_completion(DISC_M[None], DISC_MASK[None], iters=500)
    assert float(nuc_min[0]) == pytest.approx(5.0, abs=1e-8)


def test_tolerance_halving_and_scipy_agree():
    from scipy.integrate import solve_ivp

    d, T = 3, 3
    M = torch.stack([C.random_low_rank(i, d, 2) for i in range(T)])
    mask = torch.stack([C.random_pattern(10 + i, d, 7) for i in range(T)])
    A0, B0 = C.initial_factors(list(range(T)), d, d, 1e-3)
    Ws = [
        C.gradient_flow(M, mask, A0, B0, t_max=60, rtol=tol, checkpoints_per_decade=5).W[:, -1]
        for tol in (1e-6, 5e-7)
    ]
    assert (Ws[0] - Ws[1]).abs().max() < 1e-4
    x0 = C.pack(A0, B0)[0].numpy()

    def f(_, x):
        return -C.loss_and_grad(torch.from_numpy(x)[None], M[:1], mask[:1], d, d)[1][0].numpy()

    sol = solve_ivp(f, (0, 60), x0, method="LSODA", rtol=1e-10, atol=1e-14)
    A, B = C.unpack(torch.from_numpy(sol.y[:, -1])[None], d, d)
    assert (A @ B - Ws[1][:1]).abs().max() < 1e-4


def test_padding_a_2x2_problem_into_4x4_leaves_the_flow_unchanged():
    A0, B0 = C.initial_factors([3, 4], 2, 2, 1e-4)
    small = C.gradient_flow(*_batch(CONN_M, CONN_MASK, 2), A0, B0, t_max=30, rtol=1e-6).W[:, -1]
    big = C.gradient_flow(
        co._pad(CONN_M.expand(2, 2, 2)),
        co._pad(CONN_MASK.expand(2, 2, 2)),
        co._pad(A0),
        co._pad(B0),
        t_max=30,
        rtol=1e-6,
    ).W[:, -1]
    assert (
        (big[:, :2, :2] - small).abs().max() < 1e-7
        and big[:, 2:].abs().max() == 0
        and big[:, :, 2:].abs().max() == 0
    )


def test_min_rank_search_matches_the_forest_rule_for_rank_2_targets():
    M = torch.stack([C.random_low_rank(40 + i, 4, 2) for i in range(8)])
    mask = torch.stack([C.random_pattern(70 + i, 4, n) for i, n in enumerate((5, 6, 7, 7, 8, 8, 9, 10))])
    rank, X = C.min_rank_completion(M, mask, max_rank=1)
    forest = torch.tensor([C.is_forest(m) for m in mask.numpy()])
    assert ((rank == 1) == forest).all()
    ok = rank == 1
    assert (mask[ok] * (X[ok] - M[ok])).abs().max() < 1e-8


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"target_ranks": [0]}, "target_ranks[0]"),
        ({"scale": 1}, "scale"),
        ({"staircase_observed": 3}, "staircase_observed"),
        ({"example_scales": "1e-3,0"}, "example_scales[1]"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        co.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_reduced_run_fills_connected_to_rank_and_disconnected_to_nuclear_norm():
    s, _ = co.run(co.Config.from_user(**SIZES["completion"]), progress=False)  # the contract tests' size
    assert abs(s["connected_fill_median_smallest_scale"] - 6) < 1e-3
    assert abs(s["disconnected_nuclear_norm_range"][1] - 5) < 1e-6 and all(s["stair_stages_ordered"])


@pytest.mark.parametrize("d1,d2", [(2, 2), (2, 3), (3, 3)])
def test_spanning_tree_fraction_counts_the_connected_forests(d1, d2):
    """Scoins' closed form against enumeration: the (d1 + d2 − 1)-entry patterns that are connected and acyclic."""
    import itertools

    n = d1 + d2 - 1
    hits = total = 0
    for cells in itertools.combinations(range(d1 * d2), n):
        m = np.zeros(d1 * d2)
        m[list(cells)] = 1
        m = m.reshape(d1, d2)
        total += 1
        hits += C.is_connected(m) and C.is_forest(m)
    assert C.spanning_tree_fraction(d1, d2) == pytest.approx(hits / total, rel=1e-12)
    if (d1, d2) != (2, 2):  # (on 2 x 2 every 3-entry pattern is a spanning tree)
        assert hits < total  # some patterns of that size are not spanning trees


def test_spanning_tree_fraction_4x4():
    # 4^3 * 4^3 = 4096 spanning trees of K_{4,4} among binom(16, 7) = 11440 patterns
    assert C.spanning_tree_fraction(4, 4) == 4096 / 11440


def test_jacobian_gather_equals_the_einsum_formulation_bit_for_bit():
    """The flow's Hessian must not move by one ulp when the Jacobian is assembled by index (adaptive steps amplify
    any rounding change): compare with the einsum formulation ∂(AB)_ij/∂A_pk = δ_ip B_kj, ∂(AB)_ij/∂B_kq = A_ik δ_jq,
    signed zeros included, and the residual block S = R_ij δ_kq."""
    g = torch.Generator().manual_seed(3)
    for d, h in [(4, 4), (4, 2), (2, 2), (3, 5)]:
        T = 20
        A = torch.randn(T, d, h, generator=g, dtype=torch.float64)
        B = -torch.randn(T, h, d, generator=g, dtype=torch.float64).abs()  # negative: 0·B = -0.0
        M = torch.randn(T, d, d, generator=g, dtype=torch.float64)
        mask = (torch.rand(T, d, d, generator=g) < 0.5).double()
        eye_d, eye_h = torch.eye(d, dtype=torch.float64), torch.eye(h, dtype=torch.float64)
        JA = torch.einsum("ip,tkj->tijpk", eye_d, B).reshape(T, d, d, d * h)
        JB = torch.einsum("tik,jq->tijkq", A, eye_d).reshape(T, d, d, h * d)
        J = (torch.cat([JA, JB], -1) * mask[..., None]).reshape(T, d * d, 2 * d * h)
        got = C.output_jacobian(A, B, mask)
        assert torch.equal(got.view(torch.int64), J.view(torch.int64)), (d, h)
        R = mask * (A @ B - M)
        H = J.transpose(1, 2) @ J
        S = torch.einsum("tij,kq->tikqj", R, eye_h).reshape(-1, d * h, h * d)
        H[:, : d * h, d * h :] += S
        H[:, d * h :, : d * h] += S.transpose(1, 2)
        _, _, H_got = C.loss_grad_hessian(C.pack(A, B), M, mask, d, h)
        assert torch.equal(H_got.view(torch.int64), H.view(torch.int64)), (d, h)
