"""Sweeps: grids of experiment configurations run as one batched gradient-flow program, cached per entry.

A *configuration* (e.g. :class:`RunConfig`) fixes data, model, initialization scale, seeds and integrator.
:func:`run_many` looks every configuration up in the :class:`~recovery.cache.ResultCache`, stacks the
trials of all missing ones (up to ``max_batch`` trials at a time) into a single call of
:func:`~recovery.dynamics.gradient_flow`, and writes each configuration's entry as soon as its batch is done.
A finished sweep recomputes nothing; an interrupted one resumes from the last completed batch. Batches run
in-process (default) or on Dask workers (``scheduler=``), on the CPU or a CUDA device (``device=``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .cache import ResultCache, active_logs
from .config import (
    ParameterError,
    ResourceError,
    check_int,
)
from .core.data import batch_data
from .core.dynamics import gradient_flow, single_thread
from .core.models import Data, get_activation
from .core.runs import RunConfig
from .core.theory import (
    classify_limit,
    distance_to_Q1,
    distance_to_Q2,
    generalization_error,
    growth_rate,
    imbalance_vector,
)
from .progress import bar as progress_bar
from .progress import enabled as progress_enabled

DEFAULT_BATCH = 4000  # trials per batch: ≈ 0.3 GB of working memory at width 2 and t_max = 1e7


def _analyse(
    cfg: RunConfig, theta0: torch.Tensor, data: Data, res_slice: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Per-configuration arrays from its slice (``theta0``, ``data``, results) of a batched run.

    Distances to Q¹/Q² and the reached set are computed for widths up to 12 (they enumerate sign patterns);
    wider networks get ``label`` = 0 (unclassified) and NaN distances.
    """
    target = cfg.target()
    act = get_activation(cfg.activation)
    tn = target.neuron
    C = imbalance_vector(theta0, data)
    traj = res_slice["theta"]
    final = res_slice["final_theta"]
    classify = cfg.width <= 12 and cfg.width >= 2
    if classify:
        label_t = classify_limit(traj, tn, act.odd)  # (S, K)
        d1, d2 = distance_to_Q1(final, tn, act.odd).numpy(), distance_to_Q2(final, tn, act.odd).numpy()
    else:
        label_t = torch.zeros(traj.shape[:2], dtype=torch.int64)
        d1 = d2 = np.full(cfg.seeds, np.nan)
    ratio = (C[:, 0] / C[:, 1]).abs().numpy() if cfg.width >= 2 else np.full(cfg.seeds, np.nan)
    x_test = cfg.data_spec().eval_inputs()
    return {
        "seeds": np.asarray(cfg.seed_list()),
        "theta0": theta0.numpy(),
        "C": C.numpy(),
        "ratio": ratio,
        "growth_rate": growth_rate(data).numpy(),
        "times": res_slice["times"],
        "theta_traj": traj.numpy(),
        "loss_traj": res_slice["loss"].numpy(),
        "label_traj": label_t.numpy().astype(np.int8),
        "final_theta": final.numpy(),
        "final_loss": res_slice["final_loss"].numpy(),
        "final_time": res_slice["final_time"].numpy(),
        "status": res_slice["status"].numpy(),
        "steps": res_slice["steps"].numpy(),
        "label": label_t[:, -1].numpy(),  # the last checkpoint is the final state
        "dist_Q1": d1,
        "dist_Q2": d2,
        "gen_error": generalization_error(final, x_test, target, act).numpy(),
        "wall_time": np.array(res_slice["wall_time"]),
    }


