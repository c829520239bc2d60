"""Compiled whole-array helpers of the scorers: consecutive ids, grouping events by person.

Why compiled: each replaces several numpy passes with temporaries by one
loop. These run on their own (no kernel calls them), so they live apart from
the per-person kernels of :mod:`scorers._kernels._compiled`.
``tests/scorers/kernels/test_compiled.py`` checks each against its numpy formulation.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["is_consecutive", "stable_order"]

_jit = numba.njit(cache=True, nogil=True)


#: Ids :func:`is_consecutive` compares without a branch before it looks for a defect.
_GAP_BLOCK = 4096


@_jit
def is_consecutive(ids: np.ndarray) -> bool:
    """True when integer ``ids`` are ``ids[0], ids[0] + 1, ...`` (a synthetic chunk's people).

    Each id is compared with its position's (``ids[0] + i``): no id depends on
    the one before, so the compiler vectorizes the comparison (about five
    times faster than comparing neighbours' differences, which it did not).
    Defects are counted a block of :data:`_GAP_BLOCK` ids at a time (an exit at
    the first one would keep the loop scalar), and the walk stops after the
    first block with one.
    """
    n = ids.shape[0]
    if n == 0:
        return False
    first = ids[0]
    for start in range(0, n, _GAP_BLOCK):
        defects = 0
        for i in range(start, min(start + _GAP_BLOCK, n)):
            defects += ids[i] != first + i
        if defects:
            return False
    return True


@_jit
def stable_order(ids: np.ndarray, first: int, n: int) -> np.ndarray:
    """Positions of the events of rows ``0 .. n - 1`` (row = ``ids - first``), grouped by row, in table order within a row.

    A stable counting sort; events of ids outside the rows are left out.
    """
    count = np.zeros(n + 1, np.int64)
    for e in range(ids.shape[0]):
        r = ids[e] - first
        if 0 <= r < n:
            count[r + 1] += 1
    for r in range(n):
        count[r + 1] += count[r]
    order = np.empty(count[n], np.int64)
    for e in range(ids.shape[0]):
        r = ids[e] - first
        if 0 <= r < n:
            order[count[r]] = e
            count[r] += 1
    return order
