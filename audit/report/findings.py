"""Findings in plain words, each linked to the table or figure that shows it.

A finding is one sentence a regulator or a journalist can quote, e.g.
"suining: the poorest fifth reach tier A or B at 0.61 times the rate of the
richest fifth (95% CI 0.58–0.64) — a four-fifths violation; loan_arrears
drives 70% of the gap". Findings are read from the results document only
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

Replay findings come in two kinds. Rule probes (``spillover.probes``,
marked "rule probe") say what *can* happen, shown with certainty on
constructed people. Population findings say *how often* it happens in the
replay sample, with exact (Clopper–Pearson) intervals, and only when they
rest on at least :data:`audit.evidence.MIN_OBSERVATIONS` people (or
sanctions, or overturns); below that a finding says "not enough evidence"
and names the ``--audit-replay-sample`` that would give enough.
"""

from __future__ import annotations

from typing import Any

from audit.evidence import MIN_OBSERVATIONS, MIN_REFERENCE_EVENTS, clopper_pearson
from audit.power import observations_to_decide
from audit.replay.verdicts import sample_advice
from audit.report.model import Doc, Finding, anchor, fmt_pct, fmt_ratio, is_number

__all__ = ["ADVERSE_RISK_CONCERN", "FOUR_FIFTHS", "build_findings", "describe_group"]

#: EEOC four-fifths rule, 29 CFR 1607.4(D).
FOUR_FIFTHS = 0.8
#: Relative risk of sanction treated as a concern: the four-fifths rule read for adverse outcomes (assumption).
ADVERSE_RISK_CONCERN = 1 / FOUR_FIFTHS

_QUINTILES = {1: "the poorest fifth", 2: "the second-poorest fifth", 3: "the middle fifth",
              4: "the second-richest fifth", 5: "the richest fifth"}
_EDUCATION = {"primary_or_less": "people with primary education or less", "junior_secondary": "people with junior secondary education",
              "senior_secondary": "people with senior secondary education", "tertiary": "people with tertiary education"}
_ATTR_WORDS = {"income_quintile": "income", "education": "education", "income_quintile×education": "income and education"}
_LEVEL_ORDER = {"violation": 0, "warning": 1, "info": 2, "ok": 3}


def describe_group(attr: str, group: Any) -> str:
    """Plain words for a group: ``("income_quintile", 1)`` -> "the poorest fifth"."""
    if isinstance(group, list) and len(group) == 2 and attr == "income_quintile×education":
        q = _QUINTILES.get(group[0], f"income quintile {group[0]}")
        edu = str(group[1]).replace("_", " ")
        return f"{q} with {edu} education" if group[1] != "primary_or_less" else f"{q} with primary education or less"
    if attr == "income_quintile" and group in _QUINTILES:
        return _QUINTILES[group]
    if attr == "education" and group in _EDUCATION:
        return _EDUCATION[group]
    if isinstance(group, list):
        return "the " + " × ".join(str(g) for g in group) + " group"
    return f"the {attr.replace('_', ' ')} {group} group"


def _ci_text(ci: Any, fmt: Any = fmt_ratio, *, bare: bool = False) -> str:
    if isinstance(ci, list) and len(ci) == 2 and all(is_number(v) for v in ci):
        dash = " to " if min(ci) < 0 else "–"
        text = f"95% CI {fmt(ci[0])}{dash}{fmt(ci[1])}"
        return text if bare else f" ({text})"
    return ""


def _months(x: float) -> str:
    return f"{x:g} month" + ("" if x == 1 else "s")


def _tiers_text(doc: Doc, i: int) -> str:
    fav = doc.get("scorers", i, "favourable_tiers")
    if isinstance(fav, list) and fav:
        names = [str(t) for t in fav]
        return "tier " + (f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0])
    return "a favourable tier"


def _population(node: dict[str, Any]) -> int:
    return int(sum(g.get("n") or 0 for g in node.get("groups", []) if isinstance(g, dict)) + (node.get("unknown_n") or 0))


