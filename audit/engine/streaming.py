"""The chunk loop of a run: resume, map chunks over an executor, merge exactly.

:class:`ChunkStream` yields each chunk's statistics once — first the chunks a
resumed run finds on disk (:mod:`audit.engine.checkpoint`), then the rest as an
executor (:mod:`audit.engine.executors`) finishes them, each saved to disk before it
is yielded. :func:`absorb` merges one chunk into the run's totals so that the
result does not depend on the order chunks arrive in: statistics merge exactly
(:mod:`audit.aggregate`), and when a scorer fails in several chunks the error
of the earliest chunk is the one reported — the one a serial run would see.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.aggregate import merge_all
from audit.engine.checkpoint import ChunkStore, run_fingerprint
from audit.engine.contract import AuditOptions, ChunkAudit, ChunkOutput
from audit.engine.executors import (
    ProcessExecutor,
    chunk_fault,
    chunk_fault_keeping_scores,
    make_executor,
    run_chunk,
    run_chunk_keeping_scores,
    tasks_for,
)
from audit.errors import InvalidArgument
from audit.population.groups import CellLayout
from audit.population.source import PopulationSource

__all__ = ["ChunkStream", "RunTotals", "absorb"]


@dataclass(slots=True, kw_only=True)
class RunTotals:
    """What the chunks of a run add up to so far."""

    merged: dict[str, Any] = field(default_factory=dict)
    """label -> audit name -> merged statistics."""
    errors: dict[str, str] = field(default_factory=dict)
    """label -> why the scorer failed."""
    error_block: dict[str, int] = field(default_factory=dict)
    """label -> first block of the chunk the reported error came from (-1: before any chunk)."""
    seconds: dict[str, float] = field(default_factory=dict)
    """stage -> seconds, summed over chunks (and workers)."""
    people: int = 0
    """People in the chunks absorbed."""


def absorb(totals: RunTotals, out: ChunkOutput, first_block: int) -> None:
    """Merge one chunk's output into ``totals``, independently of arrival order."""
    for label, msg in out.errors.items():
        if label not in totals.errors or first_block < totals.error_block.get(label, -1):
            totals.errors[label] = msg
            totals.error_block[label] = first_block
        totals.merged.pop(label, None)
    for label, aggs in out.aggregates.items():
        if label in totals.errors:
            continue
        totals.merged[label] = merge_all(totals.merged.get(label), aggs)
    for k, v in out.seconds.items():
        totals.seconds[k] = totals.seconds.get(k, 0.0) + v
    totals.people += out.people


