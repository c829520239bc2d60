"""Audit of the Suining county scheme (2010) and of a proposed 24-month expiry of penalties.

Suining scored conduct from 1,000 points down (drunk driving -50, a child
without family-planning permission -35) and put people in classes A-D; the
low classes faced extra examination for public posts, low-cost housing,
welfare, licences, subsidies, loans and skills training. Penalties never
expire and there are no rewards, so a low class may be a state nobody leaves.
"""

import pytest

from audit.testing.assertions import (
    assert_appeal_parity,
    assert_four_fifths,
    assert_no_absorbing_states,
    assert_no_spillover,
    assert_overturn_restores_state,
    assert_recovers_within,
)

pytestmark = [
    pytest.mark.audit_scorer("suining"),
    pytest.mark.audit_population("china-2020", size=200_000, seed=2020),
]

EXPIRY_24 = "suining:penalty_expiry_months=24"


def test_four_fifths_by_income(audit_run):
    assert_four_fifths(audit_run, by="income_quintile")


def test_four_fifths_by_education(audit_run):
    assert_four_fifths(audit_run, by="education")


def test_no_absorbing_states(audit_run):
    assert_no_absorbing_states(audit_run)


@pytest.mark.audit_scorer(EXPIRY_24)
def test_expiring_penalties_recover_within_24_months(audit_run):
    assert_recovers_within(audit_run, months=24)


@pytest.mark.audit_scorer(EXPIRY_24)
def test_expiring_penalties_leave_no_absorbing_states(audit_run):
    assert_no_absorbing_states(audit_run)


def test_appeal_parity_by_education(audit_run):
    assert_appeal_parity(audit_run, by="education", max_gap=0.05)


def test_no_spillover_from_traffic_into_housing(audit_run):
    assert_no_spillover(audit_run, from_domain="traffic", to_domain="housing")


def test_overturned_events_restore_state(audit_scorer):
    assert_overturn_restores_state(audit_scorer)
