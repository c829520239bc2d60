"""The chunk engine: score one chunk of people and collect every audit's statistics.

An audit is a pair of pure functions (:class:`ChunkAudit`): ``collect`` turns
one scored chunk into mergeable statistics; ``finalize`` turns the merged
statistics of all chunks into the audit's section of ``results.json``. The
runner maps :func:`process_chunk` over chunks — in this process, in a process
pool, or on a Dask cluster — and merges the outputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from audit.engine.guard import note_fault, plugin_call, plugin_section, time_limited
from audit.engine.person_rows import PersonRows, Table
from audit.errors import ScorerContractError, ScorerFailed
from audit.lazy import lazy_module
from audit.population.columns import PEOPLE_COLUMNS, category_codes
from audit.population.groups import CellLayout
from audit.population.model import Population, PopulationView
from scorers.adapter import printable
from scorers.protocol import Scorer, ScorerTags, scorer_tags, validate_score_frame

if TYPE_CHECKING:
    from audit.engine import batch_kernels
else:  # compiled: imported where first called, so the command, which calls none, never loads numba
    batch_kernels = lazy_module("audit.engine.batch_kernels")

__all__ = ["AuditOptions", "ScoredChunk", "AuditContext", "ChunkAudit", "CrossScorerAudit", "ChunkOutput", "describe_failure", "process_chunk", "score_checked", "scores_table"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOptions:
    """Settings shared by every audit in a run."""

    seed: int = 0
    """Seed for audit-side randomness (bootstrap, appeal simulation, samples)."""
    as_of: int | None = None
    """Month scores are taken at; ``None`` means the last month of the horizon."""
    by: tuple[str, ...] = ()
    """Extra attributes audited besides income quintile and education."""
    min_cell_share: float = 0.02
    """Groups smaller than this share of people are reported but excluded from ratios (NYC LL144)."""
    bootstrap: int = 400
    """Bootstrap replicates for intervals."""
    replay_sample: int = 2000
    """People sampled (uniformly, by person-id hash) for the replay audits."""
    population_size: int = 0
    """People in the whole population (for sampling rates)."""
    scorer_timeout: float | None = None
    """Longest a single ``score`` call may take, in seconds (``--scorer-timeout``); ``None``: no limit."""
    outcome: str | None = None
    """0/1 column of a supplied people table with the observed outcome (1: the event the score predicts);
    adds error rates and calibration by group (:mod:`audit.disparity.observed`)."""
    probe_size: int = 1000
    """People in the start-of-run probe for mutation and non-determinism (:mod:`audit.engine.guard`); 0 skips it."""


@dataclass(slots=True, kw_only=True)
class ScoredChunk:
    """One chunk scored by one scorer: what an audit's ``collect`` reads."""

    population: Population
    """The chunk with ground truth."""
    view: PopulationView
    """What the scorer saw."""
    scorer: Scorer
    label: str
    frame: pd.DataFrame
    """The validated score frame, aligned to ``population.people``."""
    cells: np.ndarray
    """Cell code per person."""
    layout: CellLayout
    options: AuditOptions
    as_of: int
    sample_rows: np.ndarray | None = None
    """Rows already chosen as the replay sample (a pooled chunk, :mod:`audit.replay.pool`); ``None``: by hash."""
    person_rows: PersonRows | None = None
    """The batch's offset tables (:mod:`audit.engine.person_rows`), shared by every scorer; ``None``: built here."""
    replay_cutoff: tuple[float, ...] | None = None
    """Per replay stratum, the largest replay hash that can still enter the run's sample, from the chunks merged
    before this one was sent (:func:`audit.replay.pool.replay_cutoffs`); ``None``: no bound. Only what is
    gathered shrinks: the sample is the same."""
    _truth: list = field(default_factory=list)
    _memo: dict = field(default_factory=dict)
    """Work shared by the audits of one chunk (e.g. its replay pool), keyed by what it is."""

    def rows_of(self, table: Table, people_rows: np.ndarray) -> np.ndarray:
        """Positions in the batch's ``events`` or ``ties`` of the people at ``people_rows``, ascending (offset tables)."""
        return self._batch().rows_of(table, people_rows)

    def people_rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the batch's people holding one of ``ids``, ascending (:meth:`PersonRows.people_rows`)."""
        return self._batch().people_rows(ids)

    @property
    def batch_memo(self) -> dict:
        """Work on the batch shared by every scorer's audits (:attr:`audit.engine.person_rows.PersonRows.memo`).

        Only what does not depend on the scorer goes here (keyed by what it is);
        the rest goes in the scorer's own memo.
        """
        return self._batch().memo

    def _batch(self) -> PersonRows:
        if self.person_rows is None:
            self.person_rows = PersonRows(population=self.population)
        return self.person_rows

    def rescore(self, events: pd.DataFrame, *, people: pd.DataFrame | None = None, as_of: int | None = None) -> pd.DataFrame:
        """Score again over another event log (and optionally a subset of people)."""
        view = self.population.view(events)
        if people is not None:
            view = PopulationView(people=people, events=view.events, ties=view.ties, horizon_months=view.horizon_months)
        return score_checked(self.scorer, view, as_of=self.as_of if as_of is None else as_of)

    def truth_frame(self) -> pd.DataFrame | None:
        """Scores had only genuine events been recorded; ``None`` without ground truth."""
        if not self.population.synthetic:
            return None
        if not self._truth:
            genuine = self.population.events["genuine"].to_numpy()
            if genuine.all():
                self._truth.append(self.frame)
            elif not isinstance(getattr(self.scorer, "tags", None), ScorerTags) or scorer_tags(self.scorer).uses_ties:
                # undeclared, or a friend's record can move anyone's score: score everyone again
                self._truth.append(self.rescore(self.population.events[genuine]))
            else:
                self._truth.append(self._rescore_affected(genuine))
        return self._truth[0]

    def _rescore_affected(self, genuine: np.ndarray) -> pd.DataFrame:
        """The truth frame re-scoring only people with a misrecorded event (scorers declaring no ties).

        Everyone else's events are unchanged, so their row is the recorded one:
        a scorer whose tags declare it does not read ties scores each person
        from that person's own record (chunk invariance,
        :func:`scorers.testing.check_scorer`).
        """
        events, people = self.population.events, self.population.people
        ev_ids = events["person_id"].to_numpy()
        affected = np.isin(people["person_id"].to_numpy(), ev_ids[~genuine])
        keep = genuine & np.isin(ev_ids, people["person_id"].to_numpy()[affected])
        sub = self.rescore(events[keep], people=self.view.people[affected])
        rows = np.flatnonzero(affected)
        out = {}
        for col in self.frame.columns:
            if isinstance(self.frame[col].dtype, pd.CategoricalDtype):
                codes = self.frame[col].cat.codes.to_numpy().copy()
                codes[rows] = sub[col].cat.codes.to_numpy()
                out[col] = pd.Categorical.from_codes(codes, dtype=self.frame[col].dtype)  # type: ignore[call-overload]
            else:
                values = self.frame[col].to_numpy().copy()
                values[rows] = sub[col].to_numpy()
                out[col] = values
        return pd.DataFrame(out, index=self.frame.index)

    @property
    def favourable(self) -> np.ndarray:
        """True where the recorded tier is favourable (computed once per chunk; do not modify)."""
        if "favourable" not in self._memo:
            self._memo["favourable"] = favourable_mask(self.scorer, self.frame)
        return self._memo["favourable"]

    @property
    def sanctioned(self) -> np.ndarray:
        """True where any sanction applies on the recorded log (computed once per chunk; do not modify)."""
        if "sanctioned" not in self._memo:
            self._memo["sanctioned"] = sanctioned_mask(self.scorer, self.frame)
        return self._memo["sanctioned"]


