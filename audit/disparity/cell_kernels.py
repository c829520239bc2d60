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

How the loops are kept fast
---------------------------
Both loops work on blocks of :data:`BLOCK` people, in two steps: first the
arithmetic on the scores for the whole block (roundings, table offsets: loops
the compiler turns into vector instructions), then the counting. A count
whose table position comes out of a long chain of floating-point work, done in
the same loop as the increments, costs several times more per person: the
processor cannot tell early enough which increments touch the same entry.
The (cell, tier, set of sanctions) table is laid out set by set: nearly
everyone has no sanction, so the entries counted most are one contiguous
stretch of ``cells x tiers`` counts. With the set in the low bits instead, the
entries of one set lie ``2**sanctions`` counts apart (a kibibyte for a scorer
with seven sanctions), which share a few sets of the first-level cache and
evict one another, and such a scorer's counting waited on those misses (the
tables' row of ``python bench/scale.py --only f`` compares two trees).
Divisibility (the greatest common step of the scores) is tested with a
multiplication by the reciprocal, exact for integers of this size, instead of
an integer division per person. When every score sits on the rounding grid
(every reference scorer's does), the exact sums are worked out from the
rounded value counts after the loop — the same integers, summed per distinct
value instead of per person.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["BLOCK", "MAX_PATTERN_SANCTIONS", "cell_tables", "score_range"]

#: People per block of the two-step loops (a few kilobytes of scratch, in the first-level cache).
BLOCK = 256

_FIXED_SCALE = 2.0**32  # audit.aggregate._FIXED_BITS
_LIMB_BITS = 21
_LIMB_MASK = (1 << _LIMB_BITS) - 1
_LIMIT = 2147483648.0  # scores must satisfy |score| < 2**31 (audit.aggregate.exact_sum_limbs)

#: Most declared sanctions counted as one set per person (a table of ``2**n`` sets per cell and tier); a
#: scorer with more has each counted on its own.
MAX_PATTERN_SANCTIONS = 10

_u = np.uint64  # an index known to be >= 0 (no negative-index fix-up)


@numba.njit(cache=True, nogil=True)
def _gcd(a, b):  # pragma: no cover - compiled
    """Greatest common divisor of two non-negative integers (Euclid)."""
    while b:
        a, b = b, a % b
    return a


@numba.njit(cache=True, nogil=True)
def score_range(values: np.ndarray, scale: float) -> tuple[np.int64, np.int64, np.int64, bool, bool]:
    """``(lo, hi, step, ok, on_grid)`` of the integers ``rint(values * scale)``.

    ``lo`` and ``hi`` are the smallest and largest, ``step`` the greatest
    common divisor of their distances from ``lo`` (100 for whole-point scores
    kept to cents: their dense table is a hundred times smaller), ``ok``
    whether every value is finite and below ``2**31``, ``on_grid`` whether
    every value equals ``rint(value * scale) / scale`` exactly (then the rank
    figures and the exact sums are read off the rounded counts). Scores that
    are not ``ok`` go the numpy way, which raises the error that names them
    (``lo`` and ``hi`` then mean nothing).

    A distance ``d`` is a multiple of ``step`` exactly when
    ``rint(d * (1 / step)) * step == d``: the distances are integers below
    ``2**41``, so the product is within ``2**-11`` of ``d / step`` and rounds to
    it whenever that is an integer. Only a distance that fails the test (at most
    once per halving of ``step``) pays for Euclid's divisions.

    Every test but Euclid's is done on the rounded values as doubles (integers
    below ``2**41``, so each difference and product is exact and equals the
    integer one) in loops without a conversion to int64 or a branch, which the
    compiler turns into vector instructions: AVX2 has no vector conversion of
    doubles to int64, and a conversion per person kept the whole pass scalar
    (``python bench/scale.py --only f`` compares two trees).
    """
    n = values.shape[0]
    if n == 0:
        return np.int64(0), np.int64(0), np.int64(1), True, True
    v0 = values[0]
    first = np.rint(v0 * scale) if abs(v0) < _LIMIT else 0.0  # a bad first value stops the first block
    lo = first
    hi = first
    step = np.int64(0)
    step_f = 0.0  # step as a double
    inv = 0.0  # 1 / step once step > 0; with step 0 every non-zero distance fails the test
    on_grid = True
    rounded = np.empty(BLOCK, np.float64)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        bad = False
        off_grid = False
        for k in range(m):
            v = values[_u(start + k)]
            bad |= not abs(v) < _LIMIT  # True for NaN too
            r = np.rint(v * scale)
            off_grid |= r / scale != v
            rounded[_u(k)] = r
        if bad:
            return np.int64(lo), np.int64(hi), np.int64(1), False, False
        on_grid &= not off_grid
        lo, hi = _bounds(rounded, m, lo, hi)
        if step == 1:
            continue
        off = False
        for k in range(m):
            d = rounded[_u(k)] - first
            off |= np.rint(d * inv) * step_f != d
        if off:
            for k in range(m):
                d = abs(np.int64(rounded[_u(k)]) - np.int64(first))
                if np.int64(np.rint(d * inv)) * step != d:
                    step = _gcd(step, d)
                    inv = 1.0 / step
                    step_f = float(step)
    return np.int64(lo), np.int64(hi), max(step, np.int64(1)), True, on_grid


@numba.njit(cache=True, nogil=True, fastmath={"nnan", "ninf", "nsz"})
def _bounds(rounded: np.ndarray, m: int, lo: float, hi: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """``(min(lo, rounded[:m]), max(hi, rounded[:m]))`` of finite values (:func:`score_range` checks them first).

    Told that no value is NaN or infinite, the compiler keeps the running
    minimum and maximum in vector registers; the values are finite, so the
    result is the exact one (a signed zero may come out as the other zero,
    which is the same integer).
    """
    for k in range(m):
        r = rounded[_u(k)]
        lo = r if r < lo else lo
        hi = r if r > hi else hi
    return lo, hi


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
    on_grid: bool,
) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(valid, tiers, per_sanction, any_sanction, value_counts, sum_limbs)`` in one pass over the people.

    ``sanctions[s, i]`` tells whether person ``i`` has sanction ``s`` (one row
    per declared sanction). ``tiers[c, t]`` and ``per_sanction[c, s]`` count
    people per cell and tier or sanction, ``any_sanction[c]`` people with at
    least one sanction, ``value_counts[(rint(v * scale) - lo) // step * n_cells + c]``
    people per rounded value and cell (``lo`` and ``step`` from
    :func:`score_range`), ``sum_limbs[c]`` the three 21-bit limbs of the
    per-cell sum of ``rint(v * 2**32)``. ``valid`` is False, and the tables
    incomplete, when a cell is outside ``[0, n_cells)`` or a tier outside
    ``[0, n_tiers)`` (checked before anything is counted at a bad position).

    Each person adds one to two tables: people per (cell, tier, set of
    sanctions) and per (rounded value, cell); tiers and sanctions are summed
    out of the first after the loop (up to :data:`MAX_PATTERN_SANCTIONS`
    sanctions; more are counted one by one). With ``on_grid`` (every score
    equals its rounded value, :func:`score_range`) the limbs are summed once
    per distinct value and cell from the value counts.
    """
    n = cells.shape[0]
    n_s = sanctions.shape[0]
    tiers = np.zeros((n_cells, n_tiers), np.int64)
    per_sanction = np.zeros((n_cells, n_s), np.int64)
    any_sanction = np.zeros(n_cells, np.int64)
    value_counts = np.zeros(n_values * n_cells, np.int64)
    limbs = np.zeros((n_cells, 3), np.int64)
    patterns = n_s <= MAX_PATTERN_SANCTIONS
    bits = n_s if patterns else 0
    joint = np.zeros(n_cells * n_tiers << bits, np.int64)  # (sanctions as bits, cell, tier), flattened
    inv_step = 1.0 / step
    cells_tiers = np.int64(n_cells * n_tiers)
    at = np.empty(BLOCK, np.int64)
    key = np.empty(BLOCK, np.int64)
    fixed = np.empty(BLOCK, np.int64)
    hit = np.empty(BLOCK, np.int64)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        # step 1: arithmetic for the block (vector instructions)
        bad = False
        for k in range(m):
            i = _u(start + k)
            c = np.int64(cells[i])
            t = np.int64(tier[i])
            bad |= (_u(c) >= _u(n_cells)) | (_u(t) >= _u(n_tiers))  # negatives wrap to huge
            # (rounded - lo) is a multiple of step below 2**41: times the reciprocal and rounded, the exact quotient
            at[_u(k)] = np.int64(np.rint((np.rint(values[i] * scale) - lo) * inv_step)) * n_cells + c
            key[_u(k)] = c * n_tiers + t  # the set of sanctions, times cells x tiers, is added below
        if bad:
            return False, tiers, per_sanction, any_sanction, value_counts, limbs
        for j in range(bits):
            column = sanctions[j]
            plane = cells_tiers << j
            for k in range(m):
                key[_u(k)] += np.int64(column[_u(start + k)]) * plane
        if not on_grid:
            for k in range(m):
                fixed[_u(k)] = np.int64(np.rint(values[_u(start + k)] * _FIXED_SCALE))
        # step 2: counting
        for k in range(m):
            joint[_u(key[_u(k)])] += 1
            value_counts[_u(at[_u(k)])] += 1
        if not patterns:
            hit[:m] = 0
            for j in range(n_s):
                column = sanctions[j]
                for k in range(m):
                    i = _u(start + k)
                    x = np.int64(column[i])
                    per_sanction[_u(cells[i]), _u(j)] += x
                    hit[_u(k)] |= x
            for k in range(m):
                any_sanction[_u(cells[_u(start + k)])] += hit[_u(k)]
        if not on_grid:
            for k in range(m):
                c = _u(cells[_u(start + k)])
                q = fixed[_u(k)]
                limbs[c, 0] += q & _LIMB_MASK
                limbs[c, 1] += (q >> _LIMB_BITS) & _LIMB_MASK
                limbs[c, 2] += q >> (2 * _LIMB_BITS)
    width = np.int64(1) << bits
    for c in range(n_cells):
        for t in range(n_tiers):
            base = c * n_tiers + t
            for pattern in range(width):
                count = joint[pattern * cells_tiers + base]
                tiers[c, t] += count
                if pattern != 0:  # only with patterns
                    any_sanction[c] += count
                    for j in range(n_s):
                        if (pattern >> j) & 1:
                            per_sanction[c, j] += count
    if on_grid:
        for vi in range(n_values):
            v = (lo + vi * step) / scale  # the score itself: it equals its rounded value
            q = np.int64(np.rint(v * _FIXED_SCALE))
            parts = (q & _LIMB_MASK, (q >> _LIMB_BITS) & _LIMB_MASK, q >> (2 * _LIMB_BITS))
            for c in range(n_cells):
                count = value_counts[vi * n_cells + c]
                limbs[c, 0] += count * parts[0]
                limbs[c, 1] += count * parts[1]
                limbs[c, 2] += count * parts[2]
    return True, tiers, per_sanction, any_sanction, value_counts, limbs
