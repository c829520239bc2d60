"""Findings in plain words, from hand-made results documents whose sentences are known."""

from __future__ import annotations

from audit.report.findings import build_findings, describe_group
from audit.report.verdicts import evidence_text
from audit.vocab import group_label
from tests.audit.report.documents import whole_results

#: An attribute's driver when no rule drives its gap.
NO_DRIVER = {"rule": None, "share_of_gap": None, "method": None}


def findings(partial, published=None):
    """The findings of ``partial`` made a whole results document (the keys it does not give are neutral)."""
    return build_findings(whole_results(partial), published)


def _doc(**income):
    node = {"groups": [{"group": 1, "impact_ratio": 0.61}, {"group": 5, "impact_ratio": 1.0}], "reference_group": 5,
            "worst_group": 1, "min_impact_ratio": 0.61, "min_impact_ratio_ci": [0.58, 0.64],
            "four_fifths_verdict": "violation", "driver": {"rule": "loan_arrears", "share_of_gap": 0.7}}
    node.update(income)
    return {"scorers": [{"label": "suining", "favourable_tiers": ["A", "B"], "disparity": {"income_quintile": node}}]}


def test_the_issue_example_sentence():
    (f,) = findings(_doc())
    assert f.text == ("suining: people in Q1 (poorest fifth) reach tier A or B at 0.61 times the rate of people in Q5 (richest fifth) "
                      "(95% CI 0.58–0.64) — a four-fifths violation; loan_arrears drives 70% of the gap")
    assert f.level == "violation" and f.anchor == "s0-disparity-income-quintile" and f.scorer == "suining"


def test_inconclusive_and_no_violation():
    (f,) = findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.79, min_impact_ratio_ci=[0.75, 0.83],
                         groups=_groups(1000, 1000), driver=NO_DRIVER))
    assert f.level == "warning"
    assert f.text.endswith("at 0.79 times the rate of people in Q5 (richest fifth) (95% CI 0.75–0.83) — not enough evidence: the interval "
                           "straddles 0.8")
    (ok,) = findings(_doc(four_fifths_verdict="no violation", min_impact_ratio=0.93, min_impact_ratio_ci=[0.9, 0.95]))
    assert ok.level == "ok"
    assert ok.text == ("suining: by income, every group reaches tier A or B at 0.8 or more times the rate of the best-off group "
                       "(lowest 0.93, people in Q1 (poorest fifth); 95% CI 0.90–0.95) — no four-fifths violation")


def _groups(n1, n5, **extra):
    return [{"group": 1, "n": n1, "impact_ratio": 0.79, **extra}, {"group": 5, "n": n5, "impact_ratio": 1.0}]


def test_not_enough_evidence_says_how_much_there_is_and_what_would_decide_it():
    # 0.79 in [0.75, 0.83]: h = 0.04, d = 0.01 -> 16 x the 2,000 people audited = 32,000
    (f,) = findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.79, min_impact_ratio_ci=[0.75, 0.83],
                               groups=_groups(1000, 1000), driver=NO_DRIVER))
    assert f.level == "warning"
    # the sentence says what was found; how much it rests on is its evidence, said once beside it
    assert f.text.endswith("— not enough evidence: the interval straddles 0.8")
    assert (f.evidence.observed, f.evidence.needed, f.evidence.remedy) == (2000, 32000, "--size 32,000")
    assert evidence_text(f.evidence, supplied=False) == "2,000 people; about 32,000 would decide it: rerun with --size 32,000"
    # a supplied table cannot be rerun with --size: more data decides it
    assert evidence_text(f.evidence, supplied=True) == "2,000 people; about 32,000 would decide it: audit more data"
    # 0.79 in [0.70, 0.90]: 121 times the people: no advice
    (f,) = findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.79, min_impact_ratio_ci=[0.7, 0.9],
                               groups=_groups(1000, 1000), driver=NO_DRIVER))
    assert "no practical number of people decides it" in f.text and f.evidence.remedy is None
    assert evidence_text(f.evidence, supplied=False) == "2,000 people"


def test_no_violation_headline_on_a_handful_of_people():
    (f,) = findings(_doc(four_fifths_verdict="inconclusive", min_impact_ratio=0.2, min_impact_ratio_ci=None,
                               groups=_groups(12, 900), driver=NO_DRIVER))
    assert f.level == "warning" and "not enough evidence: 1 of 2 group(s) eligible for ratios have fewer than 30 people" in f.text
    (f,) = findings(_doc(four_fifths_verdict="inconclusive", impact_ratio_unstable=True, reference_events=3, driver=NO_DRIVER))
    assert f.level == "warning" and "reference group has only 3 favourable outcome(s)" in f.text and "unstable" in f.text


