"""Faults a long sweep meets in practice, provoked for real: a killed process, two writers on one cache, a
step-size collapse. Each must leave the cache consistent and the numbers unchanged."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import torch

from recovery import sweeps
from recovery.cache import ResultCache
from recovery.core.data import DataSpec, batch_data
from recovery.core.dynamics import FlowConfig, Status, gradient_flow
from recovery.core.models import get_activation, initial_parameters
from recovery.sweeps import RunConfig, run_many

SCALES = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)
# one configuration per scale and one batch per configuration, so a sweep writes its cache step by step
SWEEP = textwrap.dedent("""
    import sys, time
    from recovery.cache import ResultCache
    from recovery.sweeps import RunConfig, run_many
    cfgs = [RunConfig(seeds=40, init_scale=s, t_max=3e5) for s in {scales}]
    run_many(cfgs, ResultCache(sys.argv[1]), max_batch=40, progress=False)
    print("done", flush=True)
""").format(scales=SCALES)


def _configs() -> list[RunConfig]:
    return [RunConfig(seeds=40, init_scale=s, t_max=3e5) for s in SCALES]


def _sweep(cache_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SWEEP, str(cache_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_sweep_resumes_without_recomputing_and_gives_the_same_numbers(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    proc = _sweep(cache_dir)
    deadline = time.time() + 120

    def entries() -> list:
        return list((cache_dir / sweeps.KIND).glob("*.npz")) if (cache_dir / sweeps.KIND).exists() else []

    while len(entries()) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # no clean-up handlers run
    proc.wait()
    done_before = len(entries())
    assert 2 <= done_before < len(SCALES), "the sweep should have been killed part way"

    calls: list[int] = []
    real = sweeps.gradient_flow
    monkeypatch.setattr(
        sweeps, "gradient_flow", lambda th, *a, **k: calls.append(th.shape[0]) or real(th, *a, **k)
    )
    resumed = run_many(_configs(), ResultCache(cache_dir), max_batch=40, progress=False)
    assert sum(calls) == 40 * (len(SCALES) - done_before)  # only unfinished configurations ran
    monkeypatch.setattr(sweeps, "gradient_flow", real)
    # an uninterrupted sweep with the same batching gives bit-identical numbers (another batching changes the
    # last bits of near-zero weights, ~1e-14 absolute: batched linear algebra rounds by batch size)
    fresh = run_many(_configs(), ResultCache(tmp_path / "fresh"), max_batch=40, progress=False)
    for a, b in zip(resumed, fresh):
        assert np.array_equal(a["final_theta"], b["final_theta"])
        assert np.array_equal(a["label"], b["label"])


def test_two_sweeps_writing_one_cache_at_once_do_not_corrupt_it(tmp_path):
    cache_dir = tmp_path / "cache"
    procs = [_sweep(cache_dir) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and "done" in out, err
    files = list((cache_dir / sweeps.KIND).glob("*.npz"))
    assert len(files) == len(SCALES)
    assert not list((cache_dir / sweeps.KIND).glob("*.tmp")) and not list(cache_dir.rglob("*.corrupt"))
    cache = ResultCache(cache_dir)
    loaded = [cache.load(sweeps.KIND, c.params()) for c in _configs()]
    assert all(x is not None for x in loaded)  # every entry is complete and verified
    fresh = run_many(_configs()[:2], ResultCache(tmp_path / "fresh"), max_batch=40, progress=False)
    for a, b in zip(loaded, fresh):  # same batches, same machine: bit-identical to an undisturbed run
        assert np.array_equal(a["final_theta"], b["final_theta"])


def test_step_size_collapse_is_marked_stalled_and_spares_the_other_trials():
    theta0 = initial_parameters([0, 1, 2], 2, 2, 1e-8)
    data = batch_data([DataSpec()] * 3)
    res = gradient_flow(
        theta0, data, get_activation("tanh"), FlowConfig(t_max=1e3, h_min_rel=1e-3, rtol=1e-12)
    )
    assert (res.status == int(Status.STALLED)).all()  # a required step below 1e-3·t cannot be taken
    theta0[1, 0, 0] = float("inf")
    res = gradient_flow(theta0, data, get_activation("tanh"), FlowConfig(t_max=1e3))
    assert res.status[1] == int(Status.DIVERGED) and (res.status[[0, 2]] == int(Status.HORIZON)).all()
    assert torch.isfinite(res.final_theta[[0, 2]]).all()


def test_a_sweep_with_a_diverging_configuration_still_caches_the_others(tmp_path):
    """A trial marked diverged is stored with its status; its batch-mates are unaffected."""
    cfgs = [RunConfig(seeds=4, init_scale=s, t_max=1e3) for s in (1e-4, 1e-6)]
    out = run_many(cfgs, ResultCache(tmp_path), progress=False)
    assert all((o["status"] == int(Status.HORIZON)).all() for o in out)
    assert all(np.isfinite(o["gen_error"]).all() for o in out)
