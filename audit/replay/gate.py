"""Replay audits only where there are rules to replay.

Appeal, reversibility, spill-over and contagion re-run a scorer over an
edited event log. A precomputed score (:class:`scorers.precomputed.PrecomputedScorer`,
``tags.replayable`` False) has no rules to re-run: re-scoring it would return
the same numbers whatever the edit, and the audits would report findings the
data cannot support. :class:`ReplayGate` wraps a replay audit so that such a
scorer's section says plainly that the audit is not applicable.

A replay audit may also need people columns a supplied table lacks (the
recourse plans price charity in months of income, say). It declares them as
``needs_columns`` (a :class:`NeedsColumns`), and the gate, not the audit,
checks the table: when a column is absent the audit neither samples nor
replays, and its section is one :func:`unavailable` record naming the column
and why it is needed, written the same way for every audit that declares one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from audit.engine.contract import AuditContext, ChunkAudit, ScoredChunk
from scorers.protocol import scorer_tags

__all__ = ["NOT_REPLAYABLE", "AbsentColumns", "NeedsColumns", "ReplayGate", "absent_columns", "not_applicable",
           "unavailable"]

NOT_REPLAYABLE = "not applicable: a precomputed score has no rules to re-run"


def not_applicable() -> dict[str, Any]:
    """The section of a replay audit for a scorer that cannot be replayed."""
    return {"available": False, "applicable": False, "reason": NOT_REPLAYABLE}


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedsColumns:
    """People columns a replay audit cannot run without, and why, for the record that says it was not computed."""

    columns: tuple[str, ...]
    """The people columns, e.g. ``("income", "age")``."""
    why: str
    """What needs them, completing "which ...", e.g. "the recourse plans need (income prices charity ...)"."""
    audit: str
    """The audit in words, completing "add the column to audit ...", e.g. "spill-over"."""


def unavailable(needs: NeedsColumns, absent: Iterable[str]) -> dict[str, Any]:
    """The section of an audit whose people table lacks columns it needs (``absent``): a
    :class:`audit.results.model.ReplayUnavailable` record saying which, why, and the fix."""
    return {
        "available": False,
        "reason": (f"not computed: the people table has no {' or '.join(absent)} column, which {needs.why}; "
                   f"add the column to audit {needs.audit}"),
    }


@dataclass(frozen=True, slots=True)
class AbsentColumns:
    """Declared columns a chunk's people table lacks (merged across chunks: the union, in declared order)."""

    names: tuple[str, ...]

    def merge(self, other: Self) -> Self:
        return type(self)(self.names + tuple(n for n in other.names if n not in self.names))


def absent_columns(audit: Any, columns: Iterable[str]) -> tuple[str, ...]:
    """The columns ``audit`` declares in ``needs_columns`` that are not among ``columns`` (none declared: none)."""
    needs: NeedsColumns | None = getattr(audit, "needs_columns", None)
    if needs is None:
        return ()
    present = set(columns)
    return tuple(c for c in needs.columns if c not in present)


#: Key of the collected statistics under which the gate records absent columns.
_ABSENT = "absent_columns"


class ReplayGate:
    """A replay audit run only where it can be: a replayable scorer, and the people columns the audit declares.

    A scorer whose tags say it cannot be replayed gets :func:`not_applicable`; a people table without a column
    in the audit's ``needs_columns`` gets :func:`unavailable`. Either way nothing is sampled or replayed.
    """

    def __init__(self, audit: ChunkAudit) -> None:
        self.audit = audit
        self.name = audit.name

    def collect(self, chunk: ScoredChunk) -> Mapping[str, Any]:
        if not scorer_tags(chunk.scorer).replayable:
            return {}
        absent = absent_columns(self.audit, chunk.population.people.columns)
        if absent:
            return {_ABSENT: AbsentColumns(absent)}
        return self.audit.collect(chunk)

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        if not scorer_tags(ctx.scorer).replayable:
            return not_applicable()
        absent = merged.get(_ABSENT)
        if isinstance(absent, AbsentColumns):
            needs: NeedsColumns = self.audit.needs_columns  # type: ignore[attr-defined]  # declared: absent_columns found some
            return unavailable(needs, absent.names)
        return self.audit.finalize(merged, ctx)
