"""Findings in plain words, from hand-made results documents whose sentences are known."""

from __future__ import annotations

from audit.report.findings import build_findings, describe_group


def _doc(**income):
    node = {"groups": [{"group": 1, "impact_ratio": 0.61}, {"group": 5, "impact_ratio": 1.0}], "reference_group": 5,
            "worst_group": 1, "min_impact_ratio": 0.61, "min_impact_ratio_ci": [0.58, 0.64],
            "four_fifths_verdict": "violation", "driver": {"rule": "loan_arrears", "share_of_gap": 0.7}}
    node.update(income)
    return {"scorers": [{"label": "suining", "favourable_tiers": ["A", "B"], "disparity": {"income_quintile": node}}]}


def test_the_issue_example_sentence():
    (f,) = build_findings(_doc())
    assert f.text == ("suining: the poorest fifth reach tier A or B at 0.61 times the rate of the richest fifth "
                      "(95% CI 0.58–0.64) — a four-fifths violation; loan_arrears drives 70% of the gap")
    assert f.level == "violation" and f.anchor == "s0-disparity-income-quintile" and f.scorer == "suining"


def test_inconclusive_and_no_violation():
    (f,) = build_findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.79, min_impact_ratio_ci=[0.7, 0.9],
                               driver=None))
    assert f.level == "warning"
    assert f.text.endswith("at 0.79 times the rate of the richest fifth (95% CI 0.70–0.90) — not enough evidence: the interval "
                           "straddles 0.8")
    (ok,) = build_findings(_doc(four_fifths_verdict="no violation", min_impact_ratio=0.93, min_impact_ratio_ci=[0.9, 0.95]))
    assert ok.level == "ok"
    assert ok.text == ("suining: by income, every group reaches tier A or B at 0.8 or more times the rate of the best-off group "
                       "(lowest 0.93, the poorest fifth; 95% CI 0.90–0.95) — no four-fifths violation")


def _groups(n1, n5, **extra):
    return [{"group": 1, "n": n1, "impact_ratio": 0.79, **extra}, {"group": 5, "n": n5, "impact_ratio": 1.0}]


def test_not_enough_evidence_says_how_much_there_is_and_what_would_decide_it():
    # 0.79 in [0.75, 0.83]: h = 0.04, d = 0.01 -> 16 x the 2,000 people audited = 32,000
    (f,) = build_findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.79, min_impact_ratio_ci=[0.75, 0.83],
                               groups=_groups(1000, 1000), driver=None))
    assert f.level == "warning"
    assert f.text.endswith("— not enough evidence: the interval straddles 0.8; rests on 2,000 people, about 32,000 would decide "
                           "it (rerun with --size 32,000)")
    # 0.79 in [0.70, 0.90]: 121 times the people: no advice
    (f,) = build_findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.79, min_impact_ratio_ci=[0.7, 0.9],
                               groups=_groups(1000, 1000), driver=None))
    assert "no practical population size decides it" in f.text and "--size" not in f.text


def test_no_violation_headline_on_a_handful_of_people():
    (f,) = build_findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.2, min_impact_ratio_ci=None,
                               groups=_groups(12, 900), driver=None))
    assert f.level == "warning" and "not enough evidence: 1 of 2 group(s) eligible for ratios have fewer than 30 people" in f.text
    (f,) = build_findings(_doc(four_fifths_verdict="inconclusive", impact_ratio_unstable=True, reference_events=3, driver=None))
    assert f.level == "warning" and "reference group has only 3 favourable outcome(s)" in f.text and "unstable" in f.text


def test_no_rule_driving_the_gap_is_said_with_what_remains():
    driver = {"rule": None, "share_of_gap": None, "largest_rule": "loan_arrears", "largest_share": 0.05, "remaining_share": 1.13}
    (f,) = build_findings(_doc(driver=driver))
    assert f.text.endswith("— a four-fifths violation; no rule explains most of the gap (the largest, loan_arrears, explains 5%; "
                           "113% of the gap remains with every rule's events removed)")
    (f,) = build_findings(_doc(driver={"rule": "court_judgment_default", "share_of_gap": 1.1}))
    assert f.text.endswith("court_judgment_default drives 110% of the gap (over 100%: other rules narrow the gap)")


def _risk_doc(attr, rr, ci, **node_extra):
    node = {"groups": [{"group": "rural", "adverse_relative_risk": rr, "adverse_relative_risk_ci": ci},
                       {"group": "urban", "adverse_relative_risk": 1.0, "adverse_relative_risk_ci": [1.0, 1.0]}],
            "adverse_reference_group": "urban", "adverse_reference_events": 400, **node_extra}
    return {"scorers": [{"label": "s", "disparity": {attr: node}}]}


