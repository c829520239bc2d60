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
table is built): a search over a column of five million ids waits on a dozen
cache misses, and a search that starts where the one before ended, or that
branches on what it read, waits on them one after another. The searches of
:data:`_LANES` people go in lockstep instead: each step halves every one's
bracket by a comparison without a branch, so the processor has all their
loads in flight at once. On the 731 to 30,000 people a ground-truth sample or a
replay pool looks up in a batch, with the column out of cache as in a run,
that takes about 0.6 to 0.8 of the CPU of the interpolated search it replaces
(one search per person, each probe waiting on the one before) in the events
and 0.8 to 1.0 in the ties (``python bench/person_rows.py`` in two trees); the
rows are the searches' (``tests/audit/test_person_rows.py``).

:func:`strictly_increasing`, whether a batch's people are sorted with no id
repeated (one run per person in a sorted table), checked once per batch.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["id_runs", "lookup_codes", "run_offsets", "strictly_increasing"]

#: Searches :func:`id_runs` runs in lockstep (their loads in flight together; a few kilobytes of state).
_LANES = 32
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

    ``column`` must be sorted (the caller checks), ``wanted`` in any order;
    numpy: ``first = np.searchsorted(column, wanted, "left")``,
    ``count = np.searchsorted(column, wanted, "right") - first``. The ids are
    searched :data:`_LANES` at a time, in lockstep: every search's bracket
    ``[base, base + length]`` holds its first row, and each step halves all the
    brackets alike (``base`` moves up by half when the row there is below the
    id: a select, not a branch), so the loop over the lanes holds no branch
    on the data and their loads overlap. Then each run's end by a scan (its
    rows are in the cache lines the search just read).
    """
    n = column.shape[0]
    w = wanted.shape[0]
    first = np.zeros(w, np.int64)
    count = np.zeros(w, np.int64)
    if n == 0:
        return first, count
    base = np.empty(_LANES, np.int64)
    for start in range(0, w, _LANES):
        m = min(_LANES, w - start)
        base[:m] = 0
        length = np.int64(n)
        while length > 1:
            half = length >> 1
            for q in range(m):
                b = base[q]
                base[q] = b + half if column[np.uint64(b + half)] < wanted[np.uint64(start + q)] else b
            length -= half
        for q in range(m):
            x = wanted[np.uint64(start + q)]
            lo = base[q] + (column[np.uint64(base[q])] < x)  # the first row holding an id >= x (n: none)
            end = lo
            while end < n and column[np.uint64(end)] == x:
                end += 1
            first[np.uint64(start + q)] = lo
            count[np.uint64(start + q)] = end - lo
    return first, count


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
