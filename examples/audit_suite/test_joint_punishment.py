"""Audit of the judgment-defaulter list (SPC 2017) and its joint punishments.

A listing lasts two years per default and is deleted early when the
judgment is performed; meanwhile it restricts high-speed rail, flights,
star hotels, loans, jobs and buying a house — parts of life unrelated to the
court case (by end 2017, 9.36 million flight trips and 3.67 million
high-speed rail trips had been blocked).
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
    pytest.mark.audit_scorer("joint_punishment"),
    pytest.mark.audit_population("china-2020", size=200_000, seed=2020),
]


def test_four_fifths_by_income(audit_run):
    assert_four_fifths(audit_run, by="income_quintile")


def test_no_absorbing_states(audit_run):
    assert_no_absorbing_states(audit_run)


def test_recovers_within_24_months(audit_run):
    assert_recovers_within(audit_run, months=24)


def test_appeal_parity_by_education(audit_run):
    assert_appeal_parity(audit_run, by="education", max_gap=0.05)


def test_court_cases_never_restrict_travel(audit_run):
    assert_no_spillover(audit_run, from_domain="judicial", to_domain="travel")


def test_overturned_listings_restore_state(audit_run):
    assert_overturn_restores_state(audit_run)
