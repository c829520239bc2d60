"""Summaries of replay-audit records: group rows, rates with intervals, months-to-event.

The replay audits keep per-person records of a sample; everything here runs
once at finalize on the merged, person-id-sorted records, so results do not
depend on chunking. Randomness (bootstrap replicates) comes from one
generator seeded at finalize from ``AuditOptions.seed`` and a stream name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audit.groups import UNKNOWN, CellLayout
from audit.artefacts import finite_or_none as num
from audit.randomness import stream_id

__all__ = [
    "Z95",
    "wilson",
    "rate",
    "finalize_rng",
    "attribute_codes",
    "known_groups",
    "months_summary",
    "recovery_curve",
    "mean_interval",
    "num",
]

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> list[float] | None:
    """Wilson score interval for a proportion ``k / n`` (Wilson 1927); ``None`` when ``n == 0``."""
    if n <= 0:
        return None
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k <= 0 else max(0.0, float(centre - half))
    hi = 1.0 if k >= n else min(1.0, float(centre + half))
    return [lo, hi]


def rate(k: int, n: int) -> tuple[float | None, list[float] | None]:
    """``(k / n, 95% Wilson interval)``, both ``None`` when ``n == 0``."""
    if n <= 0:
        return None, None
    return float(k) / n, wilson(int(k), int(n))


def finalize_rng(seed: int, stream: str) -> np.random.Generator:
    """The one generator a finalize step may draw from (seeded, never per chunk)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, stream_id(stream)])


def attribute_codes(layout: CellLayout, cells: np.ndarray, attr: str) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Code of ``attr`` for each cell (position in the attribute's labels) and those labels."""
    i = layout.names.index(attr)
    codes = np.unravel_index(np.asarray(cells, dtype=np.int64), layout.shape)[i] if len(cells) else np.zeros(0, np.int64)
    return np.asarray(codes, dtype=np.int64), layout.attribute(attr).labels


def known_groups(labels: tuple[Any, ...]) -> list[tuple[int, Any]]:
    """``(code, label)`` of every known category (``unknown`` is reported as a count only)."""
    return [(i, lab) for i, lab in enumerate(labels) if lab != UNKNOWN]


def _quantile(values: np.ndarray, q: float, axis: int | None = None) -> np.ndarray:
    # an observed value (no interpolation), so "never" (+inf) stays +inf
    return np.quantile(values, q, axis=axis, method="inverted_cdf")


def months_summary(
    months: np.ndarray,
    *,
    horizon: int,
    rng: np.random.Generator,
    replicates: int,
) -> dict[str, Any]:
    """Median and 90th percentile of months-to-event with the share that never gets there.

    ``months`` holds whole months, ``-1`` for "not within ``horizon``". Quantiles
    are observed values (``inverted_cdf``); a quantile that falls on "never" is
    ``None``. Intervals: percentile bootstrap over people (``replicates``
    resamples; quantile intervals ``None`` where a bound falls on "never") and
    Wilson for the never-share.
    """
    months = np.asarray(months, dtype=np.int64)
    n = int(months.size)
    never = int((months < 0).sum())
    share, share_ci = rate(never, n)
    out: dict[str, Any] = {
        "n": n,
        "median_months": None,
        "median_months_ci": None,
        "p90_months": None,
        "p90_months_ci": None,
        "never_share": share,
        "never_share_ci": share_ci,
    }
    if n == 0:
        return out
    values = np.where(months < 0, np.inf, months.astype(np.float64))
    out["median_months"] = num(_quantile(values, 0.5))
    out["p90_months"] = num(_quantile(values, 0.9))
    if replicates > 0 and n > 1:
        draws = values[rng.integers(0, n, size=(replicates, n))]
        for key, q in (("median_months_ci", 0.5), ("p90_months_ci", 0.9)):
            reps = np.sort(_quantile(draws, q, axis=1))
            lo, hi = _quantile(reps, 0.025), _quantile(reps, 0.975)
            out[key] = [num(lo), num(hi)]
    return out


def recovery_curve(months: np.ndarray, *, horizon: int) -> list[dict[str, Any]]:
    """Share of people who have got there by each month ``0 .. horizon``."""
    months = np.asarray(months, dtype=np.int64)
    n = months.size
    hit = months[months >= 0]
    counts = np.bincount(np.minimum(hit, horizon), minlength=horizon + 1)[: horizon + 1]
    cum = np.cumsum(counts)
    return [{"month": m, "share_recovered": (float(c) / n if n else None)} for m, c in enumerate(cum.tolist())]


def mean_interval(values: np.ndarray) -> tuple[float | None, list[float] | None]:
    """Mean with a normal-approximation 95% interval (``None`` for fewer than two values)."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n == 0:
        return None, None
    mean = float(values.mean())
    if n < 2:
        return mean, None
    half = Z95 * float(values.std(ddof=1)) / np.sqrt(n)
    return mean, [mean - half, mean + half]
