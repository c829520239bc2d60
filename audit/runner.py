"""Run scorers over a population and every audit over their scores.

The population streams chunk by chunk through :func:`audit.engine.contract.process_chunk`;
each chunk's statistics merge exactly; audits finalize once at the end.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from audit.engine.contract import AuditContext, AuditOptions, ChunkAudit
from audit.engine.probing import probe_scorers
from audit.errors import InvalidArgument
from audit.population.groups import CellLayout, layout_for
from audit.population.model import Population
from audit.population.source import PopulationSource, open_source
from scorers.protocol import Scorer, scorer_label

__all__ = ["RunConfig", "ScorerRun", "RunResult", "UnloadedScorer", "run", "default_audits", "resolve_scorers", "unique_labels"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    """Everything a run depends on besides the scorers."""

    population: Any = "china-2020"
    """Builtin spec name, spec TOML path, CSV/Parquet people table, or a Population."""
    size: int = 200_000
    seed: int = 0
    chunk_size: int = 1_000_000
    """People per chunk (rounded up to whole generation blocks)."""
    options: AuditOptions = field(default_factory=AuditOptions)
    events: str | None = None
    """Event table for a supplied people table."""
    ties: str | None = None
    """Tie table for a supplied people table."""
    scores: str | None = None
    """Table of precomputed scores (``person_id`` + score) for a supplied people table."""
    score_column: str | None = None
    """Column of the people (or scores) table holding a precomputed score, checked as it is loaded."""
    outcome: str | None = None
    """0/1 column of observed outcomes in a supplied people table (error rates and calibration)."""
    favourable_column: str | None = None
    """0/1 column of decisions in a supplied people table (1: favourable)."""
    date_column: str | None = None
    """Column of the records' dates in a supplied people table (the data's date range, NYC LL144)."""
    horizon_months: int | None = None
    """Months a supplied event table covers (default: from the data, :func:`audit.population.model.load_population`)."""
    engine: str = "local"
    """``local`` (this process, or a process pool when ``workers > 1``) or ``dask`` (:mod:`audit.engine.executors`)."""
    workers: int | None = None
    """Worker processes (``local``) or LocalCluster workers (``dask``); ``None``: 1 locally, every core for dask."""
    scheduler: str | None = None
    """Dask scheduler address; ``None`` with ``engine="dask"`` starts a LocalCluster."""
    checkpoint_dir: str | None = None
    """Keep each finished chunk in ``checkpoint_dir/.chunks/`` until the run succeeds (:mod:`audit.engine.checkpoint`)."""
    resume: bool = False
    """Reuse the finished chunks of an interrupted identical run found in ``checkpoint_dir``."""
    isolate: bool = False
    """Run every scorer call in supervised worker processes (:mod:`audit.engine.workers`), also with one worker:
    a scorer that ends, hangs past ``--scorer-timeout`` or overfills its process then fails alone.
    The command line isolates; in this process (``False``) only what a scorer raises is contained."""
    worker_memory: int | None = None
    """Resident bytes a supervised worker may use before it is killed (``--worker-memory``); ``None``: no limit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScorerRun:
    """One scorer's outcome in a run."""

    label: str
    """Unique in the run: ``name`` or ``name:key=value``."""
    scorer: Scorer
    sections: dict[str, Any]
    """Audit name -> its section of results.json."""
    aggregates: dict[str, Any]
    """Audit name -> merged exact statistics (private; used by publication)."""
    error: str | None = None

    def meta(self) -> dict[str, Any]:
        if self.error is not None:  # the scorer may have failed because its declarations are broken
            from audit.engine.guard import declared_meta

            return {"label": self.label, **declared_meta(self.scorer)}
        s = self.scorer
        return {
            "label": self.label,
            "name": str(s.name),
            "version": str(getattr(s, "version", "")),
            "description": str(getattr(s, "description", "")),
            "params": dict(getattr(s, "params", {}) or {}),
            "tiers": list(s.tiers),
            "favourable_tiers": [t for t in s.tiers if t in s.favourable_tiers],
            "sanctions": dict(s.sanctions),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """A finished run: population, options, per-scorer results, timings."""

    population: dict[str, Any]
    options: AuditOptions
    layout: CellLayout
    runs: tuple[ScorerRun, ...]
    seconds: dict[str, float]
    started: str
    source: PopulationSource
    notes: tuple[str, ...] = ()
    """Warnings for the person running it (e.g. files in the chunk store that were refused)."""

    @property
    def failed(self) -> list[ScorerRun]:
        return [r for r in self.runs if r.error is not None]

    def run_for(self, label: str) -> ScorerRun:
        for r in self.runs:
            if r.label == label:
                return r
        raise KeyError(label)


def default_audits(options: AuditOptions | None = None) -> list[ChunkAudit]:
    """The audits every run performs."""
    from audit.disparity.audit import DisparityAudit
    from audit.replay.appeal import AppealAudit
    from audit.replay.contagion import ContagionAudit
    from audit.replay.gate import ReplayGate
    from audit.replay.reversibility import ReversibilityAudit
    from audit.replay.spillover import SpilloverAudit

    audits: list[ChunkAudit] = [DisparityAudit()]
    if options is not None and options.outcome is not None:
        from audit.disparity.observed import ObservedOutcomeAudit

        audits.append(ObservedOutcomeAudit(column=options.outcome))
    if options is None or options.replay_sample > 0:
        # a precomputed score has no rules to re-run: its replay sections say so (audit.replay.gate)
        audits += [ReplayGate(a) for a in (AppealAudit(), ReversibilityAudit(), SpilloverAudit(), ContagionAudit())]
    return audits


def unique_labels(scorers: Sequence[Any]) -> list[tuple[str, Any]]:
    """Pair each scorer with a label unique in the run (``suining``, ``suining#2`` ...)."""
    seen: dict[str, int] = {}
    out = []
    for s in scorers:
        label = scorer_label(s)
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label}#{seen[label]}", s))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class UnloadedScorer:
    """Stands in for a scorer whose plugin code raised while it was built (its class or ``with_params``)."""

    name: str
    """The spec it was asked for by."""
    error: str
    """Why it could not be built."""


