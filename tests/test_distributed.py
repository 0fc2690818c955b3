"""Sweeps on Dask and on a chosen device (issue 13): a real ``dask scheduler`` with two ``dask worker`` processes
on 127.0.0.1 runs a sweep through the CLI, and its numbers are identical to the in-process run; a LocalCluster
through the API likewise; an unusable scheduler or device is one line, exit 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from recovery.cache import ResultCache, tracking
from recovery.config import ParameterError
from recovery.sweeps import RunConfig, check_device, check_scheduler, run_many

SRC = str(Path(__file__).resolve().parent.parent / "src")
DASK = str(Path(sys.executable).with_name("dask"))
SWEEP = ["--seeds", "160", "--batch-size", "40", "--t-max", "3e4", "--no-progress"]  # 4 batches


def _env(cache: Path) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, RECOVERY_CACHE_DIR=str(cache), PYTHONPATH=SRC + (":" + path if path else ""))


def _cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recovery", *args],
        capture_output=True,
        text=True,
        env=_env(cache),
        timeout=600,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real scheduler and two single-threaded workers on 127.0.0.1, stopped afterwards."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = _env(tmp_path / "unused-cache")
    logs = [open(tmp_path / f"{n}.log", "w") for n in ("scheduler", "worker1", "worker2")]
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        )
    ]
    try:
        deadline = time.time() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline and procs[0].poll() is None, (
                    tmp_path / "scheduler.log"
                ).read_text()
                time.sleep(0.2)
        for log in logs[1:]:
            procs.append(
                subprocess.Popen(
                    [
                        DASK,
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--nworkers",
                        "1",
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


def _compare(a: Path, b: Path) -> None:
    sa, sb = (json.loads((p / "result.json").read_text()) for p in (a, b))
    for k in ("reached_set", "ratio_abs_C1_over_C2", "threshold_low", "threshold_high", "fraction_Q1"):
        assert sa[k] == sb[k], k
    with np.load(a / "arrays.npz") as x, np.load(b / "arrays.npz") as y:
        assert x.files == y.files
        for k in x.files:
            if k not in ("wall_time", "runtime_s"):
                assert np.array_equal(x[k], y[k]), k


def test_a_sweep_on_a_dask_scheduler_with_two_workers_equals_the_in_process_run(tmp_path, dask_cluster):
    r = _cli(
        "run",
        "fig3",
        *SWEEP,
        "--scheduler",
        dask_cluster,
        "--out",
        str(tmp_path / "dask"),
        cache=tmp_path / "c-dask",
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "dask" / "result.json").read_text())
    assert s["scheduler"] == dask_cluster and s["workers"] == 2 and s["cache"] == "miss"
    assert s["provenance"]["scheduler"] == dask_cluster and s["provenance"]["workers"] == 2
    assert len(list((tmp_path / "c-dask" / "trials").glob("*.npz"))) == 4  # the client wrote every batch
    r = _cli("run", "fig3", *SWEEP, "--out", str(tmp_path / "local"), cache=tmp_path / "c-local")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "local" / "result.json").read_text())["scheduler"] == "in-process"
    _compare(tmp_path / "dask", tmp_path / "local")
    # a sweep computed on the cluster resumes (here: is complete) in-process from the same cache
    r = _cli("run", "fig3", *SWEEP, "--out", str(tmp_path / "again"), cache=tmp_path / "c-dask")
    assert (
        r.returncode == 0 and json.loads((tmp_path / "again" / "result.json").read_text())["cache"] == "hit"
    )


def test_a_local_cluster_through_the_api_gives_identical_numbers(tmp_path):
    cfgs = [RunConfig(seeds=30, init_scale=s, t_max=1e4) for s in (1e-4, 1e-8)]
    with tracking() as log:
        on_dask = run_many(
            cfgs, ResultCache(tmp_path / "a"), max_batch=30, progress=False, scheduler="local:2"
        )
    assert log.scheduler == "local:2" and log.workers == 2 and log.batches == 2
    here = run_many(cfgs, ResultCache(tmp_path / "b"), max_batch=30, progress=False)
    for x, y in zip(on_dask, here):
        for k in x:
            if k != "wall_time":
                assert np.array_equal(x[k], y[k]), k


def test_unreachable_scheduler_and_bad_scheduler_exit_2_with_one_line(tmp_path):
    r = _cli(
        "run",
        "fig3",
        *SWEEP,
        "--scheduler",
        f"tcp://127.0.0.1:{_free_port()}",
        "--out",
        str(tmp_path / "o"),
        cache=tmp_path / "c",
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "invalid scheduler='tcp://127.0.0.1:" in r.stderr and "no Dask scheduler answered" in r.stderr
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob("c/trials/*.npz"))
    for bad in ("local:0", "local:x", "http://x", "", 3):
        if bad == "":
            assert check_scheduler(bad) is None  # empty means in-process
            continue
        with pytest.raises(ParameterError, match="invalid scheduler="):
            check_scheduler(bad)
    assert check_scheduler("local:3") == ("local", 3) and check_scheduler(None) is None


def test_device_option_runs_the_integrator_there_and_an_unavailable_device_exits_2(tmp_path):
    cfg = RunConfig(seeds=20, t_max=1e3)
    a = run_many([cfg], ResultCache(tmp_path / "a"), progress=False, device=torch.device("cpu"))[0]
    b = run_many([cfg], ResultCache(tmp_path / "b"), progress=False)[0]
    assert np.array_equal(a["final_theta"], b["final_theta"])
    for bad in ("tpu", "cuda:99", "gpu", 7):
        with pytest.raises(ParameterError, match="invalid device="):
            check_device(bad)
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the unavailable-device message cannot be provoked")
    with pytest.raises(ParameterError, match="invalid device='cuda': CUDA is not available"):
        run_many([cfg], ResultCache(tmp_path / "c"), progress=False, device="cuda")
    r = _cli("run", "fig3", *SWEEP, "--device", "cuda", "--out", str(tmp_path / "o"), cache=tmp_path / "c")
    assert r.returncode == 2 and r.stderr.strip() == (
        "recovery: error: invalid device='cuda': CUDA is not available on this machine; use cpu"
    )
    assert not (tmp_path / "o").exists()
