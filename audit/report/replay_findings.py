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

from typing import Any

from audit.disparity.views import FOUR_FIFTHS
from audit.evidence import HOLDS, MIN_OBSERVATIONS, NOT_ENOUGH, VIOLATED, Evidence, clopper_pearson
from audit.replay.verdicts import sample_advice
from audit.report.model import Doc, Finding, anchor, fmt_pct, fmt_ratio, group_label, is_number

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


def _too_few(doc: Doc, i: int, section: str, label: str, n: Any, what: str, stratum: str | None = None) -> Finding:
    """Not enough evidence: the finding would rest on ``n`` ``what`` (of ``stratum``); the option that gets enough."""
    n = int(n) if is_number(n) else 0
    _, advice = sample_advice(doc.get("scorers", i, section, "sample_size"), doc.get("population", "size"), n, size_flag="--size",
                              info=doc.get("scorers", i, section, "sample"), stratum=stratum)
    return Finding(text=f"{label}: not enough evidence on {what} — {n:,} in the replay sample, at least {MIN_OBSERVATIONS} "
                        f"needed for a finding; rerun with {advice}", anchor=anchor(i, section), level="info", scorer=label,
                   evidence=Evidence(outcome=NOT_ENOUGH, observed=n, what=what, needed=MIN_OBSERVATIONS, remedy=advice))


def _appeal_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    """Lowest against highest education: people remedied when wronged, else misrecorded events overturned."""
    groups = doc.get("scorers", i, "appeal", "by_education")
    if not isinstance(groups, list):
        return []
    groups = [g for g in groups if isinstance(g, dict)]
    where = anchor(i, "appeal")
    people = [(g.get("group"), g["remedied"] / g["n_wronged"], g["n_wronged"], g["remedied"]) for g in groups
              if is_number(g.get("n_wronged")) and g["n_wronged"] > 0 and is_number(g.get("remedied"))]
    if len(people) >= 2 and people[0][0] == groups[0].get("group") and people[-1][0] == groups[-1].get("group"):
        low, high = people[0], people[-1]
        if _small(min(low[2], high[2])):
            return [_too_few(doc, i, "appeal", label, min(low[2], high[2]), "appeals of wrongly sanctioned people by education",
                            "sanctioned")]
        what = "wrongly sanctioned people"
        text = (f"{label}: of people wrongly sanctioned, {_education(low[0])} get the sanction lifted on appeal "
                f"{_exact(int(low[3]), int(low[2]))}, {_education(high[0])} {_exact(int(high[3]), int(high[2]))}")
    else:
        events = [(g.get("group"), g["wrong_succeeded"] / g["wrong_events"], g["wrong_events"], g["wrong_succeeded"]) for g in groups
                  if is_number(g.get("wrong_events")) and g["wrong_events"] > 0 and is_number(g.get("wrong_succeeded"))]
        if len(events) < 2 or events[0][0] != groups[0].get("group") or events[-1][0] != groups[-1].get("group"):
            return []
        low, high = events[0], events[-1]
        if _small(min(low[2], high[2])):
            return [_too_few(doc, i, "appeal", label, min(low[2], high[2]), "appeals of misrecorded events by education")]
        what = "misrecorded adverse events"
        text = (f"{label}: misrecorded adverse events against {_education(low[0])} are overturned on appeal "
                f"{_exact(int(low[3]), int(low[2]))}, against {_education(high[0])} {_exact(int(high[3]), int(high[2]))}")
    concern = high[1] > 0 and low[1] < FOUR_FIFTHS * high[1]
    evidence = Evidence(outcome=VIOLATED if concern else HOLDS, observed=int(low[2] + high[2]), what=what)
    return [Finding(text=text, anchor=where, level="warning" if concern else "info", scorer=label, evidence=evidence)]


