"""What a command loads: checking a page's parameters needs no numerical module (torch, matplotlib), so a bad
value is refused in a fraction of the time a run takes to start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import recovery
from recovery.core.data import DESIGNS
from recovery.core.models import ACTIVATIONS
from recovery.core.names import ACTIVATION_NAMES
from recovery.core.names import DESIGNS as DESIGN_NAMES

HEAVY = ("torch", "matplotlib", "scipy", "plotly", "dask", "papermill")


def _loaded_after(code: str, tmp_path) -> dict:
    """Run ``code`` in a fresh interpreter; the exit status, stderr and which HEAVY modules it loaded."""
    probe = (
        "import atexit, json, sys\n"
        f"atexit.register(lambda: print(json.dumps([m for m in {HEAVY!r} if m in sys.modules])))\n" + code
    )
    src = str(Path(recovery.__file__).resolve().parent.parent)  # this checkout's package, whatever the cwd
    env = {**os.environ, "RECOVERY_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    return {"rc": out.returncode, "stderr": out.stderr, "loaded": json.loads(out.stdout.splitlines()[-1])}


def test_names_match_what_they_name():
    assert tuple(ACTIVATIONS) == ACTIVATION_NAMES
    assert DESIGNS == DESIGN_NAMES


def test_bad_parameter_is_refused_without_torch(tmp_path):
    r = _loaded_after(
        "from recovery.cli import entry\nsys.argv = ['recovery', 'run', 'fig3', '--seeds', '0']\n"
        "raise SystemExit(entry())",
        tmp_path,
    )
    assert r["rc"] == 2
    assert r["stderr"] == "recovery: error: invalid seeds='0': must be an integer >= 1 and <= 1000000\n"
    assert r["loaded"] == []
    assert not (tmp_path / "results").exists()


def test_page_module_and_its_parameters_load_without_torch(tmp_path):
    r = _loaded_after(
        "import recovery.figures.fig3 as m\ncfg = m.Config.from_user(seeds='40')\n"
        "from recovery.cli import main\nmain(['params', 'fig3'])",
        tmp_path,
    )
    assert r["rc"] == 0, r["stderr"]
    assert r["loaded"] == []


def test_paper_numbers_still_reachable_from_the_page():
    import recovery.figures.fig3 as m
    from recovery.experiments.convergence_sets import PAPER_FIG3

    assert m.PAPER_FIG3 is PAPER_FIG3
