"""Branch-free compiled primitives the generator's kernels share.

A select kept as a conditional move (:func:`pick`), a sorting network and a
branch-free insertion sort for short rows, counts of a short sorted table
(``np.searchsorted`` without a branch per step). Why branch-free: see
:mod:`audit.population.synth.event_kernels`. ``u`` marks an index known to
be non-negative, so numba skips its negative-index fix-up.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

__all__ = ["PAD", "SMALL_ROW", "count_le", "count_lt", "insertion_sort", "jit", "nonempty", "pick", "sort8", "u"]

jit = numba.njit(cache=True, nogil=True)

u = np.uint64  # an index known to be >= 0 (no negative-index fix-up)

#: Tie rows up to 8 long are sorted by a sorting network, up to this length by
#: a branch-free insertion, longer ones by numba's quicksort (the result is the
#: same sorted row).
SMALL_ROW = 16
#: Padding after a short row: sorts after every person.
PAD = np.iinfo(np.int64).max


@intrinsic
def pick(typingctx, cond, a, b):
    """``a if cond else b``, kept branch-free.

    LLVM's x86 back end turns a select whose operands come from memory into a
    branch, betting it will be predicted; on random data it is not. A select
    marked ``!unpredictable`` stays a conditional move.
    """
    result = typingctx.unify_pairs(a, b)

    def codegen(context, builder, sig, args):
        c, x, y = args
        x = context.cast(builder, x, sig.args[1], sig.return_type)
        y = context.cast(builder, y, sig.args[2], sig.return_type)
        c = context.cast(builder, c, sig.args[0], types.boolean)
        chosen = builder.select(c, x, y)
        chosen.set_metadata("unpredictable", builder.module.add_metadata([]))
        return chosen

    return result(cond, a, b), codegen


@numba.njit(inline="always")
def _exchange(a, b):  # pragma: no cover - compiled
    """``(min(a, b), max(a, b))`` without a branch."""
    smaller = a < b
    return pick(smaller, a, b), pick(smaller, b, a)


@numba.njit(inline="always")
def sort8(row):  # pragma: no cover - compiled
    """Sort ``row[:8]`` in place with a 19-comparator sorting network (values in registers)."""
    r0, r1, r2, r3 = row[u(0)], row[u(1)], row[u(2)], row[u(3)]
    r4, r5, r6, r7 = row[u(4)], row[u(5)], row[u(6)], row[u(7)]
    r0, r2 = _exchange(r0, r2)
    r1, r3 = _exchange(r1, r3)
    r4, r6 = _exchange(r4, r6)
    r5, r7 = _exchange(r5, r7)
    r0, r4 = _exchange(r0, r4)
    r1, r5 = _exchange(r1, r5)
    r2, r6 = _exchange(r2, r6)
    r3, r7 = _exchange(r3, r7)
    r0, r1 = _exchange(r0, r1)
    r2, r3 = _exchange(r2, r3)
    r4, r5 = _exchange(r4, r5)
    r6, r7 = _exchange(r6, r7)
    r2, r4 = _exchange(r2, r4)
    r3, r5 = _exchange(r3, r5)
    r1, r4 = _exchange(r1, r4)
    r3, r6 = _exchange(r3, r6)
    r1, r2 = _exchange(r1, r2)
    r3, r4 = _exchange(r3, r4)
    r5, r6 = _exchange(r5, r6)
    row[u(0)], row[u(1)], row[u(2)], row[u(3)] = r0, r1, r2, r3
    row[u(4)], row[u(5)], row[u(6)], row[u(7)] = r4, r5, r6, r7


@jit
def insertion_sort(row, k):  # pragma: no cover - compiled
    """Sort ``row[:k]`` in place by branch-free insertion."""
    for j in range(1, k):
        v = row[u(j)]
        for t in range(j):
            here = row[u(t)]
            smaller = here < v
            row[u(t)] = pick(smaller, here, v)
            v = pick(smaller, v, here)
        row[u(j)] = v


@jit
def nonempty(values):  # pragma: no cover - compiled
    """``values``, or one zero if it is empty (so a clamped index always reads something)."""
    if values.shape[0] == 0:
        return np.zeros(1, values.dtype)
    return values


@jit
def count_le(sorted_values, x):  # pragma: no cover - compiled
    """``np.searchsorted(sorted_values, x, side="right")``: how many values are <= x (short tables)."""
    count = 0
    for j in range(sorted_values.shape[0]):
        count += 1 if sorted_values[u(j)] <= x else 0
    return count


@jit
def count_lt(sorted_values, x):  # pragma: no cover - compiled
    """``np.searchsorted(sorted_values, x, side="left")``: how many values are < x (short tables)."""
    count = 0
    for j in range(sorted_values.shape[0]):
        count += 1 if sorted_values[u(j)] < x else 0
    return count
