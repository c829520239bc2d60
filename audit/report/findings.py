"""Findings in plain words, each linked to the table or figure that shows it.

A finding is one sentence a regulator or a journalist can quote, e.g.
"suining: people in Q1 (poorest fifth) reach tier A or B at 0.61 times the
rate of people in Q5 (richest fifth) (95% CI 0.58–0.64) — a four-fifths
violation; loan_arrears drives 70% of the gap". Groups are named by their one
label (:func:`audit.vocab.group_label`), as in every table and figure. Findings are read from the results document only
(never recomputed), so they always agree with the tables below them.

Thresholds used to call something a concern:

- four-fifths rule (EEOC Uniform Guidelines, 29 CFR 1607.4(D)): a favourable
  rate under 0.8 of the best-off group's;
- for sanctions and remedies the same ratio read the other way: a group
  sanctioned 1.25 (= 1/0.8) times as often as the least-sanctioned group, or
  remedied at under 0.8 times the best-remedied group's rate (assumption: the
  four-fifths threshold applied to adverse outcomes and to appeals);
- any overturn that does not restore state, any absorbing state and any
  sanction in an unrelated domain (EU AI Act Art. 5(1)(c)) is reported.

The disparity findings are here; the replay audits' findings (appeal,
reversibility, spill-over, contagion) are in
:mod:`audit.report.replay_findings`, the observed outcome's (equalized odds)
in :mod:`audit.report.observed_findings` and the dynamics' (does the gap
grow) in :mod:`audit.report.dynamics_findings`. A finding's sentence says
what was found; how much evidence it rests on and what would decide it is
its evidence, shown beside it (:func:`audit.report.verdicts.evidence_text`). Every finding that is a check carries
its three-outcome :class:`audit.evidence.Evidence` (holds, violated, not
enough evidence) and the number of observations it rests on; the verdict
grid of the executive summary is read from them.
"""

from __future__ import annotations

from typing import Any

from audit.evidence import HOLDS, MIN_OBSERVATIONS, MIN_REFERENCE_EVENTS, NOT_ENOUGH, VIOLATED, Evidence
from audit.power import observations_to_decide
from audit.report.dynamics_findings import dynamics_findings
from audit.report.model import Finding, anchor, fmt_pct, fmt_ratio, group_label, is_number
from audit.report.observed_findings import observed_findings
from audit.report.replay_findings import ADVERSE_RISK_CONCERN, FOUR_FIFTHS, replay_findings
from audit.results.model import (
    AttributeDisparity,
    Driver,
    PublishedDocument,
    ResultsDocument,
    ScorerEntry,
    attribute_section,
)

__all__ = ["ADVERSE_RISK_CONCERN", "FOUR_FIFTHS", "build_findings", "describe_group"]

_ATTR_WORDS = {"income_quintile": "income", "education": "education", "income_quintile×education": "income and education"}
_LEVEL_ORDER = {"violation": 0, "warning": 1, "info": 2, "ok": 3}


def describe_group(attr: str, group: Any) -> str:
    """A group in a sentence, always with its one label (:func:`audit.vocab.group_label`).

    ``("income_quintile", 1)`` -> "people in Q1 (poorest fifth)"; ``("education", "tertiary")`` ->
    "people with tertiary education"; any other attribute -> "people in the urban yes group".
    """
    label = group_label(attr, group)
    if attr in ("income_quintile", "income_quintile×education"):
        return f"people in {label}"
    if attr == "education":
        return f"people with {label} education"
    return f"people in the {attr.replace('_', ' ')} {label} group"  # plural, like the others: "people in ... reach"


def _ci_text(ci: Any, fmt: Any = fmt_ratio, *, bare: bool = False) -> str:
    if isinstance(ci, list) and len(ci) == 2 and all(is_number(v) for v in ci):
        dash = " to " if min(ci) < 0 else "–"
        text = f"95% CI {fmt(ci[0])}{dash}{fmt(ci[1])}"
        return text if bare else f" ({text})"
    return ""


def _months(x: float) -> str:
    return f"{x:g} month" + ("" if x == 1 else "s")


def _tiers_text(entry: ScorerEntry) -> str:
    names = [str(t) for t in entry["favourable_tiers"]]
    if names:
        return "tier " + (f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0])
    return "a favourable tier"


