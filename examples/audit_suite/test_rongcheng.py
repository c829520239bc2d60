"""Audit of a Rongcheng-style scheme: 1,000 points, grades AAA-D, rewards for good deeds, expiring records.

"Rewards first": volunteering, blood donation and charity add points, so
people can earn their way back — but the ability to earn points is not
evenly spread (better-educated, higher-income people adapt across more
activities, survey of 2,209 people).
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.population.model import events_frame
from audit.testing.assertions import (
    assert_appeal_parity,
    assert_four_fifths,
    assert_no_absorbing_states,
    assert_no_spillover,
    assert_overturn_restores_state,
    assert_recovers_within,
)
from audit.testing.strategies import GOOD_DEEDS, event_logs, populations
from audit.vocab import EVENT_KINDS, SOURCES

pytestmark = [
    pytest.mark.audit_scorer("rongcheng"),
    pytest.mark.audit_population("china-2020", size=200_000, seed=2020),
]


def test_four_fifths_by_income(audit_run):
    assert_four_fifths(audit_run, by="income_quintile")


def test_four_fifths_by_education(audit_run):
    assert_four_fifths(audit_run, by="education")


def test_no_absorbing_states(audit_run):
    assert_no_absorbing_states(audit_run)


def test_recovers_within_a_year(audit_run):
    assert_recovers_within(audit_run, months=12)


def test_appeal_parity_by_income(audit_run):
    assert_appeal_parity(audit_run, by="income_quintile", max_gap=0.05)


def test_online_speech_never_bars_public_posts(audit_run):
    assert_no_spillover(audit_run, from_domain="online", to_domain="public_post")


def test_overturned_events_restore_state(audit_scorer):
    assert_overturn_restores_state(audit_scorer)


def test_good_deeds_never_lower_a_score(audit_scorer):
    @settings(max_examples=20, deadline=None)
    @given(data=st.data())
    def check(data):
        pop = data.draw(populations(max_size=20))
        log = data.draw(event_logs(pop, max_events=20))
        who = data.draw(st.sampled_from(pop.people["person_id"].tolist()))
        kind = EVENT_KINDS.index(data.draw(st.sampled_from(GOOD_DEEDS)))
        month = data.draw(st.integers(0, pop.horizon_months - 1))
        deed = events_frame(np.array([who]), np.array([month]), np.array([kind], dtype=np.int8),
                            np.array([SOURCES.index("platform")], dtype=np.int8), np.array([5.0]), np.array([True]))
        as_of = pop.horizon_months - 1
        before = audit_scorer.score(pop.with_events(log).view(), as_of=as_of)["score"].to_numpy()
        after = audit_scorer.score(pop.with_events(pd.concat([log, deed], ignore_index=True)).view(), as_of=as_of)["score"].to_numpy()
        assert (after >= before).all()

    check()