def run_many(
    configs: list[RunConfig],
    cache: ResultCache | None = None,
    *,
    max_batch: int | None = None,
    progress: bool = True,
    device: str | torch.device = "cpu",
    scheduler: str | None = None,
) -> list[dict[str, np.ndarray]]:
    """Run (or load) several configurations; all missing trials of a batch run as one tensor program.

    * **Batches, in bounded memory.** A configuration with more than ``max_batch`` seeds is split into chunks
      of consecutive seeds (each chunk is the configuration with its own ``first_seed``/``seeds``, cached as
      its own entry); chunks and small configurations sharing the integrator and architecture
      (``_batch_key``) are grouped up to ``max_batch`` trials per batch. Every batch is analysed and written
      to the cache as soon as it is done, so an interrupted sweep resumes at batch granularity, and the
      integrator never holds more than one batch. A sweep whose estimated memory (:func:`memory_estimate`)
      exceeds what the machine has available is refused up front with :class:`~recovery.config.ResourceError`.
      ``max_batch`` defaults to :func:`batch_size` (``$RECOVERY_BATCH_SIZE`` or 4000).
    * ``device``: where the integrator runs (``"cpu"``, ``"cuda"``, ``"cuda:1"``); initial weights are drawn on
      the CPU per seed and the analysis runs on the CPU, so labels agree with a CPU run. An unavailable device
      is a :class:`~recovery.config.ParameterError`.
    * ``scheduler``: ``None`` (in-process, no Dask needed), ``"local:N"`` (a Dask LocalCluster of N worker
      processes) or ``"tcp://HOST:PORT"`` (a running Dask scheduler); see :mod:`recovery.distributed`. The
      batches are the same as in-process and each runs :func:`compute_batch` on a worker, so the numbers are
      identical; the client writes each batch's cache entries as its future completes.
    """
    device = check_device(device)
    spec = check_scheduler(scheduler)
    max_batch = batch_size() if max_batch is None else check_int("max_batch", max_batch, 1)
    cache = cache if cache is not None else ResultCache()
    show = progress_enabled(progress)
    units = [_chunks(c, max_batch) for c in configs]
    est = memory_estimate(configs, max_batch, in_process=spec is None)
    avail = available_memory()
    if avail is not None and est > avail:
        total = sum(c.seeds for c in configs)
        raise ResourceError(
            f"refusing to run {total} trials: estimated memory {est / 2**30:.1f} GiB exceeds the "
            f"{avail / 2**30:.1f} GiB available (use fewer seeds, or fewer checkpoints_per_decade)"
        )
    done: dict[RunConfig, dict[str, np.ndarray]] = {}
    todo: list[RunConfig] = []
    for u in dict.fromkeys(u for us in units for u in us):  # each distinct unit once, in order
        r = cache.load(KIND, u.params())
        if r is None:
            todo.append(u)
        else:
            done[u] = r
    groups: list[list[RunConfig]] = []
    for u in todo:
        if (
            groups
            and _batch_key(groups[-1][0]) == _batch_key(u)
            and sum(c.seeds for c in groups[-1]) + u.seeds <= max_batch
        ):
            groups[-1].append(u)
        else:
            groups.append([u])
    logs = active_logs()

    def finished(cs: list[RunConfig], results: list[dict[str, np.ndarray]]) -> None:
        for c, arrays in zip(cs, results):
            cache.save(KIND, c.params(), arrays)
            done[c] = arrays
        for log in logs:
            log.batches += 1
        if spec is None:
            return_freed_memory()  # the batch's working memory, before the next batch or the join

    if spec is None:
        for log in logs:
            log.scheduler, log.workers, log.device = "in-process", 1, device
        if todo:
            return_freed_memory(threshold=True)
        # no bar object (nor tqdm) for a single batch or hidden bars
        quiet = len(groups) < 2 or not show
        for g in groups if quiet else progress_bar(groups, desc="batches", progress=progress):
            finished(g, compute_batch(g, device, progress=show))
    else:
        from .distributed import run_batches

        run_batches(spec, groups, device, finished, compute_on_worker, progress=show, logs=logs)
    out = []
    for k, us in enumerate(units):
        # chunks no later configuration needs are handed over (not copied) so the join can release them
        out.append(_join([done.pop(u) if len(us) > 1 and _last_use(units, k, u) else done[u] for u in us]))
    if spec is None and todo:
        return_freed_memory()
    return out


def compute_on_worker(group: list[RunConfig], device: str) -> list[dict[str, np.ndarray]]:
    """One batch as a Dask worker runs it (:func:`recovery.distributed.run_batches`): the device is checked
    there, then :func:`compute_batch`."""
    return compute_batch(group, check_device(device))


# bytes: arrays at least this large get pages of their own (glibc's M_MMAP_THRESHOLD)
_MMAP_THRESHOLD = 4 * 2**20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def return_freed_memory(*, threshold: bool = False) -> None:
    """Hand the memory freed by a finished batch back to the operating system (glibc's ``malloc_trim``); with
    ``threshold``, also fix glibc's mmap threshold at :data:`_MMAP_THRESHOLD` for this process.

    Why (*ours*, measured with ``make bench``): glibc raises its mmap threshold to the size of every large block
    it frees (up to 32 MiB), so after the first batch the engine's multi-MiB temporaries and the kept result
    arrays share the heap; the temporaries' pages cannot be returned while a kept array lies above them. Figure 3
    at 40 000 seeds (batches of 4 000) peaked at 807 MiB that way and at 741-746 MiB with the threshold fixed and
    the heap trimmed after each batch (the same numbers; only where the allocator puts them changes). A no-op
    without glibc."""
    libc = _glibc()
    if libc is None:
        return
    if threshold:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    libc.malloc_trim(0)


