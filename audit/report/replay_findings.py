"""Findings of the replay audits: appeal, reversibility, spill-over (with the rule probes), contagion.

Two kinds of evidence are kept apart. Rule probes (``spillover.probes``,
marked "rule probe") say what *can* happen, shown with certainty on
constructed people. Population findings say *how often* it happens in the
replay sample, with exact (Clopper–Pearson) intervals, and only when they
rest on at least :data:`audit.evidence.MIN_OBSERVATIONS` people (or
sanctions, or overturns); below that a finding says "not enough evidence"
and names the ``--audit-replay-sample`` that would give enough. Every
finding that is a check carries its :class:`audit.evidence.Evidence`; a
neutral fact (the median months to recover) carries none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from audit.disparity.views import FOUR_FIFTHS
from audit.evidence import HOLDS, MIN_OBSERVATIONS, NOT_ENOUGH, VIOLATED, Evidence, clopper_pearson
from audit.replay.verdicts import sample_advice
from audit.report.model import Finding, anchor, fmt_pct, fmt_ratio, group_label, is_number
from audit.results.model import (
    AppealSection,
    ContagionSection,
    PopulationInfo,
    ReversibilitySection,
    SampleSummary,
    ScorerEntry,
    SpilloverSection,
)
from audit.results.model.replay import ProbesSection, ProportionalitySection

__all__ = ["ADVERSE_RISK_CONCERN", "FOUR_FIFTHS", "replay_findings"]

#: Relative risk of sanction treated as a concern: the four-fifths rule read for adverse outcomes (assumption).
ADVERSE_RISK_CONCERN = 1 / FOUR_FIFTHS
_POOREST, _RICHEST = group_label("income_quintile", 1), group_label("income_quintile", 5)


def _ci_text(ci: Any, fmt: Any = fmt_ratio) -> str:
    if isinstance(ci, list) and len(ci) == 2 and all(is_number(v) for v in ci):
        dash = " to " if min(ci) < 0 else "–"
        return f" (95% CI {fmt(ci[0])}{dash}{fmt(ci[1])})"
    return ""


def _months(x: float) -> str:
    return f"{x:g} month" + ("" if x == 1 else "s")


def _education(group: Any) -> str:
    return f"people with {group_label('education', group)} education"


def _small(n: Any) -> bool:
    """Fewer observations than a population finding may rest on (:data:`audit.evidence.MIN_OBSERVATIONS`)."""
    return not is_number(n) or n < MIN_OBSERVATIONS


def _exact(k: int, n: int) -> str:
    """``"12.5% (3 of 24; 95% CI 2.7%–32.4%)"``: a share with its exact (Clopper–Pearson) interval."""
    lo, hi = clopper_pearson(k, n) or (0.0, 1.0)
    return f"{fmt_pct(k / n)} ({k:,} of {n:,}; 95% CI {fmt_pct(lo)}–{fmt_pct(hi)})"


@dataclass(frozen=True, slots=True)
class _Sampled:
    """Scorer ``i``'s replay section ``section``: the people it drew (``sample_size``, ``sample``) from a population of
    ``population`` people, so a finding resting on too few can name the option that would give enough."""

    i: int
    section: str
    sample_size: int | None
    sample: SampleSummary | None
    population: int


def _sampled(population: PopulationInfo, i: int, section: str,
             node: AppealSection | ReversibilitySection | SpilloverSection | ContagionSection) -> _Sampled:
    return _Sampled(i, section, node["sample_size"] if "sample_size" in node else None,
                    node["sample"] if "sample" in node else None, population["size"])


def _too_few(at: _Sampled, label: str, n: Any, what: str, stratum: str | None = None) -> Finding:
    """Not enough evidence: the finding would rest on ``n`` ``what`` (of ``stratum``); the option that gets enough."""
    n = int(n) if is_number(n) else 0
    _, advice = sample_advice(at.sample_size, at.population, n, size_flag="--size", info=at.sample, stratum=stratum)
    return Finding(text=f"{label}: not enough evidence on {what} — {n:,} in the replay sample, at least {MIN_OBSERVATIONS} "
                        f"needed for a finding; rerun with {advice}", anchor=anchor(at.i, at.section), level="info", scorer=label,
                   evidence=Evidence(outcome=NOT_ENOUGH, observed=n, what=what, needed=MIN_OBSERVATIONS, remedy=advice))


def _appeal_findings(node: AppealSection, at: _Sampled, label: str) -> list[Finding]:
    """Lowest against highest education: people remedied when wronged, else misrecorded events overturned."""
    if "by_education" not in node:
        return []
    groups = node["by_education"]
    where = anchor(at.i, "appeal")
    people = [(g["group"], g["remedied"] / g["n_wronged"], g["n_wronged"], g["remedied"]) for g in groups if g["n_wronged"] > 0]
    if len(people) >= 2 and people[0][0] == groups[0]["group"] and people[-1][0] == groups[-1]["group"]:
        low, high = people[0], people[-1]
        if _small(min(low[2], high[2])):
            return [_too_few(at, label, min(low[2], high[2]), "appeals of wrongly sanctioned people by education", "sanctioned")]
        what = "wrongly sanctioned people"
        text = (f"{label}: of people wrongly sanctioned, {_education(low[0])} get the sanction lifted on appeal "
                f"{_exact(int(low[3]), int(low[2]))}, {_education(high[0])} {_exact(int(high[3]), int(high[2]))}")
    else:
        events = [(g["group"], g["wrong_succeeded"] / g["wrong_events"], g["wrong_events"], g["wrong_succeeded"]) for g in groups
                  if g["wrong_events"] > 0]
        if len(events) < 2 or events[0][0] != groups[0]["group"] or events[-1][0] != groups[-1]["group"]:
            return []
        low, high = events[0], events[-1]
        if _small(min(low[2], high[2])):
            return [_too_few(at, label, min(low[2], high[2]), "appeals of misrecorded events by education")]
        what = "misrecorded adverse events"
        text = (f"{label}: misrecorded adverse events against {_education(low[0])} are overturned on appeal "
                f"{_exact(int(low[3]), int(low[2]))}, against {_education(high[0])} {_exact(int(high[3]), int(high[2]))}")
    concern = high[1] > 0 and low[1] < FOUR_FIFTHS * high[1]
    evidence = Evidence(outcome=VIOLATED if concern else HOLDS, observed=int(low[2] + high[2]), what=what)
    return [Finding(text=text, anchor=where, level="warning" if concern else "info", scorer=label, evidence=evidence)]


def _probe_findings(probes: ProbesSection, i: int, label: str) -> list[Finding]:
    """What the rule probes showed can happen, on constructed people (certain, not estimated)."""
    where = anchor(i, "spillover")
    if "available" in probes and probes["available"] is False:
        reason = probes["reason"] if "reason" in probes else "the scorer failed"
        return [Finding(text=f"{label}: the rule probes could not run — {reason}",
                        anchor=where, level="warning", scorer=label,
                        evidence=Evidence(outcome=NOT_ENOUGH, observed=0, what="constructed people (rule probes)"))]
    probe = Evidence(outcome=VIOLATED, observed=probes["people"] if "people" in probes else 0,
                     what="constructed people (rule probes)")
    out = []
    doses = ", ".join(str(d) for d in (probes["doses"] if "doses" in probes else []))
    if "conduct_matters" in probes and probes["conduct_matters"] is False:
        out.append(Finding(text=f"{label} (rule probe): the output does not depend on recorded conduct — no record of any kind "
                                f"({doses} records) changed any score, tier or sanction of a constructed person; whoever is "
                                "sanctioned stays sanctioned whatever they do", anchor=where, level="violation", scorer=label, evidence=probe))
    spill = [w for w in (probes["spillover"] if "spillover" in probes else []) if not w["related"]]
    if spill:
        shown = "; ".join(f"{w['conduct_domain']} → {w['sanction_domain']} ({w['dose']} {w['kind']} record(s) alone impose "
                          f"{w['sanction']})" for w in spill[:4])
        more = f" and {len(spill) - 4} more pairs" if len(spill) > 4 else ""
        out.append(Finding(text=f"{label} (rule probe): conduct can lead to sanctions in unrelated parts of life — {shown}{more} "
                                "(can happen, shown on constructed people; EU AI Act Art. 5(1)(c))",
                           anchor=where, level="violation", scorer=label, evidence=probe))
    never = probes["never_lifted"] if "never_lifted" in probes else []
    if never:
        last = max((probes["checkpoints"] if "checkpoints" in probes else [0]) or [0])
        shown = "; ".join(f"{w['sanction']} after {w['dose']} {w['kind']} record(s)" for w in never[:4])
        more = f" and {len(never) - 4} more" if len(never) > 4 else ""
        out.append(Finding(text=f"{label} (rule probe): some sanctions can never be lifted within {last} months, doing nothing "
                                f"or the best feasible plan — {shown}{more} (can happen, shown on constructed people)",
                           anchor=anchor(i, "reversibility"), level="violation", scorer=label, evidence=probe))
    inv = probes["inversions"] if "inversions" in probes else []
    if inv:
        shown = "; ".join(f"{v['lighter']} imposes {v['lighter_sanctions']} sanction(s), {v['graver']} {v['graver_sanctions']}"
                          for v in inv[:3])
        more = f" and {len(inv) - 3} more" if len(inv) > 3 else ""
        out.append(Finding(text=f"{label} (rule probe): lighter conduct can be punished harder than graver conduct — {shown}{more} "
                                "(can happen, shown on constructed people; disproportionate, EU AI Act Art. 5(1)(c))",
                           anchor=where, level="violation", scorer=label, evidence=probe))
    return out


def _reversibility_findings(node: ReversibilitySection, at: _Sampled, label: str) -> list[Finding]:
    out = []
    where = anchor(at.i, "reversibility")
    v, checked = node["overturn_violations"], node["overturn_checked"]
    if v > 0:
        out.append(Finding(text=f"{label}: overturning an event did not restore the person's state in {v:,} of {checked:,} checks — "
                                "the scorer remembers overturned events", anchor=where, level="violation", scorer=label,
                           evidence=Evidence(outcome=VIOLATED, observed=checked, what="overturn checks")))
    elif _small(checked):
        out.append(_too_few(at, label, checked, "whether an overturn restores state (replayed overturns)"))
    else:
        out.append(Finding(text=f"{label}: overturning an event restored the person's state in all {checked:,} checks",
                           anchor=where, level="ok", scorer=label,
                           evidence=Evidence(outcome=HOLDS, observed=checked, what="overturn checks")))
    k, n = node["absorbing"]["precluded"], node["absorbing"]["sanctioned"]
    if k > 0:
        if _small(n):
            out.append(_too_few(at, label, n, f"how often sanctioned people are in an absorbing state ({k:,} of {n:,} are)",
                                "sanctioned"))
        else:
            out.append(Finding(text=f"{label}: {_exact(k, n)} of sanctioned people in the replay sample are in an "
                                    "absorbing state: no feasible behaviour brings back a favourable, sanction-free tier",
                               anchor=where, level="violation", scorer=label,
                               evidence=Evidence(outcome=VIOLATED, observed=n, what="sanctioned people")))
    rec = node["recovery"]
    never, rn = rec["never_share"], rec["n"]
    if is_number(never) and never > 0:
        within = f" within {rec['horizon_months']:g} months"
        if _small(rn):
            out.append(_too_few(at, label, rn, "how many never recover from one penalty"))
        else:
            out.append(Finding(text=f"{label}: {_exact(round(never * rn), rn)} of people who got one penalty never regain "
                                    f"their tier and a sanction-free state{within}, even with the best feasible behaviour",
                               anchor=where, level="warning", scorer=label,
                               evidence=Evidence(outcome=VIOLATED, observed=rn, what="people with a first penalty")))
    by = {g["group"]: g for g in rec["by_income_quintile"]} if "by_income_quintile" in rec else {}
    poor, rich = by.get(1), by.get(5)
    if poor and rich and is_number(poor_months := poor["median_months"]) and is_number(rich_months := rich["median_months"]):
        if _small(min(poor["n"], rich["n"])):
            out.append(_too_few(at, label, min(poor["n"], rich["n"]),
                                f"recovery of {_POOREST} and {_RICHEST} (people with a first penalty)"))
        else:
            out.append(Finding(text=f"{label}: after one penalty, people in {_POOREST} need {_months(poor_months)} "
                                    f"(median, n={poor['n']:,}) of the best feasible behaviour to regain their tier, "
                                    f"people in {_RICHEST} {_months(rich_months)} (n={rich['n']:,})",
                               anchor=where, level="info", scorer=label))
    ratio = node["recourse_cost_ratio"]
    if is_number(ratio) and ratio >= ADVERSE_RISK_CONCERN:
        out.append(Finding(text=f"{label}: recourse costs people in {_POOREST} {fmt_ratio(ratio)} times what it costs people in "
                                f"{_RICHEST} (median cost of the cheapest feasible plan, in money and time valued by income)",
                           anchor=where, level="warning", scorer=label,
                           evidence=Evidence(outcome=VIOLATED, observed=node["sample_size"], what="people in the replay sample")))
    caps = node["duration_cap_violations"]
    if caps > 0:
        checked, cap = node["duration_checked"], node["duration_cap_months"]
        limit = f" of {cap:g} months" if is_number(cap) else ""
        out.append(Finding(text=f"{label}: {caps:,} of {checked:,} sanctioned people checked stay sanctioned longer than the "
                                f"longest statutory period{limit}",
                           anchor=where, level="violation", scorer=label,
                           evidence=Evidence(outcome=VIOLATED, observed=checked, what="sanctioned people")))
    return out


def _proportionality_findings(proportionality: ProportionalitySection, i: int, label: str) -> list[Finding]:
    strong = [f for f in proportionality["flags"] if f["significant"] is True]
    if not strong:
        return []
    shown = "; ".join(f"{f['kind']} ({f['gravity']}) outweighs {f['heavier_than']} ({f['heavier_than_gravity']})"
                      for f in strong[:3])
    more = f" and {len(strong) - 3} more" if len(strong) > 3 else ""
    return [Finding(text=f"{label}: lighter conduct brings heavier sanctions than graver conduct — {shown}{more} "
                         "(disproportionate to gravity, EU AI Act Art. 5(1)(c))",
                    anchor=anchor(i, "spillover"), level="violation", scorer=label,
                    evidence=Evidence(outcome=VIOLATED, observed=len(strong), what="significant gravity inversions"))]


def _spillover_findings(node: SpilloverSection, at: _Sampled, label: str) -> list[Finding]:
    out = _probe_findings(node["probes"], at.i, label) + _proportionality_findings(node["proportionality"], at.i, label)
    k, n = node["unrelated_sanctions"], node["sanctions"]
    what = "how often sanctions fall in an unrelated domain"
    if n == 0:
        return out + [_too_few(at, label, 0, f"{what} (sanctions)", "sanctioned")]
    people = node["sanctioned_people"]
    if _small(people):  # sanctions cluster by person: the evidence is the people
        return out + [_too_few(at, label, people, f"{what} ({n:,} sanctions of sanctioned people)", "sanctioned")]
    if _small(n):
        return out + [_too_few(at, label, n, f"{what} (sanctions)", "sanctioned")]
    ci = node["unrelated_share_ci"]
    if ci is not None and len(ci) == 2 and all(is_number(v) for v in ci) and ci[1] > ci[0]:
        share = f"{fmt_pct(k / n)} ({k:,} of {n:,} sanctions; 95% CI {fmt_pct(ci[0])}–{fmt_pct(ci[1])}, people resampled)"
    else:
        share = _exact(k, n)
    if k > 0:
        return out + [Finding(text=f"{label}: {share} of sanctions in the replay sample restrict a part of life unrelated to the "
                                   "conduct that caused them — detriment in an unrelated context (EU AI Act Art. 5(1)(c))",
                              anchor=anchor(at.i, "spillover"), level="violation", scorer=label,
                              evidence=Evidence(outcome=VIOLATED, observed=n, what="sanctions"))]
    return out + [Finding(text=f"{label}: no sanction in the replay sample falls in a domain unrelated to the conduct that caused "
                               f"it: {share}", anchor=anchor(at.i, "spillover"), level="ok", scorer=label,
                              evidence=Evidence(outcome=HOLDS, observed=n, what="sanctions"))]


def _contagion_findings(node: ContagionSection, at: _Sampled, label: str) -> list[Finding]:
    if "overall" not in node:
        return []
    overall = node["overall"]
    share, change, n = overall["tier_change_share"], overall["mean_score_change"], overall["n"]
    where = anchor(at.i, "contagion")
    what = "how a friend's penalty moves a person (people with a friend)"
    if ((is_number(share) and share > 0) or (is_number(change) and change != 0)) and _small(n):
        return [_too_few(at, label, n, what)]
    if is_number(share) and share > 0:
        return [Finding(text=f"{label}: a friend's penalty moves {_exact(round(share * n), n)} of people to a worse tier",
                        anchor=where, level="warning", scorer=label,
                        evidence=Evidence(outcome=VIOLATED, observed=n, what="people with a friend"))]
    if is_number(change) and change != 0:
        return [Finding(text=f"{label}: a friend's penalty changes a person's own score by {change:+.2f} points on average"
                             f"{_ci_text(overall['mean_score_change_ci'], lambda x: f'{x:+.2f}')}, though no one's tier "
                             "changes", anchor=where, level="info", scorer=label)]
    if _small(n):
        return [_too_few(at, label, n, what)]
    return [Finding(text=f"{label}: a friend's penalty moves no one to a worse tier or changes anyone's score "
                         f"({n:,} people with a friend)", anchor=where, level="ok", scorer=label,
                    evidence=Evidence(outcome=HOLDS, observed=n, what="people with a friend"))]


def replay_findings(population: PopulationInfo, scorer: ScorerEntry, i: int, label: str) -> list[Finding]:
    """Every replay-audit finding of scorer ``i`` (unsorted); a section that is not applicable, or unavailable (no
    ground truth, a column it needs missing), gives none, except the appeal audit's, which has no figures then."""
    out: list[Finding] = []
    if "appeal" in scorer and (appeal := scorer["appeal"])["available"]:
        node = cast(AppealSection, appeal)  # available: the audit ran (a not-replayable record is never available)
        out += _appeal_findings(node, _sampled(population, i, "appeal", node), label)
    if "reversibility" in scorer and "available" not in (rev := scorer["reversibility"]):
        rv = cast(ReversibilitySection, rev)  # only the not-applicable and unavailable records say "available"
        out += _reversibility_findings(rv, _sampled(population, i, "reversibility", rv), label)
    if "spillover" in scorer and "available" not in (spill := scorer["spillover"]):
        sp = cast(SpilloverSection, spill)
        out += _spillover_findings(sp, _sampled(population, i, "spillover", sp), label)
    if "contagion" in scorer and (cont := scorer["contagion"])["applicable"]:
        co = cast(ContagionSection, cont)
        out += _contagion_findings(co, _sampled(population, i, "contagion", co), label)
    return out
