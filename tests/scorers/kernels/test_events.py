"""Every way of handing a scorer the same people and events gives the same scores.

The compiled scorers take a synthetic chunk (consecutive int64 ids, events
grouped by person, categorical kinds) as it is, regroup events that are not
grouped, and send any other table through the general row lookup first
(:mod:`scorers._kernels._events`). Whatever the path, the frame must be the one of
the plain chunk: row for row the same person, bit for bit the same score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.population.model import PopulationView, synthesize
from scorers.joint_punishment import JointPunishment
from scorers.rongcheng import Rongcheng
from scorers.sesame import Sesame
from scorers.suining import Suining

SCORERS = [
    Suining(),
    Suining(penalty_expiry_months=12, penalty_scale=0.37),
    Rongcheng(),
    Rongcheng(penalty_expiry_months=5, reward_cap=7.5, reward_months=2),
    JointPunishment(),
    JointPunishment(honour_performance=False, listing_months=3, extension_months=1, max_listing_months=4),
    Sesame(),
    Sesame(window_months=2),
]


@pytest.fixture(scope="module")
def base() -> PopulationView:
    return synthesize("tiny", size=1500, seed=11).view()


def relabel(view: PopulationView, f) -> PopulationView:
    """The same population with every person id mapped through ``f``."""
    people, events, ties = view.people.copy(), view.events.copy(), view.ties.copy()
    people["person_id"] = f(people["person_id"].to_numpy())
    events["person_id"] = f(events["person_id"].to_numpy())
    ties["person_id"], ties["friend_id"] = f(ties["person_id"].to_numpy()), f(ties["friend_id"].to_numpy())
    return PopulationView(people=people, events=events, ties=ties, horizon_months=view.horizon_months)


def variants(view: PopulationView, rng: np.random.Generator):
    """(name, view, rows of the base frame each row of its frame should equal)."""
    n = len(view.people)
    everyone = np.arange(n)
    ev = view.events
    yield "events shuffled", PopulationView(
        people=view.people, events=ev.iloc[rng.permutation(len(ev))], ties=view.ties.iloc[rng.permutation(len(view.ties))],
        horizon_months=view.horizon_months,
    ), everyone
    perm = rng.permutation(n)
    yield "people shuffled", PopulationView(
        people=view.people.iloc[perm], events=ev, ties=view.ties, horizon_months=view.horizon_months
    ), perm
    for name, column, dtype in [
        ("object kinds", "kind", object),
        ("string kinds", "kind", "str"),
        ("kinds in another order", "kind", pd.CategoricalDtype(sorted(ev["kind"].cat.categories))),
        ("int32 months", "month", np.int32),
        ("int64 months", "month", np.int64),
    ]:
        plain = ev.copy()
        plain[column] = plain[column].astype(dtype)
        yield name, PopulationView(
            people=view.people, events=plain, ties=view.ties, horizon_months=view.horizon_months
        ), everyone
    yield "ids with gaps", relabel(view, lambda ids: ids * 3 + 1000), everyone
    yield "float ids", relabel(view, lambda ids: ids.astype(np.float64)), everyone
    descending = view.people.iloc[::-1]
    yield "ids descending", PopulationView(
        people=descending, events=ev, ties=view.ties, horizon_months=view.horizon_months
    ), everyone[::-1]


@pytest.mark.parametrize("scorer", SCORERS, ids=repr)
def test_every_path_gives_the_frame_of_the_plain_chunk(base, scorer):
    rng = np.random.default_rng(5)
    for as_of in (base.horizon_months - 1, base.horizon_months // 2):
        expected = scorer.score(base, as_of=as_of)
        for name, view, rows in variants(base, rng):
            got = scorer.score(view, as_of=as_of)
            want = expected.iloc[rows].set_axis(view.people.index)
            pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"{name}, as_of={as_of}")
            assert got["score"].to_numpy().view(np.int64).tolist() == want["score"].to_numpy().view(np.int64).tolist()


@pytest.mark.parametrize("scorer", SCORERS, ids=repr)
def test_absent_people_and_unknown_kinds_count_for_nothing(base, scorer):
    # dropping a third of the people leaves the others' scores; events of unknown kinds change nothing
    as_of = base.horizon_months - 1
    expected = scorer.score(base, as_of=as_of)
    keep = np.arange(len(base.people)) % 3 != 1
    ev = base.events.copy()
    extra = ev.iloc[: len(ev) // 4].copy()
    extra["kind"] = "not_a_kind"
    ev = pd.concat([ev.astype({"kind": object}), extra.astype({"kind": object})], ignore_index=True)
    people = base.people[keep]
    ties = base.ties[np.isin(base.ties["friend_id"], people["person_id"])]  # friends of the kept people only
    got = scorer.score(
        PopulationView(people=people, events=ev, ties=ties, horizon_months=base.horizon_months), as_of=as_of
    )
    if scorer.name == "sesame":  # friends' own scores are unchanged, but some friends are gone
        expected = scorer.score(
            PopulationView(people=base.people, events=base.events, ties=ties, horizon_months=base.horizon_months),
            as_of=as_of,
        )
    pd.testing.assert_frame_equal(got, expected[keep], check_exact=True)


@pytest.mark.parametrize("scorer", SCORERS, ids=repr)
def test_no_people(base, scorer):
    view = PopulationView(people=base.people.iloc[:0], events=base.events, ties=base.ties, horizon_months=24)
    out = scorer.score(view, as_of=23)
    assert len(out) == 0 and list(out.columns[:2]) == ["score", "tier"]
