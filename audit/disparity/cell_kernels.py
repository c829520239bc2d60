"""Compiled per-person passes behind the disparity audit's per-chunk tables.

:func:`audit.disparity.audit.collect_counts` needs, for every scored chunk, the
people per cell and tier, per cell and sanction, per cell with any sanction,
per cell and rounded score, and the exact per-cell score sums
(:func:`audit.aggregate.exact_sum_limbs`). In numpy that is about twenty
passes over the people (a ``bincount`` per table, roundings, casts, limb
splits); here it is two compiled loops, with integer accumulators that give
exactly the numbers the numpy passes give (the limbs of a value are summed as
int64, which is what ``bincount`` of limbs below ``2**21`` rounds back to).
The numpy formulation stays in the tests as the reference.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["cell_tables", "score_range"]

_FIXED_SCALE = 2.0**32  # audit.aggregate._FIXED_BITS
_LIMB_BITS = 21
_LIMB_MASK = (1 << _LIMB_BITS) - 1


@numba.njit(cache=True, nogil=True)
def score_range(values: np.ndarray, scale: float) -> tuple[np.int64, np.int64, np.int64, bool]:
    """``(lo, hi, step, ok)`` of the integers ``rint(values * scale)``.

    ``lo`` and ``hi`` are the smallest and largest, ``step`` the greatest
    common divisor of their distances from ``lo`` (100 for whole-point scores
    kept to cents: their dense table is a hundred times smaller), ``ok``
    whether every value is finite and below ``2**31``. Scores that are not go
    the numpy way, which raises the error that names them.
    """
    lo = np.int64(0)
    hi = np.int64(0)
    first = np.int64(0)
    step = np.int64(0)
    for i in range(values.shape[0]):
        v = values[i]
        if not (abs(v) < 2147483648.0):  # also catches NaN
            return lo, hi, np.int64(1), False
        s = np.int64(np.rint(v * scale))
        if i == 0:
            lo = s
            hi = s
            first = s
            continue
        lo = min(lo, s)
        hi = max(hi, s)
        d = abs(s - first)
        if step == 0:
            step = d  # 0 until two values differ
        elif step != 1 and d % step != 0:
            a, b = step, d  # Euclid: gcd(step, d)
            while b:
                a, b = b, a % b
            step = a
    return lo, hi, max(step, np.int64(1)), True


@numba.njit(cache=True, nogil=True)
def cell_tables(
    cells: np.ndarray,
    tier: np.ndarray,
    n_tiers: int,
    sanctions: np.ndarray,
    values: np.ndarray,
    scale: float,
    lo: int,
    step: int,
    n_values: int,
    n_cells: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(tiers, per_sanction, any_sanction, value_counts, sum_limbs)`` in one pass over the people.

    ``tiers[c, t]`` and ``per_sanction[c, s]`` count people per cell and tier
    or sanction, ``any_sanction[c]`` people with at least one sanction,
    ``value_counts[(rint(v * scale) - lo) // step * n_cells + c]`` people per
    rounded value and cell (``lo`` and ``step`` from :func:`score_range`), ``sum_limbs[c]`` the three 21-bit limbs of the per-cell
    sum of ``rint(v * 2**32)``.
    """
    n = cells.shape[0]
    n_s = sanctions.shape[1]
    tiers = np.zeros((n_cells, n_tiers), np.int64)
    per_sanction = np.zeros((n_cells, n_s), np.int64)
    any_sanction = np.zeros(n_cells, np.int64)
    value_counts = np.zeros(n_values * n_cells, np.int64)
    limbs = np.zeros((n_cells, 3), np.int64)
    for i in range(n):
        c = cells[i]
        tiers[c, tier[i]] += 1
        hit = False
        for j in range(n_s):
            if sanctions[i, j]:
                per_sanction[c, j] += 1
                hit = True
        if hit:
            any_sanction[c] += 1
        v = values[i]
        value_counts[(np.int64(np.rint(v * scale)) - lo) // step * n_cells + c] += 1
        q = np.int64(np.rint(v * _FIXED_SCALE))
        limbs[c, 0] += q & _LIMB_MASK
        limbs[c, 1] += (q >> _LIMB_BITS) & _LIMB_MASK
        limbs[c, 2] += q >> (2 * _LIMB_BITS)
    return tiers, per_sanction, any_sanction, value_counts, limbs
