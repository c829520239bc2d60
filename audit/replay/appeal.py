"""Appeal audit: who contests an adverse record, who wins, and what wrongful sanctions remain.

Simulated on the replay sample (:mod:`audit.replay.sample`) through the scorer
contract alone:

1. An event is *adverse* for a person when removing it alone, scored at
   ``as_of``, gives a higher score, a better tier or a sanction fewer.
2. Each adverse event is appealed with probability
   ``filing_probability x education_multiplier x income_multiplier`` (spec
   ``[appeal]``, clipped to 1); an appeal of a misrecorded event succeeds with
   ``success_if_wrong`` (FTC 2013: 70% of 572 disputed credit reports were
   modified), of a genuine one with ``success_if_genuine``. Draws are keyed by
   person id and the event's position in the person's canonical log
   (:func:`audit.randomness.person_uniform`), so they do not depend on chunking.
3. Overturned events are removed and the person is scored again. Assumption:
   "after appeals" is once every appeal filed within the horizon is decided.
4. A sanction is *wrongful* when the person has it on the record but would not
   have it had only genuine events been recorded (ground truth; synthetic
   populations only). ``wrongful_sanction_rate_before/after`` are the shares
   of sampled people with a wrongful sanction before and after appeals.
5. Months to remedy, for a wrongly sanctioned person whose wrongful sanction
   is lifted: from the earliest overturned event to the latest decision,
   ``decision_months`` after filing (statutory figures: wrongful defaulter
   listings revoked within 3 working days, SPC 2017; credit-repair replies
   within 10 working days and decisions within 3 more, NDRC). Assumption:
   people appeal in the month the event is recorded.

The headline: among equally wronged people, does each education level (and
income quintile) get its wrongful sanctions lifted as often (``remedy_rate``)?
Counts of appeals (``filed``, ``succeeded``, ``wrong_filed``,
``wrong_succeeded``) are per appeal: one person contributes at most
``max_appeals_per_person`` to each; the other counts are of people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.aggregate import Counts, Records
from audit.engine.contract import AuditContext, ScoredChunk
from audit.population.model import unique_ids
from audit.randomness import person_uniform
from audit.replay.sample import (
    WHOLE_LOG_VARIANT,
    Variants,
    clone_ids,
    pooled_sample,
    replay_sample,
    sample_records,
    sample_summary,
)
from audit.replay.scoring import score_variants, spec_for
from audit.replay.stats import attribute_codes, known_groups, num, people_share, weight_of, weighted_ratio

__all__ = ["AppealAudit"]

_APPEAL_COUNTS = ("adverse_events", "filed", "succeeded", "wrong_events", "wrong_filed", "wrong_succeeded")


class AppealAudit:
    """Simulated appeals of adverse events on the replay sample, per group."""

    name = "appeal"

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        truth = bool(chunk.population.synthetic)
        out: dict[str, Any] = {"chunks_with_truth": Counts(np.array([int(truth), 1], dtype=np.int64))}
        if not truth:
            return out
        out["pool"] = pooled_sample(chunk)  # replayed once, in finalize (audit.replay.pool)
        return out

    def measure(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Simulate the appeals of the sample of ``chunk``: per-person records."""
        sample = replay_sample(chunk)
        return {
            "sampled": Counts(np.bincount(sample.cells, minlength=chunk.layout.n_cells).astype(np.int64)),
            "sampled_weight": Counts(np.bincount(sample.cells, weights=sample.weights, minlength=chunk.layout.n_cells)),
            "sampled_weight2": Counts(np.bincount(sample.cells, weights=sample.weights**2, minlength=chunk.layout.n_cells)),
            "people": Records(_simulate(chunk, sample)),
            **sample_records(chunk, sample),
        }

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        with_truth, chunks = (int(x) for x in merged["chunks_with_truth"].array)
        if with_truth < chunks or "pool" not in merged:
            return {
                "available": False,
                "reason": "appeals need ground truth (which recorded events were misrecorded); "
                "a supplied population has none — run on a synthetic population to audit appeals",
            }
        merged = self.measure(merged["pool"].scored_chunk(ctx))
        spec = ctx.spec
        rec = merged["people"].sorted()
        rec["weight"] = weight_of(merged, rec["person_id"])
        sampled = merged["sampled"].array
        sampled_w = merged["sampled_weight"].array
        sampled_w2 = merged["sampled_weight2"].array
        out: dict[str, Any] = {
            "available": True,
            "sample_size": int(sampled.sum()),
            "sample": sample_summary(merged, ctx.options.replay_sample),
            "max_appeals_per_person": int(rec["filed"].max()) if len(rec["filed"]) else 0,
            "decision_months": spec.appeal.decision_months if spec is not None else None,
            "overall": _row("all", (int(sampled.sum()), float(sampled_w.sum()), float(sampled_w2.sum())), rec,
                            np.ones(len(rec["person_id"]), dtype=bool)),
        }
        layout = ctx.layout
        for attr in layout.names:
            codes, labels = attribute_codes(layout, rec["cell"], attr)
            n_by = layout.marginal(sampled, (attr,))
            w_by = layout.marginal(sampled_w, (attr,))
            w2_by = layout.marginal(sampled_w2, (attr,))
            out[f"by_{attr}"] = [_row(label, (int(n_by[code]), float(w_by[code]), float(w2_by[code])), rec, codes == code)
                                 for code, label in known_groups(labels)]
        edu = out.get("by_education", [])
        lo, hi = (edu[0], edu[-1]) if edu else (None, None)
        ratio = None
        if lo and hi and lo["remedy_rate"] is not None and hi["remedy_rate"]:
            ratio = lo["remedy_rate"] / hi["remedy_rate"]
        out["remedy_rate_ratio_lowest_to_highest_education"] = ratio
        return out