def favourable_mask(scorer: Scorer, frame: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """True where the tier is one of the scorer's favourable tiers; at ``rows`` of the frame only, when given.

    ``favourable_mask(scorer, frame, rows)`` equals ``favourable_mask(scorer, frame)[rows]`` without looking up
    everyone's tier: a sample of a few hundred people of a batch needs a few hundred lookups.
    """
    fav = np.array([t in scorer.favourable_tiers for t in scorer.tiers], dtype=bool)
    tier = frame["tier"]
    if rows is not None:
        return fav[category_codes(tier)[rows]]
    if isinstance(tier.dtype, pd.CategoricalDtype) and len(tier.dtype.categories) <= fav.size:
        # codes of a categorical are below its number of categories (or -1): every one indexes fav; compiled,
        # as numpy's fav[codes] first widens a million int8 codes to a platform-sized index array
        return batch_kernels.lookup_codes(fav, category_codes(tier))
    return fav[category_codes(tier)]


def sanctioned_mask(scorer: Scorer, frame: pd.DataFrame) -> np.ndarray:
    """True where any declared sanction applies."""
    out = np.zeros(len(frame), dtype=bool)
    for s in scorer.sanctions:
        out |= frame[s].to_numpy()
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditContext:
    """What an audit's ``finalize`` knows besides the merged statistics."""

    scorer: Scorer
    label: str
    layout: CellLayout
    options: AuditOptions
    synthetic: bool
    size: int
    horizon_months: int
    spec: Any = None


class ChunkAudit(Protocol):
    """An audit that streams: per-chunk statistics, merged, then finalized."""

    name: str

    def collect(self, chunk: ScoredChunk) -> Mapping[str, Any]: ...

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]: ...