def test_relative_risk_warnings_for_every_attribute_including_by():
    (f,) = build_findings(_risk_doc("urban_by", 1.6, [1.4, 1.8]))
    assert f.level == "warning" and f.text == ("s: the urban by rural group are sanctioned 1.60 times as often as the urban by "
                                               "urban group (95% CI 1.40–1.80)")
    (f,) = build_findings(_risk_doc("urban_by", 1.6, [1.1, 2.2]))
    assert f.level == "info" and "not enough evidence that it reaches 1.25" in f.text
    (f,) = build_findings(_risk_doc("education", 2112.19, [532.06, 2160.45], adverse_relative_risk_unstable=True,
                                    adverse_reference_events=1))
    assert f.level == "info" and "unstable, not a finding" in f.text and "only 1 sanctioned person," in f.text


def test_older_documents_without_a_verdict_use_the_point_estimate():
    doc = _doc()
    node = doc["scorers"][0]["disparity"]["income_quintile"]
    for k in ("four_fifths_verdict", "min_impact_ratio_ci", "worst_group", "driver"):
        del node[k]
    (f,) = build_findings(doc)
    assert f.level == "violation"
    assert f.text == "suining: the poorest fifth reach tier A or B at 0.61 times the rate of the richest fifth — a four-fifths violation"


def test_replay_audit_findings_and_order():
    doc = _doc()
    s = doc["scorers"][0]
    s["appeal"] = {"by_education": [
        {"group": "primary_or_less", "n_wronged": 40, "remedied": 10},
        {"group": "tertiary", "n_wronged": 20, "remedied": 14}]}
    s["reversibility"] = {"overturn_violations": 0, "overturn_checked": 120, "absorbing_share": 0.125,
                          "recovery": {"by_income_quintile": [{"group": 1, "median_months": 30}, {"group": 5, "median_months": 12}]}}
    s["spillover"] = {"unrelated_share": 0.4}
    texts = [(f.level, f.text) for f in build_findings(doc)]
    assert [lvl for lvl, _ in texts] == ["violation", "violation", "violation", "warning", "info", "ok"]
    appeal = ("suining: of people wrongly sanctioned, people with primary education or less get the sanction lifted "
              "on appeal 25.0% of the time, people with tertiary education 70.0% (sampled: 40 and 20 wrongly sanctioned people)")
    assert ("warning", appeal) in texts
    assert any("12.5% of sanctioned people are in an absorbing state" in t for _, t in texts)
    assert any("40.0% of sanctions restrict a part of life unrelated" in t for _, t in texts)
    assert ("ok", "suining: overturning an event restored the person's state in all 120 checks") in texts
    assert any("the poorest fifth need 30 months (median)" in t and "the richest fifth 12 months" in t for _, t in texts)


def test_three_favourable_tiers_and_the_event_level_appeal_fallback():
    doc = _doc()
    s = doc["scorers"][0]
    s["favourable_tiers"] = ["AAA", "AA", "A"]
    s["appeal"] = {"by_education": [  # nobody wrongly sanctioned: compare misrecorded events overturned instead
        {"group": "primary_or_less", "n_wronged": 0, "remedied": 0, "wrong_events": 52, "wrong_succeeded": 2},
        {"group": "tertiary", "n_wronged": 0, "remedied": 0, "wrong_events": 18, "wrong_succeeded": 10}]}
    texts = [f.text for f in build_findings(doc)]
    assert texts[0].startswith("suining: the poorest fifth reach tier AAA, AA or A at 0.61 times")
    assert texts[1] == ("suining: misrecorded adverse events against people with primary education or less are overturned on "
                        "appeal 3.8% of the time, against people with tertiary education 55.6% (sampled: 52 and 18 misrecorded events)")


def test_a_failed_scorer_is_a_finding():
    (f,) = build_findings({"scorers": [{"label": "x", "status": "failed", "error": "boom"}]})
    assert f.level == "violation" and f.text == "x: could not be audited — boom" and f.anchor == "s0"


def test_group_words():
    assert describe_group("income_quintile", 1) == "the poorest fifth"
    assert describe_group("income_quintile", 3) == "the middle fifth"
    assert describe_group("education", "tertiary") == "people with tertiary education"
    assert describe_group("income_quintile×education", [5, "tertiary"]) == "the richest fifth with tertiary education"
    assert describe_group("urban", True) == "the urban True group"


def test_the_upper_bound_of_a_zero_rate_never_reads_as_zero():
    # 0 of 40,000 people: the exact upper bound 1 - 0.025**(1/40000) = 0.0092% shows as such, not as 0.0%
    from audit.report.model import fmt_pct

    assert fmt_pct(1 - 0.025 ** (1 / 40_000)) == "0.0092%"
    assert fmt_pct(0.0) == "0.0%" and fmt_pct(0.6123) == "61.2%" and fmt_pct(0.7, 0) == "70%"
