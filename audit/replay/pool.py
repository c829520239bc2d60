"""Replay pools: gather each chunk's sampled people, replay them all at once after the merge.

The replay audits (appeal, reversibility, spill-over, contagion) and rule
attribution study a seeded sample of people. At country scale the sample is
thin — up to 2,000 people a stratum among 1.4 billion — so
replaying it chunk by chunk would pay a replay's fixed cost (dozens of
``score`` calls, each with its own frame building and validation) in almost
every chunk for one or two people. A chunk therefore only *gathers* its
sampled people: their rows (with ground truth), their recorded events, their
ties and the score frame the scorer gave them in the chunk, plus, for a scorer
that reads ties, their friends as context. Pools merge by keeping the parts
(joined into one past :data:`MAX_PARTS`), and ``finalize`` replays the whole sample in one go
(:meth:`ReplayPool.scored_chunk`): the same number of ``score`` calls as one
chunk, whatever the population size.

Exactness. The replays only ever look at the sampled rows and their context
(:func:`audit.replay.sample.replay_sample`), which the pool carries unchanged, and
the frame rows are the ones computed in the chunk; pooled people are put in
person-id order and their events keep their order within each person, so the
replayed chunk — and every record it yields — is the same whatever the
chunking and whatever order chunks finish in.

Stratified samples (:mod:`audit.replay.strata`). Each part remembers every
row's hash and stratum, and the pool the people in each stratum of the
chunks it holds; a merge keeps, stratum by stratum, only the sampled people
with the smallest hashes (the ``k`` smallest of a union are the ``k``
smallest of its parts'), so a pool never outgrows the sample and the people
it keeps are those of the whole population, in any merge order.

Cheap merges. The main process merges every chunk as it finishes, on the
cores the workers need, so a merge only clears the ``sampled`` flag of the
people it trims (:meth:`PoolPart.trimmed`); a part's frames are cut to its
sampled people and their friends (:meth:`PoolPart.compacted`) once half its
people are gone, or when it is joined, pickled or replayed: the same rows as
cutting at every merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from audit.engine.contract import AuditContext, ScoredChunk
from audit.engine.guard import time_limited
from audit.population.columns import rows_with_ids
from audit.population.model import Population, unique_ids
from audit.randomness import rows_sampled
from audit.replay.strata import hashes_of_rows, strata_of, stratum_sizes, stratum_targets

__all__ = ["MAX_PARTS", "PoolPart", "ReplayPool", "chunk_sample", "replay_cutoffs"]

#: Parts a pool keeps before joining them into one: a country-scale run pools a
#: few people from each of thousands of chunks, and thousands of small frames
#: cost far more memory than the same rows in one.
MAX_PARTS = 32


def chunk_sample(chunk: ScoredChunk, stream: str, rate: float) -> np.ndarray:
    """Rows of ``chunk`` in a person-id hash sample of ``stream`` at ``rate``.

    A pooled chunk (:meth:`ReplayPool.scored_chunk`) holds its sample and the
    sampled people's friends: its sample is the rows it marks, not a new draw.
    """
    if chunk.sample_rows is not None:
        return np.asarray(chunk.sample_rows, dtype=np.int64)
    ids = chunk.population.people["person_id"].to_numpy()
    return rows_sampled(chunk.options.seed, stream, ids, rate)


@dataclass(frozen=True, slots=True)
class PoolPart:
    """One chunk's sampled people and their context."""

    people: pd.DataFrame
    """Rows of the chunk's people (with ground truth), sampled and context, index 0..rows-1."""
    events: pd.DataFrame
    """Those rows' recorded events (with ground truth), in the chunk's order."""
    ties: pd.DataFrame
    """Ties named by the sampled people (context rows' own ties are not needed); none for a scorer that reads no ties.

    Only a scorer that reads ties is replayed with them (:func:`audit.replay.sample.replay_sample`,
    :func:`audit.disparity.attribution.collect_attribution`), so the others' pools leave them out
    rather than find, copy and pickle ties nothing reads."""
    frame: pd.DataFrame
    """The scorer's frame for those rows as computed in the chunk, index 0..rows-1."""
    cells: np.ndarray
    """Cell code of each row."""
    sampled: np.ndarray
    """True for sampled rows, False for context (friends of sampled people)."""
    u: np.ndarray | None = None
    """The replay hash of each row (:func:`audit.replay.strata.hashes`)."""
    stratum: np.ndarray | None = None
    """Stratum code of each row (:data:`audit.replay.strata.STRATA`)."""
    sampled_when_cut: int | None = None
    """Sampled rows when the frames were last cut to the sampled people and their context; ``None``: as many as now.

    A merge that trims people from the sample only clears their ``sampled``
    flag (:func:`_bottom_k`): their rows, and friends only they named, stay in
    the frames until :meth:`compacted` cuts them — once half the people are
    trimmed, or when the part is joined, pickled or replayed."""

    def __len__(self) -> int:
        return len(self.people)

    def __reduce__(self) -> tuple[object, tuple[dict[str, object]]]:
        """Pickled without the rows of trimmed people (a pool sent to a worker to be replayed)."""
        part = self.compacted()
        return _part_of_fields, ({f: getattr(part, f) for f in part.__dataclass_fields__},)

    def compacted(self) -> PoolPart:
        """The part with only its sampled rows, the friends they name, and their events and ties.

        The same rows, in the same order, as cutting the part at every merge:
        cutting to ``keep1`` and then to ``keep2``, a subset of ``keep1``, keeps
        what cutting once to ``keep2`` keeps (``tests/audit/test_replay_pool.py``
        checks it against that formulation).
        """
        return self if self.sampled_when_cut is None else _restricted(self, self.sampled)

    def trimmed(self, keep: np.ndarray) -> PoolPart:
        """The part sampling only the rows ``keep`` (a subset of ``sampled``); cut when half its people are gone."""
        when_cut = int(self.sampled.sum()) if self.sampled_when_cut is None else self.sampled_when_cut
        lazy = replace(self, sampled=keep, sampled_when_cut=when_cut)
        return lazy.compacted() if 2 * int(keep.sum()) <= when_cut else lazy


