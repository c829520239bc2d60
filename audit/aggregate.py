"""Mergeable statistics: what each chunk contributes and how chunks combine.

Every audit keeps only statistics whose merge is exact and independent of
order: integer counts (added), value counts (union of keys, counts added) and
sampled records (concatenated, then sorted by person id). Float sums are
never accumulated across chunks — they are derived from exact value counts
at the end — so a run's results are bit-identical whatever the chunk size and
the order chunks finish in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np

__all__ = ["Mergeable", "Counts", "ValueCounts", "Records", "merge_all", "merge_tree", "SCORE_DECIMALS", "exact_sum_limbs", "limbs_to_float"]

#: Scores are kept to this many decimals in value counts (exact for point schemes).
SCORE_DECIMALS = 2


@runtime_checkable
class Mergeable(Protocol):
    def merge(self, other: Self) -> Self: ...


@dataclass(frozen=True, slots=True)
class Counts:
    """An integer array of counts; merge adds."""

    array: np.ndarray

    def merge(self, other: Counts) -> Counts:
        if self.array.shape != other.array.shape:
            raise ValueError(f"cannot merge counts of shape {self.array.shape} and {other.array.shape}")
        return Counts(self.array + other.array)


_FIXED_BITS = 32  # exact sums keep each value on a 2**-32 grid (error < 1.2e-10 per person)
_LIMB_BITS = 21
_LIMB_MASK = (1 << _LIMB_BITS) - 1


def exact_sum_limbs(values: np.ndarray, cells: np.ndarray, n_cells: int) -> np.ndarray:
    """Per-cell sums of ``values`` as three int64 limbs that add exactly.

    Each value is rounded to a multiple of ``2**-32`` and split into 21-bit limbs;
    a limb's per-chunk sum is exact in float64 for chunks of up to 2**32 people,
    and limbs add as integers across chunks, so the total is the same whatever
    the chunking and order. Values must satisfy ``|v| < 2**31``.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size and np.abs(values).max() >= 2.0**31:
        raise ValueError("exact sums need |value| < 2**31")
    q = np.rint(values * 2.0**_FIXED_BITS).astype(np.int64)
    limbs = (q & _LIMB_MASK, (q >> _LIMB_BITS) & _LIMB_MASK, q >> (2 * _LIMB_BITS))
    out = np.empty((n_cells, 3), dtype=np.int64)
    for i, limb in enumerate(limbs):
        out[:, i] = np.rint(np.bincount(cells, weights=limb, minlength=n_cells)).astype(np.int64)
    return out


def limbs_to_float(limbs: np.ndarray) -> np.ndarray:
    """Exact per-cell totals from :func:`exact_sum_limbs` output, rounded once to float."""
    from fractions import Fraction

    scale = 1 << _FIXED_BITS
    return np.array(
        [float(Fraction(int(a) + (int(b) << _LIMB_BITS) + (int(c) << (2 * _LIMB_BITS)), scale)) for a, b, c in limbs],
        dtype=np.float64,
    )


