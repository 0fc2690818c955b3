"""Model-rank calculator (arXiv:2307.08921, 2406.18035): SCIENCE.md's values, the CNN/FCN closed forms, the figure's
Config, a reduced recovery run, the CLI and the notebook."""

import json
from pathlib import Path

import pytest

from recovery.config import ParameterError
from recovery.figures import rank_calculator as rc
from recovery.related import rank as R

NB = Path(__file__).resolve().parent.parent / "notebooks"
SMALL_CALC = {
    "tanh_widths": [3],
    "tanh_k_max": 2,
    "conv_length": 4,
    "conv_kernel": 2,
    "conv2d_length": 3,
    "conv2d_kernel": 2,
}


@pytest.mark.parametrize("k, expected", [(1, 6), (2, 12), (3, 18)])
def test_tanh_without_bias_d5_is_k_times_d_plus_1_at_any_width(k, expected):
    # SCIENCE.md: k(d + 1), independent of width (d = 5: 6, 12, 18)
    assert {R.two_layer_rank(k, 5, m) for m in (k, k + 2, 8)} == {expected}


def test_tanh_with_bias_example1_is_3_and_k_times_d0_plus_2():
    assert R.two_layer_rank(1, 1, 2, bias=True) == 3  # Example 1: the main paper's optimistic sample size
    assert R.two_layer_rank(2, 1, 4, bias=True) == R.formula_two_layer(2, 1, True) == 6
    assert R.two_layer_rank(1, 3, 3, bias=True) == 5


def test_matrix_factorization_4x4_is_7_12_15_16_and_generic_16():
    assert [R.matrix_factorization_rank(4, r) for r in (1, 2, 3, 4)] == [7, 12, 15, 16]
    assert [R.formula_matrix_factorization(4, r) for r in (1, 2, 3, 4)] == [7, 12, 15, 16]
    assert R.matrix_factorization_rank(5, 2, hidden=3) == 16  # extra hidden width adds nothing
    assert R.matrix_factorization_generic_rank(4) == 16  # 32 parameters, 16 outputs
    with pytest.raises(ValueError):
        R.matrix_factorization_rank(4, 3, hidden=2)


@pytest.mark.parametrize("dim, L, K", [(1, 5, 2), (1, 6, 3), (2, 3, 2)])
def test_cnn_ranks_match_closed_forms_for_any_channel_count(dim, L, K):
    for readout in ("sum", "position"):
        want = R.formula_cnn(1, K, L, dim, readout)
        assert {R.conv_rank(R.ConvNet(L, K, dim, C, readout)) for C in (1, 2)} == {want}
    assert R.conv_rank(R.ConvNet(L, K, dim, 3, "sum"), k=2) == 2 * (K**dim + 1)


def test_fcn_on_the_cnn_target_pays_for_the_missing_symmetry():
    assert R.fcn_rank_for_conv_target(4, 2, 1) == 4 * 5 == R.formula_fcn_for_cnn_target(1, 4, 1)
    assert R.fcn_rank_for_conv_target(4, 2, 1, extra_width=2) == 20  # width-independent
    assert R.fcn_rank_for_conv_target(3, 2, 2) == 9 * 10


def test_convnet_rejects_bad_shapes_and_counts_parameters():
    with pytest.raises(ValueError):
        R.ConvNet(4, 5)
    with pytest.raises(ValueError):
        R.ConvNet(4, 2, dim=3)
    assert R.ConvNet(6, 3, 1, 2, "sum").n_params == 8 and R.ConvNet(4, 2, 2, 1, "position").n_params == 20


def test_calculator_rows_all_match():
    rows = R.calculator_rows(tanh_ks=(1,), tanh_widths=(2,), conv_length=4, conv_kernel=2, conv2d_length=3)
    assert rows and all(r["match"] for r in rows)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"mc_ranks": [5]}, "mc_ranks[0]"),
        ({"mc_scale": 0}, "mc_scale"),
        ({"conv_kernel": 9}, "conv_kernel"),
        ({"recovery_tol": 2}, "recovery_tol"),
        ({"tanh_n_values": "0,3"}, "tanh_n_values[0]"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        rc.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_reduced_run_no_recovery_below_model_rank(tmp_path, monkeypatch):
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(tmp_path))
    cfg = rc.Config.from_user(
        **SMALL_CALC,
        mc_ranks=[1, 2],
        mc_n_values=[5, 6, 12],
        mc_patterns=3,
        mc_t_max=1e4,
        tanh_n_values=[2, 6],
        tanh_seeds=2,
        tanh_t_max=1e4,
    )
    s, a = rc.run(cfg, progress=False)
    assert s["all_formulas_match"]
    assert s["mc_recovered_below_model_rank"] == 0
    assert s["mc_transitions"]["1"]["fraction"][-1] == 1.0  # 12 of 16 entries: a rank-1 target is recovered
    assert (a["tanh_gen_error"][0] > 1e-4).all()  # n = 2 < model rank 3
    json.dumps(s)


def test_llr_published_ranks_computed_and_a_wrong_published_value_is_caught():
    from recovery.related.rank import LLR_KINDS, LocalNet, formula_llr, llr_rank, published_rows

    for kind, pub in zip(LLR_KINDS, (7, 15, 21)):
        for M in (1, 2):  # the same at every width multiplier
            assert llr_rank(LocalNet(kind, 5, 3, 1, M, True)) == pub == formula_llr(kind, 5, 3, 1, True)
    assert [formula_llr(k, 28, 3, 2, False) for k in LLR_KINDS] == [685, 6760, 530660]
    rows = published_rows(multipliers=(1,), d2_check=4, check_multiplier=1)
    assert all(r["match"] for r in rows)
    # the page's check compares computed with published: a wrong published rank must fail it
    wrong = {**rc.PUBLISHED["ranks"], "1-D cnn": 8}
    with pytest.raises(AssertionError):
        for r in rows:
            assert r["computed"] == wrong[f"{r['dim']}-D {r['kind']}"], r
