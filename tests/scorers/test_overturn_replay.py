"""The overturn replay shared by the conformance check and the overturn assertion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scorers.checks import overturn_sample, replay_overturns


def log(person, month):
    return pd.DataFrame({"person_id": np.asarray(person, dtype=np.int64), "month": np.asarray(month, dtype=np.int64)})


def test_sample_takes_one_visible_event_per_person_sorted():
    events = log([1, 1, 2, 2, 3, 4, 4], [0, 5, 9, 3, 8, 1, 2])
    for seed in range(20):
        chosen = overturn_sample(events, as_of=4, rng=np.random.default_rng(seed), max_people=10)
        # visible at month 4: positions 0 (person 1), 3 (person 2), 5 and 6 (person 4); person 3 has none
        people = events["person_id"].to_numpy()[chosen]
        assert sorted(people.tolist()) == [1, 2, 4]
        assert (events["month"].to_numpy()[chosen] <= 4).all()
        assert chosen.tolist() == sorted(chosen.tolist())


def test_sample_keeps_at_most_max_people_and_is_empty_without_visible_events():
    events = log(np.arange(50), np.zeros(50))
    assert overturn_sample(events, as_of=0, rng=np.random.default_rng(1), max_people=7).size == 7
    assert overturn_sample(events, as_of=-1, rng=np.random.default_rng(1), max_people=7).size == 0


def test_replay_scores_never_then_full_then_removed():
    events = log([1, 2, 3], [0, 1, 2])
    seen = []

    def score(ev, what):
        seen.append((what, ev["person_id"].tolist()))
        return ev

    replay = replay_overturns(score, events, np.array([1]))
    assert seen == [
        ("log never holding the events", [1, 3]),
        ("full log", [1, 2, 3]),
        ("log with the events removed", [1, 3]),
    ]
    assert replay.never["person_id"].tolist() == replay.after["person_id"].tolist() == [1, 3]
