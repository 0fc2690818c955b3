"""Faults from the environment, provoked for real (issue 15): unusable output or cache folders, a full disk
(a file-size limit set with ``ulimit -f`` in the child process), Ctrl-C and SIGTERM during a sweep, and sweeps
larger than memory. Each must fail early with one line, leave nothing partial behind, keep the finished
batches and resume with the same command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import papermill as pm
import pytest

from recovery import sweeps
from recovery.cache import ResultCache
from recovery.config import PlaceError, ResourceError
from recovery.sweeps import BASE_MEMORY, RunConfig, memory_estimate, run_many

NB = Path(__file__).resolve().parent.parent / "notebooks"
SMALL = ["--seeds", "200", "--batch-size", "50", "--t-max", "3e4", "--no-progress"]  # 4 batches of 50 trials


def _sigint_default() -> None:
    """In the child: SIGINT as from a terminal, not ignored (a background job of a non-interactive shell inherits
    SIG_IGN for it, and a program keeps what it inherits)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(*args: str, cache: Path, limit_kb: int | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, RECOVERY_CACHE_DIR=str(cache))
    cmd = [sys.executable, "-m", "recovery", *args]
    if limit_kb is not None:  # a real file-size limit: writes beyond it fail with EFBIG ("File too large")
        cmd = ["bash", "-c", f'ulimit -f {limit_kb} && exec "$@"', "bash", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)


def _one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- places checked before the work -------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["out_is_file", "out_under_file", "cache_is_file", "cache_uncreatable"])
def test_unusable_output_or_cache_folder_exits_2_before_any_work(tmp_path, case):
    afile = tmp_path / "afile"
    afile.write_text("x")
    cache, out = tmp_path / "cache", tmp_path / "out"
    if case == "out_is_file":
        out, name = afile, "--out"
    elif case == "out_under_file":
        out, name = afile / "sub", "--out"
    elif case == "cache_is_file":
        cache, name = afile, "RECOVERY_CACHE_DIR"
    else:  # nothing can be created under /proc, not even by root
        cache, name = Path("/proc/recovery-test-cache"), "RECOVERY_CACHE_DIR"
    r = _cli("run", "fig3", *SMALL, "--out", str(out), cache=cache)
    assert r.returncode == 2
    line = _one_line(r)
    assert line.startswith(f"recovery: error: cannot use {name} {out if name == '--out' else cache}"), line
    # nothing written: no cache entry (the sweep never ran) and no output
    assert not (tmp_path / "cache").exists() and not (tmp_path / "out").exists()
    assert afile.read_text() == "x" and sorted(tmp_path.iterdir()) == [afile]


def test_unusable_cache_folder_is_a_clear_error_from_the_api_and_papermill(tmp_path, monkeypatch):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(PlaceError, match=f"cannot use cache folder {afile}: is a file"):
        run_many([RunConfig(seeds=3, t_max=10.0)], ResultCache(afile), progress=False)
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(afile))
    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(
            str(NB / "fig3_convergence_sets.ipynb"),
            str(tmp_path / "o.ipynb"),
            cwd=str(NB),
            progress_bar=False,
            parameters={"seeds": 20, "t_max": 1e3},
        )
    assert f"cannot use RECOVERY_CACHE_DIR {afile}: is a file, not a folder" in str(e.value)
    assert afile.read_text() == "x"


# --- full disk -----------------------------------------------------------------------------------------------


def test_full_disk_fails_with_one_line_leaves_nothing_partial_and_the_rerun_resumes(tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    # 1) the limit refuses the first cache entry (~390 KB): nothing partial in the cache, no output
    r = _cli("run", "fig3", *SMALL, "--out", str(out), cache=cache, limit_kb=100)
    assert r.returncode == 1
    line = _one_line(r)
    assert "could not write cache entry" in line and str(cache) in line and "File too large" in line, line
    assert _files(cache) == [] and not out.exists()

    # 2) cache entries fit, the compressed arrays of all 200 trials (~1.3 MB) do not: no output file at all,
    #    every batch kept in the cache
    r = _cli("run", "fig3", *SMALL, "--out", str(out), cache=cache, limit_kb=600)
    assert r.returncode == 1
    line = _one_line(r)
    assert f"could not write arrays {out / 'arrays.npz'}: File too large" in line, line
    assert not out.exists()  # not even an empty folder, nor a temporary file
    entries = _files(cache)
    assert len(entries) == 4 and all(p.suffix == ".npz" for p in entries)
    for p in entries:  # complete, loadable entries
        with np.load(p) as z:
            assert "label" in z.files

    # 3) space freed: the same command completes from the cache without computing anything
    r = _cli("run", "fig3", *SMALL, "--out", str(out), cache=cache)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "result.json").read_text())
    assert s["cache"] == "hit" and s["batches_computed"] == 0 and len(s["reached_set"]) == 200
    assert sorted(p.name for p in out.iterdir()) == ["arrays.npz", "figure.png", "result.json"]


