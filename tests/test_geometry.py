"""Geometry page (arXiv:2309.00508, two neurons fitting one): SCIENCE.md's ranks (2 on the condensed branch, 3 on
the dead ones without bias; 3 and 4 with bias), the branches, the halving of the symmetric grid without bias, the
separation sample sizes and Morse-Bott pattern, the rate contrast, the Config validator, the CLI and the notebook.
One reduced configuration is shared so that the notebook and the CLI load its flow from the cache."""

import json
from pathlib import Path

import pytest
import torch
from figure_sizes import REDUCED as SIZES

from recovery.config import ParameterError
from recovery.core.models import get_activation, loss_and_grad
from recovery.core.theory import jacobian_rank
from recovery.figures import geometry

NB = Path(__file__).resolve().parent.parent / "notebooks"
TANH = get_activation("tanh")
REDUCED = {
    "n_values": [2, 3, 4],
    "designs": ["positive"],
    "points_per_branch": 1,
    "cloud_samples": 5,
    "rate_starts": 1,
    "dim_samples": 12,
    "dim_nearby": 2,
}


@pytest.mark.parametrize(
    "setting, ranks",
    [
        ("no_bias", {"condensed": 2, "dead1": 3, "dead2": 3}),
        ("bias", {"condensed": 3, "dead1": 4, "dead2": 4}),
    ],
)
def test_model_ranks_of_the_three_branches_match_science_md(setting, ranks):
    cfg = geometry.Config()
    target = cfg.target_neuron(setting)
    pts = geometry.branch_points(target, 3, seed=1)
    assert [b for b, _ in pts] == ["condensed"] * 3 + ["dead1"] * 3 + ["dead2"] * 3
    for b, p in pts:
        assert p.shape == (2, len(target))
        r = jacobian_rank(p, TANH, dim=len(target) - 1, bias=setting == "bias")
        assert r == ranks[b], (setting, b, r)
        d = geometry.training_data(cfg, setting, "positive", 7)
        assert float(loss_and_grad(p[None], d, TANH)[0][0]) < 1e-28  # a global minimum
        if b != "condensed":
            dead = 0 if b == "dead1" else 1
            assert float(p[dead, 0]) == 0.0 and float(p[dead, 1:].norm()) >= 0.3


def test_inputs_and_the_symmetric_grid_halving_without_bias():
    x = geometry.inputs("positive", 4, half_width=2.0)
    assert torch.allclose(x, torch.tensor([0.5, 1.0, 1.5, 2.0], dtype=torch.float64))
    assert torch.allclose(geometry.inputs("even", 3), torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64))
    cfg = geometry.Config()
    p = geometry.branch_points(cfg.target_neuron("no_bias"), 1, seed=0)[1][1]  # a dead-branch point (rank 3)
    from recovery.core.minima import training_jacobian_rank

    for n, pos, sym in (
        (2, 2, 1),
        (3, 3, 1),
        (4, 3, 2),
        (6, 3, 3),
    ):  # odd functions: only floor(n/2) samples count
        assert training_jacobian_rank(p, geometry.training_data(cfg, "no_bias", "positive", n), TANH) == pos
        assert training_jacobian_rank(p, geometry.training_data(cfg, "no_bias", "even", n), TANH) == sym
    assert geometry.expected_separation("no_bias", "positive", "condensed") == 3
    assert geometry.expected_separation("no_bias", "even", "dead1") == 6
    assert geometry.expected_separation("bias", "even", "condensed") == 5
    assert geometry.expected_separation("bias", "even", "dead2") == 4


