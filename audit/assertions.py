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

Arguments outside their domain (an unknown attribute, a negative gap) raise
:class:`~audit.errors.InvalidArgument`, not :class:`AssertionError`: that is a
mistake in the test, not a finding.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

import numpy as np

from audit.errors import InvalidArgument
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

#: Keys of a results.json scorer entry that describe the scorer rather than hold a section.
_META_KEYS = frozenset({"label", "name", "version", "description", "params", "tiers", "favourable_tiers", "sanctions",
                        "status", "error"})

#: Lines of detail shown per failure before "... and N more".
_MAX_LINES = 12


# ----------------------------------------------------------------------------- reading results


@dataclass(frozen=True, slots=True, kw_only=True)
class _Audited:
    """One scorer's audited sections, whatever form the caller passed."""

    label: str
    """The scorer's label in the run (``name`` or ``name:key=value``)."""
    sections: Mapping[str, Any]
    """Section name -> section (the scorer's entry of results.json)."""
    population_size: int | None
    """People in the audited population, when known."""
    sanctions: Mapping[str, str]
    """The scorer's sanctions: name -> domain of life it restricts."""


def audited_sections(result: Any, *, label: str | None = None) -> tuple[str, Mapping[str, Any]]:
    """``(label, sections)`` of one scorer from any form of run result.

    Parameters
    ----------
    result : ScorerRun, RunResult, dict
        A scorer's run (``.label``, ``.sections``), a whole run (``.runs``), a
        scorer entry of ``results.json`` (has ``label``) or the whole document
        (has ``scorers``).
    label : str, optional
        Which scorer to read from a run or document holding several.
    """
    __tracebackhide__ = True
    a = _audited(result, label)
    return a.label, a.sections


def _audited(result: Any, label: str | None) -> _Audited:
    __tracebackhide__ = True
    if hasattr(result, "runs") and hasattr(result, "population"):  # RunResult
        run = _pick([(r.label, r) for r in result.runs], label, "run")
        size = (result.population or {}).get("size")
        return _from_run(run, size)
    if hasattr(result, "sections") and hasattr(result, "label"):  # ScorerRun
        if label is not None and label != result.label:
            raise InvalidArgument(f"label={label!r} but the result is scorer {result.label!r}; drop label= or pass the whole run")
        size = getattr(result, "population_size", None)
        return _from_run(result, size if isinstance(size, int) else None)
    if isinstance(result, Mapping):
        if isinstance(result.get("scorers"), list):  # results.json document
            entry = _pick([(str(e.get("label")), e) for e in result["scorers"]], label, "document")
            size = (result.get("population") or {}).get("size")
            return _from_entry(entry, size)
        if "label" in result:
            return _from_entry(result, None)
    raise InvalidArgument(
        f"cannot read audit results from a {type(result).__name__}; pass the `audit` fixture, a ScorerRun, a RunResult "
        "from audit.runner.run(), or a results.json document (dict)"
    )


def _pick(items: list[tuple[str, Any]], label: str | None, what: str) -> Any:
    __tracebackhide__ = True
    labels = [k for k, _ in items]
    if label is None:
        if len(items) == 1:
            return items[0][1]
        raise InvalidArgument(f"the {what} holds {len(items)} scorers ({', '.join(labels)}); choose one with label=...")
    for k, v in items:
        if k == label:
            return v
    raise InvalidArgument(f"label={label!r} is not in the {what}; its scorers are: {', '.join(labels) or '(none)'}")


def _from_run(run: Any, size: int | None) -> _Audited:
    __tracebackhide__ = True
    if getattr(run, "error", None):  # a ScorerRun of a failed scorer
        raise AssertionError(f"scorer {run.label!r} failed during the audit run, so nothing was audited: {run.error}")
    sanctions = dict(getattr(run.scorer, "sanctions", {}) or {})
    return _Audited(label=str(run.label), sections=run.sections, population_size=size, sanctions=sanctions)


