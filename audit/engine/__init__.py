"""The chunk engine: score chunks of people and collect every audit's mergeable statistics.

An audit is a pair of pure functions (:class:`ChunkAudit`, in
:mod:`audit.engine.contract`). :mod:`audit.engine.streaming` maps chunks over an
executor (:mod:`audit.engine.executors`; supervised worker processes in
:mod:`audit.engine.workers`), keeps finished chunks for ``--resume``
(:mod:`audit.engine.checkpoint`, :mod:`audit.engine.chunk_format`) and merges
them; :mod:`audit.engine.finalizing` turns merged statistics into sections.
:mod:`audit.engine.guard` times and isolates plugin calls and
:mod:`audit.engine.probing` checks scorers before a run.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.engine.contract import (
        AuditContext,
        AuditOptions,
        ChunkAudit,
        ChunkOutput,
        ScoredChunk,
        process_chunk,
        score_checked,
    )
    from audit.engine.executors import ENGINES, default_workers, make_executor
    from audit.engine.streaming import ChunkStream, RunTotals

_EXPORTS = {
    "AuditContext": "audit.engine.contract",
    "AuditOptions": "audit.engine.contract",
    "ChunkAudit": "audit.engine.contract",
    "ChunkOutput": "audit.engine.contract",
    "ScoredChunk": "audit.engine.contract",
    "process_chunk": "audit.engine.contract",
    "score_checked": "audit.engine.contract",
    "ENGINES": "audit.engine.executors",
    "default_workers": "audit.engine.executors",
    "make_executor": "audit.engine.executors",
    "ChunkStream": "audit.engine.streaming",
    "RunTotals": "audit.engine.streaming",
}

__all__ = [
    "AuditContext",
    "AuditOptions",
    "ChunkAudit",
    "ChunkOutput",
    "ChunkStream",
    "ENGINES",
    "RunTotals",
    "ScoredChunk",
    "default_workers",
    "make_executor",
    "process_chunk",
    "score_checked",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
