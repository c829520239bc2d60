"""How each person responds to the score: fixed dispositions and one month's changes to the log.

Every random choice is a counter-based hash of ``(seed, stream, person id,
draw)`` (:func:`audit.randomness.person_uniform`), so a person's responses do
not depend on the chunk the person is simulated in.

- Dispositions, decided once: whether a person adapts and which kinds of
  activity (propensity and breadth both scaled by the education and income
  multipliers: better-educated, higher-income people changed across more
  activities, Kostka and Antoine 2020), whether the person self-censors and
  whether the person would drop a friend whose score fell.
- Each month: an adapted kind of minor offence drawn for the month is avoided
  with probability ``offence_reduction``; a self-censoring person's critical
  post is not made with probability ``post_reduction``; an adapted act the
  scheme rewards is added with probability ``act_probability`` (a bought act
  scaled by what the person can afford, a blood donation at most every
  ``blood_donation_min_interval_months``); a person who lost income under an
  economic sanction falls into loan arrears with a probability that grows
  with the share lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit.dynamics.probe import ACTS, BOUGHT, CRITICAL, OFFENCES, Probe
from audit.population.dynamics_spec import DynamicsSpec
from audit.population.spec import PopulationSpec
from audit.randomness import person_uniform
from audit.vocab import kind_code

__all__ = ["Dispositions", "dispositions", "dropped_events", "added_acts", "feedback_arrears"]

#: Most events of one person in one month told apart by the per-event hash (more share the last draw).
_MAX_ORDINAL = 63


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispositions:
    """Per-person responses fixed at the start of a scheme."""

    adapter: np.ndarray
    """Adapts at least one kind of activity."""
    offences: np.ndarray
    """``(n, len(OFFENCES))`` avoids this kind of offence (only kinds the scheme penalises)."""
    acts: np.ndarray
    """``(n, len(ACTS))`` adds this kind of act (only kinds the scheme rewards)."""
    censor: np.ndarray
    """Posts fewer critical posts (only when the scheme penalises them)."""
    unfriends: np.ndarray
    """Drops a friend whose score fell sharply."""


def dispositions(ids: np.ndarray, quintile: np.ndarray, education: np.ndarray, dyn: DynamicsSpec, probe: Probe,
                 seed: int) -> Dispositions:
    """Each person's dispositions (``quintile`` 0-4, ``education`` 0-3 codes)."""
    scale = np.asarray(dyn.education_multiplier)[education] * np.asarray(dyn.income_multiplier)[quintile]
    adapter = person_uniform(seed, "dynamics.adapt", ids) < np.minimum(dyn.adapt_share * scale, 1.0)
    breadth = np.minimum(dyn.adapt_breadth * scale, 1.0)

    def kinds(names: tuple[str, ...], allowed: tuple[str, ...], offset: int) -> np.ndarray:
        out = np.zeros((len(ids), len(names)), dtype=bool)
        for j, k in enumerate(names):
            if k in allowed:
                out[:, j] = adapter & (person_uniform(seed, "dynamics.breadth", ids, draw=offset + j) < breadth)
        return out

    offences = kinds(OFFENCES, probe.penalised, 0)
    acts = kinds(ACTS, probe.rewarded, len(OFFENCES))
    censor = (person_uniform(seed, "dynamics.censor", ids) < dyn.self_censor_share) & (CRITICAL in probe.penalised)
    unfriends = person_uniform(seed, "dynamics.unfriend", ids) < dyn.unfriend_share
    return Dispositions(adapter=adapter & (offences.any(axis=1) | acts.any(axis=1)), offences=offences, acts=acts,
                        censor=censor, unfriends=unfriends)


def _ordinal(person: np.ndarray) -> np.ndarray:
    """Position of each event among the same person's events of the month (events grouped by person)."""
    if person.size == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, person[1:] != person[:-1]]
    first = np.flatnonzero(start)
    return np.arange(person.size) - np.repeat(first, np.diff(np.r_[first, person.size]))


def dropped_events(person: np.ndarray, rows: np.ndarray, kind: np.ndarray, month: int, d: Dispositions,
                   dyn: DynamicsSpec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks over one month's drawn events: (offences avoided, critical posts not made)."""
    key = person.astype(np.int64) * (_MAX_ORDINAL + 1) + np.minimum(_ordinal(person), _MAX_ORDINAL)
    u = person_uniform(seed, "dynamics.keep", key, draw=month)
    avoided = np.zeros(person.size, dtype=bool)
    for j, name in enumerate(OFFENCES):
        if d.offences[:, j].any():
            avoided |= (kind == kind_code(name)) & d.offences[rows, j] & (u < dyn.offence_reduction)
    censored = (kind == kind_code(CRITICAL)) & d.censor[rows] & (u < dyn.post_reduction)
    return avoided, censored


def added_acts(ids: np.ndarray, age: np.ndarray, afford: np.ndarray, last_blood: np.ndarray, month: int,
               d: Dispositions, dyn: DynamicsSpec, spec: PopulationSpec, seed: int) -> list[tuple[str, np.ndarray]]:
    """``(kind, rows)`` of the acts added this month; updates ``last_blood`` for new donations."""
    out = []
    for j, name in enumerate(ACTS):
        if not d.acts[:, j].any():
            continue
        p = np.full(len(ids), dyn.act_probability)
        try:
            lo, hi = spec.event_spec(name).age_range
            p = np.where((age >= lo) & (age < hi), p, 0.0)
        except KeyError:
            pass
        if name in BOUGHT:
            p = p * afford
        who = d.acts[:, j] & (person_uniform(seed, "dynamics.act", ids, draw=month * len(ACTS) + j) < p)
        if name == "blood_donation":
            who &= month - last_blood >= spec.recourse.blood_donation_min_interval_months
            last_blood[who] = month
        out.append((name, np.flatnonzero(who)))
    return out


def feedback_arrears(ids: np.ndarray, lost_share: np.ndarray, month: int, dyn: DynamicsSpec, seed: int) -> np.ndarray:
    """Rows falling into loan arrears this month because of income lost under an economic sanction."""
    room = 1.0 - dyn.income_floor
    scale = np.minimum(lost_share / room, 1.0) if room > 0 else (lost_share > 0).astype(np.float64)
    p = dyn.arrears_probability * scale
    return np.flatnonzero((p > 0) & (person_uniform(seed, "dynamics.arrears", ids, draw=month) < p))