@dataclass(frozen=True, slots=True)
class ReplayPool:
    """Sampled people gathered from chunks; merging keeps the parts, replaying puts them together."""

    parts: tuple[PoolPart, ...]
    """Non-empty parts; a pool that sampled no one keeps one empty part for the column layout."""
    horizon_months: int
    synthetic: bool
    sizes: np.ndarray | None = None
    """People in each stratum of the chunks pooled (the population the weights restore)."""
    targets: np.ndarray | None = None
    """People kept from each stratum: the smallest hashes (:func:`audit.replay.strata.stratum_targets`)."""

    @classmethod
    def gather(cls, chunk: ScoredChunk, sampled_rows: np.ndarray, *, with_friends: bool,
               stratified: bool = True) -> ReplayPool:
        """The rows ``sampled_rows`` of ``chunk`` and, ``with_friends``, the ties they name and the friends in them.

        ``with_friends`` is whether the scorer reads ties: without it the part holds no ties, which no
        replay of such a scorer reads.

        ``stratified``: the rows are the replay's stratified sample, whose merges keep the smallest
        hashes of each stratum (:func:`_bottom_k`). A fixed-rate hash sample (rule attribution) is
        already the same people whatever the chunking and is never trimmed: ``stratified=False``.
        """
        pop = chunk.population
        ids = pop.people["person_id"].to_numpy()
        sampled_rows = np.asarray(sampled_rows, dtype=np.int64)
        ties = pop.ties
        if with_friends and len(ties) and sampled_rows.size:
            ties = ties.iloc[chunk.rows_of("ties", sampled_rows)]  # the batch's offset tables (audit.engine.person_rows)
        else:
            # a scorer that reads no ties is replayed without them (audit.replay.sample); copied, as an empty
            # slice is a view that would keep the batch's whole tie columns alive in the pool after the batch
            ties = ties.iloc[:0].copy()
        if with_friends and len(ties):
            friends = chunk.people_rows(ties["friend_id"].to_numpy().astype(ids.dtype, copy=False))
            rows = _sorted_union(sampled_rows, friends)
        else:
            rows = np.sort(sampled_rows)
        events = pop.events
        if rows.size:
            events = events.iloc[chunk.rows_of("events", rows)]
        else:
            events = events.iloc[:0].copy()  # not a view of the batch's columns (see the ties above)
        part = PoolPart(
            people=pop.people.iloc[rows].reset_index(drop=True),
            events=events.reset_index(drop=True),
            ties=ties.reset_index(drop=True),
            frame=chunk.frame.iloc[rows].reset_index(drop=True),
            cells=chunk.cells[rows],
            sampled=_marked(rows, sampled_rows),
            u=hashes_of_rows(chunk, rows),
            stratum=strata_of(chunk)[rows],
        )
        return cls(parts=(part,), horizon_months=pop.horizon_months, synthetic=pop.synthetic,
                   sizes=np.array(stratum_sizes(chunk), dtype=np.int64),
                   targets=stratum_targets(chunk.options.replay_sample) if stratified else None)

    def merge(self, other: ReplayPool) -> ReplayPool:
        if self.horizon_months != other.horizon_months:
            raise ValueError(f"cannot pool chunks of {self.horizon_months} and {other.horizon_months} months")
        parts = tuple(p for p in self.parts + other.parts if len(p))
        targets = self.targets if other.targets is None else (
            other.targets if self.targets is None else np.maximum(self.targets, other.targets))
        if parts and targets is not None:
            parts = _bottom_k(parts, targets)
        if not parts:
            parts = self.parts[:1]
        elif len(parts) > MAX_PARTS:
            parts = (_joined(parts),)
        sizes = None if self.sizes is None or other.sizes is None else self.sizes + other.sizes
        return ReplayPool(parts=parts, horizon_months=self.horizon_months, synthetic=self.synthetic and other.synthetic,
                          sizes=sizes, targets=targets)

    def hash_cutoffs(self) -> np.ndarray | None:
        """Per stratum, the largest replay hash a person of a chunk not yet pooled can have and still be sampled.

        The ``targets[h]``-th smallest hash among the pooled people of stratum
        ``h``: merging more chunks only lowers it, so a person whose hash is
        above it is trimmed by some later merge whatever else arrives, and a
        chunk told the cut-off need not gather them (:func:`replay_cutoffs`).
        ``inf`` where the pool holds fewer than the target; ``None`` for a
        pool that is never trimmed (a fixed-rate sample).
        """
        if self.targets is None or any(p.u is None or p.stratum is None for p in self.parts):
            return None
        return _stratum_cuts(*_sampled_hashes(self.parts), self.targets)

    @property
    def sampled(self) -> int:
        """Sampled people in the pool."""
        return int(sum(int(p.sampled.sum()) for p in self.parts))

    def scored_chunk(self, ctx: AuditContext) -> ScoredChunk:
        """Every pooled row as one scored chunk, in person-id order, its sample marked (``sample_rows``)."""
        parts = [p.compacted() for p in self.parts]
        people = _concat([p.people for p in parts])
        ids = people["person_id"].to_numpy()
        order = np.argsort(ids, kind="stable")
        people = people.iloc[order].reset_index(drop=True)
        frame = _concat([p.frame for p in parts]).iloc[order].reset_index(drop=True)
        cells = np.concatenate([p.cells for p in parts])[order]
        sampled = np.concatenate([p.sampled for p in parts])[order]
        events = _concat([p.events for p in parts])
        events = events.iloc[np.argsort(events["person_id"].to_numpy(), kind="stable")].reset_index(drop=True)
        ties = _concat([p.ties for p in parts])
        ties = ties.iloc[np.argsort(ties["person_id"].to_numpy(), kind="stable")].reset_index(drop=True)
        population = Population(
            people=people, events=events, ties=ties, horizon_months=self.horizon_months,
            synthetic=self.synthetic, spec=ctx.spec,
        )
        options = ctx.options
        as_of = self.horizon_months - 1 if options.as_of is None else options.as_of
        return ScoredChunk(
            population=population, view=population.view(), scorer=time_limited(ctx.scorer, options.scorer_timeout),
            label=ctx.label, frame=frame, cells=cells, layout=ctx.layout, options=options, as_of=as_of,
            sample_rows=np.flatnonzero(sampled), _memo={} if self.sizes is None else {"replay_sizes": self.sizes},
        )


