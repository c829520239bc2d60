"""Intervals of the dynamics measures: values by hand, coverage by simulation within binomial error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audit.dynamics.intervals import change_interval, gap_interval, mean_interval, ratio_interval, share_of_sums, wilson

REPS = 2000
# 95% coverage estimated from REPS replicates: accept within 3 binomial standard errors of 0.95
SE = math.sqrt(0.95 * 0.05 / REPS)
LOW, HIGH = 0.95 - 3 * SE, 0.95 + 3 * SE


def test_wilson_by_hand():
    # k = 0: the upper limit is z^2 / (n + z^2)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1.959963984540054**2 / (10 + 1.959963984540054**2))
    assert wilson(5, 0) is None
    lo, hi = wilson(50, 100)
    assert (lo + hi) / 2 == pytest.approx(0.5) and hi - lo == pytest.approx(0.1918, abs=1e-3)


def test_ratio_and_mean_by_hand():
    lo, hi = ratio_interval(40, 100, 80, 100)
    se = math.sqrt(1 / 40 - 1 / 100 + 1 / 80 - 1 / 100)
    assert (lo, hi) == pytest.approx((0.5 * math.exp(-1.959963984540054 * se), 0.5 * math.exp(1.959963984540054 * se)))
    assert ratio_interval(0, 100, 80, 100) is None
    m, (mlo, mhi) = mean_interval(6.0, 14.0, 3)  # values 1, 2, 3: mean 2, sd 1
    assert m == 2.0 and mhi - m == pytest.approx(1.959963984540054 / math.sqrt(3))


def _covered(ci, truth):
    return ci is not None and ci[0] <= truth <= ci[1]


@pytest.mark.parametrize(("p1", "n1", "p2", "n2"), [(0.8, 200, 0.5, 150), (0.95, 120, 0.9, 400), (0.3, 60, 0.3, 60)])
def test_gap_and_ratio_coverage(p1, n1, p2, n2):
    rng = np.random.default_rng(11)
    k1 = rng.binomial(n1, p1, REPS)
    k2 = rng.binomial(n2, p2, REPS)
    gap = np.mean([_covered(gap_interval(a, n1, b, n2), p1 - p2) for a, b in zip(k1, k2)])
    ratio = np.mean([_covered(ratio_interval(b, n2, a, n1), p2 / p1) for a, b in zip(k1, k2)])
    assert LOW <= gap <= HIGH
    assert LOW <= ratio <= HIGH


@pytest.mark.parametrize(("p_up", "p_down"), [(0.05, 0.10), (0.10, 0.10), (0.02, 0.20)])
def test_paired_change_coverage(p_up, p_down):
    """Each person: favourable at the start with prob 0.6; moves up or down with the given probabilities."""
    rng = np.random.default_rng(5)
    n1, n2 = 400, 300
    truth = (p_up * 0.4 - p_down * 0.6) - (p_down * 0.4 - p_up * 0.6)  # group 2 has the moves reversed
    hits = 0
    for _ in range(REPS):
        counts = []
        for n, (u, d) in ((n1, (p_up, p_down)), (n2, (p_down, p_up))):
            start = rng.random(n) < 0.6
            move = rng.random(n)
            counts += [int(((~start) & (move < u)).sum()), int((start & (move < d)).sum()), n]
        est, ci = change_interval(*counts)
        hits += ci[0] <= truth <= ci[1]
    assert LOW <= hits / REPS <= HIGH


def test_share_of_sums_coverage():
    rng = np.random.default_rng(2)
    n = 300
    # gains: bought ~ Exp(1) with prob 0.3 else 0; earned ~ Exp(2); true share = 0.3 / (0.3 + 2)
    truth = 0.3 / 2.3
    hits = 0
    for _ in range(REPS):
        b = rng.exponential(1.0, n) * (rng.random(n) < 0.3)
        e = rng.exponential(2.0, n)
        r, ci = share_of_sums(b.sum(), e.sum(), (b * b).sum(), (e * e).sum(), (b * e).sum(), n)
        assert r == pytest.approx(b.sum() / (b.sum() + e.sum()))
        hits += ci[0] <= truth <= ci[1]
    assert LOW <= hits / REPS <= HIGH