@functools.cache
def _glibc() -> Any:
    import ctypes

    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):  # type: ignore[union-attr]
            return None
        return ctypes.CDLL("libc.so.6")
    except (AttributeError, ValueError, OSError):
        return None


def _last_use(units: list[list[RunConfig]], k: int, u: RunConfig) -> bool:
    """True if configuration ``k`` is the last one using chunk ``u`` (its arrays can then be released)."""
    return all(u not in us for us in units[k + 1 :])


def compute_batch(
    cs: list[RunConfig], device: str = "cpu", *, progress: bool = False
) -> list[dict[str, np.ndarray]]:
    """Integrate the trials of ``cs`` (compatible configurations) as ONE batched gradient-flow program on
    ``device`` and analyse each configuration's slice on the CPU. Pure: the same input gives the same arrays
    wherever it runs (in-process or on a Dask worker)."""
    data = batch_data([s for c in cs for s in c.data_specs()])
    bounds = np.cumsum([0] + [c.seeds for c in cs])
    theta0 = torch.cat(
        [
            c.initial_parameters(data.select(torch.arange(int(bounds[j]), int(bounds[j + 1]))))
            for j, c in enumerate(cs)
        ]
    )  # drawn on the CPU per seed
    res = gradient_flow(
        theta0.to(device),
        data.to(device),
        get_activation(cs[0].activation),
        cs[0].flow(),
        progress=progress,
        desc=f"gradient flow ({theta0.shape[0]} trials)",
    )
    out = []
    for j, c in enumerate(cs):
        sl = slice(int(bounds[j]), int(bounds[j + 1]))
        piece = {
            "times": res.times,
            "theta": res.theta[sl].cpu(),
            "loss": res.loss[sl].cpu(),
            "final_theta": res.final_theta[sl].cpu(),
            "final_loss": res.final_loss[sl].cpu(),
            "final_time": res.final_time[sl].cpu(),
            "status": res.status[sl].cpu(),
            "steps": res.steps[sl].cpu(),
            "wall_time": res.wall_time * c.seeds / theta0.shape[0],  # this configuration's share of the batch
        }
        with single_thread(True):
            out.append(_analyse(c, theta0[sl], data.select(torch.arange(sl.start, sl.stop)), piece))
    return out


def batch_size() -> int:
    """Trials per batch: ``$RECOVERY_BATCH_SIZE`` if set (the CLI's ``--batch-size``), else
    :data:`DEFAULT_BATCH`. Smaller batches use less memory and resume at a finer grain."""
    env = os.environ.get(BATCH_ENV)
    return DEFAULT_BATCH if env is None else check_int(BATCH_ENV, env, 1, 10**7)


BATCH_ENV = "RECOVERY_BATCH_SIZE"


def _chunks(c: RunConfig, max_batch: int) -> list[RunConfig]:
    """``c`` itself if it fits one batch, else its seeds in consecutive chunks of ``max_batch`` (each a
    configuration of its own, so each is cached as an entry of its own)."""
    if c.seeds <= max_batch:
        return [c]
    return [
        replace(c, first_seed=c.first_seed + a, seeds=min(max_batch, c.seeds - a))
        for a in range(0, c.seeds, max_batch)
    ]


_SHARED = ("times",)  # the same in every chunk
_SUMMED = ("wall_time",)


