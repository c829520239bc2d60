"""Per-person hash randomness: the compiled sampler keeps exactly the rows the numpy comparison keeps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.randomness import person_uniform, rows_sampled


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**40),
    stream=st.sampled_from(["replay", "ground-truth", "attribution", 7]),
    rate=st.floats(0.0, 1.0),
    ids=st.lists(st.integers(-(2**62), 2**62), max_size=300),
)
def test_rows_sampled_equals_the_numpy_comparison(seed, stream, rate, ids):
    ids = np.array(ids, dtype=np.int64)
    want = np.flatnonzero(person_uniform(seed, stream, ids) < rate)
    np.testing.assert_array_equal(rows_sampled(seed, stream, ids, rate), want)


def test_rows_sampled_on_consecutive_ids_keeps_about_the_rate():
    ids = np.arange(10**6, 10**6 + 200_000)
    rows = rows_sampled(3, "replay", ids, 0.01)
    np.testing.assert_array_equal(rows, np.flatnonzero(person_uniform(3, "replay", ids) < 0.01))
    assert abs(rows.size - 2_000) < 5 * np.sqrt(2_000)  # binomial(200,000, 1%)
    assert rows_sampled(3, "replay", ids, 1.0).size == ids.size
    assert rows_sampled(3, "replay", ids, 0.0).size == 0


def test_non_integer_ids_take_the_numpy_way():
    ids = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(rows_sampled(0, "x", ids, 0.5), np.flatnonzero(person_uniform(0, "x", ids) < 0.5))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint64, np.uint16])
def test_the_compiled_uniforms_equal_the_numpy_formulation(dtype):
    from audit.randomness import _mix, _offset

    info = np.iinfo(dtype)
    ids = np.random.default_rng(4).integers(info.min, info.max, 5_000, dtype=dtype, endpoint=True)
    with np.errstate(over="ignore"):
        x = ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + _offset(9, "replay", 2)
        want = (_mix(x) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    got = person_uniform(9, "replay", ids, draw=2)
    assert got.dtype == np.float64 and got.tobytes() == want.tobytes()
    assert person_uniform(9, "replay", ids[:0]).shape == (0,)


def test_a_draw_per_person_still_broadcasts():
    ids = np.arange(100, 110, dtype=np.int64)
    draws = np.arange(10)
    got = person_uniform(3, "dynamics.keep", ids, draw=draws)
    want = [person_uniform(3, "dynamics.keep", ids[i : i + 1], draw=int(d))[0] for i, d in enumerate(draws)]
    assert got.tolist() == want
