"""Each reference scheme's compiled scorer gives what its plain-Python specification gives.

Hypothesis draws small populations (people with gaps in their ids, events of
every kind with odd amounts, months beyond ``as_of``, events of strangers,
ties to absent people) and scheme parameters; every person's score, tier,
sanctions and reasons from the scorer are compared with the specification
applied to that person alone: :meth:`scorers.points.PointsScheme.score_person`
(Suining, Rongcheng), :func:`scorers.sesame.score_person` and
:func:`scorers.joint_punishment.listing_until`.

Deductions are scaled by factors exact in binary, so sums are exact in any
order and the comparison can be exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import InvalidArgument
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS
from scorers import sesame as sesame_spec
from scorers.joint_punishment import JointPunishment, listing_until
from scorers.points import Event, PointsScheme, Reward
from scorers.rongcheng import Rongcheng
from scorers.sesame import Sesame
from scorers.suining import Suining
from tests.scorers.build import people, view

MONTHS = st.integers(0, 40)
AMOUNTS = st.sampled_from([0.0, 1.0, 2.5, 7.0, 12.0, 0.29, 250.0, 1999.99, -3.0, math.nan, math.inf])
SCALES = st.sampled_from([0.5, 1.0, 1.5, 2.0])


@st.composite
def populations(draw, *, kinds=EVENT_KINDS, max_people=8):
    """``(ids, events, ties)``: ids increasing with gaps; events ``(id, month, kind, amount)``, some of strangers."""
    n = draw(st.integers(1, max_people))
    gaps = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    first = draw(st.integers(1, 50))
    ids = list(np.cumsum([first, *gaps[1:]]).tolist())
    owners = st.sampled_from([*ids, 10_000])  # 10_000: a stranger, not in view.people
    events = draw(
        st.lists(st.tuples(owners, MONTHS, st.sampled_from(kinds), AMOUNTS), max_size=40)
    )
    ties = draw(st.lists(st.tuples(owners, owners), max_size=12))
    return ids, events, ties


def own_events(events, person):
    return [Event(month=m, kind=k, amount=a) for p, m, k, a in events if p == person]


def assert_person(frame, pos, expected):
    """Row ``pos`` of ``frame`` holds ``expected`` (a :class:`scorers.points.PersonScore`) and its sanctions."""
    got = frame.iloc[pos]
    assert got["score"] == expected.score
    assert got["tier"] == expected.tier
    assert tuple(got["reasons"]) == expected.reasons
    return got


def check_points(scorer, scheme: PointsScheme, ids, events, as_of):
    frame = scorer.score(view(people(ids), events), as_of=as_of)
    for pos, person in enumerate(ids):
        expected = scheme.score_person(own_events(events, person), as_of=as_of)
        got = assert_person(frame, pos, expected)
        for sanction in scorer.sanctions:
            assert bool(got[sanction]) == scheme.is_sanctioned(expected.tier)


@given(
    pop=populations(),
    as_of=MONTHS,
    expiry=st.one_of(st.none(), st.integers(1, 30)),
    scale=SCALES,
)
@settings(max_examples=60, deadline=None)
def test_suining_compiled_equals_its_specification(pop, as_of, expiry, scale):
    ids, events, _ = pop
    scorer = Suining(penalty_expiry_months=expiry, penalty_scale=scale)
    check_points(scorer, scorer.scheme, ids, events, as_of)


@given(
    pop=populations(),
    as_of=MONTHS,
    periods=st.tuples(st.integers(1, 6), st.integers(1, 18), st.integers(1, 40)),
    override=st.one_of(st.none(), st.integers(1, 30)),
    reward_months=st.integers(1, 24),
    reward_cap=st.sampled_from([0.0, 10.0, 25.0, 100.0]),
    scale=SCALES,
)
@settings(max_examples=60, deadline=None)
def test_rongcheng_compiled_equals_its_specification(pop, as_of, periods, override, reward_months, reward_cap, scale):
    ids, events, _ = pop
    minor, general, serious = periods
    scorer = Rongcheng(
        minor_expiry_months=minor, general_expiry_months=general, serious_expiry_months=serious,
        penalty_expiry_months=override, reward_months=reward_months, reward_cap=reward_cap, penalty_scale=scale,
    )
    check_points(scorer, scorer.scheme, ids, events, as_of)


def test_points_specification_by_hand():
    """Rongcheng at default parameters, worked out by hand: base 1,000, rewards capped, deductions expiring."""
    scheme = Rongcheng().scheme
    events = [
        Event(month=10, kind="drunk_driving"),  # serious: counts 36 months, -50
        Event(month=10, kind="traffic_violation"),  # minor: 3 months; age 10 at as_of 20, expired
        Event(month=15, kind="loan_arrears"),  # general: 12 months, -10
        Event(month=18, kind="volunteering", amount=12.5),  # 12 whole hours, capped at 10 per event
        Event(month=19, kind="blood_donation"),  # +10
        Event(month=19, kind="charity_donation", amount=299.0),  # 2 whole 100 yuan: +2
        Event(month=21, kind="contract_breach"),  # after as_of: not counted
    ]
    got = scheme.score_person(events, as_of=20)
    assert got.score == 1000.0 + (10.0 + 10.0 + 2.0) - (50.0 + 10.0)  # 962
    assert got.tier == "A"  # A: 960-1029
    assert got.reasons == ("drunk_driving", "loan_arrears")
    assert not scheme.is_sanctioned(got.tier) and scheme.is_sanctioned("C")


def test_reward_reads_whole_units_and_ignores_negative_or_missing_amounts():
    hourly = Reward(points=1.0, unit=1.0, cap=10.0)
    assert [hourly.award(a) for a in (0.99, 1.0, 3.7, 25.0, -4.0, math.nan, math.inf)] == [0, 1, 3, 10, 0, 0, 10]
    assert Reward(points=1.0, unit=0.01, cap=10.0).award(29.0 / 0.1) == 2.0  # 290 yuan: 2 whole 100s


@pytest.mark.parametrize(
    "change, message",
    [
        ({"lower_bounds": (970.0, 850.0)}, "lower_bounds has 2 entries for 4 tiers"),
        ({"lower_bounds": (850.0, 970.0, 600.0)}, "strictly decreasing"),
        ({"sanctioned_from": "E"}, "sanctioned_from = 'E'"),
        ({"deductions": {"jaywalking": 5.0}}, "deductions names ['jaywalking']"),
    ],
)
def test_a_malformed_scheme_names_the_field_and_the_fix(change, message):
    fields = {
        "base": 1000.0, "deductions": {"drunk_driving": 50.0}, "tiers": ("A", "B", "C", "D"),
        "lower_bounds": (970.0, 850.0, 600.0), "sanctioned_from": "C", "sanctions": {"loans": "finance"},
    }
    with pytest.raises(InvalidArgument, match=message.replace("[", r"\[").replace("(", r"\(")):
        PointsScheme(**{**fields, **change})


# ----------------------------------------------------------------------------- Sesame

INCOMES = st.sampled_from([math.nan, 0.0, 500.0, 2_000.0, 7_869.0, 26_249.0, 80_294.0, 250_000.0])


@given(
    pop=populations(),
    as_of=MONTHS,
    window=st.integers(1, 30),
    attributes=st.lists(
        st.tuples(INCOMES, st.sampled_from(EDUCATION_LEVELS), st.integers(16, 80)), min_size=8, max_size=8
    ),
)
@settings(max_examples=60, deadline=None)
def test_sesame_compiled_equals_its_specification(pop, as_of, window, attributes):
    ids, events, ties = pop
    income, education, age = (list(col)[: len(ids)] for col in zip(*attributes))
    frame = Sesame(window_months=window).score(
        view(people(ids, income=income, education=education, age=age), events, ties), as_of=as_of
    )
    counts = {p: sesame_spec.window_counts(own_events(events, p), as_of=as_of, window_months=window) for p in ids}
    attrs = {p: (income[i], education[i], float(age[i])) for i, p in enumerate(ids)}
    own = {p: sesame_spec.score_person(counts[p], income=a[0], education=a[1], age=a[2])[1] for p, a in attrs.items()}
    for pos, person in enumerate(ids):
        friends = [own[f] for p, f in ties if p == person and f in own]  # ties to absent people are ignored
        expected, _ = sesame_spec.score_person(
            counts[person], income=attrs[person][0], education=attrs[person][1], age=attrs[person][2],
            friends_own=friends,
        )
        got = assert_person(frame, pos, expected)
        assert bool(got["rental_deposit_required"]) == (expected.tier == "poor")


def test_sesame_specification_by_hand():
    """One person, worked out by hand from the documented formulas."""
    counts = {"on_time_repayment": 3, "loan_arrears": 1, "video_games": 2}
    history = (1 + 3) / (2 + 3 + 2.0)  # 4/7: one arrear weighs 2
    behaviour = 0.5 - 2 * 0.05  # 0.4
    capacity = (math.log(26_249.0) - math.log(2_000.0)) / (math.log(200_000.0) - math.log(2_000.0))
    identity = 0.6 * (1 / 3) + 0.4 * 1.0  # junior secondary (level 1 of 3), age 40
    own = (0.35 * history + 0.25 * capacity + 0.20 * behaviour + 0.15 * identity) / 0.95
    got, got_own = sesame_spec.score_person(counts, income=26_249.0, education="junior_secondary", age=40.0)
    assert got_own == pytest.approx(own, rel=1e-12)
    assert got.score == round(350 + 600 * (own * 0.95 + 0.05 * 0.5))
    # video games cost 600 * 0.2 * 0.1 = 12 points; the arrear costs the credit shortfall, 600 * 0.35 * (4/5 - 4/7)
    assert 600 * 0.35 * (4 / 5 - 4 / 7) == pytest.approx(48.0)
    assert got.reasons == ("loan_arrears", "video_games")


# ----------------------------------------------------------------------------- Joint Punishment


@given(
    pop=populations(kinds=("court_judgment_default", "judgment_performed", "drunk_driving")),
    as_of=MONTHS,
    params=st.sampled_from([(24, 12, 60), (5, 0, 7), (3, 2, 4), (1, 1, 1)]),
    honour=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_joint_punishment_compiled_equals_its_specification(pop, as_of, params, honour):
    ids, events, _ = pop
    listing, extension, longest = params
    scorer = JointPunishment(
        listing_months=listing, extension_months=extension, max_listing_months=longest, honour_performance=honour
    )
    frame = scorer.score(view(people(ids), events), as_of=as_of)
    for pos, person in enumerate(ids):
        until = listing_until(
            own_events(events, person), as_of=as_of, listing_months=listing, extension_months=extension,
            max_listing_months=longest, honour_performance=honour,
        )
        remaining = max(until - as_of, 0) if until is not None else 0
        got = frame.iloc[pos]
        assert got["score"] == -remaining
        assert got["tier"] == ("listed" if remaining > 0 else "not_listed")
        assert bool(got["flights"]) == (remaining > 0)


def test_a_subclass_with_parameters_of_its_own_applies_the_same_scheme():
    """Parameters a subclass adds for its own use are not part of the scheme (a plugin may extend Suining)."""
    from types import MappingProxyType

    class Extended(Suining):
        __slots__ = ()
        name = "extended"
        default_params = MappingProxyType({**Suining.default_params, "first_bad_block": 2})

    ids, events = [1, 2], [(1, 3, "drunk_driving", 0.0), (2, 5, "critical_post", 0.0)]
    scorer = Extended(penalty_scale=2.0)
    assert scorer.scheme == Suining(penalty_scale=2.0).scheme
    frame = scorer.score(view(people(ids), events), as_of=10)
    assert frame["score"].tolist() == [1000.0 - 2 * 50.0, 1000.0 - 2 * 10.0]
