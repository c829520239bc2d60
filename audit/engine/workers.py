"""Supervised worker processes: plugin code runs where its faults cannot reach the run.

A scorer plugin may do what no exception handler can catch: end its process
(``os._exit``), ignore the ``SIGALRM`` that :func:`audit.engine.guard.time_limit`
sends (or catch ``BaseException`` around it), allocate memory without bound,
or crash the interpreter. :class:`ProcessExecutor` runs every task in worker
processes it watches itself, instead of a :class:`concurrent.futures.ProcessPoolExecutor`
(whose pool breaks for good when one worker dies, failing every chunk in flight):

- each worker tells the parent which scorer it is running (:func:`audit.engine.guard.plugin_section`)
  and when each ``score`` call starts and returns (:func:`audit.engine.guard.plugin_call`);
- a worker in which a scorer raised or was interrupted is replaced after its
  task (memory the plugin held, signal handlers it changed, threads it started
  stay with that process);
- a worker that dies is replaced, and the scorer it was running is reported as
  failed, with how the process ended; the task is run again without that
  scorer (``on_fault``), so the other scorers' results are complete;
- a ``score`` call still running ``grace`` seconds after ``--scorer-timeout`` (the
  alarm did not stop it) has its worker killed; so has a worker whose resident
  memory exceeds ``memory_limit`` bytes;
- a worker dies with the main process, however that ends (``SIGKILL`` included):
  ``prctl(PR_SET_PDEATHSIG)`` ties it to its parent, and a watchdog thread
  waits on a ``pidfd`` of the main process (:func:`die_with`).

A death outside any scorer (the harness's own code) is retried once in a fresh
worker, then raised as :class:`WorkerLost`. What runs inside a worker (its
loop, the ties to the main process, the frozen inheritance) is
:mod:`audit.engine.worker_process`; the kernels it inherits are loaded by
the forkserver (:mod:`audit.preload`).
"""

from __future__ import annotations

import collections
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Self

from audit.engine.worker_process import RELEASE, default_worker_memory, die_with, rss_bytes, worker_init, worker_main
from audit.errors import AuditError, InvalidArgument

__all__ = ["Fault", "ProcessExecutor", "WorkerLost", "default_worker_memory", "die_with", "worker_init"]

#: Seconds a ``score`` call may run past ``--scorer-timeout`` before its worker is killed: time for the
#: alarm to interrupt it (and for the call's frame to be validated) first. Assumption, not measured.
GRACE_SECONDS = 2.0

#: How often the parent checks deadlines and memory while it waits for workers (seconds).
POLL_SECONDS = 0.1


class WorkerLost(AuditError, RuntimeError):
    """A worker process died twice on the same task outside any scorer's code."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """What to do with a task whose worker died (or was killed) while running scorer ``label``."""

    result: Any = None
    """The task's result, when nothing is left to run."""
    retry: Any = None
    """A task to run instead (the same work without the failed scorer); ``None``: ``result`` is final."""
    finish: Callable[[Any], Any] | None = None
    """Applied to the retried task's result (e.g. adds the failed scorer's error)."""


FaultHandler = Callable[[Any, str, str], Fault]
"""``on_fault(task, label, message)``: how a task goes on after scorer ``label`` failed as ``message`` says."""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _finished(job: _Job, value: Any) -> Any:
    for f in job.finish:
        value = f(value)
    return value


@dataclass(slots=True, kw_only=True)
class _Job:
    """A task as the pool runs it: maybe a retry of ``origin`` without a failed scorer."""

    task: Any
    origin: Any
    """The task as it was given (what is yielded with the result)."""
    attempt: int = 0
    """Deaths outside any scorer so far."""
    finish: list = field(default_factory=list)
    """Applied in order to the result (each adds a failed scorer's error)."""
    delivered: dict = field(default_factory=dict)
    """label -> row batches of ``origin`` already handed to ``on_rows`` (a retry sends them again)."""


@dataclass(slots=True, kw_only=True)
class _Worker:
    process: Any
    conn: Any
    job: _Job | None = None
    section: str | None = None
    call_started: float | None = None
    section_started: float = 0.0
    killed_because: str | None = None
    retiring: bool = False
    """The worker ends after its task (a plugin raised in it): replaced, not reused."""


