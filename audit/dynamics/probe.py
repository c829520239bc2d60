"""What a scheme rewards and penalises, found through the scorer contract alone.

People respond to what a scheme does, not to what its rules say: they avoid
an offence only if it costs points, buy what earns points, stop posting
critically only once posts are penalised. The simulation cannot read a
plugin's rules, so it asks the scorer: a few hundred people are scored with
and without one appended event of each kind the simulation can change, and
the direction of the change in score, tier and sanctions decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.engine.contract import score_checked
from audit.population.columns import events_frame
from audit.population.model import Population, PopulationView
from audit.population.spec import PopulationSpec
from audit.replay.scoring import states
from audit.vocab import SOURCES, kind_code

__all__ = ["OFFENCES", "EARNED", "BOUGHT", "ACTS", "CRITICAL", "PROBE_PEOPLE", "Probe", "probe_scheme", "typical_amount"]

#: Minor offences an adapting person avoids when the scheme penalises them.
OFFENCES = ("traffic_violation", "loud_music_on_train", "video_games")
#: Score-raising acts that cost time or blood: earned.
EARNED = ("volunteering", "blood_donation")
#: Score-raising acts that cost money: bought (charity, the purchases a scheme rewards).
BOUGHT = ("charity_donation", "diapers_purchase")
#: Every act an adapting person may add, earned first.
ACTS = EARNED + BOUGHT
#: The kind a self-censoring person posts less of.
CRITICAL = "critical_post"
#: People scored in the probe (the first of the population: the same whatever the chunking).
PROBE_PEOPLE = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """Which kinds of conduct move a scheme's outcome, and which way."""

    rewarded: tuple[str, ...]
    """Kinds whose appended event raised someone's score or tier and lowered nobody's on average."""
    penalised: tuple[str, ...]
    """Kinds whose appended event lowered the mean score, worsened a tier or brought a sanction."""
    people: int
    """People the probe scored."""


def typical_amount(spec: PopulationSpec, kind: str, monthly_income: np.ndarray) -> np.ndarray:
    """The amount an event of ``kind`` carries: hours, a share of monthly income (yuan), or 0."""
    try:
        ev = spec.event_spec(kind)
    except KeyError:
        return np.zeros(len(monthly_income))
    if ev.amount_unit == "yuan":
        return ev.amount_scale * monthly_income
    if ev.amount_unit == "hours":
        return np.full(len(monthly_income), ev.amount_scale)
    return np.zeros(len(monthly_income))


def kind_source(spec: PopulationSpec, kind: str) -> int:
    """Source code of ``kind`` in the spec (``platform`` for a kind the spec does not draw)."""
    try:
        return SOURCES.index(spec.event_spec(kind).source)
    except KeyError:
        return SOURCES.index("platform")


def probe_scheme(scorer, population: Population, spec: PopulationSpec, *, as_of: int) -> Probe:
    """Score the first :data:`PROBE_PEOPLE` people with and without one event of each kind at ``as_of``."""
    n = min(PROBE_PEOPLE, len(population))
    people = population.view().people.iloc[:n].reset_index(drop=True)
    ids = people["person_id"].to_numpy()
    ev = population.events
    ev = ev[np.isin(ev["person_id"].to_numpy(), ids) & (ev["month"].to_numpy() <= as_of)]
    ev = ev.drop(columns=[c for c in ("genuine",) if c in ev.columns]).reset_index(drop=True)
    ties = population.ties
    ties = ties[np.isin(ties["person_id"].to_numpy(), ids) & np.isin(ties["friend_id"].to_numpy(), ids)].reset_index(drop=True)

    def outcome(events: pd.DataFrame):
        view = PopulationView(people=people, events=events, ties=ties, horizon_months=as_of + 1)
        return states(scorer, score_checked(scorer, view, as_of=as_of))

    base = outcome(ev)
    monthly = people["income"].to_numpy(dtype=np.float64) / 12.0
    rewarded, penalised = [], []
    for kind in (*OFFENCES, *ACTS, CRITICAL):
        added = events_frame(
            ids, np.full(n, as_of), np.full(n, kind_code(kind), dtype=np.int8),
            np.full(n, kind_source(spec, kind), dtype=np.int8), typical_amount(spec, kind, monthly), None,
        )
        after = outcome(pd.concat([ev, added], ignore_index=True))
        delta = after.score - base.score
        worse = (after.tier > base.tier) | (after.sanctioned & ~base.sanctioned)
        better = (after.tier < base.tier) | (delta > 0)
        if delta.mean() < 0 or worse.any():
            penalised.append(kind)
        elif better.any():
            rewarded.append(kind)
    return Probe(rewarded=tuple(rewarded), penalised=tuple(penalised), people=n)
