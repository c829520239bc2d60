"""The generator counts in-degrees as it draws ties, and the in-degree cap trusts that count.

A synthetic chunk's ties are capped at ``max_in_degree`` people per friend
(:func:`audit.population.tie_bound.cap_in_degree`) before scoring. The tie kernel
counts how often each person is named as it writes the ties, so the cap skips
its own pass when nobody is over the bound; the ties kept must be exactly
those of the cap applied to the uncapped ties.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from audit.errors import InvalidArgument
from audit.population.source import PopulationSource
from audit.population.spec import load_spec
from audit.population.synth import BLOCK_SIZE, drawn_chunk
from audit.population.tie_bound import MAX_IN_DEGREE, cap_in_degree
from tests.audit.test_synth import assert_identical


@pytest.fixture(scope="module")
def china():
    return load_spec("china-2020")


@pytest.mark.parametrize(("size", "blocks"), [(2 * BLOCK_SIZE + 777, (0, 3)), (5000, (0, 1)), (3 * BLOCK_SIZE, (1, 3))])
def test_most_listed_is_the_largest_in_degree(china, size, blocks):
    fields, most = drawn_chunk(china, seed=3, size=size, blocks=blocks)
    friend = fields["ties"]["friend_id"].to_numpy()
    assert most == np.bincount(friend - friend.min()).max() > 0


def test_most_listed_without_ties_is_zero(china):
    fields, most = drawn_chunk(dataclasses.replace(china, friends_per_person=0), seed=3, size=4000, blocks=(0, 1))
    assert len(fields["ties"]) == 0 and most == 0


@pytest.mark.parametrize("max_in_degree", [1, 3, MAX_IN_DEGREE])
def test_a_synthetic_chunk_keeps_the_ties_the_cap_keeps(china, max_in_degree):
    size, blocks = 2 * BLOCK_SIZE + 777, (1, 3)
    uncapped = drawn_chunk(china, seed=8, size=size, blocks=blocks)[0]["ties"]
    chunk = PopulationSource(spec=china, size=size, seed=8, max_in_degree=max_in_degree).chunk(blocks)
    want = cap_in_degree(uncapped, max_in_degree)
    assert_identical(chunk.ties, want)
    if max_in_degree < MAX_IN_DEGREE:  # the bound bites: ties were dropped
        assert len(want) < len(uncapped)
    else:  # the shipped bound is above every in-degree the spec draws: every tie kept
        assert_identical(chunk.ties, uncapped)


def test_cap_trusts_a_count_at_or_under_the_bound_and_counts_again_above_it(china):
    ties = drawn_chunk(china, seed=2, size=6000, blocks=(0, 1))[0]["ties"]
    most = int(np.bincount(ties["friend_id"].to_numpy()).max())
    assert cap_in_degree(ties, most, most_listed=most) is ties
    assert_identical(cap_in_degree(ties, most - 1, most_listed=most), cap_in_degree(ties, most - 1))
    assert len(cap_in_degree(ties, most - 1, most_listed=most)) < len(ties)


@pytest.mark.parametrize("bad", [0, -2, True, 2.5])
def test_a_bad_bound_is_refused_even_with_a_count(china, bad):
    ties = drawn_chunk(china, seed=2, size=600, blocks=(0, 1))[0]["ties"]
    with pytest.raises(InvalidArgument, match="max_in_degree"):
        cap_in_degree(ties, bad, most_listed=0)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_ties_to_busy_friends_are_the_numpy_formulation(dtype):
    """The compiled count (one int32 array over the ids' range) finds the rows numpy's bincount finds."""
    from audit.population.tie_bound import _ties_to_busy_friends

    rng = np.random.default_rng(3)
    for size, span, above in ((0, 1, 1), (1, 1, 0), (5_000, 800, 8), (5_000, 800, 60), (20_000, 50, 400), (3_000, 2_999, 1)):
        friend = (rng.integers(0, span, size) - span // 2 + 10**6).astype(dtype)
        counts = np.bincount(friend.astype(np.int64) - (int(friend.min()) if size else 0)) if size else np.zeros(0, int)
        want = np.flatnonzero(counts[friend.astype(np.int64) - int(friend.min())] > above) if size else np.zeros(0, int)
        got = _ties_to_busy_friends(friend, above)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want)
    spread = np.array([0, 10**9, 10**9, 5], dtype=np.int64)  # not a compact range: np.unique's counts
    np.testing.assert_array_equal(_ties_to_busy_friends(spread, 1), [1, 2])


@pytest.mark.parametrize("max_in_degree", [1, 2, 50])
def test_capping_in_place_keeps_the_rows_the_frame_cap_keeps(max_in_degree):
    """The generator caps its own tie columns in place: the same rows, in the same order, as cap_in_degree's copy."""
    import pandas as pd

    from audit.population.tie_bound import cap_in_degree_in_place

    rng = np.random.default_rng(max_in_degree)
    person = np.sort(rng.integers(0, 400, 3_000)).astype(np.int64)
    friend = rng.integers(0, 400, 3_000).astype(np.int64)
    want = cap_in_degree(pd.DataFrame({"person_id": person, "friend_id": friend}), max_in_degree)
    p, f = person.copy(), friend.copy()
    kept = cap_in_degree_in_place(p, f, max_in_degree)
    assert kept == len(want) <= person.size
    np.testing.assert_array_equal(p[:kept], want["person_id"].to_numpy())
    np.testing.assert_array_equal(f[:kept], want["friend_id"].to_numpy())
    if max_in_degree == 50:  # nothing to drop: the columns are left as they were
        assert kept == person.size and np.array_equal(p, person) and np.array_equal(f, friend)


def test_a_bad_bound_is_refused_by_the_generator(china):
    with pytest.raises(InvalidArgument, match="max_in_degree"):
        drawn_chunk(china, seed=2, size=600, blocks=(0, 1), max_in_degree=0)
