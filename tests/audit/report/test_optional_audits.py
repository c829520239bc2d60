"""The observed-outcome audit and the dynamics simulation in the verdict grid, the findings and page one.

Hand-built results documents whose verdicts are worked out here by hand: Katz log intervals of a ratio of
two rates (Bonferroni over the ordered pairs of two groups for the upper bound), the gap-growth rule.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from audit.evidence import HOLDS, NOT_ENOUGH, VIOLATED
from audit.report import build_report
from audit.report.dynamics_findings import dynamics_findings
from audit.report.findings import build_findings
from audit.report.front import appendix_links
from audit.report.model import Doc
from audit.report.observed_findings import equalized_odds_evidence, observed_findings
from audit.report.verdicts import audit_of, evidence_text, grid_cell, grid_table
from tests.audit.report.documents import whole_results

_RATES = ("selection_rate", "false_positive_rate", "false_negative_rate", "true_positive_rate", "positive_predictive_value")


def _group(name: str, n: int, positives: int, tpr: float, fpr: float) -> dict:
    """A group's error rates: the true- and false-positive rates given, the others (and every interval) not computed."""
    rates = {k: v for rate in _RATES for k, v in ((rate, None), (f"{rate}_ci", None))}
    return {"group": name, "n": n, "positives": positives, "excluded_from_ratios": False,
            **rates, "true_positive_rate": tpr, "false_positive_rate": fpr}


def _observed(groups: list[dict]) -> dict:
    return {"label": "observed outcome", "outcome_column": "two_year_recid", "note": "", "predicted_positive": "adverse",
            "available": True, "reason": None, "interval": "", "min_cell_share": 0.02, "attributes": ["race"],
            "race": {"unknown_n": 0, "groups": groups, "calibration": {"bins": [], "groups": []}}}


def _doc(observed: dict | None = None, dynamics: dict | None = None, *, synthetic: bool = False) -> dict:
    not_replayable = {"available": False, "applicable": False, "reason": "precomputed"}
    scorer = {"label": "score", "sanctions": {}, "disparity": {}, "appeal": not_replayable, "reversibility": not_replayable,
              "spillover": not_replayable, "contagion": not_replayable}
    if observed is not None:
        scorer["observed_outcome"] = observed
    if dynamics is not None:
        scorer["dynamics"] = dynamics
    return whole_results({"population": {"synthetic": synthetic, "size": 3000, "name": "people.csv", "source": "people.csv"},
                          "audited_attributes": ["race"], "scorers": [scorer]})


Z_ALL = NormalDist().inv_cdf(1 - 0.05 / 4)  # Bonferroni over the 2 x 1 ordered pairs of two groups
Z_ONE = NormalDist().inv_cdf(1 - 0.05 / 2)


def _katz(y1: int, n1: int, y2: int, n2: int, z: float) -> tuple[float, float]:
    r = (y1 / n1) / (y2 / n2)
    se = math.sqrt((1 - y1 / n1) / y1 + (1 - y2 / n2) / y2)
    return r * math.exp(-z * se), r * math.exp(z * se)


def test_equalized_odds_violated_when_a_ratio_interval_lies_under_four_fifths():
    # true positives 150 of 500 vs 250 of 500: ratio 0.6; upper bound 0.6 exp(z se) with se^2 = 0.7/150 + 0.5/250
    groups = [_group("A", 1000, 500, 0.3, 0.2), _group("B", 1000, 500, 0.5, 0.2)]
    ev, ratios = equalized_odds_evidence(_observed(groups)["race"])
    lo = _katz(150, 500, 250, 500, Z_ONE)[0]
    hi = _katz(150, 500, 250, 500, Z_ALL)[1]
    assert round(hi, 4) == 0.7205 and ev.outcome == VIOLATED and ev.observed == 2000
    est, got_lo, got_hi = ratios["true_positive_rate"]
    assert math.isclose(est, 0.6) and math.isclose(got_lo, lo, rel_tol=1e-9) and math.isclose(got_hi, hi, rel_tol=1e-9)
    (f,) = observed_findings(_doc(_observed(groups))["scorers"][0], 0, "score")
    assert f.level == "warning" and f.anchor == "s0-observed-outcome-race"
    assert f"true-positive rates 0.60 (95% CI {lo:.2f}–{hi:.2f})" in f.text and "equalized odds violated" in f.text


def test_equalized_odds_holds_when_both_lower_bounds_reach_four_fifths():
    # equal rates: ratio 1; lower bounds exp(-1.96 se): TPR se^2 = 2 x 0.5/250 -> 0.88; FPR 200 of 500 each -> 0.86
    groups = [_group("A", 1000, 500, 0.5, 0.4), _group("B", 1000, 500, 0.5, 0.4)]
    assert _katz(250, 500, 250, 500, Z_ONE)[0] > 0.8 and _katz(200, 500, 200, 500, Z_ONE)[0] > 0.8
    ev, _ = equalized_odds_evidence(_observed(groups)["race"])
    assert ev.outcome == HOLDS
    # the same rates on fewer people: false-positive bound exp(-1.96 sqrt(2 x 0.8/100)) = 0.78 straddles 0.8
    groups = [_group("A", 600, 500, 0.5, 0.2), _group("B", 600, 500, 0.5, 0.2)]
    assert _katz(20, 100, 20, 100, Z_ONE)[0] < 0.8
    ev, _ = equalized_odds_evidence(_observed(groups)["race"])
    assert ev.outcome == NOT_ENOUGH and ev.passed is False


