"""Figures computed from noisy counts, with their 95% intervals.

Every published figure is a function of OpenDP outputs only (post-processing
costs no privacy). :class:`Estimate` carries, for a vector of figures, their
values and their gradients with respect to every noisy coordinate they were
computed from. The interval of a figure comes from the noise it inherits:

* a figure that *is* one noisy count (times a constant) gets OpenDP's exact
  accuracy (:func:`audit.privacy.context.count_half_width`);
* any other figure is linearised (delta method) into a weighted sum of
  independent discrete Laplace noises, whose variance and fourth cumulant are
  exact; the 95% half-width is the Cornish-Fisher quantile
  ``z + (z^3 - 3z) * kurtosis / 24`` standard deviations. Assumption: the
  linearisation holds (noise small next to the counts, as at every useful ε)
  and the kurtosis correction is enough (it is exact to within a tenth of a
  percentage point of coverage for sums of Laplace noises; tested).

Intervals are per figure: each covers its own true value with 95%
probability. A table's simultaneous (Bonferroni) half-width is the per-figure
half-width at level ``0.05 / m`` for its ``m`` figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from audit.privacy.context import (
    ALPHA,
    count_half_width,
    noise_fourth_cumulant,
    noise_variance,
)

#: Excess kurtosis above which the Cornish-Fisher quantile is not used (it diverges for scales far
#: below one count; 6 is twice the continuous Laplace's 3, the largest a sum of large-scale noises has).
MAX_CF_KURTOSIS = 6.0

__all__ = ["MAX_CF_KURTOSIS", "Estimate", "NoisyTable", "figure", "figures", "half_widths", "nonnegative_counts", "ratio"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NoisyTable:
    """The output of one OpenDP measurement and what produced it."""

    query: str
    """Query name (as in the ledger)."""
    entry: str
    """Ledger entry id of the measurement."""
    values: np.ndarray
    """Noisy integers, in the shape of the exact table."""
    scale: float
    """Discrete Laplace scale of every coordinate."""
    sensitivity: int
    """``d_in`` the measurement was charged for."""

    @property
    def size(self) -> int:
        return int(self.values.size)

    def estimate(self) -> Estimate:
        """The table itself as figures (identity gradient)."""
        flat = self.values.reshape(-1).astype(np.float64)
        return Estimate(value=flat, grad={self.entry: np.eye(flat.size)})


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """Figures and their gradients with respect to noisy coordinates (forward-mode delta method)."""

    value: np.ndarray
    """One value per figure."""
    grad: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Ledger entry id of a measurement -> ``(figures, coordinates)`` derivative matrix."""

    def __len__(self) -> int:
        return int(self.value.size)

    def linear(self, weights: np.ndarray) -> Estimate:
        """``weights @ self``: new figures as weighted sums of these."""
        w = np.asarray(weights, dtype=np.float64)
        return Estimate(value=w @ self.value, grad={q: w @ g for q, g in self.grad.items()})

    def take(self, index: np.ndarray | list[int]) -> Estimate:
        idx = np.asarray(index, dtype=np.int64)
        return Estimate(value=self.value[idx], grad={q: g[idx] for q, g in self.grad.items()})

    def plus(self, constant: float | np.ndarray) -> Estimate:
        return Estimate(value=self.value + constant, grad=dict(self.grad))

    def times(self, constant: float) -> Estimate:
        return Estimate(value=self.value * constant, grad={q: g * constant for q, g in self.grad.items()})

    def entries_of(self, i: int) -> list[str]:
        """Ledger entries figure ``i`` was computed from."""
        return self.entries()[i]

    def entries(self) -> list[list[str]]:
        """Ledger entries each figure was computed from."""
        keys = sorted(self.grad)
        used = np.stack([np.any(self.grad[q] != 0, axis=1) for q in keys], axis=1) if keys else np.zeros((len(self), 0))
        return [[q for q, u in zip(keys, row) if u] for row in used]


def ratio(num: Estimate, den: Estimate) -> Estimate:
    """Elementwise ``num / den`` with the quotient rule; ``nan`` where ``den <= 0``."""
    d = np.where(den.value > 0, den.value, np.nan)
    r = num.value / d
    grad: dict[str, np.ndarray] = {}
    for q in set(num.grad) | set(den.grad):
        gn = num.grad.get(q)
        gd = den.grad.get(q)
        g = np.zeros_like(gn if gn is not None else gd)
        if gn is not None:
            g = g + gn / d[:, None]
        if gd is not None:
            g = g - gd * (r / d)[:, None]
        grad[q] = g
    return Estimate(value=r, grad=grad)


