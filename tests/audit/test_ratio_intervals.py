"""Calibration of impact-ratio and relative-risk intervals, and exact rate intervals.

The simulations draw binomial counts for groups with known true rates and
check, within binomial error, that a 95% procedure calls a violation at a true
ratio of exactly 0.80 at most 2.5% of the time (ties at the top included) and
that its intervals cover the true ratio at least 95% of the time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from audit.disparity.ratio_intervals import exact_rate_interval, ratio_intervals
from audit.evidence import MIN_REFERENCE_EVENTS, clopper_pearson

REPS = 1500


def _at_most(rate: float, nominal: float) -> bool:
    """``rate`` (over REPS runs) is not significantly above ``nominal`` (3 binomial standard errors)."""
    return rate <= nominal + 3 * math.sqrt(nominal * (1 - nominal) / REPS)


def _simulate(rates, n, to, seed):
    rng = np.random.default_rng(seed)
    rates = np.asarray(rates, dtype=float)
    n = np.broadcast_to(np.asarray(n), rates.shape)
    truth = rates / (rates.max() if to == "highest" else rates.min())
    extreme = truth.min() if to == "highest" else truth.max()
    out = {"group_false": 0, "group_cover": 0, "overall_false": 0, "overall_cover": 0}
    for _ in range(REPS):
        yes = rng.binomial(n, rates)
        r = ratio_intervals(yes, n, np.ones(rates.size, bool), to=to)
        if to == "highest":
            out["group_false"] += r.hi[-1] < 0.8
            out["overall_false"] += r.extreme_hi < 0.8
        else:
            out["group_false"] += r.lo[-1] > 1.25
            out["overall_false"] += r.extreme_lo > 1.25
        out["group_cover"] += r.lo[-1] <= truth[-1] <= r.hi[-1]
        out["overall_cover"] += r.extreme_lo <= extreme <= r.extreme_hi
    return {k: v / REPS for k, v in out.items()}


@pytest.mark.parametrize("n", [60, 400, 20_000], ids=["small", "medium", "large"])
@pytest.mark.parametrize(
    "rates",
    [
        [0.5, 0.5, 0.5, 0.40],  # three groups tied at the top, true ratio exactly 0.80
        [0.5, 0.5, 0.5, 0.41],  # true ratio 0.82
        [0.4, 0.32],  # two groups, true ratio exactly 0.80
        [0.3, 0.3, 0.3, 0.3, 0.3, 0.24],  # five tied, 0.80
    ],
    ids=["tied3-0.80", "tied3-0.82", "two-0.80", "tied5-0.80"],
)
def test_impact_ratio_violation_rate_and_coverage(rates, n):
    res = _simulate(rates, n, "highest", seed=len(rates) * 1000 + n)
    truth = rates[-1] / max(rates)
    if truth >= 0.8:  # no violation: at most 2.5% false alarms, group and overall
        assert _at_most(res["group_false"], 0.025)
        assert _at_most(res["overall_false"], 0.025)
    assert res["group_cover"] >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / REPS)
    assert res["overall_cover"] >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / REPS)


@pytest.mark.parametrize("n", [400, 20_000], ids=["medium", "large"])
def test_relative_risk_false_alarm_at_the_boundary(n):
    # three groups tied at the bottom, the last sanctioned 1.25 times as often: a relative risk of exactly 1.25
    res = _simulate([0.08, 0.08, 0.08, 0.10], n, "lowest", seed=n)
    assert _at_most(res["group_false"], 0.025)
    assert _at_most(res["overall_false"], 0.025)
    assert res["group_cover"] >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / REPS)


def test_power_far_from_the_boundary():
    # a true ratio of 0.5 with 2,000 people per group is found (almost) every time
    rng = np.random.default_rng(4)
    yes = rng.binomial(2000, [0.6, 0.6, 0.3])
    r = ratio_intervals(yes, np.full(3, 2000), np.ones(3, bool), to="highest")
    assert r.hi[-1] < 0.8 and r.extreme_hi < 0.8


def test_identical_rates_keep_one_inside_the_minimum_ratio_interval():
    # two groups with identical rates: the smallest ratio is truly 1, so its interval must reach 1
    r = ratio_intervals([300, 300], [1000, 1000], [True, True], to="highest")
    assert r.extreme == 1.0 and r.extreme_lo < 1.0 and r.extreme_hi >= 1.0
    r = ratio_intervals([300, 310], [1000, 1000], [True, True], to="highest")
    assert r.extreme_hi >= 1.0 and r.extreme_lo < 300 / 310


def test_katz_interval_for_two_groups_by_hand():
    # 300/1000 against 600/1000: log ratio log(0.5), se = sqrt(0.7/300 + 0.4/600); one-sided 97.5% lower bound
    # and (with m - 1 = 1 other group) the same z for the upper bound
    r = ratio_intervals([300, 600], [1000, 1000], [True, True], to="highest")
    se = math.sqrt(0.7 / 300 + 0.4 / 600)
    assert r.ratio[0] == pytest.approx(0.5)
    assert r.lo[0] == pytest.approx(0.5 * math.exp(-1.959964 * se), rel=1e-6)
    assert r.hi[0] == pytest.approx(0.5 * math.exp(1.959964 * se), rel=1e-6)
    assert r.lo[1] == r.hi[1] == 1.0 and r.reference == 1 and r.reference_events == 600


def test_ineligible_groups_and_a_zero_reference_are_undefined():
    r = ratio_intervals([5, 0, 9], [100, 100, 10], [True, True, False], to="lowest")
    assert np.isnan(r.ratio).all() and r.reference == 1 and r.reference_events == 0
    r = ratio_intervals([50, 0, 9], [1000, 1000, 10], [True, True, False], to="highest")
    assert r.ratio[1] == 0.0 and r.lo[1] == 0.0 and 0 < r.hi[1] < 1 and np.isnan(r.ratio[2])


def test_a_reference_with_few_events_is_unstable():
    r = ratio_intervals([1, 200], [3000, 1000], [True, True], to="lowest")
    assert r.reference_events == 1 < MIN_REFERENCE_EVENTS and r.unstable
    assert not ratio_intervals([100, 200], [3000, 1000], [True, True], to="lowest").unstable


@pytest.mark.parametrize(("k", "n"), [(0, 1), (0, 30), (1, 30), (5, 6), (6, 6), (300, 1000), (0, 0)])
def test_exact_rate_interval_is_clopper_pearson(k, n):
    lo, hi = exact_rate_interval(np.array([k]), np.array([n]))
    if n == 0:
        assert np.isnan(lo[0]) and np.isnan(hi[0])
        return
    # scipy's own exact binomial interval, computed independently
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert lo[0] == pytest.approx(ci.low, abs=1e-12) and hi[0] == pytest.approx(ci.high, abs=1e-12)
    assert (lo[0], hi[0]) == pytest.approx(clopper_pearson(k, n))
    if k == 0:
        assert hi[0] == pytest.approx(1 - 0.025 ** (1 / n)) and hi[0] > 0
    if 0 < k < n:
        assert lo[0] < k / n < hi[0]
