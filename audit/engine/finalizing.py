"""Finalize every scorer's audits, one scorer per worker.

After the merge, each audit turns its statistics into its section; the replay
audits and rule attribution also replay their pooled sample then
(:mod:`audit.replay.pool`), which is most of the work. Scorers are independent,
so their finalizing is mapped over the run's executor like the chunks: only
the merged statistics and the pooled sample travel, and each worker returns a
scorer's sections. Always a local pool, also for a Dask run: a few scorers'
finalizing is not worth a cluster's start-up. A scorer that fails while its sample is replayed is
reported like a failure in a chunk.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.engine.contract import AuditContext, ChunkAudit, describe_failure
from audit.engine.executors import make_executor
from audit.engine.guard import plugin_section
from audit.engine.workers import Fault, ProcessExecutor

__all__ = ["FinalizeTask", "Finalized", "finalize_all", "finalize_fault", "finalize_scorer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalizeTask:
    """One scorer's merged statistics and the audits that finalize them."""

    label: str
    audits: tuple[ChunkAudit, ...]
    merged: Mapping[str, Any]
    """Audit name -> merged statistics of this scorer."""
    ctx: AuditContext


@dataclass(frozen=True, slots=True, kw_only=True)
class Finalized:
    """One scorer's sections, or why its scorer failed."""

    sections: dict[str, Any]
    """Audit name -> section (empty when the scorer failed)."""
    error: str | None
    seconds: float


def finalize_scorer(task: FinalizeTask) -> Finalized:
    """Every audit's section for one scorer (the function executors map)."""
    t0 = time.perf_counter()
    sections: dict[str, Any] = {}
    try:
        with plugin_section(task.label):  # a worker that dies in here is blamed on this scorer (audit.engine.workers)
            for audit in task.audits:
                sections[audit.name] = audit.finalize(task.merged[audit.name], task.ctx)
    except Exception as exc:  # noqa: BLE001 - whatever finalizing one scorer raises fails that scorer alone
        return Finalized(sections={}, error=describe_failure(exc), seconds=time.perf_counter() - t0)
    return Finalized(sections=sections, error=None, seconds=time.perf_counter() - t0)


def finalize_all(
    tasks: Sequence[FinalizeTask], *, workers: int | None = None, in_process: bool = False, executor: Any = None,
) -> dict[str, Finalized]:
    """Label -> :class:`Finalized`, scorers spread over a local process pool of ``workers`` (1: this process).

    ``executor``: a supervised pool the caller owns (:mod:`audit.engine.workers`) to use instead.
    """
    own = executor is None
    if own:
        timeout = tasks[0].ctx.options.scorer_timeout if tasks else None
        executor = make_executor("local", workers=workers, n_chunks=len(tasks), in_process=in_process, timeout=timeout)
    supervised = {"on_fault": finalize_fault} if isinstance(executor, ProcessExecutor) else {}
    out: dict[str, Finalized] = {}
    with executor if own else contextlib.nullcontext(executor):
        for task, done in executor.imap_unordered(finalize_scorer, iter(tasks), **supervised):
            out[task.label] = done
    return out


def finalize_fault(task: FinalizeTask, label: str, message: str) -> Fault:
    """The worker finalizing ``task`` died in its scorer: that scorer failed."""
    return Fault(result=Finalized(sections={}, error=message, seconds=0.0))
