"""Figure 8 (reconstructed, which neurons stay active): switch-off times and rank agreement (closed forms), the
Config, a reduced run of both experiments, the notebook and the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest
from figure_sizes import REDUCED

from recovery.config import ParameterError
from recovery.figures import fig8

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_switch_off_time_is_the_checkpoint_after_the_last_active_one():
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    rel = np.array(
        [
            [1.0, 0.5, 0.05, 1.0],
            [1.0, 0.5, 0.05, 0.2],
            [1.0, 0.05, 0.05, 0.05],
            [1.0, 0.2, 0.05, 0.05],  # neuron 2 comes back once, then leaves for good at t = 4
            [1.0, 0.05, 0.05, 0.05],
        ]
    )
    off = fig8.switch_off_times(t, rel, 0.1)
    assert off[0] == np.inf and off[1] == 4.0 and np.isnan(off[2]) and off[3] == 2.0


def test_rank_agreement_top_k_and_cut():
    C = np.array([0.1, -3.0, 2.0, 0.5])  # |C| ranks: neuron 2 > 3 > 4 > 1
    contrib = np.array([0.0, 1.0, 0.5, 0.01])
    a = fig8.rank_agreement(C, contrib, contrib >= 0.1)
    assert a["spearman"] == pytest.approx(1.0) and a["exact_top_k"] and a["n_active"] == 2
    assert a["ratio_active_min"] == pytest.approx(2 / 3) and a["ratio_inactive_max"] == pytest.approx(0.5 / 3)
    b = fig8.rank_agreement(C, contrib, np.array([True, True, False, False]))  # neuron 1 has a small |C|
    assert not b["exact_top_k"] and b["top_k_overlap"] == 0.5


def test_relative_contributions_are_at_most_one_per_checkpoint():
    theta = np.random.default_rng(0).normal(size=(5, 7, 3))
    rel = fig8.relative_contributions(theta)
    assert rel.shape == (5, 7) and np.allclose(rel.max(-1), 1.0) and (rel >= 0).all()


def test_config_reuses_figure5s_runs_and_builds_natural_runs():
    cfg = fig8.Config()
    from recovery.figures import fig5

    assert cfg.prescribed() == fig5.Config().trials()  # the book size shares Figure 5's cache entries
    nat = fig8.Config.from_user(widths="100,50", seeds="4").natural()
    assert [c.width for c in nat] == [50, 100] and all(c.c_ratio_base is None and c.seeds == 4 for c in nat)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"widths": [1]}, "widths[0]"),
        ({"seeds": 0}, "seeds"),
        ({"width": 1}, "width"),
        ({"active_fraction": 0}, "active_fraction"),
        ({"init_scale": 1.0}, "init_scale"),
        ({"nope": 1}, "nope"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        fig8.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_reduced_run_active_neurons_are_the_largest_C():
    s, a = fig8.run(fig8.Config.from_user(**REDUCED["fig8"]), progress=False)  # the contract tests' size
    P = s["prescribed"]
    assert all(P["active_are_largest_C"]) and P["active_neurons"][0] == P["active_neurons"][1]
    assert P["active_neurons"][0][-1] == 60  # the largest prescribed C_i is the last neuron's
    assert min(P["switch_off_spearman_C"]) > 0.9 and P["switch_off_relative_spread_across_trials"] < 0.2
    assert s["natural_exact_top_k"] == [6, 6] and s["natural_min_spearman"] > 0.99
    assert a["nat_C"].shape == (2, 3, 40) and np.isnan(a["nat_C"][0, :, 20:]).all()  # width 20 padded
    assert s["reconstructed"] is True and len(s["headline"]) == 2
    json.dumps(s)
