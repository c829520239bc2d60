"""Replay helpers: person-hash sampling, variant ids, views with friends, month-by-month timelines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.engine.contract import AuditOptions, ScoredChunk, score_checked
from audit.population.groups import layout_for
from audit.population.model import events_frame, rows_with_ids
from audit.replay.sample import (
    MAX_VARIANTS_PER_PERSON,
    EventArrays,
    Variants,
    clone_ids,
    replay_sample,
    sample_mask,
    sample_rate,
)
from audit.replay.scoring import _EventIndex, score_variants
from audit.replay.timeline import run_timeline
from tests.audit._replay_fixtures import ExpiringList, FriendsList, events, people, population


def chunk_of(pop, scorer, **options):
    opts = AuditOptions(**{"replay_sample": len(pop), "population_size": len(pop), **options})
    layout = layout_for(())
    view = pop.view()
    as_of = pop.horizon_months - 1
    return ScoredChunk(
        population=pop, view=view, scorer=scorer, label="s", frame=score_checked(scorer, view, as_of=as_of),
        cells=layout.encode(pop.people), layout=layout, options=opts, as_of=as_of,
    )


def test_sample_depends_on_the_person_not_on_the_chunk():
    ids = np.arange(10_000, dtype=np.int64)
    rate = sample_rate(2000, 10_000)
    whole = ids[sample_mask(ids, seed=3, rate=rate)]
    shuffled = np.random.default_rng(1).permutation(ids)
    parts = np.concatenate([p[sample_mask(p, seed=3, rate=rate)] for p in np.array_split(shuffled, 7)])
    assert np.array_equal(np.sort(parts), whole)
    # binomial(10,000, 0.2): mean 2,000, sd 40
    assert abs(whole.size - 2000) < 5 * 40
    assert not np.array_equal(whole, ids[sample_mask(ids, seed=4, rate=rate)])
    assert sample_mask(ids, seed=3, rate=sample_rate(20_000, 10_000)).all()


def test_sample_rate_refuses_a_negative_sample():
    with pytest.raises(ValueError, match="replay_sample"):
        sample_rate(-1, 100)


def test_clone_ids_are_distinct_and_clear_of_real_ids():
    pid = np.repeat(np.arange(50, dtype=np.int64), 3)
    k = np.tile(np.array([0, 1, MAX_VARIANTS_PER_PERSON - 1]), 50)
    a = clone_ids("appeal.minus", pid, k)
    b = clone_ids("reversibility.fresh", pid, k)
    assert np.unique(np.concatenate([a, b])).size == 300
    assert a.min() >= 1 << 46
    with pytest.raises(ValueError):
        clone_ids("appeal.minus", pid[:1], MAX_VARIANTS_PER_PERSON)
    huge = clone_ids("appeal.minus", np.array([1 << 40, -5], dtype=np.int64))
    assert huge.min() >= 1 << 46 and huge[0] != huge[1]


def test_event_frame_matches_the_population_dtypes():
    ev = events([(0, 1, "traffic_violation"), (1, 2, "volunteering")])
    mine = EventArrays.from_frame(ev).frame()
    ref = events_frame(
        ev["person_id"].to_numpy(), ev["month"].to_numpy(), ev["kind"].cat.codes.to_numpy(),
        ev["source"].cat.codes.to_numpy(), ev["amount"].to_numpy(), None,
    )
    pd.testing.assert_frame_equal(mine, ref)


def test_event_index_gathers_what_a_filter_would_select():
    rng = np.random.default_rng(0)
    n_ev, n_var = 500, 40
    owner = rng.integers(0, n_var, n_ev)
    month = rng.integers(0, 60, n_ev)
    z = np.zeros(n_ev, dtype=np.int64)
    arrays = EventArrays(person=owner, month=month, kind=z, source=z, amount=np.zeros(n_ev), genuine=np.ones(n_ev, bool))
    variants = Variants(base=np.zeros(n_var, np.int64), ids=np.arange(n_var), events=arrays, owner=owner)
    index = _EventIndex(variants)
    for as_of in (-1, 0, 17, 59, 80):
        rows = np.sort(rng.choice(n_var, 15, replace=False))
        got = np.sort(index.select(rows, as_of))
        want = np.flatnonzero(np.isin(owner, rows) & (month <= as_of))
        assert np.array_equal(got, want)


def test_event_index_orders_each_call_by_variant_then_month_keeping_ties_in_log_order():
    # months from -5 (the key is offset by the smallest), many events sharing a (variant, month)
    rng = np.random.default_rng(1)
    n_ev, n_var = 800, 30
    owner = rng.integers(0, n_var, n_ev)
    month = rng.integers(-5, 12, n_ev)
    z = np.zeros(n_ev, dtype=np.int64)
    arrays = EventArrays(person=owner, month=month, kind=z, source=z, amount=np.zeros(n_ev), genuine=np.ones(n_ev, bool))
    index = _EventIndex(Variants(base=np.zeros(n_var, np.int64), ids=np.arange(n_var), events=arrays, owner=owner))
    by_variant_then_month = sorted(range(n_ev), key=lambda i: (owner[i], month[i]))  # Python's sort is stable
    for as_of in (-6, -5, 0, 7, 11, 40):
        rows = np.sort(rng.choice(n_var, 12, replace=False))
        want = [i for i in by_variant_then_month if owner[i] in rows and month[i] <= as_of]
        assert index.select(rows, as_of).tolist() == want


def test_variants_of_a_tie_reader_see_their_base_persons_friends():
    ties = pd.DataFrame({"person_id": [0, 1], "friend_id": [1, 2]})
    pop = population(people(3), events([(2, 1, "court_judgment_default")]), ties=ties)
    chunk = chunk_of(pop, FriendsList())
    sample = replay_sample(chunk)
    assert sample.n == 3 and sample.uses_ties
    # copies of persons 0 and 1 under fresh ids: only person 1's friend (2) has a default
    v = Variants.build(sample, base=np.array([0, 1]), ids=clone_ids("contagion.person", np.array([0, 1])))
    st = score_variants(chunk.scorer, sample, v, as_of=5)
    assert st.score.tolist() == [0.0, -1.0]
    assert st.sanctions[:, 0].tolist() == [False, True]


def test_only_friends_of_the_sampled_join_the_context():
    ties = pd.DataFrame({"person_id": np.arange(6), "friend_id": (np.arange(6) + 1) % 6})
    pop = population(people(6), events([(0, 1, "volunteering")]), ties=ties)
    chunk = chunk_of(pop, FriendsList(), replay_sample=3, population_size=6)
    sample = replay_sample(chunk)
    sampled = set(sample.ids[: sample.n].tolist())
    context = set(sample.ids[sample.n :].tolist())
    assert context == {(i + 1) % 6 for i in sampled} - sampled
    plain = replay_sample(chunk_of(pop, ExpiringList(), replay_sample=3, population_size=6))
    assert len(plain.people) == plain.n  # a scorer that does not read ties gets no context


def test_coarse_variants_are_scored_on_the_grid_and_in_their_last_month():
    pop = population(people(1), events([(0, 0, "volunteering")]))
    chunk = chunk_of(pop, ExpiringList())
    sample = replay_sample(chunk)
    v = Variants.build(sample, base=np.array([0, 0]), ids=clone_ids("reversibility.plans", np.array([0, 0]), np.array([0, 1])))
    seen: dict[int, list[int]] = {0: [], 1: []}

    def step(rows, month, st):
        for r in rows:
            seen[int(r)].append(month)
        return np.zeros(rows.size, dtype=bool)

    run_timeline(chunk.scorer, sample, v, start=0, end=70, step=step, coarse=np.array([False, True]))
    assert seen[0] == list(range(1, 71))
    assert seen[1] == list(range(1, 37)) + list(range(39, 61, 3)) + [66, 70]


def test_timeline_stops_following_a_variant_once_its_step_says_done():
    pop = population(people(1), events([(0, 0, "volunteering")]))
    chunk = chunk_of(pop, ExpiringList())
    sample = replay_sample(chunk)
    v = Variants.build(sample, base=np.array([0]), ids=clone_ids("reversibility.plans", np.array([0])))
    months = []

    def step(rows, month, st):
        months.append(month)
        return np.array([month >= 4])

    run_timeline(chunk.scorer, sample, v, start=np.array([1]), end=np.array([30]), step=step)
    assert months == [2, 3, 4]


@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "unsorted"])
def test_rows_with_ids_equals_the_full_scan(shuffle):
    rng = np.random.default_rng(5)
    for _ in range(300):
        column = np.sort(rng.integers(0, 30, rng.integers(0, 60)))
        if shuffle:
            rng.shuffle(column)
        ids = rng.integers(-3, 35, rng.integers(0, 12))
        for wanted in (ids, ids.astype(np.int32), ids.astype(np.float64)):
            expected = np.flatnonzero(np.isin(column, wanted))
            np.testing.assert_array_equal(rows_with_ids(column, wanted), expected)
            if not shuffle:  # a column known to be sorted skips the check and gives the same rows
                np.testing.assert_array_equal(rows_with_ids(column, wanted, presorted=True), expected)


def test_population_knows_which_tables_are_sorted_by_person():
    from audit.population.model import synthesize

    pop = synthesize("tiny", size=300, seed=1)
    assert pop.sorted_by_person("people") and pop.sorted_by_person("events") and pop.sorted_by_person("ties")
    shuffled = pop.with_events(pop.events.iloc[::-1].reset_index(drop=True))
    assert not shuffled.sorted_by_person("events")  # a new log is checked afresh
    assert shuffled.sorted_by_person("ties")


def test_run_tracks_takes_the_tracks_over_and_frees_their_variants_while_the_timeline_runs():
    """The combined copy is all the timeline needs: the tracks' own variants are freed before the first call."""
    import gc
    import weakref

    from audit.replay.sample import Variants, replay_sample
    from audit.replay.timeline import Track, run_tracks

    rows = [(0, 1, "court_judgment_default"), (1, 2, "traffic_violation"), (2, 3, "volunteering")]
    pop = population(people(4), events(rows))
    sample = replay_sample(chunk_of(pop, ExpiringList()))
    base = np.arange(sample.n)
    variants = Variants.build(sample, base=base, ids=sample.ids[base] + 1000)
    original = weakref.ref(variants.events.person)
    seen: list[tuple[int, bool]] = []

    def step(rows, month, st):
        seen.append((month, original() is not None))
        return np.zeros(rows.size, dtype=bool)

    tracks = [Track(variants=variants, start=sample.as_of - 2, end=sample.as_of, step=step)]
    del variants
    run_tracks(ExpiringList(), sample, tracks)
    gc.collect()
    assert tracks == []
    assert [m for m, _ in seen] == [sample.as_of - 1, sample.as_of]  # every month of the window was scored
    assert not any(alive for _, alive in seen)  # and the original variants were gone by then
