"""unique_ids: the sort-and-compare replacement for np.unique on id columns; category_codes: codes without a copy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.population.columns import category_codes, rows_with_ids, unique_ids


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint16, np.int8, np.intp])
def test_equals_numpy_unique_on_random_ids(dtype):
    rng = np.random.default_rng(19)
    for size in (0, 1, 2, 3, 17, 1000):
        for high in (1, 5, 100, 10_000):
            ids = rng.integers(0, min(high, np.iinfo(dtype).max), size=size).astype(dtype)
            got = unique_ids(ids)
            want = np.unique(ids)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
            srt = np.sort(ids)
            got = unique_ids(srt, presorted=True)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_empty_input_keeps_dtype():
    for presorted in (False, True):
        got = unique_ids(np.zeros(0, dtype=np.int64), presorted=presorted)
        assert got.dtype == np.int64 and got.shape == (0,)


def test_duplicates_collapse_to_one_each():
    ids = np.array([7, 3, 3, 7, -2, 7, 0, 0, 0], dtype=np.int64)
    np.testing.assert_array_equal(unique_ids(ids), [-2, 0, 3, 7])
    np.testing.assert_array_equal(unique_ids(np.sort(ids), presorted=True), [-2, 0, 3, 7])
    np.testing.assert_array_equal(unique_ids(np.full(5, 4, dtype=np.int32)), [4])


def test_extremes_of_the_integer_range():
    info = np.iinfo(np.int64)
    ids = np.array([info.max, info.min, 0, info.max, info.min], dtype=np.int64)
    np.testing.assert_array_equal(unique_ids(ids), np.unique(ids))


def test_result_does_not_alias_input():
    ids = np.array([5], dtype=np.int64)
    out = unique_ids(ids, presorted=True)
    out[0] = 9
    assert ids[0] == 5


def test_other_shapes_and_dtypes_follow_numpy():
    grid = np.array([[3, 1], [1, 2]], dtype=np.int64)
    np.testing.assert_array_equal(unique_ids(grid), np.unique(grid))
    np.testing.assert_array_equal(unique_ids(np.array(4)), np.unique(np.array(4)))
    flags = np.array([True, False, True])
    np.testing.assert_array_equal(unique_ids(flags), np.unique(flags))
    floats = np.array([2.0, np.nan, 1.0, np.nan])
    np.testing.assert_array_equal(unique_ids(floats), np.unique(floats))


def test_rows_with_ids_unchanged_for_unsorted_duplicated_ids():
    column = np.array([1, 1, 2, 4, 4, 4, 9], dtype=np.int64)
    ids = np.array([4, 1, 4, 8, 1], dtype=np.int64)
    # the rows whose id is wanted, worked out by hand
    np.testing.assert_array_equal(rows_with_ids(column, ids), [0, 1, 3, 4, 5])
    np.testing.assert_array_equal(rows_with_ids(column, ids), np.flatnonzero(np.isin(column, ids)))


@pytest.mark.parametrize("extra", [0, 300])
def test_category_codes_are_the_series_codes_and_share_the_column(extra):
    categories = ["a", "b", "c", *(f"k{i}" for i in range(extra))]
    values = pd.Series(pd.Categorical(["c", None, "a", "b", "a"] * 3, categories=categories))
    codes = category_codes(values)
    assert codes.dtype == values.cat.codes.dtype  # int8 up to 127 categories, int16 beyond
    assert codes.tolist() == values.cat.codes.tolist() == [2, -1, 0, 1, 0] * 3
    assert np.shares_memory(codes, values.array.codes) and not codes.flags.writeable
