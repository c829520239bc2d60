"""Whole results documents from the few keys a test is about.

The report reads the typed model (:class:`audit.results.model.ResultsDocument`): the keys every
document has are read as such, as :func:`audit.results.load.load_results` guarantees. A test
about one section writes only that section; :func:`whole_results` adds the other required keys
with neutral values (a synthetic population of 0 people, a scorer with no tiers), never
replacing a key the test gave.
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
#: Group keys the LL144 summary reads (a supplied population's summary table).
GROUP = {"share": None, "excluded_from_ratios": False, "favourable_rate": None, "impact_ratio": None,
         "scoring_rate": None, "scoring_impact_ratio": None}


def whole_results(partial: dict[str, Any]) -> dict[str, Any]:
    """``partial`` (not changed) with every required key above the audits' sections filled in."""
    doc = {**TOP, **copy.deepcopy(partial)}
    doc["population"] = {**POPULATION, **doc.get("population", {})}
    doc["options"] = {**OPTIONS, **doc.get("options", {})}
    doc.setdefault("scorers", [])
    for i, entry in enumerate(doc["scorers"]):
        entry.update({"label": f"scorer {i + 1}", **ENTRY, **entry})
        disparity = entry.get("disparity")
        if isinstance(disparity, dict):
            attrs = [k for k, v in disparity.items() if isinstance(v, dict) and isinstance(v.get("groups"), list)]
            disparity.setdefault("attributes", attrs)
            for a in attrs:
                disparity[a].setdefault("unknown_n", 0)
                disparity[a]["groups"] = [{**GROUP, **g} for g in disparity[a]["groups"]]
    doc.setdefault("audited_attributes", sorted({a for e in doc["scorers"]
                                                 for a in (e.get("disparity") or {}).get("attributes", [])}))
    return doc
