"""Judgment-defaulter list: listing, extension, early deletion, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from audit.population.model import Population
from scorers.joint_punishment import JointPunishment, _reasons_of
from tests.scorers.build import people, score_person, view

D, P = "court_judgment_default", "judgment_performed"


def state(events, as_of, scorer=None):
    r = score_person(scorer or JointPunishment(), [(1, m, k) for m, k in events], as_of=as_of, horizon=80)
    return r["tier"], r["score"]


def test_not_listed_without_defaults():
    assert state([], 10) == ("not_listed", 0.0)
    assert state([(3, "contract_breach")], 10) == ("not_listed", 0.0)


def test_a_default_lists_for_24_months():
    ev = [(5, D)]
    assert state(ev, 4) == ("not_listed", 0.0)
    assert state(ev, 5) == ("listed", -24.0)
    assert state(ev, 28) == ("listed", -1.0)
    assert state(ev, 29) == ("not_listed", 0.0)


def test_listed_people_carry_every_joint_sanction():
    v = view(people([1, 2]), [(1, 0, D)])
    out = JointPunishment().score(v, as_of=3)
    sanctions = list(JointPunishment.sanctions)
    assert out[sanctions].iloc[0].all() and not out[sanctions].iloc[1].any()
    assert out["reasons"].iloc[0] == ("court_judgment_default",) and out["reasons"].iloc[1] == ()
    assert set(JointPunishment.sanctions.values()) == {"travel", "finance", "jobs", "housing"}


def test_a_further_default_extends_by_12_months():
    ev = [(0, D), (10, D)]  # until 24, then 36
    assert state(ev, 9) == ("listed", -15.0)
    assert state(ev, 10) == ("listed", -26.0)
    assert state(ev, 35) == ("listed", -1.0)
    assert state(ev, 36) == ("not_listed", 0.0)


def test_extensions_stop_at_five_years():
    ev = [(m, D) for m in range(5)]  # 24, 36, 48, 60, then capped at 60
    assert state(ev, 4) == ("listed", -56.0)
    assert state(ev, 59) == ("listed", -1.0)
    assert state(ev, 60) == ("not_listed", 0.0)


def test_performance_deletes_the_listing_early():
    ev = [(0, D), (8, P)]
    assert state(ev, 7) == ("listed", -17.0)
    assert state(ev, 8) == ("not_listed", 0.0)
    # a list that ignores performance keeps the person for the full period
    assert state(ev, 8, JointPunishment(honour_performance=False)) == ("listed", -16.0)


def test_each_performance_discharges_one_default():
    ev = [(0, D), (5, D), (8, P), (9, P)]  # until 36; one obligation left after month 8
    assert state(ev, 8) == ("listed", -28.0)
    assert state(ev, 9) == ("not_listed", 0.0)


def test_default_and_performance_in_the_same_month():
    assert state([(5, P), (5, D)], 5) == ("not_listed", 0.0)


def test_performance_before_any_default_changes_nothing():
    assert state([(2, P), (5, D)], 5) == ("listed", -24.0)


def test_a_default_after_the_listing_ended_starts_a_new_one():
    assert state([(0, D), (30, D)], 30) == ("listed", -24.0)
    assert state([(0, D), (30, P), (31, D)], 31) == ("listed", -24.0)


def test_listing_and_extension_lengths_are_parameters():
    s = JointPunishment(listing_months=12, extension_months=6, max_listing_months=15)
    assert state([(0, D)], 0, s) == ("listed", -12.0)
    assert state([(0, D), (1, D)], 1, s) == ("listed", -14.0)  # 18 capped at 15


def test_bad_lengths_are_rejected():
    from audit.errors import InvalidScorerSpec

    with pytest.raises(InvalidScorerSpec):
        JointPunishment(listing_months=0)
    with pytest.raises(InvalidScorerSpec):
        JointPunishment(listing_months=36, max_listing_months=24)


def reference_fold(events, as_of, L=24, E=12, cap=60, honour=True):
    """The rule as a plain per-person loop, to check the vectorised fold."""
    until, start, outstanding = None, 0, 0
    for month, is_default in sorted(events, key=lambda e: (e[0], not e[1])):
        if month > as_of:
            break
        listed = until is not None and month < until
        if is_default:
            if listed:
                until = min(until + E, start + cap)
                outstanding += 1
            else:
                start, until, outstanding = month, month + L, 1
        elif honour:
            outstanding = max(outstanding - 1, 0)
            if listed and outstanding == 0:
                until = month
    return max((until or 0) - as_of, 0) if until is not None else 0


@pytest.mark.parametrize("honour", [True, False])
def test_vectorised_fold_matches_a_per_person_loop(honour):
    pop = Population.synthesize("tiny", size=3000, seed=3)
    ev = pop.events
    kinds = ev["kind"].astype(str).to_numpy()
    rel = np.isin(kinds, [D, P])
    by_person: dict[int, list] = {}
    for pid, month, kind in zip(ev["person_id"].to_numpy()[rel], ev["month"].to_numpy()[rel], kinds[rel]):
        by_person.setdefault(int(pid), []).append((int(month), kind == D))
    assert any(len(v) >= 3 for v in by_person.values())  # the sample exercises extensions
    scorer = JointPunishment(honour_performance=honour)
    for as_of in (6, 15, 23):
        out = scorer.score(pop.view(), as_of=as_of)
        expected = np.array(
            [reference_fold(by_person.get(int(p), []), as_of, honour=honour) for p in pop.people["person_id"]]
        )
        np.testing.assert_array_equal(-out["score"].to_numpy(), expected)


@pytest.mark.parametrize("share", [0.0, 0.012, 0.5, 1.0])
@pytest.mark.parametrize("n", [0, 1, 1000])
def test_reasons_name_the_listing_for_the_listed_only(n, share):
    listed = np.random.default_rng(n).random(n) < share
    reasons = _reasons_of(listed)
    assert reasons.dtype == object and reasons.shape == (n,)
    assert list(reasons) == [("court_judgment_default",) if x else () for x in listed.tolist()]
    assert all(type(r) is tuple for r in reasons)