def _probe_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    """What the rule probes showed can happen, on constructed people (certain, not estimated)."""
    probes = doc.get("scorers", i, "spillover", "probes")
    if not isinstance(probes, dict):
        return []
    where = anchor(i, "spillover")
    if probes.get("available") is False:
        return [Finding(text=f"{label}: the rule probes could not run — {probes.get('reason', 'the scorer failed')}",
                        anchor=where, level="warning", scorer=label,
                        evidence=Evidence(outcome=NOT_ENOUGH, observed=0, what="constructed people (rule probes)"))]
    probe = Evidence(outcome=VIOLATED, observed=int(probes["people"]) if is_number(probes.get("people")) else 0,
                     what="constructed people (rule probes)")
    out = []
    doses = ", ".join(str(d) for d in probes.get("doses", []))
    if probes.get("conduct_matters") is False:
        out.append(Finding(text=f"{label} (rule probe): the output does not depend on recorded conduct — no record of any kind "
                                f"({doses} records) changed any score, tier or sanction of a constructed person; whoever is "
                                "sanctioned stays sanctioned whatever they do", anchor=where, level="violation", scorer=label, evidence=probe))
    spill = [w for w in probes.get("spillover", []) if isinstance(w, dict) and not w.get("related")]
    if spill:
        shown = "; ".join(f"{w['conduct_domain']} → {w['sanction_domain']} ({w['dose']} {w['kind']} record(s) alone impose "
                          f"{w['sanction']})" for w in spill[:4])
        more = f" and {len(spill) - 4} more pairs" if len(spill) > 4 else ""
        out.append(Finding(text=f"{label} (rule probe): conduct can lead to sanctions in unrelated parts of life — {shown}{more} "
                                "(can happen, shown on constructed people; EU AI Act Art. 5(1)(c))",
                           anchor=where, level="violation", scorer=label, evidence=probe))
    never = [w for w in probes.get("never_lifted", []) if isinstance(w, dict)]
    if never:
        last = max(probes.get("checkpoints", [0]) or [0])
        shown = "; ".join(f"{w['sanction']} after {w['dose']} {w['kind']} record(s)" for w in never[:4])
        more = f" and {len(never) - 4} more" if len(never) > 4 else ""
        out.append(Finding(text=f"{label} (rule probe): some sanctions can never be lifted within {last} months, doing nothing "
                                f"or the best feasible plan — {shown}{more} (can happen, shown on constructed people)",
                           anchor=anchor(i, "reversibility"), level="violation", scorer=label, evidence=probe))
    inv = [v for v in probes.get("inversions", []) if isinstance(v, dict)]
    if inv:
        shown = "; ".join(f"{v['lighter']} imposes {v['lighter_sanctions']} sanction(s), {v['graver']} {v['graver_sanctions']}"
                          for v in inv[:3])
        more = f" and {len(inv) - 3} more" if len(inv) > 3 else ""
        out.append(Finding(text=f"{label} (rule probe): lighter conduct can be punished harder than graver conduct — {shown}{more} "
                                "(can happen, shown on constructed people; disproportionate, EU AI Act Art. 5(1)(c))",
                           anchor=where, level="violation", scorer=label, evidence=probe))
    return out


