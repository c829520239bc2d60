"""Plain numpy formulations the scorer tests compare against (test oracles, not used by the scorers)."""

from __future__ import annotations

import numpy as np

__all__ = ["per_person_sum", "tier_codes"]


def per_person_sum(rows: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Sum ``weights`` per person row (events with row -1 are ignored)."""
    keep = rows >= 0
    if not keep.all():
        rows, weights = rows[keep], weights[keep]
    return np.bincount(rows, weights=weights, minlength=n)[:n]


def tier_codes(score: np.ndarray, lower_bounds: tuple[float, ...]) -> np.ndarray:
    """Tier index per score, 0 = best.

    ``lower_bounds`` are the lowest scores of each tier but the last, best tier
    first (strictly decreasing); a score below all of them falls in the last tier.
    """
    bounds = np.asarray(lower_bounds, dtype=np.float64)[::-1]  # increasing
    return (len(bounds) - np.searchsorted(bounds, score, side="right")).astype(np.int64)