def _not_enough_text(node: dict[str, Any], ratio: float, ci: Any) -> str:
    """How much evidence a four-fifths call rests on and, where the population size decides it, what would settle it."""
    if node.get("impact_ratio_unstable"):
        k = node.get("reference_events")
        return (f" — not enough evidence: the reference group has only {k} favourable outcome(s), under the "
                f"{MIN_REFERENCE_EVENTS} a ratio must rest on, so the ratio is unstable")
    groups = [g for g in node.get("groups", []) if isinstance(g, dict) and not g.get("excluded_from_ratios")]
    small = [g for g in groups if is_number(g.get("n")) and g["n"] < MIN_OBSERVATIONS]
    if small or len(groups) < 2:
        return (f" — not enough evidence: {len(small)} of {len(groups)} group(s) eligible for ratios have fewer than "
                f"{MIN_OBSERVATIONS} people")
    text = " — not enough evidence: the interval straddles 0.8"
    total = _population(node)
    if isinstance(ci, list) and len(ci) == 2 and all(is_number(v) for v in ci) and total:
        need = observations_to_decide(total, ratio, ci, FOUR_FIFTHS)
        if need is None:
            text += f"; rests on {total:,} people and no practical population size decides it (the estimate is on or next to 0.8)"
        else:
            text += f"; rests on {total:,} people, about {need:,} would decide it (rerun with --size {need:,})"
    return text


def _driver_text(driver: Any) -> str:
    if not isinstance(driver, dict):
        return ""
    if driver.get("rule") and is_number(driver.get("share_of_gap")):
        share = driver["share_of_gap"]
        text = f"; {driver['rule']} drives {fmt_pct(share, 0)} of the gap"
        if share > 1:
            text += " (over 100%: other rules narrow the gap)"
        return text
    largest, share, remains = driver.get("largest_rule"), driver.get("largest_share"), driver.get("remaining_share")
    if largest and is_number(share):
        text = f"; no rule explains most of the gap (the largest, {largest}, explains {fmt_pct(share, 0)}"
        if is_number(remains):
            text += f"; {fmt_pct(remains, 0)} of the gap remains with every rule's events removed"
        return text + ")"
    return ""


def _disparity_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    out: list[Finding] = []
    section = doc.get("scorers", i, "disparity")
    if not isinstance(section, dict):
        return out
    for attr, node in section.items():
        if not isinstance(node, dict) or not isinstance(node.get("groups"), list):
            continue
        ratio = node.get("min_impact_ratio")
        if not is_number(ratio):
            continue
        verdict = node.get("four_fifths_verdict")
        if verdict not in ("violation", "no violation", "inconclusive"):
            verdict = "violation" if node.get("four_fifths_violation") or ratio < FOUR_FIFTHS else "no violation"
        if attr not in ("income_quintile", "education") and verdict == "no violation":
            continue
        worst = node.get("worst_group")
        if worst is None:
            rated = [g for g in node["groups"] if isinstance(g, dict) and is_number(g.get("impact_ratio"))]
            worst = min(rated, key=lambda g: g["impact_ratio"])["group"] if rated else None
        ref = node.get("reference_group")
        where = anchor(i, "disparity", attr)
        if verdict == "no violation":
            ci = _ci_text(node.get("min_impact_ratio_ci"), bare=True)
            out.append(Finding(
                text=f"{label}: by {_ATTR_WORDS.get(attr, attr)}, every group reaches {_tiers_text(doc, i)} at 0.8 or more "
                     f"times the rate of the best-off group (lowest {fmt_ratio(ratio)}, {describe_group(attr, worst)}"
                     f"{'; ' + ci if ci else ''}) — no four-fifths violation",
                anchor=where, level="ok", scorer=label))
            continue
        text = (f"{label}: {describe_group(attr, worst)} reach {_tiers_text(doc, i)} at {fmt_ratio(ratio)} times the rate of "
                f"{describe_group(attr, ref)}{_ci_text(node.get('min_impact_ratio_ci'))}")
        if verdict == "violation":
            text += " — a four-fifths violation"
        else:
            text += _not_enough_text(node, float(ratio), node.get("min_impact_ratio_ci"))
        text += _driver_text(node.get("driver"))
        out.append(Finding(text=text, anchor=where, level="violation" if verdict == "violation" else "warning", scorer=label))
    for attr, node in section.items():
        if isinstance(node, dict) and isinstance(node.get("groups"), list):
            out.extend(_relative_risk_findings(node, attr, i, label))
    return out


