"""Contagion audit: guilt by association, measured.

Only for scorers whose tags declare ``uses_ties`` (:class:`scorers.protocol.ScorerTags`);
for any other scorer the section is ``{"applicable": false}``. (A survey of
2,209 people found 38% would change how they treat a friend whose score
dropped (Kostka and Antoine 2020); commercial scores let friends' scores feed
in — docs/sources.md.)

For each sampled person with a friend, one friend is picked by a person-keyed
hash. The friend "receives a penalty": every event kind is tried as one extra
event at ``as_of`` on the friend's log, and the kind that lowers the friend's
own score most is kept (found by replay; a friend no kind lowers is skipped).
The person is then scored twice at ``as_of`` — once with that friend as is,
once with the penalised friend, each friend a fresh copy so nothing else
differs — and the change in the person's score, tier and sanctions is
recorded. Reported per group: mean score change and the share whose tier
worsens or who gain a sanction, with 95% intervals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.aggregate import Counts, Records
from audit.engine.contract import AuditContext, ScoredChunk
from audit.randomness import person_uniform
from audit.replay.sample import (
    Variants,
    added_events,
    clone_ids,
    pooled_sample,
    replay_sample,
    sample_records,
    sample_summary,
)
from audit.replay.scoring import score_variants, spec_for
from audit.replay.stats import attribute_codes, known_groups, mean_interval, weight_of, weighted_rate
from audit.vocab import EVENT_KINDS
from scorers.protocol import scorer_tags

__all__ = ["ContagionAudit"]

_BASE_K = len(EVENT_KINDS)


class ContagionAudit:
    """Change in a person's outcome when one friend is penalised (tie-reading scorers only)."""

    name = "contagion"

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Gather the chunk's replay sample; it is replayed once, in :meth:`finalize` (:mod:`audit.replay.pool`)."""
        if not scorer_tags(chunk.scorer).uses_ties:
            return {}
        return {"pool": pooled_sample(chunk)}

    def measure(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Replay the sample of ``chunk``: how a friend's penalty moves each sampled person."""
        sample = replay_sample(chunk)
        return {
            "sampled": Counts(np.bincount(sample.cells, minlength=chunk.layout.n_cells).astype(np.int64)),
            "people": Records(_measure(chunk, sample)),
            **sample_records(chunk, sample),
        }

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        if not scorer_tags(ctx.scorer).uses_ties or not merged or "pool" not in merged:
            return {"applicable": False, "reason": "the scorer does not declare that it reads ties (tags.uses_ties)"}
        return self.summarize(self.measure(merged["pool"].scored_chunk(ctx)), ctx)

    def summarize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        """The section from the replay records (:meth:`measure`)."""
        rec = merged["people"].sorted()
        rec["weight"] = weight_of(merged, rec["person_id"])
        sampled = merged["sampled"].array
        out: dict[str, Any] = {
            "applicable": True,
            "sample_size": int(sampled.sum()),
            "sample": sample_summary(merged, ctx.options.replay_sample),
            "measured": int(len(rec["person_id"])),
            "overall": _row("all", rec, np.ones(len(rec["person_id"]), dtype=bool)),
            "penalty_kinds": {
                EVENT_KINDS[int(k)]: int(c) for k, c in zip(*np.unique(rec["penalty_kind"], return_counts=True))
            },
        }
        layout = ctx.layout
        for attr in layout.names:
            codes, labels = attribute_codes(layout, rec["cell"], attr)
            out[f"by_{attr}"] = [_row(label, rec, codes == code) for code, label in known_groups(labels)]
        return out


def _row(group: Any, rec: dict[str, np.ndarray], g: np.ndarray) -> dict[str, Any]:
    w = rec["weight"][g]
    change, change_ci = mean_interval(rec["score_change"][g], w)
    n = int(g.sum())
    worse, worse_ci = weighted_rate(rec["tier_worse"][g], w)
    sanc, sanc_ci = weighted_rate(rec["sanction_added"][g], w)
    return {
        "group": group,
        "n": n,
        "mean_score_change": change,
        "mean_score_change_ci": change_ci,
        "tier_change_share": worse,
        "tier_change_share_ci": worse_ci,
        "sanction_change_share": sanc,
        "sanction_change_share_ci": sanc_ci,
    }


def _measure(chunk: ScoredChunk, sample) -> dict[str, np.ndarray]:
    scorer = chunk.scorer
    as_of = sample.as_of
    n = sample.n
    friend_rows_all = sample.rows_of(sample.friend_id)
    # a person's usable friends are those present in the chunk
    usable = friend_rows_all >= 0
    # usable friends per person from a running total: people without friends (also at the end) count 0
    running = np.concatenate(([0], np.cumsum(usable, dtype=np.int64)))
    n_usable = running[sample.friend_starts[1 : n + 1]] - running[sample.friend_starts[:n]]
    people = np.flatnonzero(n_usable > 0)
    z = np.zeros(0, np.int64)
    empty = {"person_id": z, "cell": z, "score_change": z.astype(float), "tier_worse": z.astype(bool),
             "sanction_added": z.astype(bool), "penalty_kind": z}
    if people.size == 0:
        return empty
    # pick the j-th usable friend, j from a person-keyed hash
    u = person_uniform(sample.seed, "contagion.friend", sample.ids[people])
    j = np.minimum((u * n_usable[people]).astype(np.int64), n_usable[people] - 1)
    ranks = np.cumsum(usable) - usable  # usable friends before each tie, globally
    before = ranks[sample.friend_starts[people]]
    tie = np.flatnonzero(usable)[before + j]
    friend = friend_rows_all[tie]

    # 1. which single event lowers each friend's own score most
    spec = spec_for(chunk)
    kinds = np.array([EVENT_KINDS.index(e.kind) for e in spec.events], dtype=np.int64)
    m = people.size
    f_rep = np.repeat(friend, kinds.size)
    kind = np.tile(kinds, m)
    base = np.concatenate([friend, f_rep])
    owner_key = np.concatenate([sample.ids[people], np.repeat(sample.ids[people], kinds.size)])
    k = np.concatenate([np.full(m, _BASE_K), kind])
    added = added_events(spec, sample.people, kind, f_rep, as_of)
    trial = Variants.build(
        sample, base=base, ids=clone_ids("contagion.kinds", owner_key, k), extra=(m + np.arange(kind.size), added),
    )
    st = score_variants(scorer, sample, trial, as_of=as_of)
    drop = (np.repeat(st.score[:m], kinds.size) - st.score[m:]).reshape(m, kinds.size)
    best = np.argmax(drop, axis=1)
    ok = drop[np.arange(m), best] > 0
    people, friend, tie, best = people[ok], friend[ok], tie[ok], best[ok]
    m = people.size
    if m == 0:
        return empty
    penalty = kinds[best]

    # 2. the person with the friend as is (f0) and penalised (f1); fresh copies of both
    pid = sample.ids[people]
    f_ids = np.concatenate([clone_ids("contagion.friend", pid, 0), clone_ids("contagion.friend", pid, 1)])
    p_ids = np.concatenate([clone_ids("contagion.person", pid, 0), clone_ids("contagion.person", pid, 1)])
    f_added = added_events(spec, sample.people, penalty, friend, as_of)
    # friends of each person copy: all its friends, the picked one replaced by f0 or f1
    v, t = sample.friend_pairs(people)
    friends_v = np.concatenate([v, v + m])
    swap = np.concatenate([t, t]) == np.concatenate([tie[v], tie[v]])
    fid = np.concatenate([sample.friend_id[t], sample.friend_id[t]])
    fid = np.where(swap, f_ids[np.concatenate([v, v + m])], fid)
    built = Variants.build(
        sample, base=np.concatenate([people, people, friend, friend]), ids=np.concatenate([p_ids, f_ids]),
        extra=(3 * m + np.arange(m), f_added),
    )
    variants = dataclasses.replace(built, friends=(friends_v, fid))
    st = score_variants(scorer, sample, variants, as_of=as_of)
    a, b = st.take(np.arange(m)), st.take(np.arange(m, 2 * m))
    added_s = (b.sanctions & ~a.sanctions).any(axis=1) if b.sanctions.shape[1] else np.zeros(m, bool)
    return {
        "person_id": pid,
        "cell": sample.cells[people],
        "score_change": b.score - a.score,
        "tier_worse": b.tier > a.tier,
        "sanction_added": added_s,
        "penalty_kind": penalty.astype(np.int64),
    }