def _population(node: AttributeDisparity) -> int:
    return int(sum(g["n"] for g in node["groups"]) + node["unknown_n"])


def _not_enough(node: AttributeDisparity, ratio: float, ci: Any) -> tuple[str, Evidence]:
    """How much evidence a four-fifths call rests on and, where the population size decides it, what would settle it."""
    total = _population(node)
    if node["impact_ratio_unstable"]:
        k = node["reference_events"]
        return (f" — not enough evidence: the reference group has only {k} favourable outcome(s), under the "
                f"{MIN_REFERENCE_EVENTS} a ratio must rest on, so the ratio is unstable",
                Evidence(outcome=NOT_ENOUGH, observed=int(k) if is_number(k) else 0,
                         what="favourable outcomes in the reference group", needed=MIN_REFERENCE_EVENTS))
    groups = [g for g in node["groups"] if not g["excluded_from_ratios"]]
    small = [g for g in groups if g["n"] < MIN_OBSERVATIONS]
    if small or len(groups) < 2:
        return (f" — not enough evidence: {len(small)} of {len(groups)} group(s) eligible for ratios have fewer than "
                f"{MIN_OBSERVATIONS} people", Evidence(outcome=NOT_ENOUGH, observed=total, what="people"))
    text = " — not enough evidence: the interval straddles 0.8"
    need = None
    if isinstance(ci, list) and len(ci) == 2 and all(is_number(v) for v in ci) and total:
        need = observations_to_decide(total, ratio, ci, FOUR_FIFTHS)
        if need is None:
            text += " and no practical number of people decides it (the estimate is on or next to 0.8)"
    return text, Evidence(outcome=NOT_ENOUGH, observed=total, what="people", needed=need,
                          remedy=f"--size {need:,}" if need is not None else None)


def _driver_text(driver: Driver) -> str:
    share = driver["share_of_gap"]
    if driver["rule"] and is_number(share):
        text = f"; {driver['rule']} drives {fmt_pct(share, 0)} of the gap"
        if share > 1:
            text += " (over 100%: other rules narrow the gap)"
        return text
    largest = driver["largest_rule"] if "largest_rule" in driver else None
    share = driver["largest_share"] if "largest_share" in driver else None
    remains = driver["remaining_share"] if "remaining_share" in driver else None
    if largest and is_number(share):
        text = f"; no rule explains most of the gap (the largest, {largest}, explains {fmt_pct(share, 0)}"
        if is_number(remains):
            text += f"; {fmt_pct(remains, 0)} of the gap remains with every rule's events removed"
        return text + ")"
    return ""


def _disparity_findings(entry: ScorerEntry, i: int, label: str) -> list[Finding]:
    out: list[Finding] = []
    if "disparity" not in entry:
        return out
    section = entry["disparity"]
    nodes = [(attr, attribute_section(section, attr)) for attr in section["attributes"]]
    for attr, node in nodes:
        ratio = node["min_impact_ratio"]
        if not is_number(ratio):
            continue
        verdict = node["four_fifths_verdict"]
        if verdict not in ("violation", "no violation", "inconclusive"):
            verdict = "violation" if node["four_fifths_violation"] or ratio < FOUR_FIFTHS else "no violation"
        if attr not in ("income_quintile", "education") and verdict == "no violation":
            continue
        worst = node["worst_group"]
        if worst is None:
            rated = [g for g in node["groups"] if is_number(g["impact_ratio"])]
            worst = min(rated, key=lambda g: g["impact_ratio"] or 0.0)["group"] if rated else None
        ref = node["reference_group"]
        where = anchor(i, "disparity", attr)
        if verdict == "no violation":
            ci = _ci_text(node["min_impact_ratio_ci"], bare=True)
            out.append(Finding(
                text=f"{label}: by {_ATTR_WORDS.get(attr, attr)}, every group reaches {_tiers_text(entry)} at 0.8 or more "
                     f"times the rate of the best-off group (lowest {fmt_ratio(ratio)}, {describe_group(attr, worst)}"
                     f"{'; ' + ci if ci else ''}) — no four-fifths violation",
                anchor=where, level="ok", scorer=label, evidence=Evidence(outcome=HOLDS, observed=_population(node), what="people")))
            continue
        text = (f"{label}: {describe_group(attr, worst)} reach {_tiers_text(entry)} at {fmt_ratio(ratio)} times the rate of "
                f"{describe_group(attr, ref)}{_ci_text(node['min_impact_ratio_ci'])}")
        if verdict == "violation":
            text += " — a four-fifths violation"
            evidence = Evidence(outcome=VIOLATED, observed=_population(node), what="people")
        else:
            more, evidence = _not_enough(node, float(ratio), node["min_impact_ratio_ci"])
            text += more
        text += _driver_text(node["driver"])
        out.append(Finding(text=text, anchor=where, level="violation" if verdict == "violation" else "warning", scorer=label,
                           evidence=evidence))
    for attr, node in nodes:
        out.extend(_relative_risk_findings(node, attr, i, label))
    return out


