"""Who a supplied dataset is about: fingerprints and sketches of its person-id set.

A privacy budget belongs to the people in a dataset, not to a file: shuffling
rows, renaming the file or leaving out the ties table must not buy a new
budget. The ledger (:mod:`audit.privacy.ledger`) therefore keys budgets on a
declared data-source name and checks the person-id set:

- :func:`id_fingerprint`: SHA-256 of the sorted, de-duplicated ids (the same people);
- :func:`id_sketch`: the :data:`SKETCH_SIZE` smallest 64-bit hashes of the ids, a
  bottom-k MinHash sketch (Broder 1997; Cohen and Kaplan 2007) from which
  :func:`similarity` estimates the Jaccard similarity of two id sets (nearly the
  same people) with standard error about ``1 / sqrt(k)``.

Both are private: they are derived from the data and kept in results.json and
the ledger file (user-only permissions), never in published.json.
"""

from __future__ import annotations

import hashlib

import numpy as np

from audit.population.columns import unique_ids

__all__ = ["NEAR_IDENTICAL", "SKETCH_SIZE", "id_fingerprint", "id_sketch", "similarity", "splitmix64"]

#: Hashes kept in a bottom-k sketch (standard error of the Jaccard estimate about 1/sqrt(k) = 0.044).
SKETCH_SIZE = 512
#: Estimated Jaccard similarity at or above which two id sets are "nearly the same people".
#: Assumption: a dataset re-sent with a tenth of its people added or removed is still the same people.
NEAR_IDENTICAL = 0.8

#: splitmix64's increment (the golden ratio in 64 bits).
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _ids(ids: np.ndarray) -> np.ndarray:
    return unique_ids(np.asarray(ids).astype(np.int64))


def splitmix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 (Steele, Lea and Flood 2014) of each 64-bit value: a fixed, well-spread hash, no seed."""
    x = np.asarray(x).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x + GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def _hash(ids: np.ndarray) -> np.ndarray:
    return splitmix64(ids.astype(np.int64))


def id_fingerprint(ids: np.ndarray) -> str:
    """SHA-256 (hex) of the sorted distinct ids: equal exactly when the id sets are equal."""
    return hashlib.sha256(_ids(ids).astype("<i8").tobytes()).hexdigest()


def id_sketch(ids: np.ndarray, k: int = SKETCH_SIZE) -> list[int]:
    """The ``k`` smallest hashes of the distinct ids, ascending (a bottom-k MinHash sketch)."""
    h = np.sort(_hash(_ids(ids)))[:k]
    return [int(v) for v in h]


def similarity(a: list[int], b: list[int], k: int = SKETCH_SIZE) -> float:
    """Estimated Jaccard similarity of two id sets from their bottom-k sketches.

    The ``k`` smallest hashes of the union are the union sketch; the share of
    them found in both sketches estimates ``|A ∩ B| / |A ∪ B|`` (Cohen and
    Kaplan 2007). Exact when both sets have at most ``k`` ids.
    """
    sa, sb = set(a), set(b)
    union = sorted(sa | sb)[:k]
    if not union:
        return 1.0
    return sum(1 for h in union if h in sa and h in sb) / len(union)
