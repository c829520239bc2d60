"""The allocator switches: freed memory kept for the next batch while busy, given back once a worker is idle."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from audit.engine.allocator import _glibc
from audit.engine.worker_process import rss_bytes
from audit.engine.workers import ProcessExecutor

pytestmark = pytest.mark.skipif(_glibc() is None, reason="malloc_trim and mallopt are glibc's")

MIB = 2**20
HELD = 400 * MIB


def _hold_then_free(_: object) -> tuple[int, int]:
    """Fill and free HELD bytes with the allocator keeping freed memory: (pid, resident bytes after the free)."""
    from audit.engine.allocator import reuse_freed_memory

    reuse_freed_memory()
    a = np.ones(HELD // 8)
    del a
    return os.getpid(), rss_bytes(os.getpid())


def test_return_freed_memory_gives_back_what_reuse_freed_memory_kept():
    script = (
        "import os, numpy as np\n"
        "from audit.engine.allocator import reuse_freed_memory, return_freed_memory\n"
        "from audit.engine.worker_process import rss_bytes\n"
        "reuse_freed_memory()\n"
        f"a = np.ones({HELD // 8}); del a\n"
        "kept = rss_bytes(os.getpid())\n"
        "assert return_freed_memory()\n"
        "print(kept, rss_bytes(os.getpid()))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    kept, after = map(int, out.stdout.split())
    assert kept > HELD * 0.9  # the freed array stayed in the heap
    assert kept - after > HELD * 0.9, (kept // MIB, after // MIB)


def test_an_idle_worker_gives_back_the_memory_its_task_freed():
    with ProcessExecutor(1) as pool:
        ((_, (pid, kept)),) = list(pool.imap_unordered(_hold_then_free, iter([0])))
        assert kept > HELD * 0.9  # while busy the worker keeps freed memory for its next task
        deadline = time.monotonic() + 10
        while rss_bytes(pid) > kept - HELD * 0.9 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kept - rss_bytes(pid) > HELD * 0.9, (kept // MIB, rss_bytes(pid) // MIB)


def _resident(_: object) -> tuple[int, int]:
    """(pid, resident bytes) at the start of a task."""
    return os.getpid(), rss_bytes(os.getpid())


def test_a_worker_sent_tasks_back_to_back_keeps_its_heap_between_them():
    results = []
    with ProcessExecutor(1) as pool:
        for _, out in pool.imap_unordered(_run_task, iter(["hold", "resident"])):
            results.append(out)
            time.sleep(0.3)  # the main process merging and saving the result, as a run does
    (pid, kept), (pid_next, at_start) = results
    assert pid == pid_next
    assert kept > HELD * 0.9
    assert at_start > kept - HELD * 0.1, (kept // MIB, at_start // MIB)  # not given back between the two tasks


def _run_task(name: str) -> tuple[int, int]:
    return _hold_then_free(None) if name == "hold" else _resident(None)


def test_a_worker_is_handed_its_next_task_before_its_result_is_consumed():
    submitted: list[int] = []

    def tasks():
        for i in range(3):
            submitted.append(i)
            yield i

    seen = []
    with ProcessExecutor(1) as pool:
        for task, _ in pool.imap_unordered(_resident, tasks()):
            seen.append((task, list(submitted)))
    # when task 0's result arrives, task 1 is already with the worker; when task 1's, task 2
    assert seen == [(0, [0, 1]), (1, [0, 1, 2]), (2, [0, 1, 2])]


def _releases(_: object) -> int:
    """How many times this worker was told no task was coming (and gave its freed memory back then)."""
    from audit.engine.worker_process import released_on_request

    return released_on_request()


def test_a_worker_left_without_a_task_is_told_to_give_its_memory_back_at_once():
    with ProcessExecutor(1) as pool:
        assert [out for _, out in pool.imap_unordered(_releases, iter([0, 1]))] == [0, 0]  # tasks back to back
        # the second task's result left the pool nothing to send: the worker was told so before this call
        assert [out for _, out in pool.imap_unordered(_releases, iter([2]))] == [1]



def test_a_heap_that_creeps_above_where_it_settled_is_trimmed_once():
    """The first tasks set the level; a task ending more than the margin above it asks for a trim."""
    from audit.engine.allocator import HeapCreep

    mib = 1 << 20
    creep = HeapCreep(settle_tasks=3, creep_bytes=48 * mib)
    # a probe, then two chunks: the level is the largest of them
    assert [creep.should_trim(r * mib) for r in (300, 620, 615)] == [False, False, False]
    assert creep.level == 620 * mib
    assert not creep.should_trim(660 * mib)  # within the margin
    assert creep.should_trim(700 * mib)  # crept: trim
    creep.trimmed(260 * mib)  # the trim gave it back: the level stays
    assert creep.level == 620 * mib and creep.trims == 1
    assert not creep.should_trim(625 * mib)


def test_memory_in_use_raises_the_level_instead_of_trimming_every_task():
    from audit.engine.allocator import HeapCreep

    mib = 1 << 20
    creep = HeapCreep(settle_tasks=1, creep_bytes=48 * mib)
    creep.should_trim(600 * mib)
    assert creep.should_trim(900 * mib)
    creep.trimmed(880 * mib)  # still resident after the trim: in use, not freed memory
    assert creep.level == 880 * mib
    assert not creep.should_trim(900 * mib)
