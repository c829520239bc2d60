"""Compiled loops of the generator's friendship ties: the homophily key, its order, each person's friend row.

Each kernel equals the numpy formulation in its docstring (checked in
``tests/audit/test_synth_kernels.py``); why compiled and branch-free: see
:mod:`audit.population.synth.event_kernels`. Tie rows up to 8 long are sorted
by a sorting network, longer ones up to ``_SMALL_ROW`` by a branch-free
insertion.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

__all__ = ["pack_keys", "tie_key", "tie_rows", "unpack_order"]


_jit = numba.njit(cache=True, nogil=True)

_u = np.uint64  # an index known to be >= 0 (no negative-index fix-up)

#: Tie rows up to 8 long are sorted by a sorting network, up to this length by
#: a branch-free insertion, longer ones by numba's quicksort (the result is the
#: same sorted row).
_SMALL_ROW = 16
#: Padding after a short row: sorts after every person.
_PAD = np.iinfo(np.int64).max



# ``_pick`` and ``_nonempty`` are the same in :mod:`audit.population.synth.event_kernels`: numba's cache
# checks only the file of a cached function, so each kernel module holds every compiled helper it calls
# (a helper in a third file could change without the kernels compiled from it being recompiled);
# ``tests/audit/test_synth_kernels.py`` checks the copies are identical.
@intrinsic
def _pick(typingctx, cond, a, b):
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
    return _pick(smaller, a, b), _pick(smaller, b, a)


@numba.njit(inline="always")
def _sort8(row):  # pragma: no cover - compiled
    """Sort ``row[:8]`` in place with a 19-comparator sorting network (values in registers)."""
    r0, r1, r2, r3 = row[_u(0)], row[_u(1)], row[_u(2)], row[_u(3)]
    r4, r5, r6, r7 = row[_u(4)], row[_u(5)], row[_u(6)], row[_u(7)]
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
    row[_u(0)], row[_u(1)], row[_u(2)], row[_u(3)] = r0, r1, r2, r3
    row[_u(4)], row[_u(5)], row[_u(6)], row[_u(7)] = r4, r5, r6, r7


@_jit
def _insertion_sort(row, k):  # pragma: no cover - compiled
    """Sort ``row[:k]`` in place by branch-free insertion."""
    for j in range(1, k):
        v = row[_u(j)]
        for t in range(j):
            here = row[_u(t)]
            smaller = here < v
            row[_u(t)] = _pick(smaller, here, v)
            v = _pick(smaller, v, here)
        row[_u(j)] = v


@_jit
def _nonempty(values):  # pragma: no cover - compiled
    """``values``, or one zero if it is empty (so a clamped index always reads something)."""
    if values.shape[0] == 0:
        return np.zeros(1, values.dtype)
    return values


@_jit
def tie_key(z, education, noise, out):  # pragma: no cover - compiled
    """The homophily key: ``out = z + 0.5 * (education - 1.5) + 0.25 * noise``."""
    for ii in range(z.shape[0]):
        i = _u(ii)
        out[i] = z[i] + 0.5 * (education[i] - 1.5) + 0.25 * noise[i]


@_jit
def pack_keys(key, packed):  # pragma: no cover - compiled
    """Sortable 64-bit words: the top 48 bits of ``key`` in an order-keeping form, then the row (``len(key) <= 2**16``).

    ``np.sort(packed) & 0xFFFF`` orders the rows by key wherever keys differ
    in their top 48 bits; :func:`unpack_order` says whether that order is the
    argsort.
    """
    bits = key.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    low = np.uint64(0xFFFF)
    for ii in range(key.shape[0]):
        i = _u(ii)
        b = bits[i]
        flipped = _pick((b & sign) != np.uint64(0), ~b, b | sign)  # negative floats reversed, below the positive
        packed[i] = (flipped & ~low) | i


@_jit
def unpack_order(key, packed, order):  # pragma: no cover - compiled
    """Rows from sorted :func:`pack_keys` words; True when their keys strictly increase.

    Then the keys are distinct and ``order`` is ``np.argsort(key)`` (the only
    order that sorts them). False (two keys equal, or equal in their top 48
    bits): use ``np.argsort``, whose order of equal keys is its own.
    """
    low = np.uint64(0xFFFF)
    increasing = True
    previous = -np.inf
    for ii in range(packed.shape[0]):
        i = _u(ii)
        row = np.int64(packed[i] & low)
        order[i] = row
        value = key[_u(row)]
        increasing &= previous < value
        previous = value
    return increasing


@_jit
def tie_rows(
    order, u_near, homophily, offset, reach, random_friend, k, first, rank, in_degree, out_person, out_friend,
):  # pragma: no cover - compiled
    """Each person's ``k`` friend draws, sorted, without duplicates or the person; returns how many, and the largest in-degree.

    ``order`` is the argsort of the homophily key; draw ``(i, j)`` (row-major,
    ``u_near`` flat) is a near neighbour when ``u_near < homophily``, taking
    the next ``offset`` (``0 .. 2 * reach - 1``), else the next
    ``random_friend``. ``rank`` is scratch (one per person); ``in_degree``
    (one per person) is filled with how many kept ties name each person as
    the friend, counted as the ties are written (so the in-degree bound,
    :func:`audit.population.tie_bound.cap_in_degree`, needs no pass of its
    own over the ties when no one exceeds it). ``order``, ``rank`` and
    ``in_degree`` may be any integer type holding ``n - 1``; the generator
    passes 16-bit ones (a block has at most ``2**16`` people): the loop reads
    ``order`` and updates ``in_degree`` at random rows, and at 16 bits the
    three arrays (384 KiB for a block) stay in a core's 512 KiB second-level
    cache, where 32-bit ones did not. The numpy formulation::

        rank = np.empty(n, np.int64); rank[order] = np.arange(n)
        near = (u_near < homophily).reshape(n, k); rows = np.nonzero(near)[0]
        off = offset - reach; off += off >= 0
        friend = np.empty((n, k), np.int64)
        friend[near] = order[np.clip(rank[rows] + off, 0, n - 1)]
        friend[~near] = random_friend
        friend.sort(axis=1)
        keep = friend != np.arange(n)[:, None]
        keep[:, 1:] &= friend[:, 1:] != friend[:, :-1]
        out_person, out_friend = first + row of each kept entry, first + friend[keep]
        in_degree = np.bincount(friend[keep], minlength=n); most = in_degree.max()
    """
    n = order.shape[0]
    for r in range(n):
        rank[_u(order[_u(r)])] = r
        in_degree[_u(r)] = 0
    offset = _nonempty(offset)
    random_friend = _nonempty(random_friend)
    last_a = offset.shape[0] - 1
    last_b = random_friend.shape[0] - 1
    row = np.full(max(k, 8), _PAD, np.int64)  # entries k.. stay padding (sorted last)
    network, insertion = k <= 8, 8 < k <= _SMALL_ROW
    last = n - 1
    a = 0
    b = 0
    w = 0
    for i in range(n):
        here = rank[_u(i)]
        for j in range(k):
            near = u_near[_u(i * k + j)] < homophily
            o = offset[_u(min(a, last_a))] - reach
            o += 1 if o >= 0 else 0
            neighbour = order[_u(min(max(here + o, 0), last))]
            stranger = random_friend[_u(min(b, last_b))]
            row[_u(j)] = _pick(near, neighbour, stranger)
            a += 1 if near else 0
            b += 0 if near else 1
        if network:
            _sort8(row)
        elif insertion:
            _insertion_sort(row, k)
        else:
            row.sort()
        prev = -1
        for j in range(k):
            f = row[_u(j)]
            out_person[_u(w)] = first + i
            out_friend[_u(w)] = first + f
            kept = (f != i) & (f != prev)
            in_degree[_u(f)] += 1 if kept else 0
            w += 1 if kept else 0
            prev = f
    most = 0
    for r in range(n):
        most = max(most, in_degree[_u(r)])
    return w, most
