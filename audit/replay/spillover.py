"""Spill-over and proportionality audit (EU AI Act Art. 5(1)(c)).

Art. 5(1)(c) bans social scoring that leads to detrimental treatment "in
social contexts that are unrelated to the contexts in which the data was
originally generated", or treatment "unjustified or disproportionate to
their social behaviour or its gravity". Both are measured by replay on the
sampled people (:mod:`audit.replay.sample`), never by reading a scorer's rules.

Spill-over
    For each sanction a sampled person has at ``as_of``, the conduct domains
    that trigger it: domain ``d`` triggers it when removing all of the
    person's ``d`` events lifts it, or when ``d``'s events alone impose it.
    A sanction no single domain explains is attributed to every domain in the
    person's log (``combined``); one imposed with no conduct at all (e.g.
    from friends or attributes) to ``none``. A sanction is *related* when a
    triggering domain is the sanction's own domain or a pair the spec declares
    related (``recourse.related_domains``); otherwise *unrelated*.
    A sanction imposed without any conduct (``none``: an id-keyed score, a
    friend's conduct) is neither: it is counted in ``without_conduct``.
    ``unrelated_share`` is the share of sanctions (person x sanction) that are
    unrelated; ``matrix`` counts sanctions by triggering conduct domain and
    sanctioned domain.

Proportionality
    Each event kind is added once, at ``as_of``, to every sampled person's
    log. Its *sanction weight* is the mean number of sanctions that adds. Each
    kind has a gravity class in the spec (minor, general, serious; NDRC
    credit-repair measures). A rule is flagged when a kind of a lighter class
    carries a larger sanction weight than a kind of a graver class
    (``significant`` when the two weights' 95% intervals do not overlap).

Rule probes
    ``probes`` (:func:`audit.replay.probes.probe_rules`): on constructed people, which
    conduct domain *can* cause a sanction in which domain, which sanctions can
    never be lifted, and which lighter conduct is punished harder — what can
    happen, with certainty, beside the sample's how often.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.aggregate import Counts, Records
from audit.engine.contract import AuditContext, ScoredChunk
from audit.errors import ScorerContractError, ScorerFailed
from audit.evidence import clopper_pearson
from audit.population.model import unique_ids
from audit.replay.gate import NeedsColumns
from audit.replay.probes import probe_rules
from audit.replay.sample import (
    Variants,
    added_events,
    clone_ids,
    pooled_sample,
    replay_sample,
    sample_records,
    sample_summary,
)
from audit.replay.scoring import score_variants, spec_for, states
from audit.replay.stats import (
    attribute_codes,
    finalize_rng,
    known_groups,
    mean_interval,
    num,
    people_share,
    rate,
    weight_of,
    weighted_rate,
)
from audit.vocab import CONDUCT_DOMAINS, DOMAINS, EVENT_KINDS, GRAVITY_CLASSES, KIND_DOMAIN

__all__ = ["SpilloverAudit", "CONDUCT_ROWS"]

#: Rows of ``spillover.matrix``: the conduct domains, then ``none`` (no own conduct needed).
CONDUCT_ROWS: tuple[str, ...] = (*CONDUCT_DOMAINS, "none")
_NONE_BIT = len(CONDUCT_DOMAINS)
_KIND_CONDUCT = np.array([CONDUCT_DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int64)
_D = len(CONDUCT_DOMAINS)


class SpilloverAudit:
    """Which conduct triggers which sanction, and whether sanctions fit the conduct's gravity."""

    name = "spillover"
    #: The proportionality replay sizes an added event in yuan as a share of the person's income;
    #: :class:`audit.replay.gate.ReplayGate` checks the column.
    needs_columns = NeedsColumns(
        columns=("income",),
        why="the proportionality replay needs (an added event in yuan is sized as a share of the person's income)",
        audit="spill-over",
    )

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Gather the chunk's replay sample; it is replayed once, in :meth:`finalize` (:mod:`audit.replay.pool`)."""
        return {"pool": pooled_sample(chunk)}

    def measure(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Replay the sample of ``chunk``: which conduct triggered each sanction, and by how much."""
        sample = replay_sample(chunk)
        spec = spec_for(chunk)
        return {
            "sampled": Counts(np.bincount(sample.cells, minlength=chunk.layout.n_cells).astype(np.int64)),
            "sampled_weight": Counts(np.bincount(sample.cells, weights=sample.weights, minlength=chunk.layout.n_cells)),
            "sampled_weight2": Counts(np.bincount(sample.cells, weights=sample.weights**2, minlength=chunk.layout.n_cells)),
            "sanctions": Records(_attribute(chunk, sample, spec)),
            "kinds": Records(_proportionality(chunk, sample, spec)),
            **sample_records(chunk, sample),
        }

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        """Replay the pooled sample once and summarize it (the gate has checked the columns it needs)."""
        return self.summarize(self.measure(merged["pool"].scored_chunk(ctx)), ctx)

    def summarize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        """The section from the replay records (:meth:`measure`)."""
        spec = ctx.spec
        if spec is None:
            from audit.population.spec import load_spec

            spec = load_spec("china-2020")
        scorer = ctx.scorer
        layout = ctx.layout
        rec = merged["sanctions"].sorted()
        sampled = merged["sampled"].array
        names = list(scorer.sanctions)
        s_domain = [scorer.sanctions[s] for s in names]
        columns = list(dict.fromkeys(s_domain))
        matrix = {row: {col: 0 for col in columns} for row in CONDUCT_ROWS}
        bits = rec["trigger_bits"]
        for i, row in enumerate(CONDUCT_ROWS):
            hit = ((bits >> i) & 1).astype(bool)
            for j in range(len(names)):
                matrix[row][s_domain[j]] += int((hit & (rec["sanction"] == j)).sum())
        total = len(rec["person_id"])
        # a sanction no conduct at all is needed for (``none``) has no conduct context to be unrelated to
        no_conduct = ((bits >> _NONE_BIT) & 1).astype(bool)
        unrelated = ~rec["related"] & ~no_conduct
        share, share_ci = _clustered_share(rec["person_id"], unrelated, ctx.options)
        out: dict[str, Any] = {
            "sample_size": int(sampled.sum()),
            "sample": sample_summary(merged, ctx.options.replay_sample),
            "sanctions": total,
            "sanctioned_people": int(unique_ids(rec["person_id"]).size),
            "unrelated_sanctions": int(unrelated.sum()),
            "unrelated_share": share,
            "unrelated_share_ci": share_ci,
            "combined": int(rec["combined"].sum()),
            "without_conduct": int(no_conduct.sum()),
            "matrix": matrix,
            "related_domains": [list(p) for p in spec.recourse.related_domains],
        }
        weighted = merged["sampled_weight"].array
        for attr in layout.names:
            codes, labels = attribute_codes(layout, rec["cell"], attr)
            n_by = layout.marginal(sampled, (attr,))
            w_by = layout.marginal(weighted, (attr,))
            w2_by = layout.marginal(merged["sampled_weight2"].array, (attr,))
            rows = []
            for code, label in known_groups(labels):
                g = codes == code
                people = unique_ids(rec["person_id"][g])
                bearing = unique_ids(rec["person_id"][g & unrelated])
                sizes = (int(n_by[code]), float(w_by[code]), float(w2_by[code]))
                r, ci = people_share(bearing.size, float(weight_of(merged, bearing).sum()), sizes)
                s, _ = rate(int((g & unrelated).sum()), int(g.sum()))
                rows.append(
                    {
                        "group": label,
                        "n": int(n_by[code]),
                        "sanctioned": int(people.size),
                        "bearing_unrelated": int(bearing.size),
                        "unrelated_rate": r,
                        "unrelated_rate_ci": ci,
                        "sanctions": int(g.sum()),
                        "unrelated_sanctions": int((g & unrelated).sum()),
                        "unrelated_share": s,
                    }
                )
            out[f"by_{attr}"] = rows
        out["proportionality"] = _proportionality_section(merged["kinds"].sorted(), spec, merged)
        try:
            out["probes"] = probe_rules(scorer, spec).to_dict()
        except (ScorerFailed, ScorerContractError) as exc:
            # a scorer that cannot score constructed people is reported, not hidden; the sample still stands
            out["probes"] = {"available": False, "reason": f"the scorer failed on constructed people: {exc}"}
        return out


def _attribute(chunk: ScoredChunk, sample, spec) -> dict[str, np.ndarray]:
    """One record per (sampled person, sanction in force): the conduct domains that trigger it."""
    scorer = chunk.scorer
    as_of = sample.as_of
    ev = sample.events
    now = states(scorer, chunk.frame.iloc[sample.positions])
    cohort = np.flatnonzero(now.sanctioned)
    names = list(scorer.sanctions)
    empty = {
        "person_id": np.zeros(0, np.int64), "cell": np.zeros(0, np.int64), "sanction": np.zeros(0, np.int64),
        "trigger_bits": np.zeros(0, np.int64), "combined": np.zeros(0, bool), "related": np.zeros(0, bool),
    }
    if cohort.size == 0 or not names:
        return empty
    m = sample.sampled_events
    vis = np.flatnonzero(ev.month[:m] <= as_of)
    present = np.zeros((sample.n, _D), dtype=bool)
    present[sample.owner[vis], _KIND_CONDUCT[ev.kind[vis]]] = True
    present = present[cohort]
    # variants: full log (k=0), no events (k=1), without domain d (2+d), only domain d (2+D+d)
    p_idx, d_idx = np.nonzero(present)
    base = np.concatenate([cohort, cohort, cohort[p_idx], cohort[p_idx]])
    k = np.concatenate([np.zeros(cohort.size, np.int64), np.ones(cohort.size, np.int64), 2 + d_idx, 2 + _D + d_idx])
    drop = np.concatenate([np.full(cohort.size, -2), np.full(cohort.size, -1), d_idx, np.full(d_idx.size, -3)])
    only = np.concatenate([np.full(2 * cohort.size + d_idx.size, -1), d_idx])
    domain_of = _KIND_CONDUCT[ev.kind]

    def keep(v: np.ndarray, e: np.ndarray) -> np.ndarray:
        dom = domain_of[e]
        return (drop[v] != -1) & (dom != drop[v]) & ((only[v] < 0) | (dom == only[v]))

    variants = Variants.build(sample, base=base, ids=clone_ids("spillover.domains", sample.ids[base], k), keep=keep)
    st = score_variants(scorer, sample, variants, as_of=as_of)
    c = cohort.size
    full_s = st.sanctions[:c]
    none_s = st.sanctions[c:2 * c]
    without = np.zeros((c, _D, full_s.shape[1]), dtype=bool)
    alone = np.zeros((c, _D, full_s.shape[1]), dtype=bool)
    without[p_idx, d_idx] = st.sanctions[2 * c:2 * c + d_idx.size]
    alone[p_idx, d_idx] = st.sanctions[2 * c + d_idx.size:]
    on = full_s[:, None, :]
    # d triggers it: removing d lifts it, or d alone imposes what no conduct at all would not
    trig = present[:, :, None] & ((on & ~without) | (alone & ~none_s[:, None, :]))  # (people, domains, sanctions)
    p, j = np.nonzero(full_s)
    t = trig[p, :, j]  # (instances, domains)
    explained = t.any(axis=1)
    by_none = ~explained & none_s[p, j]
    combined = ~explained & ~by_none
    t = np.where(combined[:, None], present[p], t)
    weights = np.int64(1) << np.arange(_D, dtype=np.int64)
    bits = (t.astype(np.int64) * weights).sum(axis=1) | (by_none.astype(np.int64) << _NONE_BIT)
    s_dom = np.array([DOMAINS.index(scorer.sanctions[s]) for s in names], dtype=np.int64)
    related_table = np.zeros((_D, len(DOMAINS)), dtype=bool)
    for d in range(_D):
        related_table[d, DOMAINS.index(CONDUCT_DOMAINS[d])] = True
    for a, b in spec.recourse.related_domains:
        if a in CONDUCT_DOMAINS:
            related_table[CONDUCT_DOMAINS.index(a), DOMAINS.index(b)] = True
    related = (t & related_table[:, s_dom[j]].T).any(axis=1)
    return {
        "person_id": sample.ids[cohort[p]],
        "cell": sample.cells[cohort[p]],
        "sanction": j.astype(np.int64),
        "trigger_bits": bits.astype(np.int64),
        "combined": combined,
        "related": related,
    }


def _proportionality(chunk: ScoredChunk, sample, spec) -> dict[str, np.ndarray]:
    """One record per (sampled person, event kind): what adding one such event at ``as_of`` does."""
    scorer = chunk.scorer
    as_of = sample.as_of
    n = sample.n
    kinds = np.array([EVENT_KINDS.index(e.kind) for e in spec.events], dtype=np.int64)
    people = np.repeat(np.arange(n), kinds.size)
    kind = np.tile(kinds, n)
    base = np.concatenate([np.arange(n), people])
    k = np.concatenate([np.full(n, len(EVENT_KINDS)), kind])
    added = added_events(spec, sample.people, kind, people, as_of)
    variants = Variants.build(
        sample, base=base, ids=clone_ids("spillover.kinds", sample.ids[base], k),
        extra=(n + np.arange(kind.size), added),
    )
    if len(variants) == 0:
        z = np.zeros(0, np.int64)
        return {"person_id": z, "kind": z, "new_sanctions": z, "tier_drop": z, "score_drop": z.astype(np.float64)}
    st = score_variants(scorer, sample, variants, as_of=as_of)
    full = st.take(people)
    plus = st.take(n + np.arange(kind.size))
    new = (plus.sanctions & ~full.sanctions).sum(axis=1) if plus.sanctions.shape[1] else np.zeros(kind.size, np.int64)
    return {
        "person_id": sample.ids[people],
        "kind": kind,
        "new_sanctions": new.astype(np.int64),
        "tier_drop": (plus.tier - full.tier).astype(np.int64),
        "score_drop": full.score - plus.score,
    }


def _proportionality_section(rec: dict[str, np.ndarray], spec, merged: Mapping[str, Any] | None = None) -> dict[str, Any]:
    gravity = {e.kind: e.gravity for e in spec.events}
    by_kind: list[dict[str, Any]] = []
    w_all = weight_of(merged or {}, rec["person_id"])
    for code in np.unique(rec["kind"]):
        g = rec["kind"] == code
        kind = EVENT_KINDS[int(code)]
        weight, weight_ci = mean_interval(rec["new_sanctions"][g], w_all[g])
        share, share_ci = weighted_rate(rec["new_sanctions"][g] > 0, w_all[g])
        by_kind.append(
            {
                "kind": kind,
                "domain": KIND_DOMAIN[kind],
                "gravity": gravity.get(kind),
                "n": int(g.sum()),
                "sanction_weight": weight,
                "sanction_weight_ci": weight_ci,
                "sanctioned_share": share,
                "sanctioned_share_ci": share_ci,
                "tier_drop": num(np.average(rec["tier_drop"][g], weights=w_all[g])),
                "score_drop": num(np.average(rec["score_drop"][g], weights=w_all[g])),
            }
        )
    rank = {g: i for i, g in enumerate(GRAVITY_CLASSES)}
    flags = []
    for a in by_kind:
        for b in by_kind:
            if a["gravity"] is None or b["gravity"] is None or rank[a["gravity"]] >= rank[b["gravity"]]:
                continue
            if (a["sanction_weight"] or 0.0) > (b["sanction_weight"] or 0.0):
                lo_a = (a["sanction_weight_ci"] or [a["sanction_weight"]])[0]
                hi_b = (b["sanction_weight_ci"] or [None, b["sanction_weight"]])[-1]
                flags.append(
                    {
                        "kind": a["kind"],
                        "gravity": a["gravity"],
                        "sanction_weight": a["sanction_weight"],
                        "heavier_than": b["kind"],
                        "heavier_than_gravity": b["gravity"],
                        "heavier_than_weight": b["sanction_weight"],
                        "significant": bool(lo_a is not None and hi_b is not None and lo_a > hi_b),
                    }
                )
    return {
        "measure": "mean number of sanctions one added event imposes",
        "by_kind": by_kind,
        "flags": flags,
        "flag_count": len(flags),
    }


def _clustered_share(person: np.ndarray, flag: np.ndarray, options) -> tuple[float | None, list[float] | None]:
    """Share of flagged rows with a 95% interval from a bootstrap over people (rows cluster by person).

    The interval is widened to at least the exact (Clopper–Pearson) interval
    of the same share among the people, so it is never a point.
    """
    if flag.size == 0:
        return None, None
    ids, inv = np.unique(person, return_inverse=True)
    k = np.bincount(inv, weights=flag.astype(np.float64), minlength=ids.size)
    n = np.bincount(inv, minlength=ids.size).astype(np.float64)
    share = float(k.sum() / n.sum())
    reps = max(int(options.bootstrap), 0)
    if reps == 0 or ids.size < 2:
        return share, None
    rng = finalize_rng(options.seed, "spillover")
    idx = rng.integers(0, ids.size, size=(reps, ids.size))
    ratios = np.sort(k[idx].sum(axis=1) / n[idx].sum(axis=1))
    lo, hi = float(np.quantile(ratios, 0.025)), float(np.quantile(ratios, 0.975))
    # never narrower than the exact interval of the same share among the people (one draw each): when every
    # person has the same mix of sanctions the bootstrap has no spread, but the population share is still estimated
    cp = clopper_pearson(int(round(share * ids.size)), int(ids.size))
    if cp is not None:
        lo, hi = min(lo, cp[0]), max(hi, cp[1])
    return share, [lo, hi]