def _row(group: Any, sizes: tuple[int, float, float], rec: dict[str, np.ndarray], g: np.ndarray) -> dict[str, Any]:
    """One group's counts (of sampled people unless named after appeals) and weighted rates.

    ``sizes``: the group's sampled people, their summed weights (the people
    they stand for) and summed squared weights; rates weight each person by
    ``rec["weight"]``.
    """
    n = sizes[0]
    w = rec["weight"][g]
    counts = {
        "n_adverse": int((rec["adverse_events"][g] > 0).sum()),
        "adverse_events": int(rec["adverse_events"][g].sum()),
        "filers": int((rec["filed"][g] > 0).sum()),
        "filed": int(rec["filed"][g].sum()),
        "succeeded": int(rec["succeeded"][g].sum()),
        "wrong_events": int(rec["wrong_events"][g].sum()),
        "wrong_filed": int(rec["wrong_filed"][g].sum()),
        "wrong_succeeded": int(rec["wrong_succeeded"][g].sum()),
        "n_wronged": int(rec["wronged_before"][g].sum()),
        "wronged_after": int(rec["wronged_after"][g].sum()),
        "remedied": int((rec["wronged_before"] & ~rec["wronged_after"])[g].sum()),
    }
    filing, filing_ci = weighted_ratio(rec["filed"][g], rec["adverse_events"][g], w)
    success, success_ci = weighted_ratio(rec["wrong_succeeded"][g], rec["wrong_filed"][g], w)
    before, before_ci = people_share(counts["n_wronged"], float(w[rec["wronged_before"][g]].sum()), sizes)
    after, after_ci = people_share(counts["wronged_after"], float(w[rec["wronged_after"][g]].sum()), sizes)
    remedy, remedy_ci = weighted_ratio((rec["wronged_before"] & ~rec["wronged_after"])[g], rec["wronged_before"][g], w)
    months = rec["remedy_months"][g]
    months = months[np.isfinite(months)]
    return {
        "group": group,
        "n": n,
        **counts,
        "filing_rate": filing,
        "filing_rate_ci": filing_ci,
        "success_rate_if_wrong": success,
        "success_rate_if_wrong_ci": success_ci,
        "wrongful_sanction_rate_before": before,
        "wrongful_sanction_rate_before_ci": before_ci,
        "wrongful_sanction_rate_after": after,
        "wrongful_sanction_rate_after_ci": after_ci,
        "remedy_rate": remedy,
        "remedy_rate_ci": remedy_ci,
        "median_months_to_remedy": num(np.median(months)) if months.size else None,
    }


def _filing_probability(chunk: ScoredChunk, people, spec) -> np.ndarray:
    ap = spec.appeal
    edu = chunk.layout.attribute("education").encode(people["education"])
    q = chunk.layout.attribute("income_quintile").encode(people["income_quintile"])
    edu_mult = np.r_[np.asarray(ap.education_multiplier, dtype=np.float64), 1.0]  # unknown: 1
    inc_mult = np.r_[np.asarray(ap.income_multiplier, dtype=np.float64), 1.0]
    return np.clip(ap.filing_probability * edu_mult[edu] * inc_mult[q], 0.0, 1.0)