def replay_cutoffs(merged: Mapping[str, Any]) -> dict[str, tuple[float, ...]]:
    """Scorer label -> the replay hash cut-off of each stratum (:meth:`ReplayPool.hash_cutoffs`) of a run's totals.

    ``merged`` is the run's merged statistics so far (label -> audit -> ...):
    the chunks submitted next are told these cut-offs, so each gathers only
    the sampled people who can still be in the run's sample (on a country,
    one chunk's 2,000 people a stratum would otherwise be gathered, pickled,
    saved and merged in every chunk, to be trimmed by the next merge). The
    sample, and every replay, is unchanged. A label whose audits pool no
    stratified sample (or none yet) has no entry.
    """
    out: dict[str, tuple[float, ...]] = {}
    for label, per_audit in merged.items():
        pool = _first_stratified_pool(per_audit)
        cut = None if pool is None else pool.hash_cutoffs()
        if cut is not None and bool(np.isfinite(cut).any()):
            out[label] = tuple(float(c) for c in cut)
    return out


def _first_stratified_pool(value: Any, depth: int = 0) -> ReplayPool | None:
    """The first stratified :class:`ReplayPool` in nested dicts (every replay audit of a scorer shares one)."""
    if isinstance(value, ReplayPool):
        return value if value.targets is not None else None
    if isinstance(value, Mapping) and depth < 3:
        for v in value.values():
            found = _first_stratified_pool(v, depth + 1)
            if found is not None:
                return found
    return None


