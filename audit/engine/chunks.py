"""One chunk's work: the task a worker receives, and the function every executor maps over tasks.

A :class:`ChunkTask` is a small, picklable description of one chunk (the
population source, a block range, the scorers, the audits and the options),
and :func:`run_chunk` turns it into a :class:`~audit.engine.contract.ChunkOutput`
of mergeable statistics, generating, scoring and auditing the chunk in
batches. Only the task goes to a worker and only the statistics come back:
no frame of people or events is ever pickled. :func:`chunk_fault` says how a
chunk goes on when a worker dies in one scorer, and :func:`tasks_for` makes the
run's tasks lazily. Where tasks run is :mod:`audit.engine.executors`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from audit.aggregate import merge_all
from audit.engine.allocator import reuse_freed_memory
from audit.engine.contract import AuditOptions, ChunkAudit, ChunkOutput, process_chunk, scores_table
from audit.engine.guard import hand_over
from audit.engine.workers import Fault
from audit.population.groups import CellLayout
from audit.population.model import Population
from audit.population.source import PopulationSource

__all__ = [
    "ChunkTask",
    "chunk_fault",
    "chunk_fault_keeping_scores",
    "reuse_freed_memory",
    "run_chunk",
    "run_chunk_keeping_scores",
    "tasks_for",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkTask:
    """Everything a worker needs to produce one chunk's statistics; small and picklable."""

    source: PopulationSource
    """Spec, size and seed of a synthetic population (a few kilobytes pickled)."""
    blocks: tuple[int, int]
    """Generation blocks ``[first, end)`` of this chunk (:func:`audit.population.synth.chunk_ranges`)."""
    scorers: tuple[tuple[str, Any], ...]
    """``(label, scorer)`` pairs; a scorer is an object (pickled as class + params) or a registry spec string."""
    audits: tuple[ChunkAudit, ...]
    """The audits whose ``collect`` runs on the chunk."""
    layout: CellLayout
    """Cell layout shared by every chunk."""
    options: AuditOptions
    """Audit options shared by every chunk."""
    replay_cutoffs: tuple[tuple[str, tuple[float, ...]], ...] = ()
    """``(label, per-stratum hash)`` pairs: the replay sample's cut-offs once the chunks finished before this one
    was sent are merged (:func:`audit.replay.pool.replay_cutoffs`); the chunk gathers no one above them.

    They only shrink what the chunk gathers and sends back: at 1.4e9 people a
    chunk's output is 8.5 MiB pickled without them (its 2,000 people a stratum
    for each scorer, with friends, events and ties) and 2.1 MiB once five
    chunks are merged, shrinking as one over the chunks merged. The run's
    sample and every figure are the same with or without them.
    """
    batch_size: int = 16 * 65_536
    """People generated, scored and audited at a time inside the chunk (rounded to whole blocks).

    Statistics merge exactly, so the batch size never changes a result; it
    sets the working memory and how often each batch's fixed costs are paid
    (a ``score`` call's frame building and validation, the ground-truth and
    attribution samples' small re-scorings). Measured here with the compiled
    scorers (``python bench/scale.py --only e``, one core, medians of three):
    1,048,576 people a batch ran 1.08 times as fast as 262,144 and 1.3 times
    as fast as 131,072; on both cores the 1.4e9 run's chunk loop went from
    2.4 to 2.8 million people/s, and peak memory at 1e8 people from 0.83 to
    1.39 GiB (``python bench/scale.py --huge``).
    """


_SCORER_CACHE: dict[str, Any] = {}


def _scorer(spec: Any) -> Any:
    """A scorer object; registry specs (strings) are loaded once per worker process."""
    if not isinstance(spec, str):
        return spec
    if spec not in _SCORER_CACHE:
        from scorers.registry import load_scorer

        _SCORER_CACHE[spec] = load_scorer(spec)
    return _SCORER_CACHE[spec]


def run_chunk(task: ChunkTask, *, on_scored: Callable[[str, Population, Any, Any], None] | None = None) -> ChunkOutput:
    """Generate (or take) one chunk, score it with every scorer and collect every audit.

    The function every executor maps. The chunk is processed in batches of
    ``task.batch_size`` people whose statistics are merged (exactly) into one
    output; a scorer that fails in a batch is not run on the chunk's later
    batches, as the runner does across chunks. ``on_scored(label, batch, frame,
    scorer)``, only for the in-process executor, receives each scorer's frame
    of each batch (``--save-scores``).
    """
    reuse_freed_memory()
    scorers = [(label, _scorer(s)) for label, s in task.scorers]
    audits = list(task.audits)
    total: ChunkOutput | None = None
    for blocks in _batches(task):
        if not scorers:  # every scorer failed: nothing left to compute
            total = _merge_outputs(total, ChunkOutput(aggregates={}, errors={}, seconds={}, people=_people_in(task, blocks)))
            continue
        t0 = time.perf_counter()
        batch = task.source.chunk(blocks)
        generate = time.perf_counter() - t0
        out = process_chunk(batch, scorers, audits, task.layout, task.options, on_scored=on_scored,
                            replay_cutoffs=dict(task.replay_cutoffs))
        out = replace(out, seconds={"generate": generate, **out.seconds})
        del batch
        total = _merge_outputs(total, out)
        scorers = [(label, s) for label, s in scorers if label not in total.errors]
    assert total is not None
    return total