def _relative_risk_findings(node: dict[str, Any], attr: str, i: int, label: str) -> list[Finding]:
    """Groups sanctioned 1.25 times as often as the least-sanctioned: violated, not enough evidence, or unstable."""
    risky = [g for g in node.get("groups", []) if isinstance(g, dict) and is_number(g.get("adverse_relative_risk"))
             and not g.get("excluded_from_ratios")]
    if not risky:
        return []
    top = max(risky, key=lambda g: g["adverse_relative_risk"])
    rr = top["adverse_relative_risk"]
    if rr < ADVERSE_RISK_CONCERN:
        return []
    ref = node.get("adverse_reference_group")
    ref_text = f" {describe_group(attr, ref)}" if ref is not None else " the least-sanctioned group"
    where = anchor(i, "disparity", attr)
    head = f"{label}: {describe_group(attr, top['group'])} are sanctioned {fmt_ratio(rr)} times as often as{ref_text}"
    if node.get("adverse_relative_risk_unstable"):
        k = node.get("adverse_reference_events")
        people = "person" if k == 1 else "people"
        return [Finding(text=f"{head} — unstable, not a finding: the least-sanctioned group has only {k} sanctioned "
                             f"{people}, under the {MIN_REFERENCE_EVENTS} a ratio must rest on", anchor=where, level="info",
                        scorer=label)]
    ci = top.get("adverse_relative_risk_ci")
    lo = ci[0] if isinstance(ci, list) and len(ci) == 2 and is_number(ci[0]) else None
    hi = ci[1] if isinstance(ci, list) and len(ci) == 2 else None
    ci_text = f" (95% CI {fmt_ratio(lo)}–{fmt_ratio(hi) if is_number(hi) else 'unbounded'})" if lo is not None else ""
    if lo is not None and lo < ADVERSE_RISK_CONCERN:
        return [Finding(text=f"{head}{ci_text} — not enough evidence that it reaches {ADVERSE_RISK_CONCERN:g}: the interval "
                             "straddles it", anchor=where, level="info", scorer=label)]
    return [Finding(text=head + ci_text, anchor=where, level="warning", scorer=label)]


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
                        f"needed for a finding; rerun with {advice}", anchor=anchor(i, section), level="info", scorer=label)


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
        text = (f"{label}: of people wrongly sanctioned, {describe_group('education', low[0])} get the sanction lifted on appeal "
                f"{_exact(int(low[3]), int(low[2]))}, {describe_group('education', high[0])} {_exact(int(high[3]), int(high[2]))}")
    else:
        events = [(g.get("group"), g["wrong_succeeded"] / g["wrong_events"], g["wrong_events"], g["wrong_succeeded"]) for g in groups
                  if is_number(g.get("wrong_events")) and g["wrong_events"] > 0 and is_number(g.get("wrong_succeeded"))]
        if len(events) < 2 or events[0][0] != groups[0].get("group") or events[-1][0] != groups[-1].get("group"):
            return []
        low, high = events[0], events[-1]
        if _small(min(low[2], high[2])):
            return [_too_few(doc, i, "appeal", label, min(low[2], high[2]), "appeals of misrecorded events by education")]
        text = (f"{label}: misrecorded adverse events against {describe_group('education', low[0])} are overturned on appeal "
                f"{_exact(int(low[3]), int(low[2]))}, against {describe_group('education', high[0])} {_exact(int(high[3]), int(high[2]))}")
    concern = high[1] > 0 and low[1] < FOUR_FIFTHS * high[1]
    return [Finding(text=text, anchor=where, level="warning" if concern else "info", scorer=label)]


