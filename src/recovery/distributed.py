"""Sweeps on Dask: the batches of :func:`recovery.sweeps.run_many` run on Dask workers.

``scheduler="local:N"`` starts a :class:`dask.distributed.LocalCluster` of N single-threaded worker processes on
this machine (127.0.0.1); ``scheduler="tcp://HOST:PORT"`` connects to a running scheduler, started by the user
with ``dask scheduler`` and ``dask worker tcp://HOST:PORT`` on any number of machines (or by dask-jobqueue on a
batch system). Dask is imported only here, only when a scheduler is asked for.

Design (chosen so that a sweep interrupted on a cluster resumes on a laptop, and vice versa):

* the batches are exactly those of the in-process run (same grouping, same ``max_batch``), and each runs
  :func:`recovery.sweeps.compute_batch` on a worker: the same function, on the same trials, so the numbers are
  identical to the in-process run;
* the **client writes the cache**: as each batch's future completes its arrays come back to the client, which
  writes the entries atomically into its own cache folder. Workers need no shared file system and never
  write; an interrupted sweep keeps every batch that came back;
* a worker runs the science of the same code version as the client: each batch returns the worker's
  :func:`recovery.cache.code_hash`, and a mismatch stops the sweep with one line (nothing from other code is
  cached).
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable
from typing import Any

from .config import ParameterError
from .progress import bar

_CLIENTS: dict[tuple[str, Any], tuple[Any, Any]] = {}


def _remote(
    work: Callable[[list[Any], str], list[dict[str, Any]]], group: list[Any], device: str
) -> tuple[str, list[dict[str, Any]]]:
    """What a worker runs: ``work(group, device)`` (one batch; the caller's function, sent by reference), and the
    worker's code hash."""
    from .cache import code_hash

    return code_hash(), work(group, device)


def connect(spec: tuple[str, Any]) -> tuple[Any, int]:
    """A Dask client for ``spec`` (``("local", N)`` or ``("address", URL)``) and its number of workers; kept
    open for later sweeps of this process (closed at exit or by :func:`close_all`)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError(
            "scheduler",
            _label(spec),
            "needs dask.distributed: pip install distributed==2026.8.0 (see requirements.txt)",
        ) from None
    if spec not in _CLIENTS:
        if spec[0] == "local":
            cluster = LocalCluster(
                n_workers=spec[1],
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(spec[1], timeout="10s")
            except (OSError, TimeoutError) as e:
                raise ParameterError(
                    "scheduler", spec[1], f"no Dask scheduler answered there ({e})"
                ) from None
            cluster = None
        try:
            client.wait_for_workers(1, timeout=60)
        except (OSError, TimeoutError):
            client.close()
            raise ParameterError(
                "scheduler",
                _label(spec),
                "the scheduler has no workers after 60 s (start some with: dask worker ADDRESS)",
            ) from None
        _CLIENTS[spec] = (client, cluster)
    client = _CLIENTS[spec][0]
    return client, len(client.scheduler_info(n_workers=-1)["workers"])


def close_all() -> None:
    """Close every client (and local cluster) this process opened."""
    while _CLIENTS:
        _, (client, cluster) = _CLIENTS.popitem()
        with contextlib.suppress(Exception):  # closing at exit: nothing left to save
            client.close()
            if cluster is not None:
                cluster.close()


atexit.register(close_all)


def _label(spec: tuple[str, Any]) -> str:
    return f"local:{spec[1]}" if spec[0] == "local" else str(spec[1])


def run_batches(
    spec: tuple[str, Any],
    groups: list[list[Any]],
    device: str,
    finished: Callable[[list[Any], list[dict[str, Any]]], None],
    work: Callable[[list[Any], str], list[dict[str, Any]]],
    *,
    progress: bool,
    logs: list[Any],
) -> None:
    """Run ``work(group, device)`` for every batch of ``groups`` on the workers of ``spec`` (``work`` is
    :func:`recovery.sweeps.compute_on_worker`, passed in so that this module does not import the sweeps that use
    it); ``finished(group, arrays)`` (which writes the
    cache) is called on the client as each batch completes. Interrupted (Ctrl-C, SIGTERM, an error), the
    remaining batches are cancelled and the finished ones are kept."""
    from dask.distributed import as_completed

    from .cache import code_hash

    client, n_workers = connect(spec)
    for log in logs:
        log.scheduler, log.workers, log.device = _label(spec), n_workers, device
    if not groups:
        return
    futures = {client.submit(_remote, work, g, device, pure=False): i for i, g in enumerate(groups)}
    try:
        with bar(total=len(groups), desc=f"batches on {n_workers} Dask workers", progress=progress) as b:
            for fut in as_completed(list(futures)):
                worker_hash, results = fut.result()
                if worker_hash != code_hash():
                    raise RuntimeError(
                        f"a Dask worker runs other code (code hash {worker_hash}, here "
                        f"{code_hash()}); start the workers from this version of recovery"
                    )
                finished(groups[futures[fut]], results)
                b.update(1)
    except BaseException:
        client.cancel(list(futures))
        raise
