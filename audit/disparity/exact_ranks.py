"""Exact, mergeable rank figures: medians and the NYC LL144 scoring rate on unrounded scores.

The disparity audit's value counts keep scores to ``SCORE_DECIMALS``
decimals (right for points schemes, and what the private histograms read),
but a rank figure computed on rounded scores is wrong for a probability in
[0, 1] (ties are invented at every hundredth) and changes when the score is
multiplied by a constant. The figures here are computed on the exact float64
scores instead.

How it stays exact and mergeable
--------------------------------
Each score is mapped to an *order key*: its IEEE-754 bits as an int64, with
the non-sign bits of negative numbers flipped, so that the keys sort exactly
as the scores do (``-0.0`` is read as ``0.0``). A chunk keeps the people per
(key, cell); chunks merge by adding counts. Everything else is decided by
order alone:

- the median is numpy's (mean of the two middle values ``a <= b``);
- "strictly above the median" is "key greater than ``a``'s key" (no score
  lies strictly between ``a`` and ``b``, so when ``a < b`` the people above
  ``(a + b) / 2`` are exactly those above ``a``); the named variant "ties at
  the median count as above" is "key at least ``b``'s key".

So the scoring rate and its ratios are identical when every score is
multiplied by any positive constant (order is unchanged).

When scores already sit on the ``10**-SCORE_DECIMALS`` grid (every reference
scorer), a chunk's exact counts are read off its rounded value counts at no
cost. Otherwise each chunk pays one sort of its scores.

Memory bound and error bound at country scale
---------------------------------------------
A continuous score can take as many distinct values as there are people. The
merged table is kept to at most :data:`MAX_EXACT_KEYS` (key, cell) entries:
beyond that, the low bits of the order keys are dropped (4 at a time) until
it fits, which pools neighbouring scores (relative width ``2**(bits - 52)``)
into one bin. Rank figures are then exact except for the people in the bin of
the median, and the section reports that bound: ``rank_error_bound`` is the
largest share of any group's people in that bin (0 while the figures are
exact, as they are in every population of up to ``MAX_EXACT_KEYS`` people).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.disparity.bootstrap import MAX_SCORE_VALUES, value_bins

__all__ = ["MAX_EXACT_KEYS", "ExactValueCounts", "RankFigures", "order_keys", "key_values", "rank_figures",
           "population_median", "bootstrap_table"]

#: Most (score, cell) entries kept exactly after a merge (about 100 MB of arrays; assumption: a bound that
#: keeps any single-machine run's memory fixed at country scale).
MAX_EXACT_KEYS = 1 << 22

_FLIP = np.int64(0x7FFFFFFFFFFFFFFF)
_DROP_STEP = 4


def order_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys that sort exactly as the float64 ``values`` (``-0.0`` as ``0.0``)."""
    v = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 + 0.0 is 0.0
    bits = v.view(np.int64)
    return np.where(bits < 0, bits ^ _FLIP, bits)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The float64 value of each order key (inverse of :func:`order_keys`)."""
    k = np.asarray(keys, dtype=np.int64)
    return np.where(k < 0, k ^ _FLIP, k).view(np.float64)


@dataclass(frozen=True, slots=True)
class ExactValueCounts:
    """People per (exact score, cell), sorted by score key then cell; merge adds counts."""

    keys: np.ndarray
    """Order keys (:func:`order_keys`) of the scores, low ``dropped_bits`` bits cleared."""
    cells: np.ndarray
    """Cell of each entry."""
    counts: np.ndarray
    """People in each entry."""
    n_cells: int
    """Cells of the layout."""
    dropped_bits: int = 0
    """Low key bits dropped to stay under :data:`MAX_EXACT_KEYS` (0: exact)."""

    @classmethod
    def of(cls, values: np.ndarray, cells: np.ndarray, n_cells: int) -> ExactValueCounts:
        """Count a chunk's scores exactly (one sort)."""
        keys = order_keys(values)
        uniq, inv = np.unique(keys, return_inverse=True)
        comb, counts = np.unique(inv.astype(np.int64) * n_cells + np.asarray(cells, dtype=np.int64), return_counts=True)
        return cls(uniq[comb // n_cells], comb % n_cells, counts.astype(np.int64), n_cells)._fit()

    @classmethod
    def on_grid(cls, values: np.ndarray, cells: np.ndarray, n_cells: int, grid_keys: np.ndarray, grid_counts: np.ndarray,
                decimals: int) -> ExactValueCounts:
        """From a chunk's rounded value counts (keys ``round(v * 10**decimals) * n_cells + cell``) when every
        score equals its rounded value exactly; else :meth:`of`."""
        values = np.asarray(values, dtype=np.float64)
        scale = 10.0**decimals
        if not np.array_equal(np.rint(values * scale) / scale, values):
            return cls.of(values, cells, n_cells)
        return cls.from_grid(grid_keys, grid_counts, n_cells, decimals)

    @classmethod
    def from_grid(cls, grid_keys: np.ndarray, grid_counts: np.ndarray, n_cells: int, decimals: int) -> ExactValueCounts:
        """From rounded value counts whose scores are known to equal their rounded values (:meth:`on_grid`, checked)."""
        scale = 10.0**decimals
        grid_keys = np.asarray(grid_keys, dtype=np.int64)
        exact = order_keys(np.floor_divide(grid_keys, n_cells) / scale)
        return cls._sorted(exact, np.mod(grid_keys, n_cells), np.asarray(grid_counts, dtype=np.int64), n_cells, 0)

    @classmethod
    def _sorted(cls, keys, cells, counts, n_cells, dropped) -> ExactValueCounts:
        order = np.lexsort((cells, keys))
        keys, cells, counts = keys[order], cells[order], counts[order]
        if keys.size:
            new = np.r_[True, (keys[1:] != keys[:-1]) | (cells[1:] != cells[:-1])]
            idx = np.cumsum(new) - 1
            counts = np.bincount(idx, weights=counts, minlength=int(idx[-1]) + 1)
            keys, cells = keys[new], cells[new]
        return cls(keys, cells, np.rint(counts).astype(np.int64), n_cells, dropped)._fit()

    def _fit(self) -> ExactValueCounts:
        """Drop the fewest low key bits (in steps of 4) that bring the entries under :data:`MAX_EXACT_KEYS`."""
        out = self
        while out.keys.size > MAX_EXACT_KEYS:
            # first the bits at which the distinct scores alone fit a quarter of the cap (one pass over the
            # sorted keys per candidate), then one re-sort; more steps only if the cells still overflow it
            bits = out.dropped_bits + _DROP_STEP
            while bits < 64 and _distinct(out.keys >> bits) > MAX_EXACT_KEYS // 4:
                bits += _DROP_STEP
            out = out._drop(min(bits, 60))
            if bits >= 60:
                break
        return out

    def _drop(self, bits: int) -> ExactValueCounts:
        if bits <= self.dropped_bits:
            return self
        keys = (self.keys >> bits) << bits
        return ExactValueCounts._sorted(keys, self.cells, self.counts, self.n_cells, bits)

    def merge(self, other: ExactValueCounts) -> ExactValueCounts:
        if self.n_cells != other.n_cells:
            raise ValueError("cannot merge exact value counts with different cells")
        bits = max(self.dropped_bits, other.dropped_bits)
        a, b = self._drop(bits), other._drop(bits)
        return ExactValueCounts._sorted(np.concatenate([a.keys, b.keys]), np.concatenate([a.cells, b.cells]),
                                        np.concatenate([a.counts, b.counts]), self.n_cells, bits)

    def grouped(self, group_of_cell: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, table)``: distinct keys ascending and ``table[k, g]`` people per key and group."""
        uniq, inv = np.unique(self.keys, return_inverse=True)
        table = np.zeros((uniq.size, n_groups), dtype=np.int64)
        np.add.at(table, (inv, np.asarray(group_of_cell)[self.cells]), self.counts)
        return uniq, table


def _distinct(sorted_keys: np.ndarray) -> int:
    """Distinct values of an ascending array."""
    return int(sorted_keys.size and 1 + np.count_nonzero(sorted_keys[1:] != sorted_keys[:-1]))


@dataclass(frozen=True, slots=True, kw_only=True)
class RankFigures:
    """Exact rank figures of one attribute's groups."""

    n: np.ndarray
    """People per group."""
    median: np.ndarray
    """Each group's median score (numpy's; NaN for an empty group)."""
    above: np.ndarray
    """People per group scoring strictly above the whole population's median (NYC LL144)."""
    at_or_above: np.ndarray
    """People per group scoring above the median or tied with it (the ties-count-as-above variant)."""
    error_bound: np.ndarray
    """Per group, the share of its people in the median's pooled bin (0 while the counts are exact)."""


def _middle(cum: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the lower and upper middle entries per column of cumulative counts ``cum[k, g]``."""
    lo = np.argmax(cum > ((n - 1) // 2)[None, :], axis=0)
    hi = np.argmax(cum > (n // 2)[None, :], axis=0)
    return lo, hi


def population_median(exact: ExactValueCounts) -> tuple[float, int | None, int | None]:
    """``(median, key of the lower middle, key of the upper middle)`` over everyone."""
    keys, table = exact.grouped(np.zeros(exact.n_cells, dtype=np.int64), 1)
    n = table.sum(axis=0)
    if n[0] == 0:
        return float("nan"), None, None
    lo, hi = _middle(np.cumsum(table, axis=0), n)
    a, b = keys[lo[0]], keys[hi[0]]
    return float((key_values(np.array([a]))[0] + key_values(np.array([b]))[0]) / 2.0), int(a), int(b)


def rank_figures(exact: ExactValueCounts, group_of_cell: np.ndarray, n_groups: int, median_keys: tuple[Any, Any]) -> RankFigures:
    """Group medians and counts above the population median (whose middle keys are ``median_keys``)."""
    keys, table = exact.grouped(group_of_cell, n_groups)
    n = table.sum(axis=0)
    cum = np.cumsum(table, axis=0) if keys.size else np.zeros((0, n_groups), dtype=np.int64)
    median = np.full(n_groups, np.nan)
    if keys.size:
        lo, hi = _middle(cum, n)
        vals = key_values(keys)
        median = np.where(n > 0, (vals[lo] + vals[hi]) / 2.0, np.nan)
    a, b = median_keys
    if a is None or not keys.size:
        zeros = np.zeros(n_groups, dtype=np.int64)
        return RankFigures(n=n, median=median, above=zeros, at_or_above=zeros.copy(), error_bound=np.zeros(n_groups))
    above = table[keys > a].sum(axis=0)
    at_or_above = table[keys >= b].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        in_bin = table[(keys == a) | (keys == b)].sum(axis=0) / np.where(n > 0, n, 1)
    bound = np.where(n > 0, in_bin, 0.0) if exact.dropped_bits else np.zeros(n_groups)
    return RankFigures(n=n, median=median, above=above, at_or_above=at_or_above, error_bound=bound)


def bootstrap_table(exact: ExactValueCounts, max_values: int = MAX_SCORE_VALUES) -> tuple[np.ndarray, np.ndarray]:
    """``(values, table[v, cell])`` for the score bootstrap: exact values, pooled by
    :func:`audit.disparity.bootstrap.value_bins` when there are more than ``max_values``, without a dense table of every value."""
    uniq, inv = np.unique(exact.keys, return_inverse=True)
    values = key_values(uniq)
    if uniq.size <= max_values:
        table = np.zeros((uniq.size, exact.n_cells), dtype=np.int64)
        np.add.at(table, (inv, exact.cells), exact.counts)
        return values, table
    per_value = np.bincount(inv, weights=exact.counts, minlength=uniq.size)
    bin_idx, rep = value_bins(values, per_value, max_values)
    table = np.zeros((rep.size, exact.n_cells), dtype=np.int64)
    np.add.at(table, (bin_idx[inv], exact.cells), exact.counts)
    return rep, table
