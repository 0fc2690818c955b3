"""Benign overfitting with a trainable output layer (arXiv:2410.19139): gradients and the sharpness bound against
autograd, exact padding, the gradient-flow conservation law and a halving-step check, the science at a reduced
size, bad parameters, the CLI and the notebook."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from recovery.cache import ResultCache
from recovery.config import ParameterError
from recovery.figures import benign_overfitting as bo
from recovery.related.benign import Setting, Trials, build_batch, conserved_ratio, loss_and_grad, train

NB = Path(__file__).resolve().parent.parent / "notebooks"
SMALL = dict(
    v0_values=(1e-4, 1.0),
    mu_norms=(0.25, 1.0, 8.0),
    n_values=(20,),
    d_values=(100,),
    sigma_0_values=(1e-3,),
    fig2b_n_values=(20,),
    fig2b_d_values=(100, 400),
    seeds=1,
    n_test=500,
)


def _tiny(v0=0.3, mu=1.5, sigma_0=0.1):
    tr = Trials(
        v0=np.array([v0]),
        mu=np.array([mu]),
        n=np.array([6]),
        d=np.array([5]),
        seed=np.array([3]),
        sigma_0=np.array([sigma_0]),
    )
    st = Setting(m=2, n_test=50)
    return tr, st, build_batch(tr, st)


def _autograd_loss(W, v, data):
    m = W.shape[1] // 2
    s = torch.cat([torch.ones(m, dtype=W.dtype), -torch.ones(m, dtype=W.dtype)])
    y, xi, mu, mask = data["y"], data["xi"], data["mu"], data["mask"]
    a_s = y[:, :, None] * torch.einsum("brd,bd->br", W, mu)[:, None, :]
    a_n = torch.einsum("bnd,brd->bnr", xi, W)
    # the paper's parameterization: an output weight per class, filter and patch (v: (B, 2m, 2))
    f = (torch.relu(a_s) * (v[..., 0] * s)[:, None, :] + torch.relu(a_n) * (v[..., 1] * s)[:, None, :]).sum(
        -1
    )
    return (torch.nn.functional.softplus(-y * f) * mask).sum() / mask.sum()


def test_gradients_match_autograd_and_the_step_bound_dominates_the_hessian():
    tr, st, data = _tiny()
    W, v = data["W0"] * 30, data["v0"].clone()
    v[..., 1] *= 0.5  # different weights on the two patches
    gram = torch.bmm(data["xi"], data["xi"].transpose(1, 2))
    out = loss_and_grad(W, v, data, gram)
    Wg, vg = W.clone().requires_grad_(), v.clone().requires_grad_()
    L = _autograd_loss(Wg, vg, data)
    L.backward()
    assert float(out["loss"][0]) == pytest.approx(L.item(), rel=1e-12)
    assert torch.allclose(out["gW"], Wg.grad, rtol=1e-10, atol=1e-14)
    assert torch.allclose(out["gv"], vg.grad, rtol=1e-10, atol=1e-14)
    flat = torch.cat([W.reshape(-1), v.reshape(-1)])
    nW = W.numel()

    def fn(z):
        return _autograd_loss(z[:nW].reshape(W.shape), z[nW:].reshape(v.shape), data)

    H = torch.autograd.functional.hessian(fn, flat)
    lam = torch.linalg.eigvalsh(H).abs().max()
    assert float(out["S"][0]) >= float(lam) * (1 - 1e-9)  # the step η = c/S is stable for c < 2


def test_padding_is_exact_and_draws_do_not_depend_on_the_rest_of_the_sweep():
    st = Setting(m=3, n_test=200)
    alone = Trials(
        v0=np.array([0.01]),
        mu=np.array([2.0]),
        n=np.array([10]),
        d=np.array([30]),
        seed=np.array([1]),
        sigma_0=np.array([1e-2]),
    )
    mixed = Trials.concat(
        [
            Trials(
                v0=np.array([1.0]),
                mu=np.array([0.5]),
                n=np.array([16]),
                d=np.array([50]),
                seed=np.array([1]),
                sigma_0=np.array([1e-2]),
            ),
            alone,
        ]
    )
    a, b = train(alone, st), train(mixed, st)
    assert a["steps"][0] == b["steps"][1]
    for k in ("final_loss", "test_acc", "final_t"):
        assert a[k][0] == pytest.approx(b[k][1], rel=1e-9), k
    assert np.allclose(a["w_norms"][0], b["w_norms"][1], rtol=1e-9)


def test_conservation_law_and_halving_the_step():
    tr = Trials.product([1e-4, 1.0], [0.5, 4.0], [16], [60], [0, 1], [1e-3])
    res = {c: train(tr, Setting(m=4, n_test=400, lr_factor=c)) for c in (0.1, 0.05)}
    r1, r2 = res[0.1], res[0.05]
    assert (r1["final_loss"] <= 0.01).all() and (r1["train_acc"] == 1).all()
    # GD drift of the conserved |v_r|^2 - |w_r|^2 (v_r per patch) is O(step): halving the step halves it
    d1, d2 = r1["drift"].max(0), r2["drift"].max(0)
    q = d2 / d1
    assert np.all(q < 0.85) and 0.4 < np.median(q) < 0.6, (d1, d2)
    # ... and leaves the outcome unchanged (gradient flow)
    assert np.abs(r1["test_acc"] - r2["test_acc"]).max() <= 0.01
    assert np.allclose(r1["ratio"][-1], r2["ratio"][-1], rtol=0.03)
    assert np.allclose(r1["final_t"], r2["final_t"], rtol=0.15)
    # |v_r| / |w_r| of a small-v0 trial follows the conservation law filter by filter (|v_r(0)| = sqrt(2) v0)
    i = int(np.flatnonzero(tr.v0 == 1e-4)[0])
    pred = conserved_ratio(np.sqrt(2) * 1e-4, r2["w0_norms"][i], r2["w_norms"][i])
    assert np.nanmax(np.abs(np.linalg.norm(r2["v"][i], axis=-1) / r2["w_norms"][i] - pred)) < 0.02


def test_reduced_run_shows_both_regimes_and_the_benign_boundary(tmp_path, monkeypatch):
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(tmp_path / "cache"))
    cfg = bo.Config(**SMALL)
    s, a = bo.run(cfg, progress=False)
    assert s["fraction_interpolating"] == 1.0
    assert s["large_v0_v_change"] < 0.05 and s["large_v0_W_growth"] > 3
    assert abs(s["small_v0_final_ratio"] - 1) < 0.05 and s["small_v0_ratio_spread_in_growth"] < 0.05
    acc = a["acc_mean"][0, 0, 0]  # (v0, mu)
    assert acc[:, -1].min() > 0.95 and acc[:, 0].max() < 0.65  # X = 819 vs X = 8e-4
    assert a["b_acc_mean"].shape == (1, 2, 3)  # Figure 2(b): (n, d, mu)
    assert s["acc_large_v0_X_ge_10_min"] > 0.95 and s["acc_large_v0_X_le_0.01_max"] < 0.65
    assert s["halving_cells"] == 6 and s["halving_fraction_changed"] == 0.0
    assert bo.failed_checks(cfg, s) == []
    for key in ("figure", "paper", "parameters", "package_version", "code_hash", "runtime_s", "headline"):
        assert key in s
    json.dumps(s)
    # cached: the second call loads the entry
    assert ResultCache().load("benign", cfg.sweep_params()) is not None


def test_the_checks_fail_on_shuffled_accuracies_and_a_bad_step(tmp_path, monkeypatch):
    """The page's checks on deliberately wrong input: Figure 2(b)'s accuracies shuffled against the signal
    strength (as if labels were unrelated to the signal), and a half-step run that disagrees."""
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(tmp_path / "cache"))
    cfg = bo.Config(**SMALL)
    raw = bo.run_sweep(cfg)
    s, _ = bo.analyse(cfg, raw, t0=0.0)
    assert bo.failed_checks(cfg, s) == []
    wrong = dict(raw)
    wrong["b_test_acc"] = raw["b_test_acc"][:, :, ::-1]  # accuracy now falls as the signal grows
    bad = bo.failed_checks(cfg, bo.analyse(cfg, wrong, t0=0.0)[0])
    assert any("Fig 2(b): accuracy" in b for b in bad), bad
    wrong = dict(raw)
    wrong["half_test_acc"] = raw["half_test_acc"] - 0.1  # the half-step phase diagram differs by 0.1
    bad = bo.failed_checks(cfg, bo.analyse(cfg, wrong, t0=0.0)[0])
    assert any("halving the learning rate" in b for b in bad), bad


def test_contour_slope_fit():
    x = np.array([100.0, 200.0, 400.0])
    f = bo.loglog_line(x, 3.0 * x**0.9)
    assert f["slope"] == pytest.approx(0.9) and f["max_residual"] == pytest.approx(0.0, abs=1e-12)
    bent = bo.loglog_line(x, np.array([1.0, 1.0, 10.0]))
    assert bent["max_residual"] > 0.2
    assert np.isnan(bo.loglog_line(x[:1], x[:1])["slope"])
    assert bo.loglog_line(x, np.array([1.0, np.nan, 4.0]))["points"] == 2


def test_halving_the_step_is_one_batched_program():
    """A trial at lr_scale 0.5 in the same batch takes about twice the steps and ends where the full step does."""
    tr = Trials.concat(
        [
            Trials.product([1e-2], [1.0], [16], [60], [0], [1e-3]),
            Trials.product([1e-2], [1.0], [16], [60], [0], [1e-3], lr_scale=0.5),
        ]
    )
    r = train(tr, Setting(m=4, n_test=300))
    assert 1.8 < r["steps"][1] / r["steps"][0] < 2.2
    assert r["final_t"][1] == pytest.approx(r["final_t"][0], rel=0.05)
    assert abs(r["test_acc"][1] - r["test_acc"][0]) <= 0.01


def test_crossing_and_exponent_fit():
    x = np.array([1.0, 2.0, 4.0])
    assert bo.crossing(x, np.array([0.5, 0.7, 0.9]), 0.8) == pytest.approx(2.0 * 2**0.5)
    assert np.isnan(bo.crossing(x, np.array([0.5, 0.6, 0.7]), 0.8))
    n = np.array([20, 20, 40, 40])
    d = np.array([100, 200, 100, 200])
    mu = 3.0 * n**-0.25 * d**0.25
    e = bo.fit_exponents(n, d, mu)
    assert e["n"] == pytest.approx(-0.25) and e["d"] == pytest.approx(0.25)
    assert np.isnan(bo.fit_exponents(n[:1], d[:1], mu[:1])["n"])


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"v0_values": [0.0]}, "v0_values[0]"),
        ({"mu_norms": "1,1"}, "mu_norms"),
        ({"n_values": [1]}, "n_values[0]"),
        ({"seeds": 0}, "seeds"),
        ({"lr_factor": 2}, "lr_factor"),
        ({"accuracy_threshold": 0.4}, "accuracy_threshold"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        bo.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)
