"""What a result records about itself, and what its cache key depends on (issue 10): the code hash covers the
science only (editing a plot module re-runs nothing, editing a core module re-runs), ``result.json`` says
whether the cache served it and carries the provenance, and progress bars never reach a notebook's outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import papermill as pm
import pytest

import recovery
from recovery import progress
from recovery.cache import SCIENCE, code_hash, science_files

PKG = Path(recovery.__file__).resolve().parent
NB = PKG.parent.parent / "notebooks"
RUN = ["run", "fig3", "--seeds", "40", "--t-max", "1e3", "--no-progress"]


def _run_copy(root: Path, cache: Path, out: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root), RECOVERY_CACHE_DIR=str(cache))
    r = subprocess.run(
        [sys.executable, "-m", "recovery", *RUN, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return json.loads((out / "result.json").read_text())


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_editing_a_plot_module_is_a_cache_hit_and_editing_the_science_a_miss(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(PKG, root / "recovery", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    first = _run_copy(root, cache, tmp_path / "o1")
    assert first["cache"] == "miss" and first["batches_computed"] == 1

    _append(root / "recovery" / "plots" / "fig3.py", "\n# recoloured: a drawing change only\n")
    _append(root / "recovery" / "cli.py", "\n# a command-line change only\n")
    second = _run_copy(root, cache, tmp_path / "o2")
    assert second["cache"] == "hit" and second["batches_computed"] == 0
    assert second["code_hash"] == first["code_hash"] and second["reached_set"] == first["reached_set"]

    _append(root / "recovery" / "core" / "dynamics.py", "\n# a science change\n")
    third = _run_copy(root, cache, tmp_path / "o3")
    assert third["cache"] == "miss" and third["batches_computed"] == 1
    assert third["code_hash"] != first["code_hash"]
    # provenance of every result; the copy is not a git checkout
    prov = third["provenance"]
    for key in ("python", "torch", "numpy", "scipy", "device", "torch_threads", "code_hash"):
        assert prov[key] not in (None, ""), key
    assert prov["code_hash"] == third["code_hash"] and prov["device"] == "cpu" and prov["git_commit"] is None


def test_the_code_hash_covers_exactly_the_science_modules():
    names = {p.relative_to(PKG).parts[0] for p in science_files()}
    assert names == set(SCIENCE)
    assert not any(
        p.relative_to(PKG).parts[0] in ("plots", "cli.py", "record.py", "progress.py", "distributed.py")
        for p in science_files()
    )
    assert len(code_hash()) == 16


def test_provenance_names_the_versions_and_the_commit_of_a_git_checkout():
    prov = recovery.provenance("cpu", scheduler="in-process")
    import numpy
    import scipy
    import torch

    assert prov["torch"] == torch.__version__ and prov["numpy"] == numpy.__version__
    assert prov["scipy"] == scipy.__version__ and prov["python"] == ".".join(map(str, sys.version_info[:3]))
    assert prov["torch_threads"] == torch.get_num_threads() and prov["scheduler"] == "in-process"
    if (
        subprocess.run(
            ["git", "-C", str(PKG), "rev-parse", "HEAD"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        assert prov["git_commit"] and len(prov["git_commit"].split("+")[0]) == 40


@pytest.mark.parametrize(
    "env, wish, shown",
    [
        ("1", False, True),
        ("on", False, True),
        ("0", True, False),
        ("off", True, False),
        (None, True, True),
        (None, False, False),
    ],
)
def test_progress_follows_recovery_progress_then_the_callers_wish(monkeypatch, env, wish, shown):
    if env is None:
        monkeypatch.delenv(progress.ENV, raising=False)
    else:
        monkeypatch.setenv(progress.ENV, env)
    assert progress.enabled(wish) is shown  # outside a kernel
    assert type(progress.bar(total=1, progress=wish)).__module__ == "tqdm.std"  # never the notebook widget


def test_a_notebook_run_with_a_cold_cache_carries_no_widget_or_progress_output(tmp_path, monkeypatch):
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(tmp_path / "cold"))
    monkeypatch.delenv(progress.ENV, raising=False)
    out = tmp_path / "fig3.ipynb"
    pm.execute_notebook(
        str(NB / "fig3_convergence_sets.ipynb"),
        str(out),
        cwd=str(NB),
        progress_bar=False,
        parameters={"seeds": 60, "t_max": 3e4, "slider_scales": [1e-4, 1e-8]},
    )
    assert list((tmp_path / "cold").rglob("*.npz")), "the cache was cold: the notebook computed"
    nb = json.loads(out.read_text())
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            assert not any(k.startswith("application/vnd.jupyter.widget") for k in o.get("data", {})), o
            if o.get("output_type") == "stream":
                assert "gradient flow" not in o["text"] and "batches" not in "".join(o["text"]), o
    assert "application/vnd.jupyter.widget" not in json.dumps(nb.get("metadata", {}))


def test_every_part_of_the_package_is_either_science_or_presentation():
    """A new module or folder must be placed on one side: science (in the cache key) or presentation (not)."""
    from recovery.cache import _PKG, PRESENTATION, SCIENCE

    parts = {p.name for p in _PKG.iterdir() if p.suffix == ".py" or (p.is_dir() and any(p.glob("*.py")))}
    assert parts == set(SCIENCE) | (set(PRESENTATION) & parts), parts - set(SCIENCE) - set(PRESENTATION)
    assert not set(SCIENCE) & set(PRESENTATION)
