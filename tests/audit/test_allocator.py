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



def test_a_heap_that_creeps_above_where_it_settled_is_trimmed_and_settles_again():
    """The first task sets the level; a task ending more than the margin above it asks for a trim; the next resettles."""
    from audit.engine.allocator import HeapCreep

    mib = 1 << 20
    creep = HeapCreep(creep_bytes=48 * mib)
    assert not creep.should_trim(620 * mib)  # the first task sets the level
    assert [creep.should_trim(r * mib) for r in (615, 660, 668)] == [False, False, False]  # within the margin
    assert creep.should_trim(700 * mib)  # crept: trim
    creep.trimmed()
    assert creep.trims == 1 and creep.level is None
    assert not creep.should_trim(622 * mib)  # the task after the trim faults in what it uses: the new level
    assert creep.level == 622 * mib
    assert [creep.should_trim(r * mib) for r in (630, 669, 671)] == [False, False, True]


def test_a_step_up_in_what_tasks_use_costs_one_trim_not_one_per_task():
    """A small first task (a probe), then chunks: trimmed once, at the step, then settled at the chunks' level."""
    from audit.engine.allocator import HeapCreep

    mib = 1 << 20
    creep = HeapCreep(creep_bytes=48 * mib)
    trims = 0
    for resident in (320, 620, 625, 618, 622, 621, 630):
        if creep.should_trim(resident * mib):
            creep.trimmed()
            trims += 1
    assert trims == 1 and creep.level == 625 * mib
