"""Whole results documents from the few keys a test is about.

The report reads the typed model (:class:`audit.results.model.ResultsDocument`): the keys every
document has are read as such, as :func:`audit.results.load.load_results` guarantees. A test
about one section writes only that section; :func:`whole_results` adds the other required keys
with neutral values (a synthetic population of 0 people, a scorer with no tiers, a disparity
group of 0 people with no rates), never replacing a key the test gave.
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


def whole_results(partial: dict[str, Any]) -> dict[str, Any]:
    """``partial`` (not changed) with every required key of the run, its scorers and their disparity sections."""
    doc = {**TOP, **copy.deepcopy(partial)}
    doc["population"] = {**POPULATION, **doc.get("population", {})}
    doc["options"] = {**OPTIONS, **doc.get("options", {})}
    doc.setdefault("scorers", [])
    for i, entry in enumerate(doc["scorers"]):
        entry.update({"label": f"scorer {i + 1}", **ENTRY, **entry})
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
