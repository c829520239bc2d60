"""The dynamics simulation of one scorer: seeded, chunk by chunk, months in order.

The population is the static one, the spec drawn over its own horizon
(:func:`history_source`): the history every person has when the scheme's
responses begin, exactly what the static audit sees. The conduct of the
simulated years, what people would do if nobody responded, is drawn a year at
a time as each chunk's simulation reaches it (:mod:`audit.dynamics.conduct`).
Chunks are runs of whole generation blocks and ties stay within a block, so
each chunk is simulated alone; its tallies add up
(:mod:`audit.dynamics.tally`) to the same totals whatever the chunk size.

A chunk holds its people's log (the months the scorer reads: its lookback
window, or everything so far for a scorer that declares none) and one drawn
year, so the people of a chunk are bounded by :data:`CHUNK_PERSON_MONTHS`
over those :func:`held_months` (:func:`chunk_people`). With a lookback window
that does not depend on the years simulated: peak memory is flat in the
months. A scorer without one reads its whole log, which grows with the
months by nature; its chunks shrink with the months down to one block.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from audit.dynamics.chunk import ChunkPlan, simulate_chunk
from audit.dynamics.conduct import YEAR
from audit.dynamics.probe import Probe, probe_scheme
from audit.dynamics.tally import Tally, merge_tallies
from audit.engine.contract import describe_failure
from audit.engine.workers import ProcessExecutor
from audit.errors import InvalidArgument, InvalidSpec, ScorerContractError, ScorerFailed
from audit.population.dynamics_spec import DynamicsSpec
from audit.population.source import PopulationSource
from audit.population.spec import MAX_HORIZON_MONTHS, PopulationSpec, load_spec
from audit.population.synth import BLOCK_SIZE
from scorers.protocol import scorer_lookback

__all__ = ["CHUNK_PERSON_MONTHS", "DEFAULT_YEARS", "Simulation", "check_years", "chunk_people", "held_months",
           "history_source", "simulate"]

#: Years simulated when none are given: the issue's 60 months.
DEFAULT_YEARS = 5

#: Person-months one chunk may hold: four generation blocks over 48 months (``china-2020``'s 36 months of history
#: and one drawn year). What a chunk holds grows with its people times the months held (:func:`held_months`: the
#: history, the log, one year of drawn conduct), so bounding the product bounds peak memory; chunks are whole
#: blocks, so a chunk never has fewer than one block's people, whatever the months.
CHUNK_PERSON_MONTHS = 4 * BLOCK_SIZE * 48


@dataclass(frozen=True, slots=True, kw_only=True)
class Simulation:
    """One scorer's simulation: merged tallies, or why the scorer failed."""

    label: str
    years: int
    start: int
    """First simulated month; month ``start - 1`` is the static audit's."""
    size: int
    seed: int
    dynamics: DynamicsSpec
    probe: Probe | None = None
    tally: Tally | None = None
    error: str | None = None
    seconds: float = 0.0
    chunks: int = 0
    """Chunks the people were simulated in (:func:`chunk_people`)."""


def check_years(years: object, spec: PopulationSpec) -> int:
    """``years`` as a whole number of years the spec's months allow, or :class:`InvalidArgument` naming it."""
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise InvalidArgument(f"years={years!r}: give a whole number of years of at least 1, e.g. years=5")
    most = (MAX_HORIZON_MONTHS - spec.horizon_months) // 12
    if years > most:
        raise InvalidArgument(f"years={years}: the spec's {spec.horizon_months} months of history leave room for at "
                              f"most {most} simulated years (logs end at month {MAX_HORIZON_MONTHS}); give fewer years")
    return years


def held_months(history: int, years: int, lookback: int | None) -> int:
    """Months of events a chunk holds at once: the ``history`` months it starts from, or the log the scorer reads
    (its ``lookback`` window, or with none every month up to the last), whichever is more, plus one drawn year.

    With a lookback window this does not depend on ``years``.
    """
    log = history + 12 * years if lookback is None else min(lookback, history + 12 * years)
    return max(history, log) + YEAR


