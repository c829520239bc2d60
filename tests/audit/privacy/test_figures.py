import math

import numpy as np
import pytest

from audit.privacy.context import count_half_width
from audit.privacy.figures import (
    NoisyTable,
    figure,
    half_widths,
    nonnegative_counts,
    ratio,
)


def _pmf(scale: float) -> tuple[np.ndarray, np.ndarray]:
    q = math.exp(-1 / scale)
    k = np.arange(-int(40 * scale) - 40, int(40 * scale) + 41)
    return k, (1 - q) / (1 + q) * q ** np.abs(k)


def _sum_pmf(scale: float, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact pmf of the sum of m independent discrete Laplace noises (repeated convolution)."""
    _, p = _pmf(scale)
    out = np.array([1.0])
    for _ in range(m):
        out = np.convolve(out, p)
    support = np.arange(out.size) - (out.size - 1) // 2
    return support, out


def _coverage_of_combination(scale: float, m1: int, a: float, m2: int, b: float, h: float) -> float:
    """P(|a S1 + b S2| <= h) for independent sums S1 (m1 noises) and S2 (m2 noises), exactly."""
    x1, p1 = _sum_pmf(scale, m1)
    if m2 == 0:
        return float(p1[np.abs(a * x1) <= h].sum())
    x2, p2 = _sum_pmf(scale, m2)
    cdf2 = np.concatenate([[0.0], np.cumsum(p2)])
    # for each x1: b*x2 in [-h - a x1, h - a x1]
    lo = (-h - a * x1) / b
    hi = (h - a * x1) / b
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    i_lo = np.searchsorted(x2, lo, side="left")
    i_hi = np.searchsorted(x2, hi, side="right")
    return float(np.sum(p1 * (cdf2[i_hi] - cdf2[i_lo])))


def _table(values, scale=20.0, entry="e1"):
    v = np.asarray(values, dtype=np.int64)
    return NoisyTable(query="q", entry=entry, values=v, scale=scale, sensitivity=1)


def test_single_count_interval_is_opendps():
    est = _table([100, 5, 7], scale=7.0).estimate()
    hw = half_widths(est.times(3.0), {"e1": 7.0})
    assert np.allclose(hw, 3 * count_half_width(7.0))


@pytest.mark.parametrize("m", [2, 3, 5, 12])
def test_interval_of_a_sum_covers_95_percent(m):
    scale = 15.0
    est = _table(np.zeros(m), scale=scale).estimate().linear(np.ones((1, m)))
    h = float(half_widths(est, {"e1": scale})[0])
    cov = _coverage_of_combination(scale, m, 1.0, 0, 0.0, h)
    assert 0.945 <= cov <= 0.956, cov


@pytest.mark.parametrize("m1,m2,r", [(1, 1, 0.3), (2, 3, 0.8), (6, 24, 0.15), (1, 5, 0.5)])
def test_interval_of_a_rate_like_combination_covers_95_percent(m1, m2, r):
    # the linearised error of a rate F/N with F the sum of m1 cells and N - F of m2: (1 - r) S1 - r S2
    scale = 15.0
    w = np.concatenate([np.full(m1, 1 - r), np.full(m2, -r)])[None, :]
    est = _table(np.zeros(m1 + m2), scale=scale).estimate().linear(w)
    h = float(half_widths(est, {"e1": scale})[0])
    cov = _coverage_of_combination(scale, m1, 1 - r, m2, -r, h)
    assert 0.944 <= cov <= 0.956, cov


def test_ratio_gradient_matches_finite_differences():
    t = _table([300, 500, 200])
    est = t.estimate()
    num = est.take([0])
    den = est.linear(np.ones((1, 3)))
    r = ratio(num, den)
    assert r.value[0] == pytest.approx(0.3)
    g = r.grad["e1"][0]
    eps = 1e-4
    for j in range(3):
        bumped = np.array([300.0, 500.0, 200.0])
        bumped[j] += eps
        fd = (bumped[0] / bumped.sum() - 0.3) / eps
        assert g[j] == pytest.approx(fd, rel=1e-3, abs=1e-9)


def test_ratio_of_nonpositive_denominator_is_undefined():
    est = _table([3, -2]).estimate()
    r = ratio(est.take([0]), est.take([1]))
    assert np.isnan(r.value[0])
    assert np.isnan(half_widths(r, {"e1": 20.0})[0])
    assert figure(float(r.value[0]), 1.0, ["e1"], derived=True) == {
        "value": None, "ci95": None, "ledger_entries": ["e1"], "derived": True}


def test_entries_follow_dependencies():
    a = _table([1, 2], entry="e1").estimate()
    b = _table([3, 4], entry="e2").estimate()
    r = ratio(a, b)
    assert r.entries() == [["e1", "e2"], ["e1", "e2"]]
    assert a.linear(np.array([[1.0, 0.0]])).entries() == [["e1"]]


def test_figure_clips_to_the_logical_range():
    f = figure(1.02, 0.05, ["e1"], derived=True, lower=0.0, upper=1.0)
    assert f["value"] == 1.0 and f["ci95"] == [pytest.approx(0.97), 1.0]


def test_nonnegative_counts_by_hand():
    # projection of (5, -3, 2) onto {x >= 0, sum = 4}: tau = 1.5 -> (3.5, 0, 0.5); largest remainder -> (4, 0, 0)
    assert nonnegative_counts(np.array([5, -3, 2])).tolist() == [4, 0, 0]
    assert nonnegative_counts(np.array([-5, 2])).tolist() == [0, 0]
    assert nonnegative_counts(np.array([[10, 20], [30, 40]])).tolist() == [[10, 20], [30, 40]]


def test_nonnegative_counts_keep_the_total_and_are_closest():
    from scipy.optimize import minimize

    y = np.array([12, -4, 0, 7, -1, 3, 25, -9], dtype=float)
    x = nonnegative_counts(y)
    assert x.min() >= 0 and x.sum() == y.sum()
    # the closest non-negative vector with that total, by a general-purpose optimiser
    opt = minimize(lambda v: np.sum((v - y) ** 2), np.full(y.size, y.sum() / y.size), method="SLSQP",
                   bounds=[(0, None)] * y.size, constraints=[{"type": "eq", "fun": lambda v: v.sum() - y.sum()}])
    assert np.abs(x - opt.x).max() < 1  # integers within rounding of the projection
