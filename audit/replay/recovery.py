"""Replays of penalised and sanctioned people: first penalties, recovery, every recourse plan.

The experiments behind :mod:`audit.replay.reversibility`, each a set of variants
(:mod:`audit.replay.sample`) followed month by month (:mod:`audit.replay.timeline`):

- :class:`FirstPenalty` — each sampled person's first event whose removal,
  scored at the event's own month, gives a better tier or a sanction fewer;
- :class:`Recovery` — from the month after it, the best feasible plan until the
  pre-penalty tier returns with no new sanction;
- :class:`AdverseReplay` — people adverse at ``as_of`` try every plan of
  :mod:`audit.replay.recourse` (absorbing states, least-cost recourse) and, waiting,
  show how long each sanction in force lasts from its onset.
"""

from __future__ import annotations

import numpy as np

from audit.replay.recourse import (
    ALL_ACTIONS,
    Recourse,
    outstanding_judgments,
    person_terms,
    plan_cost,
    plan_events,
    plan_masks,
)
from audit.replay.sample import WHOLE_LOG_VARIANT, ReplaySample, Variants, clone_ids
from audit.replay.scoring import States
from audit.replay.timeline import Track

__all__ = ["FirstPenalty", "Recovery", "AdverseReplay"]


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


# ---------------------------------------------------------------------- first penalty


