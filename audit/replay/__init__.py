"""Replay audits: score edited copies of sampled people's logs through the scorer contract.

Sampling (:mod:`audit.replay.sample`, :mod:`audit.replay.strata`,
:mod:`audit.replay.pool`) and edited logs (:mod:`audit.replay.logs`) serve the
audits: appeal, reversibility (with recovery and recourse), spill-over and
contagion, plus rule probes and month-by-month timelines.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.replay.appeal import AppealAudit
    from audit.replay.contagion import ContagionAudit
    from audit.replay.logs import EventArrays, Variants
    from audit.replay.pool import ReplayPool
    from audit.replay.reversibility import ReversibilityAudit
    from audit.replay.sample import ReplaySample
    from audit.replay.spillover import SpilloverAudit

_EXPORTS = {
    "AppealAudit": "audit.replay.appeal",
    "ReversibilityAudit": "audit.replay.reversibility",
    "SpilloverAudit": "audit.replay.spillover",
    "ContagionAudit": "audit.replay.contagion",
    "ReplaySample": "audit.replay.sample",
    "ReplayPool": "audit.replay.pool",
    "EventArrays": "audit.replay.logs",
    "Variants": "audit.replay.logs",
}

__all__ = [
    "AppealAudit",
    "ContagionAudit",
    "EventArrays",
    "ReplayPool",
    "ReplaySample",
    "ReversibilityAudit",
    "SpilloverAudit",
    "Variants",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
