"""Properties of the reference scorers over generated populations, logs and parameters.

- Overturning (removing) recorded events leaves every person as if the events
  had never been recorded — what an appeal relies on.
- Adding a good deed (volunteering, blood donation, charity) never lowers a
  point-scheme score or tier (Suining, Rongcheng: points are only ever added
  for good deeds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.population.model import PopulationView, events_frame
from audit.testing.assertions import assert_overturn_restores_state
from audit.testing.strategies import GOOD_DEEDS, event_logs, populations, scorer_params
from audit.vocab import EVENT_KINDS, SOURCES
from scorers.registry import available_scorers, load_scorer

PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFERENCE = ("suining", "rongcheng", "joint_punishment", "sesame")
POINT_SCHEMES = ("suining", "rongcheng")


def test_every_reference_scorer_is_covered():
    assert set(REFERENCE) <= set(available_scorers())


def _draw_case(data, base, *, max_size: int, min_events: int = 0):
    """``(population, log, scorer, as_of)``: ``base`` with drawn parameters, a log for the population, a month."""
    pop = data.draw(populations(max_size=max_size), label="population")
    log = data.draw(event_logs(pop, min_events=min_events, max_events=30), label="log")
    scorer = base.with_params(**data.draw(scorer_params(base), label="params"))
    as_of = data.draw(st.integers(0, pop.horizon_months - 1), label="as_of")
    return pop, log, scorer, as_of


@pytest.mark.parametrize("name", REFERENCE)
def test_overturning_an_event_restores_state(name):
    base = load_scorer(name)

    @PROPERTY
    @given(data=st.data())
    def check(data):
        pop, log, scorer, as_of = _draw_case(data, base, max_size=25, min_events=1)
        seed = data.draw(st.integers(0, 2**16), label="seed")
        if not (log["month"].to_numpy() <= as_of).any():
            return
        assert_overturn_restores_state(scorer, population=pop.with_events(log), as_of=as_of, seed=seed)

    check()


def _score(scorer, people: pd.DataFrame, events: pd.DataFrame, ties: pd.DataFrame, horizon: int, as_of: int) -> pd.DataFrame:
    view = PopulationView(people=people, events=events.drop(columns=["genuine"], errors="ignore"), ties=ties,
                          horizon_months=horizon)
    return scorer.score(view, as_of=as_of)


@pytest.mark.parametrize("name", POINT_SCHEMES)
def test_a_good_deed_never_lowers_a_point_scheme_score(name):
    base = load_scorer(name)

    @PROPERTY
    @given(data=st.data())
    def check(data):
        pop, log, scorer, as_of = _draw_case(data, base, max_size=20)
        horizon = pop.horizon_months
        ids = pop.people["person_id"].to_numpy()
        who = data.draw(st.integers(0, ids.size - 1), label="person")
        kind = data.draw(st.sampled_from(GOOD_DEEDS), label="kind")
        month = data.draw(st.integers(0, horizon - 1), label="month")
        amount = data.draw(st.floats(0.0, 20_000.0, allow_nan=False), label="amount")
        deed = events_frame(np.array([ids[who]]), np.array([month]), np.array([EVENT_KINDS.index(kind)], dtype=np.int8),
                            np.array([SOURCES.index("platform")], dtype=np.int8), np.array([amount]), np.array([True]))
        more = pd.concat([log, deed], ignore_index=True)
        before = _score(scorer, pop.people, log, pop.ties, horizon, as_of)
        after = _score(scorer, pop.people, more, pop.ties, horizon, as_of)
        lower = after["score"].to_numpy() < before["score"].to_numpy() - 1e-9
        assert not lower.any(), (
            f"{scorer!r}: {kind} (amount {amount}) in month {month} lowered person {ids[who]}'s score from "
            f"{before['score'].to_numpy()[lower][0]} to {after['score'].to_numpy()[lower][0]} at month {as_of}"
        )
        tiers = list(scorer.tiers)  # best first
        rank_before = before["tier"].astype(str).map(tiers.index).to_numpy()
        rank_after = after["tier"].astype(str).map(tiers.index).to_numpy()
        assert (rank_after <= rank_before).all(), f"{scorer!r}: {kind} moved someone to a worse tier"
        # only the person who did the good deed can change
        others = np.arange(ids.size) != who
        assert np.array_equal(after["score"].to_numpy()[others], before["score"].to_numpy()[others])

    check()