class ProcessExecutor:
    """A local pool of supervised worker processes, one task per worker at a time.

    Parameters
    ----------
    workers : int
        Worker processes.
    timeout : float or None
        ``--scorer-timeout`` in seconds: a ``score`` call still running
        :data:`GRACE_SECONDS` after it has its worker killed. ``None``: no limit.
    memory_limit : int or None
        Resident bytes a worker may use; beyond it the worker is killed and the
        scorer it was running fails. ``None``: no limit (the kernel's own
        out-of-memory killer still ends a runaway worker, and that is reported).

    Workers are started with ``forkserver`` where available (``spawn``
    elsewhere), never ``fork``: the parent may be running a progress-bar
    thread, and forking a threaded process can deadlock.
    """

    name = "processes"

    def __init__(self, workers: int, *, timeout: float | None = None, memory_limit: int | None = None) -> None:
        import multiprocessing as mp

        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidArgument(f"workers={workers!r}: use 1 or more")
        if memory_limit is not None and memory_limit <= 0:
            raise InvalidArgument(f"memory_limit={memory_limit!r}: give a positive number of bytes, or None")
        self.workers = workers
        self.timeout = timeout
        self.memory_limit = memory_limit
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._ctx: Any = mp.get_context(method)  # a start-method context (the stubs' BaseContext lacks Process)
        if method == "forkserver":
            # what every task needs, imported once by the forkserver and inherited by each (re)started worker
            # audit.preload then loads the compiled kernels, so no worker loads them again
            self._ctx.set_forkserver_preload(
                ["audit.engine.executors", "audit.population.synth", "audit.disparity.audit", "audit.engine.finalizing",
                 "audit.runner", "scorers.registry", "audit.preload"]
            )
            from multiprocessing import forkserver

            forkserver.ensure_running()  # starts now; its imports overlap the run's own preparation
        self._pool: list[_Worker] = []
        self._closed = False
        self._on_rows: Callable[[str, Any], None] | None = None

    # --- workers

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=worker_main, args=(child, os.getpid()), daemon=True, name="scs-audit-worker")
        proc.start()
        child.close()
        w = _Worker(process=proc, conn=parent)
        self._pool.append(w)
        return w

    def _retire(self, w: _Worker) -> None:
        self._pool.remove(w)
        try:
            w.conn.close()
        except OSError:  # pragma: no cover
            pass
        if w.process.is_alive():
            w.process.kill()
        w.process.join(timeout=5)

    def _death_message(self, w: _Worker) -> str:
        code = w.process.exitcode
        doing = "scoring" if w.call_started is not None else ("auditing its scores" if w.section else "in the harness's code")
        if w.killed_because:
            return w.killed_because
        if code is not None and code < 0:
            how = f"was killed by {_signal_name(-code)}"
            if -code == signal.SIGKILL:
                how += " (the system may have run out of memory: see --worker-memory)"
        else:
            how = f"ended its worker process with exit status {code}"
        return f"{how} while {doing}; a scorer must return its frame or raise, never end or crash the process"

    # --- the map

    def imap_unordered(
        self, fn: Callable[[Any], Any], tasks: Iterator[Any], *, on_fault: FaultHandler | None = None,
        on_rows: Callable[[str, Any], None] | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """``(task, fn(task))`` as tasks finish; a task whose worker dies in a scorer goes through ``on_fault``.

        ``on_rows(label, rows)`` receives what a worker hands over (:func:`audit.engine.guard.hand_over`) while
        it works — each batch once, also when a task is run again after a fault.
        """
        self._on_rows = on_rows
        from multiprocessing.connection import wait

        tasks = iter(tasks)
        queue: collections.deque[_Job] = collections.deque()
        exhausted = False

        def next_job() -> _Job | None:
            nonlocal exhausted
            if queue:
                return queue.popleft()
            task = None if exhausted else next(tasks, None)
            if task is None:
                exhausted = True
                return None
            return _Job(task=task, origin=task)

        while True:
            for w in [w for w in self._pool if w.job is None and not w.process.is_alive()]:
                self._retire(w)  # an idle worker that ended (it cannot have been running a scorer)
            for w in [w for w in self._pool if w.job is None]:  # hand out work
                job = next_job()
                if job is None:
                    break
                self._send(w, fn, job)
            while len(self._pool) < self.workers:
                job = next_job()
                if job is None:
                    break
                self._send(self._start(), fn, job)
            busy = [w for w in self._pool if w.job is not None]
            if not busy:
                return
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=POLL_SECONDS)
            for w in busy:
                if w.conn in ready or w.process.sentinel in ready:
                    done = self._drain(w)
                    if done is not None:
                        kind, value = done
                        job, w.job, w.section, w.call_started = w.job, None, None, None
                        assert job is not None  # a busy worker has a job
                        if w.retiring:
                            self._retire(w)
                        if kind == "raised":
                            raise value
                        result = _finished(job, value)
                        if w in self._pool:  # its next task goes out before this result is consumed (merged, saved)
                            following = next_job()
                            if following is not None:
                                self._send(w, fn, following)
                            else:  # nothing left for it: its heap goes back now, not while the others peak
                                self._release(w)
                        yield job.origin, result
                        continue
                if not w.process.is_alive() and w.job is not None:
                    yield from self._lost(w, on_fault, queue)
            self._enforce_limits()

    def _send(self, w: _Worker, fn: Any, job: _Job) -> None:
        w.job, w.section, w.call_started, w.killed_because = job, None, None, None
        try:
            w.conn.send((fn, job.task))
        except OSError:  # the worker has died: its sentinel says so, and the task is retried (_lost)
            pass

    def _release(self, w: _Worker) -> None:
        """Tell an idle worker no task is coming, so it gives its freed memory back (:data:`RELEASE`)."""
        try:
            w.conn.send(RELEASE)
        except OSError:  # the worker has died: noticed when it is next given a task
            pass

    def _drain(self, w: _Worker) -> tuple[str, Any] | None:
        """Read every message the worker sent; its result, if one came."""
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                kind = msg[0]
                if kind == "section":
                    w.section, w.call_started = msg[1], None
                    w.section_started = time.monotonic()
                elif kind == "call":
                    w.call_started = time.monotonic()
                elif kind == "return":
                    w.call_started = None
                elif kind == "rows":
                    _, label, seq, rows = msg
                    job = w.job
                    if job is not None and seq >= job.delivered.get(label, 0):
                        job.delivered[label] = seq + 1
                        if self._on_rows is not None:
                            self._on_rows(label, rows)
                    w.conn.send(("ack",))
                elif kind == "raised":
                    return kind, msg[1]
                elif kind == "done":
                    w.retiring = msg[2]
                    return kind, msg[1]
        except (EOFError, OSError):  # the worker died; its sentinel says so
            pass
        return None

    def _lost(self, w: _Worker, on_fault: FaultHandler | None, queue: collections.deque) -> Iterator[tuple[Any, Any]]:
        """A busy worker died: report its scorer, replace it, and go on with the task."""
        label, job = w.section, w.job
        assert job is not None
        message = self._death_message(w)
        self._retire(w)
        if label is None or on_fault is None:
            if job.attempt >= 1:
                raise WorkerLost(
                    f"a worker process died twice running the same task outside any scorer ({message}); "
                    f"{_unguarded_script_hint()}"
                    "this is a fault of scs-audit or of the machine (memory?): rerun with --debug and report it"
                )
            queue.appendleft(_Job(task=job.task, origin=job.origin, attempt=job.attempt + 1, finish=job.finish,
                                  delivered=job.delivered))
            return
        fault = on_fault(job.task, label, f"scorer {label!r} {message}")
        finish = [*job.finish, fault.finish] if fault.finish else job.finish
        if fault.retry is None:
            yield job.origin, _finished(_Job(task=job.task, origin=job.origin, finish=job.finish), fault.result)
        else:
            queue.appendleft(_Job(task=fault.retry, origin=job.origin, finish=finish, delivered=job.delivered))

    def _enforce_limits(self) -> None:
        now = time.monotonic()
        for w in self._pool:
            if w.job is None or w.killed_because or not w.process.is_alive():
                continue
            if self.timeout is not None and w.call_started is not None and now - w.call_started > self.timeout + GRACE_SECONDS:
                w.killed_because = (
                    f"exceeded --scorer-timeout {self.timeout:g} s and did not stop when interrupted "
                    f"(its process was killed after {now - w.call_started:.1f} s); speed the scorer up, or raise "
                    "--scorer-timeout"
                )
                w.process.kill()
            elif self.memory_limit is not None and w.section is not None:
                rss = rss_bytes(w.process.pid)
                if rss > self.memory_limit:
                    w.killed_because = (
                        f"used more memory than --worker-memory allows ({rss / 2**20:,.0f} MiB, limit "
                        f"{self.memory_limit / 2**20:,.0f} MiB; its process was killed); give the scorer less to hold, "
                        "or raise --worker-memory"
                    )
                    w.process.kill()

    # --- closing

    def close(self, *, abort: bool = False) -> None:
        """Stop the workers: politely when idle, at once with ``abort`` (Ctrl-C, an error)."""
        if self._closed:
            return
        self._closed = True
        for w in list(self._pool):
            if abort or w.job is not None:
                w.process.kill()
            else:
                try:
                    w.conn.send(None)
                except OSError:  # pragma: no cover - already gone
                    pass
        for w in list(self._pool):
            w.process.join(timeout=10)
            if w.process.is_alive():  # pragma: no cover - would not stop
                w.process.kill()
                w.process.join()
            w.conn.close()
        self._pool.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(abort=exc_type is not None)


def _unguarded_script_hint() -> str:
    """A hint when the run was started from a Python script: worker processes import the script, and an
    unguarded call starts the run again inside each worker, which then dies."""
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or os.path.basename(path) in ("scs-audit", "__main__.py", "pytest"):
        return ""
    return (f"if {os.path.basename(path)} calls audit.run at import, put the call under "
            "`if __name__ == \"__main__\":` (worker processes import the script); otherwise ")