# --- interrupts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_at_once_keeps_finished_batches_and_the_same_command_resumes(tmp_path, sig):
    cache, out = tmp_path / "cache", tmp_path / "out"
    args = ["run", "fig3", "--seeds", "400", "--batch-size", "50", "--no-progress", "--out", str(out)]
    env = dict(os.environ, RECOVERY_CACHE_DIR=str(cache))
    proc = subprocess.Popen(
        [sys.executable, "-m", "recovery", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_sigint_default,
    )
    deadline = time.time() + 300
    while len(list(cache.glob("trials/*.npz"))) < 1 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=30)  # a generous bound for a loaded CI machine; typically < 0.1 s
    finally:
        proc.kill()
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"interrupted by {sig.name}" in lines[0] and "run the same command" in lines[0]
    kept = len(list(cache.glob("trials/*.npz")))
    assert 1 <= kept < 8, "the sweep should have been interrupted part way"
    assert not list(cache.rglob("*.tmp")) and not out.exists()
    if sig == signal.SIGINT:
        r = _cli(*args, cache=cache)
        assert r.returncode == 0, r.stderr
        s = json.loads((out / "result.json").read_text())
        assert s["batches_computed"] == 8 - kept and s["cache"] == "miss" and len(s["reached_set"]) == 400


# --- bounded memory ------------------------------------------------------------------------------------------


def test_a_configuration_is_split_into_cached_batches_that_resume(tmp_path, monkeypatch):
    cfg = RunConfig(seeds=120, t_max=1e3)
    whole = run_many([cfg], ResultCache(tmp_path / "whole"), progress=False)[0]
    cache = ResultCache(tmp_path / "batched")
    batched = run_many([cfg], cache, max_batch=50, progress=False)[0]
    entries = sorted((tmp_path / "batched" / sweeps.KIND).glob("*.npz"))
    assert len(entries) == 3  # 50 + 50 + 20 seeds
    assert np.array_equal(batched["seeds"], np.arange(120)) and np.array_equal(
        batched["label"], whole["label"]
    )
    np.testing.assert_allclose(batched["final_theta"], whole["final_theta"], rtol=1e-10, atol=1e-300)
    entries[1].unlink()  # as if interrupted before this batch finished
    calls: list[int] = []
    real = sweeps.gradient_flow
    monkeypatch.setattr(
        sweeps, "gradient_flow", lambda th, *a, **k: calls.append(th.shape[0]) or real(th, *a, **k)
    )
    again = run_many([cfg], cache, max_batch=50, progress=False)[0]
    assert len(calls) == 1 and calls[0] in (50, 20)  # only the missing batch ran
    for k in again:
        if k != "wall_time":
            assert np.array_equal(again[k], batched[k]), k


def test_a_run_larger_than_memory_is_refused_up_front_with_the_estimate(tmp_path):
    huge = RunConfig(seeds=1_000_000, checkpoints_per_decade=1000)
    with pytest.raises(
        ResourceError, match=r"refusing to run 1000000 trials: estimated memory [0-9.]+ GiB exceeds"
    ):
        run_many([huge], ResultCache(tmp_path / "c"), progress=False)
    assert not (tmp_path / "c").exists()
    r = _cli(
        "run",
        "fig3",
        "--seeds",
        "1000000",
        "--checkpoints-per-decade",
        "1000",
        "--out",
        str(tmp_path / "o"),
        cache=tmp_path / "c",
    )
    assert r.returncode == 2 and "estimated memory" in _one_line(r) and "GiB available" in _one_line(r)
    assert sorted(tmp_path.iterdir()) == []


