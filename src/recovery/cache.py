"""On-disk results cache: one ``.npz`` file per entry, keyed by the parameters and a hash of the package code.

* Key = sha256 of (kind, parameters as sorted JSON, :func:`code_hash`). The code hash covers exactly the modules
  the numbers depend on (:data:`SCIENCE`: ``core/``, ``related/``, ``figures/``, ``sweeps.py``, ``cache.py``,
  ``config.py``), so editing the science changes every key and a cached number never comes from older code,
  while editing a plot module, the CLI, a notebook or the book's configuration re-runs nothing.
* Writes are atomic: the file is written to a temporary name in the same folder, flushed and fsynced, then
  ``os.replace``-d into place. A killed writer leaves at most a stray ``*.tmp`` file, never a partial entry,
  and two writers of the same entry simply replace one complete file with another.
* A failed write (full disk, file-size limit, permissions) raises :class:`~recovery.config.WriteError`, one line
  naming the file; the temporary file is removed and the entries already written stay valid.
* Reads are verified: a truncated or corrupted file (bad zip, CRC mismatch, wrong key inside) is reported
  with a warning, moved aside to ``*.corrupt`` and treated as missing, so it is recomputed.

The folder is ``$RECOVERY_CACHE_DIR`` if set, else ``.cache/recovery`` in the project checkout, else
``~/.cache/recovery``. :func:`check_place` checks a folder (creatable, writable) before any work, and
:func:`tracking` records which entries were loaded (hit) or computed (miss) during a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .config import PlaceError, WriteError

_PKG = Path(__file__).resolve().parent
_UMASK = os.umask(0o022)
os.umask(_UMASK)

#: The parts of the package the cached numbers depend on (folders and modules, relative to the package).
#: Drawing (``plots/``), the command line, provenance, progress and the Dask transport are left out: they
#: change how results are shown or where they are computed, never what they are.
SCIENCE: tuple[str, ...] = ("core", "related", "experiments", "figures", "sweeps.py", "cache.py", "config.py")
#: Everything else in the package, which the numbers do not depend on (a test checks that the two lists cover it).
PRESENTATION: tuple[str, ...] = (
    "plots",
    "__init__.py",
    "__main__.py",
    "cli.py",
    "bench.py",
    "bench_scale.py",
    "distributed.py",
    "record.py",
    "progress.py",
    "explore.py",
)


def science_files(root: Path = _PKG) -> list[Path]:
    """The ``.py`` files of :data:`SCIENCE` under the package folder ``root``, sorted."""
    out: list[Path] = []
    for part in SCIENCE:
        p = root / part
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.is_file() else [])
    return sorted(out)


@lru_cache(maxsize=1)
def code_hash() -> str:
    """sha256 (first 16 hex digits) over the science modules of the package (:data:`SCIENCE`), names and
    contents."""
    h = hashlib.sha256()
    for p in science_files():
        h.update(p.relative_to(_PKG).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


@dataclass(eq=False)  # identity: nested tracking() blocks hold equal-looking logs
class RunLog:
    """What a run did with the cache and where it computed (``result.json`` records it)."""

    hits: int = 0
    misses: int = 0
    scheduler: str = "in-process"
    workers: int = 1
    device: str = "cpu"
    batches: int = 0  # batches computed (cache entries written by sweeps)
    notes: list[str] = field(default_factory=list)

    @property
    def cache(self) -> str:
        """``"hit"`` when every entry was loaded, ``"miss"`` when any was computed, ``"none"`` when the run
        used no cached computation at all."""
        return "miss" if self.misses else "hit" if self.hits else "none"


_LOGS: list[RunLog] = []


@contextmanager
def tracking() -> Iterator[RunLog]:
    """Collect the cache hits and misses (and the scheduler used by sweeps) of the code run inside."""
    log = RunLog()
    _LOGS.append(log)
    try:
        yield log
    finally:
        _LOGS.remove(log)


def active_logs() -> list[RunLog]:
    """The logs of every enclosing :func:`tracking` block."""
    return list(_LOGS)


def _record(hit: bool) -> None:
    for log in _LOGS:
        if hit:
            log.hits += 1
        else:
            log.misses += 1


def check_place(what: str, path: str | Path) -> Path:
    """Check before any work that folder ``path`` exists or can be created, and is writable; raise
    :class:`~recovery.config.PlaceError` (one line naming ``what`` and the path) otherwise. Nothing is left
    behind: the check creates and removes one probe file in the nearest existing folder."""
    p = Path(path).expanduser()
    probe_dir = p
    while not probe_dir.exists():
        if probe_dir.parent == probe_dir:
            break
        probe_dir = probe_dir.parent
    if probe_dir.exists() and not probe_dir.is_dir():
        why = "is a file, not a folder" if probe_dir == p else f"cannot be created: {probe_dir} is a file"
        raise PlaceError(what, p, why)
    try:
        fd, tmp = tempfile.mkstemp(dir=probe_dir, prefix=".recovery-probe-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        verb = "is not writable" if probe_dir == p else f"cannot be created in {probe_dir}"
        raise PlaceError(what, p, f"{verb} ({e.strerror or e})") from None
    return p


def atomic_write(path: Path, data: bytes | Callable[[BinaryIO], None], what: str = "file") -> Path:
    """Write ``data`` (bytes, or a function writing to a binary file, so large arrays stream to disk) to
    ``path`` atomically (temporary file in the same folder, fsync, rename). A failure (full disk, file-size
    limit) removes the temporary file, leaves any older ``path`` as it was and raises
    :class:`~recovery.config.WriteError`."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp's 0600 -> the mode an ordinary open() would give
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise WriteError(what, path, e) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path


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


