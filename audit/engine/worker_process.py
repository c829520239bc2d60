"""The worker side of the supervised pool: what runs inside each worker process.

:class:`audit.engine.workers.ProcessExecutor` (the supervisor) starts each
worker with :func:`worker_main`, which ties the worker's life to the main
process, limits it to one numerical thread, freezes what it inherited out of
the garbage collector's reach, and then runs tasks sent over its pipe until
told to stop. The supervisor reads workers' memory with :func:`rss_bytes`.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from typing import Any

from audit.engine.allocator import HeapCreep, return_freed_memory

__all__ = [
    "IDLE_SECONDS",
    "RELEASE",
    "default_worker_memory",
    "die_with",
    "released_on_request",
    "rss_bytes",
    "worker_init",
    "worker_main",
]

#: How long a worker waits for its next task before giving its freed memory back to the system: long enough
#: that a worker fed chunk after chunk keeps its heap (refaulting it costs CPU), short beside a finalizing.
IDLE_SECONDS = 1.0

#: What the supervisor sends a worker it has no task for (:meth:`audit.engine.workers.ProcessExecutor.imap_unordered`):
#: give freed memory back now rather than after :data:`IDLE_SECONDS`. At the end of the chunk loop and of
#: finalizing, a worker left holding its last task's heap for that second sat beside its neighbour's peak.
RELEASE = "release"

_RELEASED: list[int] = [0]
"""How many times this process gave its freed memory back because the supervisor said no task was coming."""
#: This worker's heap against where it settled (:class:`audit.engine.allocator.HeapCreep`).
_CREEP = HeapCreep()


def released_on_request() -> int:
    """How many :data:`RELEASE` messages this worker has acted on (read by tests, in the worker)."""
    return _RELEASED[0]


def die_with(main_pid: int) -> None:
    """End this process when ``main_pid`` ends (Linux; elsewhere the pipe to the parent closing ends an idle worker)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1  # linux/prctl.h
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)  # our parent (the forkserver, or main) dies: so do we
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass

    def watch() -> None:
        import select

        try:
            fd = os.pidfd_open(main_pid)
        except ProcessLookupError:  # already gone
            os.kill(os.getpid(), signal.SIGKILL)
            return
        except (AttributeError, OSError):  # pragma: no cover - no pidfd (not Linux >= 5.3): poll instead
            while True:
                time.sleep(1.0)
                try:
                    os.kill(main_pid, 0)
                except ProcessLookupError:
                    os.kill(os.getpid(), signal.SIGKILL)
        select.select([fd], [], [])  # readable once the process has ended
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="scs-audit-parent-watchdog", daemon=True).start()


def worker_init() -> None:
    """One numerical thread per worker process: the pool already uses every core."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn (via fairlearn)
        pass


def worker_main(conn: Any, main_pid: int) -> None:
    """A worker's loop: receive ``(fn, task)``, report sections and calls, send the result back.

    Before the loop: tied to the main process (:func:`die_with`), one numerical
    thread (:func:`worker_init`), and every object inherited from the forkserver
    (modules, compiled kernels: :mod:`audit.preload`) moved out of the
    garbage collector's reach with :func:`gc.freeze`, so collections during the
    run scan only what the worker itself allocates, and do not write to (and so
    copy) pages shared with the forkserver. When no task has come for
    :data:`IDLE_SECONDS`, the memory the last task freed is given back to the
    system (:func:`audit.engine.allocator.return_freed_memory`): a worker keeps
    its heap between chunks sent back to back (the pool sends the next one
    before it merges the last result), but an idle one holds no more than it
    uses. A :data:`RELEASE` message (the supervisor has no task for it) gives
    the memory back at once. A busy worker whose heap has crept above where it
    settled gives back its freed memory after the task that showed it
    (:class:`audit.engine.allocator.HeapCreep`).
    """
    die_with(main_pid)
    worker_init()
    gc.freeze()
    from audit.engine import guard

    guard.set_reporter(conn)
    while True:
        try:
            if not conn.poll(IDLE_SECONDS):  # idle: the last task's freed memory goes back to the system while we wait
                return_freed_memory()
            item = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if item is None:
            return
        if item == RELEASE:
            return_freed_memory()
            _RELEASED[0] += 1
            continue
        fn, task = item
        try:
            out = fn(task)
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which decides
            try:
                conn.send(("raised", exc))
            except Exception:  # noqa: BLE001 - the exception does not pickle
                conn.send(("raised", RuntimeError(f"{type(exc).__name__}: {exc}")))
            continue
        conn.send(("done", out, guard.faulted()))
        if guard.faulted():  # a plugin raised or was interrupted here: a fresh process for the next task
            return
        del out
        if _CREEP.should_trim(rss_bytes(os.getpid())):  # the heap has crept above where it settled
            return_freed_memory()
            _CREEP.trimmed()


def default_worker_memory(workers: int) -> int | None:
    """Resident bytes each of ``workers`` may use by default: 80% of physical memory, shared among them.

    The 20% left keeps the main process and the system going while a runaway
    worker is noticed (within :data:`audit.engine.workers.POLL_SECONDS`) and killed. ``None`` where
    physical memory cannot be read.
    """
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None
    return int(0.8 * total / max(1, workers))




def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux ``/proc``); 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
