"""Disparity statistics checked against fairlearn's MetricFrame and against pandas by hand."""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate

from audit.aggregate import ValueCounts
from audit.disparity.audit import FOUR_FIFTHS, INTERSECTION, DisparityAudit, value_counts, verdict
from audit.engine.contract import AuditOptions
from audit.vocab import EDUCATION_LEVELS
from tests.audit._disparity_fixtures import LookupScorer, audit_section, group, people_frame, population, split

NO_REPLAY = DisparityAudit(attribution_sample=0)


@pytest.fixture(scope="module")
def random_case():
    """3,000 people with random quintile, education and 2-decimal scores spread over all four tiers."""
    rng = np.random.default_rng(7)
    n = 3000
    q = rng.integers(1, 6, n)
    e = rng.integers(0, 4, n)
    # scores depend on group so rates differ; 2 decimals so value counts are exact
    score = np.round(55 + 6 * q + 4 * e + rng.normal(0, 12, n), 2)
    people = people_frame(q, e)
    scorer = LookupScorer(pd.Series(score, index=people["person_id"]))
    section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=0, min_cell_share=0.0), audit=NO_REPLAY)
    df = pd.DataFrame(
        {
            "q": q,
            "e": pd.Categorical.from_codes(e, categories=list(EDUCATION_LEVELS)),
            "score": score,
            "fav": score >= 70.0,
            "loans": score < 70.0,
            "ban": score < 50.0,
        }
    )
    return section, df


def _mean(y_true, y_pred):
    return float(np.mean(y_pred))


@pytest.mark.parametrize("attribute", ["income_quintile", "education", INTERSECTION])
def test_matches_fairlearn_metricframe(random_case, attribute):
    section, df = random_case
    sensitive = {"income_quintile": df["q"], "education": df["e"].astype(str), INTERSECTION: df[["q", "e"]].astype({"e": str})}[attribute]
    fav = MetricFrame(metrics=selection_rate, y_true=df["fav"], y_pred=df["fav"], sensitive_features=sensitive)
    adv = MetricFrame(metrics=selection_rate, y_true=df["loans"], y_pred=df["loans"], sensitive_features=sensitive)
    mean = MetricFrame(metrics=_mean, y_true=df["score"], y_pred=df["score"], sensitive_features=sensitive)
    sec = section[attribute]
    assert len(sec["groups"]) == len(fav.by_group)
    for g in sec["groups"]:
        key = tuple(g["group"]) if isinstance(g["group"], list) else g["group"]
        assert g["favourable_rate"] == pytest.approx(fav.by_group[key], abs=1e-9)
        assert g["adverse_rate"] == pytest.approx(adv.by_group[key], abs=1e-9)
        assert g["mean_score"] == pytest.approx(mean.by_group[key], abs=1e-9)
    for name, mf in (("favourable", fav), ("adverse", adv)):
        assert sec[name]["overall"] == pytest.approx(mf.overall, abs=1e-9)
        assert sec[name]["group_min"] == pytest.approx(mf.group_min(), abs=1e-9)
        assert sec[name]["group_max"] == pytest.approx(mf.group_max(), abs=1e-9)
        assert sec[name]["difference"] == pytest.approx(mf.difference(), abs=1e-9)
        assert sec[name]["ratio"] == pytest.approx(mf.ratio(), abs=1e-9)
    # the four-fifths minimum impact ratio is fairlearn's between-groups ratio of selection rates
    assert sec["min_impact_ratio"] == pytest.approx(fav.ratio(), abs=1e-9)


