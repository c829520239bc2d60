"""Scoring replay variants: outcomes as arrays, variants scored under their own or fresh ids, in rounds.

The sampled people and their logs are :class:`audit.replay.sample.ReplaySample`;
the edited copies are :class:`audit.replay.logs.Variants`. :func:`ids_matter`
finds out once per sample whether a scorer keys on ``person_id``;
:func:`score_variants` then scores every variant in one call, or in rounds
under the people's own ids (see :mod:`audit.replay.sample`, "Variant ids").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.engine.contract import ScoredChunk, favourable_mask, score_checked
from audit.population.columns import empty_ties
from audit.population.model import PopulationView, unique_ids
from audit.replay.logs import EventArrays, Variants
from audit.replay.sample import ReplaySample, clone_ids

__all__ = ["States", "states", "score_variants", "ids_matter", "score_originals", "spec_for"]


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
    """Variants' events sorted by (variant, month): a call's events are gathered, not filtered.

    One packed key per event, ``variant * span + month - offset``, sorted
    stably: the order of sorting by variant then month (ties keep their
    order), with one key array and the order alive rather than a sorted copy
    of each column (the index of a long replay holds millions of events).
    """

    def __init__(self, variants: Variants) -> None:
        month = variants.events.month
        self.offset = int(month.min()) if month.size else 0
        self.span = int(month.max()) - self.offset + 2 if month.size else 1
        key = variants.owner.astype(np.int64) * self.span
        key += month
        key -= self.offset
        self.order = np.argsort(key, kind="stable")
        self.key = key[self.order]
        del key
        # first event of each variant: its key is at least variant * span (months lie in [0, span - 2] after offset)
        self.starts = np.searchsorted(self.key, np.arange(len(variants) + 1, dtype=np.int64) * self.span)

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
        need = unique_ids(t_friend)
        need = need[~np.isin(need, vids)]
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