def _from_entry(entry: Mapping[str, Any], size: int | None) -> _Audited:
    __tracebackhide__ = True
    if entry.get("status") == "failed":
        raise AssertionError(f"scorer {entry.get('label')!r} failed during the audit run, so nothing was audited: {entry.get('error')}")
    declared = entry.get("sanctions")
    sanctions: dict[str, str] = dict(declared) if isinstance(declared, Mapping) else {}
    return _Audited(label=str(entry["label"]), sections=entry, population_size=size, sanctions=sanctions)


def _section(a: _Audited, name: str) -> Mapping[str, Any]:
    __tracebackhide__ = True
    section = a.sections.get(name)
    if not isinstance(section, Mapping):
        present = ", ".join(k for k, v in a.sections.items() if isinstance(v, Mapping) and k not in _META_KEYS) or "(none)"
        raise AssertionError(
            f"section {name!r} was not computed for scorer {a.label!r} (sections present: {present}); "
            f"run the {name} audit (audit.runner.default_audits) before asserting on it"
        )
    if section.get("available") is False:
        why = section.get("reason") or section.get("note") or "no reason given"
        raise AssertionError(f"section {name!r} is not available for scorer {a.label!r}: {why}")
    return section


def _population_size(a: _Audited) -> int | None:
    if a.population_size:
        return int(a.population_size)
    disparity = a.sections.get("disparity")
    if isinstance(disparity, Mapping):
        node = disparity.get("income_quintile")
        if isinstance(node, Mapping) and isinstance(node.get("groups"), list):
            return int(sum(g.get("n") or 0 for g in node["groups"]) + (node.get("unknown_n") or 0))
    return None


# ----------------------------------------------------------------------------- formatting


def _num(x: Any) -> TypeGuard[float]:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(float(x))


def _f(x: Any, digits: int = 3) -> str:
    return f"{float(x):.{digits}f}" if _num(x) else "undefined"


def _ci(ci: Any, digits: int = 3) -> str:
    if isinstance(ci, Sequence) and len(ci) == 2 and _num(ci[0]) and isinstance(ci[1], (int, float)):
        hi = "never" if math.isinf(float(ci[1])) else f"{float(ci[1]):.{digits}f}"
        return f" [95% CI {float(ci[0]):.{digits}f}, {hi}]"
    return ""


