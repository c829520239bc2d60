"""Replays keep each person's id: a scorer keyed on person_id gets no invented findings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.replay.reversibility import ReversibilityAudit
from audit.replay.sample import replay_sample
from audit.replay.scoring import ids_matter
from audit.replay.spillover import SpilloverAudit
from tests.audit._replay_fixtures import ExpiringList, FriendsList, HandScorer, audit, events, people, population
from tests.audit.test_replay import chunk_of

N = 60


class IdLookup(HandScorer):
    """A precomputed score looked up by person id: people 0, 3, 6, ... are listed; unknown ids get 0 (not listed).

    Its output never depends on conduct: the truth is that every listed person stays listed (absorbing share 1)
    and no event, overturned or not, changes anything.
    """

    name = "lookup"

    def __init__(self, **params):
        super().__init__(**params)
        self.table = {i: (1.0 if i % 3 == 0 else 0.0) for i in range(N)}

    def _score(self, view, as_of):
        ids = view.people["person_id"].to_numpy()
        listed = np.array([self.table.get(int(i), 0.0) for i in ids]) > 0
        return -listed.astype(float), listed.astype(np.int64), {"rail": listed}


def _population():
    rows = [(i, 1 + i % 5, "court_judgment_default") for i in range(N)] + [(i, 2, "traffic_violation") for i in range(0, N, 2)]
    return population(people(N), events(rows))


def test_an_id_keyed_scorer_gets_its_true_reversibility():
    pop = _population()
    listed = N // 3
    rev = audit(pop, IdLookup(), ReversibilityAudit())
    # old replays scored edited copies under fresh ids, which the table does not know: every overturn "changed" the
    # state and every listed person "recovered" (absorbing share 0); kept ids give the truth
    assert rev["overturn_violations"] == 0 and rev["overturn_checked"] == N
    assert rev["absorbing"]["sanctioned"] == listed
    assert rev["absorbing"]["precluded"] == listed
    assert rev["absorbing_share"] == 1.0
    assert rev["recovery"]["n"] == 0  # no event ever changes the state: nobody has a first penalty


def test_an_id_keyed_scorer_has_no_invented_spillover():
    sec = audit(_population(), IdLookup(), SpilloverAudit())
    listed = N // 3
    # sanctions need no conduct at all: every one is attributed to `none`, none to traffic or judicial conduct
    assert sec["matrix"]["none"]["travel"] == listed
    assert sec["matrix"]["traffic"]["travel"] == 0 and sec["matrix"]["judicial"]["travel"] == 0
    assert sec["unrelated_sanctions"] == 0 and sec["without_conduct"] == listed
    assert sec["probes"]["conduct_matters"] is False
    assert sec["probes"]["spillover"] == []


def test_ids_matter_only_for_the_id_keyed_scorer():
    pop = _population()
    assert ids_matter(IdLookup(), replay_sample(chunk_of(pop, IdLookup())))
    assert not ids_matter(ExpiringList(), replay_sample(chunk_of(pop, ExpiringList())))


class KeyedFriendsList(FriendsList):
    """FriendsList plus a fixed per-person offset looked up by id (a precomputed base score)."""

    name = "keyed_friends"

    def _score(self, view, as_of):
        score, tier, sanctions = super()._score(view, as_of)
        ids = view.people["person_id"].to_numpy()
        return score + np.where(ids < 1000, 0.25 * (ids % 3), 0.0), tier, sanctions


def test_an_id_keyed_tie_reader_is_replayed_under_own_ids_with_the_same_contagion():
    # a ring of friends: each person names the next; the per-id offset cancels in every difference the audit takes,
    # so replaying under the people's own ids (in rounds, friends kept apart) gives FriendsList's records exactly
    from audit.replay.contagion import ContagionAudit

    ids = np.arange(12, dtype=np.int64)
    ties = pd.DataFrame({"person_id": ids, "friend_id": (ids + 1) % 12})
    pop = population(people(12), events([(0, 0, "volunteering")]), ties=ties)
    keyed = audit(pop, KeyedFriendsList(), ContagionAudit())
    plain = audit(pop, FriendsList(), ContagionAudit())
    assert ids_matter(KeyedFriendsList(), replay_sample(chunk_of(pop, KeyedFriendsList())))
    assert keyed["overall"] == plain["overall"] and keyed["penalty_kinds"] == plain["penalty_kinds"]
    assert keyed["overall"]["mean_score_change"] == -1.0 and keyed["measured"] == 12


def test_a_scorer_blind_to_conduct_is_reported_as_such_with_its_true_absorbing_share():
    from audit.report.findings import build_findings
    from tests.audit.report.documents import whole_results

    pop = _population()
    doc = {"scorers": [{"label": "lookup", "reversibility": audit(pop, IdLookup(), ReversibilityAudit()),
                        "spillover": audit(pop, IdLookup(), SpilloverAudit())}]}
    texts = [(f.level, f.text) for f in build_findings(whole_results(doc))]
    assert any(lvl == "violation" and t.startswith("lookup (rule probe): the output does not depend on recorded conduct")
               for lvl, t in texts)
    # no invented overturn violation; the 20 listed people are all stuck (fewer than 30: not enough for a share headline)
    assert not any("overturning an event did not restore" in t for _, t in texts)
    assert any(t.startswith("lookup: not enough evidence on how often sanctioned people are in an absorbing state (20 of 20 are)")
               for _, t in texts)
