"""Exact rank figures: medians and LL144 scoring rates on unrounded scores, scale invariance, merging."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import audit.disparity.exact_ranks as exact_ranks
from audit.disparity.audit import DisparityAudit
from audit.disparity.exact_ranks import ExactValueCounts, key_values, order_keys, population_median, rank_figures
from audit.engine.contract import AuditOptions
from tests.audit._disparity_fixtures import LookupScorer, audit_section, group, people_frame, population, split

NO_REPLAY = DisparityAudit(attribution_sample=0)


def _case(n=3000, seed=2):
    rng = np.random.default_rng(seed)
    q = rng.integers(1, 6, n)
    people = people_frame(q, rng.integers(0, 4, n))
    score = rng.beta(2 + q, 5.0)  # a probability in (0, 1), higher for richer quintiles
    return people, q, score


def _section(people, score, bootstrap=0):
    scorer = LookupScorer(pd.Series(score, index=people["person_id"]))
    return audit_section(population(people), scorer, options=AuditOptions(bootstrap=bootstrap, seed=1), audit=NO_REPLAY)


def test_scoring_rate_of_a_probability_is_exact():
    people, q, score = _case()
    section = _section(people, score)
    med = np.median(score)
    frame = pd.DataFrame({"q": q, "above": score > med, "ties": score >= med, "score": score})
    assert section["median_score"] == pytest.approx(med, abs=0)
    by = frame.groupby("q")
    for k in range(1, 6):
        g = group(section, "income_quintile", k)
        assert g["scoring_rate"] == pytest.approx(by["above"].mean()[k], abs=1e-15)
        assert g["median_score"] == pytest.approx(by["score"].median()[k], abs=0)
    # the whole population: exactly half strictly above the median (3,000 distinct scores)
    assert section["income_quintile"]["scoring_rate"]["overall"] == 0.5
    assert section["income_quintile"]["rank_error_bound"] == 0.0


def test_rounding_to_hundredths_would_have_changed_the_rate():
    # the figure the old SCORE_DECIMALS rounding gave differs from the exact one on the same people
    people, q, score = _case()
    rounded = np.round(score, 2)
    old = float((rounded > np.median(rounded)).mean())
    assert old != 0.5
    assert _section(people, score)["income_quintile"]["scoring_rate"]["overall"] == 0.5


@pytest.mark.parametrize("factor", [0.01, 37.3, 1e6])
def test_rank_figures_are_unchanged_by_a_positive_factor(factor):
    people, q, score = _case(n=1500)
    base, scaled = _section(people, score, bootstrap=40), _section(people, score * factor, bootstrap=40)
    for k in range(1, 6):
        a, b = group(base, "income_quintile", k), group(scaled, "income_quintile", k)
        for key in ("scoring_rate", "scoring_impact_ratio", "scoring_rate_ties_above", "scoring_impact_ratio_ties_above"):
            assert a[key] == b[key]
        assert b["median_score"] == pytest.approx(a["median_score"] * factor, rel=1e-12)
    assert base["income_quintile"]["min_scoring_impact_ratio"] == scaled["income_quintile"]["min_scoring_impact_ratio"]


def test_ties_at_the_median_count_as_above_in_the_named_variant():
    # scores 1, 2, 2, 2, 3 in quintile 1 and 2, 2, 3, 3, 3 in quintile 5: population median 2
    people = people_frame(np.repeat([1, 5], 5), np.full(10, 1))
    score = np.array([1, 2, 2, 2, 3, 2, 2, 3, 3, 3], dtype=float) * 0.1  # off the hundredths grid after scaling
    score = score / 3.0
    section = _section(people, score)
    g1, g5 = group(section, "income_quintile", 1), group(section, "income_quintile", 5)
    assert g1["scoring_rate"] == pytest.approx(1 / 5) and g5["scoring_rate"] == pytest.approx(3 / 5)
    assert g1["scoring_rate_ties_above"] == pytest.approx(4 / 5) and g5["scoring_rate_ties_above"] == pytest.approx(5 / 5)
    assert g1["scoring_impact_ratio_ties_above"] == pytest.approx(0.8)


def test_chunking_does_not_change_exact_rank_figures():
    people, q, score = _case(n=2000, seed=7)
    scorer = LookupScorer(pd.Series(score, index=people["person_id"]))
    pop = population(people)
    opts = AuditOptions(bootstrap=30, seed=5)
    whole = audit_section(pop, scorer, options=opts, audit=NO_REPLAY)
    parts = split(pop, [333, 1200, 1201])
    chunked = audit_section(parts[::-1], scorer, options=opts, audit=NO_REPLAY)
    dump = lambda s: json.dumps(s, sort_keys=True, default=str)  # noqa: E731
    assert dump(whole) == dump(chunked)


def test_order_keys_sort_as_the_floats():
    v = np.array([-np.inf, -3.5, -1e-300, -0.0, 0.0, 5e-324, 1e-300, 0.25, 7.0, np.inf])
    keys = order_keys(v)
    assert np.all(np.diff(keys[1:]) >= 0) and keys[3] == keys[4]  # -0.0 and 0.0 are one value
    assert np.array_equal(np.argsort(keys, kind="stable"), np.argsort(v + 0.0, kind="stable"))
    assert np.array_equal(key_values(keys), v + 0.0)


def test_pooled_counts_state_their_error_bound(monkeypatch):
    # more distinct scores than the cap: neighbouring scores are pooled and the bound covers the error
    monkeypatch.setattr(exact_ranks, "MAX_EXACT_KEYS", 200)
    rng = np.random.default_rng(3)
    values = rng.normal(0.5, 0.1, 5000)
    cells = rng.integers(0, 2, 5000)
    merged = ExactValueCounts.of(values[:2500], cells[:2500], 2).merge(ExactValueCounts.of(values[2500:], cells[2500:], 2))
    assert merged.dropped_bits > 0 and merged.keys.size <= 200
    _, a, b = population_median(merged)
    ranks = rank_figures(merged, np.array([0, 1]), 2, (a, b))
    med = np.median(values)
    for g in (0, 1):
        n = (cells == g).sum()
        true_share = (values[cells == g] > med).sum() / n
        assert ranks.n[g] == n
        assert abs(ranks.above[g] / n - true_share) <= ranks.error_bound[g]
        assert ranks.error_bound[g] > 0


def test_a_scoring_rate_of_zero_has_an_upper_bound_above_zero():
    # quintile 1 (200 people) all score below everyone in quintile 5: 0 of 200 above the median
    people = people_frame(np.repeat([1, 5], [200, 600]), np.full(800, 1))
    score = np.r_[np.linspace(0.0, 0.1, 200), np.linspace(0.5, 1.0, 600)]
    g1 = group(_section(people, score, bootstrap=50), "income_quintile", 1)
    assert g1["scoring_rate"] == 0.0
    lo, hi = g1["scoring_rate_ci"]
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 200))


@pytest.mark.slow
def test_scoring_impact_ratio_false_alarm_and_coverage_at_the_boundary():
    # three groups tied at the top and a fourth whose true LL144 ratio is exactly 0.80 (normal scores, shifted):
    # the 95% procedure may call a violation at most 2.5% of the time and must cover the true ratio
    from scipy.optimize import brentq
    from scipy.stats import norm

    def true_rates(shift):
        mus = np.array([0.0, 0.0, 0.0, shift])
        median = brentq(lambda x: norm.sf(x - mus).mean() - 0.5, -6, 6)
        return norm.sf(median - mus)

    shift = brentq(lambda mu: true_rates(mu)[3] / true_rates(mu)[0] - 0.8, -3, 0)
    n, reps = 400, 200
    people = people_frame(np.repeat([1, 2, 3, 4], n), np.full(4 * n, 1))
    mus = np.repeat([0.0, 0.0, 0.0, shift], n)
    rng = np.random.default_rng(0)
    audit = DisparityAudit(attribution_sample=0, ground_truth=False)
    overall = group_false = covered = 0
    for i in range(reps):
        scorer = LookupScorer(pd.Series(rng.normal(mus, 1.0), index=people["person_id"]))
        inc = audit_section(population(people), scorer, options=AuditOptions(bootstrap=200, seed=i), audit=audit)["income_quintile"]
        overall += inc["min_scoring_impact_ratio_ci"][1] < 0.8
        lo, hi = group({"income_quintile": inc}, "income_quintile", 4)["scoring_impact_ratio_ci"]
        group_false += hi < 0.8
        covered += lo <= 0.8 <= hi
    allowed = 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps)
    assert overall / reps <= allowed and group_false / reps <= allowed
    assert covered / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)