def resolve_scorers(specs: Iterable[Any] | None) -> list[Any]:
    """Scorer objects from specs (strings go through the registry); all registered when empty.

    A spec whose plugin code raises while the scorer is built (``__init__``,
    ``with_params``) gives an :class:`UnloadedScorer`, which the run reports as
    failed; a spec that names nothing, or sets an unknown parameter, raises.
    """
    specs = list(specs or [])
    if specs and not any(isinstance(s, str) for s in specs):
        return specs
    from audit.errors import ScorerFailed
    from scorers.adapter import printable
    from scorers.registry import available_scorers, load_scorer

    if not specs:
        specs = sorted(available_scorers())
    out = []
    for s in specs:
        try:
            out.append(load_scorer(s) if isinstance(s, str) else s)
        except ScorerFailed as exc:
            out.append(UnloadedScorer(name=printable(s), error=str(exc)))
    return out


ScoresSink = Callable[[str, Population, pd.DataFrame, Any], None]


def run(
    scorers: Sequence[Any] | None = None,
    config: RunConfig | None = None,
    *,
    audits: Sequence[ChunkAudit] | None = None,
    progress: bool = False,
    sink: ScoresSink | None = None,
    source: PopulationSource | None = None,
) -> RunResult:
    """Score a population with each scorer and audit the scores.

    ``sink(label, chunk, frame, scorer)``, if given, receives each chunk's score
    frames (for ``--save-scores``).
    """
    config = config or RunConfig()
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    scorer_objs = resolve_scorers(scorers)
    if not scorer_objs:
        raise InvalidArgument("no scorers to run: name at least one with --scorer")
    from scorers.adapter import adapt

    # the boundary: contract defaults, printable labels, each call on its own view (scorers/adapter.py)
    labelled = unique_labels([s if isinstance(s, UnloadedScorer) else adapt(s) for s in scorer_objs])
    source = source or open_source(config.population, size=config.size, seed=config.seed, events=config.events,
                                   ties=config.ties, horizon_months=config.horizon_months, scores=config.scores,
                                   score_column=config.score_column, outcome=config.outcome,
                                   favourable_column=config.favourable_column, date_column=config.date_column)
    options = config.options
    if options.as_of is not None and not 0 <= options.as_of < source.horizon_months:
        raise InvalidArgument(f"as_of={options.as_of}: the population's events cover months 0 to "
                              f"{source.horizon_months - 1}; give a month in that range, or leave as_of= out")
    if options.population_size != source.size:
        from dataclasses import replace

        options = replace(options, population_size=source.size)
    layout = layout_for(options.by, spec=source.spec if source.synthetic else None,
                        people=source.supplied.people if source.supplied is not None else None,
                        source=source.supplied.source if source.supplied is not None else None)
    audits = list(audits) if audits is not None else default_audits(options)

    errors: dict[str, str] = {label: s.error for label, s in labelled if isinstance(s, UnloadedScorer)}
    with _pool(config, options, source, sink) as pool:
        return _run_with(pool, labelled, errors, config, options, source, layout, audits, progress, sink, started)