def test_no_rule_driving_the_gap_is_said_with_what_remains():
    driver = {"rule": None, "share_of_gap": None, "largest_rule": "loan_arrears", "largest_share": 0.05, "remaining_share": 1.13}
    (f,) = findings(_doc(driver=driver))
    assert f.text.endswith("— a four-fifths violation; no rule explains most of the gap (the largest, loan_arrears, explains 5%; "
                           "113% of the gap remains with every rule's events removed)")
    (f,) = findings(_doc(driver={"rule": "court_judgment_default", "share_of_gap": 1.1}))
    assert f.text.endswith("court_judgment_default drives 110% of the gap (over 100%: other rules narrow the gap)")


def _risk_doc(attr, rr, ci, **node_extra):
    node = {"groups": [{"group": "rural", "adverse_relative_risk": rr, "adverse_relative_risk_ci": ci},
                       {"group": "urban", "adverse_relative_risk": 1.0, "adverse_relative_risk_ci": [1.0, 1.0]}],
            "adverse_reference_group": "urban", "adverse_reference_events": 400, **node_extra}
    return {"scorers": [{"label": "s", "disparity": {attr: node}}]}


def test_relative_risk_warnings_for_every_attribute_including_by():
    (f,) = findings(_risk_doc("urban_by", 1.6, [1.4, 1.8]))
    assert f.level == "warning" and f.text == ("s: people in the urban by rural group are sanctioned 1.60 times as often as "
                                               "people in the urban by urban group (95% CI 1.40–1.80)")
    (f,) = findings(_risk_doc("urban_by", 1.6, [1.1, 2.2]))
    assert f.level == "info" and "not enough evidence that it reaches 1.25" in f.text
    (f,) = findings(_risk_doc("education", 2112.19, [532.06, 2160.45], adverse_relative_risk_unstable=True,
                                    adverse_reference_events=1))
    assert f.level == "info" and "unstable, not a finding" in f.text and "only 1 sanctioned person," in f.text


def test_a_verdict_the_report_does_not_know_uses_the_point_estimate():
    doc = _doc(four_fifths_verdict="not a verdict", min_impact_ratio_ci=None, worst_group=None, driver=NO_DRIVER)
    (f,) = findings(doc)
    assert f.level == "violation"
    assert f.text == "suining: people in Q1 (poorest fifth) reach tier A or B at 0.61 times the rate of people in Q5 (richest fifth) — a four-fifths violation"


def test_replay_audit_findings_and_order():
    doc = _doc()
    s = doc["scorers"][0]
    s["appeal"] = {"by_education": [
        {"group": "primary_or_less", "n_wronged": 40, "remedied": 10},
        {"group": "tertiary", "n_wronged": 40, "remedied": 28}]}
    s["reversibility"] = {"overturn_violations": 0, "overturn_checked": 120, "absorbing_share": 0.125,
                          "absorbing": {"sanctioned": 40, "precluded": 5},
                          "recovery": {"by_income_quintile": [{"group": 1, "n": 40, "median_months": 30},
                                                              {"group": 5, "n": 35, "median_months": 12}]}}
    s["spillover"] = {"unrelated_share": 0.4, "sanctions": 50, "sanctioned_people": 40, "unrelated_sanctions": 20}
    texts = [(f.level, f.text) for f in findings(doc)]
    assert [lvl for lvl, _ in texts] == ["violation", "violation", "violation", "warning", "info", "ok"]
    # exact intervals: scipy.stats.binomtest(10, 40).proportion_ci() = 0.127..0.412, (28, 40) 0.535..0.834
    appeal = ("suining: of people wrongly sanctioned, people with primary or less education get the sanction lifted "
              "on appeal 25.0% (10 of 40; 95% CI 12.7%–41.2%), people with tertiary education 70.0% (28 of 40; 95% CI 53.5%–83.4%)")
    assert ("warning", appeal) in texts
    # binomtest(5, 40): 0.042..0.268; binomtest(20, 50): 0.264..0.548
    assert any("12.5% (5 of 40; 95% CI 4.2%–26.8%) of sanctioned people in the replay sample are in an absorbing state" in t
               for _, t in texts)
    assert any("40.0% (20 of 50; 95% CI 26.4%–54.8%) of sanctions in the replay sample restrict a part of life unrelated" in t
               for _, t in texts)
    assert ("ok", "suining: overturning an event restored the person's state in all 120 checks") in texts
    assert any("people in Q1 (poorest fifth) need 30 months (median, n=40)" in t and "people in Q5 (richest fifth) 12 months (n=35)" in t for _, t in texts)


def test_a_replay_share_on_a_handful_of_people_is_not_a_violation():
    # the issue's "100.0% of sanctioned people are in an absorbing state (95% CI 20.7%-100.0%)" resting on one person
    doc = {"population": {"size": 200_000}, "scorers": [{"label": "suining", "reversibility": {
        "sample_size": 2003, "overturn_violations": 0, "overturn_checked": 1968, "absorbing_share": 1.0,
        "absorbing": {"sanctioned": 1, "precluded": 1}}}]}
    texts = [(f.level, f.text) for f in findings(doc)]
    assert not any(lvl == "violation" for lvl, _ in texts)
    # 1 sanctioned person among 2,003 sampled: 30 expected among 60,090
    assert ("info", "suining: not enough evidence on how often sanctioned people are in an absorbing state (1 of 1 are) — "
                    "1 in the replay sample, at least 30 needed for a finding; rerun with --audit-replay-sample 60,090") in texts