def _simulate(chunk: ScoredChunk, sample) -> dict[str, np.ndarray]:
    scorer = chunk.scorer
    spec = spec_for(chunk)
    as_of = sample.as_of
    ev = sample.events
    n = sample.n
    m = sample.sampled_events
    cand, owners, people = sample.removable_events()
    genuine = ev.genuine
    has_wrong = np.zeros(n, dtype=bool)
    has_wrong[sample.owner[:m][~genuine[:m]]] = True
    wrong_people = people[has_wrong[people]]
    if people.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return {
            "person_id": z, "cell": z, **{k: z for k in _APPEAL_COUNTS},
            "wronged_before": z.astype(bool), "wronged_after": z.astype(bool), "remedy_months": z.astype(np.float64),
        }

    # full log, each log minus one event, and the truth (genuine events only): one call
    k_full, k_minus = people.size, cand.size
    removed = np.concatenate([np.full(k_full, -1), cand, np.full(wrong_people.size, -1)])
    truth_only = np.r_[np.zeros(k_full + k_minus, bool), np.ones(wrong_people.size, bool)]
    base = np.concatenate([people, owners, wrong_people])
    ids = np.concatenate(
        [
            clone_ids("appeal.full", sample.ids[people], WHOLE_LOG_VARIANT),
            clone_ids("appeal.minus", sample.ids[owners], sample.rank[cand]),
            clone_ids("appeal.truth", sample.ids[wrong_people]),
        ]
    )
    variants = Variants.build(
        sample, base=base, ids=ids, keep=lambda v, e: (e != removed[v]) & (~truth_only[v] | genuine[e])
    )
    st = score_variants(scorer, sample, variants, as_of=as_of)
    full_row = np.full(n, -1)
    full_row[people] = np.arange(k_full)
    full = st.take(np.arange(k_full))
    minus = st.take(np.arange(k_full, k_full + k_minus))
    adverse = minus.better_than(full.take(full_row[owners]))

    # who appeals, who wins (keyed by person and the event's place in the log)
    pid = sample.ids[owners]
    p_file = _filing_probability(chunk, sample.people.iloc[:n], spec)[owners]
    filed = adverse & (person_uniform(sample.seed, "appeal.file", pid, draw=sample.rank[cand]) < p_file)
    wrong = ~genuine[cand]
    p_win = np.where(wrong, spec.appeal.success_if_wrong, spec.appeal.success_if_genuine)
    won = filed & (person_uniform(sample.seed, "appeal.win", pid, draw=sample.rank[cand]) < p_win)

    # scores after overturned events are removed (people with at least one win)
    overturned = np.zeros(len(ev), dtype=bool)
    overturned[cand[won]] = True
    winners = unique_ids(owners[won])
    after_s = full.sanctions.copy()
    if winners.size:
        after = score_variants(
            scorer, sample,
            Variants.build(
                sample, base=winners, ids=clone_ids("appeal.after", sample.ids[winners]),
                keep=lambda v, e: ~overturned[e],
            ),
            as_of=as_of,
        )
        after_s[full_row[winners]] = after.sanctions
    truth_s = full.sanctions.copy()
    truth_row = k_full + k_minus + np.arange(wrong_people.size)
    truth_s[full_row[wrong_people]] = st.sanctions[truth_row]

    def per_person(flags: np.ndarray) -> np.ndarray:
        return np.bincount(owners[flags], minlength=n)[:n][people].astype(np.int64)

    wronged_before = (full.sanctions & ~truth_s).any(axis=1) if full.sanctions.shape[1] else np.zeros(k_full, bool)
    wronged_after = (after_s & ~truth_s).any(axis=1) if after_s.shape[1] else np.zeros(k_full, bool)
    # months to remedy: earliest overturned event to the latest decision
    months = ev.month[cand].astype(np.float64)
    first = np.full(n, np.inf)
    last = np.full(n, -np.inf)
    np.minimum.at(first, owners[won], months[won])
    np.maximum.at(last, owners[won], months[won] + spec.appeal.decision_months)
    remedy = np.where(wronged_before & ~wronged_after, last[people] - first[people], np.nan)
    return {
        "person_id": sample.ids[people],
        "cell": sample.cells[people],
        "adverse_events": per_person(adverse),
        "filed": per_person(filed),
        "succeeded": per_person(won),
        "wrong_events": per_person(adverse & wrong),
        "wrong_filed": per_person(filed & wrong),
        "wrong_succeeded": per_person(won & wrong),
        "wronged_before": wronged_before,
        "wronged_after": wronged_after,
        "remedy_months": np.where(np.isfinite(remedy), remedy, np.nan),
    }
