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
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["lookup_codes", "run_offsets"]


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
