"""Compiled offset table of a batch (:class:`audit.engine.person_rows.PersonRows`): one counting pass.

The numpy formulation, ``count = np.bincount(column - first_id, minlength=n)``
then ``first[1:] = np.cumsum(count[:-1])``, makes a full-length temporary of
the shifted ids, a cast of it, a range check and the count, and copies the
result once more to int64; on the five million events and five million ties
of a batch that is several passes where one does. The result is identical
(``tests/audit/test_person_rows.py`` checks it against the numpy formulation).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["run_offsets"]


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
