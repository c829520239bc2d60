"""The compiled pass behind :func:`audit.population.tie_bound.cap_in_degree`: which ties name an over-listed friend.

A chunk's ties name friends whose ids span a compact range. Finding the ties
to friends listed more than the cap in numpy takes a shifted copy of the
friend column, a count per id and a count per tie (``np.bincount(friend -
lo)[friend - lo] > cap``): three arrays as long as the ties (about 120 MiB at a
batch of 1,048,576 people) allocated beside the batch while it is generated,
which raised a worker's high-water mark for the rest of the run whenever a
chunk had an over-listed friend. Here it is one count array over the id range
(int32) and the rows of the few ties that need ranking; :func:`compact`
then moves the kept ties forward in the generator's own columns.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["compact", "ties_to_listed_above"]


@numba.njit(cache=True, nogil=True)
def ties_to_listed_above(friend, lo, span, above):  # pragma: no cover - compiled
    """Rows (ascending, int64) of the ties whose friend occurs more than ``above`` times in ``friend``.

    Every id of ``friend`` must lie in ``[lo, lo + span)`` (the caller checks).
    The numpy formulation: ``counts = np.bincount(friend - lo); np.flatnonzero(counts[friend - lo] > above)``.
    """
    counts = np.zeros(span, dtype=np.int32)
    for i in range(friend.shape[0]):
        counts[np.int64(friend[i]) - lo] += 1
    busy = 0
    for i in range(friend.shape[0]):
        busy += counts[np.int64(friend[i]) - lo] > above
    rows = np.empty(busy, dtype=np.int64)
    at = 0
    for i in range(friend.shape[0]):
        if counts[np.int64(friend[i]) - lo] > above:
            rows[at] = i
            at += 1
    return rows


@numba.njit(cache=True, nogil=True)
def compact(values, keep):  # pragma: no cover - compiled
    """Move ``values[keep]`` to the front of ``values``, in order, in place; returns how many were kept.

    The numpy formulation: ``kept = values[keep]; values[: kept.size] = kept``, without the copy.
    """
    at = 0
    for i in range(values.shape[0]):
        if keep[i]:
            values[at] = values[i]
            at += 1
    return at