@dataclass(frozen=True, slots=True)
class ValueCounts:
    """How many people in each cell have each (rounded) value, and exact per-cell sums.

    ``keys`` are sorted unique int64 keys ``round(value * 10**decimals) * n_cells + cell``;
    ``counts`` how many people have each key. The rounded values serve
    quantiles and histograms; ``sum_limbs`` (see :func:`exact_sum_limbs`) gives
    means that are exact to ``2**-32`` per person however the data were chunked.
    """

    keys: np.ndarray
    counts: np.ndarray
    n_cells: int
    decimals: int = SCORE_DECIMALS
    sum_limbs: np.ndarray | None = None

    @classmethod
    def of(cls, values: np.ndarray, cells: np.ndarray, n_cells: int, decimals: int = SCORE_DECIMALS) -> ValueCounts:
        values = np.asarray(values, dtype=np.float64)
        scaled = np.rint(values * 10**decimals).astype(np.int64)
        keys, counts = np.unique(scaled * n_cells + cells, return_counts=True)
        return cls(keys, counts.astype(np.int64), n_cells, decimals, exact_sum_limbs(values, cells, n_cells))

    def merge(self, other: ValueCounts) -> ValueCounts:
        if (self.n_cells, self.decimals) != (other.n_cells, other.decimals):
            raise ValueError("cannot merge value counts with different cells or decimals")
        keys, inverse = np.unique(np.concatenate([self.keys, other.keys]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([self.counts, other.counts]), minlength=keys.size)
        limbs = None
        if self.sum_limbs is not None and other.sum_limbs is not None:
            limbs = self.sum_limbs + other.sum_limbs
        return ValueCounts(keys, np.rint(counts).astype(np.int64), self.n_cells, self.decimals, limbs)

    def cell_sums(self) -> np.ndarray:
        """Sum of the (unrounded) values per cell, exact to ``2**-32`` per person."""
        if self.sum_limbs is None:
            values, table = self.table()
            return values @ table
        return limbs_to_float(self.sum_limbs)

    @property
    def values(self) -> np.ndarray:
        """The value of each key."""
        return np.floor_divide(self.keys, self.n_cells) / 10**self.decimals

    @property
    def cells(self) -> np.ndarray:
        """The cell of each key."""
        return np.mod(self.keys, self.n_cells)

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """``(values, counts)`` with ``counts[v, cell]``: distinct sorted values x cells."""
        vals, idx = np.unique(np.floor_divide(self.keys, self.n_cells), return_inverse=True)
        table = np.zeros((vals.size, self.n_cells), dtype=np.int64)
        np.add.at(table, (idx, self.cells), self.counts)
        return vals / 10**self.decimals, table


@dataclass(frozen=True, slots=True)
class Records:
    """Per-person records from a sample (e.g. replay audits); merge concatenates.

    ``columns`` maps names to equal-length arrays; ``person_id`` is required so
    the merged records can be put in a canonical order.
    """

    columns: Mapping[str, np.ndarray]

    def merge(self, other: Records) -> Records:
        if set(self.columns) != set(other.columns):
            raise ValueError("cannot merge records with different columns")
        return Records({k: np.concatenate([self.columns[k], other.columns[k]]) for k in self.columns})

    def sorted(self) -> dict[str, np.ndarray]:
        """Columns in person-id order (stable, so one person's rows keep their order)."""
        order = np.argsort(self.columns["person_id"], kind="stable")
        return {k: v[order] for k, v in self.columns.items()}

    def __len__(self) -> int:
        return len(self.columns["person_id"])


def merge_all(a: Any, b: Any) -> Any:
    """Merge two nested dicts of mergeables with the same keys (``None`` is the identity).

    A pair of values found under several keys is merged once and the result
    shared: every replay audit of a scorer holds the same pooled sample
    (:func:`audit.replay.sample.pooled_sample`), and merging it once per audit
    cost the main process several times the CPU and kept a copy per audit.
    Merges are pure, so sharing the result changes nothing else.
    """
    return _merge_shared(a, b, {})


def _merge_shared(a: Any, b: Any, done: dict[tuple[int, int], tuple[Any, Any, Any]]) -> Any:
    """:func:`merge_all`, ``done`` holding ``(a, b, merged)`` by the operands' ids (kept alive, so ids stay theirs)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, Mapping):
        keys = list(a) + [k for k in b if k not in a]
        return {k: _merge_shared(a.get(k), b.get(k), done) for k in keys}
    key = (id(a), id(b))
    if key not in done:
        done[key] = (a, b, a.merge(b))
    return done[key][2]


def merge_tree(parts: list[Any]) -> Any:
    """Merge a list of aggregates pairwise (balanced, so value-count unions stay small)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    while len(parts) > 1:
        parts = [merge_all(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]