# The peak is this process's own high-water mark (VmHWM), not getrusage's ru_maxrss: Linux carries ru_maxrss over
# an exec, so a child started from a large pytest worker would report the worker's size.
MEASURE = """
import sys
from recovery.cache import ResultCache
from recovery.sweeps import RunConfig, memory_estimate, run_many
cfg = RunConfig(seeds=3000, t_max=1e5)
run_many([cfg], ResultCache(sys.argv[1]), max_batch=1000, progress=False)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) * 1024, memory_estimate([cfg], 1000))
"""


def test_the_memory_estimate_bounds_the_measured_peak(tmp_path):
    r = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    peak, est = map(int, r.stdout.split())
    assert peak <= est <= 2.5 * peak, (peak, est)
    # batches bound the working memory: 30000 seeds in batches of 1000 need far less than in one batch (beyond the
    # interpreter's base, which no batching changes)
    big = [RunConfig(seeds=30_000, t_max=1e5)]
    assert memory_estimate(big, 1000) - BASE_MEMORY < (memory_estimate(big, 30_000) - BASE_MEMORY) / 3


# --- make book interrupted -----------------------------------------------------------------------------------


def test_an_interrupted_vendor_step_leaves_no_truncated_asset_and_the_rerun_completes(tmp_path):
    """``make book`` fetches its JavaScript once (tools/vendor_assets.sh, skipped when present): a copy cut off
    part way (here by a real file-size limit) must not leave a truncated plotly.min.js that the next run takes
    as done. (The book build itself starts from a fresh Sphinx environment, ``--all``, so it keeps no state.)"""
    root = Path(__file__).resolve().parent.parent
    (tmp_path / "tools").mkdir()
    script = tmp_path / "tools" / "vendor_assets.sh"
    script.write_text((root / "tools" / "vendor_assets.sh").read_text())
    mathjax = tmp_path / "book" / "vendor" / "mathjax" / "es5" / "tex-chtml.js"
    mathjax.parent.mkdir(parents=True)
    mathjax.write_text("// present")  # only the plotly step runs
    plotly = tmp_path / "book" / "vendor" / "plotly.min.js"
    cmd = f"ulimit -f 100 && bash {script} {sys.executable}"
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode != 0 and not plotly.exists()
    r = subprocess.run(
        ["bash", str(script), sys.executable], capture_output=True, text=True, timeout=120, check=False
    )
    assert r.returncode == 0, r.stderr
    import plotly as plotly_pkg

    source = Path(plotly_pkg.__file__).parent / "package_data" / "plotly.min.js"
    assert plotly.read_bytes() == source.read_bytes()


BOOK_CELL = """
import pathlib, time
from myst_nb import glue
glue('page_key', 1.0, display=False)
flag = pathlib.Path({flag!r})
if not flag.exists():  # the first build: say we are executing, then take long enough to be interrupted
    flag.write_text('started')
    time.sleep(300)
"""


def test_an_interrupted_book_build_builds_when_run_again(tmp_path):
    """Ctrl-C in the middle of the notebook execution of the build `make book` uses, then the same command."""
    import nbformat

    root = Path(__file__).resolve().parent.parent
    book, flag = tmp_path / "book-root", tmp_path / "executing"
    (book / "book" / "vendor").mkdir(parents=True)
    (book / "notebooks").mkdir()
    (book / "_config.yml").write_text((root / "_config.yml").read_text())
    shutil.copytree(root / "book" / "css", book / "book" / "css")  # named by it
    (book / "book" / "references.bib").write_text(
        (root / "book" / "references.bib").read_text()
    )  # named by it
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/page\n")
    (book / "book" / "intro.md").write_text("# Intro\nSee {doc}`../notebooks/page`.\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Page\nvalue {glue:text}`page_key`"),
        nbformat.v4.new_code_cell(BOOK_CELL.format(flag=str(flag))),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, book / "notebooks" / "page.ipynb")
    cmd = ["make", "-s", "-C", str(root), "build-html", f"BOOK_ROOT={book}"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_sigint_default,
    )
    deadline = time.time() + 300
    while not flag.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert flag.exists(), proc.communicate()[0][-3000:]
    os.killpg(
        proc.pid, signal.SIGINT
    )  # Ctrl-C reaches the whole foreground group: make, jupyter-book, kernel
    try:
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert "1.0" in (book / "_build" / "html" / "notebooks" / "page.html").read_text()