def test_an_undecided_equalized_odds_says_how_many_people_would_decide_it():
    # true positives 30 of 100 vs 50 of 100: 0.6 in (lo, hi) straddling 0.8; need = ceil(400 ((hi - 0.6) / 0.2)^2)
    groups = [_group("A", 200, 100, 0.3, 0.2), _group("B", 200, 100, 0.5, 0.2)]
    hi = _katz(30, 100, 50, 100, Z_ALL)[1]
    ev, _ = equalized_odds_evidence(_observed(groups)["race"])
    assert ev.outcome == NOT_ENOUGH and ev.needed == math.ceil(400 * ((hi - 0.6) / 0.2) ** 2) == 921
    assert evidence_text(ev, supplied=True) == "400 people; about 921 would decide it: audit more data"
    assert evidence_text(ev, supplied=False) == "400 people; about 921 would decide it: rerun with --size 921"
    (f,) = observed_findings(_doc(_observed(groups))["scorers"][0], 0, "score")
    assert f.text.endswith("not enough evidence on equalized odds: an interval straddles 0.8") and "921" not in f.text


def test_a_small_group_is_never_decided():
    # 20 people with the outcome: under the 30 a verdict rests on, whatever the ratio
    groups = [_group("A", 500, 20, 0.1, 0.2), _group("B", 500, 250, 0.9, 0.2)]
    ev, _ = equalized_odds_evidence(_observed(groups)["race"])
    assert ev.outcome == NOT_ENOUGH and ev.needed is None


def _dynamics(change: float, ci: list[float]) -> dict:
    """A simulation whose gap (the figures the tests are about: its change each year) is given; the rest is empty."""
    year = {"by_group": {}, "sanctioned": {}, "gap": 0.1, "gap_ci": None, "impact_ratio": None, "impact_ratio_ci": None}
    section = {"groups": ["1", "2", "3", "4", "5"], "reference": "5", "compared": "1", "reference_n": 600, "compared_n": 579,
               "gap_growth": {"tolerance": 0.01, "outcome": "", "evidence": ""},
               "years": [{**year, "year": 1, "gap_change": 0.0, "gap_change_ci": [-0.01, 0.01]},
                         {**year, "year": 2, "gap_change": change, "gap_change_ci": ci}]}
    rate = {"n": 0, "count": 0, "rate": None, "ci": None}
    return {"status": "ok", "years": 2, "months": 24, "start_month": 36, "size": 3000, "seed": 0, "rates": {}, "seconds": 0.0,
            "by": {"income_quintile": section}, "isolation": {}, "changed_first_year": {**rate, "survey_range": [0.1, 0.3]},
            "chilling": rate, "loop": {**rate, "feedback_people": 0, "economic_sanction_ever": 0}, "monthly_favourable": [],
            "monthly_favourable_by_group": {}, "long_run_gap": {}}


def test_dynamics_findings_read_the_gap_growth_of_the_last_year():
    (f,) = dynamics_findings(_doc(dynamics=_dynamics(0.103, [0.088, 0.117]), synthetic=True)["scorers"][0], 0, "suining")
    assert f.evidence.outcome == VIOLATED and f.level == "warning" and f.anchor == "s0-dynamics-income_quintile"
    assert f.text == ("suining: by income quintile, the favourable-rate gap between Q5 (richest fifth) and Q1 (poorest fifth) "
                      "changed by +10.3 pts over 2 years (95% CI +8.8 pts to +11.7 pts) — the gap grows by more than 1 pt "
                      "as people respond")
    (ok,) = dynamics_findings(_doc(dynamics=_dynamics(-0.003, [-0.01, 0.004]))["scorers"][0], 0, "s")
    assert ok.evidence.outcome == HOLDS and ok.level == "ok"
    # 0.009 in [-0.001, 0.019]: width 0.02, margin 0.001 -> 579 x 10^2 = 57,900 in the smaller group, 300,000 people
    (u,) = dynamics_findings(_doc(dynamics=_dynamics(0.009, [-0.001, 0.019]))["scorers"][0], 0, "s")
    assert u.evidence.outcome == NOT_ENOUGH and u.evidence.needed == 57900
    assert evidence_text(u.evidence, supplied=False).endswith("about 57,900 would decide it: rerun with --size 300,000")


