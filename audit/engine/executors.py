"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

The unit of work is a :class:`~audit.engine.chunks.ChunkTask` — a small, picklable description of
one chunk (the population source, a block range, the scorers, the audits and
the options) — and :func:`~audit.engine.chunks.run_chunk` turns it into a
:class:`~audit.engine.contract.ChunkOutput` of mergeable statistics (both in
:mod:`audit.engine.chunks`, re-exported here). Only the task goes
to a worker and only the statistics come back: no frame of people or events
is ever pickled. Every executor maps the same top-level function over the
same tasks, so the merged statistics are identical whichever runs them (the
merge is exact and independent of the order chunks finish in,
:mod:`audit.aggregate`).

Executors take tasks lazily from an iterator and keep a bounded number in
flight, so memory does not grow with the number of chunks and the runner can
stop submitting work for a scorer that has already failed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, Literal, Protocol, Self

from audit.engine.chunks import (
    ChunkTask,
    chunk_fault,
    chunk_fault_keeping_scores,
    reuse_freed_memory,
    run_chunk,
    run_chunk_keeping_scores,
    tasks_for,
)
from audit.engine.contract import ChunkOutput
from audit.engine.workers import ProcessExecutor
from audit.errors import InvalidArgument

__all__ = [
    "ENGINES",
    "ChunkTask",
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "chunk_fault",
    "chunk_fault_keeping_scores",
    "default_workers",
    "make_executor",
    "reuse_freed_memory",
    "run_chunk",
    "run_chunk_keeping_scores",
    "tasks_for",
]

#: Engines a run can use: ``local`` (this process, or a process pool with more
#: than one worker) or ``dask`` (a dask.distributed cluster).
ENGINES = ("local", "dask")
Engine = Literal["local", "dask"]


class Executor(Protocol):
    """Maps :func:`run_chunk` over tasks; yields ``(task, output)`` as chunks finish, in any order."""

    name: str
    workers: int

    def imap_unordered(self, fn: Callable[[ChunkTask], ChunkOutput], tasks: Iterator[ChunkTask]) -> Iterator[tuple[ChunkTask, ChunkOutput]]: ...

    def close(self) -> None: ...


def default_workers() -> int:
    """Cores this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Run chunks one after another in this process (no pickling at all)."""

    name = "serial"
    workers = 1

    def imap_unordered(self, fn, tasks):
        for task in tasks:
            yield task, fn(task)

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Map chunks over a dask.distributed cluster: a scheduler address, or a new LocalCluster.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``). ``None`` starts a
        :class:`distributed.LocalCluster` of ``workers`` single-threaded worker
        processes and closes it afterwards.
    workers : int
        Workers of the LocalCluster (ignored with a scheduler address).
    processes : bool
        LocalCluster workers as processes (default) or as threads of this process.
    """

    name = "dask"

    def __init__(self, *, scheduler: str | None = None, workers: int = 1, processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
            raise InvalidArgument("engine=dask needs dask.distributed: pip install 'dask[distributed]'") from exc
        self._cluster = None
        if scheduler is None:
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None
            )
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(scheduler, timeout=30)
            except OSError as exc:
                raise InvalidArgument(
                    f"scheduler={scheduler!r}: cannot reach a Dask scheduler there ({exc}); "
                    "check the address, or omit scheduler= to start a local cluster"
                ) from None
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})) or workers)

    def imap_unordered(self, fn, tasks):
        from distributed import as_completed

        tasks = iter(tasks)
        pending: dict[Any, ChunkTask] = {}
        queue = as_completed()
        window = 2 * self.workers

        def submit() -> bool:
            task = next(tasks, None)
            if task is None:
                return False
            fut = self._client.submit(fn, task, pure=False)
            pending[fut.key] = task
            queue.add(fut)
            return True

        while len(pending) < window and submit():
            pass
        for fut in queue:
            task = pending.pop(fut.key)
            out = fut.result()
            fut.release()
            submit()
            yield task, out

    def close(self) -> None:
        if self._cluster is not None:
            self._client.shutdown()  # our own cluster: stop scheduler and workers together
            self._cluster.close()
        else:
            self._client.close()  # someone else's cluster stays up

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(
    engine: str = "local",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    n_chunks: int = 1,
    in_process: bool = False,
    timeout: float | None = None,
    memory_limit: int | None = None,
) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """The executor for a run.

    ``local`` runs in this process with one worker (or one chunk, or when
    ``in_process`` — a supplied population or ``--save-scores``) and in a
    supervised process pool otherwise (:class:`audit.engine.workers.ProcessExecutor`,
    which kills a ``score`` call ``timeout`` seconds plus a grace period long
    and a worker over ``memory_limit`` bytes); ``dask`` uses ``scheduler`` or a
    new LocalCluster.
    """
    if engine not in ENGINES:
        raise InvalidArgument(f"engine={engine!r}: use one of {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise InvalidArgument("scheduler=ADDRESS goes with engine=dask; add engine=dask or drop scheduler=")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InvalidArgument(f"workers={workers!r}: give a whole number >= 1")
    if engine == "dask":
        if in_process:
            raise InvalidArgument(
                "engine=dask runs chunks on other processes; a supplied population table or save_scores= "
                "needs the chunks in this process: use engine=local"
            )
        return DaskExecutor(scheduler=scheduler, workers=workers or default_workers())
    workers = workers or 1
    if workers == 1 or n_chunks <= 1 or in_process:
        return SerialExecutor()
    return ProcessExecutor(min(workers, n_chunks), timeout=timeout, memory_limit=memory_limit)
