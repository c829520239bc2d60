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
    hash), so :func:`audit.replay.scoring.ids_matter` first scores the sample's recorded logs under
    the people's own ids and under fresh ones. When the output moves, every
    variant is scored under its person's own id, in rounds that never hold
    two variants of one person (:func:`audit.replay.scoring.score_variants`). Otherwise a variant
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
from audit.engine.contract import ScoredChunk
from audit.errors import InvalidArgument
from audit.population.model import rows_with_ids, unique_ids
from audit.randomness import person_uniform, rows_sampled
from audit.replay.logs import EventArrays, Variants, added_events
from audit.replay.pool import ReplayPool
from audit.replay.strata import (
    HALF_WIDTH_PEOPLE,
    STRATA,
    batch_hashes,
    bottom_k,
    hashes_of_rows,
    strata_of,
    stratum_sizes,
    stratum_targets,
    weights,
)
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
        return events, owners, unique_ids(owners)

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
    return bottom_k(batch_hashes(chunk), strata_of(chunk), targets, stratum_sizes(chunk))


def sample_records(chunk: ScoredChunk, sample: ReplaySample) -> dict[str, Any]:
    """What every replay audit's records carry about the sample: weights, and stratum sizes and draws.

    ``weights`` (person id -> inverse inclusion probability), ``strata``
    (people in each stratum of the population) and ``strata_sampled``;
    :func:`sample_summary` turns them into the section's ``sample`` entry.
    """
    sizes = chunk._memo.get("replay_sizes")
    strata = strata_of(chunk)
    if sizes is None:
        sizes = stratum_sizes(chunk)
    return {
        "weights": Records(sample.weight_records()),
        "strata": Counts(np.array(sizes, dtype=np.int64)),
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
        sizes = stratum_sizes(chunk)
    return weights(strata[rows], sizes)


def pooled_sample(chunk: ScoredChunk) -> ReplayPool:
    """The chunk's replay sample gathered for replay after the merge (one pool per chunk and scorer).

    Every replay audit studies the same people, so the pool is built once per
    chunk and shared (pickled once) by all of them.
    """
    if "replay_pool" not in chunk._memo:
        chunk._memo["replay_pool"] = ReplayPool.gather(
            chunk, _below_cutoff(chunk, sampled_rows(chunk)), with_friends=bool(scorer_tags(chunk.scorer).uses_ties)
        )
    return chunk._memo["replay_pool"]


def _below_cutoff(chunk: ScoredChunk, rows: np.ndarray) -> np.ndarray:
    """The sampled ``rows`` whose replay hash is at most their stratum's cut-off (:attr:`ScoredChunk.replay_cutoff`).

    The others are above the run's sample's cut-off once the chunks merged
    before this one are counted, so the merge would trim them: not gathered.
    """
    cut = chunk.replay_cutoff
    if cut is None or not rows.size:
        return rows
    bound = np.asarray(cut, dtype=np.float64)
    if bound.size != len(STRATA):
        raise ValueError(f"replay_cutoff holds {bound.size} values; expected one per stratum {STRATA}")
    return rows[hashes_of_rows(chunk, rows) <= bound[strata_of(chunk)[rows]]]


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
        outside = unique_ids(friend_id)
        outside = outside[~np.isin(outside, ids)]
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