def _reversibility_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    node = doc.get("scorers", i, "reversibility")
    if not isinstance(node, dict) or node.get("available") is False:
        return []
    out = []
    where = anchor(i, "reversibility")
    v, checked = node.get("overturn_violations"), node.get("overturn_checked")
    if is_number(v) and v > 0:
        of = f" of {checked:,}" if is_number(checked) else ""
        out.append(Finding(text=f"{label}: overturning an event did not restore the person's state in {v:,}{of} checks — "
                                "the scorer remembers overturned events", anchor=where, level="violation", scorer=label,
                           evidence=Evidence(outcome=VIOLATED, observed=int(checked) if is_number(checked) else int(v),
                                             what="overturn checks")))
    elif is_number(v) and _small(checked):
        out.append(_too_few(doc, i, "reversibility", label, checked, "whether an overturn restores state (replayed overturns)"))
    elif is_number(v) and is_number(checked):
        out.append(Finding(text=f"{label}: overturning an event restored the person's state in all {checked:,} checks",
                           anchor=where, level="ok", scorer=label,
                           evidence=Evidence(outcome=HOLDS, observed=int(checked), what="overturn checks")))
    absorbing = node["absorbing"] if isinstance(node.get("absorbing"), dict) else {}
    k, n = absorbing.get("precluded"), absorbing.get("sanctioned")
    if is_number(k) and is_number(n) and k > 0:
        if _small(n):
            out.append(_too_few(doc, i, "reversibility", label, n, f"how often sanctioned people are in an absorbing state "
                                                                   f"({int(k):,} of {int(n):,} are)", "sanctioned"))
        else:
            out.append(Finding(text=f"{label}: {_exact(int(k), int(n))} of sanctioned people in the replay sample are in an "
                                    "absorbing state: no feasible behaviour brings back a favourable, sanction-free tier",
                               anchor=where, level="violation", scorer=label,
                               evidence=Evidence(outcome=VIOLATED, observed=int(n), what="sanctioned people")))
    rec: dict[str, Any] = node["recovery"] if isinstance(node.get("recovery"), dict) else {}
    never, rn = rec.get("never_share"), rec.get("n")
    if is_number(never) and never > 0:
        horizon = rec.get("horizon_months", node.get("horizon_months"))
        within = f" within {horizon:g} months" if is_number(horizon) else ""
        if _small(rn):
            out.append(_too_few(doc, i, "reversibility", label, rn, "how many never recover from one penalty"))
        elif is_number(rn):  # not too few: a number
            out.append(Finding(text=f"{label}: {_exact(round(never * rn), int(rn))} of people who got one penalty never regain "
                                    f"their tier and a sanction-free state{within}, even with the best feasible behaviour",
                               anchor=where, level="warning", scorer=label,
                               evidence=Evidence(outcome=VIOLATED, observed=int(rn), what="people with a first penalty")))
    if isinstance(rec, dict):
        by = {g.get("group"): g for g in rec.get("by_income_quintile", []) if isinstance(g, dict)}
        poor, rich = by.get(1), by.get(5)
        if poor and rich and is_number(poor.get("median_months")) and is_number(rich.get("median_months")):
            if _small(min(poor.get("n") or 0, rich.get("n") or 0)):
                out.append(_too_few(doc, i, "reversibility", label, min(poor.get("n") or 0, rich.get("n") or 0),
                                    f"recovery of {_POOREST} and {_RICHEST} (people with a first penalty)"))
            else:
                out.append(Finding(text=f"{label}: after one penalty, people in {_POOREST} need {_months(poor['median_months'])} "
                                        f"(median, n={poor['n']:,}) of the best feasible behaviour to regain their tier, "
                                        f"people in {_RICHEST} {_months(rich['median_months'])} (n={rich['n']:,})",
                                   anchor=where, level="info", scorer=label))
    ratio = node.get("recourse_cost_ratio")
    if is_number(ratio) and ratio >= ADVERSE_RISK_CONCERN:
        sampled = node.get("sample_size")
        out.append(Finding(text=f"{label}: recourse costs people in {_POOREST} {fmt_ratio(ratio)} times what it costs people in "
                                f"{_RICHEST} (median cost of the cheapest feasible plan, in money and time valued by income)",
                           anchor=where, level="warning", scorer=label,
                           evidence=Evidence(outcome=VIOLATED, observed=int(sampled) if is_number(sampled) else 0,
                                             what="people in the replay sample")))
    caps = node.get("duration_cap_violations")
    if is_number(caps) and caps > 0:
        checked, cap = node.get("duration_checked"), node.get("duration_cap_months")
        of = f" of {checked:,} sanctioned people checked" if is_number(checked) else " sanctioned people"
        limit = f" of {cap:g} months" if is_number(cap) else ""
        out.append(Finding(text=f"{label}: {caps:,}{of} stay sanctioned longer than the longest statutory period{limit}",
                           anchor=where, level="violation", scorer=label,
                           evidence=Evidence(outcome=VIOLATED, observed=int(checked) if is_number(checked) else int(caps),
                                             what="sanctioned people")))
    return out


def _proportionality_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    flags = doc.get("scorers", i, "spillover", "proportionality", "flags")
    if not isinstance(flags, list):
        return []
    strong = [f for f in flags if isinstance(f, dict) and f.get("significant") is True]
    if not strong:
        return []
    shown = "; ".join(f"{f.get('kind')} ({f.get('gravity')}) outweighs {f.get('heavier_than')} ({f.get('heavier_than_gravity')})"
                      for f in strong[:3])
    more = f" and {len(strong) - 3} more" if len(strong) > 3 else ""
    return [Finding(text=f"{label}: lighter conduct brings heavier sanctions than graver conduct — {shown}{more} "
                         "(disproportionate to gravity, EU AI Act Art. 5(1)(c))",
                    anchor=anchor(i, "spillover"), level="violation", scorer=label,
                    evidence=Evidence(outcome=VIOLATED, observed=len(strong), what="significant gravity inversions"))]