def _pool(config: RunConfig, options: AuditOptions, source: PopulationSource, sink: Any) -> Any:
    """The run's one worker pool, for its chunks and its finalizing (closed at the end of the run), or nothing.

    A run that isolates its scorers always has one (:mod:`audit.engine.workers`);
    one that does not has one when its chunks go to more than one process, so
    finalizing reuses the chunks' workers (and their loaded kernels) instead of
    starting a second pool. A ``sink`` without ``write_table(label, table)``
    keeps the scorers in this process, where it is called with their frames;
    with one, the per-person rows are made in the workers and written here.
    """
    import contextlib

    if config.engine != "local" or (sink is not None and not hasattr(sink, "write_table")):
        return contextlib.nullcontext(None)
    workers = config.workers or 1
    if not config.isolate:
        from audit.population.synth import BLOCK_SIZE

        if workers == 1 or sink is not None or not source.synthetic or source.size <= BLOCK_SIZE:
            return contextlib.nullcontext(None)  # one process, as the chunks would be (one block is one chunk)
    from audit.engine.workers import ProcessExecutor

    if not source.synthetic:
        workers = 1  # one chunk: the whole supplied table
    return ProcessExecutor(workers, timeout=options.scorer_timeout, memory_limit=config.worker_memory)


def _run_with(
    pool: Any, labelled: list[tuple[str, Any]], errors: dict[str, str], config: RunConfig, options: AuditOptions,
    source: PopulationSource, layout: CellLayout, audits: list[ChunkAudit], progress: bool,
    sink: ScoresSink | None, started: str,
) -> RunResult:
    """:func:`run` once its inputs are checked: probe, stream the chunks, finalize (in ``pool`` when given)."""
    seconds: dict[str, float] = {}
    plan = source.chunk_plan(config.chunk_size)
    active = [(label, s) for label, s in labelled if label not in errors]
    if pool is not None:
        errors.update(unsendable(active))
        active = [(label, s) for label, s in active if label not in errors]
    # mutation, non-determinism, contract: in the pool when the run isolates its scorers, else here
    errors.update(probe_scorers(active, source, options, executor=pool if config.isolate else None))
    active = [(label, s) for label, s in active if label not in errors]
    from audit.engine.streaming import ChunkStream, RunTotals, absorb
    from audit.replay.pool import replay_cutoffs
    from scorers.adapter import unwrap  # the plugin's own object: what a resumed run's fingerprint describes

    totals = RunTotals(errors=errors, error_block={label: -1 for label in errors}, seconds=seconds)
    stream = ChunkStream(
        source=source, plan=plan, scorers=[(label, unwrap(s)) for label, s in labelled], active=lambda: active, audits=audits, layout=layout,
        options=options, engine=config.engine, workers=config.workers, scheduler=config.scheduler,
        checkpoint_dir=config.checkpoint_dir, resume=config.resume,
        on_scored=sink, executor=pool, cutoffs=lambda: replay_cutoffs(totals.merged),
    )
    with _progress(progress, source.size, done=stream.resumed_people) as advance:
        for blocks, out, resumed in stream:
            absorb(totals, out, blocks[0])
            active = [(label, s) for label, s in active if label not in errors]
            if not resumed:
                advance(out.people)
    stream.finish()
    merged = totals.merged

    from audit.engine.finalizing import FinalizeTask, finalize_all

    tasks = [
        FinalizeTask(
            label=label, audits=tuple(audits), merged=merged[label],
            ctx=AuditContext(
                scorer=scorer, label=label, layout=layout, options=options, synthetic=source.synthetic,
                size=source.size, horizon_months=source.horizon_months, spec=source.spec,
            ),
        )
        for label, scorer in labelled
        if label not in errors
    ]
    t0 = time.perf_counter()
    # a local process pool, one scorer a worker (a Dask run too: a few scorers are not worth a cluster's
    # start-up); in this process when the chunks ran here (a supplied table, --save-scores)
    if config.engine == "dask":
        from audit.engine.executors import default_workers

        finalize_workers = config.workers or default_workers()
    else:
        finalize_workers = config.workers or 1
    done = finalize_all(tasks, workers=finalize_workers, in_process=sink is not None or not source.synthetic, executor=pool)
    seconds["finalize"] = seconds.get("finalize", 0.0) + time.perf_counter() - t0
    runs = []
    for label, scorer in labelled:
        result = done.get(label)
        if result is not None and result.error is not None:
            errors[label] = result.error  # its pooled sample failed to replay (audit.replay.pool)
        if label in errors:
            runs.append(ScorerRun(label=label, scorer=scorer, sections={}, aggregates={}, error=errors[label]))
            continue
        assert result is not None
        sections = {"tier_shares": tier_shares(scorer, merged[label]["disparity"]), **result.sections}
        runs.append(ScorerRun(label=label, scorer=scorer, sections=sections, aggregates=merged[label]))
    return RunResult(
        population=source.describe(), options=options, layout=layout, runs=tuple(runs),
        seconds=seconds, started=started, source=source, notes=tuple(stream.refused),
    )


