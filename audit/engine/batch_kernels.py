"""Compiled passes over a batch's people that every scorer's audits read: offset tables and tier lookups.

:func:`run_offsets`, the offset table of a batch
(:class:`audit.engine.person_rows.PersonRows`) in one counting pass. The numpy formulation, ``count = np.bincount(column - first_id, minlength=n)``
then ``first[1:] = np.cumsum(count[:-1])``, makes a full-length temporary of
the shifted ids, a cast of it, a range check and the count, and copies the
result once more to int64; on the five million events and five million ties
of a batch that is several passes where one does. The result is identical
(``tests/audit/test_person_rows.py`` checks it against the numpy formulation).

:func:`lookup_codes`, a table lookup per person (whether each person's tier is
favourable, :func:`audit.engine.contract.favourable_mask`): numpy's
``table[codes]`` first widens the int8 codes of a million people to a
platform-sized index array, which costs several times the lookup itself.

:func:`id_runs`, the rows of a few people in a sorted id column
(:meth:`audit.engine.person_rows.PersonRows.rows_of` before a batch's offset
table is built): two binary searches per person over a column of five million
ids wait on a dozen cache misses each; the ids of a synthetic batch are spread
almost evenly over the column, so a guess by linear interpolation lands within a
few cache lines of the answer and one search per person finds its first row (the
run's end by a scan). About a third of the searches' CPU on the 731 to 30,000
people a ground-truth sample or a replay pool looks up in a batch; the rows are
the searches' (``tests/audit/test_person_rows.py``).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["id_runs", "lookup_codes", "run_offsets", "strictly_increasing"]

#: Interpolation rounds per id before :func:`id_runs` falls back to halving (keeps the worst case logarithmic).
_GUESSES = 4
#: A bracket this narrow is scanned rather than searched (a few cache lines of int64 ids).
_SCAN = 16
#: Ids compared per step of :func:`strictly_increasing` before it looks whether one was out of order.
_STRIDE = 1024


@numba.njit(cache=True, nogil=True)
def run_offsets(column: np.ndarray, first_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(first, count)`` per person ``first_id + j``: rows of ``column`` holding that id, and where they start.

    ``column`` must be sorted and hold only ids in ``[first_id, first_id + n)``
    (the caller checks both); numpy: ``count = np.bincount(column - first_id, minlength=n)``,
    ``first = np.concatenate(([0], np.cumsum(count)[:-1]))``.
    """
    count = np.zeros(n, dtype=np.int64)
    for i in range(column.shape[0]):
        count[np.int64(column[i]) - first_id] += 1
    first = np.empty(n, dtype=np.int64)
    total = 0
    for j in range(n):
        first[j] = total
        total += count[j]
    return first, count


@numba.njit(cache=True, nogil=True)
def lookup_codes(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` (a negative code counts from the end of ``table``, as in numpy; codes must be in range)."""
    n = table.shape[0]
    out = np.empty(codes.shape[0], dtype=table.dtype)
    for i in range(codes.shape[0]):
        c = np.int64(codes[i])
        c += n * (c < 0)
        out[i] = table[np.uint64(c)]
    return out


@numba.njit(cache=True, nogil=True)
def id_runs(column: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, count)`` of each id of ``wanted`` in ``column``: where its rows start and how many there are.

    ``column`` must be sorted and ``wanted`` ascending and distinct, both int64
    (the caller checks); numpy: ``first = np.searchsorted(column, wanted, "left")``,
    ``count = np.searchsorted(column, wanted, "right") - first``. Each search
    starts where the previous id's rows end; while the bracket is wide, up to
    :data:`_GUESSES` interpolated guesses (each followed by a gallop that
    narrows the far side), then halving, then a scan of the last
    :data:`_SCAN` rows.
    """
    n = column.shape[0]
    first = np.empty(wanted.shape[0], np.int64)
    count = np.empty(wanted.shape[0], np.int64)
    lo = np.int64(0)
    for q in range(wanted.shape[0]):
        x = wanted[q]
        hi = np.int64(n)  # invariant: the first row holding an id >= x is in [lo, hi]
        guesses = 0
        while hi - lo > _SCAN:
            if column[lo] >= x:
                hi = lo
            elif column[hi - 1] < x:
                lo = hi
            elif guesses < _GUESSES:
                guesses += 1
                lo, hi = _guess(column, x, lo, hi)
            else:
                mid = (lo + hi) // 2
                if column[mid] < x:
                    lo = mid + 1
                else:
                    hi = mid
        while lo < hi and column[lo] < x:
            lo += 1
        end = lo
        while end < n and column[end] == x:
            end += 1
        first[q] = lo
        count[q] = end - lo
        lo = end
    return first, count


@numba.njit(cache=True, nogil=True, inline="always")
def _guess(column: np.ndarray, x: np.int64, lo: np.int64, hi: np.int64) -> tuple[np.int64, np.int64]:
    """One interpolation step of :func:`id_runs`: ``column[lo] < x <= column[hi - 1]``; the narrower ``(lo, hi)``.

    The guess splits the bracket where ``x`` would sit were the ids spread
    evenly; a gallop from the guess, in steps doubling from 8 rows, then
    bounds the side the guess did not.
    """
    a, b = column[lo], column[hi - 1]
    g = lo + np.int64((x - a) * ((hi - 1 - lo) / (b - a)))
    g = min(max(g, lo), hi - 1)
    step = np.int64(8)
    if column[g] < x:
        lo = g + 1
        while lo + step < hi and column[lo + step] < x:
            lo += step + 1
            step *= 2
        if lo + step < hi:
            hi = lo + step
    else:
        hi = g
        while hi - step > lo and column[hi - step] >= x:
            hi -= step
            step *= 2
        if hi - step > lo:
            lo = hi - step + 1
    return lo, hi


@numba.njit(cache=True, nogil=True)
def strictly_increasing(ids: np.ndarray) -> bool:
    """Whether each id is greater than the one before (numpy: ``bool(np.all(ids[1:] > ids[:-1]))``).

    Whether a batch's people are sorted with no id repeated, once per batch
    (:class:`audit.engine.person_rows.PersonRows`): numpy's formulation writes a
    million-entry temporary and reads it again; here a pass in strides of
    :data:`_STRIDE` ids, each compared without a branch and so in vector
    instructions, that stops at the first stride out of order.
    """
    n = ids.shape[0]
    for start in range(1, n, _STRIDE):
        out_of_order = False
        for i in range(start, min(start + _STRIDE, n)):
            out_of_order |= ids[np.uint64(i)] <= ids[np.uint64(i - 1)]
        if out_of_order:
            return False
    return True
