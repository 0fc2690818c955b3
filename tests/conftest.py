"""Fixtures shared by test modules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The whole book built once per test session with `make book` (the browser and PDF tests share it).

    The build uses this test session's results cache, so the notebooks' computations are shared with nbval."""
    r = subprocess.run(["make", "-s", "-C", str(ROOT), "book"], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, (r.stdout + r.stderr)[-5000:]
    return ROOT / "_build" / "html"
