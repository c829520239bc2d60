"""Assertion helpers for audit suites: fail a test when a scoring rule crosses a line.

Each helper reads the results of an audit run — a :class:`~audit.runner.ScorerRun`
(what the pytest ``audit`` fixture gives), a :class:`~audit.runner.RunResult`
holding one scorer (or pick one with ``label=``), a scorer's entry of
``results.json`` or the whole document — and raises :class:`AssertionError`
with a complete message: the scorer, the groups, their values and 95%
intervals, the threshold, and what to do. Helpers set ``__tracebackhide__``
so pytest shows the message, not our internals.

An estimate whose interval straddles the threshold is **inconclusive** and
fails too: an audit that cannot tell is not a pass. The message says how many
people would decide it. Intervals shrink as ``1/sqrt(n)``, so an interval of
half-width ``h`` around an estimate at distance ``d`` from the threshold stops
straddling it at about ``n * (h / d)**2`` people; ``h`` is the half-width on
the threshold's side (bootstrap intervals need not be symmetric). The
population size it implies is given as an ``--audit-size`` to rerun with.

The replay helpers (absorbing states, recovery, appeal parity, spill-over,
overturn) give three outcomes (:mod:`audit.evidence`): violated; holds, only
on at least :data:`~audit.evidence.MIN_OBSERVATIONS` people with exact
intervals; or not enough evidence, which fails with how much evidence there
was and the ``--audit-replay-sample`` (or ``--audit-size``) that gets enough
(:mod:`audit.replay.verdicts`). They also read the rule probes
(``spillover.probes``, :mod:`audit.replay.probes`), which show with certainty what a
scorer can do.

Arguments outside their domain (an unknown attribute, a negative gap) raise
:class:`~audit.errors.InvalidArgument`, not :class:`AssertionError`: that is a
mistake in the test, not a finding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from audit.audited import (
    audited_sections,
    decide_text,
    evidence_for,
    fmt,
    fmt_ci,
    fmt_group,
    indent_lines,
    is_number,
    months_ci,
    people_needed,
    population_size,
    read_result,
    section,
    verdict,
)
from audit.errors import InvalidArgument
from audit.evidence import MIN_OBSERVATIONS, MIN_REFERENCE_EVENTS, NOT_ENOUGH, VIOLATED, Evidence
from audit.replay.verdicts import fmt_share, not_enough, probe_list, probes_of, share_evidence
from audit.testing.overturn import check_overturn
from audit.vocab import DOMAINS

__all__ = [
    "FOUR_FIFTHS",
    "assert_four_fifths",
    "assert_no_absorbing_states",
    "assert_recovers_within",
    "assert_appeal_parity",
    "assert_overturn_restores_state",
    "assert_no_spillover",
    "people_needed",
    "audited_sections",
]

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
    disparity = section(a, "disparity")
    node = disparity.get(by)
    if not isinstance(node, Mapping) or not isinstance(node.get("groups"), list):
        known = ", ".join(k for k, v in disparity.items() if isinstance(v, Mapping) and "groups" in v)
        raise InvalidArgument(f"by={by!r} is not an audited attribute of scorer {a.label!r}; audited: {known}")
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
        value, ci = g.get(ratio), g.get(f"{ratio}_ci")
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


# ----------------------------------------------------------------------------- reversibility


def assert_no_absorbing_states(result: Any, *, max_share: float = 0.0, label: str | None = None) -> None:
    """No sanctioned person is stuck: feasible good behaviour always brings back a favourable tier.

    Reads ``reversibility.absorbing_share``: the share of sanctioned (or
    unfavourably tiered) people in the replay sample for whom no feasible
    recourse plan reaches a favourable, sanction-free state — *precluded* in
    the sense of Kothari et al. (ICLR 2024). An absorbing state is the
    long-term harm the lending study of Liu et al. (2018) warns of. Also reads
    the rule probes (``spillover.probes.never_lifted``): a constructed person
    whose sanction is still in force 120 months on, doing nothing or
    following the best plan, shows the state exists.

    Three outcomes (:mod:`audit.evidence`): violated when a probe or a
    sampled person shows a sanction nobody can leave (``max_share`` 0), or
    the share's exact 95% interval lies above ``max_share``; holds when at
    least :data:`~audit.evidence.MIN_OBSERVATIONS` sanctioned people were
    replayed and the share is within ``max_share``; otherwise not enough
    evidence, which fails too, naming the ``--audit-replay-sample`` that
    gets enough sanctioned people.

    Parameters
    ----------
    max_share : float
        Largest acceptable share (default 0: any absorbing state fails).
    """
    __tracebackhide__ = True
    if not (is_number(max_share) and 0.0 <= max_share <= 1.0):
        raise InvalidArgument(f"max_share={max_share!r}; give a share between 0 and 1")
    a = read_result(result, label)
    rev = section(a, "reversibility")
    node = rev.get("absorbing")
    detail: Mapping[str, Any] = node if isinstance(node, Mapping) else {}
    k, n = int(detail.get("precluded") or 0), int(detail.get("sanctioned") or 0)
    witnesses = probe_list(a, "never_lifted")
    ev = share_evidence(a, rev, k, n, max_share, "sanctioned people replayed", stratum="sanctioned")
    if ev.passed and not (witnesses and max_share == 0):
        return
    horizon = rev.get("horizon_months")
    within = f" within {horizon} months" if is_number(horizon) else ""
    lines = [f"sample: {fmt_share(k, n)} of sanctioned people in the replay sample can never reach a favourable, "
             f"sanction-free tier{within} with any feasible plan of good behaviour (allowed: {100 * max_share:g}%)"]
    for w in witnesses[:3]:
        lines.append(f"probe: a constructed person ({w.get('profile')}) with {w.get('dose')} {w.get('kind')} record(s) and nothing "
                     f"else still has {w.get('sanction')} {w.get('months_after')} months later, doing nothing or the best plan")
    for attr in ("income_quintile", "education"):
        rows = detail.get(f"by_{attr}")
        if isinstance(rows, list):
            parts = [f"{fmt_group(r.get('group'))} {fmt_share(int(r.get('precluded') or 0), int(r.get('sanctioned') or 0))}"
                     for r in rows if isinstance(r, Mapping) and int(r.get("sanctioned") or 0) > 0]
            if parts:
                lines.append(f"by {attr}: " + ", ".join(parts))
    if witnesses and max_share == 0:
        ev = Evidence(outcome=VIOLATED, observed=ev.observed, what=ev.what)
    if ev.outcome == VIOLATED:
        raise AssertionError(f"scorer {a.label!r} has absorbing states ({ev.describe()}):\n" + indent_lines(lines))
    raise AssertionError(f"absorbing states of scorer {a.label!r} are undecided — {ev.describe()}:\n" + indent_lines(lines))


def assert_recovers_within(
    result: Any,
    months: int = 24,
    *,
    statistic: Literal["median", "p90"] = "p90",
    max_never_share: float = 0.0,
    by: Sequence[str] = ("income_quintile", "education"),
    label: str | None = None,
) -> None:
    """After one penalty, people regain their tier within ``months`` — overall and in every group.

    Reads ``reversibility.recovery``: months until the tier is regained with
    the best feasible behaviour, per person in the replay sample.

    Parameters
    ----------
    months : int
        Longest acceptable recovery.
    statistic : {"median", "p90"}
        Which quantile of recovery months must be within ``months`` (default
        the 90th percentile: nine people in ten recover in time).
    max_never_share : float
        Largest acceptable share who never recover (default 0).
    by : sequence of str
        Groupings checked besides the whole sample (``recovery.by_<attr>``).

    A row (everyone, or a group) with fewer than
    :data:`~audit.evidence.MIN_OBSERVATIONS` people with a first penalty is not
    enough evidence and fails, unless someone in it never recovers (allowed
    none), which is a violation whatever the count.
    """
    __tracebackhide__ = True
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 0:
        raise InvalidArgument(f"months={months!r}; give a whole number of months >= 0")
    if statistic not in ("median", "p90"):
        raise InvalidArgument(f"statistic={statistic!r}; use 'median' or 'p90'")
    if not (is_number(max_never_share) and 0.0 <= max_never_share <= 1.0):
        raise InvalidArgument(f"max_never_share={max_never_share!r}; give a share between 0 and 1")
    if isinstance(by, str):
        by = (by,)
    a = read_result(result, label)
    rev = section(a, "reversibility")
    rec = rev.get("recovery")
    if not isinstance(rec, Mapping):
        raise AssertionError(f"reversibility.recovery was not computed for scorer {a.label!r}")
    key = f"{statistic}_months"
    rows: list[tuple[str, Mapping[str, Any]]] = [("everyone", rec)]
    for attr in by:
        groups = rec.get(f"by_{attr}")
        if not isinstance(groups, list):
            raise InvalidArgument(f"by={attr!r}: reversibility.recovery has no by_{attr} for scorer {a.label!r}")
        rows += [(f"{attr} {fmt_group(g.get('group'))}", g) for g in groups]
    failures, unsure = [], []
    for name, r in rows:
        n = int(r.get("n") or 0)
        value, ci, never = r.get(key), months_ci(r.get(f"{key}_ci")), r.get("never_share")
        size = f", n={n:,}"
        never_txt = f", never recover {100 * float(never):.1f}%{fmt_ci(r.get('never_share_ci'))}" if is_number(never) else ""
        never_k = round(float(never) * n) if is_number(never) else 0
        never_ev = share_evidence(a, rev, never_k, n, max_never_share, "people with a first penalty")
        if not is_number(value):
            if never_ev.outcome == VIOLATED or n >= MIN_OBSERVATIONS:
                failures.append(f"{name}: {statistic} recovery undefined — too many never recover{never_txt}{size}")
            else:
                unsure.append(f"{name}: {statistic} recovery undefined{never_txt}{size} — {not_enough(a, rev, n, 'people with a first penalty').describe()}")
            continue
        detail = f"{name}: {statistic} recovery {float(value):g} months{fmt_ci(ci, 1)}{never_txt}{size}"
        v = verdict(float(value), ci, months, fail_above=True)
        if never_ev.outcome == VIOLATED:
            failures.append(f"{detail} — {100 * float(never or 0):.1f}% never recover (allowed {100 * max_never_share:g}%)")
        elif v == "fail" and n >= MIN_OBSERVATIONS:
            failures.append(f"{detail} — over {months} months")
        elif n < MIN_OBSERVATIONS:
            unsure.append(f"{detail} — {not_enough(a, rev, n, 'people with a first penalty').describe()}")
        elif v == "inconclusive" or never_ev.outcome == NOT_ENOUGH:
            need = people_needed(n, float(value), ci, months) if ci is not None and v == "inconclusive" else never_ev.needed
            ev = not_enough(a, rev, n, "people with a first penalty", needed=need or MIN_OBSERVATIONS)
            unsure.append(f"{detail} — inconclusive, the interval straddles {months} months: {ev.describe()}")
    if not failures and not unsure:
        return
    what = "does not let people recover" if failures else "has not been shown to let people recover"
    parts = [(f"scorer {a.label!r} {what} within {months} months after one penalty "
              f"({statistic} of months to regain the tier with the best feasible behaviour):")]
    if failures:
        parts.append(indent_lines(failures))
    if unsure:
        parts.append(f"{len(unsure)} without enough evidence (not a pass):\n" + indent_lines(unsure))
    raise AssertionError("\n".join(parts))


# ----------------------------------------------------------------------------- appeal


#: Appeal metrics a parity check may compare (keys of ``appeal.by_<attr>`` rows) and the
#: count each is a rate over (the ``n`` of an inconclusive estimate).
APPEAL_METRICS: dict[str, str] = {
    "remedy_rate": "n_wronged",
    "success_rate_if_wrong": "wrong_filed",
    "filing_rate": "adverse_events",
    "wrongful_sanction_rate_after": "n",
    "wrongful_sanction_rate_before": "n",
}


def assert_appeal_parity(
    result: Any,
    by: str = "education",
    max_gap: float = 0.05,
    *,
    metric: str = "remedy_rate",
    label: str | None = None,
) -> None:
    """The appeal process treats groups alike: ``max(metric) - min(metric) <= max_gap`` over groups.

    Reads ``appeal.by_<by>``. The default metric, ``remedy_rate``, is the share
    of wrongly sanctioned people whose wrongful sanction is lifted on appeal —
    among equally wronged people, does every group get the remedy the right to
    contest (GDPR Art. 22(3)) promises? Others: ``filing_rate`` (who
    appeals), ``success_rate_if_wrong`` (who wins),
    ``wrongful_sanction_rate_after`` (who is still wrongly sanctioned, which
    also reflects who is misrecorded in the first place).

    With intervals, the gap is decided when the groups' intervals are apart by
    more than ``max_gap`` (a violation) or the whole spread of their intervals
    is within it (a pass); anything between is inconclusive and fails. Only
    groups with at least :data:`~audit.evidence.MIN_OBSERVATIONS` people in the
    metric's denominator are compared; any group below that, or fewer than two
    groups, is not enough evidence and fails.
    """
    __tracebackhide__ = True
    if not (is_number(max_gap) and 0.0 <= max_gap <= 1.0):
        raise InvalidArgument(f"max_gap={max_gap!r}; give a difference of rates between 0 and 1")
    a = read_result(result, label)
    appeal = section(a, "appeal")
    rows = appeal.get(f"by_{by}")
    if not isinstance(rows, list):
        known = ", ".join(k[3:] for k, v in appeal.items() if k.startswith("by_") and isinstance(v, list))
        raise InvalidArgument(f"by={by!r}: the appeal section of scorer {a.label!r} has no by_{by}; it has: {known or '(none)'}")
    have = [r for r in rows if isinstance(r, Mapping) and is_number(r.get(metric))]
    if not have:
        keys = sorted({k for r in rows if isinstance(r, Mapping) for k, v in r.items() if is_number(v) and not k.endswith("_ci")})
        if any(isinstance(r, Mapping) and metric in r for r in rows):
            ev = not_enough(a, appeal, 0, f"people in the denominator ({APPEAL_METRICS.get(metric, 'n')}) of any group",
                            stratum="sanctioned" if APPEAL_METRICS.get(metric) == "n_wronged" else None)
            raise AssertionError(f"appeal {metric} by {by} is undefined for every group of scorer {a.label!r} — {ev.describe()}")
        raise InvalidArgument(f"metric={metric!r} is not in appeal.by_{by} of scorer {a.label!r}; numeric keys: {', '.join(keys)}")
    denominator = APPEAL_METRICS.get(metric, "n")

    def size(r: Mapping[str, Any]) -> int:
        return int(r[denominator]) if is_number(r.get(denominator)) else 0

    def interval(r: Mapping[str, Any]) -> tuple[float, float] | None:
        ci = r.get(f"{metric}_ci")
        return (float(ci[0]), float(ci[1])) if isinstance(ci, Sequence) and len(ci) == 2 and all(is_number(v) for v in ci) else None

    decided = [r for r in have if size(r) >= MIN_OBSERVATIONS]
    small = [r for r in rows if isinstance(r, Mapping) and size(r) < MIN_OBSERVATIONS]
    verdict = "inconclusive"
    gap = 0.0
    hi_row = lo_row = None
    if len(decided) >= 2:
        hi_row = max(decided, key=lambda r: float(r[metric]))
        lo_row = min(decided, key=lambda r: float(r[metric]))
        gap = float(hi_row[metric]) - float(lo_row[metric])
        cis = [interval(r) for r in decided]
        verdict = "fail" if gap > max_gap else "pass"
        if all(c is not None for c in cis):
            apart = max(c[0] for c in cis) - min(c[1] for c in cis)  # type: ignore[index]
            spread = max(c[1] for c in cis) - min(c[0] for c in cis)  # type: ignore[index]
            verdict = "fail" if apart > max_gap else ("pass" if spread <= max_gap else "inconclusive")
    if verdict == "pass" and not small:
        return
    lines = []
    for r in rows:
        if not isinstance(r, Mapping):
            continue
        extra = [f"{k.replace('_', ' ')} {fmt(r[k])}" for k in APPEAL_METRICS if k != metric and is_number(r.get(k))]
        n = r.get(denominator)
        lines.append(f"{fmt_group(r.get('group'))}: {metric.replace('_', ' ')} {fmt(r.get(metric))}{fmt_ci(r.get(f'{metric}_ci'))}"
                     + (f" ({denominator}={int(n):,})" if is_number(n) else "") + ("; " + ", ".join(extra) if extra else ""))
    if verdict == "fail" and hi_row is not None and lo_row is not None:
        head = (f"appeal parity by {by} fails for scorer {a.label!r}: {metric.replace('_', ' ')} is {fmt(hi_row[metric])} for "
                f"{fmt_group(hi_row.get('group'))} and {fmt(lo_row[metric])} for {fmt_group(lo_row.get('group'))}, a gap of {gap:.3f} "
                f"(allowed {max_gap:g})")
        raise AssertionError(head + "\n" + indent_lines(lines))
    # not enough evidence: groups under the minimum, or intervals that overlap the allowed gap
    what = f"{denominator.replace('_', ' ')} in the smallest group"
    within = "sanctioned" if denominator == "n_wronged" else None
    if small:
        n_small = min(size(r) for r in small)
        ev = not_enough(a, appeal, n_small, what, stratum=within)
        counts = ", ".join(f"{fmt_group(r.get('group'))} {size(r):,}" for r in small)
        why = f"{len(small)} group(s) have fewer than {MIN_OBSERVATIONS} {denominator.replace('_', ' ')} ({counts})"
    else:
        assert hi_row is not None and lo_row is not None
        n_small = min(size(hi_row), size(lo_row))
        c_hi, c_lo = interval(hi_row), interval(lo_row)
        need = None
        if c_hi is not None and c_lo is not None:
            # half-width of the gap on the allowed gap's side, the two groups' errors combined in quadrature
            if gap > max_gap:
                h = math.hypot(float(hi_row[metric]) - c_hi[0], c_lo[1] - float(lo_row[metric]))
            else:
                h = math.hypot(c_hi[1] - float(hi_row[metric]), float(lo_row[metric]) - c_lo[0])
            need = people_needed(n_small, gap, (gap - h, gap + h), max_gap)
        ev = not_enough(a, appeal, n_small, what, needed=need or 4 * n_small, stratum=within)
        why = f"inconclusive, the groups' intervals overlap the allowed gap of {max_gap:g} (gap {gap:.3f})"
    raise AssertionError(f"appeal parity by {by} is undecided for scorer {a.label!r} — {why}; {ev.describe()}\n"
                         + indent_lines(lines))


# ----------------------------------------------------------------------------- spill-over


def assert_no_spillover(
    result: Any,
    *,
    from_domain: str,
    to_domain: str,
    max_count: int = 0,
    label: str | None = None,
) -> None:
    """Conduct in ``from_domain`` never causes a sanction in ``to_domain``.

    Reads ``spillover.matrix[from_domain][to_domain]``: sanctions (person x
    sanction, in the replay sample) restricting the target domain that
    conduct in the source domain triggers — removing the person's events of
    that domain lifts the sanction, or those events alone impose it. EU AI Act
    Art. 5(1)(c) bans scoring that leads to detriment "in social contexts
    that are unrelated to the contexts in which the data was originally
    generated".

    Three outcomes (:mod:`audit.evidence`): violated when the sample holds
    more than ``max_count`` such sanctions, or (``max_count`` 0) a rule probe
    shows a constructed person whose only records are of one ``from_domain``
    kind getting a ``to_domain`` sanction; holds when the scorer declares no
    sanction restricting ``to_domain``, or when the probes show none and the
    sample's attribution examined at least
    :data:`~audit.evidence.MIN_OBSERVATIONS` sanctions restricting
    ``to_domain``, none of them (beyond ``max_count``) from ``from_domain``;
    otherwise not enough evidence, which fails, naming the
    ``--audit-replay-sample`` that gets enough sanctions.
    """
    __tracebackhide__ = True
    for name, d in (("from_domain", from_domain), ("to_domain", to_domain)):
        if d not in DOMAINS:
            raise InvalidArgument(f"{name}={d!r} is not a domain; domains are: {', '.join(DOMAINS)}")
    if isinstance(max_count, bool) or not isinstance(max_count, (int, np.integer)) or max_count < 0:
        raise InvalidArgument(f"max_count={max_count!r}; give a whole number >= 0")
    a = read_result(result, label)
    spill = section(a, "spillover")
    matrix = spill.get("matrix")
    if not isinstance(matrix, Mapping):
        raise AssertionError(f"spillover.matrix was not computed for scorer {a.label!r}")
    restricting = [s for s, d in a.sanctions.items() if d == to_domain]
    if a.sanctions and not restricting:
        return  # the scorer declares no sanction restricting to_domain: no conduct can lead to one
    count = int((matrix.get(from_domain) or {}).get(to_domain, 0) or 0)
    seen = int(sum(int(row.get(to_domain, 0) or 0) for d, row in matrix.items() if isinstance(row, Mapping)))
    witness = next((w for w in probe_list(a, "spillover")
                    if w.get("conduct_domain") == from_domain and w.get("sanction_domain") == to_domain), None)
    probed = probes_of(a) is not None
    evidence = seen
    held = ""
    if is_number(spill.get("sanctioned_people")):  # sanctions cluster by person: never more evidence than people
        evidence = min(seen, int(spill["sanctioned_people"]))
        held = f" (sanctioned people in the sample: {int(spill['sanctioned_people']):,})"
    violated = count > max_count or (witness is not None and max_count == 0)
    if not violated and probed and evidence >= MIN_OBSERVATIONS:
        return
    row = matrix.get(from_domain) or {}
    lines = [(f"sample: {count:,} sanctions restricting {to_domain} in the replay sample triggered by {from_domain} conduct "
              f"(allowed {max_count}), of {seen:,} sanctions restricting {to_domain} attributed{held}")]
    if witness is not None:
        lines.append(f"probe: a constructed person ({witness.get('profile')}) whose only record is {witness.get('dose')} "
                     f"{witness.get('kind')} gets {witness.get('sanction')} ({to_domain}) — it can happen")
    elif probed:
        lines.append(f"probes: no constructed person with one {from_domain} conduct kind alone got a sanction restricting {to_domain}")
    if restricting:
        lines.append(f"sanctions restricting {to_domain}: {', '.join(restricting)}")
    others = [f"{d} {int(c):,}" for d, c in row.items() if d != to_domain and c]
    if others:
        lines.append(f"{from_domain} conduct also leads to sanctions in: {', '.join(others)}")
    if is_number(spill.get("unrelated_share")):
        lines.append(f"share of all sanctions falling in an unrelated domain: {100 * float(spill['unrelated_share']):.1f}%"
                     f"{fmt_ci(spill.get('unrelated_share_ci'))}")
    if is_number(spill.get("sample_size")):
        total = f", holding {int(spill['sanctions']):,} sanctions" if is_number(spill.get("sanctions")) else ""
        lines.append(f"people in the replay sample: {int(spill['sample_size']):,}{total}")
    if violated:
        raise AssertionError(
            f"scorer {a.label!r}: conduct in {from_domain} leads to sanctions in {to_domain} "
            f"(detriment in an unrelated context, EU AI Act Art. 5(1)(c)):\n" + indent_lines(lines)
        )
    ev = not_enough(a, spill, evidence, f"sanctions restricting {to_domain} in the replay sample", stratum="sanctioned")
    why = "" if probed else "the rule probes did not run or failed; "
    raise AssertionError(
        f"no spill-over from {from_domain} into {to_domain} is not shown for scorer {a.label!r} — {why}{ev.describe()}:\n"
        + indent_lines(lines)
    )


# ----------------------------------------------------------------------------- overturn


def assert_overturn_restores_state(
    subject: Any,
    *,
    population: Any = None,
    spec: str = "tiny",
    size: int = 2000,
    seed: int = 0,
    as_of: int | None = None,
    max_people: int = 500,
    label: str | None = None,
) -> None:
    """Overturning a recorded event leaves a person exactly as if it had never been recorded.

    That is what an appeal promises (SPC 2017: a wrongful listing is revoked;
    GDPR Art. 22(3): the right to contest). Two forms:

    - ``subject`` is a **scorer**: replay directly. For up to ``max_people``
      people with a visible event, one event each is chosen (seeded by
      ``seed``); the log never holding those events is scored first, then the
      full log, then the full log with the events removed; every person's
      score, tier and sanctions must match the never-recorded scoring.
      People get fresh ids so a scorer that caches by person cannot hide a
      difference. The population is ``population`` (a
      :class:`~audit.population.model.Population`) or ``spec`` / ``size`` / ``seed``.
    - ``subject`` is an audit **result**: reads
      ``reversibility.overturn_violations`` and ``overturn_checked``.
    """
    __tracebackhide__ = True
    if hasattr(subject, "score") and hasattr(subject, "tiers"):
        check_overturn(subject, population=population, spec=spec, size=size, seed=seed, as_of=as_of, max_people=max_people)
        return
    a = read_result(subject, label)
    rev = section(a, "reversibility")
    bad, checked = rev.get("overturn_violations"), rev.get("overturn_checked")
    if bad is None:
        raise AssertionError(f"reversibility.overturn_violations was not computed for scorer {a.label!r}")
    if int(bad) == 0:
        n = int(checked or 0)
        if n < MIN_OBSERVATIONS:
            ev = not_enough(a, rev, n, "replayed overturns")
            raise AssertionError(f"overturn restoring state is not shown for scorer {a.label!r} — {ev.describe()}")
        return
    of = f" of {int(checked):,}" if is_number(checked) else ""
    example = rev.get("overturn_example") or rev.get("overturn_examples")
    raise AssertionError(
        f"scorer {a.label!r}: overturning an event did not restore the person's state in {int(bad):,}{of} replayed overturns "
        "(the scorer remembers overturned events)" + (f"\n  example: {example}" if example else "")
    )