def test_group_statistics_by_hand(random_case):
    section, df = random_case
    median = float(np.median(df["score"]))
    assert section["median_score"] == pytest.approx(median, abs=1e-9)
    above = df["score"] > median
    by_q = df.groupby("q")
    best_fav = by_q["fav"].mean().max()
    best_scoring = above.groupby(df["q"]).mean().max()
    least_adv = by_q["loans"].mean().min()
    for q, rows in by_q:
        g = group(section, "income_quintile", q)
        assert g["n"] == len(rows)
        assert g["share"] == pytest.approx(len(rows) / len(df))
        assert g["median_score"] == pytest.approx(float(np.median(rows["score"])), abs=1e-9)
        assert g["scoring_rate"] == pytest.approx(float((rows["score"] > median).mean()), abs=1e-12)
        assert g["scoring_impact_ratio"] == pytest.approx(float((rows["score"] > median).mean()) / best_scoring, abs=1e-12)
        assert g["impact_ratio"] == pytest.approx(rows["fav"].mean() / best_fav, abs=1e-12)
        assert g["adverse_relative_risk"] == pytest.approx(rows["loans"].mean() / least_adv, abs=1e-12)
        assert g["adverse_rate_by_sanction"]["loans"] == pytest.approx(rows["loans"].mean(), abs=1e-12)
        assert g["adverse_rate_by_sanction"]["travel_ban"] == pytest.approx(rows["ban"].mean(), abs=1e-12)
        tiers = np.select([rows["score"] >= 90, rows["score"] >= 70, rows["score"] >= 50], ["A", "B", "C"], "D")
        for t, cum in zip("ABCD", (("A",), ("A", "B"), ("A", "B", "C"), ("A", "B", "C", "D"))):
            assert g["tier_shares"][t] == pytest.approx(float(np.mean(tiers == t)), abs=1e-12)
            assert g["tier_or_better"][t] == pytest.approx(float(np.isin(tiers, cum).mean()), abs=1e-12)
        assert g["favourable_rate_ci"] is None  # bootstrap off
        assert g["four_fifths"] == ("violation" if g["impact_ratio"] < 0.8 else "no violation")
    sec = section["income_quintile"]
    assert sec["reference_group"] == int(by_q["fav"].mean().idxmax())
    assert sec["adverse_reference_group"] == int(by_q["loans"].mean().idxmin())
    assert sec["worst_group"] == int(by_q["fav"].mean().idxmin())
    assert sec["four_fifths_violation"] == bool(by_q["fav"].mean().min() / best_fav < 0.8)


def test_ties_at_the_median_are_not_above_it():
    # six people scoring 60, 70, 70, 70, 80, 90: the median is 70 and three people score exactly 70
    people = people_frame([1, 1, 1, 5, 5, 5], [0, 0, 0, 3, 3, 3])
    scorer = LookupScorer(pd.Series([60.0, 70.0, 70.0, 70.0, 80.0, 90.0], index=people["person_id"]))
    section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=0, min_cell_share=0.0), audit=NO_REPLAY)
    assert section["median_score"] == 70.0
    assert "not above" in section["median_note"]
    assert group(section, "income_quintile", 1)["scoring_rate"] == 0.0  # 60, 70, 70
    assert group(section, "income_quintile", 5)["scoring_rate"] == pytest.approx(2 / 3)  # 70, 80, 90
    assert group(section, "income_quintile", 1)["scoring_impact_ratio"] == 0.0
    assert group(section, "income_quintile", 5)["median_score"] == 80.0
    assert group(section, "income_quintile", 1)["median_score"] == 70.0


def test_small_cells_are_reported_but_excluded_and_unknowns_counted():
    # 1,000 people: quintile 3 has 15 people (1.5% < 2%); 40 people have unknown education
    q = np.r_[np.full(300, 1), np.full(15, 3), np.full(685, 5)]
    e = np.r_[np.full(960, 2), np.full(40, -1)]
    score = np.r_[np.full(300, 60.0), np.full(15, 40.0), np.full(685, 95.0)]
    people = people_frame(q, e)
    section = audit_section(population(people), LookupScorer(pd.Series(score, index=people["person_id"])),
                            options=AuditOptions(bootstrap=0), audit=NO_REPLAY)
    inc = section["income_quintile"]
    g3 = group(section, "income_quintile", 3)
    assert g3["n"] == 15 and g3["excluded_from_ratios"] and g3["impact_ratio"] is None and g3["four_fifths"] == "excluded"
    assert g3["favourable_rate"] == 0.0  # still reported
    empty = group(section, "income_quintile", 2)
    assert empty["n"] == 0 and empty["favourable_rate"] is None and empty["excluded_from_ratios"]
    # ratios use quintiles 1 and 5 only: quintile 1 favourable 0/300, 5 all favourable
    assert inc["favourable"]["group_min"] == 0.0 and inc["favourable"]["group_max"] == 1.0
    assert inc["min_impact_ratio"] == 0.0 and inc["worst_group"] == 1
    edu = section["education"]
    assert edu["unknown_n"] == 40
    assert sum(g["n"] for g in edu["groups"]) == 960
    assert section[INTERSECTION]["unknown_n"] == 40
    assert section["min_cell_share"] == 0.02
    # an intersection group is a [quintile, education] pair
    assert group(section, INTERSECTION, [5, "senior_secondary"])["n"] == 685 - 40


