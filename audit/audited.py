"""Reading audit results and wording verdicts: shared by the replay verdicts and the assertion helpers.

Used by :mod:`audit.replay.verdicts` and :mod:`audit.testing.assertions`. A
result may come as the pytest ``audit_run`` fixture, a
:class:`~audit.runner.ScorerRun`, a :class:`~audit.runner.RunResult`, a
scorer's entry of ``results.json`` or the whole document: :func:`read_result`
turns any of them into one :class:`Audited` value. The rest formats numbers,
intervals and groups the same way in every message, decides a verdict from an
estimate and its interval, and estimates the people that would decide an
inconclusive one (:func:`people_needed`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np

from audit.errors import InvalidArgument
from audit.evidence import HOLDS, MIN_OBSERVATIONS, NOT_ENOUGH, VIOLATED, Evidence
from audit.power import MAX_GROWTH, observations_to_decide

__all__ = [
    "Audited",
    "MAX_LINES",
    "audited_sections",
    "read_result",
    "section",
    "population_size",
    "is_number",
    "fmt",
    "fmt_ci",
    "fmt_group",
    "indent_lines",
    "people_needed",
    "decide_text",
    "evidence_for",
    "verdict",
    "months_ci",
]

#: Keys of a results.json scorer entry that describe the scorer rather than hold a section.
_META_KEYS = frozenset({"label", "name", "version", "description", "params", "tiers", "favourable_tiers", "sanctions",
                        "status", "error"})

#: Lines of detail shown per failure before "... and N more".
MAX_LINES = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class Audited:
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
    a = read_result(result, label)
    return a.label, a.sections


def read_result(result: Any, label: str | None) -> Audited:
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
        f"cannot read audit results from a {type(result).__name__}; pass the `audit_run` fixture, a ScorerRun, a RunResult "
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


def _from_run(run: Any, size: int | None) -> Audited:
    __tracebackhide__ = True
    if getattr(run, "error", None):  # a ScorerRun of a failed scorer
        raise AssertionError(f"scorer {run.label!r} failed during the audit run, so nothing was audited: {run.error}")
    sanctions = dict(getattr(run.scorer, "sanctions", {}) or {})
    return Audited(label=str(run.label), sections=run.sections, population_size=size, sanctions=sanctions)


def _from_entry(entry: Mapping[str, Any], size: int | None) -> Audited:
    __tracebackhide__ = True
    if entry.get("status") == "failed":
        raise AssertionError(f"scorer {entry.get('label')!r} failed during the audit run, so nothing was audited: {entry.get('error')}")
    declared = entry.get("sanctions")
    sanctions: dict[str, str] = dict(declared) if isinstance(declared, Mapping) else {}
    return Audited(label=str(entry["label"]), sections=entry, population_size=size, sanctions=sanctions)


def section(a: Audited, name: str) -> Mapping[str, Any]:
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


def population_size(a: Audited) -> int | None:
    if a.population_size:
        return int(a.population_size)
    disparity = a.sections.get("disparity")
    if isinstance(disparity, Mapping):
        node = disparity.get("income_quintile")
        if isinstance(node, Mapping) and isinstance(node.get("groups"), list):
            return int(sum(g.get("n") or 0 for g in node["groups"]) + (node.get("unknown_n") or 0))
    return None


# ----------------------------------------------------------------------------- formatting


def is_number(x: Any) -> TypeGuard[float]:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(float(x))


def fmt(x: Any, digits: int = 3) -> str:
    return f"{float(x):.{digits}f}" if is_number(x) else "undefined"


def fmt_ci(ci: Any, digits: int = 3) -> str:
    if isinstance(ci, Sequence) and len(ci) == 2 and is_number(ci[0]) and isinstance(ci[1], (int, float)):
        hi = "never" if math.isinf(float(ci[1])) else f"{float(ci[1]):.{digits}f}"
        return f" [95% CI {float(ci[0]):.{digits}f}, {hi}]"
    return ""


def fmt_group(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " × ".join(str(v) for v in value)
    return str(value)


def indent_lines(lines: list[str]) -> str:
    shown = lines[:MAX_LINES]
    more = len(lines) - len(shown)
    return "\n".join(["  " + s for s in shown] + ([f"  ... and {more} more"] if more > 0 else []))


def people_needed(n: int, estimate: float, interval: Sequence[float], threshold: float) -> int | None:
    """People needed for an interval around ``estimate`` to stop straddling ``threshold``.

    :func:`audit.power.observations_to_decide`: ``n * (h / d)**2`` with ``h``
    the interval's half-width on the threshold's side and ``d = |estimate -
    threshold|``; ``None`` when the estimate sits on the threshold, the
    interval is unbounded on that side, or more than ``MAX_GROWTH`` times the
    present people would be needed (no practical sample decides it).

    Examples
    --------
    >>> people_needed(1000, 0.78, (0.74, 0.82), 0.8)
    4000
    """
    return observations_to_decide(n, estimate, interval, threshold)


def decide_text(n: int | None, estimate: float, interval: Sequence[float] | None, threshold: float, total: int | None,
                 what: str, *, option: str | None = None) -> str:
    """How much evidence there is, how much would decide it, and the option that gets it.

    ``option`` (e.g. ``"--audit-size"``) is advised, scaled from ``total``,
    only when the evidence grows in proportion to it: the disparity audit's
    groups grow with the audited population, a replay sample does not, so
    without ``option`` no rerun size is suggested.
    """
    if n is None or n <= 0 or interval is None:
        return f"not enough evidence: no {what} with an interval to decide it"
    need = people_needed(n, estimate, interval, threshold)
    if need is None:
        d = abs(float(estimate) - float(threshold))
        if d <= 1e-12 * max(1.0, abs(float(threshold))):
            return (f"not enough evidence: rests on {n:,} {what}, and the estimate sits exactly on the threshold, "
                    "so no sample size decides it")
        lo, hi = float(interval[0]), float(interval[1])
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return f"not enough evidence: rests on {n:,} {what}; the interval is unbounded on the threshold's side"
        return (f"not enough evidence: rests on {n:,} {what}; the estimate is so close to the threshold that more than "
                f"{MAX_GROWTH} times as many would be needed, so no practical sample size decides it")
    text = f"not enough evidence: about {need:,} {what} (now {n:,}) would decide it"
    remedy = _rerun(option, total, need, n)
    return text + (f" — rerun with {remedy}" if remedy else "")


def _rerun(option: str | None, total: int | None, need: int | None, n: int) -> str | None:
    """``"--audit-size N"``: the population at which ``need`` of the present ``n`` would be observed."""
    if not option or not total or not need or n <= 0:
        return None
    return f"{option} {math.ceil(total * need / n):,}"


def evidence_for(n: int | None, estimate: float, interval: Sequence[float] | None, threshold: float, *, fail_above: bool,
                 what: str, total: int | None = None, option: str | None = None,
                 minimum: int = MIN_OBSERVATIONS) -> Evidence:
    """The three-outcome verdict on an estimate that must stay on one side of ``threshold``.

    Not enough evidence when fewer than ``minimum`` observations back it
    (never a pass on zero or one) or its interval straddles the threshold;
    then ``needed`` is how many would decide it (:func:`people_needed`) and
    ``remedy`` the ``option`` with the population that gets them, when the
    evidence grows with the population (see :func:`decide_text`).
    """
    n = int(n or 0)
    if n < minimum:
        return Evidence(outcome=NOT_ENOUGH, observed=n, what=what, needed=minimum, remedy=_rerun(option, total, minimum, n))
    v = verdict(float(estimate), interval, threshold, fail_above=fail_above)
    if v != "inconclusive":
        return Evidence(outcome=VIOLATED if v == "fail" else HOLDS, observed=n, what=what)
    need = people_needed(n, estimate, interval, threshold) if interval is not None else None
    return Evidence(outcome=NOT_ENOUGH, observed=n, what=what, needed=need, remedy=_rerun(option, total, need, n))


def verdict(estimate: float, ci: Any, threshold: float, *, fail_above: bool) -> str:
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


def months_ci(ci: Any) -> list[float] | None:
    """A months interval with an upper bound of "never" (``None``) read as infinity."""
    if isinstance(ci, Sequence) and len(ci) == 2 and is_number(ci[0]):
        return [float(ci[0]), float(ci[1]) if is_number(ci[1]) else math.inf]
    return None
