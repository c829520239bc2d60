"""Summaries of replay-audit records: group rows, rates with intervals, months-to-event.

The replay audits keep per-person records of a sample; everything here runs
once at finalize on the merged, person-id-sorted records, so results do not
depend on chunking. Randomness (bootstrap replicates) comes from one
generator seeded at finalize from ``AuditOptions.seed`` and a stream name.

Shares are exact: Clopper–Pearson intervals (0 of ``n`` gets an upper bound,
never ``[0, 0]``). The replay sample is stratified (:mod:`audit.replay.strata`),
so shares over people of several strata are weighted by each person's inverse
inclusion probability; their interval is the exact one at the Kish effective
sample size ``(sum w)**2 / sum w**2`` (Korn and Graubard 1998), which is the
plain exact interval when the weights are equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.evidence import beta_quantile, clopper_pearson
from audit.output.artefacts import finite_or_none as num
from audit.population.groups import UNKNOWN, CellLayout
from audit.randomness import stream_id

__all__ = [
    "Z95",
    "wilson",
    "rate",
    "weighted_rate",
    "weighted_ratio",
    "share_at",
    "people_share",
    "weighted_quantile",
    "weight_of",
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
    """``(k / n, exact 95% interval)`` (Clopper–Pearson), both ``None`` when ``n == 0``."""
    if n <= 0:
        return None, None
    lo, hi = clopper_pearson(int(k), int(n)) or (0.0, 1.0)
    return float(k) / n, [lo, hi]


def weighted_rate(flag: np.ndarray, weights: np.ndarray) -> tuple[float | None, list[float] | None]:
    """Weighted share of ``flag`` with the exact 95% interval at the Kish effective sample size.

    Equal weights give :func:`rate` exactly.
    """
    flag = np.asarray(flag, dtype=bool)
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if flag.size == 0 or total <= 0:
        return None, None
    share = float(w[flag].sum()) / total
    if np.allclose(w, w[0]):
        return rate(int(flag.sum()), int(flag.size))
    return share_at(share, total**2 / float((w * w).sum()))


def weighted_ratio(num: np.ndarray, den: np.ndarray, weights: np.ndarray) -> tuple[float | None, list[float] | None]:
    """``sum(w num) / sum(w den)`` (e.g. appeals filed per adverse event) with an exact 95% interval.

    Equal weights give :func:`rate` on the totals; otherwise the interval is
    the exact one at the effective size ``sum(w den)**2 / sum((w den)**2)``.
    """
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = float((w * den).sum())
    if total <= 0:
        return None, None
    if w.size == 0 or np.allclose(w, w[0]):
        return rate(int(round(num.sum())), int(round(den.sum())))
    share = float((w * num).sum()) / total
    return share_at(share, total**2 / float(((w * den) ** 2).sum()))


def share_at(share: float, n_eff: float) -> tuple[float, list[float]]:
    """``(share, [lo, hi])``: Clopper–Pearson bounds for ``share`` seen on an effective ``n_eff`` people (Korn and Graubard 1998)."""
    k_eff = share * n_eff
    lo = 0.0 if k_eff <= 0 else float(beta_quantile(0.025, k_eff, n_eff - k_eff + 1))
    hi = 1.0 if k_eff >= n_eff else float(beta_quantile(0.975, k_eff + 1, n_eff - k_eff))
    return share, [lo, hi]


def people_share(k: int, flagged_weight: float, sizes: tuple[int, float, float]) -> tuple[float | None, list[float] | None]:
    """Weighted share of a group's sampled people who are flagged.

    ``k`` flagged people of summed weight ``flagged_weight``; ``sizes`` is the
    group's sampled people, their summed weights and summed squared weights.
    Equal weights give :func:`rate`; otherwise the exact interval at the Kish
    effective size.
    """
    n, total, squares = sizes
    if n <= 0 or total <= 0:
        return None, None
    if np.isclose(total * total, n * squares):  # all weights equal
        return rate(int(k), int(n))
    return share_at(float(flagged_weight) / total, total**2 / squares)


def weight_of(merged: Mapping[str, Any], person_id: np.ndarray) -> np.ndarray:
    """Weight of each of ``person_id`` from the merged ``weights`` records (1 where none is recorded)."""
    person_id = np.asarray(person_id, dtype=np.int64)
    rec = merged.get("weights")
    if rec is None or len(rec) == 0 or person_id.size == 0:
        return np.ones(person_id.size)
    cols = rec.sorted()
    ids, w = cols["person_id"], cols["weight"]
    pos = np.minimum(np.searchsorted(ids, person_id), ids.size - 1)
    return np.where(ids[pos] == person_id, w[pos], 1.0)


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


def weighted_quantile(values: np.ndarray, w: np.ndarray, q: float) -> float:
    """Weighted inverted-cdf quantile: the smallest value whose cumulative weight share reaches ``q``."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(w[order])
    return float(values[order][min(int(np.searchsorted(cum, q * cum[-1] - 1e-12 * cum[-1])), values.size - 1)])