def test_extra_attribute_has_its_own_entry():
    people = people_frame([1, 1, 5, 5], [0, 0, 3, 3], urban=[True, False, True, False])
    scorer = LookupScorer(pd.Series([95.0, 60.0, 95.0, 95.0], index=people["person_id"]))
    section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=0, min_cell_share=0.0),
                            audit=NO_REPLAY, by=("urban",))
    assert section["attributes"] == ["income_quintile", "education", INTERSECTION, "urban"]
    assert group(section, "urban", True)["favourable_rate"] == 1.0
    assert group(section, "urban", False)["favourable_rate"] == 0.5
    assert section["urban"]["min_impact_ratio"] == 0.5


@pytest.mark.parametrize(
    ("ratio", "interval", "expected"),
    [
        (0.7, [0.6, 0.79], "violation"),
        (0.85, [0.8, 0.9], "no violation"),
        (0.82, [0.78, 0.86], "inconclusive"),
        (0.79, [0.75, 0.81], "inconclusive"),
        (0.79, None, "violation"),
        (0.8, None, "no violation"),
        (None, None, "inconclusive"),
    ],
)
def test_four_fifths_verdict(ratio, interval, expected):
    assert FOUR_FIFTHS == 0.8
    assert verdict(ratio, interval) == expected


def test_verdicts_and_intervals_with_bootstrap():
    # quintile 1: 300 of 1,000 favourable; quintile 5: 600 of 1,000: impact ratio 0.5, far below 0.8
    # quintile 3: 580 of 1,000: ratio 0.967, far above
    q = np.repeat([1, 3, 5], 1000)
    fav = np.r_[np.arange(1000) < 300, np.arange(1000) < 580, np.arange(1000) < 600]
    people = people_frame(q, np.full(3000, 1))
    scorer = LookupScorer(pd.Series(np.where(fav, 95.0, 60.0), index=people["person_id"]))
    section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=300, seed=3), audit=NO_REPLAY)
    inc = section["income_quintile"]
    assert section["bootstrap_replicates"] == 300
    g1, g3, g5 = (group(section, "income_quintile", k) for k in (1, 3, 5))
    assert g1["four_fifths"] == "violation" and g3["four_fifths"] == "no violation"
    assert inc["four_fifths_verdict"] == "violation" and inc["four_fifths_violation"]
    lo, hi = g1["favourable_rate_ci"]
    assert lo < 0.3 < hi
    # width close to the normal approximation 2 * 1.96 * sqrt(p (1 - p) / n)
    assert hi - lo == pytest.approx(2 * 1.96 * np.sqrt(0.3 * 0.7 / 1000), rel=0.2)
    lo, hi = inc["min_impact_ratio_ci"]
    assert lo < 0.5 < hi
    assert g5["impact_ratio_ci"][1] == 1.0  # the best group's ratio never exceeds 1
    # tier and per-sanction rates carry intervals too: quintile 1 is 30% tier A, 70% tier C
    lo, hi = g1["tier_shares_ci"]["A"]
    assert lo < 0.3 < hi and hi - lo == pytest.approx(2 * 1.96 * np.sqrt(0.3 * 0.7 / 1000), rel=0.2)
    # 0 of 1,000 in tier B and 1,000 of 1,000 at D or better: exact bounds, never [0, 0] or [1, 1]
    assert g1["tier_shares_ci"]["B"] == pytest.approx([0.0, 1 - 0.025 ** (1 / 1000)])
    assert g1["tier_or_better_ci"]["D"] == pytest.approx([0.025 ** (1 / 1000), 1.0])
    lo, hi = g1["adverse_rate_by_sanction_ci"]["loans"]
    assert lo < 0.7 < hi


