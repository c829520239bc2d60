"""95% intervals for the dynamics measures, from per-group sums alone.

- a rate ``k / n``: Wilson's score interval (E. B. Wilson, JASA 1927), which
  keeps its coverage near 0 and 1 where the Wald interval collapses;
- a gap between two groups' rates: Newcombe's hybrid score interval built from
  the two Wilson intervals (R. G. Newcombe, Statistics in Medicine 1998, method 10);
- an impact ratio: the Katz log interval (Katz et al., Biometrics 1978);
- the change of a gap since the start: the same people measured twice, so
  each group's change is a paired difference of proportions (its variance
  from the discordant counts, as in McNemar's test) and the two groups are
  independent;
- a mean, and a ratio of two sums (the bought share of gains): normal
  intervals, the latter by the delta method.

Coverage is checked by simulation in ``tests/audit/dynamics/test_intervals.py``.
"""

from __future__ import annotations

import math

__all__ = ["Z95", "wilson", "gap_interval", "ratio_interval", "change_interval", "mean_interval", "share_of_sums"]

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054


def wilson(k: float, n: float) -> tuple[float, float] | None:
    """Wilson interval for ``k`` successes in ``n``; ``None`` when ``n == 0``."""
    if n <= 0:
        return None
    p, z2 = k / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def gap_interval(k1: float, n1: float, k2: float, n2: float) -> tuple[float, float] | None:
    """Newcombe interval for ``k1/n1 - k2/n2`` (independent groups)."""
    w1, w2 = wilson(k1, n1), wilson(k2, n2)
    if w1 is None or w2 is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    lo = d - math.sqrt((p1 - w1[0]) ** 2 + (w2[1] - p2) ** 2)
    hi = d + math.sqrt((w1[1] - p1) ** 2 + (p2 - w2[0]) ** 2)
    return (max(-1.0, lo), min(1.0, hi))


def ratio_interval(k_num: float, n_num: float, k_den: float, n_den: float) -> tuple[float, float] | None:
    """Katz log interval for ``(k_num/n_num) / (k_den/n_den)``; ``None`` when either count is 0."""
    if min(k_num, k_den, n_num, n_den) <= 0:
        return None
    r = (k_num / n_num) / (k_den / n_den)
    se = math.sqrt(1 / k_num - 1 / n_num + 1 / k_den - 1 / n_den)
    return (r * math.exp(-Z95 * se), r * math.exp(Z95 * se))


def _paired(up: float, down: float, n: float) -> tuple[float, float]:
    """Mean change and its variance for one group: ``up`` people became favourable, ``down`` stopped being."""
    d = (up - down) / n
    var = ((up + down) / n - d * d) / n
    return d, max(var, 0.0)


def change_interval(up1: float, down1: float, n1: float, up2: float, down2: float, n2: float) -> tuple[float, tuple[float, float]] | None:
    """Change of the gap ``p1 - p2`` between two measurements of the same people: estimate and Wald interval.

    A change with no discordant person at all gets the interval of one
    discordant person either way (a zero-width interval would claim certainty
    no finite sample gives).
    """
    if n1 <= 0 or n2 <= 0:
        return None
    d1, v1 = _paired(up1, down1, n1)
    d2, v2 = _paired(up2, down2, n2)
    se = math.sqrt(v1 + v2)
    if se == 0:
        se = math.sqrt(1 / (n1 * n1) + 1 / (n2 * n2))
    est = d1 - d2
    return est, (max(-1.0, est - Z95 * se), min(1.0, est + Z95 * se))


def mean_interval(total: float, squares: float, n: float) -> tuple[float, tuple[float, float] | None] | None:
    """Mean of ``n`` values from their sum and sum of squares, with a normal interval (``None`` for one value)."""
    if n <= 0:
        return None
    m = total / n
    if n < 2:
        return m, None
    var = max(squares / n - m * m, 0.0) * n / (n - 1)
    half = Z95 * math.sqrt(var / n)
    return m, (m - half, m + half)


def share_of_sums(sb: float, se: float, sbb: float, see: float, sbe: float, n: float) -> tuple[float, tuple[float, float] | None] | None:
    """``sum(b) / sum(b + e)`` with a delta-method interval; ``None`` when the total is 0."""
    total = sb + se
    if n <= 0 or total == 0:
        return None
    r = sb / total
    if n < 2:
        return r, None
    # per person residual u_i = b_i - r (b_i + e_i); var(r) ~ var(u) / (n * mean(b + e)^2)
    suu = (1 - r) ** 2 * sbb + r * r * see - 2 * r * (1 - r) * sbe
    var = max(suu / n - ((1 - r) * sb - r * se) ** 2 / (n * n), 0.0) * n / (n - 1)
    half = Z95 * math.sqrt(var / n) / abs(total / n)
    return r, (max(0.0, r - half), min(1.0, r + half))
