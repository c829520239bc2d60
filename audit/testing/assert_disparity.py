"""Four-fifths assertions on a scorer's disparity results (re-exported by :mod:`audit.testing.assertions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from audit.audited import (
    decide_text,
    evidence_for,
    fmt,
    fmt_ci,
    fmt_group,
    indent_lines,
    is_number,
    population_size,
    read_result,
    verdict,
)
from audit.errors import InvalidArgument
from audit.evidence import MIN_OBSERVATIONS, MIN_REFERENCE_EVENTS, NOT_ENOUGH, VIOLATED
from audit.testing.sections import attribute_of, disparity_of

__all__ = ["FOUR_FIFTHS", "assert_four_fifths"]

#: EEOC Uniform Guidelines, 29 CFR 1607.4(D): a selection rate under four-fifths
#: of the highest group's is generally evidence of adverse impact.
FOUR_FIFTHS = 0.8


# ----------------------------------------------------------------------------- disparity


def assert_four_fifths(
    result: Any,
    by: str = "income_quintile",
    *,
    threshold: float = FOUR_FIFTHS,
    ratio: Literal["impact_ratio", "scoring_impact_ratio"] = "impact_ratio",
    label: str | None = None,
) -> None:
    """Every group's impact ratio is at least four-fifths of the best group's.

    Parameters
    ----------
    result
        The audit results (see :func:`audited_sections`).
    by : str
        Attribute of the disparity section: ``income_quintile``, ``education``,
        ``income_quintile×education`` or a ``--by`` attribute.
    threshold : float
        Lowest acceptable ratio (0.8: EEOC four-fifths rule, 29 CFR 1607.4(D)).
    ratio : {"impact_ratio", "scoring_impact_ratio"}
        Favourable-tier rate ratio, or the NYC LL144 scoring-rate ratio (share
        scoring above the population median).
    label : str, optional
        The scorer, when ``result`` holds several.

    Raises
    ------
    AssertionError
        When a group's ratio is under the threshold, or its 95% interval
        straddles it (with the population that would decide it). Groups
        excluded from ratios (under 2% of people, NYC LL144) are listed but
        never fail.
    """
    __tracebackhide__ = True
    if not (is_number(threshold) and 0.0 < threshold <= 1.0):
        raise InvalidArgument(f"threshold={threshold!r}; give a ratio in (0, 1], e.g. 0.8 (the four-fifths rule)")
    if ratio not in ("impact_ratio", "scoring_impact_ratio"):
        raise InvalidArgument(f"ratio={ratio!r}; use 'impact_ratio' or 'scoring_impact_ratio'")
    a = read_result(result, label)
    node = attribute_of(a, disparity_of(a), by)
    rate_key = "favourable_rate" if ratio == "impact_ratio" else "scoring_rate"
    ref = node.get("reference_group" if ratio == "impact_ratio" else "scoring_reference_group")
    ref_g = next((g for g in node["groups"] if g.get("group") == ref), None)
    total = population_size(a)
    overall = _overall_four_fifths(node, ratio, threshold)
    failures, unsure, excluded, undefined, rated, observed = [], [], [], [], 0, 0
    for g in node["groups"]:
        name = fmt_group(g.get("group"))
        if g.get("excluded_from_ratios"):
            excluded.append(f"{name} (n={g.get('n', 0):,})")
            continue
        value, ci = (
            (g.get("impact_ratio"), g.get("impact_ratio_ci")) if ratio == "impact_ratio"
            else (g.get("scoring_impact_ratio"), g.get("scoring_impact_ratio_ci"))
        )
        if not is_number(value):
            undefined.append(name)
            continue
        rated += 1
        n = int(g.get("n") or 0)
        detail = (f"{name}: {ratio.replace('_', ' ')} {fmt(value)}{fmt_ci(ci)}, {rate_key.replace('_', ' ')} "
                  f"{fmt(g.get(rate_key))}{fmt_ci(g.get(rate_key + '_ci'))}, n={n:,}")
        what = "people in this group"
        ev = evidence_for(n, float(value), ci, threshold, fail_above=False, what=what, total=total, option="--audit-size")
        observed += n
        if ev.outcome == NOT_ENOUGH and n < MIN_OBSERVATIONS:
            unsure.append(f"{detail} — not enough evidence: rests on {n:,} people, at least {MIN_OBSERVATIONS} are needed "
                          f"before a ratio can hold or be violated")
        elif ev.outcome == VIOLATED and overall == "inconclusive":
            unsure.append(f"{detail} — under {threshold:g} on its own, but not once the multiplicity of "
                          f"groups compared is controlled: the smallest ratio's interval{fmt_ci(node.get('min_impact_ratio_ci'))} "
                          f"straddles {threshold:g}")
        elif ev.outcome == VIOLATED:
            failures.append(f"{detail} — under {threshold:g}: violation")
        elif ev.outcome == NOT_ENOUGH:
            unsure.append(f"{detail} — inconclusive, interval straddles {threshold:g}: "
                          f"{decide_text(n, float(value), ci, threshold, total, what, option='--audit-size')}")
    lacking = _four_fifths_lacking(node, ratio, ref_g, rate_key, rated)
    if not failures and not unsure and not undefined and not lacking:
        return
    outcome = VIOLATED if failures else NOT_ENOUGH
    head = f"four-fifths rule by {by} fails for scorer {a.label!r} (threshold {threshold:g} × the reference group's rate"
    if ref_g is not None:
        head += f"; reference group {fmt_group(ref)}: {rate_key.replace('_', ' ')} {fmt(ref_g.get(rate_key))}{fmt_ci(ref_g.get(rate_key + '_ci'))}, n={ref_g.get('n', 0):,}"
    head += f"): {outcome}"
    parts = [head] + lacking
    if outcome == NOT_ENOUGH:
        parts.append(f"not enough evidence never passes: the verdict rests on {observed:,} people in groups eligible for ratios")
    if failures:
        parts.append(f"{len(failures)} group(s) below the threshold:\n" + indent_lines(failures))
    if unsure:
        parts.append(f"{len(unsure)} group(s) inconclusive (not enough evidence, which never passes):\n" + indent_lines(unsure))
    if undefined:
        parts.append("impact ratio undefined (no reference rate above 0) for: " + ", ".join(undefined))
    if excluded:
        parts.append("excluded from ratios as under 2% of people (NYC LL144): " + ", ".join(excluded))
    raise AssertionError("\n".join(parts))


def _overall_four_fifths(node: Mapping[str, Any], ratio: str, threshold: float) -> str | None:
    """The multiplicity-controlled verdict on the smallest impact ratio ('fail', 'pass', 'inconclusive'), if reported."""
    if ratio != "impact_ratio":
        return None
    value, ci = node.get("min_impact_ratio"), node.get("min_impact_ratio_ci")
    if not is_number(value) or not (isinstance(ci, Sequence) and len(ci) == 2):
        return None
    return verdict(float(value), ci, threshold, fail_above=False)


def _four_fifths_lacking(node: Mapping[str, Any], ratio: str, ref_g: Mapping[str, Any] | None, rate_key: str,
                         rated: int) -> list[str]:
    """Why the check as a whole has not enough evidence: too few groups, or a reference group with too few events."""
    out = []
    if rated < 2:
        small = [g for g in node["groups"] if g.get("excluded_from_ratios") and (g.get("n") or 0) > 0]
        why = ("the others are under the minimum cell share, which a larger population does not change (lower "
               "AuditOptions.min_cell_share to compare them)" if small else "audit a larger population with --audit-size")
        out.append(f"not enough evidence: {rated} group(s) eligible for ratios; a ratio needs at least two ({why})")
    if ref_g is not None and is_number(ref_g.get(rate_key)) and is_number(ref_g.get("n")):
        events = node.get("reference_events" if ratio == "impact_ratio" else "scoring_reference_events")
        events = int(events) if is_number(events) else round(float(ref_g[rate_key]) * int(ref_g["n"]))
        what = "favourable outcome(s)" if ratio == "impact_ratio" else "people scoring above the median"
        if events < MIN_REFERENCE_EVENTS:
            out.append(f"not enough evidence: the reference group has {events:,} {what}; a ratio rests on "
                       f"at least {MIN_REFERENCE_EVENTS} (MIN_REFERENCE_EVENTS) — audit a larger population (--audit-size)")
    return out