class FirstPenalty:
    """Finds each sampled person's first penalty: the first event whose removal, scored at
    the event's own month, gives a better tier or a sanction fewer."""

    def __init__(self, scorer, sample: ReplaySample) -> None:
        ev = sample.events
        n = sample.n
        cand, owners, people = sample.removable_events()
        first_m = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first_m, owners, ev.month[cand])
        last_m = np.full(n, -1)
        np.maximum.at(last_m, owners, ev.month[cand])
        n_full = people.size
        removed = np.concatenate([np.full(n_full, -1), cand])
        variants = Variants.build(
            sample,
            base=np.concatenate([people, owners]),
            ids=np.concatenate(
                [clone_ids("reversibility.minus", sample.ids[people], WHOLE_LOG_VARIANT),
                 clone_ids("reversibility.minus", sample.ids[owners], sample.rank[cand])]
            ),
            keep=lambda v, e: e != removed[v],
        )
        full_row = np.full(n, -1)
        full_row[people] = np.arange(n_full)
        self.n, self.cand, self.owners = n, cand, owners
        self.penalty = np.zeros(cand.size, dtype=bool)
        self.pre_tier = np.zeros(cand.size, dtype=np.int64)
        self.pre_s = np.zeros((cand.size, len(scorer.sanctions)), dtype=bool)
        size = len(variants)

        def step(rows: np.ndarray, month: int, st: States) -> np.ndarray:
            where = np.full(size, -1)
            where[rows] = np.arange(rows.size)
            minus = rows[rows >= n_full]
            if minus.size:
                i = minus - n_full
                a, b = st.take(where[minus]), st.take(where[full_row[owners[i]]])
                worse = b.tier > a.tier
                if a.sanctions.shape[1]:
                    worse |= (b.sanctions & ~a.sanctions).any(axis=1)
                self.penalty[i] = worse
                self.pre_tier[i] = a.tier
                self.pre_s[i] = a.sanctions
            return rows >= n_full

        self.track = Track(
            variants=variants,
            start=np.concatenate([first_m[people], ev.month[cand]]) - 1,
            end=np.concatenate([last_m[people], ev.month[cand]]),
            step=step,
        )

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per sampled person: penalty event index (-1 if none), whether there is one, and
        the tier and sanctions the person would have had without it."""
        n, cand = self.n, self.cand
        first = np.full(n, cand.size, dtype=np.int64)
        hit = np.flatnonzero(self.penalty)
        np.minimum.at(first, self.owners[hit], hit)  # candidates are in month-first order
        has = first < cand.size
        event = np.full(n, -1, dtype=np.int64)
        event[has] = cand[first[has]]
        tier0 = np.zeros(n, dtype=np.int64)
        s0 = np.zeros((n, self.pre_s.shape[1]), dtype=bool)
        tier0[has] = self.pre_tier[first[has]]
        s0[has] = self.pre_s[first[has]]
        return event, has, tier0, s0


# ---------------------------------------------------------------------- recovery


class Recovery:
    """From the month after the first penalty, the best feasible plan, month by month,
    until the pre-penalty tier returns with no sanction the person did not already have."""

    def __init__(self, scorer, sample: ReplaySample, recourse: Recourse, horizon: int, first: FirstPenalty) -> None:
        event, has, pre_tier, pre_s = first.result()
        cohort = np.flatnonzero(has)
        ev = sample.events
        t = ev.month[event[cohort]]
        months = np.full(cohort.size, -1, dtype=np.int64)
        upto = np.full(len(sample.people), -1)
        upto[cohort] = t
        judg, _ = outstanding_judgments(ev, sample.owner, len(sample.people), upto=upto)
        income, _, blood_ok = person_terms(recourse, sample.people.iloc[cohort])
        owner_x, extra = plan_events(
            recourse, mask=np.full(cohort.size, ALL_ACTIONS), start=t, months=horizon,
            monthly_income=income, blood_ok=blood_ok, judgments=judg[cohort],
        )
        variants = Variants.build(
            sample, base=cohort, ids=clone_ids("reversibility.recovery", sample.ids[cohort]),
            keep=lambda v, e: ev.month[e] <= t[v], extra=(owner_x, extra),
        )
        tier0, s0 = pre_tier[cohort], pre_s[cohort]

        def step(rows: np.ndarray, month: int, st: States) -> np.ndarray:
            ok = st.tier <= tier0[rows]
            if st.sanctions.shape[1]:
                ok &= ~(st.sanctions & ~s0[rows]).any(axis=1)
            months[rows[ok]] = month - t[rows[ok]]
            return ok

        self.track = Track(variants=variants, start=t, end=t + horizon, step=step, coarse=True)
        self.records = {
            "person_id": sample.ids[cohort],
            "cell": sample.cells[cohort],
            "penalty_month": _i64(t),
            "penalty_kind": _i64(ev.kind[event[cohort]]),
            "months": months,
        }


# ---------------------------------------------------------------------- absorbing, cost, duration


class AdverseReplay:
    """People adverse at ``as_of`` try every plan; absorbing states, recourse cost, spell lengths."""

    def __init__(
        self, scorer, sample: ReplaySample, recourse: Recourse, *, horizon: int, deadline: int, now: States, cap: int
    ) -> None:
        as_of = sample.as_of
        ev = sample.events
        cohort = np.flatnonzero(~now.favourable | now.sanctioned)
        k = len(scorer.sanctions)
        income, _, blood_ok = person_terms(recourse, sample.people.iloc[cohort])
        judg, judg_cost = outstanding_judgments(
            ev, sample.owner, len(sample.people), upto=np.full(len(sample.people), as_of)
        )
        judg, judg_cost = judg[cohort], judg_cost[cohort]
        who, mask = plan_masks(blood_ok, judg)
        sanctioned = now.sanctioned[cohort]
        self.hit = np.full(who.size, -1, dtype=np.int64)
        self.last_off = np.full((who.size, k), -1, dtype=np.int64)
        self.lift = np.full((who.size, k), -1, dtype=np.int64)
        owner_x, extra = plan_events(
            recourse, mask=mask, start=np.full(who.size, as_of), months=horizon,
            monthly_income=income[who], blood_ok=blood_ok[who], judgments=judg[who],
        )
        variants = Variants.build(
            sample, base=cohort[who], ids=clone_ids("reversibility.plans", sample.ids[cohort[who]], mask),
            keep=lambda v, e: ev.month[e] <= as_of, extra=(owner_x, extra),
        )
        wait = mask == 0
        history = wait & sanctioned[who]  # scored from month 0 to find when each sanction began
        now_s = now.sanctions[cohort[who]]
        # waiting and everything-at-once run the whole horizon; single actions the deadline
        long = wait | (mask == ALL_ACTIONS)
        end = as_of + np.where(long, horizon, min(deadline, horizon))

        person_reached = np.zeros(cohort.size, dtype=bool)

        def step(rows: np.ndarray, month: int, st: States) -> np.ndarray:
            off = ~st.sanctions
            if month <= as_of:
                self.last_off[rows] = np.where(off, month, self.last_off[rows])
                return np.zeros(rows.size, dtype=bool)
            w = wait[rows]
            self.lift[rows] = np.where(w[:, None] & off & (self.lift[rows] < 0), month, self.lift[rows])
            target = st.favourable & ~st.sanctioned
            self.hit[rows[target]] = month - as_of
            person_reached[who[rows[target]]] = True
            # past the deadline, once any plan got the person out, other plans only matter
            # for the spell of a sanction still in force under waiting
            spell_open = history[rows] & (self.lift[rows] < 0).any(axis=1) & now_s[rows].any(axis=1)
            settled = (month - as_of > deadline) & person_reached[who[rows]] & ~spell_open
            return target | settled

        self.horizon = horizon
        self._as_of = as_of
        self.history = Track(variants=variants, start=np.where(history, -1, as_of), end=as_of, step=step)
        self._future: tuple | None = (variants, end, step, history, now_s, cap)
        self._args = (sample, recourse, now, cap, deadline, cohort, who, mask, income, blood_ok, judg_cost, sanctioned, k)

    def future(self) -> Track:
        """The months after ``as_of``, once the history has given each sanction's onset.

        Every plan is scored on the coarse grid; waiting is also scored exactly in
        the month ``onset + cap`` of each sanction in force, so whether a spell
        outlasts the statutory cap is decided exactly.
        """
        assert self._future is not None, "AdverseReplay.future() hands its variants over: call it once"
        variants, end, step, history, now_s, cap = self._future
        self._future = None  # the track alone holds the variants now (run_tracks frees them once combined)
        must = np.where(history[:, None] & now_s, self.last_off + 1 + cap, -1)
        return Track(variants=variants, start=self._as_of, end=end, step=step, coarse=True, also=must)

    def records(self) -> dict[str, np.ndarray]:
        sample, recourse, now, cap, deadline, cohort, who, mask, income, blood_ok, judg_cost, sanctioned, k = self._args
        as_of = sample.as_of
        hit = self.hit
        n = cohort.size
        reached = hit >= 0
        cost = plan_cost(
            recourse, mask=mask, elapsed=np.maximum(hit, 0), monthly_income=income[who],
            blood_ok=blood_ok[who], judgment_cost=judg_cost[who],
        )
        big = np.iinfo(np.int64).max
        in_time = reached & (hit <= deadline)
        least = _first_per(who, n, (np.where(in_time, hit, big), np.where(in_time, cost, np.inf)))
        fastest = _first_per(who, n, (np.where(reached, cost, np.inf), np.where(reached, hit, big)))
        precluded = np.ones(n, dtype=bool)
        precluded[who[reached]] = False
        has_least = least >= 0
        has_least[has_least] = in_time[least[has_least]]

        least_cost = np.full(n, np.inf)
        least_cost[has_least] = cost[least[has_least]]
        least_months = np.full(n, -1, dtype=np.int64)
        least_months[has_least] = hit[least[has_least]]
        fastest_cost = np.full(n, np.nan)
        fastest_months = np.full(n, -1, dtype=np.int64)
        ok = ~precluded
        fastest_cost[ok] = cost[fastest[ok]]
        fastest_months[ok] = hit[fastest[ok]]

        # each sanction's spell under waiting: from its onset to the month it lifts
        spell = np.full(n, -1, dtype=np.int64)
        censored = np.zeros(n, dtype=bool)
        bits = np.zeros(n, dtype=np.int64)
        w_rows = np.flatnonzero((mask == 0) & sanctioned[who])
        if w_rows.size and k:
            p = who[w_rows]
            on = now.sanctions[cohort[p]]
            onset = self.last_off[w_rows] + 1
            lifted = self.lift[w_rows]
            stop = np.where(lifted >= 0, lifted, as_of + self.horizon + 1)  # censored: a lower bound
            dur = np.where(on, stop - onset, -1)
            spell[p] = dur.max(axis=1)
            censored[p] = (on & (lifted < 0)).any(axis=1)
            over = on & (dur > cap)
            bits[p] = (over.astype(np.int64) << np.arange(k, dtype=np.int64)).sum(axis=1)
        return {
            "person_id": sample.ids[cohort],
            "cell": sample.cells[cohort],
            "sanctioned": sanctioned,
            "favourable": now.favourable[cohort],
            "precluded": precluded,
            "least_cost": least_cost,
            "least_months": least_months,
            "fastest_cost": fastest_cost,
            "fastest_months": fastest_months,
            "spell_months": spell,
            "spell_censored": censored,
            "cap_violation": bits > 0,
            "violation_bits": bits,
        }


def _first_per(group: np.ndarray, n: int, keys: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Index of the best row per group (lexicographic on ``keys``, last key first), -1 if none."""
    out = np.full(n, -1, dtype=np.int64)
    if group.size == 0:
        return out
    order = np.lexsort((*keys, group))
    g = group[order]
    first = np.r_[True, g[1:] != g[:-1]]
    out[g[first]] = order[first]
    return out
