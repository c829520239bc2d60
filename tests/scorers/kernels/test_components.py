"""The one-pass kernels beside the per-person ones give bit for bit what their numpy formulation gives.

Sesame's capacity and identity (:func:`scorers._kernels._compiled.person_components`), the
judgment-defaulter list's score and listed flag
(:func:`scorers._kernels._listing.listing_outcome`) and the consecutive-id
test (:func:`scorers._kernels._arrays.is_consecutive`) each replaced a few
numpy passes; here each is run on random inputs drawn from small value sets
(NaN, infinities, values below the floors, missing codes are common) and
compared with the numpy expressions the scorers used before.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorers._kernels._arrays import is_consecutive
from scorers._kernels._compiled import income_for_log, person_components
from scorers._kernels._listing import listing_outcome
from scorers.sesame import IDENTITY_EDUCATION_SHARE, IDENTITY_FULL_AGE, INCOME_CEILING, INCOME_FLOOR

SEEDS = st.integers(0, 2**32 - 1)


def bits(x: np.ndarray) -> list[int]:
    return np.asarray(x, dtype=np.float64).view(np.int64).tolist()


def components_by_numpy(income, education, age):
    """Capacity and identity as ``Sesame.score`` computed them in numpy."""
    income = np.nan_to_num(income, nan=INCOME_FLOOR)
    lo, hi = np.log(INCOME_FLOOR), np.log(INCOME_CEILING)
    capacity = np.clip((np.log(np.maximum(income, 1.0)) - lo) / (hi - lo), 0.0, 1.0)
    edu = np.maximum(education, 0).astype(np.float64)
    age = np.nan_to_num(age, nan=18.0)
    identity = IDENTITY_EDUCATION_SHARE * np.clip(edu / 3.0, 0.0, 1.0) + (
        1.0 - IDENTITY_EDUCATION_SHARE
    ) * np.clip((age - 18.0) / (IDENTITY_FULL_AGE - 18.0), 0.0, 1.0)
    return capacity, identity


@given(seed=SEEDS, n=st.integers(0, 300))
@settings(max_examples=80, deadline=None)
def test_capacity_and_identity_are_the_numpy_formulation(seed, n):
    rng = np.random.default_rng(seed)
    income = rng.choice(
        [np.nan, np.inf, -np.inf, -5.0, -0.0, 0.0, 0.5, 1.0, 1999.0, 2000.0, 27540.0, 199999.9, 2e5, 1e9, 1e308], n
    ) * rng.choice([1.0, 1.0, 0.999, 1.37], n)
    education = rng.integers(-1, 4, n).astype(np.int8)
    age = rng.choice([np.nan, np.inf, -np.inf, -1.0, 0.0, 17.9, 18.0, 18.5, 26.0, 35.0, 35.1, 90.0, 1e300], n)
    income_log = income_for_log(income, INCOME_FLOOR)
    capacity, identity = person_components(
        np.log(income_log, out=income_log), float(np.log(INCOME_FLOOR)), float(np.log(INCOME_CEILING)),
        education, 3.0, age, 18.0, IDENTITY_EDUCATION_SHARE, IDENTITY_FULL_AGE,
    )
    e_capacity, e_identity = components_by_numpy(income, education, age)
    assert bits(capacity) == bits(e_capacity)
    assert bits(identity) == bits(e_identity)


@given(seed=SEEDS, n=st.integers(0, 200), as_of=st.integers(-5, 40))
@settings(max_examples=80, deadline=None)
def test_listing_outcome_is_the_numpy_formulation(seed, n, as_of):
    rng = np.random.default_rng(seed)
    never = np.iinfo(np.int64).min // 4
    until = np.where(rng.random(n) < 0.3, never, rng.integers(-10, 50, n)).astype(np.int64)
    score, listed = listing_outcome(until, as_of)
    remaining = np.maximum(until - as_of, 0)
    assert bits(score) == bits((-remaining).astype(np.float64))
    assert listed.tolist() == (remaining > 0).tolist()


@pytest.mark.parametrize("size", [1, 2, 4096, 4097, 8193, 20000])
@pytest.mark.parametrize("where", ["none", "first", "block_edge", "last"])
def test_is_consecutive_finds_a_gap_in_any_block(size, where):
    ids = np.arange(7, 7 + size, dtype=np.int64)
    at = {"none": None, "first": 1, "block_edge": min(4096, size - 1), "last": size - 1}[where]
    if at is not None and at > 0:
        ids[at:] += 1  # a gap between at - 1 and at
    expected = bool(np.all(np.diff(ids) == 1))
    assert is_consecutive(ids) == expected
    assert is_consecutive(ids[::-1].copy()) == (size == 1)
