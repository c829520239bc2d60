"""Rongcheng rules on hand-built logs."""

from __future__ import annotations

import pytest

from scorers.rongcheng import Rongcheng
from tests.scorers.build import score_person


def score_one(events, *, as_of=47, scorer=None):
    return score_person(scorer or Rongcheng(), events, as_of=as_of)


def test_base_is_1000_and_grade_a():
    r = score_one([])
    assert r["score"] == 1000 and r["tier"] == "A" and r["reasons"] == ()


@pytest.mark.parametrize(
    ("kind", "points"),
    [("contract_breach", 20), ("court_judgment_default", 50), ("loan_arrears", 10), ("utility_arrears", 20)],
)
def test_published_deductions(kind, points):
    assert score_one([(1, 40, kind)])["score"] == 1000 - points


def test_grades():
    # 5 blood donations at +10: 1050 is AAA; 3 give 1030, AA
    assert score_one([(1, m, "blood_donation") for m in range(40, 45)])["tier"] == "AAA"
    assert score_one([(1, m, "blood_donation") for m in range(40, 43)])["tier"] == "AA"
    assert score_one([(1, 40, "court_judgment_default")])["tier"] == "B"  # 950
    c = score_one([(1, 40 + m, "court_judgment_default") for m in range(4)])  # 800
    assert c["tier"] == "C" and all(c[s] for s in Rongcheng.sanctions)
    d = score_one([(1, 30 + m, "court_judgment_default") for m in range(9)])  # 550
    assert d["tier"] == "D" and d["reasons"] == ("court_judgment_default",)
    assert not score_one([(1, 40, "court_judgment_default")])["loans"]


@pytest.mark.parametrize(
    ("kind", "months"),
    [("traffic_violation", 3), ("loan_arrears", 12), ("drunk_driving", 36)],
)
def test_records_expire_by_gravity(kind, months):
    # minor 3 months, general 12, serious 36 (NDRC disclosure periods)
    assert score_one([(1, 0, kind)], as_of=months - 1)["score"] < 1000
    assert score_one([(1, 0, kind)], as_of=months)["score"] == 1000


def test_one_expiry_overrides_all_classes():
    s = Rongcheng(penalty_expiry_months=6)
    assert score_one([(1, 0, "drunk_driving")], as_of=5, scorer=s)["score"] == 950
    assert score_one([(1, 0, "drunk_driving")], as_of=6, scorer=s)["score"] == 1000
    assert score_one([(1, 0, "traffic_violation")], as_of=5, scorer=s)["score"] == 995


def test_rewards_per_event_caps_and_window():
    assert score_one([(1, 40, "volunteering", 4.0)])["score"] == 1004  # 1 point an hour
    assert score_one([(1, 40, "volunteering", 15.0)])["score"] == 1010  # at most 10 an event
    assert score_one([(1, 40, "volunteering", 4.9)])["score"] == 1004  # whole hours only
    assert score_one([(1, 40, "charity_donation", 250.0)])["score"] == 1002  # 1 point per whole 100 yuan
    assert score_one([(1, 40, "charity_donation", 5000.0)])["score"] == 1010
    assert score_one([(1, 40, "blood_donation")])["score"] == 1010
    # awards count for 12 months
    assert score_one([(1, 0, "blood_donation")], as_of=11)["score"] == 1010
    assert score_one([(1, 0, "blood_donation")], as_of=12)["score"] == 1000
    # and at most 100 points at once
    many = [(1, 36 + m, "blood_donation") for m in range(12)]  # all within the 12 months to as_of=47
    assert score_one(many)["score"] == 1100
    assert score_one(many, scorer=Rongcheng(reward_cap=30.0))["score"] == 1030


def test_good_deeds_can_restore_a_grade():
    events = [(1, 40, "court_judgment_default"), (1, 41, "volunteering", 8.0), (1, 42, "volunteering", 8.0)]
    assert score_one(events, as_of=40)["tier"] == "B"
    assert score_one(events, as_of=41)["score"] == 958 and score_one(events, as_of=41)["tier"] == "B"
    assert score_one(events, as_of=42)["score"] == 966 and score_one(events, as_of=42)["tier"] == "A"