_CHECKED: set[Path] = set()  # cache folders found writable in this process


class CorruptEntry(Exception):
    """An entry on disk that cannot be trusted."""


class ResultCache:
    """A folder of verified, atomically written result entries (see module docstring)."""

    def __init__(self, root: str | Path | None = None) -> None:
        from_env = root is None and bool(os.environ.get("RECOVERY_CACHE_DIR"))
        self.root = Path(root) if root is not None else default_cache_dir()
        self.what = "RECOVERY_CACHE_DIR" if from_env else "cache folder"

    def check(self) -> None:
        """Check (once per folder and process) that the cache folder can be written, before any work:
        :class:`~recovery.config.PlaceError` naming ``RECOVERY_CACHE_DIR`` or the folder otherwise."""
        if self.root.resolve() not in _CHECKED:
            check_place(self.what, self.root)
            _CHECKED.add(self.root.resolve())

    def path(self, kind: str, params: dict[str, Any]) -> Path:
        return self.root / kind / f"{entry_key(kind, params)}.npz"

    def load(self, kind: str, params: dict[str, Any]) -> dict[str, np.ndarray] | None:
        """The arrays of an entry, or ``None`` if missing or corrupt (corrupt files are moved aside)."""
        p = self.path(kind, params)
        if not p.exists():
            _record(False)
            self.check()  # a miss means work follows: fail now, not after it
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = json.loads(str(arrays.pop("__meta__")))
            if meta.get("key") != p.stem:
                raise CorruptEntry("key inside the file does not match its name")
        except (
            OSError,
            ValueError,
            KeyError,
            EOFError,
            zipfile.BadZipFile,
            CorruptEntry,
            json.JSONDecodeError,
        ) as e:
            bad = p.with_suffix(".corrupt")
            os.replace(p, bad)
            warnings.warn(
                f"recovery cache: corrupt entry {p} ({type(e).__name__}: {e}); moved to {bad.name}, "
                "recomputing",
                RuntimeWarning,
                stacklevel=2,
            )
            _record(False)
            return None
        _record(True)
        return arrays

    def save(self, kind: str, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
        """Write an entry atomically (temporary file, fsync, rename); :class:`~recovery.config.WriteError` if
        the disk refuses it (nothing partial is left)."""
        p = self.path(kind, params)
        meta = {
            "key": p.stem,
            "kind": kind,
            "params": json.loads(_canonical(params)),
            "code_hash": code_hash(),
        }
        return atomic_write(  # streamed into the temporary file: no copy of the arrays in memory
            p, lambda f: np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays), "cache entry"
        )
