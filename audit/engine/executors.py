"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

The unit of work is a :class:`ChunkTask` — a small, picklable description of
one chunk (the population source, a block range, the scorers, the audits and
the options) — and :func:`run_chunk` turns it into a
:class:`~audit.engine.contract.ChunkOutput` of mergeable statistics. Only the task goes
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
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, Self

from audit.aggregate import merge_all
from audit.engine.contract import AuditOptions, ChunkAudit, ChunkOutput, process_chunk, scores_table
from audit.engine.guard import hand_over
from audit.engine.workers import Fault, ProcessExecutor
from audit.errors import InvalidArgument
from audit.population.groups import CellLayout
from audit.population.model import Population
from audit.population.source import PopulationSource

__all__ = [
    "ENGINES",
    "ChunkTask",
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "chunk_fault",
    "chunk_fault_keeping_scores",
    "run_chunk_keeping_scores",
    "default_workers",
    "make_executor",
    "reuse_freed_memory",
    "run_chunk",
]

#: Engines a run can use: ``local`` (this process, or a process pool with more
#: than one worker) or ``dask`` (a dask.distributed cluster).
ENGINES = ("local", "dask")
Engine = Literal["local", "dask"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkTask:
    """Everything a worker needs to produce one chunk's statistics; small and picklable."""

    source: PopulationSource
    """Spec, size and seed of a synthetic population (a few kilobytes pickled)."""
    blocks: tuple[int, int]
    """Generation blocks ``[first, end)`` of this chunk (:func:`audit.population.synth.chunk_ranges`)."""
    scorers: tuple[tuple[str, Any], ...]
    """``(label, scorer)`` pairs; a scorer is an object (pickled as class + params) or a registry spec string."""
    audits: tuple[ChunkAudit, ...]
    """The audits whose ``collect`` runs on the chunk."""
    layout: CellLayout
    """Cell layout shared by every chunk."""
    options: AuditOptions
    """Audit options shared by every chunk."""
    batch_size: int = 16 * 65_536
    """People generated, scored and audited at a time inside the chunk (rounded to whole blocks).

    Statistics merge exactly, so the batch size never changes a result; it
    sets the working memory and how often each batch's fixed costs are paid
    (a ``score`` call's frame building and validation, the ground-truth and
    attribution samples' small re-scorings). Measured here with the compiled
    scorers (``python bench/scale.py --only e``, one core, medians of three):
    1,048,576 people a batch ran 1.08 times as fast as 262,144 and 1.3 times
    as fast as 131,072; on both cores the 1.4e9 run's chunk loop went from
    2.4 to 2.8 million people/s, and peak memory at 1e8 people from 0.83 to
    1.39 GiB (``python bench/scale.py --huge``).
    """


_SCORER_CACHE: dict[str, Any] = {}


def _scorer(spec: Any) -> Any:
    """A scorer object; registry specs (strings) are loaded once per worker process."""
    if not isinstance(spec, str):
        return spec
    if spec not in _SCORER_CACHE:
        from scorers.registry import load_scorer

        _SCORER_CACHE[spec] = load_scorer(spec)
    return _SCORER_CACHE[spec]


def run_chunk(task: ChunkTask, *, on_scored: Callable[[str, Population, Any, Any], None] | None = None) -> ChunkOutput:
    """Generate (or take) one chunk, score it with every scorer and collect every audit.

    The function every executor maps. The chunk is processed in batches of
    ``task.batch_size`` people whose statistics are merged (exactly) into one
    output; a scorer that fails in a batch is not run on the chunk's later
    batches, as the runner does across chunks. ``on_scored(label, batch, frame,
    scorer)``, only for the in-process executor, receives each scorer's frame
    of each batch (``--save-scores``).
    """
    reuse_freed_memory()
    scorers = [(label, _scorer(s)) for label, s in task.scorers]
    audits = list(task.audits)
    total: ChunkOutput | None = None
    for blocks in _batches(task):
        if not scorers:  # every scorer failed: nothing left to compute
            total = _merge_outputs(total, ChunkOutput(aggregates={}, errors={}, seconds={}, people=_people_in(task, blocks)))
            continue
        t0 = time.perf_counter()
        batch = task.source.chunk(blocks)
        generate = time.perf_counter() - t0
        out = process_chunk(batch, scorers, audits, task.layout, task.options, on_scored=on_scored)
        out = replace(out, seconds={"generate": generate, **out.seconds})
        del batch
        total = _merge_outputs(total, out)
        scorers = [(label, s) for label, s in scorers if label not in total.errors]
    assert total is not None
    return total


def run_chunk_keeping_scores(task: ChunkTask) -> tuple[ChunkOutput, list[tuple[str, Any]]]:
    """:func:`run_chunk`, also returning each scorer's per-person rows of each batch (``--save-scores``).

    What a supervised worker (:mod:`audit.engine.workers`) runs when the scores are
    saved: the rows (:func:`audit.engine.contract.scores_table`) travel back to the main
    process, which writes them, so the scorers need not run there. In a
    worker each scorer's rows are handed over as soon as they are made
    (:func:`audit.engine.guard.hand_over`) and the returned list is empty.
    """
    rows: list[tuple[str, Any]] = []
    sent: dict[str, int] = {}

    def keep(label: str, batch: Population, frame: Any, scorer: Any) -> None:
        table = scores_table(label, batch, frame, scorer)
        # to the supervisor at once (written before the next scorer starts), else with the output
        if not hand_over(("rows", label, sent.get(label, 0), table)):
            rows.append((label, table))
        sent[label] = sent.get(label, 0) + 1

    return run_chunk(task, on_scored=keep), rows


def _batches(task: ChunkTask) -> list[tuple[int, int]]:
    """The chunk's block range cut into runs of whole blocks of about ``batch_size`` people."""
    first, end = task.blocks
    if not task.source.synthetic:
        return [(first, end)]
    from audit.population.synth import BLOCK_SIZE

    per = max(1, -(-int(task.batch_size) // BLOCK_SIZE))
    return [(b, min(b + per, end)) for b in range(first, end, per)]


def _people_in(task: ChunkTask, blocks: tuple[int, int]) -> int:
    if not task.source.synthetic:
        return task.source.size
    from audit.population.synth import BLOCK_SIZE

    return min(blocks[1] * BLOCK_SIZE, task.source.size) - blocks[0] * BLOCK_SIZE


def _merge_outputs(a: ChunkOutput | None, b: ChunkOutput) -> ChunkOutput:
    """Two consecutive batches' outputs as one (``a`` came first, so its errors win)."""
    if a is None:
        return b
    errors = {**b.errors, **a.errors}
    aggregates = {}
    for label in list(a.aggregates) + [k for k in b.aggregates if k not in a.aggregates]:
        if label not in errors:
            aggregates[label] = merge_all(a.aggregates.get(label), b.aggregates.get(label))
    seconds = dict(a.seconds)
    for k, v in b.seconds.items():
        seconds[k] = seconds.get(k, 0.0) + v
    return ChunkOutput(aggregates=aggregates, errors=errors, seconds=seconds, people=a.people + b.people)


_ALLOCATOR_TUNED: list[bool] = []


def reuse_freed_memory() -> None:
    """Let glibc's malloc keep freed memory for the next chunk instead of returning it to the system.

    By default glibc serves large arrays with fresh ``mmap`` pages and unmaps
    them when freed, so every batch pays page faults (and zeroing) again for
    its temporaries. Raising the mmap threshold and the trim threshold
    (``mallopt(M_MMAP_THRESHOLD)``, ``mallopt(M_TRIM_THRESHOLD)``) makes
    freed arrays' memory reusable by the next batch: measured here, scoring
    runs 25-55% faster. The process then keeps its peak memory until it
    exits, which is what a worker does anyway. Applied once per process;
    does nothing where glibc is absent.
    """
    if _ALLOCATOR_TUNED:
        return
    _ALLOCATOR_TUNED.append(True)
    if os.environ.get("SCS_AUDIT_DEFAULT_MALLOC"):  # opt out
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc malloc.h
        libc.mallopt(m_mmap_threshold, 1 << 30)  # arrays up to 1 GiB come from the reusable heap
        libc.mallopt(m_trim_threshold, (1 << 31) - 1)  # do not give freed heap back to the system
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        pass


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


def chunk_fault(task: ChunkTask, label: str, message: str) -> Fault:
    """A chunk whose worker died running scorer ``label``: run it again without that scorer, reporting it."""
    rest = tuple((lab, s) for lab, s in task.scorers if lab != label)
    if not rest:
        return Fault(result=ChunkOutput(aggregates={}, errors={label: message}, seconds={}, people=_people_in(task, task.blocks)))

    def finish(out: ChunkOutput) -> ChunkOutput:
        return replace(out, errors={**out.errors, label: message})

    return Fault(retry=replace(task, scorers=rest), finish=finish)


def chunk_fault_keeping_scores(task: ChunkTask, label: str, message: str) -> Fault:
    """:func:`chunk_fault` for :func:`run_chunk_keeping_scores` (results are ``(output, rows)``)."""
    fault = chunk_fault(task, label, message)
    if fault.retry is None:
        return Fault(result=(fault.result, []))
    finish = fault.finish
    assert finish is not None
    return Fault(retry=fault.retry, finish=lambda result: (finish(result[0]), result[1]))


def tasks_for(
    source: PopulationSource,
    plan: Sequence[tuple[int, int]],
    *,
    active: Callable[[], Sequence[tuple[str, Any]]],
    audits: Iterable[ChunkAudit],
    layout: CellLayout,
    options: AuditOptions,
    skip: Callable[[tuple[int, int]], bool] = lambda blocks: False,
) -> Iterator[ChunkTask]:
    """Tasks for the chunks of ``plan`` not skipped, each with the scorers still active when it is submitted."""
    audits = tuple(audits)
    for blocks in plan:
        if skip(blocks):
            continue
        scorers = tuple(active())
        if not scorers:
            return
        yield ChunkTask(source=source, blocks=(blocks[0], blocks[1]), scorers=scorers, audits=audits, layout=layout, options=options)