def chunk_people(chunk_size: int, months: int, *, size: int | None = None, workers: int = 1) -> int:
    """People per chunk of a simulation whose chunks hold ``months`` months of events (:func:`held_months`): at
    most ``chunk_size``, and whole blocks whose people times ``months``, over the ``workers`` chunks simulated at
    once, stay within :data:`CHUNK_PERSON_MONTHS` (one block at least).

    The budget is for the whole run, not for each worker: ``workers`` processes
    each hold a chunk at the same time, so each gets ``1 / workers`` of it, and
    the run's peak memory stays the same whether it runs in one process or
    several (as long as one block over the months held fits in a worker's share).
    With ``workers`` above 1, the ``size`` people are also cut into at least as
    many chunks as workers where they have the blocks for it, so every worker
    has a chunk to simulate. The result never depends on it (chunk
    invariance); the peak memory and the number of chunks do.
    """
    if chunk_size < 1 or months < 1:
        raise InvalidArgument(f"chunk_size={chunk_size!r}, months={months!r}: give whole numbers of at least 1")
    blocks = max(1, CHUNK_PERSON_MONTHS // (BLOCK_SIZE * months * max(1, workers)))
    if workers > 1 and size is not None:
        blocks = min(blocks, max(1, -(-size // (BLOCK_SIZE * workers))))
    return min(chunk_size, blocks * BLOCK_SIZE)


def history_source(spec: PopulationSpec | str, *, size: int, seed: int, years: int) -> PopulationSource:
    """The history a simulation of ``years`` years starts from: the static population of ``spec`` (drawn over its
    own horizon), after checking the spec has a ``[dynamics]`` table and room for the years."""
    spec = load_spec(spec) if isinstance(spec, str) else spec
    if spec.dynamics is None:
        raise InvalidSpec(f"population spec {spec.name!r} has no [dynamics] table; add one (see "
                          "fixtures/populations/china-2020.toml) to simulate how people respond")
    check_years(years, spec)
    return PopulationSource(spec=spec, size=size, seed=seed)


def simulate(scorer, spec: PopulationSpec | str, *, size: int, seed: int = 0, years: int = DEFAULT_YEARS,
             chunk_size: int = 1_000_000, label: str | None = None, dynamics: DynamicsSpec | None = None,
             workers: int = 1, pool: ProcessExecutor | None = None) -> Simulation:
    """Simulate how ``size`` people drawn from ``spec`` respond to ``scorer`` for ``years`` years.

    Parameters
    ----------
    scorer : Scorer
        Any object with the scorer contract; only ``score`` is called.
    spec : PopulationSpec or str
        A spec with a ``[dynamics]`` table (or a builtin spec name).
    size, seed : int
        People and seed (the same seed draws the same people and the same responses).
    years : int
        Years simulated after the spec's horizon (default 5: 60 months).
    chunk_size : int
        Most people per chunk (rounded up to whole generation blocks); chunks are made smaller still so that
        people times months held stay within :data:`CHUNK_PERSON_MONTHS` (:func:`chunk_people`). The result
        does not depend on it.
    dynamics : DynamicsSpec, optional
        Rates replacing the spec's ``[dynamics]`` table (e.g. all zero, to reproduce the static audit).
    workers : int
        With more than 1, chunks run in a pool of that many supervised worker processes (at most one per
        chunk; :mod:`audit.dynamics.pool`), started here and stopped at the end. The figures are identical.
    pool : ProcessExecutor, optional
        A running pool to use instead (``workers`` is then ignored); the caller closes it. The scorer must
        pickle (a scorer that does not fails, named).

    A scorer that raises or breaks its contract (e.g. returns another number
    of rows once ties change) gives a :class:`Simulation` with ``error`` set,
    naming the scorer; in a pool so does one that ends or crashes its worker
    process. Bad arguments raise :class:`~audit.errors.InvalidArgument`.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidArgument(f"size={size!r}: give a whole number of people of at least 1")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgument(f"workers={workers!r}: give a whole number of worker processes of at least 1")
    source = history_source(spec, size=size, seed=seed, years=years)
    base = source.spec
    assert base is not None and base.dynamics is not None  # history_source refuses a spec without one
    dyn = dynamics if dynamics is not None else base.dynamics
    label = label or str(getattr(scorer, "name", "scorer"))
    parallel = pool.workers if pool is not None else workers
    held = held_months(base.horizon_months, years, scorer_lookback(scorer))
    plan = source.chunk_plan(chunk_people(chunk_size, held, size=size, workers=parallel))
    run = _Run(scorer=scorer, label=label, source=source, base=base, dyn=dyn, seed=seed, years=years, size=size, plan=plan)
    if pool is not None:
        return run.in_pool(pool)
    if workers > 1:
        with ProcessExecutor(min(workers, len(plan))) as own:
            return run.in_pool(own)
    return run.here()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Run:
    """One simulation's inputs, run in this process or in a pool of workers."""

    scorer: Any
    label: str
    source: PopulationSource
    base: PopulationSpec
    dyn: DynamicsSpec
    seed: int
    years: int
    size: int
    plan: list[tuple[int, int]]

    def _result(self, t0: float, probe: Probe | None, tally: Tally | None, error: str | None) -> Simulation:
        return Simulation(label=self.label, years=self.years, start=self.base.horizon_months, size=self.size,
                          seed=self.seed, dynamics=self.dyn, probe=probe, tally=tally, error=error,
                          seconds=time.perf_counter() - t0, chunks=len(self.plan))

    def here(self) -> Simulation:
        """Chunk after chunk in this process."""
        t0 = time.perf_counter()
        start = self.base.horizon_months
        tallies: list[Tally] = []  # one per generation block, in order
        probe: Probe | None = None
        try:
            for blocks in self.plan:
                population = self.source.chunk(blocks)
                if probe is None:  # the first chunk starts with the first people, whatever the chunk size
                    probe = probe_scheme(self.scorer, population, self.base, as_of=start - 1)
                shared = ChunkPlan(spec=self.base, dyn=self.dyn, probe=probe, seed=self.seed, start=start,
                                   months=12 * self.years, size=self.size)
                handed = [population]
                del population  # simulate_chunk frees the drawn frames once it has their columns
                tallies.extend(simulate_chunk(self.scorer, handed, shared, blocks=blocks))
        except (ScorerFailed, ScorerContractError) as exc:
            return self._result(t0, probe, None, describe_failure(exc))
        return self._result(t0, probe, merge_tallies(tallies), None)

    def in_pool(self, pool: ProcessExecutor) -> Simulation:
        """Chunks in ``pool``'s worker processes (:mod:`audit.dynamics.pool`)."""
        from audit.dynamics.pool import simulate_in_pool
        from audit.runner import unsendable

        t0 = time.perf_counter()
        refused = unsendable([(self.label, self.scorer)])
        if refused:
            return self._result(t0, None, None, refused[self.label])
        probe, tally, error = simulate_in_pool(
            pool, self.scorer, label=self.label, source=self.source, spec=self.base, plan=self.plan, dyn=self.dyn,
            seed=self.seed, start=self.base.horizon_months, months=12 * self.years, size=self.size)
        return self._result(t0, probe, tally, error)