def _probe_findings(doc: Doc, i: int, label: str) -> list[Finding]:
    """What the rule probes showed can happen, on constructed people (certain, not estimated)."""
    probes = doc.get("scorers", i, "spillover", "probes")
    if not isinstance(probes, dict):
        return []
    where = anchor(i, "spillover")
    if probes.get("available") is False:
        return [Finding(text=f"{label}: the rule probes could not run — {probes.get('reason', 'the scorer failed')}",
                        anchor=where, level="warning", scorer=label)]
    out = []
    doses = ", ".join(str(d) for d in probes.get("doses", []))
    if probes.get("conduct_matters") is False:
        out.append(Finding(text=f"{label} (rule probe): the output does not depend on recorded conduct — no record of any kind "
                                f"({doses} records) changed any score, tier or sanction of a constructed person; whoever is "
                                "sanctioned stays sanctioned whatever they do", anchor=where, level="violation", scorer=label))
    spill = [w for w in probes.get("spillover", []) if isinstance(w, dict) and not w.get("related")]
    if spill:
        shown = "; ".join(f"{w['conduct_domain']} → {w['sanction_domain']} ({w['dose']} {w['kind']} record(s) alone impose "
                          f"{w['sanction']})" for w in spill[:4])
        more = f" and {len(spill) - 4} more pairs" if len(spill) > 4 else ""
        out.append(Finding(text=f"{label} (rule probe): conduct can lead to sanctions in unrelated parts of life — {shown}{more} "
                                "(can happen, shown on constructed people; EU AI Act Art. 5(1)(c))",
                           anchor=where, level="violation", scorer=label))
    never = [w for w in probes.get("never_lifted", []) if isinstance(w, dict)]
    if never:
        last = max(probes.get("checkpoints", [0]) or [0])
        shown = "; ".join(f"{w['sanction']} after {w['dose']} {w['kind']} record(s)" for w in never[:4])
        more = f" and {len(never) - 4} more" if len(never) > 4 else ""
        out.append(Finding(text=f"{label} (rule probe): some sanctions can never be lifted within {last} months, doing nothing "
                                f"or the best feasible plan — {shown}{more} (can happen, shown on constructed people)",
                           anchor=anchor(i, "reversibility"), level="violation", scorer=label))
    inv = [v for v in probes.get("inversions", []) if isinstance(v, dict)]
    if inv:
        shown = "; ".join(f"{v['lighter']} imposes {v['lighter_sanctions']} sanction(s), {v['graver']} {v['graver_sanctions']}"
                          for v in inv[:3])
        more = f" and {len(inv) - 3} more" if len(inv) > 3 else ""
        out.append(Finding(text=f"{label} (rule probe): lighter conduct can be punished harder than graver conduct — {shown}{more} "
                                "(can happen, shown on constructed people; disproportionate, EU AI Act Art. 5(1)(c))",
                           anchor=where, level="violation", scorer=label))
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
                                "the scorer remembers overturned events", anchor=where, level="violation", scorer=label))
    elif is_number(v) and _small(checked):
        out.append(_too_few(doc, i, "reversibility", label, checked, "whether an overturn restores state (replayed overturns)"))
    elif is_number(v) and is_number(checked):
        out.append(Finding(text=f"{label}: overturning an event restored the person's state in all {checked:,} checks",
                           anchor=where, level="ok", scorer=label))
    absorbing = node["absorbing"] if isinstance(node.get("absorbing"), dict) else {}
    k, n = absorbing.get("precluded"), absorbing.get("sanctioned")
    if is_number(k) and is_number(n) and k > 0:
        if _small(n):
            out.append(_too_few(doc, i, "reversibility", label, n, f"how often sanctioned people are in an absorbing state "
                                                                   f"({int(k):,} of {int(n):,} are)", "sanctioned"))
        else:
            out.append(Finding(text=f"{label}: {_exact(int(k), int(n))} of sanctioned people in the replay sample are in an "
                                    "absorbing state: no feasible behaviour brings back a favourable, sanction-free tier",
                               anchor=where, level="violation", scorer=label))
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
                               anchor=where, level="warning", scorer=label))
    if isinstance(rec, dict):
        by = {g.get("group"): g for g in rec.get("by_income_quintile", []) if isinstance(g, dict)}
        poor, rich = by.get(1), by.get(5)
        if poor and rich and is_number(poor.get("median_months")) and is_number(rich.get("median_months")):
            if _small(min(poor.get("n") or 0, rich.get("n") or 0)):
                out.append(_too_few(doc, i, "reversibility", label, min(poor.get("n") or 0, rich.get("n") or 0),
                                    "recovery of the poorest and richest fifths (people with a first penalty)"))
            else:
                out.append(Finding(text=f"{label}: after one penalty, the poorest fifth need {_months(poor['median_months'])} "
                                        f"(median, n={poor['n']:,}) of the best feasible behaviour to regain their tier, the "
                                        f"richest fifth {_months(rich['median_months'])} (n={rich['n']:,})",
                                   anchor=where, level="info", scorer=label))
    ratio = node.get("recourse_cost_ratio")
    if is_number(ratio) and ratio >= ADVERSE_RISK_CONCERN:
        out.append(Finding(text=f"{label}: recourse costs the poorest fifth {fmt_ratio(ratio)} times what it costs the richest fifth "
                                "(median cost of the cheapest feasible plan, in money and time valued by income)",
                           anchor=where, level="warning", scorer=label))
    caps = node.get("duration_cap_violations")
    if is_number(caps) and caps > 0:
        checked, cap = node.get("duration_checked"), node.get("duration_cap_months")
        of = f" of {checked:,} sanctioned people checked" if is_number(checked) else " sanctioned people"
        limit = f" of {cap:g} months" if is_number(cap) else ""
        out.append(Finding(text=f"{label}: {caps:,}{of} stay sanctioned longer than the longest statutory period{limit}",
                           anchor=where, level="violation", scorer=label))
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
                    anchor=anchor(i, "spillover"), level="violation", scorer=label)]


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
                              anchor=anchor(i, "spillover"), level="violation", scorer=label)]
    return out + [Finding(text=f"{label}: no sanction in the replay sample falls in a domain unrelated to the conduct that caused "
                               f"it: {share}", anchor=anchor(i, "spillover"), level="ok", scorer=label)]


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
                        anchor=anchor(i, "contagion"), level="warning", scorer=label)]
    if is_number(change) and change != 0:
        return [Finding(text=f"{label}: a friend's penalty changes a person's own score by {change:+.2f} points on average"
                             f"{_ci_text(overall.get('mean_score_change_ci'), lambda x: f'{x:+.2f}')}, though no one's tier "
                             "changes", anchor=anchor(i, "contagion"), level="info", scorer=label)]
    return []


def build_findings(results: dict[str, Any], published: dict[str, Any] | None = None) -> list[Finding]:
    """Every finding for a results document, most serious first (stable within a level)."""
    doc = Doc(results, "results")
    scorers = doc.get("scorers")
    out: list[Finding] = []
    if not isinstance(scorers, list):
        return out
    for i, s in enumerate(scorers):
        if not isinstance(s, dict):
            continue
        label = str(s.get("label", s.get("name", f"scorer {i + 1}")))
        if s.get("status") == "failed" or s.get("error"):
            out.append(Finding(text=f"{label}: could not be audited — {s.get('error', 'the scorer failed')}",
                               anchor=anchor(i), level="violation", scorer=label))
            continue
        for part in (_disparity_findings, _appeal_findings, _reversibility_findings, _spillover_findings, _contagion_findings):
            out.extend(part(doc, i, label))
    if published is None and doc.get("population", "synthetic") is False:
        out.append(Finding(text="figures in this report are exact and private: nothing was published with differential privacy "
                                "(run with --epsilon to publish)", anchor="published", level="info"))
    return sorted(out, key=lambda f: _LEVEL_ORDER.get(f.level, 9))