def _sorted_union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distinct rows of ``a`` and ``b``, each ascending, ascending: ``np.union1d(a, b)``.

    Sampled people and the rows of their friends: a stable sort of the two
    ascending runs side by side is one merge (timsort finds the runs), where
    ``np.union1d`` sorts them from scratch and the friends were first cut to
    those not sampled (an ``np.isin``) and made unique twice.
    """
    both = np.sort(np.concatenate([np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)]), kind="stable")
    return unique_ids(both, presorted=True)


def _marked(rows: np.ndarray, sampled_rows: np.ndarray) -> np.ndarray:
    """``np.isin(rows, sampled_rows)`` where ``rows`` holds every one of ``sampled_rows``: a binary search when ascending."""
    if rows.size > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        return np.isin(rows, sampled_rows)
    out = np.zeros(rows.size, dtype=bool)
    out[np.searchsorted(rows, sampled_rows)] = True
    return out


def _part_of_fields(fields: dict[str, object]) -> PoolPart:
    """A part from its fields (how :meth:`PoolPart.__reduce__` unpickles)."""
    return PoolPart(**fields)  # type: ignore[arg-type]


def _joined(parts: tuple[PoolPart, ...]) -> PoolPart:
    """The parts as one (each person is in one part, so :meth:`ReplayPool.scored_chunk` is unchanged)."""
    parts = tuple(p.compacted() for p in parts)
    has = all(p.u is not None and p.stratum is not None for p in parts)
    return PoolPart(
        people=_concat([p.people for p in parts]),
        events=_concat([p.events for p in parts]),
        ties=_concat([p.ties for p in parts]),
        frame=_concat([p.frame for p in parts]),
        cells=np.concatenate([p.cells for p in parts]),
        sampled=np.concatenate([p.sampled for p in parts]),
        u=np.concatenate([p.u for p in parts]) if has else None,  # type: ignore[misc]
        stratum=np.concatenate([p.stratum for p in parts]) if has else None,  # type: ignore[misc]
    )


def _bottom_k(parts: tuple[PoolPart, ...], targets: np.ndarray) -> tuple[PoolPart, ...]:
    """The parts keeping, in each stratum, only the ``targets[h]`` sampled people with the smallest hashes.

    The smallest hashes of a union are the smallest of its parts', so trimming
    at every merge gives the same people as trimming once at the end, in any
    order. A dropped person stays as context when a kept person names them as
    a friend. A part that keeps no one is dropped; the others only have their
    ``sampled`` flags cleared (:meth:`PoolPart.trimmed`): cutting a part's
    frames costs far more than the merge's other work, and at country scale a
    part loses a person or two at almost every merge.
    """
    if any(p.u is None or p.stratum is None for p in parts):
        return parts
    u, h = _sampled_hashes(parts)
    if np.all(np.bincount(h, minlength=len(targets)) <= targets):
        return parts
    cut = _stratum_cuts(u, h, targets)
    out = []
    for p in parts:
        keep = p.sampled & (p.u <= cut[np.maximum(p.stratum, 0)])  # type: ignore[operator, index, arg-type]
        if not keep.any():
            continue  # cut, the part would hold no one: its context rows are friends of trimmed people only
        out.append(p if np.array_equal(keep, p.sampled) else p.trimmed(keep))
    return tuple(out)


def _sampled_hashes(parts: tuple[PoolPart, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The replay hash and stratum code (int64) of every sampled person of ``parts`` (which all carry both)."""
    u = np.concatenate([p.u[p.sampled] for p in parts])  # type: ignore[index]
    h = np.concatenate([p.stratum[p.sampled] for p in parts]).astype(np.int64)  # type: ignore[index]
    return u, h