def months_summary(
    months: np.ndarray,
    *,
    horizon: int,
    rng: np.random.Generator,
    replicates: int,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """Median and 90th percentile of months-to-event with the share that never gets there.

    ``months`` holds whole months, ``-1`` for "not within ``horizon``". Quantiles
    are observed values (``inverted_cdf``, weighted by ``weights`` when given); a
    quantile that falls on "never" is ``None``. Intervals: percentile bootstrap
    over people (``replicates`` resamples; quantile intervals ``None`` where a
    bound falls on "never") and exact (:func:`weighted_rate`) for the never-share.
    """
    months = np.asarray(months, dtype=np.int64)
    n = int(months.size)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    share, share_ci = weighted_rate(months < 0, w)
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
    equal = bool(np.allclose(w, w[0]))
    for key, q in (("median_months", 0.5), ("p90_months", 0.9)):
        out[key] = num(_quantile(values, q) if equal else weighted_quantile(values, w, q))
    if replicates > 0 and n > 1:
        idx = rng.integers(0, n, size=(replicates, n))
        draws = values[idx]
        for key, q in (("median_months_ci", 0.5), ("p90_months_ci", 0.9)):
            if equal:
                reps = np.sort(_quantile(draws, q, axis=1))
            else:
                reps = np.sort([weighted_quantile(draws[r], w[idx[r]], q) for r in range(replicates)])
            lo, hi = _quantile(reps, 0.025), _quantile(reps, 0.975)
            out[key] = [num(lo), num(hi)]
    return out


def recovery_curve(months: np.ndarray, *, horizon: int, weights: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Share of people (weighted by ``weights`` when given) who have got there by each month ``0 .. horizon``."""
    months = np.asarray(months, dtype=np.int64)
    w = np.ones(months.size) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    hit = months >= 0
    counts = np.bincount(np.minimum(months[hit], horizon), weights=w[hit], minlength=horizon + 1)[: horizon + 1]
    cum = np.cumsum(counts)
    return [{"month": m, "share_recovered": (float(c) / total if total else None)} for m, c in enumerate(cum.tolist())]


def mean_interval(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[float | None, list[float] | None]:
    """Mean (weighted by ``weights`` when given) with a normal-approximation 95% interval.

    The weighted mean's standard error is the linearised one,
    ``sqrt(n / (n - 1) * sum(w**2 (x - mean)**2)) / sum(w)``, which is the usual
    ``s / sqrt(n)`` for equal weights. ``None`` for fewer than two values.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n == 0:
        return None, None
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    mean = float((w * values).sum() / total)
    if n < 2:
        return mean, None
    if np.allclose(w, w[0]):
        half = Z95 * float(values.std(ddof=1)) / np.sqrt(n)
    else:
        half = Z95 * float(np.sqrt(n / (n - 1) * (w * w * (values - mean) ** 2).sum())) / total
    return mean, [mean - half, mean + half]