def half_widths(est: Estimate, scales: Mapping[str, float], *, alpha: float = ALPHA) -> np.ndarray:
    """Half-width of each figure's ``1 - alpha`` interval (``nan`` where the value is undefined).

    ``scales`` gives the noise scale of each measurement's coordinates, by ledger entry id.

    Where the noise is far from normal (excess kurtosis above
    :data:`MAX_CF_KURTOSIS`: scales well below one count, where the noise is
    almost always 0 and the Cornish-Fisher expansion diverges) the half-width
    is instead the union bound ``sum_k |g_k| h_k`` with each ``h_k`` the exact
    ``1 - alpha / m`` half-width of one of the figure's ``m`` noisy
    coordinates: all of them are within their ``h_k`` with probability at
    least ``1 - alpha``. Which rule applies depends on the scales only.
    """
    n = len(est)
    var = np.zeros(n)
    k4 = np.zeros(n)
    nonzero = np.zeros(n, dtype=np.int64)
    single = np.zeros(n)
    grads = {q: np.nan_to_num(g, nan=0.0) for q, g in est.grad.items()}
    for q, g in grads.items():
        s = float(scales[q])
        var += float(noise_variance(s)) * np.sum(g * g, axis=1)
        k4 += float(noise_fourth_cumulant(s)) * np.sum(g**4, axis=1)
        nz = g != 0
        nonzero += nz.sum(axis=1)
        single += np.abs(g).sum(axis=1) * count_half_width(s, alpha=alpha) * (nz.sum(axis=1) == 1)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = np.where(var > 0, k4 / var**2, 0.0)
    z_cf = z + (z**3 - 3 * z) / 24.0 * excess
    out = np.where(nonzero == 1, single, z_cf * np.sqrt(var))
    heavy = (nonzero > 1) & (excess > MAX_CF_KURTOSIS)
    if heavy.any():
        union = np.zeros(n)
        for m in np.unique(nonzero[heavy]):
            rows = heavy & (nonzero == m)
            for q, g in grads.items():
                union[rows] += np.abs(g[rows]).sum(axis=1) * count_half_width(float(scales[q]), alpha=alpha / m)
        out = np.where(heavy, union, out)
    return np.where(np.isfinite(est.value), out, np.nan)


def figure(value: float, half_width: float, entries: list[str], *, derived: bool,
           lower: float | None = None, upper: float | None = None, integer: bool = False) -> dict:
    """One published figure: value, 95% interval, ledger entries, how it was obtained.

    ``lower``/``upper`` clip value and interval to the figure's logical range
    (a rate to [0, 1]): post-processing that never lowers coverage because the
    true value lies in that range.
    """
    if not np.isfinite(value):
        return {"value": None, "ci95": None, "ledger_entries": entries, "derived": derived}
    lo, hi = value - half_width, value + half_width
    if lower is not None:
        value, lo, hi = max(value, lower), max(lo, lower), max(hi, lower)
    if upper is not None:
        value, lo, hi = min(value, upper), min(lo, upper), min(hi, upper)
    if integer:
        return {"value": round(value), "ci95": [round(lo), round(hi)], "ledger_entries": entries,
                "derived": derived}
    return {"value": float(value), "ci95": [float(lo), float(hi)], "ledger_entries": entries, "derived": derived}


def figures(est: Estimate, scales: Mapping[str, float], *, derived: bool = True, lower: float | None = None,
            upper: float | None = None) -> list[dict]:
    """:func:`figure` for every figure of ``est``, with intervals from :func:`half_widths`."""
    hw = half_widths(est, scales)
    entries = est.entries()
    return [figure(float(est.value[i]), float(hw[i]), entries[i], derived=derived, lower=lower, upper=upper)
            for i in range(len(est))]


def nonnegative_counts(noisy: np.ndarray) -> np.ndarray:
    """Non-negative integer counts with the same total as ``noisy`` (clipped at 0), closest in L2.

    The Euclidean projection of the signed counts onto ``{x >= 0, sum x = max(sum noisy, 0)}``
    (``x = max(noisy - tau, 0)``), then rounded by largest remainder so the
    integers keep that total. Margins summed from the result therefore add up.
    Slightly biased for small cells; the signed counts are the unbiased ones.
    """
    y = np.asarray(noisy, dtype=np.float64).reshape(-1)
    total = max(float(y.sum()), 0.0)
    if y.size == 0 or total == 0:
        return np.zeros(np.shape(noisy), dtype=np.int64)
    u = np.sort(y)[::-1]
    css = np.cumsum(u) - total
    k = np.arange(1, y.size + 1)
    rho = int(np.nonzero(u - css / k > 0)[0][-1])
    tau = css[rho] / (rho + 1)
    x = np.maximum(y - tau, 0.0)
    base = np.floor(x)
    short = round(total - base.sum())
    if short > 0:
        frac = x - base
        order = np.lexsort((np.arange(y.size), -frac))
        base[order[:short]] += 1
    return base.astype(np.int64).reshape(np.shape(noisy))