def test_identical_groups_keep_one_inside_the_minimum_ratio_interval():
    # quintiles 1 and 5 both 300 of 1,000 favourable: the smallest impact ratio is truly 1; a bootstrap that
    # re-chooses the best group in every replicate gave an interval wholly under 1
    q = np.repeat([1, 5], 1000)
    fav = np.r_[np.arange(1000) < 300, np.arange(1000) < 300]
    people = people_frame(q, np.full(2000, 1))
    scorer = LookupScorer(pd.Series(np.where(fav, 95.0, 60.0), index=people["person_id"]))
    section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=200, seed=1), audit=NO_REPLAY)
    inc = section["income_quintile"]
    assert inc["min_impact_ratio"] == 1.0
    lo, hi = inc["min_impact_ratio_ci"]
    assert lo < 1.0 <= hi and inc["four_fifths_verdict"] == "no violation"
    assert inc["reference_events"] == 300 and not inc["impact_ratio_unstable"]


def test_a_reference_group_with_few_events_is_unstable_not_a_finding():
    # quintile 5: 2 of 1,000 sanctioned; quintile 1: 500 of 1,000: a relative risk of 250 resting on two people
    q = np.repeat([1, 5], 1000)
    score = np.r_[np.where(np.arange(1000) < 500, 40.0, 95.0), np.where(np.arange(1000) < 2, 40.0, 95.0)]
    people = people_frame(q, np.full(2000, 1))
    scorer = LookupScorer(pd.Series(score, index=people["person_id"]))
    section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=50, seed=1), audit=NO_REPLAY)
    inc = section["income_quintile"]
    assert inc["max_adverse_relative_risk"] == pytest.approx(250.0)
    assert inc["adverse_reference_events"] == 2 and inc["adverse_relative_risk_unstable"] is True
    assert inc["impact_ratio_unstable"] is False  # 998 favourable in the best group
    # the median is 95 (1,498 of 2,000 score 95): nobody scores above it, so the LL144 ratio has no stable reference
    assert inc["scoring_reference_events"] == 0 and inc["scoring_impact_ratio_unstable"] is True


def test_a_handful_of_people_gives_no_four_fifths_verdict():
    # 10 people per group, ratio 0.2 on the point estimate: no verdict either way on so few people
    q = np.repeat([1, 5], 10)
    fav = np.r_[np.arange(10) < 2, np.arange(10) < 10]
    people = people_frame(q, np.full(20, 1))
    scorer = LookupScorer(pd.Series(np.where(fav, 95.0, 60.0), index=people["person_id"]))
    for boot in (0, 50):
        section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=boot, seed=1), audit=NO_REPLAY)
        assert section["income_quintile"]["four_fifths_verdict"] == "inconclusive"
        assert group(section, "income_quintile", 1)["four_fifths"] == "inconclusive"


def test_chunk_size_and_order_do_not_change_the_section():
    rng = np.random.default_rng(11)
    n = 2000
    people = people_frame(rng.integers(1, 6, n), rng.integers(0, 4, n))
    score = np.round(rng.uniform(30, 100, n), 2)
    scorer = LookupScorer(pd.Series(score, index=people["person_id"]))
    pop = population(people)
    opts = AuditOptions(bootstrap=60, seed=5)
    whole = audit_section(pop, scorer, options=opts, audit=NO_REPLAY)
    parts = split(pop, [333, 1200, 1201])
    chunked = audit_section(parts, scorer, options=opts, audit=NO_REPLAY)
    reordered = audit_section(parts[::-1], scorer, options=opts, audit=NO_REPLAY)
    dump = lambda s: json.dumps(s, sort_keys=True, default=str)  # noqa: E731
    assert dump(whole) == dump(chunked) == dump(reordered)


