"""Replay audits only where there are rules to replay.

Appeal, reversibility, spill-over and contagion re-run a scorer over an
edited event log. A precomputed score (:class:`scorers.precomputed.PrecomputedScorer`,
``tags.replayable`` False) has no rules to re-run: re-scoring it would return
the same numbers whatever the edit, and the audits would report findings the
data cannot support. :class:`ReplayGate` wraps a replay audit so that such a
scorer's section says plainly that the audit is not applicable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.engine.contract import AuditContext, ChunkAudit, ScoredChunk
from scorers.protocol import scorer_tags

__all__ = ["NOT_REPLAYABLE", "ReplayGate", "not_applicable"]

NOT_REPLAYABLE = "not applicable: a precomputed score has no rules to re-run"


def not_applicable() -> dict[str, Any]:
    """The section of a replay audit for a scorer that cannot be replayed."""
    return {"available": False, "applicable": False, "reason": NOT_REPLAYABLE}


class ReplayGate:
    """A replay audit that skips scorers whose tags say they cannot be replayed."""

    def __init__(self, audit: ChunkAudit) -> None:
        self.audit = audit
        self.name = audit.name

    def collect(self, chunk: ScoredChunk) -> Mapping[str, Any]:
        if not scorer_tags(chunk.scorer).replayable:
            return {}
        return self.audit.collect(chunk)

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        if not scorer_tags(ctx.scorer).replayable:
            return not_applicable()
        return self.audit.finalize(merged, ctx)
