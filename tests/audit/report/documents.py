"""Whole results documents from the few keys a test is about.

The report reads the typed model (:class:`audit.results.model.ResultsDocument`): the keys every
document has are read as such, as :func:`audit.results.load.load_results` guarantees. A test
about one section writes only that section; :func:`whole_results` adds the other required keys
with neutral values (a synthetic population of 0 people, a scorer with no tiers, a disparity
group of 0 people with no rates, a replay section of an empty sample), never replacing a key the
test gave.
"""

from __future__ import annotations

import copy
from typing import Any

TOP = {"schema_version": 1, "kind": "scs-audit results (exact, private)", "private": True, "package_version": "0.0.0",
       "created": "2026-01-01T00:00:00+00:00", "seconds": {}}
POPULATION = {"name": "test", "synthetic": True, "source": "synthetic", "size": 0, "seed": 0, "horizon_months": 36,
              "fingerprint": "0", "ties": {"max_in_degree": 0, "max_out_degree": 0}}
OPTIONS = {"seed": 0, "as_of": None, "by": [], "min_cell_share": 0.02, "bootstrap": 0, "replay_sample": 0,
           "population_size": 0, "scorer_timeout": None, "probe_size": 0}
ENTRY = {"name": "test", "version": "1", "description": "", "params": {}, "tiers": [], "favourable_tiers": [],
         "sanctions": {}, "status": "ok"}
DISPARITY = {"median_score": None, "median_note": "", "min_cell_share": 0.02, "bootstrap_replicates": 0, "interval": None,
             "ground_truth": None, "attribution": None}
SUMMARY = {"overall": None, "group_min": None, "group_max": None, "difference": None, "ratio": None}
ATTRIBUTE = {"unknown_n": 0, "eligible_groups": 0, "reference_group": None, "adverse_reference_group": None,
             "scoring_reference_group": None, "worst_group": None, "most_sanctioned_group": None, "min_impact_ratio": None,
             "min_impact_ratio_ci": None, "four_fifths_violation": False, "four_fifths_verdict": "no violation",
             "reference_events": None, "impact_ratio_unstable": False, "adverse_reference_events": None,
             "adverse_relative_risk_unstable": False, "scoring_reference_events": None,
             "scoring_impact_ratio_unstable": False, "min_scoring_impact_ratio": None,
             "min_scoring_impact_ratio_ci": None, "min_scoring_impact_ratio_ties_above": None, "rank_error_bound": None,
             "max_adverse_relative_risk": None, "max_adverse_relative_risk_ci": None,
             "favourable": SUMMARY, "adverse": SUMMARY, "scoring_rate": SUMMARY,
             "driver": {"rule": None, "share_of_gap": None, "method": None}}
GROUP = {"group": None, "n": 0, "share": None, "excluded_from_ratios": False, "favourable_rate": None,
         "favourable_rate_ci": None, "adverse_rate": None, "adverse_rate_ci": None, "adverse_rate_by_sanction": {},
         "adverse_rate_by_sanction_ci": None, "tier_shares": {}, "tier_shares_ci": None, "tier_or_better": {},
         "tier_or_better_ci": None, "mean_score": None, "mean_score_ci": None, "median_score": None,
         "median_score_ci": None, "scoring_rate": None, "scoring_rate_ci": None, "impact_ratio": None,
         "impact_ratio_ci": None, "scoring_impact_ratio": None, "scoring_impact_ratio_ci": None,
         "scoring_rate_ties_above": None, "scoring_impact_ratio_ties_above": None, "adverse_relative_risk": None,
         "adverse_relative_risk_ci": None, "four_fifths": "no violation"}


SAMPLE = {"rule": "", "per_stratum": 0, "strata": []}
APPEAL_GROUP = {"group": None, "n": 0, "n_adverse": 0, "adverse_events": 0, "filers": 0, "filed": 0, "succeeded": 0,
                "wrong_events": 0, "wrong_filed": 0, "wrong_succeeded": 0, "n_wronged": 0, "wronged_after": 0, "remedied": 0,
                "filing_rate": None, "filing_rate_ci": None, "success_rate_if_wrong": None, "success_rate_if_wrong_ci": None,
                "wrongful_sanction_rate_before": None, "wrongful_sanction_rate_before_ci": None,
                "wrongful_sanction_rate_after": None, "wrongful_sanction_rate_after_ci": None, "remedy_rate": None,
                "remedy_rate_ci": None, "median_months_to_remedy": None}
RECOVERY_GROUP = {"group": None, "n": 0, "median_months": None, "median_months_ci": None, "p90_months": None,
                  "p90_months_ci": None, "never_share": None, "never_share_ci": None}
RECOVERY = {"horizon_months": 0, "n": 0, "median_months": None, "median_months_ci": None, "p90_months": None,
            "p90_months_ci": None, "never_share": None, "never_share_ci": None, "curve": [], "curve_by_income_quintile": []}
