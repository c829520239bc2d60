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


@_jit
def is_consecutive(ids: np.ndarray) -> bool:
    """True when integer ``ids`` are ``ids[0], ids[0] + 1, ...`` (a synthetic chunk's people)."""
    for i in range(1, ids.shape[0]):
        if ids[i] - ids[i - 1] != 1:
            return False
    return ids.shape[0] > 0


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