def _recut(plan: list[tuple[int, int]], parts: int) -> list[tuple[int, int]]:
    """The same blocks cut into ``parts`` chunks (fewer when there are fewer blocks)."""
    first, end = plan[0][0], plan[-1][1]
    per = max(1, -(-(end - first) // parts))
    return [(b, min(b + per, end)) for b in range(first, end, per)]


class ChunkStream:
    """Every chunk of a run's plan, each once: resumed from disk or computed by an executor.

    Parameters
    ----------
    source, plan, audits, layout, options
        What to compute (``plan`` from :meth:`PopulationSource.chunk_plan`).
    active
        Called when a chunk is submitted: the ``(label, scorer)`` pairs still
        running (a scorer that failed is not run on later chunks).
    engine, workers, scheduler
        Where to compute (:func:`audit.engine.executors.make_executor`).
    checkpoint_dir
        Directory whose ``.chunks/`` keeps finished chunks until the run
        succeeds; ``None`` keeps nothing.
    resume
        Reuse the finished chunks found there; otherwise any are discarded first.
    on_scored
        ``on_scored(label, chunk, frame, scorer)`` for each scorer's frame of
        each chunk (forces the in-process executor; used by ``--save-scores``).
        With a supervised ``executor`` the rows are made in the workers and
        handed to ``on_scored.write_table(label, table)`` instead.
    executor
        An executor the caller owns (and closes), e.g. the run's supervised
        worker pool (:mod:`audit.engine.workers`); ``None``: one made for the chunks.
    cutoffs
        Called as each chunk is submitted: label -> the replay sample's per-stratum hash cut-offs of the
        chunks merged so far (:func:`audit.replay.pool.replay_cutoffs`), sent with the chunk.
    """

    def __init__(
        self,
        *,
        source: PopulationSource,
        plan: Sequence[tuple[int, int]],
        scorers: Sequence[tuple[str, Any]],
        active: Callable[[], Sequence[tuple[str, Any]]],
        audits: Sequence[ChunkAudit],
        layout: CellLayout,
        options: AuditOptions,
        engine: str = "local",
        workers: int | None = None,
        scheduler: str | None = None,
        checkpoint_dir: str | None = None,
        resume: bool = False,
        on_scored: Callable[..., None] | None = None,
        executor: Any = None,
        cutoffs: Callable[[], Mapping[str, Sequence[float]]] | None = None,
    ) -> None:
        if resume and checkpoint_dir is None:
            raise InvalidArgument("resume needs a checkpoint directory: pass checkpoint_dir (the CLI uses --out)")
        if resume and on_scored is not None:
            raise InvalidArgument(
                "resume= cannot be combined with save_scores=: the scores of chunks finished before the "
                "interruption were not kept; rerun without resume=, or without save_scores="
            )
        plan = list(plan)
        if source.synthetic and engine == "local" and workers is not None and 0 < len(plan) < workers:
            plan = _recut(plan, workers)  # a small population: one chunk per worker, so every core works
        self.source, self.plan, self.active = source, plan, active
        self.audits, self.layout, self.options = list(audits), layout, options
        self.engine, self.workers, self.scheduler = engine, workers, scheduler
        self.on_scored = on_scored
        self.executor = executor
        self.cutoffs = cutoffs
        self.store: ChunkStore | None = None
        if checkpoint_dir is not None and source.synthetic:
            fp = run_fingerprint(source=source, plan=self.plan, scorers=scorers, audits=self.audits,
                                 layout=layout, options=options)
            self.store = ChunkStore(checkpoint_dir, fp)
            if not resume:
                self.store.clear()
        self._resumable = set(self.store.finished()) if (self.store is not None and resume) else set()
        self.executor_name = ""

    @property
    def resumed_people(self) -> int:
        """People in the chunks a resumed run finds on disk (counted before any work)."""
        from audit.population.synth import BLOCK_SIZE

        size = self.source.size
        return sum(min(b[1] * BLOCK_SIZE, size) - b[0] * BLOCK_SIZE for b in self.plan if b[0] in self._resumable)

    def __iter__(self) -> Iterator[tuple[tuple[int, int], ChunkOutput, bool]]:
        """``(blocks, output, resumed)`` for every chunk of the plan, each exactly once."""
        done: set[int] = set()
        if self.store is not None and self._resumable:
            for blocks, out in self.store.iter_finished([b for b in self.plan if b[0] in self._resumable]):
                done.add(blocks[0])
                yield blocks, out, True
        fn: Callable[[Any], Any] = run_chunk
        if self.on_scored is not None:
            fn = functools.partial(run_chunk, on_scored=self.on_scored)
        executor = self.executor or make_executor(
            self.engine, workers=self.workers, scheduler=self.scheduler,
            n_chunks=len(self.plan) - len(done),
            in_process=self.on_scored is not None or not self.source.synthetic,
            timeout=self.options.scorer_timeout,
        )
        self.executor_name = executor.name
        tasks = tasks_for(self.source, self.plan, active=self.active, audits=self.audits, layout=self.layout,
                          options=self.options, skip=lambda blocks: blocks[0] in done, cutoffs=self.cutoffs)
        # a supervised pool reruns a chunk without a scorer that ended its worker (audit.engine.workers); the rows
        # of --save-scores then come back from the workers to be written here
        supervised: dict[str, Any] = {}
        keeping = isinstance(executor, ProcessExecutor) and self.on_scored is not None
        writer: Any = self.on_scored  # with supervised workers, an object with write_table(label, table)
        if isinstance(executor, ProcessExecutor):
            supervised["on_fault"] = chunk_fault_keeping_scores if keeping else chunk_fault
            if keeping:
                fn = run_chunk_keeping_scores
                supervised["on_rows"] = writer.write_table
        with contextlib.nullcontext(executor) if self.executor is not None else executor:
            for task, out in executor.imap_unordered(fn, tasks, **supervised):
                if keeping:
                    out, rows = out
                    for label, table in rows:
                        writer.write_table(label, table)
                if self.store is not None:
                    self.store.save(task.blocks[0], out)
                yield task.blocks, out, False

    @property
    def refused(self) -> list[str]:
        """Files found in the chunk store and not read (:attr:`audit.engine.checkpoint.ChunkStore.refused`)."""
        return list(self.store.refused) if self.store is not None else []

    def finish(self) -> None:
        """The run succeeded: delete its finished chunks, and other runs' abandoned ones, from disk."""
        if self.store is not None:
            self.store.clear()
            self.store.clear_abandoned()
