"""The project's environment files agree with each other, and the book's table of contents is complete.

* requirements.txt and environment.yml pin exactly the same packages at exactly the same versions;
* torch is pinned ``torch==2.13.0`` in requirements.txt, environment.yml and pyproject.toml (an unpinned
  or ranged torch makes pip pull a multi-GB CUDA build);
* every page named in _toc.yml exists.

Pure Python and fast: nothing is installed or imported from the package.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TORCH_PIN = "torch==2.13.0"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def _canonical(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines: list[str], source: str) -> dict[str, str]:
    """{normalized name: version} of ``name==version`` lines; anything else that is a requirement fails."""
    pins: dict[str, str] = {}
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line == "-e .":
            continue
        match = _PIN.match(line)
        assert match, f"{source}: {line!r} is not an exact 'name==version' pin"
        name = _canonical(match.group(1))
        assert name not in pins, f"{source}: {name} is listed twice"
        pins[name] = match.group(2)
    return pins


def _requirements_lines() -> list[str]:
    return (ROOT / "requirements.txt").read_text().splitlines()


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _environment_pip_lines() -> list[str]:
    deps = _environment()["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml must have exactly one 'pip:' list"
    return [str(x) for x in pip_sections[0]]


def test_requirements_and_environment_pin_the_same_packages():
    req = _pins(_requirements_lines(), "requirements.txt")
    env = _pins(_environment_pip_lines(), "environment.yml")
    assert req, "requirements.txt pins nothing"
    only_req = {k: v for k, v in req.items() if env.get(k) != v}
    only_env = {k: v for k, v in env.items() if req.get(k) != v}
    assert req == env, f"pins differ: requirements.txt {only_req} vs environment.yml {only_env}"


def test_pyproject_extras_pin_exactly_what_requirements_pins():
    """Optional dependencies (the Dask extra) carry the exact pins of requirements.txt."""
    req = _pins(_requirements_lines(), "requirements.txt")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("optional-dependencies", {})
    for name, lines in extras.items():
        pins = _pins([re.sub(r"\[.*?\]", "", x) for x in lines], f"pyproject.toml [{name}]")
        assert pins and all(req.get(k) == v for k, v in pins.items()), f"[{name}] {pins} vs requirements.txt"
    assert req.get("distributed") == req.get("dask"), "dask and distributed are released together"


def test_environment_yml_installs_python311_pip_and_the_package():
    deps = _environment()["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    assert "python=3.11" in conda
    assert "pip" in conda
    assert "-e ." in _environment_pip_lines()


def _torch_specs(lines: list[str]) -> list[str]:
    return [
        re.sub(r"\s+", "", line.split("#", 1)[0])
        for line in lines
        if re.match(r"^\s*torch\b(?![-_.\w])", line.split("#", 1)[0])
    ]


@pytest.mark.parametrize("source", ["requirements.txt", "environment.yml", "pyproject.toml"])
def test_torch_is_pinned_exactly(source: str):
    if source == "requirements.txt":
        specs = _torch_specs(_requirements_lines())
    elif source == "environment.yml":
        specs = _torch_specs(_environment_pip_lines())
    else:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        lines = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            lines.extend(extra)
        specs = _torch_specs(lines)
    assert specs == [TORCH_PIN], f"{source}: torch specs {specs}, expected exactly [{TORCH_PIN!r}]"


def _toc_files(node) -> list[str]:
    """Every 'file' (and the 'root') named anywhere in a sphinx-external-toc tree."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("root", "file") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_toc_files(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_toc_files(item))
    return found


def _exists(docname: str) -> bool:
    path = ROOT / docname
    if path.suffix in (".md", ".ipynb", ".rst") and path.is_file():
        return True
    return any(path.with_name(path.name + suffix).is_file() for suffix in (".md", ".ipynb", ".rst"))


def test_toc_references_only_existing_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = _toc_files(toc)
    assert toc.get("root") in files, "_toc.yml has no root page"
    missing = [f for f in files if not _exists(f)]
    assert not missing, f"_toc.yml names pages that do not exist: {missing}"


def test_every_notebook_and_book_page_is_in_the_toc():
    """A notebook missing from _toc.yml would silently drop out of the book (and of the browser check)."""
    files = set(_toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text())))
    pages = [
        p.relative_to(ROOT).with_suffix("").as_posix()
        for p in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md"))
    ]
    assert [p for p in pages if p not in files] == []
