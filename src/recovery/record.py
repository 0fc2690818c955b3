"""Provenance of a result (:func:`recovery.provenance`): software versions, device, threads, git commit and the
science code hash.

Every ``result.json`` written by the command line carries :func:`provenance` under ``"provenance"``.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

from . import __version__

_PKG = Path(__file__).resolve().parent


def git_commit(path: Path = _PKG) -> str | None:
    """The commit checked out at ``path`` (with ``+dirty`` when tracked files differ), or ``None`` outside a
    git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(device: str = "cpu", **extra: Any) -> dict[str, Any]:
    """Python, torch, numpy and scipy versions, the device and torch's thread count, the git commit (when the
    package runs from a git checkout), the package version and the code hash of the science modules
    (:func:`recovery.cache.code_hash`); ``extra`` is added as given (e.g. scheduler and workers)."""
    import numpy as np
    import scipy
    import torch

    from .cache import code_hash

    out: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "git_commit": git_commit(),
        "package_version": __version__,
        "code_hash": code_hash(),
    }
    if str(device).startswith("cuda") and torch.cuda.is_available():
        out["device_name"] = torch.cuda.get_device_name(torch.device(device))
    out.update(extra)
    return out
