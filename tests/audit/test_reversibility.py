"""Reversibility audit on hand-built logs whose answers are worked out by hand."""

from __future__ import annotations

import pytest

from audit.replay.reversibility import ReversibilityAudit
from tests.audit._replay_fixtures import (
    ExpiringList,
    PermanentList,
    RedeemableList,
    RememberingList,
    audit,
    events,
    people,
    population,
    split,
)

# ten people; people 0-5 get one court judgment default in month 2 of a 24-month log
# (so as_of = 23); people 6-9 have a clean record
PENALISED = 6


@pytest.fixture(scope="module")
def pop():
    return population(people(10), events([(i, 2, "court_judgment_default") for i in range(PENALISED)]))


def test_permanent_blacklist_is_absorbing_and_nobody_recovers(pop):
    sec = audit(pop, PermanentList(), ReversibilityAudit(horizon_months=60))
    assert sec["recovery"]["n"] == PENALISED
    assert sec["recovery"]["never_share"] == 1.0
    assert sec["recovery"]["median_months"] is None  # never, within the horizon
    assert sec["absorbing_share"] == 1.0
    assert sec["absorbing"]["sanctioned"] == PENALISED
    for g in sec["recovery"]["by_income_quintile"]:
        assert g["never_share"] in (1.0, None)
    # listed since month 2 and still listed after 60 more months: longer than the 60-month cap
    assert sec["duration_cap_violations"] == PENALISED
    assert sec["longest_spell_months"] == (23 + 60 + 1) - 2
    assert sec["recourse_cost_ratio"] is None  # nobody can be costed: every plan fails
    assert sec["overturn_violations"] == 0


def test_penalties_expiring_after_24_months_recover_at_24_months(pop):
    sec = audit(pop, ExpiringList(months=24), ReversibilityAudit(horizon_months=60))
    rec = sec["recovery"]
    assert rec["n"] == PENALISED
    assert rec["median_months"] == 24 and rec["p90_months"] == 24
    assert rec["never_share"] == 0.0
    curve = {p["month"]: p["share_recovered"] for p in rec["curve"]}
    assert curve[23] == 0.0 and curve[24] == 1.0
    assert sec["absorbing_share"] == 0.0
    # waiting lifts the listing in month 2 + 24 = 26, three months after as_of = 23, at no cost
    q1 = sec["recourse_cost"]["by_income_quintile"][0]
    assert q1["median_cost"] == 0.0 and q1["median_months"] == 3
    assert sec["recourse_cost_ratio"] == 1.0
    assert sec["duration_cap_violations"] == 0 and sec["longest_spell_months"] == 24


def test_a_scorer_with_a_hidden_memory_fails_overturn_restores_state(pop):
    sec = audit(pop, RememberingList(months=24), ReversibilityAudit(horizon_months=30))
    assert sec["overturn_checked"] == PENALISED  # everyone with an event; each has one, the default
    assert sec["overturn_violations"] == PENALISED
    assert sec["overturn_restores_state"] is False
    clean = audit(pop, ExpiringList(months=24), ReversibilityAudit(horizon_months=30))
    assert clean["overturn_violations"] == 0 and clean["overturn_restores_state"] is True


def test_least_cost_plan_is_costed_in_months_of_income(pop):
    # 16 hours of volunteering lift the listing: two months at 8 hours (spec tiny), each hour
    # costing 1/174 of a month's income (hour_value_income_share 1, 174 working hours a month)
    sec = audit(pop, RedeemableList(), ReversibilityAudit(horizon_months=60))
    expected = 2 * 8.0 * 1.0 / 174.0
    for g in sec["recourse_cost"]["by_income_quintile"]:
        if g["n"]:
            assert g["median_cost"] == pytest.approx(expected, rel=1e-12)
            assert g["median_months"] == 2
    assert sec["recourse_cost_ratio"] == pytest.approx(1.0)
    assert sec["recovery"]["median_months"] == 2
    assert sec["absorbing_share"] == 0.0
    # doing nothing never lifts it, so the spell (from month 2) outlasts the 60-month cap
    assert sec["duration_cap_violations"] == PENALISED and sec["duration_censored"] == PENALISED
    # with a 30-month replay the spell is seen for 52 months only: censored, not a violation
    short = audit(pop, RedeemableList(), ReversibilityAudit(horizon_months=30))
    assert short["duration_cap_violations"] == 0 and short["duration_censored"] == PENALISED


def test_a_clean_record_has_nothing_to_recover_from():
    pop = population(people(5), events([(0, 1, "volunteering")]))
    sec = audit(pop, ExpiringList(), ReversibilityAudit(horizon_months=12))
    assert sec["recovery"]["n"] == 0 and sec["recovery"]["never_share"] is None
    assert sec["absorbing_share"] is None
    assert sec["overturn_checked"] == 1 and sec["overturn_violations"] == 0


def test_first_penalty_is_the_first_event_that_worsens_the_outcome():
    # person 0: a volunteering event (no effect) in month 1, a default in month 5 and another in 9;
    # the first penalty is month 5's default; recovery needs both to expire: 9 + 12 = 21 -> 16 months
    pop = population(people(1), events([(0, 1, "volunteering"), (0, 5, "court_judgment_default"), (0, 9, "court_judgment_default")]))
    sec = audit(pop, ExpiringList(months=12), ReversibilityAudit(horizon_months=40))
    assert sec["recovery"]["n"] == 1
    # after the month-5 penalty the replay keeps only events up to month 5 and appends good
    # behaviour, so the listing ends 12 months later
    assert sec["recovery"]["median_months"] == 12


def test_results_do_not_depend_on_chunking(pop):
    whole = audit(pop, ExpiringList(months=24), ReversibilityAudit(horizon_months=40))
    parts = audit(split(pop, 3), ExpiringList(months=24), ReversibilityAudit(horizon_months=40))
    reverse = audit(split(pop, 3)[::-1], ExpiringList(months=24), ReversibilityAudit(horizon_months=40))
    assert whole == parts == reverse


def test_sampling_is_stratified_and_reported():
    pop = population(people(400), events([(i, 2, "court_judgment_default") for i in range(0, 400, 2)]))
    sec = audit(pop, PermanentList(), ReversibilityAudit(horizon_months=6), replay_sample=100, population_size=400)
    # 200 listed people (sanctioned stratum) and 200 without any record (rest): 100 drawn from each
    assert sec["sample_size"] == 200
    strata = {s["stratum"]: s for s in sec["sample"]["strata"]}
    assert (strata["sanctioned"]["population"], strata["sanctioned"]["sampled"]) == (200, 100)
    assert (strata["rest"]["population"], strata["rest"]["sampled"]) == (200, 100)
    assert sec["absorbing"]["sanctioned"] == sec["recovery"]["n"] == 100


def test_invalid_horizon_is_refused():
    with pytest.raises(ValueError, match="at least 1 month"):
        ReversibilityAudit(horizon_months=0)


@pytest.mark.parametrize(("months", "violations"), [(60, 0), (61, PENALISED)])
def test_the_statutory_cap_is_decided_exactly_on_the_coarse_grid(pop, months, violations):
    # listed from month 2: a 60-month listing ends in month 62 (not on the every-3rd-month grid
    # 39 months after as_of = 23), which is exactly the cap; a 61-month one outlasts it
    sec = audit(pop, ExpiringList(months=months), ReversibilityAudit(horizon_months=120))
    assert sec["duration_cap_violations"] == violations
