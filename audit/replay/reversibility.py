"""Reversibility audit: can a penalty be undone, how long does it take, what does it cost?

Four questions, all answered by replaying sampled people's logs through the
scorer contract (:mod:`audit.replay.sample`), never by reading a scorer's rules (the
replays themselves are in :mod:`audit.replay.recovery`):

Overturn restores state
    For each sampled person with a recorded event, one event (picked by a
    person-keyed hash) is removed after the scorer has seen the full log; the
    person is scored again, under the same id, at every month from the event's
    month to ``as_of``, and compared with a fresh id that never had the event.
    Any difference in score, tier or any sanction is a violation: the scorer
    remembers an overturned event (``overturn_violations``).

Recovery
    People who received a penalty: the first event in a sampled person's log
    whose removal, scored at the event's own month, gives a better tier or a
    sanction fewer. From the month after it, the person follows the best
    feasible plan (every action of :mod:`audit.replay.recourse` at its most) and is
    scored month by month until the pre-penalty state returns — a tier at
    least as good and no sanction the person did not already have — for up
    to ``horizon_months`` (default 120). Months to recovery per group; the
    share who never recover.

Absorbing states and recourse cost
    People adverse at ``as_of`` (not in a favourable tier, or sanctioned) try
    every plan: waiting, each action alone, all actions together. A sanctioned
    person none of whose plans reaches a favourable, sanction-free state within
    the horizon is *precluded* (recourse verification, Kothari et al., ICLR
    2024): ``absorbing_share`` is their share of sanctioned people. (Single
    actions are followed for the cost deadline only; waiting and all actions
    together for the whole horizon.) The least-cost plan that reaches it within
    ``deadline_months`` (default 12) is costed in months of the person's
    income; ``recourse_cost_ratio`` is the poorest quintile's median cost over
    the richest's (1 when both are 0; ``None`` when undefined).

Duration caps
    For each sanctioned person, each sanction's spell — from the month it
    began (scored month by month from month 0) to the month it lifts if the
    person does nothing more — is compared with the spec's
    ``recourse.max_sanction_months`` (60: the SPC defaulter list's 2 years plus
    at most 3 of extensions, SPC 2017 revision). A spell still running at the
    end of the horizon is *censored* (``duration_censored``) and counts as a
    violation only if it has already outlasted the cap.

Past 36 months after their start, replays are scored on the coarse grid of
:data:`audit.replay.timeline.COARSE_GRID` (months to recovery there are upper
bounds within 3 or 6 months); the month each sanction's spell reaches the cap
is always scored, so cap violations are exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.aggregate import Counts, Records
from audit.engine.contract import AuditContext, ScoredChunk
from audit.errors import InvalidArgument
from audit.randomness import person_uniform
from audit.replay.gate import NeedsColumns
from audit.replay.recourse import Recourse
from audit.replay.recovery import AdverseReplay, FirstPenalty, Recovery
from audit.replay.sample import (
    ReplaySample,
    Variants,
    clone_ids,
    pooled_sample,
    replay_sample,
    sample_records,
    sample_summary,
)
from audit.replay.scoring import States, score_originals, spec_for, states
from audit.replay.stats import (
    attribute_codes,
    finalize_rng,
    known_groups,
    months_summary,
    num,
    rate,
    recovery_curve,
    weight_of,
    weighted_quantile,
    weighted_rate,
)
from audit.replay.timeline import Track, run_tracks

__all__ = ["ReversibilityAudit", "DEFAULT_HORIZON_MONTHS", "DEFAULT_DEADLINE_MONTHS"]

#: Months of good behaviour replayed after a penalty (assumption: ten years).
DEFAULT_HORIZON_MONTHS = 120
#: Recourse must restore a favourable tier within this many months to be costed.
#: Assumption: one year, the longest disclosure period of a *general* record
#: under the NDRC credit-repair measures (general records 3 months to 1 year).
DEFAULT_DEADLINE_MONTHS = 12

_SCORE_TOL = 1e-9


def _i64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


#: People columns the recourse plans need: income prices charity and the cost in months of income, age
#: decides who may donate blood (:mod:`audit.replay.recourse`). :class:`audit.replay.gate.ReplayGate` checks them.
NEEDED_COLUMNS = NeedsColumns(
    columns=("income", "age"),
    why=("the recourse plans need (income prices charity and the cost in months of income; age decides who may "
         "donate blood)"),
    audit="reversibility",
)


class ReversibilityAudit:
    """Overturn, recovery, absorbing states, recourse cost and duration caps on a replay sample."""

    name = "reversibility"
    needs_columns = NEEDED_COLUMNS

    def __init__(self, *, horizon_months: int = DEFAULT_HORIZON_MONTHS, deadline_months: int = DEFAULT_DEADLINE_MONTHS) -> None:
        if horizon_months < 1 or deadline_months < 1:
            raise InvalidArgument(
                f"ReversibilityAudit(horizon_months={horizon_months}, deadline_months={deadline_months}): "
                "both must be at least 1 month, e.g. 120 and 12"
            )
        self.horizon_months = int(horizon_months)
        self.deadline_months = int(deadline_months)

    # ------------------------------------------------------------------ collect

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Gather the chunk's replay sample; it is replayed once, in :meth:`finalize` (:mod:`audit.replay.pool`)."""
        return {"pool": pooled_sample(chunk)}

    def measure(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Replay the sample of ``chunk``: per-person overturn, recovery and adverse records."""
        sample = replay_sample(chunk)
        scorer = chunk.scorer
        spec = spec_for(chunk)
        recourse = Recourse.from_spec(spec)
        now = states(scorer, chunk.frame.iloc[sample.positions])
        overturn = _Overturn(scorer, sample)
        overturn.prime(scorer, sample)
        # months up to as_of: find first penalties, and when current sanctions began
        first = FirstPenalty(scorer, sample)
        adverse = AdverseReplay(
            scorer, sample, recourse, horizon=self.horizon_months, deadline=self.deadline_months,
            now=now, cap=spec.recourse.max_sanction_months,
        )
        # each track is handed to run_tracks and dropped here, so its variants are freed once combined
        if sample.uses_ties:
            # the overturn check scores people under their own ids, and friends are shared
            # context: keep it apart so no other replay sees an edited friend
            run_tracks(scorer, sample, [overturn.track])
            run_tracks(scorer, sample, [first.track, adverse.history])
        else:
            run_tracks(scorer, sample, [overturn.track, first.track, adverse.history])
        del overturn.track, first.track, adverse.history
        # months after: recovery from each first penalty, and every plan of the adverse
        recovery = Recovery(scorer, sample, recourse, self.horizon_months, first)
        later = [recovery.track, adverse.future()]
        del recovery.track
        run_tracks(scorer, sample, later)
        return {
            "sampled": Counts(np.bincount(sample.cells, minlength=chunk.layout.n_cells).astype(np.int64)),
            "overturn": Records(overturn.records),
            "recovery": Records(recovery.records),
            "adverse": Records(adverse.records()),
            **sample_records(chunk, sample),
        }

    # ------------------------------------------------------------------ finalize

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        """Replay the pooled sample once and summarize it (the gate has checked the columns it needs)."""
        return self.summarize(self.measure(merged["pool"].scored_chunk(ctx)), ctx)

    def summarize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        """The section from the replay records (:meth:`measure`)."""
        layout, opts = ctx.layout, ctx.options
        horizon = self.horizon_months
        cap = _spec(ctx).recourse.max_sanction_months
        over = merged["overturn"].sorted()
        rec = merged["recovery"].sorted()
        adv = merged["adverse"].sorted()
        rng = finalize_rng(opts.seed, "reversibility")

        violations = int(over["violation"].sum())
        # people of several strata are weighted back to the population (audit.replay.strata)
        w_rec = weight_of(merged, rec["person_id"])
        w_adv = weight_of(merged, adv["person_id"])
        recovery: dict[str, Any] = {
            "horizon_months": horizon,
            **months_summary(rec["months"], horizon=horizon, rng=rng, replicates=opts.bootstrap, weights=w_rec),
            "curve": recovery_curve(rec["months"], horizon=horizon, weights=w_rec),
        }
        for attr in layout.names:
            codes, labels = attribute_codes(layout, rec["cell"], attr)
            rows = []
            for code, label in known_groups(labels):
                g = codes == code
                rows.append({"group": label, **months_summary(rec["months"][g], horizon=horizon, rng=rng,
                                                              replicates=opts.bootstrap, weights=w_rec[g])})
            recovery[f"by_{attr}"] = rows
        codes, labels = attribute_codes(layout, rec["cell"], "income_quintile")
        recovery["curve_by_income_quintile"] = [
            {"group": label, "curve": recovery_curve(rec["months"][codes == code], horizon=horizon, weights=w_rec[codes == code])}
            for code, label in known_groups(labels)
        ]

        sanctioned = adv["sanctioned"]
        absorbed = int((adv["precluded"] & sanctioned).sum())
        share, share_ci = weighted_rate(adv["precluded"][sanctioned], w_adv[sanctioned])
        absorbing_groups = {}
        for attr in layout.names:
            codes, labels = attribute_codes(layout, adv["cell"], attr)
            rows = []
            for code, label in known_groups(labels):
                g = (codes == code) & sanctioned
                k, n = int((adv["precluded"] & g).sum()), int(g.sum())
                r, ci = weighted_rate(adv["precluded"][g], w_adv[g])
                rows.append({"group": label, "sanctioned": n, "precluded": k, "absorbing_share": r, "absorbing_share_ci": ci})
            absorbing_groups[f"by_{attr}"] = rows

        cost = _cost_section(layout, adv, self.deadline_months, w_adv)
        spells = adv["spell_months"]
        checked = int((spells >= 0).sum())
        cap_viol = int(adv["cap_violation"].sum())
        v_share, v_ci = rate(cap_viol, checked)
        names = list(ctx.scorer.sanctions)
        by_sanction = {s: int(((adv["violation_bits"] >> i) & 1).sum()) for i, s in enumerate(names)}
        adverse_n = int(len(adv["person_id"]))
        precluded_all, precluded_ci = weighted_rate(adv["precluded"], w_adv)
        return {
            "sample_size": int(merged["sampled"].array.sum()),
            "sample": sample_summary(merged, ctx.options.replay_sample),
            "horizon_months": horizon,
            "overturn_checked": int(len(over["person_id"])),
            "overturn_violations": violations,
            "overturn_restores_state": violations == 0,
            "recovery": recovery,
            "absorbing_share": share,
            "absorbing_share_ci": share_ci,
            "absorbing": {
                "sanctioned": int(sanctioned.sum()),
                "precluded": absorbed,
                "adverse": adverse_n,
                "precluded_share_of_adverse": precluded_all,
                "precluded_share_of_adverse_ci": precluded_ci,
                **absorbing_groups,
            },
            "recourse_cost": cost,
            "recourse_cost_ratio": cost["ratio_poorest_to_richest"],
            "duration_cap_months": cap,
            "duration_checked": checked,
            "duration_cap_violations": cap_viol,
            "duration_censored": int(adv["spell_censored"].sum()),
            "duration_violation_share": v_share,
            "duration_violation_share_ci": v_ci,
            "duration_cap_violations_by_sanction": by_sanction,
            "longest_spell_months": (int(spells.max()) if checked else None),
        }


# ---------------------------------------------------------------------- overturn


class _Overturn:
    """Overturn restores state: one event per person removed after the scorer has seen it,
    compared month by month with a fresh id that never had it."""

    def __init__(self, scorer, sample: ReplaySample) -> None:
        as_of = sample.as_of
        ev = sample.events
        m = sample.sampled_events
        visible = ev.month[:m] <= as_of
        count = np.bincount(sample.owner[:m][visible], minlength=sample.n)[: sample.n]
        people = np.flatnonzero(count > 0)
        u = person_uniform(sample.seed, "reversibility.overturn", sample.ids[people])
        # visible events come first in each person's (month-first) canonical order
        chosen = sample.starts[people] + np.minimum((u * count[people]).astype(np.int64), count[people] - 1)
        t = ev.month[chosen]
        violation = np.zeros(people.size, dtype=bool)
        removed = np.concatenate([chosen, chosen])
        variants = Variants.build(
            sample,
            base=np.concatenate([people, people]),
            ids=np.concatenate([sample.ids[people], clone_ids("reversibility.fresh", sample.ids[people])]),
            keep=lambda v, e: e != removed[v],
        )

        def step(rows: np.ndarray, month: int, st: States) -> np.ndarray:
            # rows hold the same people twice: edited under the old id, then under a fresh id
            half = rows.size // 2
            a, b = st.take(np.arange(half)), st.take(np.arange(half, rows.size))
            scale = np.maximum(1.0, np.abs(a.score))
            differ = (np.abs(a.score - b.score) > _SCORE_TOL * scale) | (a.tier != b.tier)
            if a.sanctions.shape[1]:
                differ |= (a.sanctions != b.sanctions).any(axis=1)
            violation[rows[:half]] |= differ
            return np.concatenate([differ, differ])

        self.people = people
        self.track = Track(variants=variants, start=np.concatenate([t, t]) - 1, end=as_of, step=step)
        self.records = {
            "person_id": sample.ids[people],
            "cell": sample.cells[people],
            "event_month": _i64(t),
            "event_kind": _i64(ev.kind[chosen]),
            "violation": violation,
        }

    def prime(self, scorer, sample: ReplaySample) -> None:
        """Let the scorer see the full logs first, as it would before an appeal."""
        if self.people.size:
            score_originals(scorer, sample, as_of=sample.as_of, rows=self.people)


def _spec(ctx: AuditContext):
    if ctx.spec is not None:
        return ctx.spec
    from audit.population.spec import load_spec

    return load_spec("china-2020")


def _cost_section(layout, adv: dict[str, np.ndarray], deadline: int, weights: np.ndarray | None = None) -> dict[str, Any]:
    """Median least-cost and fastest recourse per income quintile, in months of income.

    The least-cost plan is the cheapest that restores a favourable, sanction-free
    state within ``deadline`` months; a person with none counts as an infinite
    cost, so a median that lands on such people is ``None``. Medians are
    observed values (``inverted_cdf``), weighted by each person's inverse
    inclusion probability (``weights``; the stratified sample).
    """
    w = np.ones(len(adv["cell"])) if weights is None else np.asarray(weights, dtype=np.float64)
    codes, labels = attribute_codes(layout, adv["cell"], "income_quintile")
    reached = ~adv["precluded"]
    rows = []
    medians: dict[Any, tuple[float | None, float | None]] = {}
    for code, label in known_groups(labels):
        g = codes == code
        lc = adv["least_cost"][g]
        in_time = np.isfinite(lc)
        fast = g & reached
        entry = {
            "group": label,
            "n": int(g.sum()),
            "precluded": int((g & ~reached).sum()),
            "within_deadline": int(in_time.sum()),
            "median_cost": _median(lc, w[g]),
            "median_months": _median(adv["least_months"][g][in_time], w[g][in_time]),
            "fastest_median_cost": _median(adv["fastest_cost"][fast], w[fast]),
            "fastest_median_months": _median(adv["fastest_months"][fast], w[fast]),
        }
        medians[label] = (entry["median_cost"], entry["fastest_median_cost"])
        rows.append(entry)
    q = [label for _, label in known_groups(labels)]
    poorest = medians.get(q[0], (None, None)) if q else (None, None)
    richest = medians.get(q[-1], (None, None)) if q else (None, None)
    return {
        "unit": "months_of_income",
        "deadline_months": deadline,
        "plans": "waiting, each feasible action alone, all actions together",
        "by_income_quintile": rows,
        "ratio_poorest_to_richest": _ratio(poorest[0], richest[0]),
        "fastest_ratio_poorest_to_richest": _ratio(poorest[1], richest[1]),
    }


def _median(values: np.ndarray, weights: np.ndarray) -> float | None:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    if np.allclose(weights, weights[0]):
        return num(np.quantile(values, 0.5, method="inverted_cdf"))
    return num(weighted_quantile(values, weights, 0.5))


def _ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``; 1 when both are 0 (equal burdens); ``None`` when undefined."""
    if a is None or b is None:
        return None
    if b == 0:
        return 1.0 if a == 0 else None
    return float(a) / float(b)
