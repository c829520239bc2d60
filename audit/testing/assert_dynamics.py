"""Dynamics assertions: the gap between groups does not grow as people respond to the score."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.audited import is_number
from audit.dynamics.attach import dynamics_for
from audit.dynamics.verdict import gap_growth
from audit.errors import InvalidArgument
from audit.evidence import HOLDS, VIOLATED

__all__ = ["assert_gap_does_not_grow"]

_ATTRIBUTES = ("income_quintile", "education")


def assert_gap_does_not_grow(result: Any, *, by: str = "income_quintile", years: int = 5, tolerance: float = 0.01,
                             label: str | None = None) -> None:
    """The favourable-rate gap by ``by`` grows by at most ``tolerance`` over ``years`` years of responses.

    The gap is the favourable rate of the group best off at the start minus
    that of the group worst off (:mod:`audit.dynamics.measures`); the same
    people are followed, so its change has a paired 95% interval. Reads the
    run's ``dynamics`` section, or simulates ``years`` years on the run's
    population when the run has none (the ``audit_run`` fixture, a
    :class:`~audit.runner.RunResult`).

    Three outcomes (:mod:`audit.evidence`): violated when the interval of
    the change lies above ``tolerance``; holds when it lies at or below;
    otherwise not enough evidence, which fails too and says how many people
    would decide it.

    Parameters
    ----------
    by : str
        ``income_quintile`` or ``education``.
    years : int
        Years of the scheme after which the gap is compared with the start.
    tolerance : float
        Largest acceptable growth of the gap, as a share of people (default 0.01: one percentage point).
    """
    __tracebackhide__ = True
    if by not in _ATTRIBUTES:
        raise InvalidArgument(f"by={by!r}: the dynamics measures are by {' or '.join(_ATTRIBUTES)}")
    if not (is_number(tolerance) and 0.0 <= tolerance <= 1.0):
        raise InvalidArgument(f"tolerance={tolerance!r}; give a share between 0 and 1")
    name, dyn = dynamics_for(result, label=label, years=years)
    if dyn.get("status") == "failed":
        raise AssertionError(f"scorer {name!r}: the dynamics simulation failed, so nothing was measured: {dyn.get('error')}")
    sec = (dyn.get("by") or {}).get(by)
    if not isinstance(sec, Mapping) or "years" not in sec:
        reason = sec.get("reason") if isinstance(sec, Mapping) else "the section is missing"
        raise AssertionError(f"scorer {name!r}: no favourable-rate gap by {by} ({reason}); not enough evidence")
    evidence = gap_growth(sec, year=years, tolerance=tolerance)
    if evidence.outcome == HOLDS:
        return
    row: Mapping[str, Any] = next((y for y in sec["years"] if y.get("year") == years), {})
    start: Mapping[str, Any] = next((y for y in sec["years"] if y.get("year") == 0), {})
    change, ci = row.get("gap_change"), row.get("gap_change_ci")
    head = "the gap grows" if evidence.outcome == VIOLATED else "cannot tell whether the gap grows"
    lines = [
        f"scorer {name!r}: {head} by {by} over {years} years (tolerance {100 * tolerance:.1f} points)",
        f"  groups: {sec.get('reference')} (best off at the start) vs {sec.get('compared')} (worst off)",
        f"  gap at the start: {_pts(start.get('gap'))}; after {years} years: {_pts(row.get('gap'))}",
        f"  change: {_pts(change)}, 95% CI {_pts(ci[0]) if ci else '?'} to {_pts(ci[1]) if ci else '?'}",
        f"  {evidence.describe()}",
    ]
    raise AssertionError("\n".join(lines))


def _pts(x: Any) -> str:
    return f"{100 * x:+.1f} points" if is_number(x) else "not computed"
