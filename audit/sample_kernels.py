"""Compiled person-id hashes: samples (:func:`audit.randomness.rows_sampled`) and uniforms (:func:`audit.randomness.person_uniform`).

The numpy formulation, ``np.flatnonzero(person_uniform(...) < rate)``, makes
six passes and five temporaries over every person of a batch to keep a
handful of them; this loop hashes each id and keeps the row in one pass. The
arithmetic is the same unsigned 64-bit SplitMix64 finaliser and the same
conversion to a double, so the rows are identical (checked in
``tests/audit/test_randomness.py``). :func:`hashed_uniform` is the same hash
for every id, in one pass where numpy makes eight (the replay sample hashes
every person of a batch).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["hashed_below", "hashed_uniform"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_UNIT = 1.0 / (1 << 53)


@numba.njit(cache=True, nogil=True, inline="always")
def _uniform(person_id: np.int64, offset: np.uint64) -> np.float64:
    """The uniform of one id: the SplitMix64 finaliser of ``id * golden + offset``, its top 53 bits as a double."""
    x = np.uint64(person_id) * _GOLDEN + offset
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    x = x ^ (x >> np.uint64(31))
    return np.float64(x >> np.uint64(11)) * _UNIT


@numba.njit(cache=True, nogil=True)
def hashed_below(ids: np.ndarray, offset: np.uint64, rate: float) -> np.ndarray:
    """Rows ``i`` with ``uniform(ids[i]) < rate``, where uniform is :func:`audit.randomness.person_uniform`."""
    out = np.empty(ids.shape[0], np.int64)
    k = 0
    for i in range(ids.shape[0]):
        if _uniform(ids[i], offset) < rate:
            out[k] = i
            k += 1
    return out[:k].copy()


@numba.njit(cache=True, nogil=True)
def hashed_uniform(ids: np.ndarray, offset: np.uint64) -> np.ndarray:
    """``uniform(ids[i])`` for every ``i``, where uniform is :func:`audit.randomness.person_uniform`."""
    out = np.empty(ids.shape[0], np.float64)
    for i in range(ids.shape[0]):
        out[i] = _uniform(ids[i], offset)
    return out
