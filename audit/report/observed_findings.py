"""Findings of the observed-outcome audit: is error-rate parity (equalized odds) met, with intervals?

fairlearn's ``equalized_odds_ratio`` is the smaller of two ratios over the
groups eligible for ratios: lowest true-positive rate ÷ highest, and lowest
false-positive rate ÷ highest. No law sets a threshold for error rates; this
harness applies the four-fifths threshold it uses for every other ratio
(EEOC Uniform Guidelines, 29 CFR 1607.4(D): 0.8), as an assumption stated in
the finding, and decides with the same intervals as the impact ratios
(:func:`audit.disparity.ratio_intervals.ratio_intervals`: Katz log intervals
over every pair of groups, Bonferroni over the pairs). Per attribute:

- violated: for the true- or the false-positive rate, the upper bound of the
  lowest ratio is under 0.8;
- holds: for both rates, the lower bound of the lowest ratio is 0.8 or more;
- not enough evidence otherwise, and when fewer than two groups are
  eligible, an eligible group has fewer than
  :data:`~audit.evidence.MIN_OBSERVATIONS` people with (or without) the
  outcome, or the highest rate rests on fewer than
  :data:`~audit.evidence.MIN_REFERENCE_EVENTS` events.

A violated check is a concern (``warning``), not a broken rule, since the
threshold is this harness's assumption. The counts behind each rate are read back exactly from the results document:
a group's true positives are its true-positive rate times its people with
the outcome, its false positives its false-positive rate times its people
without it.
"""

from __future__ import annotations

from typing import Literal

from audit.disparity.ratio_intervals import ratio_intervals
from audit.evidence import HOLDS, MIN_OBSERVATIONS, MIN_REFERENCE_EVENTS, NOT_ENOUGH, VIOLATED, Evidence
from audit.power import observations_to_decide
from audit.report.model import Finding, anchor, fmt_ratio, is_number
from audit.report.replay_findings import FOUR_FIFTHS
from audit.results.model import ObservedAttribute, ObservedGroup, ScorerEntry, observed_attribute

__all__ = ["equalized_odds_evidence", "observed_findings"]

RateKey = Literal["true_positive_rate", "false_positive_rate"]
_RATES: tuple[tuple[RateKey, str, str], ...] = (
    ("true_positive_rate", "true-positive", "positives"), ("false_positive_rate", "false-positive", "negatives"))


def _counts(groups: list[ObservedGroup], metric: RateKey, base: str) -> tuple[list[int], list[int], list[bool]]:
    """Events, people and eligibility per group for ``metric`` (its denominator: people with / without the outcome)."""
    yes, n, ok = [], [], []
    for g in groups:
        pos, total, r = g["positives"], g["n"], g[metric]
        den = pos if base == "positives" else total - pos
        fine = is_number(r) and den > 0 and not g["excluded_from_ratios"]
        yes.append(round(float(r) * den) if isinstance(r, (int, float)) and fine else 0)
        n.append(den)
        ok.append(bool(fine))
    return yes, n, ok


def equalized_odds_evidence(node: ObservedAttribute) -> tuple[Evidence, dict[str, tuple[float, float, float]]]:
    """The verdict for one attribute's observed-outcome entry, and per rate its lowest ratio with its 95% interval."""
    groups = node["groups"] if "groups" in node else []
    people = int(sum(g["n"] for g in groups) + node["unknown_n"])
    ratios: dict[str, tuple[float, float, float]] = {}
    small = False
    for metric, _, base in _RATES:
        yes, n, ok = _counts(groups, metric, base)
        if sum(ok) < 2:
            return Evidence(outcome=NOT_ENOUGH, observed=people, what="people", remedy=None), ratios
        small = small or any(k < MIN_OBSERVATIONS for k, e in zip(n, ok) if e)
        ri = ratio_intervals(yes, n, ok, to="highest")
        if ri.reference_events is None or ri.reference_events < MIN_REFERENCE_EVENTS or not is_number(ri.extreme):
            small = True
            continue
        ratios[metric] = (float(ri.extreme), float(ri.extreme_lo), float(ri.extreme_hi))
    if small:  # too few people in a group, or too few events in the reference, for either verdict
        return Evidence(outcome=NOT_ENOUGH, observed=people, what="people"), ratios
    if any(hi < FOUR_FIFTHS for _, _, hi in ratios.values()):
        return Evidence(outcome=VIOLATED, observed=people, what="people"), ratios
    if all(lo >= FOUR_FIFTHS for _, lo, _ in ratios.values()):
        return Evidence(outcome=HOLDS, observed=people, what="people"), ratios
    # the undecided rate with the lowest ratio says how many people would decide it
    est, lo, hi = min((r for r in ratios.values() if r[1] < FOUR_FIFTHS), key=lambda r: r[0])
    need = observations_to_decide(people, est, (lo, hi), FOUR_FIFTHS)
    return Evidence(outcome=NOT_ENOUGH, observed=people, what="people", needed=need,
                    remedy=f"--size {need:,}" if need is not None else None), ratios


def _ratio_text(ratios: dict[str, tuple[float, float, float]]) -> str:
    return "; ".join(f"{words} rates {fmt_ratio(r[0])} (95% CI {fmt_ratio(r[1])}–{fmt_ratio(r[2])})"
                     for metric, words, _ in _RATES if (r := ratios.get(metric)) is not None)


def observed_findings(scorer: ScorerEntry, i: int, label: str) -> list[Finding]:
    """One finding per audited attribute of scorer ``i``'s observed-outcome section (none when it has no error rates)."""
    if "observed_outcome" not in scorer or not scorer["observed_outcome"]["available"]:
        return []
    node = scorer["observed_outcome"]
    column = node["outcome_column"]
    out: list[Finding] = []
    for attr in node["attributes"]:
        entry = observed_attribute(node, attr)
        if "groups" not in entry:
            continue
        ev, ratios = equalized_odds_evidence(entry)
        head = f"{label}: by {str(attr).replace('_', ' ')}, error rates against the observed outcome ({column})"
        detail = _ratio_text(ratios)
        detail = f": lowest ÷ highest group's {detail}" if detail else ""
        if ev.outcome == VIOLATED:
            text = f"{head} differ{detail} — equalized odds violated (a ratio under 0.8, the four-fifths threshold)"
        elif ev.outcome == HOLDS:
            text = f"{head} are within four-fifths of each other{detail} — equalized odds holds"
        else:
            why = "an interval straddles 0.8" if ev.needed is not None or (len(ratios) == len(_RATES) and not _too_few(entry)) \
                else (f"fewer than two groups are eligible, a group has fewer than {MIN_OBSERVATIONS} people with or without "
                      f"the outcome, or the highest rate rests on fewer than {MIN_REFERENCE_EVENTS} events")
            text = f"{head}{detail} — not enough evidence on equalized odds: {why}"
        level: Literal["warning", "ok"] = "ok" if ev.outcome == HOLDS else "warning"  # a concern, not a broken rule
        out.append(Finding(text=text, anchor=f"{anchor(i, 'observed-outcome')}-{attr}", level=level, scorer=label, evidence=ev))
    return out


def _too_few(entry: ObservedAttribute) -> bool:
    """True when some eligible group is too small for an equalized-odds verdict."""
    for metric, _, base in _RATES:
        _, n, ok = _counts(entry["groups"] if "groups" in entry else [], metric, base)
        if sum(ok) < 2 or any(k < MIN_OBSERVATIONS for k, e in zip(n, ok) if e):
            return True
    return False
