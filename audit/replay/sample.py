"""Replay: score edited copies of sampled people's event logs through the scorer contract.

The appeal, reversibility, spill-over and contagion audits never read a
scorer's rules. They ask "what if": what if this event had been overturned,
what if this person volunteered every month, what if a friend were penalised.
Each question is a set of *variants* — copies of sampled people with an edited
event log — and one vectorised ``score`` call answers it for every variant at
once (a round per variant number when the scorer reads ids).

Sampling
    Stratified (:mod:`audit.replay.strata`): sanctioned people, people with a
    penalty on record, everyone else; in each stratum the ``replay_sample``
    people with the smallest ``person_uniform(seed, "replay", person_id)``, weighted back to the population by the inverse of
    their inclusion probability. The hash does not depend on how people are
    chunked and the smallest hashes of a union are the smallest of its
    parts', so every chunking samples the same people and the replay audits'
    merged records are identical. (:func:`sample_mask` is the plain hash sample
    at a rate, kept for other samples.)

Variant ids
    A scorer may key on ``person_id`` (a lookup table, a precomputed score, a
    hash), so :func:`ids_matter` first scores the sample's recorded logs under
    the people's own ids and under fresh ones. When the output moves, every
    variant is scored under its person's own id, in rounds that never hold
    two variants of one person (:func:`score_variants`). Otherwise a variant
    is scored under ``clone_id(namespace, person_id, k)``: distinct for every
    (purpose, person, variant number), so a scorer that keeps state between
    calls (it should not) never sees two different logs under one id,
    whatever the chunking. Ids live above ``2**46`` and never collide with the
    ids of the synthetic generator.

Month by month
    :mod:`audit.replay.timeline` follows variants over many months with one
    score call per calendar month.

Edited logs
    :mod:`audit.replay.logs` holds the event arrays, the variants built from
    them and the events audits add (re-exported here).

Friends
    Scorers whose tags declare ``uses_ties`` (:class:`scorers.protocol.ScorerTags`)
    are replayed with the sampled people's friends in the view, each with the
    friend's own recorded log; variants keep their base person's friends.
    Assumption: one hop is enough — friends of friends are left out of replay
    views (exact for a scorer that reads only its friends' own conduct).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit.aggregate import Counts, Records
from audit.engine.contract import ScoredChunk, favourable_mask, score_checked
from audit.errors import InvalidArgument
from audit.population.model import PopulationView, empty_ties, rows_with_ids
from audit.randomness import person_uniform, rows_sampled
from audit.replay.logs import EventArrays, Variants, added_events
from audit.replay.pool import ReplayPool
from audit.replay.strata import HALF_WIDTH_PEOPLE, STRATA, bottom_k, hashes, strata_of, stratum_targets, weights
from scorers.protocol import scorer_tags

__all__ = [
    "REPLAY_STREAM",
    "NAMESPACES",
    "MAX_VARIANTS_PER_PERSON",
    "WHOLE_LOG_VARIANT",
    "sample_rate",
    "sample_mask",
    "clone_ids",
    "EventArrays",
    "ReplaySample",
    "replay_sample",
    "sampled_rows",
    "sample_weights",
    "sample_records",
    "sample_summary",
    "pooled_sample",
    "ReplayPool",
    "Variants",
    "States",
    "states",
    "score_variants",
    "ids_matter",
    "score_originals",
    "spec_for",
    "added_events",
]

#: Stream name of the sampling hash (shared by every replay audit: they study the same people).
REPLAY_STREAM = "replay"

#: Purposes a variant id can serve; the position is the namespace number in the id.
NAMESPACES: tuple[str, ...] = (
    "appeal.full",
    "appeal.minus",
    "appeal.truth",
    "appeal.after",
    "reversibility.fresh",
    "reversibility.minus",
    "reversibility.recovery",
    "reversibility.plans",
    "spillover.domains",
    "spillover.kinds",
    "contagion.friend",
    "contagion.person",
    "contagion.kinds",
    "replay.ids",
)

_ID_BITS = 34  # person ids below 2**34 (17 billion) map to clone ids exactly
_K_BITS = 12
#: Variants of one person within one purpose (ids have room for this many).
MAX_VARIANTS_PER_PERSON = 1 << _K_BITS
#: Variant number of a person's whole log, beside variants that each remove one
#: event and are numbered by its rank (:meth:`ReplaySample.removable_events`).
WHOLE_LOG_VARIANT = MAX_VARIANTS_PER_PERSON - 1
_NS_SHIFT = _ID_BITS + _K_BITS


def sample_rate(replay_sample: int, population_size: int) -> float:
    """Probability that one person is sampled: ``replay_sample / population_size`` (at most 1)."""
    if replay_sample < 0:
        raise InvalidArgument(f"replay_sample = {replay_sample}; give 0 or more people (e.g. replay_sample=2000)")
    if population_size <= 0:
        return 0.0
    return min(1.0, replay_sample / population_size)


def sample_mask(person_id: np.ndarray, *, seed: int, rate: float) -> np.ndarray:
    """True for people in the replay sample (a person-id hash, chunk-invariant)."""
    mask = np.zeros(len(person_id), dtype=bool)
    mask[rows_sampled(seed, REPLAY_STREAM, person_id, rate)] = True
    return mask


def clone_ids(namespace: str, person_id: np.ndarray, k: np.ndarray | int = 0) -> np.ndarray:
    """Fresh person ids for variants: unique per (namespace, person, ``k``).

    ``k`` is the variant's number for that person and purpose (``0 <= k <``
    :data:`MAX_VARIANTS_PER_PERSON`). Person ids outside ``[0, 2**34)`` are
    folded into that range by a hash (a collision then needs two such people
    in one replay view).
    """
    ns = NAMESPACES.index(namespace) + 1
    pid = np.asarray(person_id, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    if np.any(k < 0) or np.any(k >= MAX_VARIANTS_PER_PERSON):
        raise InvalidArgument(f"variant number out of range 0..{MAX_VARIANTS_PER_PERSON - 1}")
    inside = (pid >= 0) & (pid < (1 << _ID_BITS))
    if not inside.all():
        folded = (person_uniform(0, "clone-id", pid) * (1 << _ID_BITS)).astype(np.int64)
        pid = np.where(inside, pid, folded)
    return (np.int64(ns) << np.int64(_NS_SHIFT)) | (pid << np.int64(_K_BITS)) | k


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaySample:
    """The sampled people of one chunk with their logs, and the friends a tie-reading scorer needs.

    Rows ``0 .. n - 1`` are the sampled people (in person-id order); for a
    scorer that reads ties, the rows after them are friends of sampled people
    who are not sampled themselves ("context"). Variants copy a row: its
    attributes, its log and its friends.
    """

    people: pd.DataFrame
    """Every row as the scorer sees it (no ground truth), index 0..rows-1."""
    n: int
    """Number of sampled people (the first ``n`` rows)."""
    positions: np.ndarray
    """Row in the chunk of each sampled person."""
    cells: np.ndarray
    """Cell code of each sampled person."""
    events: EventArrays
    """Every row's recorded events (with ground truth), sorted canonically within each row."""
    owner: np.ndarray
    """Row of each event."""
    rank: np.ndarray
    """Position of each event in its row's canonical order (month, kind, source, amount, genuine)."""
    starts: np.ndarray
    """Events of row ``i`` are ``starts[i]:starts[i + 1]``."""
    friend_id: np.ndarray
    """Friends named by sampled people, grouped by row (``friend_starts``)."""
    friend_starts: np.ndarray
    """Friends of row ``i`` are ``friend_id[friend_starts[i]:friend_starts[i + 1]]`` (none for context rows)."""
    uses_ties: bool
    """Whether the scorer reads ties (friends are then in every replay view)."""
    horizon_months: int
    as_of: int
    seed: int
    """Seed of audit-side randomness (``AuditOptions.seed``)."""
    ids: np.ndarray
    """Person id of every row (sampled first, then context)."""
    id_order: np.ndarray
    """Rows in person-id order (for look-ups by id)."""
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Inverse inclusion probability of each sampled person (:mod:`audit.replay.strata`)."""
    memo: dict = field(default_factory=dict)
    """Facts learnt about the scorer on this sample (:func:`ids_matter`), computed once."""

    def __len__(self) -> int:
        return self.n

    def weight_records(self) -> dict[str, np.ndarray]:
        """``person_id`` and ``weight`` of every sampled person (a :class:`~audit.aggregate.Records` column set)."""
        return {"person_id": self.ids[: self.n].copy(), "weight": np.asarray(self.weights, dtype=np.float64)}

    @property
    def sampled_events(self) -> int:
        """Events of the sampled rows are ``events[:sampled_events]`` (context rows come after)."""
        return int(self.starts[self.n])

    def removable_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(events, owners, people)``: the events a variant numbered by their rank can remove.

        Events of the sampled rows visible at ``as_of`` whose rank is below
        :data:`WHOLE_LOG_VARIANT`; ``owners`` is each one's row, ``people``
        those rows once each, in increasing order.
        """
        m = self.sampled_events
        events = np.flatnonzero((self.events.month[:m] <= self.as_of) & (self.rank[:m] < WHOLE_LOG_VARIANT))
        owners = self.owner[events]
        return events, owners, np.unique(owners)

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Row of each person id (-1 when the person is not in the sample or its context)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.ids.size == 0:
            return np.full(ids.size, -1, dtype=np.int64)
        sorted_ids = self.ids[self.id_order]
        pos = np.minimum(np.searchsorted(sorted_ids, ids), self.ids.size - 1)
        return np.where(sorted_ids[pos] == ids, self.id_order[pos], -1).astype(np.int64)

    def log_pairs(self, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(variant, event)`` index pairs: every event of each variant's base row."""
        return _expand(self.starts, base)

    def friend_pairs(self, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(variant, tie)`` index pairs: every friend of each variant's base row."""
        return _expand(self.friend_starts, base)


def _expand(starts: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    base = np.asarray(base, dtype=np.int64)
    counts = starts[base + 1] - starts[base]
    variant = np.repeat(np.arange(base.size), counts)
    first = np.repeat(starts[base] - np.r_[0, np.cumsum(counts)[:-1]], counts)
    return variant, (first + np.arange(variant.size)).astype(np.int64)


def sampled_rows(chunk: ScoredChunk) -> np.ndarray:
    """Rows of ``chunk`` in the replay sample, ascending (a pooled chunk's marked rows).

    The stratified sample of :mod:`audit.replay.strata`: in each stratum the
    ``replay_sample`` people with the smallest person-id hashes.
    """
    if chunk.sample_rows is not None:
        return np.asarray(chunk.sample_rows, dtype=np.int64)
    targets = stratum_targets(chunk.options.replay_sample)
    if targets.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    ids = chunk.population.people["person_id"].to_numpy()
    return bottom_k(hashes(chunk.options.seed, ids), strata_of(chunk), targets)


def sample_records(chunk: ScoredChunk, sample: ReplaySample) -> dict[str, Any]:
    """What every replay audit's records carry about the sample: weights, and stratum sizes and draws.

    ``weights`` (person id -> inverse inclusion probability), ``strata``
    (people in each stratum of the population) and ``strata_sampled``;
    :func:`sample_summary` turns them into the section's ``sample`` entry.
    """
    sizes = chunk._memo.get("replay_sizes")
    strata = strata_of(chunk)
    if sizes is None:
        sizes = np.bincount(strata, minlength=len(STRATA))
    return {
        "weights": Records(sample.weight_records()),
        "strata": Counts(np.asarray(sizes, dtype=np.int64)),
        "strata_sampled": Counts(np.bincount(strata[sample.positions], minlength=len(STRATA)).astype(np.int64)),
    }


def sample_summary(merged: Mapping[str, Any], per_stratum: int) -> dict[str, Any]:
    """The ``sample`` entry of a replay section: the size rule, the people drawn per stratum, each stratum's population and draw."""
    sizes = merged["strata"].array if "strata" in merged else np.zeros(len(STRATA), np.int64)
    drawn = merged["strata_sampled"].array if "strata_sampled" in merged else np.zeros(len(STRATA), np.int64)
    return {
        "rule": (f"stratified: up to the replay sample's size from each stratum (smallest person-id hashes), weighted "
                 f"by people in the stratum over people sampled; {HALF_WIDTH_PEOPLE} people of a stratum give a share "
                 "among them a 95% interval no wider than ±5 points"),
        "per_stratum": int(per_stratum),
        "strata": [{"stratum": name, "population": int(sizes[h]), "sampled": int(drawn[h])} for h, name in enumerate(STRATA)],
    }


def sample_weights(chunk: ScoredChunk, rows: np.ndarray) -> np.ndarray:
    """Inverse inclusion probability of the sampled ``rows`` (:func:`audit.replay.strata.weights`).

    A pooled chunk carries the population's stratum sizes (``replay_sizes``);
    a chunk replayed on its own is its own population.
    """
    strata = strata_of(chunk)
    sizes = chunk._memo.get("replay_sizes")
    if sizes is None:
        sizes = np.bincount(strata, minlength=len(STRATA))
    return weights(strata[rows], sizes)


def pooled_sample(chunk: ScoredChunk) -> ReplayPool:
    """The chunk's replay sample gathered for replay after the merge (one pool per chunk and scorer).

    Every replay audit studies the same people, so the pool is built once per
    chunk and shared (pickled once) by all of them.
    """
    if "replay_pool" not in chunk._memo:
        chunk._memo["replay_pool"] = ReplayPool.gather(
            chunk, sampled_rows(chunk), with_friends=bool(scorer_tags(chunk.scorer).uses_ties)
        )
    return chunk._memo["replay_pool"]


def replay_sample(chunk: ScoredChunk) -> ReplaySample:
    """The replay sample of ``chunk`` (the same people for every scorer and audit)."""
    pop = chunk.population
    opts = chunk.options
    all_ids = pop.people["person_id"].to_numpy().astype(np.int64)
    positions = sampled_rows(chunk)
    order = np.argsort(all_ids[positions], kind="stable")
    positions = positions[order]
    ids = all_ids[positions]
    n = ids.size

    uses_ties = bool(scorer_tags(chunk.scorer).uses_ties)
    friend_owner = np.zeros(0, np.int64)
    friend_id = np.zeros(0, np.int64)
    rows = positions
    if uses_ties and len(pop.ties):
        t_person = pop.ties["person_id"].to_numpy().astype(np.int64)
        t_friend = pop.ties["friend_id"].to_numpy().astype(np.int64)
        sel = rows_with_ids(t_person, ids)
        friend_owner = np.searchsorted(ids, t_person[sel])
        friend_id = t_friend[sel]
        o = np.lexsort((friend_id, friend_owner))
        friend_owner, friend_id = friend_owner[o], friend_id[o]
        outside = np.setdiff1d(np.unique(friend_id), ids)
        ctx = rows_with_ids(all_ids, outside)
        rows = np.concatenate([positions, ctx[np.argsort(all_ids[ctx], kind="stable")]])
    people = chunk.view.people.iloc[rows].reset_index(drop=True)
    row_ids = all_ids[rows]

    ev_ids = pop.events["person_id"].to_numpy()
    events = EventArrays.from_frame(pop.events.iloc[rows_with_ids(ev_ids, row_ids)])
    lookup = np.argsort(row_ids, kind="stable")
    owner = lookup[np.searchsorted(row_ids[lookup], events.person)]
    # canonical order: by row, then month, kind, source, amount, ground truth
    order = np.lexsort((events.genuine, events.amount, events.source, events.kind, events.month, owner))
    events, owner = events.take(order), owner[order]
    starts = np.searchsorted(owner, np.arange(rows.size + 1))
    rank = np.arange(owner.size) - starts[owner] if owner.size else np.zeros(0, np.int64)
    friend_starts = np.searchsorted(friend_owner, np.arange(rows.size + 1))
    return ReplaySample(
        people=people, n=n, positions=positions, cells=chunk.cells[positions], events=events, owner=owner,
        rank=rank, starts=starts, friend_id=friend_id, friend_starts=friend_starts, uses_ties=uses_ties,
        horizon_months=pop.horizon_months, as_of=chunk.as_of, seed=opts.seed,
        ids=row_ids, id_order=lookup, weights=sample_weights(chunk, positions),
    )


@dataclass(frozen=True, slots=True)
class States:
    """Outcomes read off a score frame as arrays."""

    score: np.ndarray
    tier: np.ndarray
    """Tier index, 0 = best."""
    sanctions: np.ndarray
    """``(n, n_sanctions)`` bool, in the scorer's declared order."""
    favourable: np.ndarray

    @property
    def sanctioned(self) -> np.ndarray:
        if self.sanctions.shape[1]:
            return np.asarray(self.sanctions.any(axis=1), dtype=bool)
        return np.zeros(len(self.score), dtype=bool)

    def better_than(self, other: States) -> np.ndarray:
        """True where this outcome beats ``other``: higher score, better tier or a sanction fewer."""
        better = (self.score > other.score) | (self.tier < other.tier)
        if self.sanctions.shape[1]:
            better |= (other.sanctions & ~self.sanctions).any(axis=1)
        return np.asarray(better, dtype=bool)

    def take(self, index: np.ndarray) -> States:
        return States(self.score[index], self.tier[index], self.sanctions[index], self.favourable[index])


def states(scorer, frame: pd.DataFrame) -> States:
    """Score, tier index, sanctions and favourable flag of every row of a validated frame."""
    names = list(scorer.sanctions)
    sanctions = (
        np.column_stack([frame[s].to_numpy(dtype=bool) for s in names]) if names else np.zeros((len(frame), 0), bool)
    )
    return States(
        frame["score"].to_numpy(dtype=np.float64),
        frame["tier"].cat.codes.to_numpy().astype(np.int64),
        sanctions,
        favourable_mask(scorer, frame),
    )


class _EventIndex:
    """Variants' events sorted by (variant, month): a call's events are gathered, not filtered."""

    def __init__(self, variants: Variants) -> None:
        ev = variants.events
        self.order = np.lexsort((ev.month, variants.owner))
        owner = variants.owner[self.order]
        self.month = ev.month[self.order]
        self.starts = np.searchsorted(owner, np.arange(len(variants) + 1))
        self.span = int(self.month.max()) - int(self.month.min()) + 2 if self.month.size else 1
        self.offset = int(self.month.min()) if self.month.size else 0
        self.key = owner * self.span + (self.month - self.offset)

    def select(self, rows: np.ndarray, as_of: int) -> np.ndarray:
        """Positions in the variants' events of the events of ``rows`` with ``month <= as_of``."""
        lo = self.starts[rows]
        m = min(max(as_of - self.offset, -1), self.span - 1)
        hi = np.searchsorted(self.key, rows * self.span + m, side="right")
        hi = np.maximum(hi, lo)
        counts = hi - lo
        first = np.repeat(lo - np.r_[0, np.cumsum(counts)[:-1]], counts)
        return self.order[first + np.arange(int(counts.sum()))]


def _gather_frame(parts: list[tuple[EventArrays, np.ndarray]]) -> pd.DataFrame:
    """The scorer's event frame of ``arrays[index]`` for each part, in one gather per column."""
    def col(name: str) -> np.ndarray:
        cols = [getattr(a, name)[i] for a, i in parts]
        return cols[0] if len(cols) == 1 else np.concatenate(cols)

    return EventArrays(
        person=col("person"), month=col("month"), kind=col("kind"), source=col("source"), amount=col("amount"),
        genuine=np.zeros(0, dtype=bool),
    ).frame()


def _lookup(size: int, index: np.ndarray) -> np.ndarray:
    m = np.zeros(size, dtype=bool)
    m[index] = True
    return m


def score_variants(
    scorer,
    sample: ReplaySample,
    variants: Variants,
    *,
    as_of: int,
    rows: np.ndarray | None = None,
    index: _EventIndex | None = None,
) -> States:
    """Score variants (all, or those at ``rows``) at ``as_of``; states aligned to ``rows``.

    A variant is scored under its base person's own id, so a scorer keyed on
    ``person_id`` (a lookup table, a precomputed score, a hash) sees each person
    as the person it is. When the scorer ignores ids (:func:`ids_matter` is
    false on this sample), variants are scored together under their own fresh
    ids (:func:`clone_ids`), one call for all; otherwise they are scored in
    rounds, each round holding at most one variant of a person (and, for a
    scorer that reads ties, no variant of anyone another variant of the round
    lists as a friend), so no two logs ever share an id in one call.

    The view holds the variants and, for a tie-reading scorer, the friends they
    name (each with the friend's recorded log); a friend whose id a variant
    carries is left out (the variant stands in for that person).
    """
    rows = np.arange(len(variants)) if rows is None else np.asarray(rows, dtype=np.int64)
    if rows.size == 0 or not ids_matter(scorer, sample):
        return _score_rows(scorer, sample, variants, rows, variants.ids, as_of=as_of, index=index)
    own = sample.ids[variants.base]
    rounds = _rounds(sample, variants, rows, own)
    parts: list[tuple[np.ndarray, States]] = []
    for r in range(int(rounds.max()) + 1):
        at = np.flatnonzero(rounds == r)
        parts.append((at, _score_rows(scorer, sample, variants, rows[at], own, as_of=as_of, index=index)))
    at = np.concatenate([a for a, _ in parts])
    back = np.empty_like(at)
    back[at] = np.arange(at.size)
    joined = States(*(np.concatenate([getattr(st, f) for _, st in parts]) for f in ("score", "tier", "sanctions", "favourable")))
    return joined.take(back)


def ids_matter(scorer, sample: ReplaySample) -> bool:
    """Whether the scorer's output on this sample changes when people are scored under fresh ids.

    The sampled people are scored with their recorded logs twice, under their
    own ids and under fresh ones (:func:`clone_ids`); any difference in score,
    tier or sanctions means the scorer reads ``person_id`` and replays must keep
    each person's id. Computed once per sample and scorer.
    """
    key = ("ids_matter", id(scorer))
    if key not in sample.memo:
        rows = np.arange(sample.n)
        if rows.size == 0:
            sample.memo[key] = False
        else:
            own = Variants.build(sample, base=rows, ids=sample.ids[rows])
            fresh = Variants.build(sample, base=rows, ids=clone_ids("replay.ids", sample.ids[rows]))
            a = _score_rows(scorer, sample, own, rows, own.ids, as_of=sample.as_of)
            b = _score_rows(scorer, sample, fresh, rows, fresh.ids, as_of=sample.as_of)
            same = (
                np.array_equal(a.score, b.score, equal_nan=True) and np.array_equal(a.tier, b.tier)
                and np.array_equal(a.sanctions, b.sanctions)
            )
            sample.memo[key] = not same
    return bool(sample.memo[key])


def _occurrence(values: np.ndarray) -> np.ndarray:
    """How many earlier entries equal each entry (0 for a value's first entry)."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    first = np.r_[True, v[1:] != v[:-1]] if v.size else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    occ = np.arange(v.size) - np.repeat(starts, np.diff(np.r_[starts, v.size]))
    out = np.empty_like(occ)
    out[order] = occ
    return out


def _rounds(sample: ReplaySample, variants: Variants, rows: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Round of each of ``rows`` when variants are scored under their people's own ids.

    Without ties a round is the variant's rank among its person's variants. A
    tie-reading scorer needs more: variants joined by an overridden friend
    (one names the other's fresh id) are scored in one round, and a round
    never holds a person's variant beside a variant that lists that person as
    a friend (the friend must be seen with the recorded log). Rounds are then
    filled greedily, in order.
    """
    if not sample.uses_ties:
        return _occurrence(own[rows])
    pos = {int(v): i for i, v in enumerate(rows)}
    link = list(range(rows.size))

    def root(i: int) -> int:
        while link[i] != i:
            link[i] = link[link[i]]
            i = link[i]
        return i

    friends: list[set[int]] = [set() for _ in range(rows.size)]
    if variants.friends is not None:
        fv, fid = variants.friends
        by_id = {int(v): i for i, v in enumerate(variants.ids)}
        for v, f in zip(fv.tolist(), fid.tolist()):
            if v not in pos:
                continue
            other = by_id.get(f)
            if other is not None and other in pos:
                link[root(pos[v])] = root(pos[other])
            else:
                friends[pos[v]].add(f)
    else:
        v, t = sample.friend_pairs(variants.base[rows])
        for i, f in zip(v.tolist(), sample.friend_id[t].tolist()):
            friends[i].add(f)
    groups: dict[int, list[int]] = {}
    for i in range(rows.size):
        groups.setdefault(root(i), []).append(i)
    taken: list[tuple[set[int], set[int]]] = []
    out = np.zeros(rows.size, dtype=np.int64)
    for members in sorted(groups.values()):
        ids = {int(own[rows[i]]) for i in members}
        named = set().union(*(friends[i] for i in members)) - ids
        r = 0
        while r < len(taken) and not (ids.isdisjoint(taken[r][0]) and ids.isdisjoint(taken[r][1]) and named.isdisjoint(taken[r][0])):
            r += 1
        if r == len(taken):
            taken.append((set(), set()))
        taken[r][0].update(ids)
        taken[r][1].update(named)
        out[members] = r
    return out


def _score_rows(
    scorer,
    sample: ReplaySample,
    variants: Variants,
    rows: np.ndarray,
    ids: np.ndarray,
    *,
    as_of: int,
    index: _EventIndex | None = None,
) -> States:
    """Score the variants at ``rows`` in one call, variant ``i`` under ``ids[i]``."""
    vids = ids[rows]
    people = sample.people.iloc[variants.base[rows]].reset_index(drop=True)
    people["person_id"] = vids
    active = _lookup(len(variants), rows)
    ev = variants.events if ids is variants.ids else variants.events.with_person(ids[variants.owner])
    if index is None:
        events = [(ev, np.flatnonzero(active[variants.owner] & (ev.month <= as_of)))]
    else:
        events = [(ev, index.select(rows, as_of))]
    ties = empty_ties()
    if sample.uses_ties:
        if variants.friends is not None:
            fv, fid = variants.friends
            sel = active[fv]
            t_person, t_friend = ids[fv[sel]], fid[sel]
            if ids is not variants.ids and t_friend.size:
                # a friend named by a variant's fresh id is that variant, under its own id
                order = np.argsort(variants.ids, kind="stable")
                at = np.minimum(np.searchsorted(variants.ids[order], t_friend), order.size - 1)
                hit = variants.ids[order][at] == t_friend
                t_friend = np.where(hit, ids[order][at], t_friend)
        else:
            v, t = sample.friend_pairs(variants.base[rows])
            t_person, t_friend = vids[v], sample.friend_id[t]
        need = np.setdiff1d(np.unique(t_friend), vids)
        ctx = sample.rows_of(need)
        ctx = ctx[ctx >= 0]
        if ctx.size:
            people = pd.concat([people, sample.people.iloc[ctx]], ignore_index=True)
            _, e = sample.log_pairs(ctx)
            events.append((sample.events, e[sample.events.month[e] <= as_of]))
        ties = pd.DataFrame({"person_id": t_person, "friend_id": t_friend})
    view = PopulationView(
        people=people,
        events=_gather_frame(events),
        ties=ties,
        horizon_months=max(sample.horizon_months, as_of + 1),
    )
    frame = score_checked(scorer, view, as_of=as_of)
    return states(scorer, frame.iloc[: len(rows)])


def score_originals(scorer, sample: ReplaySample, *, as_of: int, rows: np.ndarray | None = None) -> States:
    """Score sampled people under their own ids with their recorded logs."""
    rows = np.arange(sample.n) if rows is None else np.asarray(rows, dtype=np.int64)
    variants = Variants.build(sample, base=rows, ids=sample.ids[rows])
    return score_variants(scorer, sample, variants, as_of=as_of)


def spec_for(chunk: ScoredChunk):
    """The spec behind a chunk; for a supplied population, the builtin ``china-2020``.

    Assumption: recourse limits, gravity classes and related domains are policy
    figures, not properties of the supplied people, so a supplied population is
    audited with the builtin spec's.
    """
    spec = chunk.population.spec
    if spec is None:
        from audit.population.spec import load_spec

        spec = load_spec("china-2020")
    return spec
