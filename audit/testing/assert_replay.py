"""Appeal, spill-over and overturn assertions (re-exported by :mod:`audit.testing.assertions`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from audit.audited import (
    fmt,
    fmt_ci,
    fmt_group,
    indent_lines,
    is_number,
    people_needed,
    read_result,
)
from audit.errors import InvalidArgument
from audit.evidence import MIN_OBSERVATIONS
from audit.replay.verdicts import not_enough, probe_list, probes_of
from audit.testing.overturn import check_overturn
from audit.testing.sections import appeal_of, reversibility_of, spillover_of
from audit.vocab import DOMAINS

__all__ = ["assert_appeal_parity", "assert_no_spillover", "assert_overturn_restores_state"]


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
    appeal = appeal_of(a)
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
    spill = spillover_of(a)
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
    unrelated_share = spill.get("unrelated_share")
    if is_number(unrelated_share):
        lines.append(f"share of all sanctions falling in an unrelated domain: {100 * float(unrelated_share):.1f}%"
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
    rev = reversibility_of(a)
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