def _relative_risk_findings(node: AttributeDisparity, attr: str, i: int, label: str) -> list[Finding]:
    """Groups sanctioned 1.25 times as often as the least-sanctioned: violated, not enough evidence, or unstable."""
    risky = [(rr, g) for g in node["groups"] if is_number(rr := g["adverse_relative_risk"]) and not g["excluded_from_ratios"]]
    if not risky:
        return []
    rr, top = max(risky, key=lambda pair: pair[0])
    if rr < ADVERSE_RISK_CONCERN:
        return []
    ref = node["adverse_reference_group"]
    ref_text = f" {describe_group(attr, ref)}" if ref is not None else " the least-sanctioned group"
    where = anchor(i, "disparity", attr)
    head = f"{label}: {describe_group(attr, top['group'])} are sanctioned {fmt_ratio(rr)} times as often as{ref_text}"
    if node["adverse_relative_risk_unstable"]:
        k = node["adverse_reference_events"]
        people = "person" if k == 1 else "people"
        return [Finding(text=f"{head} — unstable, not a finding: the least-sanctioned group has only {k} sanctioned "
                             f"{people}, under the {MIN_REFERENCE_EVENTS} a ratio must rest on", anchor=where, level="info",
                        scorer=label, evidence=Evidence(outcome=NOT_ENOUGH, observed=int(k) if is_number(k) else 0,
                                                        what="sanctioned people in the least-sanctioned group",
                                                        needed=MIN_REFERENCE_EVENTS))]
    ci = top["adverse_relative_risk_ci"]
    lo = ci[0] if isinstance(ci, list) and len(ci) == 2 and is_number(ci[0]) else None
    hi = ci[1] if isinstance(ci, list) and len(ci) == 2 else None
    ci_text = f" (95% CI {fmt_ratio(lo)}–{fmt_ratio(hi) if is_number(hi) else 'unbounded'})" if lo is not None else ""
    people_n = _population(node)
    if lo is not None and lo < ADVERSE_RISK_CONCERN:
        return [Finding(text=f"{head}{ci_text} — not enough evidence that it reaches {ADVERSE_RISK_CONCERN:g}: the interval "
                             "straddles it", anchor=where, level="info", scorer=label,
                        evidence=Evidence(outcome=NOT_ENOUGH, observed=people_n, what="people"))]
    return [Finding(text=head + ci_text, anchor=where, level="warning", scorer=label,
                    evidence=Evidence(outcome=VIOLATED, observed=people_n, what="people"))]


def build_findings(results: ResultsDocument, published: PublishedDocument | None = None) -> list[Finding]:
    """Every finding for a results document (read through the typed model, as
    :func:`audit.results.load.load_results` checks it), most serious first (stable within a level)."""
    out: list[Finding] = []
    for i, entry in enumerate(results["scorers"]):
        label = entry["label"]
        if entry["status"] == "failed" or "error" in entry:
            error = entry["error"] if "error" in entry else "the scorer failed"
            out.append(Finding(text=f"{label}: could not be audited — {error}",
                               anchor=anchor(i), level="violation", scorer=label,
                               evidence=Evidence(outcome=NOT_ENOUGH, observed=0, what="people scored")))
            continue
        out.extend(_disparity_findings(entry, i, label))
        out.extend(observed_findings(entry, i, label))
        out.extend(replay_findings(results["population"], entry, i, label))
        out.extend(dynamics_findings(entry, i, label))
    if published is None and results["population"]["synthetic"] is False:
        out.append(Finding(text="figures in this report are exact and private: nothing was published with differential privacy "
                                "(run with --epsilon to publish)", anchor="published", level="info"))
    return sorted(out, key=lambda f: _LEVEL_ORDER.get(f.level, 9))