def _stratum_cuts(u: np.ndarray, h: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per stratum ``s``, the ``targets[s]``-th smallest of the hashes ``u`` of stratum ``s`` (``h == s``).

    ``inf`` where the stratum holds fewer than its target (everyone stays), ``-inf`` where the target is 0
    (no one does): keeping ``u <= cut`` keeps each stratum's ``targets[s]`` smallest, every tie included.
    """
    cut = np.full(len(targets), np.inf)
    for s, k in enumerate(np.asarray(targets).tolist()):
        mine = u[h == s]
        if k <= 0:
            cut[s] = -np.inf
        elif mine.size >= k:
            cut[s] = np.partition(mine, k - 1)[k - 1]
    return cut


def _restricted(p: PoolPart, keep: np.ndarray) -> PoolPart:
    """Part ``p`` with only the sampled rows ``keep`` and the friends they name as context.

    Rows are found with :func:`audit.population.columns.rows_with_ids`: a binary
    search in a gathered part, whose people, events and ties are in person-id
    order; a scan of a joined part, which is in the order its parts came.
    """
    ids = p.people["person_id"].to_numpy()
    ties = p.ties.iloc[rows_with_ids(p.ties["person_id"].to_numpy(), ids[keep])].reset_index(drop=True)
    context = np.zeros(ids.size, dtype=bool)
    context[rows_with_ids(ids, ties["friend_id"].to_numpy())] = True
    rows = np.flatnonzero(keep | context)
    events = p.events.iloc[rows_with_ids(p.events["person_id"].to_numpy(), ids[rows])].reset_index(drop=True)
    return PoolPart(
        people=p.people.iloc[rows].reset_index(drop=True), events=events, ties=ties,
        frame=p.frame.iloc[rows].reset_index(drop=True), cells=p.cells[rows], sampled=keep[rows],
        u=p.u[rows] if p.u is not None else None, stratum=p.stratum[rows] if p.stratum is not None else None,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
