"""Audit of a commercial behavioural score in the style of Sesame Credit (350-950).

Weights: credit history 35%, capacity 25%, behaviour 20%, identity 15%,
relationships 5%. Buying diapers or donating blood raises the score, video
games and loud music on the train lower it; friends' scores feed in; a poor
score means deposits for rentals and screening at job interviews.
"""

import pytest

from audit.testing.assertions import (
    assert_appeal_parity,
    assert_four_fifths,
    assert_no_spillover,
    assert_overturn_restores_state,
    assert_recovers_within,
)

pytestmark = [
    pytest.mark.audit_scorer("sesame"),
    pytest.mark.audit_population("china-2020", size=200_000, seed=2020),
]


def test_four_fifths_by_income(audit_run):
    assert_four_fifths(audit_run, by="income_quintile")


def test_four_fifths_by_education(audit_run):
    assert_four_fifths(audit_run, by="education")


def test_recovers_within_24_months(audit_run):
    assert_recovers_within(audit_run, months=24)


def test_appeal_parity_by_education(audit_run):
    assert_appeal_parity(audit_run, by="education", max_gap=0.05)


def test_shopping_never_costs_a_job_interview(audit_run):
    assert_no_spillover(audit_run, from_domain="commerce", to_domain="jobs")


def test_overturned_events_restore_state(audit_scorer):
    assert_overturn_restores_state(audit_scorer)