def test_grid_has_a_column_for_each_optional_audit_a_scorer_ran():
    groups = [_group("A", 1000, 500, 0.3, 0.2), _group("B", 1000, 500, 0.5, 0.2)]
    results = _doc(_observed(groups), _dynamics(0.103, [0.088, 0.117]))
    doc = Doc(results, "results")
    findings = build_findings(results)
    table = grid_table(doc, findings)
    assert table.columns == ("scorer", "disparity", "appeal", "reversibility", "spill-over", "contagion", "error rates", "dynamics")
    row = table.rows[0]
    assert [c.value for c in row[-2:]] == ["warning", "warning"]
    assert row[-2].href == "#s0-observed-outcome" and row[-1].href == "#s0-dynamics"
    assert grid_cell(doc, 0, "observed_outcome", findings).counts == (("warning", 1),)
    # without the sections: no such columns
    assert grid_table(Doc(_doc(), "results"), []).columns[-1] == "contagion"
    # an outcome with no decision to compare: the column is there, the cell n/a with the reason
    na = _doc({**_observed([]), "available": False, "reason": "the scores come with no decision"})
    cell = grid_cell(Doc(na, "results"), 0, "observed_outcome", [])
    assert (cell.outcome, cell.note) == ("not applicable", "the scores come with no decision")


def test_audit_of_reads_slugged_keys():
    from audit.report.model import Finding

    def key(a: str) -> str | None:
        return audit_of(Finding(text="", anchor=a, level="info"))

    assert key("s0-observed-outcome-race×sex") == "observed_outcome"
    assert key("s3-dynamics-income_quintile") == "dynamics"
    assert key("s1-spillover") == "spillover" and key("published") is None


def test_page_one_links_the_ll144_observed_and_dynamics_sections_that_exist():
    groups = [_group("A", 1000, 500, 0.3, 0.2), _group("B", 1000, 500, 0.5, 0.2)]
    results = _doc(_observed(groups), _dynamics(0.103, [0.088, 0.117]))
    links = appendix_links(results)
    hrefs = [c.href for _, c in links.items]
    assert hrefs == ["#ll144", "#s0-observed-outcome", "#s0-dynamics"]
    report = build_report(results)
    ids = set()
    stack = list(report.sections)
    while stack:
        s = stack.pop()
        ids.add(s.id)
        stack.extend(s.children)
    assert {h[1:] for h in hrefs} <= ids
    assert report.front[0].blocks[-2] == links


def test_report_headline_table_has_the_audited_attributes():
    from audit.report.build import summary_table

    results = _doc()
    results["scorers"][0]["disparity"] = {"race": {"groups": [], "min_impact_ratio": 0.7, "min_impact_ratio_ci": [0.6, 0.75],
                                                   "four_fifths_verdict": "violation", "favourable": {"overall": 0.25}}}
    table = summary_table(results)
    assert table.columns == ("scorer", "favourable", "sanctioned", "lowest impact ratio · race", "verdict · race")
    row = table.rows[0]
    assert [c.text for c in row[1:3]] == ["25.0%", "n/a"] and row[3].value == 0.7 and row[4].text == "violation"


def test_equalized_odds_verdict_false_alarms_at_the_boundary_stay_within_binomial_error():
    """True TPR ratio exactly 0.8 (0.4 vs 0.5), equal FPRs: neither "violated" nor "holds" may be called more than
    5% of the time (each side's bound is at most 2.5% off; 3 binomial standard errors over 400 draws allowed)."""
    import numpy as np

    rng = np.random.default_rng(20261207)
    draws, called = 400, {VIOLATED: 0, HOLDS: 0, NOT_ENOUGH: 0}
    pos, neg = 1000, 1000
    for _ in range(draws):
        tp = rng.binomial(pos, [0.4, 0.5])
        fp = rng.binomial(neg, [0.3, 0.3])
        groups = [_group(g, pos + neg, pos, tp[k] / pos, fp[k] / neg) for k, g in enumerate("AB")]
        called[equalized_odds_evidence(_observed(groups)["race"])[0].outcome] += 1
    limit = 0.05 + 3 * math.sqrt(0.05 * 0.95 / draws)
    assert called[VIOLATED] / draws <= limit and called[HOLDS] / draws <= limit
    assert called[NOT_ENOUGH] > 0  # the boundary is mostly undecided, never passed


def test_supplied_data_sections_say_nothing_about_what_it_cannot_have():
    from audit.report.build import about_section
    from audit.report.disparity import disparity_section

    results = _doc()
    results["scorers"][0].update(favourable_tiers=["under 5"], tiers=["under 5", "5 or above"],
                                 disparity={"race": {"groups": [{"group": "A", "n": 10}]}})
    results["population"]["seed"] = None
    results = whole_results(results)
    section = disparity_section(results, 0, sid="s0-disparity")
    assert "Adverse outcome: none declared" in section.blocks[0].text
    titles = [c.title for c in section.children]
    assert not any("income" in t or "education" in t for t in titles)  # race was audited; no "income: not computed"
    labels = [k for k, _ in about_section(results).blocks[0].items]
    assert "seed" not in labels and "nature of the data" in labels
    # a synthetic run keeps its seed, and a declared sanction keeps the usual sentence
    results["population"].update(synthetic=True, seed=7)
    results["scorers"][0]["sanctions"] = {"loans": "finance"}
    assert dict(about_section(results).blocks[0].items)["seed"].text == "7"
    assert disparity_section(results, 0, sid="s0-disparity").blocks[0].text.endswith("Adverse outcome: any declared sanction.")