def unsendable(scorers: Sequence[tuple[str, Any]]) -> dict[str, str]:
    """Label -> why the scorer cannot be sent to a worker process (it does not pickle); failures only."""
    import pickle

    from scorers.adapter import printable

    out = {}
    for label, s in scorers:
        try:
            pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - a plugin's state may fail to pickle in any way
            out[label] = (
                f"scorer {label!r} cannot be sent to a worker process ({type(exc).__name__}: {printable(exc)}); "
                "keep only picklable state on the scorer (open files, locks and connections belong inside score), "
                "or define __reduce__"
            )
    return out


def tier_shares(scorer: Scorer, disparity_aggregates: dict[str, Any]) -> dict[str, float]:
    """Share of people in each tier (best first)."""
    counts = disparity_aggregates["tiers"].array.sum(axis=0)
    total = max(int(counts.sum()), 1)
    return {t: float(c) / total for t, c in zip(scorer.tiers, counts)}


class _progress:
    """A rich progress bar over people (people/second and time left), or nothing."""

    def __init__(self, enabled: bool, total: int, done: int = 0) -> None:
        self.enabled = enabled
        self.total = total
        self.done = done

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("[bold]auditing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("people"),
            TextColumn("[cyan]{task.fields[rate]}"),
            TimeRemainingColumn(),
            transient=False,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("audit", total=self.total, completed=self.done, rate="")  # done: resumed
        self._t0 = time.perf_counter()
        self._done = 0

        def advance(n: int) -> None:
            self._done += n
            rate = self._done / max(time.perf_counter() - self._t0, 1e-9)
            self._bar.update(self._task, advance=n, rate=f"{rate:,.0f} people/s")

        return advance

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self._bar.__exit__(*exc)
