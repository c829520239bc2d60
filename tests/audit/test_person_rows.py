"""Per-batch offset tables give exactly the rows a search by id gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.engine.person_rows import PersonRows
from audit.population.model import Population, empty_ties, rows_with_ids, synthesize


def _population(people_ids, event_ids, tie_ids=None) -> Population:
    people = pd.DataFrame({"person_id": np.asarray(people_ids, dtype=np.int64)})
    events = pd.DataFrame({"person_id": np.asarray(event_ids, dtype=np.int64)})
    ties = empty_ties() if tie_ids is None else pd.DataFrame(
        {"person_id": np.asarray(tie_ids, dtype=np.int64), "friend_id": np.zeros(len(tie_ids), np.int64)}
    )
    return Population(people=people, events=events, ties=ties, horizon_months=12, synthetic=False)


def test_a_hand_made_batch():
    # people 10, 11, 12, 13; events: 10 x2, 12 x3, 13 x1 (11 has none); 99 is nobody in the batch
    pop = _population([10, 11, 12, 13], [10, 10, 12, 12, 12, 13, 99])
    index = PersonRows(population=pop)
    assert index.offsets("events") is not None
    assert index.rows_of("events", np.array([0, 2])).tolist() == [0, 1, 2, 3, 4]
    assert index.rows_of("events", np.array([1])).tolist() == []
    assert index.rows_of("events", np.array([3, 0])).tolist() == [0, 1, 5]  # any order in, ascending out
    assert index.rows_of("events", np.array([2, 2])).tolist() == [2, 3, 4]  # a repeated person counts once
    assert index.rows_of("events", np.zeros(0, np.int64)).tolist() == []
    assert index.rows_of("ties", np.array([0, 1])).tolist() == []


def test_unsorted_tables_fall_back_to_the_search_by_id():
    pop = _population([12, 10, 11], [10, 12, 10, 11])  # neither people nor events sorted
    index = PersonRows(population=pop)
    assert index.offsets("events") is None
    assert index.rows_of("events", np.array([1])).tolist() == [0, 2]  # person 10
    assert index.rows_of("events", np.array([0, 2])).tolist() == [1, 3]


ids_st = st.lists(st.integers(0, 40), min_size=0, max_size=30)


@settings(max_examples=200, deadline=None)
@given(people=st.sets(st.integers(0, 40), max_size=20), events=ids_st, ties=ids_st,
       picks=st.lists(st.integers(0, 19), max_size=25), sort_events=st.booleans())
def test_equals_rows_with_ids_on_any_tables(people, events, ties, picks, sort_events):
    people_ids = sorted(people)
    event_ids = sorted(events) if sort_events else events
    pop = _population(people_ids, event_ids, sorted(ties))
    index = PersonRows(population=pop)
    rows = np.array([p for p in picks if p < len(people_ids)], dtype=np.int64)
    ids = np.asarray(people_ids, dtype=np.int64)[rows]
    for table, column in (("events", event_ids), ("ties", sorted(ties))):
        expected = np.flatnonzero(np.isin(np.asarray(column, dtype=np.int64), ids))
        got = index.rows_of(table, rows)
        assert got.tolist() == expected.tolist()
        assert got.tolist() == rows_with_ids(np.asarray(column, dtype=np.int64), ids).tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_a_synthetic_batch_uses_offsets_and_agrees_with_isin(seed):
    pop = synthesize("china-2020", size=5_000, seed=seed)
    index = PersonRows(population=pop)
    assert index.offsets("events") is not None and index.offsets("ties") is not None
    rows = np.sort(np.random.default_rng(seed).choice(len(pop), 700, replace=False))
    ids = pop.people["person_id"].to_numpy()[rows]
    for table in ("events", "ties"):
        column = getattr(pop, table)["person_id"].to_numpy()
        assert np.array_equal(index.rows_of(table, rows), np.flatnonzero(np.isin(column, ids)))
    first, count = index.offsets("events")
    assert int(count.sum()) == len(pop.events)  # every event belongs to one person of the batch


def test_a_few_people_are_searched_for_and_many_build_the_table_once():
    pop = synthesize("china-2020", size=5_000, seed=3)
    index = PersonRows(population=pop)
    column = pop.events["person_id"].to_numpy()
    ids = pop.people["person_id"].to_numpy()
    few = np.array([4, 17, 4_000])  # 3 x 32 < 5,000 people: binary searches, no table
    assert np.array_equal(index.rows_of("events", few), np.flatnonzero(np.isin(column, ids[few])))
    assert index._offsets == {}
    many = np.arange(0, 5_000, 3)
    assert np.array_equal(index.rows_of("events", many), np.flatnonzero(np.isin(column, ids[many])))
    assert set(index._offsets) == {"events"}
    assert np.array_equal(index.rows_of("events", few), np.flatnonzero(np.isin(column, ids[few])))  # now from the table


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_compiled_offsets_equal_the_counting_formulation(seed):
    from audit.engine.batch_kernels import run_offsets

    rng = np.random.default_rng(seed)
    n, first_id = int(rng.integers(1, 400)), 7_000
    column = np.sort(rng.integers(first_id, first_id + n, int(rng.integers(0, 3000))))
    count = np.bincount(column - first_id, minlength=n)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    got_first, got_count = run_offsets(column, first_id, n)
    assert got_count.tolist() == count.tolist() and got_first.tolist() == first.tolist()


@pytest.mark.parametrize("people_ids", [[10, 11, 12, 13, 14], [10, 12, 13, 17], [3, 3, 4], [5]])
def test_people_rows_equal_rows_with_ids(people_ids):
    pop = _population(people_ids, [])
    index = PersonRows(population=pop)
    column = np.asarray(people_ids, dtype=np.int64)
    for wanted in ([12, 10, 99, 12], [], [14], [2, 3, 4, 5], [11, 13]):
        ids = np.asarray(wanted, dtype=np.int64)
        assert index.people_rows(ids).tolist() == rows_with_ids(column, ids).tolist()


def test_the_compiled_lookup_equals_numpy_indexing():
    from audit.engine.batch_kernels import lookup_codes

    rng = np.random.default_rng(5)
    table = rng.random(6) < 0.5
    codes = rng.integers(-1, 6, 10_000).astype(np.int8)  # -1: a missing category, indexed from the end as in numpy
    assert lookup_codes(table, codes).tolist() == table[codes].tolist()
    assert lookup_codes(table, codes[:0]).tolist() == []


@pytest.mark.parametrize("name", ["suining", "sesame"])
def test_the_favourable_mask_of_some_rows_is_the_whole_mask_at_those_rows(name):
    from audit.engine.contract import favourable_mask
    from scorers.registry import load_scorer

    scorer = load_scorer(name)
    pop = synthesize("tiny", size=3_000, seed=2)
    frame = scorer.score(pop.view(), as_of=pop.horizon_months - 1)
    rows = np.random.default_rng(1).choice(len(frame), 400, replace=False)
    want = frame["tier"].astype(str).isin(list(scorer.favourable_tiers)).to_numpy()[rows]
    assert 0 < want.sum() < want.size
    np.testing.assert_array_equal(favourable_mask(scorer, frame, rows), want)
    np.testing.assert_array_equal(favourable_mask(scorer, frame)[rows], want)


def _searched_runs(column, wanted):
    first = np.searchsorted(column, wanted, side="left")
    return first, np.searchsorted(column, wanted, side="right") - first


@settings(max_examples=300, deadline=None)
@given(column=st.lists(st.integers(-50, 400), max_size=400), wanted=st.sets(st.integers(-60, 420), max_size=60),
       skew=st.integers(0, 3))
def test_runs_in_lockstep_equal_numpy_searches(column, wanted, skew):
    """Runs of ids of any spread (``skew`` bunches the column) equal two searchsorted."""
    from audit.engine.batch_kernels import id_runs

    col = np.sort(np.asarray(column, dtype=np.int64) ** (skew + 1) // 400**skew)
    want = np.asarray(sorted(wanted), dtype=np.int64) ** (skew + 1) // 400**skew
    want = np.unique(want)
    first, count = id_runs(col, want)
    want_first, want_count = _searched_runs(col, want)
    np.testing.assert_array_equal(first, want_first)
    np.testing.assert_array_equal(count, want_count)
    mixed = np.r_[want[::-1], want[: len(want) // 2]]  # any order, repeats: each id answered on its own
    for got, expected in zip(id_runs(col, mixed), _searched_runs(col, mixed), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_runs_in_lockstep_on_a_synthetic_batch():
    from audit.engine.batch_kernels import id_runs

    pop = synthesize("tiny", size=20_000, seed=4)
    ids = pop.people["person_id"].to_numpy()
    rng = np.random.default_rng(0)
    for table in ("events", "ties"):
        column = getattr(pop, table)["person_id"].to_numpy()
        for k in (1, 30, 600, 20_000):
            wanted = np.sort(rng.choice(ids, k, replace=False))
            got = id_runs(column, wanted)
            for a, b in zip(got, _searched_runs(column, wanted), strict=True):
                np.testing.assert_array_equal(a, b)


def test_a_few_people_of_a_large_batch_are_found_by_search_without_the_table():
    pop = synthesize("tiny", size=20_000, seed=4)
    ids = pop.people["person_id"].to_numpy()
    index = PersonRows(population=pop)
    rows = np.array([3, 500, 501, 19_999, 7_000])
    for table in ("events", "ties"):
        column = getattr(pop, table)["person_id"].to_numpy()
        np.testing.assert_array_equal(index.rows_of(table, rows), np.flatnonzero(np.isin(column, ids[rows])))
    assert index._offsets == {}  # searched: no table built


@settings(max_examples=300, deadline=None)
@given(ids=st.lists(st.integers(-5, 5000), max_size=2_500), at=st.integers(0, 2_499), how=st.sampled_from(["sorted", "repeat", "drop", "raw"]))
def test_strictly_increasing_equals_numpy(ids, at, how):
    """Any list, and sorted distinct ids with one fault put anywhere (a stride's edge included): as numpy says."""
    from audit.engine.batch_kernels import _STRIDE, strictly_increasing

    values = np.asarray(ids, dtype=np.int64)
    if how != "raw":
        values = np.unique(values)
    if how in ("repeat", "drop") and values.size > 1:
        i = 1 + at % (values.size - 1)
        values[i] = values[i - 1] if how == "repeat" else values[i - 1] - 1
    assert strictly_increasing(values) == bool(np.all(values[1:] > values[:-1]))
    edge = np.arange(3 * _STRIDE, dtype=np.int64)
    for i in (1, _STRIDE - 1, _STRIDE, _STRIDE + 1, 3 * _STRIDE - 1):
        faulty = edge.copy()
        faulty[i] = faulty[i - 1]
        assert not strictly_increasing(faulty)
    assert strictly_increasing(edge) and strictly_increasing(edge[:1]) and strictly_increasing(edge[:0])


def test_repeated_people_ids_are_not_indexed_by_offsets():
    # people 10, 10, 11: sorted but an id repeats, so a person's run is not theirs alone; the search by id answers
    pop = _population([10, 10, 11], [10, 11, 11])
    index = PersonRows(population=pop)
    assert index.offsets("events") is None
    assert index.rows_of("events", np.array([2])).tolist() == [1, 2]
    assert index.people_rows(np.array([10])).tolist() == [0, 1]
    assert index.column("events") is index.column("events")  # read once per batch