def test_zero_of_n_gets_an_upper_bound_not_a_point():
    doc = {"scorers": [{"label": "x", "spillover": {"sanctions": 50, "sanctioned_people": 50, "unrelated_sanctions": 0,
                                                    "unrelated_share": 0.0,
                                                    "unrelated_share_ci": [0.0, 0.0]}}]}
    (f,) = findings(doc)
    # 0 of 50: exact upper bound 1 - 0.025**(1/50) = 7.1%, never [0, 0]
    assert f.level == "ok" and f.text.endswith("0.0% (0 of 50; 95% CI 0.0%–7.1%)")


def test_many_sanctions_of_a_few_people_are_not_enough():
    # 48 sanctions held by 12 people: the evidence is the 12 people
    doc = {"scorers": [{"label": "x", "spillover": {"sanctions": 48, "sanctioned_people": 12, "unrelated_sanctions": 36}}]}
    (f,) = findings(doc)
    assert f.level == "info" and f.text.startswith("x: not enough evidence on how often sanctions fall in an unrelated domain "
                                                   "(48 sanctions of sanctioned people) — 12 in the replay sample")


def test_rule_probe_findings_say_what_can_happen():
    witness = {"kind": "drunk_driving", "dose": 2, "profile": "Q1 primary_or_less female", "sanction": "low_cost_housing",
               "conduct_domain": "traffic", "sanction_domain": "housing", "related": False, "months_after": 0}
    doc = {"scorers": [{"label": "x", "spillover": {"probes": {
        "doses": [1, 2, 3, 5], "checkpoints": [0, 120], "conduct_matters": True, "spillover": [witness],
        "never_lifted": [{**witness, "months_after": 120}], "inversions": []}}}]}
    texts = [f.text for f in findings(doc)]
    assert ("x (rule probe): conduct can lead to sanctions in unrelated parts of life — traffic → housing (2 drunk_driving "
            "record(s) alone impose low_cost_housing) (can happen, shown on constructed people; EU AI Act Art. 5(1)(c))") in texts
    assert any(t.startswith("x (rule probe): some sanctions can never be lifted within 120 months") for t in texts)


def test_three_favourable_tiers_and_the_event_level_appeal_fallback():
    doc = _doc()
    s = doc["scorers"][0]
    s["favourable_tiers"] = ["AAA", "AA", "A"]
    s["appeal"] = {"by_education": [  # nobody wrongly sanctioned: compare misrecorded events overturned instead
        {"group": "primary_or_less", "n_wronged": 0, "remedied": 0, "wrong_events": 52, "wrong_succeeded": 2},
        {"group": "tertiary", "n_wronged": 0, "remedied": 0, "wrong_events": 35, "wrong_succeeded": 10}]}
    texts = [f.text for f in findings(doc)]
    assert texts[0].startswith("suining: people in Q1 (poorest fifth) reach tier AAA, AA or A at 0.61 times")
    # binomtest(2, 52): 0.005..0.132; binomtest(10, 35): 0.146..0.463
    assert texts[1] == ("suining: misrecorded adverse events against people with primary or less education are overturned on "
                        "appeal 3.8% (2 of 52; 95% CI 0.5%–13.2%), against people with tertiary education 28.6% (10 of 35; "
                        "95% CI 14.6%–46.3%)")


def test_a_failed_scorer_is_a_finding():
    (f,) = findings({"scorers": [{"label": "x", "status": "failed", "error": "boom"}]})
    assert f.level == "violation" and f.text == "x: could not be audited — boom" and f.anchor == "s0"


def test_group_words_carry_the_one_label_of_each_group():
    assert describe_group("income_quintile", 1) == "people in Q1 (poorest fifth)"
    assert describe_group("income_quintile", 3) == "people in Q3"
    assert describe_group("education", "primary_or_less") == "people with primary or less education"
    assert describe_group("income_quintile×education", [5, "tertiary"]) == "people in Q5 (richest fifth) × tertiary"
    assert describe_group("urban", True) == "people in the urban True group"
    for attr, group in (("income_quintile", 1), ("education", "primary_or_less"), ("income_quintile×education", [1, "tertiary"])):
        assert group_label(attr, group) in describe_group(attr, group)


def test_the_upper_bound_of_a_zero_rate_never_reads_as_zero():
    # 0 of 40,000 people: the exact upper bound 1 - 0.025**(1/40000) = 0.0092% shows as such, not as 0.0%
    from audit.report.model import fmt_pct

    assert fmt_pct(1 - 0.025 ** (1 / 40_000)) == "0.0092%"
    assert fmt_pct(0.0) == "0.0%" and fmt_pct(0.6123) == "61.2%" and fmt_pct(0.7, 0) == "70%"