def test_reduced_run_separation_morse_bott_and_rates():
    cfg = geometry.Config.from_user(**REDUCED)
    s, a = geometry.run(cfg, progress=False)
    assert s["model_rank"]["no_bias"] == {"condensed": [2], "dead1": [3], "dead2": [3]}
    assert s["model_rank"]["bias"] == {"condensed": [3], "dead1": [4], "dead2": [4]}
    assert s["separation_n"]["no_bias"]["positive"] == {"condensed": 3, "dead1": 3, "dead2": 3}
    rows = {r["branch"]: r for r in s["rows"]["no_bias"]}
    assert rows["condensed"]["interpolating_dimension"]["positive"] == {"2": [2], "3": [1], "4": [1]}
    assert rows["condensed"]["zero_eigenvalues"]["positive"]["4"] == [2]  # 2 zero eigenvalues, a line: not MB
    assert rows["condensed"]["morse_bott"]["positive"] == {"2": True, "3": False, "4": False}
    assert rows["dead1"]["morse_bott"]["positive"] == {"2": True, "3": True, "4": True}
    assert (
        s["separation_n"]["bias"]["even"]["dead1"] == 4
    )  # bias: 5 for the condensed branch, not in n_values
    for setting in ("no_bias", "bias"):
        v = s["rates"][setting]
        assert v["dead"]["type"] == "linear" and v["dead"]["ended_dead"] == v["dead"]["starts"] == 2
        assert v["condensed"]["type"] == "sublinear" and abs(v["condensed"]["loss_exponent"] + 2) < 0.3
    assert a["cloud"].shape == (3, 3, 5, 2, 2)
    for key in ("figure", "paper", "parameters", "package_version", "code_hash", "runtime_s", "headline"):
        assert key in s
    json.dumps(s)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"settings": ["nobias"]}, "settings[0]"),
        ({"n_values": [0, 2]}, "n_values[0]"),
        ({"designs": "grid"}, "designs[0]"),
        ({"target_w": 0}, "target_w"),
        ({"rate_eps": 2}, "rate_eps"),
        ({"condensed_time_window": [1e6, 1e9]}, "condensed_time_window"),
        ({"dead_loss_window": [1e-10, 1e-16]}, "dead_loss_window"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        geometry.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_reduced_summary_has_the_ranks_and_the_separation_size():
    s, _ = geometry.run(
        geometry.Config.from_user(**SIZES["geometry"]), progress=False
    )  # the contract tests' size
    assert s["model_rank"]["no_bias"]["condensed"] == [2] and s["model_rank"]["no_bias"]["dead1"] == [3]
    assert s["separation_n"]["no_bias"]["positive"]["condensed"] == 3


def test_caption_helpers_lines_intersections_and_kernel_angles():
    import numpy as np

    from recovery.related import geometry as cap

    t = (1.0, 1.0)
    q1 = np.array([[[a, 1.0], [1.0 - a, 1.0]] for a in (-0.3, 0.2, 0.7)])
    q2 = np.array([[[1.0, 1.0], [0.0, w]] for w in (-0.5, 0.4, 2.0)])
    assert list(cap.assign_branch(q1, t)) == ["Q1"] * 3 and list(cap.assign_branch(q2, t)) == ["Q2"] * 3
    f1, f2 = cap.affine_fit(q1.reshape(-1, 4)), cap.affine_fit(q2.reshape(-1, 4))
    assert f1["dim"] == 1 == f2["dim"]
    p, gap = cap.line_intersection(f1["center"], f1["direction"], f2["center"], f2["direction"])
    assert gap < 1e-12 and np.allclose(p, [1.0, 1.0, 0.0, 1.0])
    # a wrong stated point (the page's check) is caught
    assert np.linalg.norm(p - np.array([0.0, 1.0, 1.0, 1.0])) > 1e-2
    # on Q1 (no bias, 3 positive samples) ker Hess is 2-D and contains the tangent; random directions are far from it
    x = np.array([0.5, 1.0, 1.5])
    K = cap.kernel_basis(cap.loss_hessian(q1[1], x, np.tanh(x)))
    assert K.shape[1] == 2 and cap.angle_to_subspace(cap.q1_tangent(), K) < 1e-6
    assert np.median(cap.random_angles(K, 500)) > 30
    assert np.allclose(cap.project_to_q1(np.array([[0.3, 1.1], [0.5, 0.9]]), t), [[0.4, 1.0], [0.6, 1.0]])
