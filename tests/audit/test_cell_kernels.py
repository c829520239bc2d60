"""The compiled per-chunk tables equal the plain numpy passes they replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.aggregate import SCORE_DECIMALS
from audit.disparity.audit import _compiled_counts, collect_counts
from audit.disparity.cell_kernels import BLOCK, MAX_PATTERN_SANCTIONS, score_range
from audit.disparity.exact_ranks import ExactValueCounts


def numpy_tables(cells, n_cells, tier, n_tiers, sanctions, scores):
    """The reference: one bincount per table, rounding and limbs spelled out."""
    tiers = np.bincount(cells * n_tiers + tier, minlength=n_cells * n_tiers).reshape(n_cells, n_tiers)
    per = np.stack([np.bincount(cells[sanctions[:, j]], minlength=n_cells) for j in range(sanctions.shape[1])], axis=1) \
        if sanctions.shape[1] else np.zeros((n_cells, 0), np.int64)
    anyc = np.bincount(cells[sanctions.any(axis=1)], minlength=n_cells) if sanctions.shape[1] else np.zeros(n_cells, np.int64)
    scaled = np.rint(scores * 10**SCORE_DECIMALS).astype(np.int64)
    keys, counts = np.unique(scaled * n_cells + cells, return_counts=True)
    q = np.rint(scores * 2.0**32).astype(np.int64)
    limbs = np.stack([np.bincount(cells, weights=limb, minlength=n_cells).round().astype(np.int64)
                      for limb in (q & (2**21 - 1), (q >> 21) & (2**21 - 1), q >> 42)], axis=1)
    return tiers, per, anyc, keys, counts, limbs


def check(cells, n_cells, tier, n_tiers, sanctions, scores):
    """The compiled tables equal the reference wherever they apply: a dense range of rounded scores.

    Also the exact rank counts: read off the rounded counts for scores on the grid, counted anew otherwise.
    """
    got = _compiled_counts(cells=cells, n_cells=n_cells, tier=tier, n_tiers=n_tiers, sanctions=sanctions, scores=scores)
    scaled = np.rint(scores * 10**SCORE_DECIMALS).astype(np.int64)
    step = max(int(np.gcd.reduce(scaled - scaled.min())), 1)
    dense = ((scaled.max() - scaled.min()) // step + 1) * n_cells <= max(4 * scores.size, 1 << 16)
    assert (got is not None) == dense
    if got is None:
        got = collect_counts(cells=cells, n_cells=n_cells, tier=tier, n_tiers=n_tiers, sanctions=sanctions, scores=scores)
    tiers, per, anyc, keys, counts, limbs = numpy_tables(cells, n_cells, tier, n_tiers, sanctions, scores)
    np.testing.assert_array_equal(got["tiers"].array, tiers)
    np.testing.assert_array_equal(got["sanctions"].array, per)
    np.testing.assert_array_equal(got["any_sanction"].array, anyc)
    np.testing.assert_array_equal(got["scores"].keys, keys)
    np.testing.assert_array_equal(got["scores"].counts, counts)
    np.testing.assert_array_equal(got["scores"].sum_limbs, limbs)
    exact = ExactValueCounts.of(scores, cells, n_cells)
    for field in ("keys", "cells", "counts"):
        np.testing.assert_array_equal(getattr(got["exact_scores"], field), getattr(exact, field))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 1000),  # up to four blocks of the compiled pass
    n_cells=st.integers(1, 30),
    n_tiers=st.integers(1, 6),
    n_sanctions=st.sampled_from([0, 1, 2, 3, 7, 11]),  # 11: more than are counted as one set per person
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["points", "even", "spread", "halves", "wide", "fractions"]),
)
def test_compiled_tables_equal_the_numpy_passes(n, n_cells, n_tiers, n_sanctions, seed, kind):
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, n_cells, n).astype(np.int64)
    tier = rng.integers(0, n_tiers, n).astype([np.int8, np.int64][seed % 2])  # categorical codes are int8
    sanctions = rng.random((n, n_sanctions)) < 0.3
    scores = {
        "points": rng.integers(0, 1300, n).astype(np.float64),  # whole points: steps of 100 cents
        "even": rng.integers(0, 650, n) * 2.0 + 0.5,  # steps of 200 cents from an offset
        "spread": rng.integers(0, 10**6, n) / 100.0,  # cents over a wide range: sparse for most sizes
        "halves": rng.integers(-2000, 2000, n) / 200.0,  # x.xx5: rounding to cents hits ties (half to even)
        "wide": rng.uniform(-1e4, 1e4, n),
        "fractions": rng.random(n),
    }[kind]
    check(cells, n_cells, tier, n_tiers, sanctions, scores)


def test_one_person_and_values_near_the_limit():
    check(np.array([0]), 1, np.array([0]), 1, np.zeros((1, 1), bool), np.array([950.0]))
    near = np.array([2.0**31 - 1, 2.0**31 - 1.5, 2.0**31 - 2], dtype=np.float64)
    check(np.array([0, 1, 1]), 2, np.array([0, 1, 0]), 2, np.array([[True], [False], [True]]), near)
    # a huge span of rounded values is left to the sparse numpy path
    spread = np.array([-(2.0**31 - 1), 0.5, 2.0**31 - 1])
    assert _compiled_counts(cells=np.array([0, 1, 1]), n_cells=2, tier=np.array([0, 1, 0]), n_tiers=2,
                            sanctions=np.zeros((3, 0), bool), scores=spread) is None


def test_nan_and_huge_scores_go_the_numpy_way_and_are_refused_there():
    for bad in (np.nan, 2.0**31):
        scores = np.array([1.0, bad])
        args = dict(cells=np.array([0, 0]), n_cells=1, tier=np.array([0, 0]), n_tiers=1, sanctions=np.zeros((2, 0), bool))
        assert _compiled_counts(scores=scores, **args) is None
    with pytest.raises(ValueError, match="2\\*\\*31"):
        collect_counts(scores=np.array([1.0, 2.0**31]), **args)


def test_a_cell_or_tier_out_of_range_is_left_to_the_numpy_passes():
    # the compiled pass checks a block before counting anything in it; the bad person sits in the second block
    n = BLOCK + 10
    cells, tier = np.zeros(n, np.int64), np.zeros(n, np.int8)
    args = dict(n_cells=2, n_tiers=3, sanctions=np.zeros((n, 1), bool), scores=np.full(n, 700.0))
    assert _compiled_counts(cells=cells, tier=tier, **args) is not None
    for bad_cells, bad_tier in ((-1, 0), (2, 0), (0, -1), (0, 3)):
        c, t = cells.copy(), tier.copy()
        c[BLOCK + 3], t[BLOCK + 3] = bad_cells, bad_tier
        assert _compiled_counts(cells=c, tier=t, **args) is None


def test_sets_of_sanctions_by_hand():
    # three people in one cell: sanctions {0, 2}, {}, {2}; the limit of the per-set table is above the reference schemes'
    assert MAX_PATTERN_SANCTIONS >= 7
    sanctions = np.array([[True, False, True], [False, False, False], [False, False, True]])
    got = _compiled_counts(cells=np.zeros(3, np.int64), n_cells=1, tier=np.array([0, 1, 1]), n_tiers=2,
                           sanctions=sanctions, scores=np.array([1.0, 2.0, 3.0]))
    assert got["sanctions"].array.tolist() == [[1, 0, 2]]
    assert got["any_sanction"].array.tolist() == [2]
    assert got["tiers"].array.tolist() == [[1, 2]]


def test_score_range_by_hand():
    # cents: 1000 and 1030 points -> 100000 and 103000, step 3000; 1000.5 is on the grid of cents, 0.125 is not
    assert tuple(int(x) for x in score_range(np.array([1000.0, 1030.0, 1000.0]), 100.0)) == (100000, 103000, 3000, 1, 1)
    assert tuple(int(x) for x in score_range(np.array([1000.5, 1000.0]), 100.0)) == (100000, 100050, 50, 1, 1)
    assert int(score_range(np.array([0.125, 0.5]), 100.0)[4]) == 0
    # the step shrinks in a later block: 7 apart for a whole block, then one value 3 from the first
    values = np.r_[np.tile([0.0, 0.07], BLOCK), 0.03]
    assert tuple(int(x) for x in score_range(values, 100.0))[:3] == (0, 7, 1)
    assert tuple(int(x) for x in score_range(np.array([], dtype=np.float64), 100.0)) == (0, 0, 1, 1, 1)


def numpy_score_range(values, scale):
    """The reference of :func:`score_range`: ``(lo, hi, step, ok, on_grid)`` by whole-array numpy passes."""
    if values.size == 0:
        return 0, 0, 1, True, True
    if not np.all(np.abs(values) < 2.0**31):  # NaN fails the comparison too
        return None, None, 1, False, False
    rounded = np.rint(values * scale)
    scaled = rounded.astype(np.int64)
    step = max(int(np.gcd.reduce(scaled - scaled.min())), 1)
    return int(scaled.min()), int(scaled.max()), step, True, bool(np.all(rounded / scale == values))


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 3 * BLOCK + 5),  # several blocks and a partial one
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["points", "halves", "fractions", "negative", "zeros", "near_limit", "late_step"]),
    bad=st.sampled_from([None, np.nan, np.inf, -np.inf, 2.0**31, -(2.0**31)]),
)
def test_score_range_equals_the_numpy_passes(n, seed, kind, bad):
    rng = np.random.default_rng(seed)
    values = {
        "points": rng.integers(0, 1300, n) * 5.0,  # whole points in steps of 5: step 500 cents
        "halves": rng.integers(-2000, 2000, n) / 200.0,  # x.xx5: rounding to cents hits ties (half to even)
        "fractions": rng.random(n),  # off the grid of cents
        "negative": -rng.integers(0, 3600, n) * 1.0,
        "zeros": np.where(rng.random(n) < 0.5, 0.0, -0.0),  # both signed zeros: one integer, 0
        "near_limit": 2.0**31 - rng.integers(1, 100, n) * 0.5,
        "late_step": np.r_[np.full(n - 1, 700.0), 700.07],  # one value off the step, in the last block
    }[kind].astype(np.float64)
    if bad is not None:
        values[rng.integers(0, n)] = bad
    got = tuple(score_range(values, 100.0))
    want = numpy_score_range(values, 100.0)
    assert bool(got[3]) == want[3]
    if want[3]:  # lo and hi mean nothing for values that are not ok
        assert tuple(int(x) for x in got) == want