def test_a_scorer_without_sanctions():
    class NoSanctions(LookupScorer):
        sanctions = MappingProxyType({})

        def score(self, view, *, as_of):
            return super().score(view, as_of=as_of)[["score", "tier"]]

    people = people_frame([1, 1, 5, 5], [0, 0, 3, 3])
    scorer = NoSanctions(pd.Series([95.0, 60.0, 95.0, 95.0], index=people["person_id"]))
    section = audit_section(population(people), scorer, options=AuditOptions(bootstrap=20, min_cell_share=0.0),
                            audit=DisparityAudit(attribution_sample=10))
    g = group(section, "income_quintile", 1)
    assert g["adverse_rate"] == 0.0 and g["adverse_rate_by_sanction"] == {} and g["adverse_rate_by_sanction_ci"] == {}
    assert g["favourable_rate"] == 0.5


def test_value_counts_by_bincount_equal_value_counts_of():
    rng = np.random.default_rng(2)
    for values in (np.round(rng.normal(900, 40, 5000), 2), rng.uniform(-1e6, 1e6, 300), np.array([1.0])):
        cells = rng.integers(0, 30, values.size)
        a, b = value_counts(values, cells, 30), ValueCounts.of(values, cells, 30)
        assert np.array_equal(a.keys, b.keys) and np.array_equal(a.counts, b.counts)
        assert np.array_equal(a.sum_limbs, b.sum_limbs)


def test_mean_scores_are_exact_for_unrounded_scores():
    # scores with many decimals: value counts round them, but means come from exact sums
    rng = np.random.default_rng(8)
    n = 2000
    q = rng.integers(1, 6, n)
    score = rng.uniform(40, 100, n) + 1e-3 * rng.random(n)
    people = people_frame(q, rng.integers(0, 4, n))
    scorer = LookupScorer(pd.Series(score, index=people["person_id"]))
    pop = population(people)
    section = audit_section(split(pop, [500, 1500]), scorer, options=AuditOptions(bootstrap=0, min_cell_share=0.0), audit=NO_REPLAY)
    mf = MetricFrame(metrics=_mean, y_true=score, y_pred=score, sensitive_features=q)
    for g in section["income_quintile"]["groups"]:
        assert g["mean_score"] == pytest.approx(mf.by_group[g["group"]], abs=1e-9)


def test_impact_ratio_interval_is_the_katz_interval_by_hand():
    # quintile 1: 300 of 1,000 favourable, quintile 5: 600 of 1,000; two groups, so the one-sided bounds need no
    # correction: 0.5 * exp(-+1.96 * sqrt(0.7/300 + 0.4/600)) (Katz et al. 1978)
    q = np.repeat([1, 5], 1000)
    fav = np.r_[np.arange(1000) < 300, np.arange(1000) < 600]
    people = people_frame(q, np.full(2000, 1))
    scorer = LookupScorer(pd.Series(np.where(fav, 95.0, 60.0), index=people["person_id"]))
    inc = audit_section(population(people), scorer, options=AuditOptions(bootstrap=20, seed=1), audit=NO_REPLAY)["income_quintile"]
    se = np.sqrt(0.7 / 300 + 0.4 / 600)
    expected = [0.5 * np.exp(-1.959964 * se), 0.5 * np.exp(1.959964 * se)]
    assert group({"income_quintile": inc}, "income_quintile", 1)["impact_ratio_ci"] == pytest.approx(expected, rel=1e-6)
    # the attribute's verdict corrects its upper bound over the m (m - 1) = 2 ordered pairs: z = 2.2414 (97.5%/2)
    overall = [expected[0], 0.5 * np.exp(2.241403 * se)]
    assert inc["min_impact_ratio_ci"] == pytest.approx(overall, rel=1e-6)