class CrossScorerAudit(ChunkAudit, Protocol):
    """A :class:`ChunkAudit` that also reads every scorer's output of a chunk at once (e.g. paired comparisons).

    After all scorers scored a chunk, :func:`process_chunk` calls
    ``collect_across`` once with each scorer's :class:`ScoredChunk` that
    succeeded, by label. It returns label -> statistics to merge under that
    label (the audit picks where its statistics live); like ``collect`` it is
    a pure function of its input, so an audit keeps no state between calls.
    """

    def collect_across(self, chunks: Mapping[str, ScoredChunk]) -> Mapping[str, Mapping[str, Any]]: ...


def score_checked(scorer: Scorer, view: PopulationView, *, as_of: int) -> pd.DataFrame:
    """Call ``scorer.score`` and validate the result against the contract.

    Anything the plugin raises becomes :class:`~audit.errors.ScorerFailed` naming
    the scorer, so the runner can tell a faulty plugin from a fault of its own.
    """
    try:
        with plugin_call():  # a supervisor (audit.engine.workers) times the call and kills it if the alarm cannot
            frame = scorer.score(view, as_of=as_of)
    except ScorerFailed:  # already names the scorer (e.g. a time limit, audit.engine.guard)
        note_fault()
        raise
    except KeyboardInterrupt:  # Ctrl-C: the user's, not the plugin's
        raise
    except BaseException as exc:  # a plugin may raise anything, even sys.exit() or its own BaseException
        note_fault()  # what it left behind (memory, handlers, threads) is not for the next task
        name = printable(getattr(scorer, "name", repr(scorer)))
        absent = exc.args[0] if isinstance(exc, KeyError) and exc.args else None
        if isinstance(absent, str) and absent in PEOPLE_COLUMNS and absent not in view.people.columns:
            raise ScorerFailed(
                f"scorer {name!r} reads the people column {absent!r}, which this supplied people table does not have; "
                "add the column (columns= renames one), or audit the system's own scores instead (score_column=)"
            ) from exc
        raise ScorerFailed(f"scorer {name!r} raised {printable(type(exc).__name__)}: {printable(exc)}") from exc
    return validate_score_frame(scorer, frame, view)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkOutput:
    """What one chunk contributes: statistics per scorer label and audit, errors, timings."""

    aggregates: dict[str, dict[str, Any]]
    """label -> audit name -> mergeable statistics."""
    errors: dict[str, str]
    """label -> why the scorer failed on this chunk."""
    seconds: dict[str, float]
    """stage -> seconds spent (``score:<label>``, ``audit:<name>``, ``generate``)."""
    people: int