def _join(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One configuration's arrays from its chunks' (per-trial arrays concatenated in seed order). Each chunk is
    copied into the preallocated result and released from ``parts`` at once, so joining needs about the
    memory of the result plus one chunk, not twice the result."""
    if len(parts) == 1:
        return parts[0]
    n = sum(len(p["seeds"]) for p in parts)
    first = parts[0]
    out: dict[str, np.ndarray] = {}
    for k, v in first.items():
        if k in _SHARED:
            out[k] = v
        elif k in _SUMMED:
            out[k] = np.array(sum(float(p[k]) for p in parts))
        else:
            out[k] = np.empty((n, *v.shape[1:]), dtype=v.dtype)
    del first
    i = 0
    while parts:
        p = parts.pop(0)
        m = len(p["seeds"])
        for k, v in out.items():
            if k not in _SHARED and k not in _SUMMED:
                v[i : i + m] = p[k]
        i += m
        del p
    return out


def check_device(device: Any) -> str:
    """``device`` as a string if torch can run there (``cpu``, ``cuda``, ``cuda:N``); a one-line
    :class:`~recovery.config.ParameterError` otherwise (e.g. ``--device cuda`` on a machine without a GPU)."""
    allowed = "must be cpu, cuda or cuda:N"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ParameterError("device", device, allowed) from None
    if dev.type == "cpu":
        return "cpu"
    if dev.type != "cuda":
        raise ParameterError("device", device, allowed)
    if not torch.cuda.is_available():
        raise ParameterError("device", device, "CUDA is not available on this machine; use cpu")
    if dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ParameterError("device", device, f"this machine has {torch.cuda.device_count()} CUDA device(s)")
    return str(dev)


def check_scheduler(scheduler: Any) -> tuple[str, Any] | None:
    """``None`` (in-process), ``("local", N)`` or ``("address", "tcp://HOST:PORT")``; a one-line
    :class:`~recovery.config.ParameterError` for anything else."""
    if scheduler is None or (
        isinstance(scheduler, str) and scheduler.strip().lower() in ("", "in-process", "none")
    ):
        return None
    allowed = "must be local:N (N Dask worker processes) or tcp://HOST:PORT (a running Dask scheduler)"
    if not isinstance(scheduler, str):
        raise ParameterError("scheduler", scheduler, allowed)
    s = scheduler.strip()
    if s.startswith("local:"):
        return ("local", check_int("scheduler", s.partition(":")[2], 1, 512))
    if (
        "://" in s
        and s.split("://", 1)[0] in ("tcp", "tls", "ws", "wss", "inproc", "ucx")
        and s.split("://", 1)[1]
    ):
        return ("address", s)
    raise ParameterError("scheduler", scheduler, allowed)


def memory_estimate(
    configs: list[RunConfig], max_batch: int = DEFAULT_BATCH, *, in_process: bool = True
) -> int:
    """Estimated peak memory (bytes) of :func:`run_many`: the arrays kept for every trial (trajectories at the
    checkpoints) plus, in-process, the working memory of one batch of the integrator and its analysis.

    The per-trial working memory is a measured multiple of what a trial keeps (``WORK_FACTOR``);
    ``tests/test_faults.py`` checks that the estimate bounds the measured peak of a real run."""
    if not configs:
        return 0
    kept = 0
    work = 0
    for c in configs:
        K = len(c.flow().checkpoint_times())
        P = c.width * 3
        per_trial = K * (8 * P + 8 + 1) + 8 * (4 * P + c.width + 16)
        solver = P * P if P <= max(24, 2 * c.n_samples) else P * (c.n_samples + 3)  # dense LU or low rank
        kept += KEPT_FACTOR * c.seeds * per_trial
        work = max(
            work, min(c.seeds, max_batch) * (WORK_FACTOR * per_trial + 8 * (solver + c.n_samples * P) * 12)
        )
    return int(BASE_MEMORY + kept + (work if in_process else 0))


# Measured (2026-12-04, Figure 3 setting, t_max = 1e7, 2-core machine): the interpreter with torch loaded peaks
# at 237 MiB; one batch of 4000 trials adds 283 MiB (74 KB per trial, 7.2x the 10.3 KB a trial keeps); 16000
# seeds in batches of 4000 peak at 683 MiB; 12000 in batches of 2000 at 609 MiB (121 MiB kept: the allocator
# keeps freed batch memory, and joining the batches copies them once). The constants below bound these.
WORK_FACTOR = 7  # working memory of a batch per trial, in units of one trial's kept arrays
KEPT_FACTOR = 2  # the kept arrays, counted twice: the join of the batches and the allocator's retained pages
# After the small-system path (numpy working arrays per block) a fresh clone's run of 3000 seeds (t = 1e5,
# batches of 1000) peaked at 467 MiB, 60 MiB above the earlier constants: the base allows for it.
BASE_MEMORY = (
    420 * 2**20
)  # the interpreter with torch, numpy and scipy loaded, and the engine's block buffers


def available_memory() -> int | None:
    """Bytes this process can still allocate: MemAvailable of /proc/meminfo, capped by the cgroup's limit;
    ``None`` where neither is readable."""
    avail: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
            room = int(limit) - used
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


KIND = "trials"  # cache folder of RunConfig entries


def _batch_key(c: RunConfig) -> tuple:
    return (c.activation, c.width, c.t_max, c.rtol, c.checkpoints_per_decade)


def run_one(cfg: RunConfig, cache: ResultCache | None = None, **kw: Any) -> dict[str, np.ndarray]:
    """Run (or load) one configuration."""
    return run_many([cfg], cache, **kw)[0]
