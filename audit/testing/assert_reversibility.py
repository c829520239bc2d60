"""Reversibility assertions: no absorbing states, recovery within a deadline (re-exported by :mod:`audit.testing.assertions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from audit.audited import (
    fmt_ci,
    fmt_group,
    indent_lines,
    is_number,
    months_ci,
    people_needed,
    read_result,
    verdict,
)
from audit.errors import InvalidArgument
from audit.evidence import MIN_OBSERVATIONS, NOT_ENOUGH, VIOLATED, Evidence
from audit.replay.verdicts import fmt_share, not_enough, probe_list, share_evidence
from audit.testing.sections import reversibility_of

__all__ = ["assert_no_absorbing_states", "assert_recovers_within"]


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
    rev = reversibility_of(a)
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

    Notes
    -----
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
    rev = reversibility_of(a)
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
