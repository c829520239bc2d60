"""Exact rate intervals and calibrated intervals for ratios to the best (or least) group.

Rates
-----
A group's rate is ``yes`` of ``n`` people; its interval is the exact
Clopper–Pearson interval (Clopper and Pearson 1934), so a rate of 0 of ``n``
gets an upper bound ``1 - 0.025**(1/n)`` and never the interval ``[0, 0]``
a bootstrap gives when no event happened.

Ratios to an extreme group
--------------------------
An impact ratio is a group's rate over the *highest* eligible group's rate
(EEOC four-fifths rule); a relative risk is a group's adverse rate over the
*lowest*. Which group is highest is itself estimated. A bootstrap that picks
the highest group again in every replicate caps the ratio at 1 and biases it
low; picking it once on the point estimate instead ignores that the winner
was chosen because it came out high ("winner's curse": with three groups tied
at the top and a true ratio of 0.80, either calls a violation far more often
than the 2.5% a 95% interval allows).

Here the choice is accounted for. Write ``r_gj = p_g / p_j`` for every pair
of eligible groups; the impact ratio of ``g`` is ``min_j r_gj`` (``j = g``
gives 1) and its true value is ``r_g,j0`` with ``j0`` the truly highest group.
Each pair gets a Katz log interval (Katz et al. 1978: ``log r`` with standard
error ``sqrt((1 - p_g)/(n_g p_g) + (1 - p_j)/(n_j p_j))``; 0.5 is added to
the events and non-events of a group with none of either, Haldane's
correction). Then

- the lower bound ``min_j L_gj`` needs only the pair ``(g, j0)`` to be
  covered: a one-sided ``alpha/2`` bound, no correction;
- the upper bound ``min_j U_gj`` needs every pair covered at once: one-sided
  ``alpha / (2 (m - 1))`` bounds (Bonferroni over the ``m - 1`` other groups).

So ``P(upper < true ratio) <= alpha/2`` whichever group is truly highest or
how many are tied: a "violation" (upper bound under 0.8) at a true ratio of
0.8 is called at most 2.5% of the time. The *overall* verdict (the smallest
ratio over all groups) takes the Bonferroni correction over all ``m (m - 1)``
ordered pairs for its upper bound, so it too is called falsely at most 2.5%
of the time however many groups are compared (multiplicity control). Its
lower bound is the smallest per-group lower bound, again needing only the
true worst pair covered. Relative risks to the least group are the mirror
image (``max_j r_gj``; the corrected side is the lower bound).

The intervals are conservative (coverage at least 95%, more when groups are
far apart); ``tests/audit/test_ratio_intervals.py`` checks the false-alarm
rate at the boundary and the coverage by simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

from audit.disparity.bootstrap import INTERVAL_LEVEL
from audit.evidence import MIN_REFERENCE_EVENTS, beta_quantile

__all__ = ["RatioIntervals", "exact_rate_interval", "ratio_intervals", "pair_bounds"]


def exact_rate_interval(yes: ArrayLike, n: ArrayLike, level: float = INTERVAL_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson bounds of ``yes / n`` elementwise; NaN where ``n == 0``.

    The vectorised form of :func:`audit.evidence.clopper_pearson`.
    """
    yes = np.asarray(yes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    alpha = 1.0 - level
    ok = n > 0
    k = np.where(ok, yes, 0.0)
    m = np.where(ok, n, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, beta_quantile(alpha / 2, np.maximum(k, 1e-300), m - k + 1), 0.0)
        hi = np.where(k < m, beta_quantile(1 - alpha / 2, k + 1, np.maximum(m - k, 1e-300)), 1.0)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def pair_bounds(yes: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Katz log bounds ``exp(log r_gj -+ z se_gj)`` for every ordered pair ``(g, j)``: two ``(G, G)`` arrays.

    ``r_gj = p_g / p_j``. A group with no events or no non-events gets 0.5
    added to both (Haldane). The diagonal is exactly 1.
    """
    yes = np.asarray(yes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    edge = (yes <= 0) | (yes >= n)
    y = np.where(edge, yes + 0.5, yes)
    m = np.where(edge, n + 1.0, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = y / m
        log_p = np.log(p)
        var = (1.0 - p) / (m * p)
    log_r = log_p[:, None] - log_p[None, :]
    se = np.sqrt(var[:, None] + var[None, :])
    lo, hi = np.exp(log_r - z * se), np.exp(log_r + z * se)
    np.fill_diagonal(lo, 1.0)
    np.fill_diagonal(hi, 1.0)
    return lo, hi


@dataclass(frozen=True, slots=True, kw_only=True)
class RatioIntervals:
    """Ratios of each group's rate to the highest (or lowest) eligible group's, with calibrated intervals."""

    ratio: np.ndarray
    """Point estimate per group (NaN for ineligible groups or a zero reference rate)."""
    lo: np.ndarray
    """Lower 95% bound per group (NaN where undefined)."""
    hi: np.ndarray
    """Upper 95% bound per group (NaN where undefined)."""
    extreme: float
    """The smallest ratio (to the highest group) or the largest (to the lowest); NaN if none."""
    extreme_lo: float
    """Lower bound of :attr:`extreme`, with multiplicity control over all pairs of groups."""
    extreme_hi: float
    """Upper bound of :attr:`extreme`, with multiplicity control over all pairs of groups."""
    reference: int | None
    """Index of the reference group on the point estimate (highest or lowest rate)."""
    reference_events: int | None
    """Events (``yes``) in the reference group."""

    @property
    def unstable(self) -> bool:
        """True when the reference group has fewer than ``MIN_REFERENCE_EVENTS`` events."""
        return self.reference_events is not None and self.reference_events < MIN_REFERENCE_EVENTS


def ratio_intervals(
    yes: ArrayLike, n: ArrayLike, eligible: ArrayLike, *, to: Literal["highest", "lowest"],
    level: float = INTERVAL_LEVEL,
) -> RatioIntervals:
    """Each eligible group's rate over the highest (``to="highest"``) or lowest eligible rate, with intervals.

    See the module docstring for the method and its guarantees.

    Parameters
    ----------
    yes, n : array_like
        Events and people per group.
    eligible : array_like of bool
        Groups that take part in ratios (known, non-empty, not under the minimum share).
    to : {"highest", "lowest"}
        ``"highest"``: impact ratios (favourable outcomes); ``"lowest"``: relative risks (adverse outcomes).
    level : float
        Two-sided coverage of every interval.
    """
    if to not in ("highest", "lowest"):
        raise ValueError(f"ratio_intervals(to={to!r}): use 'highest' or 'lowest'")
    yes = np.asarray(yes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    ok = np.asarray(eligible, dtype=bool) & (n > 0)
    g = yes.size
    nan = np.full(g, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(ok, yes / np.where(n > 0, n, 1.0), np.nan)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return RatioIntervals(ratio=nan, lo=nan.copy(), hi=nan.copy(), extreme=np.nan, extreme_lo=np.nan,
                              extreme_hi=np.nan, reference=None, reference_events=None)
    sub = rates[idx]
    ref = int(idx[np.argmax(sub)] if to == "highest" else idx[np.argmin(sub)])
    ref_rate = rates[ref]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(ok & (ref_rate > 0), rates / ref_rate, np.nan)
    m = idx.size
    alpha = 1.0 - level
    z_one = float(ndtri(1.0 - alpha / 2))
    z_group = float(ndtri(1.0 - alpha / (2 * max(m - 1, 1))))
    z_all = float(ndtri(1.0 - alpha / (2 * max(m * (m - 1), 1))))
    y, k = yes[idx], n[idx]
    lo1, hi1 = pair_bounds(y, k, z_one)
    log, hig = pair_bounds(y, k, z_group)
    loa, hia = pair_bounds(y, k, z_all)
    if to == "highest":  # ratio_g = min_j r_gj
        g_lo, g_hi = lo1.min(axis=1), hig.min(axis=1)
        e_lo, e_hi = float(g_lo.min()), float(hia.min())
    else:  # ratio_g = max_j r_gj
        g_lo, g_hi = log.max(axis=1), hi1.max(axis=1)
        e_lo, e_hi = float(loa.max()), float(g_hi.max())
    lo, hi = nan.copy(), nan.copy()
    if ref_rate > 0:
        point = ratio[idx]
        lo[idx] = np.minimum(g_lo, point)  # Haldane's correction can move the interval off a zero rate's point
        hi[idx] = np.maximum(g_hi, point)
        extreme = float(np.min(point) if to == "highest" else np.max(point))
        e_lo, e_hi = min(e_lo, extreme), max(e_hi, extreme)
    else:
        extreme, e_lo, e_hi = np.nan, np.nan, np.nan
    return RatioIntervals(ratio=ratio, lo=lo, hi=hi, extreme=extreme, extreme_lo=e_lo, extreme_hi=e_hi,
                          reference=ref, reference_events=int(yes[ref]))