def process_chunk(
    population: Population,
    scorers: Sequence[tuple[str, Any]],
    audits: Sequence[ChunkAudit],
    layout: CellLayout,
    options: AuditOptions,
    on_scored: Callable[[str, Population, pd.DataFrame, Any], None] | None = None,
    replay_cutoffs: Mapping[str, Sequence[float]] | None = None,
) -> ChunkOutput:
    """Score one chunk with every scorer and collect every audit's statistics.

    A scorer that raises or breaks its contract is reported against its label;
    the other scorers still run. ``on_scored(label, chunk, frame, scorer)``, if
    given, receives each scorer's validated frame once its audits succeeded
    (``--save-scores``), so the frame is not computed twice. Audits with a
    ``collect_across`` (:class:`CrossScorerAudit`) then read every scorer's
    output of the chunk together. Without such an audit each scorer's
    :class:`ScoredChunk` (its frame, truth frame and memo) is dropped once its
    audits have collected, before the next scorer runs: a worker's peak then
    holds one scorer's output of the batch, not every scorer's. ``replay_cutoffs``
    (label -> per-stratum hash) bounds what each scorer's replay pool gathers
    (:attr:`ScoredChunk.replay_cutoff`).
    """
    as_of = population.horizon_months - 1 if options.as_of is None else options.as_of
    view = population.view()
    cells = layout.encode(population.people)
    person_rows = PersonRows(population=population)  # built on first use, shared by every scorer's audits
    aggregates: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    scored: dict[str, ScoredChunk] = {}
    across_audits = [(audit.name, across) for audit in audits if (across := getattr(audit, "collect_across", None)) is not None]
    for label, scorer in scorers:
        with plugin_section(label):  # a worker that dies in here is blamed on this scorer (audit.engine.workers)
            cut = (replay_cutoffs or {}).get(label)
            out = _score_and_collect(label, scorer, population, view, cells, audits, layout, options, as_of, seconds,
                                     person_rows, None if cut is None else tuple(float(c) for c in cut))
        if isinstance(out, str):
            errors[label] = out
            continue
        aggregates[label], chunk = out
        if on_scored is not None:
            on_scored(label, population, chunk.frame, chunk.scorer)
        if across_audits:  # kept for the audits reading every scorer's output; otherwise freed before the next scorer
            scored[label] = chunk
        del chunk, out
    for name, across in across_audits:
        t0 = time.perf_counter()
        for label, stats in across(scored).items():
            aggregates[label][name] = stats
        seconds[f"audit:{name}"] = seconds.get(f"audit:{name}", 0.0) + time.perf_counter() - t0
    return ChunkOutput(aggregates=aggregates, errors=errors, seconds=seconds, people=len(population))


def _score_and_collect(
    label: str, scorer: Scorer, population: Population, view: PopulationView, cells: np.ndarray,
    audits: Sequence[ChunkAudit], layout: CellLayout, options: AuditOptions, as_of: int, seconds: dict[str, float],
    person_rows: PersonRows, replay_cutoff: tuple[float, ...] | None = None,
) -> tuple[dict[str, Any], ScoredChunk] | str:
    """One scorer's statistics of every audit on one chunk, with the scored chunk; or why it failed."""
    scorer = time_limited(scorer, options.scorer_timeout)
    t0 = time.perf_counter()
    try:
        frame = score_checked(scorer, view, as_of=as_of)
    except (ScorerFailed, ScorerContractError) as exc:
        return describe_failure(exc)
    finally:
        seconds[f"score:{label}"] = seconds.get(f"score:{label}", 0.0) + time.perf_counter() - t0
    chunk = ScoredChunk(
        population=population, view=view, scorer=scorer, label=label, frame=frame,
        cells=cells, layout=layout, options=options, as_of=as_of, person_rows=person_rows,
        replay_cutoff=replay_cutoff,
    )
    per_audit: dict[str, Any] = {}
    try:
        for audit in audits:
            t0 = time.perf_counter()
            per_audit[audit.name] = audit.collect(chunk)
            seconds[f"audit:{audit.name}"] = seconds.get(f"audit:{audit.name}", 0.0) + time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - whatever auditing one scorer's output raises fails that scorer alone
        return describe_failure(exc)
    return per_audit, chunk


def describe_failure(exc: BaseException) -> str:
    """One line saying why a scorer failed: its own message, the contract breach, or what auditing its output raised.

    The last is any other exception met while auditing one scorer's scores (a
    score the audits cannot handle, a declaration that breaks a cache): it
    fails that scorer alone, with the exception named, rather than the run.
    """
    if isinstance(exc, ScorerFailed):
        return str(exc)
    if isinstance(exc, ScorerContractError):
        return f"{type(exc).__name__}: {exc}"
    return f"auditing its scores raised {type(exc).__name__}: {printable(exc)}"


def scores_table(label: str, chunk: Population, frame: pd.DataFrame, scorer: Scorer) -> pd.DataFrame:
    """The per-person rows written to ``scores.parquet`` for one scorer and chunk."""
    people = chunk.people
    return pd.DataFrame(
        {
            "person_id": people["person_id"].to_numpy(),
            "label": pd.Categorical([label] * len(people)) if len(people) else pd.Categorical([]),
            "score": frame["score"].to_numpy(),
            "tier": frame["tier"].astype(str).to_numpy(),
            "favourable": favourable_mask(scorer, frame),
            "sanctioned": sanctioned_mask(scorer, frame),
            **{c: people[c].astype(str).to_numpy() if c == "education" else people[c].to_numpy()
               for c in ("income_quintile", "education") if c in people.columns},
        }
    )