ABSORBING = {"sanctioned": 0, "precluded": 0, "adverse": 0, "precluded_share_of_adverse": None,
             "precluded_share_of_adverse_ci": None}
RECOURSE = {"unit": "", "deadline_months": 0, "plans": "", "by_income_quintile": [], "ratio_poorest_to_richest": None,
            "fastest_ratio_poorest_to_richest": None}
REVERSIBILITY = {"sample_size": 0, "sample": SAMPLE, "horizon_months": 0, "overturn_checked": 0, "overturn_violations": 0,
                 "overturn_restores_state": True, "absorbing_share": None, "absorbing_share_ci": None,
                 "recourse_cost_ratio": None, "duration_cap_months": None, "duration_checked": 0,
                 "duration_cap_violations": 0, "duration_censored": 0, "duration_violation_share": None,
                 "duration_violation_share_ci": None, "duration_cap_violations_by_sanction": {}, "longest_spell_months": None}
SPILLOVER = {"sample_size": 0, "sample": SAMPLE, "sanctions": 0, "sanctioned_people": 0, "unrelated_sanctions": 0,
             "unrelated_share": None, "unrelated_share_ci": None, "combined": 0, "without_conduct": 0, "matrix": {},
             "related_domains": [], "probes": {}}
PROPORTIONALITY = {"measure": "", "by_kind": [], "flags": [], "flag_count": 0}
CONTAGION_GROUP = {"group": None, "n": 0, "mean_score_change": None, "mean_score_change_ci": None, "tier_change_share": None,
                   "tier_change_share_ci": None, "sanction_change_share": None, "sanction_change_share_ci": None}


def _by(section: dict[str, Any], group: dict[str, Any]) -> None:
    """Complete every ``by_<attribute>`` list of ``section`` with ``group``'s keys."""
    for key, value in section.items():
        if key.startswith("by_") and isinstance(value, list):
            section[key] = [{**group, **g} for g in value]


def _replay(entry: dict[str, Any]) -> None:
    """Complete the replay sections the test gave (a not-applicable or unavailable record is left as it is)."""
    appeal = entry.get("appeal")
    if isinstance(appeal, dict) and appeal.get("available", True) is not False:
        entry["appeal"] = appeal = {"available": True, "sample_size": 0, "sample": SAMPLE, **appeal}
        _by(appeal, APPEAL_GROUP)
    rev = entry.get("reversibility")
    if isinstance(rev, dict) and "available" not in rev:
        entry["reversibility"] = rev = {**REVERSIBILITY, **rev}
        rev["recovery"] = {**RECOVERY, **rev.get("recovery", {})}
        _by(rev["recovery"], RECOVERY_GROUP)
        rev["absorbing"] = {**ABSORBING, **rev.get("absorbing", {})}
        rev["recourse_cost"] = {**RECOURSE, **rev.get("recourse_cost", {})}
    spill = entry.get("spillover")
    if isinstance(spill, dict) and "available" not in spill:
        entry["spillover"] = spill = {**SPILLOVER, **spill}
        spill["proportionality"] = {**PROPORTIONALITY, **spill.get("proportionality", {})}
    contagion = entry.get("contagion")
    if isinstance(contagion, dict) and contagion.get("applicable", True) is not False:
        entry["contagion"] = contagion = {"applicable": True, "sample_size": 0, "sample": SAMPLE, **contagion}
        if "overall" in contagion:
            contagion["overall"] = {**CONTAGION_GROUP, **contagion["overall"]}
        _by(contagion, CONTAGION_GROUP)


def whole_results(partial: dict[str, Any]) -> dict[str, Any]:
    """``partial`` (not changed) with every required key of the run, its scorers and their disparity sections."""
    doc = {**TOP, **copy.deepcopy(partial)}
    doc["population"] = {**POPULATION, **doc.get("population", {})}
    doc["options"] = {**OPTIONS, **doc.get("options", {})}
    doc.setdefault("scorers", [])
    for i, entry in enumerate(doc["scorers"]):
        entry.update({"label": f"scorer {i + 1}", **ENTRY, **entry})
        _replay(entry)
        disparity = entry.get("disparity")
        if isinstance(disparity, dict):
            attrs = [k for k, v in disparity.items() if isinstance(v, dict) and isinstance(v.get("groups"), list)]
            entry["disparity"] = disparity = {**DISPARITY, "attributes": attrs, **disparity}
            for a in attrs:
                disparity[a] = {**copy.deepcopy(ATTRIBUTE), **disparity[a]}
                disparity[a]["groups"] = [{**GROUP, **g} for g in disparity[a]["groups"]]
    doc.setdefault("audited_attributes", sorted({a for e in doc["scorers"]
                                                 for a in (e.get("disparity") or {}).get("attributes", [])}))
    return doc
