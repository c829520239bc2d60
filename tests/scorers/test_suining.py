"""Suining 2010 rules on hand-built logs."""

from __future__ import annotations

import numpy as np
import pytest

from scorers.suining import Suining
from tests.scorers.build import people, score_person, view


def score_one(events, *, as_of=47, scorer=None):
    return score_person(scorer or Suining(), events, as_of=as_of)


def test_no_events_is_class_a_with_full_points():
    r = score_one([])
    assert r["score"] == 1000.0 and r["tier"] == "A" and r["reasons"] == ()
    assert not any(r[s] for s in Suining.sanctions)


def test_record_deductions():
    # drunk driving -50 and an unauthorized birth -35 (Suining 2010)
    r = score_one([(1, 3, "drunk_driving"), (1, 5, "unauthorized_birth")])
    assert r["score"] == 1000 - 50 - 35
    assert r["tier"] == "B"
    assert r["reasons"] == ("drunk_driving", "unauthorized_birth")


def test_class_boundaries():
    # 3 loan arrears at -10 each: exactly 970 is still A
    assert score_one([(1, m, "loan_arrears") for m in range(3)])["tier"] == "A"
    assert score_one([(1, m, "loan_arrears") for m in range(4)])["tier"] == "B"
    # 3 x 50 = 150 lost: exactly 850 is B
    assert score_one([(1, m, "drunk_driving") for m in range(3)])["tier"] == "B"
    c = score_one([(1, m, "drunk_driving") for m in range(3)] + [(1, 9, "traffic_violation")])
    assert c["score"] == 845 and c["tier"] == "C"
    d = score_one([(1, m, "drunk_driving") for m in range(9)])
    assert d["score"] == 550 and d["tier"] == "D"


def test_low_classes_carry_every_sanction():
    c = score_one([(1, m, "drunk_driving") for m in range(4)])
    assert c["tier"] == "C"
    assert all(c[s] for s in Suining.sanctions)
    assert set(Suining.sanctions.values()) == {"public_post", "housing", "welfare", "commerce", "finance", "education"}


def test_only_events_up_to_as_of_count():
    events = [(1, 10, "drunk_driving")]
    assert score_one(events, as_of=9)["score"] == 1000
    assert score_one(events, as_of=10)["score"] == 950


def test_no_expiry_by_default_and_c_is_absorbing():
    events = [(1, 0, "court_judgment_default")] * 3 + [(1, 1, "utility_arrears")]
    for as_of in (1, 20, 47):
        assert score_one(events, as_of=as_of)["tier"] == "C"
    # good behaviour earns nothing
    good = events + [(1, m, "volunteering", 8.0) for m in range(2, 47)] + [(1, 10, "blood_donation")]
    assert score_one(good, as_of=47)["tier"] == "C"


def test_expiry_counts_a_deduction_for_n_months():
    s = Suining(penalty_expiry_months=12)
    events = [(1, 0, "drunk_driving")]
    assert score_one(events, as_of=11, scorer=s)["score"] == 950
    r = score_one(events, as_of=12, scorer=s)
    assert r["score"] == 1000 and r["reasons"] == ()


def test_penalty_scale():
    assert score_one([(1, 0, "drunk_driving")], scorer=Suining(penalty_scale=0.5))["score"] == 975


def test_output_is_aligned_to_people_rows():
    p = people([30, 10, 20])
    p.index = [7, 8, 9]
    v = view(p, [(10, 0, "drunk_driving"), (99, 0, "drunk_driving"), (20, 1, "unauthorized_birth")])
    out = Suining().score(v, as_of=47)
    assert list(out.index) == [7, 8, 9]
    np.testing.assert_array_equal(out["score"].to_numpy(), [1000, 950, 965])
    assert list(out["tier"].astype(str)) == ["A", "B", "B"]
    assert list(out.columns) == ["score", "tier", *Suining.sanctions, "reasons"]


@pytest.mark.parametrize("as_of", [0, 5])
def test_empty_log(as_of):
    v = view(people([1, 2]))
    out = Suining().score(v, as_of=as_of)
    assert list(out["score"]) == [1000.0, 1000.0]
