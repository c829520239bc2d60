"""Contagion: a friend's penalty moves a tie-reading scorer's outcome by a known amount."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.replay.contagion import ContagionAudit
from tests.audit._replay_fixtures import ExpiringList, FriendsList, audit, events, people, population, split


def ring(n: int) -> pd.DataFrame:
    """Person i names i + 1 (mod n) as a friend."""
    ids = np.arange(n, dtype=np.int64)
    return pd.DataFrame({"person_id": ids, "friend_id": (ids + 1) % n})


def test_one_penalised_friend_costs_one_point_and_worsens_the_tier():
    pop = population(people(10), events([(0, 0, "volunteering")]), ties=ring(10))
    sec = audit(pop, FriendsList(), ContagionAudit())
    assert sec["applicable"] is True and sec["measured"] == 10
    o = sec["overall"]
    # the friend's own score drops most with a court default (-10); the person loses 1 point,
    # falls from "ok" to "suspect" and is refused loans
    assert o["mean_score_change"] == -1.0
    assert o["tier_change_share"] == 1.0 and o["sanction_change_share"] == 1.0
    assert sec["penalty_kinds"] == {"court_judgment_default": 10}
    for g in sec["by_income_quintile"]:
        assert g["n"] == 2 and g["mean_score_change"] == -1.0


def test_a_friend_already_penalised_changes_nothing_more():
    # everyone's friend already has a default: one more default does not change "has a bad friend"
    pop = population(people(6), events([(i, 1, "court_judgment_default") for i in range(6)]), ties=ring(6))
    o = audit(pop, FriendsList(), ContagionAudit())["overall"]
    assert o["mean_score_change"] == 0.0 and o["tier_change_share"] == 0.0


def test_people_without_friends_are_not_measured():
    pop = population(people(4), events([(0, 0, "volunteering")]))
    sec = audit(pop, FriendsList(), ContagionAudit())
    assert sec["applicable"] is True and sec["measured"] == 0 and sec["overall"]["mean_score_change"] is None


def test_scorers_that_do_not_read_ties_are_not_applicable():
    pop = population(people(4), events([(0, 0, "volunteering")]), ties=ring(4))
    assert audit(pop, ExpiringList(), ContagionAudit()) == {
        "applicable": False, "reason": "the scorer does not declare that it reads ties (tags.uses_ties)"
    }


def test_contagion_does_not_depend_on_chunking():
    ties = pd.concat([ring(8), ring(8) + 8], ignore_index=True)  # two rings, 0-7 and 8-15
    pop = population(people(16), events([(i, i, "court_judgment_default") for i in range(0, 16, 3)]), ties=ties)
    whole = audit(pop, FriendsList(), ContagionAudit())
    assert whole == audit(split(pop, 8), FriendsList(), ContagionAudit())
    assert whole == audit(split(pop, 8)[::-1], FriendsList(), ContagionAudit())


def test_people_at_the_end_without_friends_are_counted_as_friendless():
    # persons 0-5 name a friend among themselves; persons 6-9, the last rows, name nobody
    ties = pd.DataFrame({"person_id": np.arange(6, dtype=np.int64), "friend_id": (np.arange(6) + 1) % 6})
    pop = population(people(10), events([(0, 0, "volunteering")]), ties=ties)
    sec = audit(pop, FriendsList(), ContagionAudit())
    # only the six people with a friend are measured; each loses one point as in the ring above
    assert sec["measured"] == 6 and sec["overall"]["mean_score_change"] == -1.0


def test_a_friendless_person_between_others_is_not_given_a_friend():
    # person 2 names nobody; everyone else names the next person
    ids = np.array([0, 1, 3, 4], dtype=np.int64)
    ties = pd.DataFrame({"person_id": ids, "friend_id": (ids + 1) % 5})
    pop = population(people(5), events([(0, 0, "volunteering")]), ties=ties)
    assert audit(pop, FriendsList(), ContagionAudit())["measured"] == 4
