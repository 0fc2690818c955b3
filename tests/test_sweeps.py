"""Sweeps: one batched program per group, cache hits recompute nothing, interrupted sweeps resume."""

import dataclasses

import numpy as np
import pytest
import torch

from recovery import sweeps
from recovery.cache import ResultCache
from recovery.config import ParameterError
from recovery.experiments.convergence_sets import fig3_summary
from recovery.sweeps import RunConfig, run_many

SMALL = RunConfig(seeds=12, t_max=1e4)


def _counting(monkeypatch, fail_on_call=None):
    calls = []
    real = sweeps.gradient_flow

    def wrapped(theta0, *a, **k):
        calls.append(theta0.shape[0])
        if fail_on_call is not None and len(calls) == fail_on_call:
            raise KeyboardInterrupt("simulated kill")
        return real(theta0, *a, **k)

    monkeypatch.setattr(sweeps, "gradient_flow", wrapped)
    return calls


def test_all_configs_run_as_one_program_and_rerun_recomputes_nothing(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    cfgs = [dataclasses.replace(SMALL, init_scale=s) for s in (1e-4, 1e-6, 1e-8)]
    calls = _counting(monkeypatch)
    first = run_many(cfgs, cache, progress=False)
    assert calls == [36]  # one batched program for 3 scales x 12 seeds
    again = run_many(cfgs, cache, progress=False)
    assert calls == [36]  # nothing recomputed
    for a, b in zip(first, again):
        assert np.array_equal(a["final_theta"], b["final_theta"]) and np.array_equal(a["label"], b["label"])


def test_interrupted_sweep_resumes_without_recomputing(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    cfgs = [dataclasses.replace(SMALL, init_scale=s) for s in (1e-4, 1e-6, 1e-8)]
    calls = _counting(monkeypatch, fail_on_call=2)
    with pytest.raises(KeyboardInterrupt):
        run_many(cfgs, cache, max_batch=12, progress=False)  # batches of one config; killed in the second
    assert calls == [12, 12]
    resumed = run_many(cfgs, cache, max_batch=12, progress=False)
    assert calls == [12, 12, 12, 12]  # only the two unfinished configurations ran
    fresh = run_many(cfgs, ResultCache(tmp_path / "fresh"), progress=False)
    for a, b in zip(resumed, fresh):
        assert np.allclose(a["final_theta"], b["final_theta"], rtol=1e-9, atol=1e-14)


def test_mixed_sample_sizes_share_one_padded_program(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    cfgs = [dataclasses.replace(SMALL, n_samples=n) for n in (4, 6)]
    calls = _counting(monkeypatch)
    mixed = run_many(cfgs, cache, progress=False)
    assert calls == [24]
    alone = run_many([cfgs[0]], ResultCache(tmp_path / "alone"), progress=False)[0]
    assert np.allclose(mixed[0]["final_theta"], alone["final_theta"], rtol=1e-9, atol=1e-14)


def test_summary_fields_and_validation():
    arrays = run_many([SMALL], progress=False)[0]
    s = fig3_summary(SMALL, arrays)
    for key in (
        "threshold_low",
        "threshold_high",
        "fraction_Q1",
        "fraction_Q2",
        "fraction_neither",
        "seeds",
        "reached_set",
        "ratio_abs_C1_over_C2",
        "code_hash",
        "package_version",
        "runtime_s",
        "parameters",
    ):
        assert key in s
    assert abs(s["fraction_Q1"] + s["fraction_Q2"] + s["fraction_neither"] - 1) < 1e-12
    assert len(s["reached_set"]) == 12
    for bad in (
        {"seeds": 0},
        {"init_scale": 0.0},
        {"init_scale": float("nan")},
        {"n_samples": -1},
        {"width": 0},
        {"activation": "relu"},
        {"design": "uniform"},
        {"bogus": 1},
    ):
        with pytest.raises(ParameterError) as e:
            RunConfig.from_user(**bad)
        assert list(bad)[0] in str(e.value) and "\n" not in str(e.value)


def test_run_config_options_reach_the_trials(tmp_path):
    from recovery.core.data import batch_data
    from recovery.core.theory import imbalance_vector

    cfg = RunConfig(
        seeds=3,
        design="gaussian",
        data_per_trial=True,
        data_seed=10,
        width=3,
        c_ratio_base=0.5,
        c_ratio_slope=0.25,
        target_a=2.0,
        target_w=(1.0, -0.5),
        t_max=10.0,
    )
    specs = cfg.data_specs()
    assert [s.data_seed for s in specs] == [10, 11, 12]  # one data set per trial
    assert not torch.equal(specs[0].train_inputs(), specs[1].train_inputs())
    assert specs[0].target(torch.tensor([0.0])).item() == pytest.approx(2.0 * np.tanh(-0.5))
    data = batch_data(specs)
    C = imbalance_vector(cfg.initial_parameters(data), data)
    assert torch.allclose(
        C[:, 1:] / C[:, :1], torch.tensor([[0.75, 1.0]], dtype=torch.float64).expand(3, 2)
    )  # base + slope·(k − 1)
    shared = dataclasses.replace(cfg, data_per_trial=False)
    assert {s.data_seed for s in shared.data_specs()} == {10}
    arrays = run_many([cfg], ResultCache(tmp_path), progress=False)[0]
    assert arrays["final_theta"].shape == (3, 3, 3) and arrays["gen_error"].shape == (3,)
    with pytest.raises(ParameterError, match="target_w"):
        RunConfig.from_user(target_w="1,2,3")
    with pytest.raises(ParameterError, match="data_per_trial"):
        RunConfig.from_user(data_per_trial="sometimes")


def test_handing_freed_batch_memory_back_changes_no_number(tmp_path, monkeypatch):
    """The allocator settings of run_many (fixed mmap threshold, heap trimmed after each batch) only change where
    the arrays live: a chunked run gives the same bits with and without them."""
    cfg = dataclasses.replace(SMALL, seeds=30)
    calls = []
    real = sweeps.return_freed_memory
    monkeypatch.setattr(sweeps, "return_freed_memory", lambda **k: calls.append(k) or real(**k))
    trimmed = run_many([cfg], ResultCache(tmp_path / "a"), max_batch=10, progress=False)[0]
    # once before the batches (with the threshold), after each of the three batches, after the join
    assert calls[0] == {"threshold": True} and len(calls) == 1 + 3 + 1
    monkeypatch.setattr(sweeps, "return_freed_memory", lambda **k: None)
    plain = run_many([cfg], ResultCache(tmp_path / "b"), max_batch=10, progress=False)[0]
    assert trimmed.keys() == plain.keys()
    for k in plain:
        if k != "wall_time":
            assert np.array_equal(trimmed[k], plain[k], equal_nan=True), k
