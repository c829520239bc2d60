"""Dynamics chunks in supervised worker processes (:class:`audit.engine.workers.ProcessExecutor`).

Each chunk of a simulation is simulated alone (ties stay within a
generation block), so chunks are tasks like a static audit's: a small,
picklable :class:`DynamicsTask` goes to a worker, which draws the chunk,
simulates it and sends back its :class:`~audit.dynamics.tally.Tally`; no
frame of people or events is pickled. The scheme is probed first, in a worker
too, on the first people (the first generation block holds them whatever the
chunk size). Tallies come back one per generation block and are merged in
block order, so the figures are bit for bit those of the single-process path.

A scorer that raises or breaks the contract fails its simulation as in the
main process; one that ends or crashes its worker, hangs past
``--scorer-timeout`` or overfills its worker (``--worker-memory``) fails it
too, named, while the run goes on: the worker is replaced, as in static audits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from audit.dynamics.chunk import ChunkPlan, simulate_chunk
from audit.dynamics.probe import Probe, probe_scheme
from audit.dynamics.tally import Tally, merge_tallies
from audit.engine.contract import describe_failure
from audit.engine.guard import plugin_section
from audit.engine.workers import Fault, ProcessExecutor
from audit.errors import ScorerContractError, ScorerFailed
from audit.population.dynamics_spec import DynamicsSpec
from audit.population.source import PopulationSource
from audit.population.spec import PopulationSpec

__all__ = ["DynamicsTask", "TaskResult", "run_dynamics_task", "simulate_in_pool"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DynamicsTask:
    """One chunk of one scorer's simulation, or the probe of its scheme; small and picklable."""

    label: str
    scorer: Any
    """The scorer object (pickled with its parameters), time-limited by the caller if it should be."""
    source: PopulationSource
    """The static population the simulation starts from (spec, size and seed: :func:`~audit.dynamics.simulation.history_source`)."""
    blocks: tuple[int, int]
    index: int
    """Position of the chunk in the plan (the probe's is -1): tallies are merged in this order."""
    plan: ChunkPlan | None = None
    """What every chunk shares; ``None`` for the probe."""
    spec: PopulationSpec | None = None
    """The spec itself (its own horizon), for the probe."""
    as_of: int = 0
    """Month the probe scores at (the static audit's)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskResult:
    """What a worker sends back: a probe, a chunk's tally, or why the scorer failed."""

    index: int
    probe: Probe | None = None
    tallies: list[Tally] | None = None
    """The chunk's tallies, one per generation block in order (:func:`audit.dynamics.tally.tallies_by_block`)."""
    error: str | None = None


def run_dynamics_task(task: DynamicsTask) -> TaskResult:
    """Draw the task's chunk and probe the scheme on it or simulate it (what a worker runs).

    Drawing the chunk is the harness's own work; the rest runs as scorer ``task.label``
    (:class:`audit.engine.guard.plugin_section`): a worker that dies there is blamed on that scorer.
    """
    population = task.source.chunk(task.blocks)
    with plugin_section(task.label):
        try:
            if task.plan is None:
                assert task.spec is not None, "a probe task carries the spec"
                return TaskResult(index=task.index, probe=probe_scheme(task.scorer, population, task.spec, as_of=task.as_of))
            handed = [population]
            del population  # simulate_chunk frees the drawn frames once it has their columns
            return TaskResult(index=task.index, tallies=simulate_chunk(task.scorer, handed, task.plan, blocks=task.blocks))
        except (ScorerFailed, ScorerContractError) as exc:
            return TaskResult(index=task.index, error=describe_failure(exc))


def task_fault(task: DynamicsTask, label: str, message: str) -> Fault:
    """A task whose worker died in its scorer: the scorer's simulation fails with the supervisor's message."""
    return Fault(result=TaskResult(index=task.index, error=message))


def simulate_in_pool(pool: ProcessExecutor, scorer: Any, *, label: str, source: PopulationSource, spec: PopulationSpec,
                     plan: list[tuple[int, int]], dyn: DynamicsSpec, seed: int, start: int,
                     months: int, size: int) -> tuple[Probe | None, Tally | None, str | None]:
    """``(probe, merged tally, error)`` of a simulation whose chunks (block ranges ``plan``) run in ``pool``.

    The arguments are those of :class:`~audit.dynamics.chunk.ChunkPlan`. On
    the first failure no further chunk is handed out; the error of the
    earliest failed chunk is returned (the one the single-process path meets).
    """
    first = plan[0][0]
    probe_task = DynamicsTask(label=label, scorer=scorer, source=source, blocks=(first, first + 1), index=-1, spec=spec,
                              as_of=start - 1)
    probe: Probe | None = None
    for _, result in pool.imap_unordered(run_dynamics_task, iter([probe_task]), on_fault=task_fault):
        if result.error is not None:
            return None, None, result.error
        probe = result.probe
    assert probe is not None
    shared = ChunkPlan(spec=spec, dyn=dyn, probe=probe, seed=seed, start=start, months=months, size=size)
    failures: dict[int, str] = {}
    tallies: dict[int, list[Tally]] = {}

    def tasks() -> Iterator[DynamicsTask]:
        for i, blocks in enumerate(plan):
            if failures:  # the scorer has failed: its other chunks are not worth simulating
                return
            yield DynamicsTask(label=label, scorer=scorer, source=source, blocks=blocks, index=i, plan=shared)

    for _, result in pool.imap_unordered(run_dynamics_task, tasks(), on_fault=task_fault):
        if result.error is not None:
            failures[result.index] = result.error
        else:
            assert result.tallies is not None
            tallies[result.index] = result.tallies
    if failures:
        return probe, None, failures[min(failures)]
    return probe, merge_tallies([t for i in range(len(plan)) for t in tallies[i]]), None