def run_chunk_keeping_scores(task: ChunkTask) -> tuple[ChunkOutput, list[tuple[str, Any]]]:
    """:func:`run_chunk`, also returning each scorer's per-person rows of each batch (``--save-scores``).

    What a supervised worker (:mod:`audit.engine.workers`) runs when the scores are
    saved: the rows (:func:`audit.engine.contract.scores_table`) travel back to the main
    process, which writes them, so the scorers need not run there. In a
    worker each scorer's rows are handed over as soon as they are made
    (:func:`audit.engine.guard.hand_over`) and the returned list is empty.
    """
    rows: list[tuple[str, Any]] = []
    sent: dict[str, int] = {}

    def keep(label: str, batch: Population, frame: Any, scorer: Any) -> None:
        table = scores_table(label, batch, frame, scorer)
        # to the supervisor at once (written before the next scorer starts), else with the output
        if not hand_over(("rows", label, sent.get(label, 0), table)):
            rows.append((label, table))
        sent[label] = sent.get(label, 0) + 1

    return run_chunk(task, on_scored=keep), rows


def _batches(task: ChunkTask) -> list[tuple[int, int]]:
    """The chunk's block range cut into runs of whole blocks of about ``batch_size`` people."""
    first, end = task.blocks
    if not task.source.synthetic:
        return [(first, end)]
    from audit.population.synth import BLOCK_SIZE

    per = max(1, -(-int(task.batch_size) // BLOCK_SIZE))
    return [(b, min(b + per, end)) for b in range(first, end, per)]


def _people_in(task: ChunkTask, blocks: tuple[int, int]) -> int:
    if not task.source.synthetic:
        return task.source.size
    from audit.population.synth import BLOCK_SIZE

    return min(blocks[1] * BLOCK_SIZE, task.source.size) - blocks[0] * BLOCK_SIZE


def _merge_outputs(a: ChunkOutput | None, b: ChunkOutput) -> ChunkOutput:
    """Two consecutive batches' outputs as one (``a`` came first, so its errors win)."""
    if a is None:
        return b
    errors = {**b.errors, **a.errors}
    aggregates = {}
    for label in list(a.aggregates) + [k for k in b.aggregates if k not in a.aggregates]:
        if label not in errors:
            aggregates[label] = merge_all(a.aggregates.get(label), b.aggregates.get(label))
    seconds = dict(a.seconds)
    for k, v in b.seconds.items():
        seconds[k] = seconds.get(k, 0.0) + v
    return ChunkOutput(aggregates=aggregates, errors=errors, seconds=seconds, people=a.people + b.people)


def chunk_fault(task: ChunkTask, label: str, message: str) -> Fault:
    """A chunk whose worker died running scorer ``label``: run it again without that scorer, reporting it."""
    rest = tuple((lab, s) for lab, s in task.scorers if lab != label)
    if not rest:
        return Fault(result=ChunkOutput(aggregates={}, errors={label: message}, seconds={}, people=_people_in(task, task.blocks)))

    def finish(out: ChunkOutput) -> ChunkOutput:
        return replace(out, errors={**out.errors, label: message})

    return Fault(retry=replace(task, scorers=rest), finish=finish)


def chunk_fault_keeping_scores(task: ChunkTask, label: str, message: str) -> Fault:
    """:func:`chunk_fault` for :func:`run_chunk_keeping_scores` (results are ``(output, rows)``)."""
    fault = chunk_fault(task, label, message)
    if fault.retry is None:
        return Fault(result=(fault.result, []))
    finish = fault.finish
    assert finish is not None
    return Fault(retry=fault.retry, finish=lambda result: (finish(result[0]), result[1]))


def tasks_for(
    source: PopulationSource,
    plan: Sequence[tuple[int, int]],
    *,
    active: Callable[[], Sequence[tuple[str, Any]]],
    audits: Iterable[ChunkAudit],
    layout: CellLayout,
    options: AuditOptions,
    skip: Callable[[tuple[int, int]], bool] = lambda blocks: False,
    cutoffs: Callable[[], Mapping[str, Sequence[float]]] | None = None,
) -> Iterator[ChunkTask]:
    """Tasks for the chunks of ``plan`` not skipped, each with the scorers still active when it is submitted.

    ``cutoffs()``, read as each task is made, gives its replay cut-offs (:attr:`ChunkTask.replay_cutoffs`).
    """
    audits = tuple(audits)
    for blocks in plan:
        if skip(blocks):
            continue
        scorers = tuple(active())
        if not scorers:
            return
        cut = {} if cutoffs is None else cutoffs()
        labels = {label for label, _ in scorers}
        yield ChunkTask(source=source, blocks=(blocks[0], blocks[1]), scorers=scorers, audits=audits, layout=layout,
                        options=options,
                        replay_cutoffs=tuple((k, tuple(float(c) for c in v)) for k, v in cut.items() if k in labels))