def _spillover_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    out = _probe_findings(doc, i, label) + _proportionality_findings(doc, i, label)
    node = doc.get("scorers", i, "spillover")
    if not isinstance(node, dict):
        return out
    k, n = node.get("unrelated_sanctions"), node.get("sanctions")
    if not is_number(n) or n == 0:
        return out + ([_too_few(doc, i, "spillover", label, 0, "how often sanctions fall in an unrelated domain (sanctions)",
                                "sanctioned")]
                      if is_number(node.get("sample_size")) else [])
    people = node.get("sanctioned_people")
    if is_number(people) and _small(people):  # sanctions cluster by person: the evidence is the people
        return out + [_too_few(doc, i, "spillover", label, people, "how often sanctions fall in an unrelated domain "
                               f"({int(n):,} sanctions of sanctioned people)", "sanctioned")]
    if _small(n) or not is_number(k):
        return out + [_too_few(doc, i, "spillover", label, n, "how often sanctions fall in an unrelated domain (sanctions)",
                               "sanctioned")]
    ci = node.get("unrelated_share_ci")
    if isinstance(ci, list) and len(ci) == 2 and all(is_number(v) for v in ci) and ci[1] > ci[0]:
        share = f"{fmt_pct(k / n)} ({int(k):,} of {int(n):,} sanctions; 95% CI {fmt_pct(ci[0])}–{fmt_pct(ci[1])}, people resampled)"
    else:
        share = _exact(int(k), int(n))
    if k > 0:
        return out + [Finding(text=f"{label}: {share} of sanctions in the replay sample restrict a part of life unrelated to the "
                                   "conduct that caused them — detriment in an unrelated context (EU AI Act Art. 5(1)(c))",
                              anchor=anchor(i, "spillover"), level="violation", scorer=label,
                              evidence=Evidence(outcome=VIOLATED, observed=int(n), what="sanctions"))]
    return out + [Finding(text=f"{label}: no sanction in the replay sample falls in a domain unrelated to the conduct that caused "
                               f"it: {share}", anchor=anchor(i, "spillover"), level="ok", scorer=label,
                              evidence=Evidence(outcome=HOLDS, observed=int(n), what="sanctions"))]


def _contagion_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    node = doc.get("scorers", i, "contagion")
    if not isinstance(node, dict) or node.get("applicable") is False:
        return []
    overall: dict[str, Any] = node["overall"] if isinstance(node.get("overall"), dict) else node
    share, change, n = overall.get("tier_change_share"), overall.get("mean_score_change"), overall.get("n")
    if (is_number(share) and share > 0) or (is_number(change) and change != 0):
        if is_number(n) and _small(n):
            return [_too_few(doc, i, "contagion", label, n, "how a friend's penalty moves a person (people with a friend)")]
    if is_number(share) and share > 0:
        shown = _exact(round(share * n), int(n)) if is_number(n) else fmt_pct(share)
        return [Finding(text=f"{label}: a friend's penalty moves {shown} of people to a worse tier",
                        anchor=anchor(i, "contagion"), level="warning", scorer=label,
                        evidence=Evidence(outcome=VIOLATED, observed=int(n) if is_number(n) else 0, what="people with a friend"))]
    if is_number(change) and change != 0:
        return [Finding(text=f"{label}: a friend's penalty changes a person's own score by {change:+.2f} points on average"
                             f"{_ci_text(overall.get('mean_score_change_ci'), lambda x: f'{x:+.2f}')}, though no one's tier "
                             "changes", anchor=anchor(i, "contagion"), level="info", scorer=label)]
    if is_number(n) and _small(n):
        return [_too_few(doc, i, "contagion", label, n, "how a friend's penalty moves a person (people with a friend)")]
    if is_number(n):
        return [Finding(text=f"{label}: a friend's penalty moves no one to a worse tier or changes anyone's score "
                             f"({int(n):,} people with a friend)", anchor=anchor(i, "contagion"), level="ok", scorer=label,
                        evidence=Evidence(outcome=HOLDS, observed=int(n), what="people with a friend"))]
    return []


def replay_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    """Every replay-audit finding of scorer ``i`` (unsorted)."""
    return (_appeal_findings(doc, i, label) + _reversibility_findings(doc, i, label) + _spillover_findings(doc, i, label)
            + _contagion_findings(doc, i, label))
