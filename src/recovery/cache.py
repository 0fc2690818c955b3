"""On-disk results cache: one ``.npz`` file per entry, keyed by the parameters and a hash of the package code.

* Key = sha256 of (kind, parameters as sorted JSON, :func:`code_hash`). Changing any source file of the
  package changes every key, so a cached number can never come from older code.
* Writes are atomic: the file is written to a temporary name in the same folder, flushed and fsynced, then
  ``os.replace``-d into place. A killed writer leaves at most a stray ``*.tmp`` file, never a partial entry,
  and two writers of the same entry simply replace one complete file with another.
* Reads are verified: a truncated or corrupted file (bad zip, CRC mismatch, wrong key inside) is reported
  with a warning, moved aside to ``*.corrupt`` and treated as missing, so it is recomputed.

The folder is ``$RECOVERY_CACHE_DIR`` if set, else ``.cache/recovery`` in the project checkout, else
``~/.cache/recovery``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_PKG = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_hash() -> str:
    """sha256 (first 16 hex digits) over every ``.py`` file of the package, names and contents."""
    h = hashlib.sha256()
    for p in sorted(_PKG.rglob("*.py")):
        h.update(p.relative_to(_PKG).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    env = os.environ.get("RECOVERY_CACHE_DIR")
    if env:
        return Path(env)
    root = _PKG.parent.parent  # src/recovery -> checkout root for an editable install
    if (root / "pyproject.toml").is_file():
        return root / ".cache" / "recovery"
    return Path.home() / ".cache" / "recovery"


def _canonical(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def entry_key(kind: str, params: dict[str, Any]) -> str:
    """The cache key of an entry: parameters and code version together."""
    blob = f"{kind}\n{_canonical(params)}\n{code_hash()}".encode()
    return hashlib.sha256(blob).hexdigest()[:32]


class CorruptEntry(Exception):
    """An entry on disk that cannot be trusted."""


class ResultCache:
    """A folder of verified, atomically written result entries (see module docstring)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, kind: str, params: dict[str, Any]) -> Path:
        return self.root / kind / f"{entry_key(kind, params)}.npz"

    def load(self, kind: str, params: dict[str, Any]) -> dict[str, np.ndarray] | None:
        """The arrays of an entry, or ``None`` if missing or corrupt (corrupt files are moved aside)."""
        p = self.path(kind, params)
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = json.loads(str(arrays.pop("__meta__")))
            if meta.get("key") != p.stem:
                raise CorruptEntry("key inside the file does not match its name")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, CorruptEntry, json.JSONDecodeError) as e:
            bad = p.with_suffix(".corrupt")
            os.replace(p, bad)
            warnings.warn(f"recovery cache: corrupt entry {p} ({type(e).__name__}: {e}); moved to {bad.name}, "
                          "recomputing", RuntimeWarning, stacklevel=2)
            return None
        return arrays

    def save(self, kind: str, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
        """Write an entry atomically (temporary file, fsync, rename)."""
        p = self.path(kind, params)
        p.parent.mkdir(parents=True, exist_ok=True)
        meta = {"key": p.stem, "kind": kind, "params": json.loads(_canonical(params)), "code_hash": code_hash()}
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=p.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays)  # streamed: no copy in memory
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return p