def _group(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " × ".join(str(v) for v in value)
    return str(value)


def _lines(lines: list[str]) -> str:
    shown = lines[:_MAX_LINES]
    more = len(lines) - len(shown)
    return "\n".join(["  " + s for s in shown] + ([f"  ... and {more} more"] if more > 0 else []))


def people_needed(n: int, estimate: float, interval: Sequence[float], threshold: float) -> int | None:
    """People needed for an interval around ``estimate`` to stop straddling ``threshold``.

    Intervals shrink as ``1/sqrt(n)``: with ``h`` the interval's half-width on
    the threshold's side and ``d = |estimate - threshold|``, the interval
    clears the threshold at ``n * (h / d)**2`` people (rounded up). ``None``
    when the estimate sits on the threshold (no finite sample decides it) or
    the interval is unbounded on the threshold's side.

    Examples
    --------
    >>> people_needed(1000, 0.78, (0.74, 0.82), 0.8)
    4000
    """
    lo, hi = float(interval[0]), float(interval[1])
    d = abs(float(estimate) - float(threshold))
    h = (float(estimate) - lo) if float(estimate) >= float(threshold) else (hi - float(estimate))
    if d <= 0.0 or not math.isfinite(d) or not math.isfinite(h):
        return None
    if h <= d:  # already decided
        return int(n)
    return math.ceil(n * (h / d) ** 2 - 1e-9)


def _decide_text(n: int | None, estimate: float, interval: Sequence[float] | None, threshold: float, total: int | None,
                 what: str) -> str:
    if n is None or n <= 0 or interval is None:
        return "the interval straddles the threshold; a larger population would decide it"
    need = people_needed(n, estimate, interval, threshold)
    if need is None:
        if float(estimate) == float(threshold):
            return "the estimate sits exactly on the threshold, so no sample size decides it"
        return "the interval is unbounded on the threshold's side; a larger population would decide it"
    factor = need / n
    text = f"about {need:,} {what} (now {n:,}) would decide it"
    if total:
        text += f" — rerun with --audit-size {math.ceil(total * factor):,}"
    return text


def _verdict(estimate: float, ci: Any, threshold: float, *, fail_above: bool) -> str:
    """'fail', 'pass' or 'inconclusive' for an estimate that must stay on one side of ``threshold``.

    ``fail_above`` False: values under the threshold fail (four-fifths);
    True: values above it fail (gaps, months, shares).
    """
    bad = (lambda v: v > threshold) if fail_above else (lambda v: v < threshold)
    if not (isinstance(ci, Sequence) and len(ci) == 2 and all(isinstance(v, (int, float)) and not math.isnan(v) for v in ci)):
        return "fail" if bad(estimate) else "pass"
    lo, hi = float(ci[0]), float(ci[1])
    if bad(lo) and bad(hi):
        return "fail"
    if not bad(lo) and not bad(hi):
        return "pass"
    return "inconclusive"


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
    if not (_num(threshold) and 0.0 < threshold <= 1.0):
        raise InvalidArgument(f"threshold={threshold!r}; give a ratio in (0, 1], e.g. 0.8 (the four-fifths rule)")
    if ratio not in ("impact_ratio", "scoring_impact_ratio"):
        raise InvalidArgument(f"ratio={ratio!r}; use 'impact_ratio' or 'scoring_impact_ratio'")
    a = _audited(result, label)
    disparity = _section(a, "disparity")
    node = disparity.get(by)
    if not isinstance(node, Mapping) or not isinstance(node.get("groups"), list):
        known = ", ".join(k for k, v in disparity.items() if isinstance(v, Mapping) and "groups" in v)
        raise InvalidArgument(f"by={by!r} is not an audited attribute of scorer {a.label!r}; audited: {known}")
    rate_key = "favourable_rate" if ratio == "impact_ratio" else "scoring_rate"
    ref = node.get("reference_group" if ratio == "impact_ratio" else "scoring_reference_group")
    ref_g = next((g for g in node["groups"] if g.get("group") == ref), None)
    total = _population_size(a)
    failures, unsure, excluded, undefined = [], [], [], []
    for g in node["groups"]:
        name = _group(g.get("group"))
        if g.get("excluded_from_ratios"):
            excluded.append(f"{name} (n={g.get('n', 0):,})")
            continue
        value, ci = g.get(ratio), g.get(f"{ratio}_ci")
        if not _num(value):
            undefined.append(name)
            continue
        detail = (f"{name}: {ratio.replace('_', ' ')} {_f(value)}{_ci(ci)}, {rate_key.replace('_', ' ')} "
                  f"{_f(g.get(rate_key))}{_ci(g.get(rate_key + '_ci'))}, n={g.get('n', 0):,}")
        v = _verdict(float(value), ci, threshold, fail_above=False)
        if v == "fail":
            failures.append(f"{detail} — under {threshold:g}: violation")
        elif v == "inconclusive":
            unsure.append(f"{detail} — inconclusive, interval straddles {threshold:g}: "
                          f"{_decide_text(g.get('n'), float(value), ci, threshold, total, 'people in this group')}")
    if not failures and not unsure and not undefined:
        return
    head = f"four-fifths rule by {by} fails for scorer {a.label!r} (threshold {threshold:g} × the reference group's rate"
    if ref_g is not None:
        head += f"; reference group {_group(ref)}: {rate_key.replace('_', ' ')} {_f(ref_g.get(rate_key))}{_ci(ref_g.get(rate_key + '_ci'))}, n={ref_g.get('n', 0):,}"
    head += ")"
    parts = [head]
    if failures:
        parts.append(f"{len(failures)} group(s) below the threshold:\n" + _lines(failures))
    if unsure:
        parts.append(f"{len(unsure)} group(s) inconclusive:\n" + _lines(unsure))
    if undefined:
        parts.append("impact ratio undefined (no reference rate above 0) for: " + ", ".join(undefined))
    if excluded:
        parts.append("excluded from ratios as under 2% of people (NYC LL144): " + ", ".join(excluded))
    raise AssertionError("\n".join(parts))


# ----------------------------------------------------------------------------- reversibility


def assert_no_absorbing_states(result: Any, *, max_share: float = 0.0, label: str | None = None) -> None:
    """No sanctioned person is stuck: feasible good behaviour always brings back a favourable tier.

    Reads ``reversibility.absorbing_share``: the share of sanctioned (or
    unfavourably tiered) people in the replay sample for whom no feasible
    recourse plan reaches a favourable, sanction-free state — *precluded* in
    the sense of Kothari et al. (ICLR 2024). An absorbing state is the
    long-term harm the lending study of Liu et al. (2018) warns of.

    Parameters
    ----------
    max_share : float
        Largest acceptable share (default 0: any absorbing state fails).
    """
    __tracebackhide__ = True
    if not (_num(max_share) and 0.0 <= max_share <= 1.0):
        raise InvalidArgument(f"max_share={max_share!r}; give a share between 0 and 1")
    a = _audited(result, label)
    rev = _section(a, "reversibility")
    share = rev.get("absorbing_share")
    node = rev.get("absorbing")
    detail: Mapping[str, Any] = node if isinstance(node, Mapping) else {}
    if share is None:
        raise AssertionError(
            f"absorbing states could not be checked for scorer {a.label!r}: no sanctioned person in the replay sample "
            f"of {rev.get('sample_size', 0):,} people; audit a larger population (--audit-size)"
        )
    if float(share) <= max_share:
        return
    counts = ""
    if _num(detail.get("precluded")) and _num(detail.get("sanctioned")):
        counts = f" ({int(detail['precluded']):,} of {int(detail['sanctioned']):,})"
    horizon = rev.get("horizon_months")
    within = f" within {horizon} months" if _num(horizon) else ""
    lines = [(f"{100 * float(share):.1f}%{counts} of sanctioned people in the replay sample{_ci(rev.get('absorbing_share_ci'))} "
              f"can never reach a favourable, sanction-free tier{within} with any feasible plan of good behaviour "
              f"(allowed: {100 * max_share:g}%)")]
    for attr in ("income_quintile", "education"):
        rows = detail.get(f"by_{attr}")
        if isinstance(rows, list):
            parts = [f"{_group(r.get('group'))} {100 * float(r['absorbing_share']):.1f}% of {int(r.get('sanctioned') or 0):,}"
                     for r in rows if isinstance(r, Mapping) and _num(r.get("absorbing_share"))]
            if parts:
                lines.append(f"by {attr}: " + ", ".join(parts))
    rec = rev.get("recovery")
    if isinstance(rec, Mapping) and _num(rec.get("never_share")):
        lines.append(f"after one penalty, {100 * float(rec['never_share']):.1f}%{_ci(rec.get('never_share_ci'))} never regain their tier")
    raise AssertionError(f"scorer {a.label!r} has absorbing states:\n" + _lines(lines))


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
    """
    __tracebackhide__ = True
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 0:
        raise InvalidArgument(f"months={months!r}; give a whole number of months >= 0")
    if statistic not in ("median", "p90"):
        raise InvalidArgument(f"statistic={statistic!r}; use 'median' or 'p90'")
    if not (_num(max_never_share) and 0.0 <= max_never_share <= 1.0):
        raise InvalidArgument(f"max_never_share={max_never_share!r}; give a share between 0 and 1")
    if isinstance(by, str):
        by = (by,)
    a = _audited(result, label)
    rev = _section(a, "reversibility")
    rec = rev.get("recovery")
    if not isinstance(rec, Mapping):
        raise AssertionError(f"reversibility.recovery was not computed for scorer {a.label!r}")
    key = f"{statistic}_months"
    rows: list[tuple[str, Mapping[str, Any]]] = [("everyone", rec)]
    for attr in by:
        groups = rec.get(f"by_{attr}")
        if not isinstance(groups, list):
            raise InvalidArgument(f"by={attr!r}: reversibility.recovery has no by_{attr} for scorer {a.label!r}")
        rows += [(f"{attr} {_group(g.get('group'))}", g) for g in groups]
    failures, unsure = [], []
    for name, r in rows:
        n = r.get("n")
        value, ci, never = r.get(key), _months_ci(r.get(f"{key}_ci")), r.get("never_share")
        size = f", n={n:,}" if _num(n) else ""
        if n == 0:
            continue
        never_txt = f", never recover {100 * float(never):.1f}%{_ci(r.get('never_share_ci'))}" if _num(never) else ""
        if not _num(value):
            failures.append(f"{name}: {statistic} recovery undefined — too many never recover{never_txt}{size}")
            continue
        detail = f"{name}: {statistic} recovery {float(value):g} months{_ci(ci, 1)}{never_txt}{size}"
        v = _verdict(float(value), ci, months, fail_above=True)
        if v == "fail":
            failures.append(f"{detail} — over {months} months")
        elif _num(never) and float(never) > max_never_share:
            failures.append(f"{detail} — {100 * float(never):.1f}% never recover (allowed {100 * max_never_share:g}%)")
        elif v == "inconclusive":
            unsure.append(f"{detail} — inconclusive, interval straddles {months} months: "
                          f"{_decide_text(int(n) if _num(n) else None, float(value), ci, months, _population_size(a), 'people sampled')}")
    if not failures and not unsure:
        return
    parts = [(f"scorer {a.label!r} does not let people recover within {months} months after one penalty "
              f"({statistic} of months to regain the tier with the best feasible behaviour):")]
    if failures:
        parts.append(_lines(failures))
    if unsure:
        parts.append(f"{len(unsure)} inconclusive:\n" + _lines(unsure))
    raise AssertionError("\n".join(parts))


def _months_ci(ci: Any) -> list[float] | None:
    """A months interval with an upper bound of "never" (``None``) read as infinity."""
    if isinstance(ci, Sequence) and len(ci) == 2 and _num(ci[0]):
        return [float(ci[0]), float(ci[1]) if _num(ci[1]) else math.inf]
    return None


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
    is within it (a pass); anything between is inconclusive and fails.
    """
    __tracebackhide__ = True
    if not (_num(max_gap) and 0.0 <= max_gap <= 1.0):
        raise InvalidArgument(f"max_gap={max_gap!r}; give a difference of rates between 0 and 1")
    a = _audited(result, label)
    appeal = _section(a, "appeal")
    rows = appeal.get(f"by_{by}")
    if not isinstance(rows, list):
        known = ", ".join(k[3:] for k, v in appeal.items() if k.startswith("by_") and isinstance(v, list))
        raise InvalidArgument(f"by={by!r}: the appeal section of scorer {a.label!r} has no by_{by}; it has: {known or '(none)'}")
    have = [r for r in rows if isinstance(r, Mapping) and _num(r.get(metric))]
    if not have:
        keys = sorted({k for r in rows if isinstance(r, Mapping) for k, v in r.items() if _num(v) and not k.endswith("_ci")})
        if any(isinstance(r, Mapping) and metric in r for r in rows):
            raise AssertionError(f"appeal {metric} by {by} is undefined for every group of scorer {a.label!r} "
                                 "(no one in the replay sample was in its denominator); audit a larger population")
        raise InvalidArgument(f"metric={metric!r} is not in appeal.by_{by} of scorer {a.label!r}; numeric keys: {', '.join(keys)}")
    denominator = APPEAL_METRICS.get(metric, "n")
    hi_row = max(have, key=lambda r: float(r[metric]))
    lo_row = min(have, key=lambda r: float(r[metric]))
    gap = float(hi_row[metric]) - float(lo_row[metric])

    def interval(r: Mapping[str, Any]) -> tuple[float, float] | None:
        ci = r.get(f"{metric}_ci")
        return (float(ci[0]), float(ci[1])) if isinstance(ci, Sequence) and len(ci) == 2 and all(_num(v) for v in ci) else None

    cis = [interval(r) for r in have]
    verdict = "fail" if gap > max_gap else "pass"
    if all(c is not None for c in cis) and len(have) > 1:
        apart = max(c[0] for c in cis) - min(c[1] for c in cis)  # type: ignore[index]
        spread = max(c[1] for c in cis) - min(c[0] for c in cis)  # type: ignore[index]
        verdict = "fail" if apart > max_gap else ("pass" if spread <= max_gap else "inconclusive")
    if verdict == "pass":
        return
    lines = []
    for r in rows:
        if not isinstance(r, Mapping):
            continue
        extra = [f"{k.replace('_', ' ')} {_f(r[k])}" for k in APPEAL_METRICS if k != metric and _num(r.get(k))]
        n = r.get(denominator)
        lines.append(f"{_group(r.get('group'))}: {metric.replace('_', ' ')} {_f(r.get(metric))}{_ci(r.get(f'{metric}_ci'))}"
                     + (f" ({denominator}={int(n):,})" if _num(n) else "") + ("; " + ", ".join(extra) if extra else ""))
    head = (f"appeal parity by {by} fails for scorer {a.label!r}: {metric.replace('_', ' ')} is {_f(hi_row[metric])} for "
            f"{_group(hi_row.get('group'))} and {_f(lo_row[metric])} for {_group(lo_row.get('group'))}, a gap of {gap:.3f} "
            f"(allowed {max_gap:g})")
    if verdict == "inconclusive":
        n_small = min((int(r[denominator]) for r in (hi_row, lo_row) if _num(r.get(denominator))), default=None)
        c_hi, c_lo = interval(hi_row), interval(lo_row)
        if c_hi is not None and c_lo is not None:
            # half-width of the gap on the allowed gap's side, the two groups' errors combined in quadrature
            if gap > max_gap:
                h = math.hypot(float(hi_row[metric]) - c_hi[0], c_lo[1] - float(lo_row[metric]))
            else:
                h = math.hypot(c_hi[1] - float(hi_row[metric]), float(lo_row[metric]) - c_lo[0])
            decide = _decide_text(n_small, gap, (gap - h, gap + h), max_gap, _population_size(a),
                                  f"people ({denominator}) in the smaller group")
        else:
            decide = "a larger population would decide it"
        head += f" — inconclusive: the groups' intervals overlap the allowed gap; {decide}"
    raise AssertionError(head + "\n" + _lines(lines))


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
    """
    __tracebackhide__ = True
    for name, d in (("from_domain", from_domain), ("to_domain", to_domain)):
        if d not in DOMAINS:
            raise InvalidArgument(f"{name}={d!r} is not a domain; domains are: {', '.join(DOMAINS)}")
    if isinstance(max_count, bool) or not isinstance(max_count, (int, np.integer)) or max_count < 0:
        raise InvalidArgument(f"max_count={max_count!r}; give a whole number >= 0")
    a = _audited(result, label)
    spill = _section(a, "spillover")
    matrix = spill.get("matrix")
    if not isinstance(matrix, Mapping):
        raise AssertionError(f"spillover.matrix was not computed for scorer {a.label!r}")
    count = (matrix.get(from_domain) or {}).get(to_domain, 0) or 0
    if count <= max_count:
        return
    row = matrix.get(from_domain) or {}
    lines = [(f"{from_domain} -> {to_domain}: {int(count):,} sanctions in the replay sample triggered by {from_domain} conduct "
              f"(allowed {max_count})")]
    sanctions = [s for s, d in a.sanctions.items() if d == to_domain]
    if sanctions:
        lines.append(f"sanctions restricting {to_domain}: {', '.join(sanctions)}")
    others = [f"{d} {int(c):,}" for d, c in row.items() if d != to_domain and c]
    if others:
        lines.append(f"{from_domain} conduct also leads to sanctions in: {', '.join(others)}")
    if _num(spill.get("unrelated_share")):
        lines.append(f"share of all sanctions falling in an unrelated domain: {100 * float(spill['unrelated_share']):.1f}%"
                     f"{_ci(spill.get('unrelated_share_ci'))}")
    if _num(spill.get("sample_size")):
        total = f", holding {int(spill['sanctions']):,} sanctions" if _num(spill.get("sanctions")) else ""
        lines.append(f"people in the replay sample: {int(spill['sample_size']):,}{total}")
    raise AssertionError(
        f"scorer {a.label!r}: conduct in {from_domain} leads to sanctions in {to_domain} "
        f"(detriment in an unrelated context, EU AI Act Art. 5(1)(c)):\n" + _lines(lines)
    )


# ----------------------------------------------------------------------------- overturn


_ID_OFFSETS = itertools.count(1)
#: Person ids are moved above this for the overturn replay, so a scorer that
#: caches by person id meets strangers (ids of the generator stay below 2**40).
_ID_BASE = 1 << 44


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
      :class:`~audit.population.Population`) or ``spec`` / ``size`` / ``seed``.
    - ``subject`` is an audit **result**: reads
      ``reversibility.overturn_violations`` and ``overturn_checked``.
    """
    __tracebackhide__ = True
    if hasattr(subject, "score") and hasattr(subject, "tiers"):
        _overturn_scorer(subject, population=population, spec=spec, size=size, seed=seed, as_of=as_of, max_people=max_people)
        return
    a = _audited(subject, label)
    rev = _section(a, "reversibility")
    bad, checked = rev.get("overturn_violations"), rev.get("overturn_checked")
    if bad is None:
        raise AssertionError(f"reversibility.overturn_violations was not computed for scorer {a.label!r}")
    if int(bad) == 0:
        if checked == 0:
            raise AssertionError(f"no overturn was checked for scorer {a.label!r}: no one in the replay sample had an event; "
                                 "audit a larger population")
        return
    of = f" of {int(checked):,}" if _num(checked) else ""
    example = rev.get("overturn_example") or rev.get("overturn_examples")
    raise AssertionError(
        f"scorer {a.label!r}: overturning an event did not restore the person's state in {int(bad):,}{of} replayed overturns "
        "(the scorer remembers overturned events)" + (f"\n  example: {example}" if example else "")
    )


def _overturn_scorer(scorer: Any, *, population: Any, spec: str, size: int, seed: int, as_of: int | None, max_people: int) -> None:
    __tracebackhide__ = True
    import pandas as pd

    from audit.population import Population
    from scorers.protocol import scorer_label, validate_score_frame

    if isinstance(max_people, bool) or not isinstance(max_people, (int, np.integer)) or max_people < 1:
        raise InvalidArgument(f"max_people={max_people!r}; give a whole number >= 1")
    if population is None:
        population = _small_population(spec, size, seed)
    elif not isinstance(population, Population):
        raise InvalidArgument(f"population={type(population).__name__}; pass an audit.population.Population (or spec=, size=)")
    horizon = population.horizon_months
    as_of = horizon - 1 if as_of is None else as_of
    if isinstance(as_of, bool) or not isinstance(as_of, (int, np.integer)) or not 0 <= as_of < horizon:
        raise InvalidArgument(f"as_of={as_of!r}; give a month from 0 to {horizon - 1}")
    name = scorer_label(scorer)

    offset = np.int64(_ID_BASE + next(_ID_OFFSETS) * (1 << 36))
    people = population.people.drop(columns=[c for c in ("reliability",) if c in population.people.columns]).copy()
    people["person_id"] = people["person_id"].to_numpy() + offset
    events = population.events.drop(columns=[c for c in ("genuine",) if c in population.events.columns]).reset_index(drop=True)
    events["person_id"] = events["person_id"].to_numpy() + offset
    ties = population.ties.copy()
    ties["person_id"] = ties["person_id"].to_numpy() + offset
    ties["friend_id"] = ties["friend_id"].to_numpy() + offset

    month = events["month"].to_numpy()
    pos = np.flatnonzero(month <= as_of)
    if pos.size == 0:
        raise AssertionError(f"no event is visible at month {as_of} in the population, so no overturn could be checked "
                             f"for scorer {name!r}; use a larger population")
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(pos)
    _, first = np.unique(events["person_id"].to_numpy()[shuffled], return_index=True)
    chosen = shuffled[first]
    if chosen.size > max_people:
        chosen = rng.choice(chosen, size=max_people, replace=False)
    chosen = np.sort(chosen)
    keep = np.ones(len(events), dtype=bool)
    keep[chosen] = False

    from audit.population import PopulationView

    def view(ev: pd.DataFrame) -> PopulationView:
        return PopulationView(people=people.copy(), events=ev, ties=ties.copy(), horizon_months=horizon)

    def score(ev: pd.DataFrame) -> pd.DataFrame:
        v = view(ev)
        return validate_score_frame(scorer, scorer.score(v, as_of=as_of), v)

    never = score(events.iloc[np.flatnonzero(keep)].copy().reset_index(drop=True))
    score(events.copy())
    after = score(events.copy().drop(index=events.index[chosen]))

    diff = ~np.isclose(never["score"].to_numpy(), after["score"].to_numpy(), rtol=1e-9, atol=1e-9)
    diff |= never["tier"].astype(object).to_numpy() != after["tier"].astype(object).to_numpy()
    sanctions = list(scorer.sanctions)
    for s in sanctions:
        diff |= never[s].to_numpy() != after[s].to_numpy()
    if not diff.any():
        return
    ids = people["person_id"].to_numpy()
    ev_person = events["person_id"].to_numpy()[chosen]
    overturned = dict(zip(ev_person.tolist(), chosen.tolist()))
    lines = []
    for i in np.flatnonzero(diff)[:_MAX_LINES]:
        pid = int(ids[i])
        what = ""
        if pid in overturned:
            e = events.iloc[overturned[pid]]
            what = f" (overturned {e['kind']} of month {int(e['month'])})"
        else:
            what = " (none of this person's events was overturned)"
        parts = [f"score {after['score'].iat[i]:g} after the overturn vs {never['score'].iat[i]:g} never recorded"]
        if after["tier"].iat[i] != never["tier"].iat[i]:
            parts.append(f"tier {after['tier'].iat[i]} vs {never['tier'].iat[i]}")
        on = [s for s in sanctions if after[s].iat[i] and not never[s].iat[i]]
        off = [s for s in sanctions if never[s].iat[i] and not after[s].iat[i]]
        if on:
            parts.append("still sanctioned: " + ", ".join(on))
        if off:
            parts.append("missing sanctions: " + ", ".join(off))
        lines.append(f"person {pid - int(offset)}{what}: " + "; ".join(parts))
    raise AssertionError(
        f"scorer {name!r}: overturning one event each for {chosen.size:,} people did not restore the state of "
        f"{int(diff.sum()):,} of {len(ids):,} people (scored at month {as_of}; the log never holding the events was scored "
        f"first, then the full log, then the log with the events removed):\n" + _lines(lines)
    )


_SMALL: dict[tuple[str, int, int], Any] = {}


def _small_population(spec: str, size: int, seed: int) -> Any:
    from audit.population import Population

    key = (str(spec), int(size), int(seed))
    if key not in _SMALL:
        if len(_SMALL) > 8:
            _SMALL.clear()
        _SMALL[key] = Population.synthesize(spec, size=int(size), seed=int(seed))
    return _SMALL[key]
