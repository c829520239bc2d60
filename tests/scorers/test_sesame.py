"""Sesame-style score: components, window, friends, reasons."""

from __future__ import annotations

import math

import pytest

from scorers.protocol import scorer_tags
from scorers.sesame import Sesame
from tests.scorers.build import people, row, score_person, view

# a reference person: income 20,000 (capacity 0.5), tertiary, 40 (identity 1.0)
REF = {"income": [20_000.0], "education": ["tertiary"], "age": [40]}


def one(events=(), *, as_of=30, scorer=None, **cols):
    """Score person 1 (events count from month 7 to 30 with the default 24-month window)."""
    return score_person(scorer or Sesame(), events, as_of=as_of, **{**REF, **cols})


def total(history=0.5, capacity=0.5, behaviour=0.5, identity=1.0, relationships=0.5):
    s = 0.35 * history + 0.25 * capacity + 0.20 * behaviour + 0.15 * identity + 0.05 * relationships
    return round(350 + 600 * s)  # whole points


def test_reference_person_by_hand():
    r = one()
    assert r["score"] == pytest.approx(total()) == pytest.approx(695.0)
    assert r["tier"] == "good" and r["reasons"] == ()


def test_capacity_is_log_income():
    # 200,000 yuan is the ceiling: capacity 1; 2,000 the floor: capacity 0
    assert one(income=[200_000.0])["score"] == pytest.approx(total(capacity=1.0))
    assert one(income=[2_000.0])["score"] == pytest.approx(total(capacity=0.0))
    mid = (math.log(50_000) - math.log(2_000)) / (math.log(200_000) - math.log(2_000))
    assert one(income=[50_000.0])["score"] == pytest.approx(total(capacity=mid))


def test_identity_is_education_and_age():
    assert one(education=["primary_or_less"], age=[18])["score"] == pytest.approx(total(identity=0.0))
    # senior secondary (2 of 3 education steps) at 26 (8 of the 17 years from 18 to 35)
    assert one(education=["senior_secondary"], age=[26])["score"] == pytest.approx(
        total(identity=0.6 * 2 / 3 + 0.4 * 8 / 17)
    )


def test_credit_history():
    # two on-time repayments: (1 + 2) / (2 + 2) = 0.75
    assert one([(1, 10, "on_time_repayment"), (1, 12, "on_time_repayment")])["score"] == pytest.approx(
        total(history=0.75)
    )
    # one loan arrear weighs 2: 1 / (2 + 2) = 0.25; a court default 4: 1 / 6
    assert one([(1, 10, "loan_arrears")])["score"] == pytest.approx(total(history=0.25))
    assert one([(1, 10, "court_judgment_default")])["score"] == pytest.approx(total(history=1 / 6))
    assert one([(1, 10, "utility_arrears")])["score"] == pytest.approx(total(history=1 / 3))


def test_behaviour():
    ev = [
        (1, 10, "diapers_purchase"),
        (1, 11, "blood_donation"),
        (1, 12, "video_games"),
        (1, 13, "loud_music_on_train"),
    ]
    assert one(ev)["score"] == pytest.approx(total(behaviour=0.5 + 0.02 + 0.10 - 0.05 - 0.10))
    many = [(1, m, "volunteering", 4.0) for m in range(10, 22)]
    assert one(many)["score"] == pytest.approx(total(behaviour=1.0))  # clipped at 1


def test_window_lets_behaviour_recover():
    ev = [(1, 0, "loan_arrears")]
    assert one(ev, as_of=23)["score"] == pytest.approx(total(history=0.25))
    assert one(ev, as_of=24)["score"] == pytest.approx(total())
    assert one(ev, as_of=12, scorer=Sesame(window_months=12))["score"] == pytest.approx(total())


def test_friends_feed_in():
    p = people([1, 2, 3], income=[20_000.0] * 3, education=["tertiary"] * 3, age=[40] * 3)
    clean = view(p, [], ties=[(1, 2)])
    arrears = view(p, [(2, 15, "loan_arrears"), (2, 16, "loan_arrears")], ties=[(1, 2)])
    own_clean = (0.35 * 0.5 + 0.25 * 0.5 + 0.2 * 0.5 + 0.15 * 1.0) / 0.95
    own_arrears = (0.35 * (1 / 6) + 0.25 * 0.5 + 0.2 * 0.5 + 0.15 * 1.0) / 0.95
    s = Sesame()
    a = row(s.score(clean, as_of=30), clean, 1)["score"]
    b = row(s.score(arrears, as_of=30), arrears, 1)["score"]
    assert a == pytest.approx(total(relationships=own_clean))
    assert b == pytest.approx(total(relationships=own_arrears))
    assert b < a  # person 1 did nothing; the friend's arrears cost them
    # person 3 names nobody: neutral
    assert row(s.score(arrears, as_of=30), arrears, 3)["score"] == pytest.approx(total())


def test_friends_outside_the_view_are_ignored():
    v = view(people([1], **REF), [(99, 5, "loan_arrears")], ties=[(1, 99)])
    assert row(Sesame().score(v, as_of=30), v, 1)["score"] == pytest.approx(total())


def test_poor_tier_sanctions_and_reasons():
    ev = [(1, m, "loan_arrears") for m in (11, 12, 13)] + [(1, m, "video_games") for m in range(14, 19)]
    r = one(ev, income=[2_000.0], education=["primary_or_less"], age=[18])
    # history 1 / (2 + 6), capacity 0, behaviour 0.25, identity 0
    assert r["score"] == pytest.approx(total(history=0.125, capacity=0.0, behaviour=0.25, identity=0.0))
    assert r["tier"] == "poor"
    assert r["rental_deposit_required"] and r["job_interview_screening"]
    # costs: arrears 600*.35*(.5-.125)=78.75, capacity 75, identity 45, video games 30
    assert r["reasons"] == ("loan_arrears", "capacity", "identity", "video_games")


def test_tags_declare_income_and_friends():
    tags = scorer_tags(Sesame())
    assert tags.uses_protected_attributes and tags.uses_ties and not tags.non_deterministic
