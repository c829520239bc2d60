"""Compiled whole-array helpers of the scorers: ids, grouping, reasons of a cost matrix.

Why compiled: each replaces several numpy passes with temporaries by one
loop. These run on their own (no kernel calls them), so they live apart from
the per-person kernels of :mod:`scorers._compiled`.
``tests/scorers/test_compiled.py`` checks each against its numpy formulation.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["combo_keys_dense", "is_consecutive", "stable_order"]

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


@_jit
def combo_keys_dense(costs: np.ndarray, k: int, min_cost: float, lut: np.ndarray):
    """Per row of ``costs``: the number of its reason combination, and the combinations' keys.

    A row's combination is its ``k`` costliest entries above ``min_cost``,
    costliest first, ties by position, coded in ``k`` digits base ``m + 1``
    (most significant first; position + 1 of each pick, 0 where fewer than
    ``k`` qualify), as :func:`scorers._kernel.reasons_of` reads them. ``lut``
    (all -1, one slot per possible key) is filled in place. Returns
    ``(combo, keys, count)``: ``keys[:count]`` are the distinct keys in order
    of first sight.
    """
    n, m = costs.shape
    combo = np.empty(n, np.int32)
    keys = np.empty(min(n, lut.shape[0]) + 1, np.int64)
    ncombo = 0
    idx = np.zeros(max(k, 1), np.int64)
    val = np.zeros(max(k, 1), np.float64)
    for r in range(n):
        cnt = 0  # the running top k, costliest first: insert each qualifying entry after its equals
        for i in range(m):
            v = costs[r, i]
            if not (v > min_cost) or k == 0 or (cnt == k and not (v > val[k - 1])):
                continue
            if cnt < k:
                cnt += 1
            p = cnt - 1
            while p > 0 and val[p - 1] < v:
                val[p] = val[p - 1]
                idx[p] = idx[p - 1]
                p -= 1
            val[p] = v
            idx[p] = i
        key = 0
        for j in range(k):
            key = key * (m + 1) + (idx[j] + 1 if j < cnt else 0)
        c = lut[key]
        if c < 0:
            c = ncombo
            lut[key] = c
            keys[c] = key
            ncombo += 1
        combo[r] = c
    return combo, keys, ncombo
