"""Group statistics from counts: rates, ratios and score distributions.

Every function takes arrays with a leading *replicate* axis ``R`` and a
trailing *group* axis ``G``: the point estimate is the case ``R = 1`` with
the exact merged counts, bootstrap replicates the case ``R = B`` with
Poisson-drawn counts (:mod:`audit.disparity.bootstrap`). One code path therefore
computes both, and an interval can never disagree with its point estimate
about what the statistic is.

Undefined values (a rate over an empty group, a ratio over a zero rate) are
NaN; callers turn them into ``None`` for JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from audit.output.artefacts import finite_or_none as _num
from audit.population.groups import CellLayout

__all__ = [
    "rate",
    "ratio_to_best",
    "relative_risk_to_least",
    "eligible_min",
    "eligible_max",
    "score_distribution",
    "pooled_median",
    "count_above",
    "group_axis",
    "fairlearn_summary",
]


def rate(yes: ArrayLike, n: ArrayLike) -> np.ndarray:
    """``yes / n``, NaN where ``n == 0``."""
    yes = np.asarray(yes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, yes / np.where(n > 0, n, 1.0), np.nan)


def eligible_max(values: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Per replicate, the largest value over eligible groups (NaN groups ignored; NaN if none)."""
    masked = np.where(eligible & ~np.isnan(values), values, -np.inf)
    out = masked.max(axis=-1) if masked.shape[-1] else np.full(masked.shape[:-1], -np.inf)
    return np.where(np.isfinite(out), out, np.nan)


def eligible_min(values: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Per replicate, the smallest value over eligible groups (NaN groups ignored; NaN if none)."""
    masked = np.where(eligible & ~np.isnan(values), values, np.inf)
    out = masked.min(axis=-1) if masked.shape[-1] else np.full(masked.shape[:-1], np.inf)
    return np.where(np.isfinite(out), out, np.nan)


def ratio_to_best(rates: np.ndarray, eligible: np.ndarray, *, reference: int | None = None) -> np.ndarray:
    """Each eligible group's rate over the highest eligible rate (the four-fifths / LL144 impact ratio).

    Without ``reference`` the best group is chosen in each replicate (right
    for a point estimate). For bootstrap replicates give ``reference``, the
    best group on the point estimate: choosing again in every replicate caps
    the ratio at 1 and biases its interval low. NaN for ineligible groups and
    where the reference rate is zero.
    """
    if reference is not None:
        best = np.asarray(rates, dtype=np.float64)[..., reference : reference + 1]
    else:
        best = eligible_max(rates, eligible)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = rates / np.where(best > 0, best, np.nan)
    return np.where(eligible, out, np.nan)


def relative_risk_to_least(rates: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Each eligible group's adverse rate over the lowest eligible adverse rate.

    NaN for ineligible groups and where the lowest rate is zero (relative
    risk against nobody-sanctioned is unbounded).
    """
    least = eligible_min(rates, eligible)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = rates / np.where(least > 0, least, np.nan)
    return np.where(eligible, out, np.nan)


def _order_stat(values: np.ndarray, cum: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Value of the ``j``-th smallest (0-based) given cumulative counts over the value axis (axis 1)."""
    idx = np.argmax(cum > j[:, None, ...], axis=1)
    return values[idx]


def score_distribution(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(n, mean, median)`` per replicate and group from ``counts[r, v, g]``.

    ``values`` are sorted distinct values (axis 1 of ``counts``). The median
    is numpy's: the mean of the two middle values when ``n`` is even.
    """
    counts = np.asarray(counts)
    cum = np.cumsum(counts, axis=1)
    n = cum[:, -1, ...] if counts.shape[1] else np.zeros((counts.shape[0], *counts.shape[2:]), dtype=np.int64)
    total = np.tensordot(values, counts, axes=([0], [1])) if counts.shape[1] else np.zeros(n.shape)
    mean = rate(total, n)
    if counts.shape[1] == 0:
        nan = np.full(n.shape, np.nan)
        return n, mean, nan
    lo = _order_stat(values, cum, (n - 1) // 2)
    hi = _order_stat(values, cum, n // 2)
    median = np.where(n > 0, (lo + hi) / 2.0, np.nan)
    return n, mean, median


def pooled_median(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median per replicate of ``counts[r, v]`` (everyone pooled)."""
    return score_distribution(values, counts[..., None])[2][..., 0]


def count_above(values: np.ndarray, counts: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Per replicate and group, how many have a value strictly above ``threshold[r]``.

    Ties at the threshold are not above it (NYC LL144 scoring rate: "scoring
    above the median").
    """
    counts = np.asarray(counts)
    above_mask = values[None, :] > np.asarray(threshold, dtype=np.float64)[:, None]  # (R, V)
    return np.einsum("rv,rv...->r...", above_mask.astype(np.int64), counts)


def group_axis(per_cell: np.ndarray, layout: CellLayout, keep: tuple[str, ...]) -> np.ndarray:
    """Sum the trailing cell axis of ``per_cell`` into the groups of ``keep`` (flattened, C order)."""
    lead = per_cell.shape[:-1]
    shaped = per_cell.reshape(lead + layout.shape)
    off = len(lead)
    drop = tuple(off + i for i, a in enumerate(layout.attributes) if a.name not in keep)
    summed = shaped.sum(axis=drop) if drop else shaped
    groups = int(np.prod([len(a.labels) for a in layout.attributes if a.name in keep]))
    return summed.reshape(lead + (groups,))


def fairlearn_summary(overall: float, rates: np.ndarray, eligible: np.ndarray) -> dict[str, Any]:
    """fairlearn's vocabulary over the groups eligible for ratios.

    ``group_min``/``group_max`` are the extreme rates, ``difference`` is
    ``group_max - group_min`` and ``ratio`` is ``group_min / group_max`` —
    as ``MetricFrame.difference()`` and ``MetricFrame.ratio()`` with the
    default ``method="between_groups"``.
    """
    vals = rates[eligible & ~np.isnan(rates)]
    if vals.size == 0:
        return {"overall": _num(overall), "group_min": None, "group_max": None, "difference": None, "ratio": None}
    lo, hi = float(vals.min()), float(vals.max())
    return {
        "overall": _num(overall),
        "group_min": lo,
        "group_max": hi,
        "difference": hi - lo,
        "ratio": lo / hi if hi > 0 else None,
    }
