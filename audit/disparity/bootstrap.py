"""Seeded, vectorised Poisson bootstrap on exact merged counts.

The audits stream: a chunk contributes integer counts per cell and outcome
category, and the merged counts are exact. A bootstrap over people can be
drawn from those counts alone, once, at finalize.

Why that is a bootstrap of people
---------------------------------
The Poisson bootstrap (Hanley and MacGibbon 2006; Chamandy et al. 2012,
"Estimating uncertainty for massive data streams") gives every person an
independent weight ``w ~ Poisson(1)`` instead of drawing ``n`` people with
replacement; for large ``n`` the two agree (a multinomial count of draws per
person tends to independent Poisson(1) counts). A statistic that depends on
the people only through the number of people in each category (a cell x
outcome combination, or a cell x score value) depends on the weights only
through the category sums ``C_k = sum of w_i over the c_k people in category
k``. A sum of ``c_k`` independent Poisson(1) variables is Poisson(``c_k``),
and sums over disjoint sets of people are independent. So drawing each
merged count ``c_k`` as an independent ``Poisson(c_k)`` gives *exactly* the
distribution of the Poisson-bootstrapped statistic, without touching a
person and without a Python loop over replicates: one
``Generator.poisson(counts, size=(B, ...))`` call draws all ``B``
replicates.

Because the draws come from a :class:`numpy.random.Generator` seeded from
the run's seed and a named stream (never from a per-chunk generator), the
intervals are identical whatever the chunk size or order.

Intervals are percentile intervals (2.5% and 97.5% of the replicates).
Replicates in which a statistic is undefined (e.g. a group drawn empty, a
ratio over a zero rate) are dropped before taking percentiles.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

__all__ = [
    "INTERVAL_LEVEL",
    "MAX_SCORE_VALUES",
    "PoissonBootstrap",
    "percentile_interval",
    "coarsen_values",
    "value_bins",
    "interval_pair",
]

#: Coverage of every interval the audits report.
INTERVAL_LEVEL = 0.95

#: At most this many distinct score values enter the score bootstrap
#: (assumption: with more, values are pooled into bins of near-equal mass,
#: at most 1/MAX_SCORE_VALUES of people each; point estimates stay exact).
MAX_SCORE_VALUES = 512

#: Elements of one batch of replicated score tables (bounds memory).
_BATCH_ELEMENTS = 1 << 22


@dataclass(frozen=True, slots=True, kw_only=True)
class PoissonBootstrap:
    """Draws bootstrap replicates of merged counts (see the module docstring)."""

    seed: int
    """The run's audit seed (``AuditOptions.seed``)."""
    replicates: int
    """Number of replicates ``B``; 0 turns intervals off."""

    @property
    def enabled(self) -> bool:
        return self.replicates > 0

    def generator(self, stream: str) -> np.random.Generator:
        """A generator for one named statistic, independent of every other stream."""
        key = zlib.crc32(stream.encode())
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(self.seed) & 0xFFFFFFFF, key, 0x5C5B])))

    def draw(self, counts: np.ndarray, stream: str) -> np.ndarray:
        """``B`` replicates of ``counts``: shape ``(B, *counts.shape)``, each entry Poisson(count)."""
        counts = np.asarray(counts)
        if not self.enabled:
            return np.zeros((0, *counts.shape), dtype=np.int64)
        rng = self.generator(stream)
        return rng.poisson(counts.astype(np.float64), size=(self.replicates, *counts.shape)).astype(np.int64)

    def batches(self, per_replicate: int) -> list[tuple[int, int]]:
        """Replicate ranges ``[(start, stop), ...]`` so a batch holds about ``2**22`` elements."""
        size = max(1, _BATCH_ELEMENTS // max(per_replicate, 1))
        return [(s, min(s + size, self.replicates)) for s in range(0, self.replicates, size)]


def percentile_interval(replicates: np.ndarray, level: float = INTERVAL_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0, ignoring NaN replicates.

    Returns ``(lo, hi)`` with the shape of ``replicates[0]``; NaN where no
    replicate is defined.
    """
    reps = np.asarray(replicates, dtype=np.float64)
    alpha = (1.0 - level) / 2.0
    if reps.shape[0] == 0:
        nan = np.full(reps.shape[1:], np.nan)
        return nan, nan.copy()
    ordered = np.sort(reps, axis=0)  # NaN sort to the end
    defined = np.sum(~np.isnan(reps), axis=0)
    out = []
    for q in (alpha, 1.0 - alpha):
        pos = q * np.maximum(defined - 1, 0)
        lo_i = np.floor(pos).astype(np.int64)
        hi_i = np.minimum(lo_i + 1, np.maximum(defined - 1, 0))
        frac = pos - lo_i
        a = np.take_along_axis(ordered, lo_i[None, ...], axis=0)[0]
        b = np.take_along_axis(ordered, hi_i[None, ...], axis=0)[0]
        with np.errstate(invalid="ignore"):
            val = np.where(frac > 0, a + (b - a) * frac, a)
        out.append(np.where(defined > 0, val, np.nan))
    return out[0], out[1]


def interval_pair(lo: float | np.floating | np.ndarray, hi: float | np.floating | np.ndarray) -> list[float] | None:
    """``[lo, hi]`` for JSON, or ``None`` when the interval is undefined."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    return [float(lo), float(hi)]


def value_bins(values: np.ndarray, per_value: np.ndarray, max_values: int = MAX_SCORE_VALUES) -> tuple[np.ndarray, np.ndarray]:
    """``(bin_idx, rep)``: each sorted value's bin and each bin's value, pooling into bins of near-equal mass.

    Value ``v`` goes to slot ``floor(max_values * (people below v) / total)``;
    a value that alone holds at least ``1/max_values`` of people (an atom,
    such as a points scheme's base score) always keeps a bin of its own and
    its exact value. A bin's value is the count-weighted mean of its values
    (so totals are preserved); a bin of one value keeps it exactly.
    """
    values = np.asarray(values, dtype=np.float64)
    per_value = np.asarray(per_value)
    total = max(int(per_value.sum()), 1)
    below = np.concatenate([[0], np.cumsum(per_value)[:-1]])
    slot = (below * max_values) // total
    heavy = per_value * max_values >= total
    new_bin = np.r_[True, (slot[1:] != slot[:-1]) | heavy[1:] | heavy[:-1]]
    bin_idx = np.cumsum(new_bin) - 1
    k = int(bin_idx[-1]) + 1
    weight = np.bincount(bin_idx, weights=per_value, minlength=k)
    vsum = np.bincount(bin_idx, weights=per_value * values, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        rep = vsum / weight
    single = np.bincount(bin_idx, minlength=k) == 1
    rep[single] = values[new_bin][single]
    return bin_idx, rep


def coarsen_values(values: np.ndarray, table: np.ndarray, max_values: int = MAX_SCORE_VALUES) -> tuple[np.ndarray, np.ndarray]:
    """Pool a ``(values, counts[v, cell])`` table into at most about ``3 * max_values`` rows (:func:`value_bins`).

    Returns the table unchanged when it is already small enough.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size <= max_values:
        return values, table
    bin_idx, rep = value_bins(values, table.sum(axis=1), max_values)
    pooled = np.zeros((rep.size, table.shape[1]), dtype=np.int64)
    np.add.at(pooled, bin_idx, table)
    return rep, pooled
