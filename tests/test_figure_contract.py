"""What every page of the book promises, tested once over the figure registry (the science of each page is
tested in its own test file):

* its notebook runs for real at a reduced size through papermill, ends with "all checks passed" and draws its
  figures (their div ids); in the same kernel its checks then fail on a deliberately wrong input
  (``figure_sizes.WRONG_INPUT``, see tests/test_checks_fail.py), and, before the page runs, its run cell with a
  bad parameter (``figure_sizes.BAD``) stops at the validator's one-line message (one kernel per page: starting
  one is most of the cost of a small run);
* ``recovery reproduce --quick`` writes, for every registered figure at its ``QUICK_SIZE``, result.json (the
  parameters, code hash, provenance, cache status and headline), arrays.npz and a stamped figure.png (``recovery
  run NAME`` writes them with the same code; tests/test_cli.py runs it);
* ``recovery run NAME`` with the bad parameter exits with status 2, one line on stderr, nothing written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from figure_sizes import (
    BAD,
    BAD_PARAMETER_LINE,
    CHECKS_NEED_BOOK_SIZE,
    DIVS,
    NOTEBOOKS,
    REDUCED,
    WRONG_INPUT,
    cli_options,
    notebook_parameters,
    with_bad_parameter,
    with_wrong_input,
)

from recovery.figures import FIGURES, get

NB = Path(__file__).resolve().parent.parent / "notebooks"
PAGES = [name for name in FIGURES if name in NOTEBOOKS]
# every notebook with parameters: the figures, and pages without a figure or a CLI run (named results)
NOTEBOOK_PAGES = PAGES + [name for name in NOTEBOOKS if name not in FIGURES]


def test_every_registered_figure_has_a_row_in_the_table():
    assert set(FIGURES) <= set(NOTEBOOKS) == set(REDUCED) == set(DIVS) == set(BAD)
    for name in FIGURES:
        assert (NB / f"{NOTEBOOKS[name]}.ipynb").is_file(), name
        get(name).Config.from_user(**REDUCED[name])  # the reduced size is a valid configuration


def _jsonable(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_notebook_runs_at_reduced_size_draws_its_figures_and_its_checks_fail_on_a_wrong_input(name, tmp_path):
    """One kernel per page: its run cell with a bad parameter (must stop at the one-line ParameterError), the
    notebook as it is (must pass its checks and draw its figures), then its checks again on the same results (must
    pass: re-running them changes nothing), then once more after a wrong input (must fail in the checks cell).
    See tests/test_checks_fail.py for the wrong inputs."""
    out = tmp_path / f"{name}.ipynb"
    src = tmp_path / f"{name}-with-wrong-input.ipynb"
    checked = name not in CHECKS_NEED_BOOK_SIZE
    page = NB / f"{NOTEBOOKS[name]}.ipynb"
    nb = with_wrong_input(page, WRONG_INPUT[name]) if checked else nbformat.read(page, as_version=4)
    param, value, message = BAD[name]
    nbformat.write(with_bad_parameter(nb, param, value), src)
    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(
            str(src),
            str(out),
            cwd=str(NB),
            progress_bar=False,
            parameters=_jsonable(notebook_parameters(name)),
        )
    assert e.value.ename == "AssertionError", (
        e.value.ename,
        e.value.evalue,
    )  # a science check, not the machinery
    cells = json.loads(out.read_text())["cells"]
    failed = [
        i for i, c in enumerate(cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    assert len(failed) == 1 and "all checks passed" in "".join(cells[failed[0]]["source"]), failed
    if checked:  # the page as it is passed its checks, twice; only the wrong input made them fail
        assert cells[failed[0]]["metadata"].get("wrong_input_pass") == "wrong", failed
        passed = [c for c in cells if c["metadata"].get("wrong_input_pass") == "control"]
        assert passed and all(not any(o.get("output_type") == "error" for o in c["outputs"]) for c in passed)
        assert "all checks passed" in json.dumps([c.get("outputs", []) for c in cells[: failed[0]]])
    text = out.read_text()
    for div in DIVS[name]:
        assert div in text, div
    (bad,) = [c for c in cells if c["metadata"].get("wrong_input_pass") == "bad parameter"]
    printed = "".join("".join(o.get("text", "")) for o in bad["outputs"])  # stored as a list of lines
    assert printed.startswith(f"{BAD_PARAMETER_LINE}ParameterError: {message}"), printed
    assert printed.count("\n") == 1, printed  # one line


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recovery", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory) -> tuple[Path, str]:
    """``recovery reproduce --quick``: every registered figure at its ``QUICK_SIZE``, in one process (the same
    writing code as ``recovery run``; one start-up instead of one per figure). The tests below share it, one unit
    of work for pytest-xdist (conftest.py)."""
    out = tmp_path_factory.mktemp("reproduce")
    r = _run("reproduce", "--quick", "--out", str(out), "--no-progress")
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def test_reproduce_runs_every_registered_figure(reproduced):
    out, _ = reproduced
    assert sorted(p.name for p in out.iterdir()) == sorted(FIGURES)


@pytest.mark.parametrize("name", PAGES)
def test_cli_run_writes_result_arrays_and_figure(name, reproduced):
    out, stdout = reproduced[0] / name, reproduced[1]
    s = json.loads((out / "result.json").read_text())
    json.dumps(s, allow_nan=False)  # strict JSON: no NaN or inf sneaks into result.json
    module = get(name)
    expected = module.Config.from_user(**module.QUICK_SIZE).params()
    assert s["parameters"] == json.loads(json.dumps(expected))
    assert len(s["code_hash"]) == 16 and s["figure"] == name
    assert s["cache"] in {"hit", "miss", "none"} and s["scheduler"] == "in-process"
    assert {"python", "torch", "numpy", "scipy", "device", "torch_threads", "code_hash"} <= set(
        s["provenance"]
    )
    assert (out / "arrays.npz").stat().st_size > 0 and (out / "figure.png").stat().st_size > 10_000
    assert s["headline"]
    for line in s["headline"]:
        assert line in stdout


@pytest.mark.parametrize("name", PAGES)
def test_cli_rejects_a_bad_parameter_with_exit_status_2(name, tmp_path):
    param, value, message = BAD[name]
    out = tmp_path / "bad"
    r = _run("run", name, *cli_options({param: value}), "--out", str(out))
    assert r.returncode == 2
    # the CLI passes strings, so the value is quoted ('0' for 0); the allowed range is the same line's end
    assert r.stderr.startswith(f"recovery: error: invalid {param}") and r.stderr.count("\n") == 1
    if ": " in message:
        assert message.split(": ", 1)[1] in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("name", PAGES)
def test_page_module_has_the_registry_interface(name):
    mod = get(name)
    for attr in ("DESCRIPTION", "PAPER_SIZE", "QUICK_SIZE", "Config", "run"):
        assert hasattr(mod, attr), f"{name} lacks {attr}"
    assert callable(__import__(f"recovery.plots.{name}", fromlist=["write_png"]).write_png)
    mod.Config.from_user(**mod.QUICK_SIZE)
    mod.Config.from_user(**mod.PAPER_SIZE)
