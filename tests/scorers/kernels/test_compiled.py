"""The compiled kernels give bit for bit what the plain numpy formulation gives.

Each kernel of :mod:`scorers._kernels` is run on random inputs (hypothesis
draws the sizes and a seed; numpy draws from small value sets so that ties,
zeros, absent people, unknown kinds, months out of the window and odd amounts
are common) and compared with the dense numpy formulation the scorers used
before: ``np.bincount`` over people x kinds, ``sum(axis=1)``, ``tier_codes``,
reasons by sorting each row.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from audit.vocab import EVENT_KINDS
from scorers._kernels._arrays import is_consecutive, stable_order
from scorers._kernels._compiled import (
    PREFETCH_TIES,
    TILE,
    pairwise_dot,
    pairwise_sum,
    points_kernel,
    prefetch,
    sesame_kernel,
    sesame_reasons_kernel,
    tier_index,
)
from scorers._kernels._events import PersonEvents
from scorers._kernels._frames import reason_lut, reasons_of
from scorers._kernels._listing import listing_kernel
from tests.scorers.oracles import tier_codes

KINDS = len(EVENT_KINDS)
LABELS = tuple(f"r{i}" for i in range(KINDS + 3))
MIN_COST = 1e-9
INT64_MIN, INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
SEEDS = st.integers(0, 2**32 - 1)


def reasons_by_definition(costs: np.ndarray, k: int, min_cost: float = MIN_COST) -> list[tuple[str, ...]]:
    """Up to ``k`` labels per row above ``min_cost``, costliest first, ties by position."""
    out = []
    for row in costs:
        above = [j for j in range(len(row)) if row[j] > min_cost]  # never NaN
        out.append(tuple(LABELS[j] for j in sorted(above, key=lambda j: (-row[j], j))[:k]))
    return out


def rules(kernel, *values) -> dict:
    """``values`` named as the parameters of ``kernel`` after the events it is run on (:meth:`PersonEvents.run`)."""
    names = list(inspect.signature(kernel.py_func).parameters)[9:]
    assert len(values) == len(names)
    return dict(zip(names, values))


def bits(x: np.ndarray) -> list[int]:
    return np.asarray(x, dtype=np.float64).view(np.int64).tolist()


def bits_any_nan(x: np.ndarray) -> list[int | None]:
    """:func:`bits`, every NaN as None: an infinite deduction that expired (``inf * 0.0``) is a NaN whose sign
    the compiled code and numpy's loops set differently."""
    x = np.asarray(x, dtype=np.float64)
    return [None if v != v else b for v, b in zip(x.tolist(), bits(x))]


def random_events(rng: np.random.Generator, n: int, size: int, *, grouped: bool):
    """Rows (some outside ``0 .. n - 1``), kind codes (some -1), months and amounts of ``size`` events.

    With more rows than a kernel's tile, rows cluster at the tiles' edges.
    """
    rows = rng.integers(-2, n + 2, size)
    if n > TILE:
        edges = np.arange(0, n + 2, TILE)
        near = rng.random(size) < 0.5
        rows[near] = (rng.choice(edges, int(near.sum())) + rng.integers(-2, 2, int(near.sum())))
    codes = rng.integers(-1, KINDS, size).astype(np.int8)
    month = rng.integers(-3, 12, size).astype(rng.choice([np.int16, np.int32, np.int64]))  # kernels take any
    amount = rng.choice([np.nan, np.inf, -np.inf, -5.0, -0.0, 0.0, 0.5, 3.7, 99.99, 250.0, 1e308], size)
    if grouped:
        order = np.argsort(rows, kind="stable")
        rows, codes, month, amount = rows[order], codes[order], month[order], amount[order]
    return rows, codes, month, amount


def events_of(rows, codes, month, n, lo_month=INT64_MIN, hi_month=INT64_MAX, amount=None) -> PersonEvents:
    return PersonEvents(
        ids=np.ascontiguousarray(rows, dtype=np.int64), first=0, n=n, codes=codes, month=month,
        lo_month=lo_month, hi_month=hi_month, amount=np.zeros(0) if amount is None else amount,
    )


def counted(rows, codes, month, n, lo_month, hi_month):
    """Which events a kernel counts: person in range, known kind, month in the window."""
    return (rows >= 0) & (rows < n) & (codes >= 0) & (month <= hi_month) & (month >= lo_month)


# ----------------------------------------------------------------------------- primitives


@given(seed=SEEDS, m=st.integers(0, 128), n=st.integers(1, 40))
@settings(max_examples=60, deadline=None)
def test_pairwise_sum_is_numpy_row_sum(seed, m, n):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, m)) * 10.0 ** rng.integers(-12, 12, (n, m))
    values[rng.random((n, m)) < 0.2] = rng.choice([0.0, -0.0, 1.0, np.inf, -np.inf, np.nan])
    expected = values.sum(axis=1)
    table = np.ascontiguousarray(values)
    got = [pairwise_sum(table, i) for i in range(n)]
    assert bits(got) == bits(expected)


@given(seed=SEEDS, m=st.integers(0, 128), n=st.integers(1, 20))
@settings(max_examples=60, deadline=None)
def test_pairwise_dot_is_numpy_row_sum_of_products(seed, m, n):
    rng = np.random.default_rng(seed)
    a = rng.choice([0.0, 1.0, 2.0, 3.0, 7.0], size=(n, m))  # counts
    b = rng.normal(size=(n, m)) * 10.0 ** rng.integers(-6, 6, (n, m))
    b[rng.random((n, m)) < 0.2] = rng.choice([0.0, -0.0, -0.05, np.inf])
    with np.errstate(invalid="ignore"):  # 0 * inf
        expected = (a * b).sum(axis=1)
    for table in (np.ascontiguousarray(a), a.astype(np.int32)):  # Sesame counts in int32
        got = [pairwise_dot(table, i, np.ascontiguousarray(b[i])) for i in range(n)]
        assert bits(got) == bits(expected)


def test_pairwise_sum_keeps_numpy_sign_of_zero():
    for m in (0, 3, 8, 16, 19):
        assert bits([pairwise_sum(np.full((2, m), -0.0), 1)]) == bits([np.full((1, m), -0.0).sum(axis=1)[0]])


def test_pairwise_sum_reads_only_its_row():
    table = np.arange(3 * 16, dtype=np.float64).reshape(3, 16)
    assert [pairwise_sum(table, i) for i in range(3)] == [120.0, 376.0, 632.0]  # sum(16 i .. 16 i + 15)


@given(seed=SEEDS, nb=st.integers(0, 6))
@settings(max_examples=60, deadline=None)
def test_tier_index_is_tier_codes(seed, nb):
    rng = np.random.default_rng(seed)
    lower = np.sort(rng.choice(np.arange(-5.0, 6.0), nb, replace=False))[::-1]  # strictly decreasing
    scores = np.concatenate([rng.choice(np.arange(-6.0, 7.0, 0.5), 40), [np.nan, np.inf, -np.inf, -0.0]])
    increasing = np.ascontiguousarray(lower[::-1], dtype=np.float64)
    got = [tier_index(s, increasing) for s in scores]
    assert got == tier_codes(scores, tuple(lower)).tolist()


@given(seed=SEEDS, n=st.integers(0, 12), size=st.integers(0, 60))
@settings(max_examples=60, deadline=None)
def test_stable_order_is_a_stable_argsort_of_the_rows_in_range(seed, n, size):
    rng = np.random.default_rng(seed)
    ids = rng.integers(-3, n + 3, size) + 100
    inside = np.flatnonzero((ids - 100 >= 0) & (ids - 100 < n))
    expected = inside[np.argsort(ids[inside], kind="stable")]
    assert stable_order(ids, 100, n).tolist() == expected.tolist()


@pytest.mark.parametrize(
    "ids",
    [[], [5], [5, 6, 7], [5, 7], [7, 6], [0, 1, 1, 2], [np.iinfo(np.int64).max - 1, np.iinfo(np.int64).max]],
)
def test_is_consecutive(ids):
    a = np.asarray(ids, dtype=np.int64)
    expected = a.size > 0 and all(int(y) - int(x) == 1 for x, y in zip(a[:-1], a[1:]))
    assert is_consecutive(a) == expected


@pytest.mark.parametrize("at", [1, 4095, 4096, 4097, 8191, 3 * 4096 + 4])
@pytest.mark.parametrize("defect", ["gap", "repeat", "swap"])
def test_is_consecutive_finds_one_defect_in_any_block(at, defect):
    # ids compared a block of 4,096 at a time: one defect on either side of a block's edge, or in the last block
    a = np.arange(-7, 3 * 4096 + 5 - 7, dtype=np.int64)
    assert is_consecutive(a)
    if defect == "gap":
        a[at:] += 1
    elif defect == "repeat":
        a[at] = a[at - 1]
    else:
        a[at - 1], a[at] = a[at], a[at - 1]
    expected = all(int(y) - int(x) == 1 for x, y in zip(a[:-1], a[1:]))
    assert not expected
    assert is_consecutive(a) == expected


# ----------------------------------------------------------------------------- points schemes


def points_by_numpy(rows, codes, month, amount, n, as_of, lo, hi, lost_per_kind, expiry, use_expiry, reward,
                    reward_months, reward_cap, base, lower_bounds, k, min_cost=MIN_COST):
    keep = counted(rows, codes, month, n, lo, hi)
    r, c, m = rows[keep], codes[keep].astype(np.int64), month[keep].astype(np.int64)  # as visible_events gives it
    age = as_of - m
    points = lost_per_kind[c]
    if use_expiry:
        points = points * (age < expiry[c])
    lost = np.bincount(r * KINDS + c, weights=points, minlength=n * KINDS).reshape(n, KINDS)
    if reward.shape[0]:
        a = np.nan_to_num(np.maximum(amount[keep], 0.0))
        units = np.where(reward[2][c] > 0, 1.0, np.floor(a * reward[1][c] + 1e-9))
        award = np.minimum(reward[0][c] * units, reward[3][c]) * (age < reward_months)
        gained = np.minimum(np.bincount(r, weights=award, minlength=n), reward_cap)
        score = base + gained - lost.sum(axis=1)
    else:
        score = base - lost.sum(axis=1)
    return score, tier_codes(score, lower_bounds), reasons_by_definition(lost, k, min_cost)


@given(
    seed=SEEDS, n=st.one_of(st.integers(0, 12), st.sampled_from([TILE - 1, TILE, TILE + 1, 2 * TILE + 5])),
    size=st.integers(0, 80), grouped=st.booleans(), rewards=st.booleans(),
    use_expiry=st.booleans(), window=st.booleans(), k=st.integers(0, 5),
    odd_points=st.booleans(), min_cost=st.sampled_from([MIN_COST, 0.0, -1.0, np.nan]),
)
@settings(max_examples=160, deadline=None)
def test_points_kernel_is_the_numpy_formulation(
    seed, n, size, grouped, rewards, use_expiry, window, k, odd_points, min_cost,
):
    # odd_points: deductions of either sign of zero, negative, infinite or NaN; a negative min_cost makes every
    # kind a reason, those the scheme never deducts for included (the kernel ranks only the others otherwise)
    rng = np.random.default_rng(seed)
    rows, codes, month, amount = random_events(rng, n, size, grouped=grouped)
    as_of = int(rng.integers(-1, 12))
    lo, hi = (int(rng.integers(-3, 5)), as_of) if window else (INT64_MIN, INT64_MAX)
    points = [0.0, -0.0, -5.0, np.inf, np.nan, 5.0] if odd_points else [0.0, 5.0, 10.0, 20.0, 0.37, 1e-10, 50.0]
    lost_per_kind = rng.choice(points, KINDS)
    expiry = rng.choice([0.0, 1.0, 3.0, 12.0, 2.5], KINDS)
    reward = np.stack([
        rng.choice([0.0, 1.0, 10.0, 0.3], KINDS), rng.choice([0.0, 1.0, 0.01], KINDS),
        rng.choice([0.0, 1.0], KINDS), rng.choice([0.0, 10.0, 3.5], KINDS),
    ]) if rewards else np.zeros((0, KINDS))
    reward_cap = float(rng.choice([0.0, 13.3, 100.0]))
    lower = (1050.0, 1000.0, 960.0, 850.0)
    args = (lost_per_kind, expiry, use_expiry, reward, 5, reward_cap, 1000.0)
    score, tier, combo, keys, count = events_of(rows, codes, month, n, lo, hi, amount).run(
        points_kernel,
        **rules(points_kernel, amount, as_of, *args, np.array(lower[::-1]), k, min_cost, reason_lut(KINDS, k)),
    )
    with np.errstate(all="ignore"):  # huge amounts overflow to inf, in numpy as in the kernel
        e_score, e_tier, e_reasons = points_by_numpy(
            rows, codes, month, amount, n, as_of, lo, hi, *args, lower, k, min_cost,
        )
    assert bits_any_nan(score) == bits_any_nan(e_score)
    assert tier.tolist() == e_tier.tolist()
    assert list(reasons_of(combo, keys[:count], LABELS[:KINDS], k)) == e_reasons


def test_points_kernel_closes_people_without_events_after_the_last_event():
    # rows 0 and 3 have events; 1, 2 and 4 have none; walked both in table order and regrouped
    for rows in ([0, 0, 3], [3, 0, 0]):
        ev = events_of(np.array(rows), np.array([0, 1, 0], np.int8), np.zeros(3, np.int64), 5)
        lost = np.zeros(KINDS)
        lost[0], lost[1] = 50.0, 5.0
        score, tier, combo, keys, count = ev.run(
            points_kernel,
            **rules(
                points_kernel, np.zeros(0), 10, lost, lost, False, np.zeros((0, KINDS)), 0, 0.0, 1000.0,
                np.array([600.0, 850.0, 970.0]), 4, MIN_COST, reason_lut(KINDS, 4),
            ),
        )
        assert score.tolist() == [945.0, 1000.0, 1000.0, 950.0, 1000.0]
        assert tier.tolist() == [1, 0, 0, 1, 0]
        labels = list(reasons_of(combo, keys[:count], EVENT_KINDS, 4))
        assert labels == [(EVENT_KINDS[0], EVENT_KINDS[1]), (), (), (EVENT_KINDS[0],), ()]


# ----------------------------------------------------------------------------- Sesame


def sesame_by_numpy(rows, codes, month, n, lo, hi, repaid_code, neg_w, bw, capacity, identity, w, friends_mean, k,
                    min_cost=MIN_COST):
    keep = counted(rows, codes, month, n, lo, hi)
    r, c = rows[keep], codes[keep].astype(np.int64)
    counts = np.bincount(r * KINDS + c, weights=np.ones(r.size), minlength=n * KINDS).reshape(n, KINDS)
    repaid = counts[:, repaid_code]
    adverse_by_kind = counts * neg_w
    adverse = adverse_by_kind.sum(axis=1)
    history = (1.0 + repaid) / (2.0 + repaid + adverse)
    history_clean = (1.0 + repaid) / (2.0 + repaid)
    b_points = counts * bw
    behaviour = np.clip(0.5 + b_points.sum(axis=1), 0.0, 1.0)
    own = (w[0] * history + w[1] * capacity + w[2] * behaviour + w[3] * identity) / (1.0 - w[4])
    relationships = friends_mean(own)
    total = own * (1.0 - w[4]) + w[4] * relationships
    score = np.round(350.0 + 600.0 * total)
    credit_cost = 600.0 * w[0] * (history_clean - history)
    share = np.divide(adverse_by_kind, adverse[:, None], out=np.zeros_like(adverse_by_kind), where=adverse[:, None] > 0)
    kind_cost = credit_cost[:, None] * share + 600.0 * w[2] * np.maximum(-b_points, 0.0)
    comp_cost = 600.0 * np.column_stack([
        w[1] * np.maximum(0.5 - capacity, 0.0),
        w[3] * np.maximum(0.5 - identity, 0.0),
        w[4] * np.maximum(0.5 - relationships, 0.0),
    ])
    costs = np.concatenate([kind_cost, comp_cost], axis=1)
    return own, score, reasons_by_definition(costs, k, min_cost)


def friends_mean_by_numpy(me, friend, first, n, own):
    a, b = me - first, friend - first
    keep = (a >= 0) & (a < n) & (b >= 0) & (b < n)
    total = np.bincount(a[keep], weights=own[b[keep]], minlength=n)
    count = np.bincount(a[keep], minlength=n)
    return np.where(count > 0, total / np.maximum(count, 1), 0.5)


def sesame_reasons(me, friend, first, *rest):
    """:func:`sesame_reasons_kernel` over ties in table order, else regrouped (as ``run_on_ties``)."""
    out = sesame_reasons_kernel(me, friend, first, np.zeros(0, np.int64), False, *rest)
    if not out[0]:
        out = sesame_reasons_kernel(me, friend, first, stable_order(me, first, rest[0].shape[0]), True, *rest)
    return out[1:]


@given(
    seed=SEEDS, n=st.one_of(st.integers(0, 12), st.sampled_from([TILE - 1, TILE, TILE + 1, 2 * TILE + 5])),
    size=st.integers(0, 80), grouped=st.booleans(), k=st.integers(0, 5), first=st.integers(-3, 3),
    ties_grouped=st.booleans(), min_cost=st.sampled_from([MIN_COST, 0.0, -1.0]),
)
@settings(max_examples=140, deadline=None)
def test_sesame_kernels_are_the_numpy_formulation(seed, n, size, grouped, k, first, ties_grouped, min_cost):
    # costly kinds are looked at only for people with an event of one, unless min_cost < 0: then a kind without
    # events (cost +-0.0) is a reason too, and every kind is passed as costly (the numpy formulation ranks all)
    rng = np.random.default_rng(seed)
    rows, codes, month, _ = random_events(rng, n, size, grouped=grouped)
    lo, hi = int(rng.integers(-3, 5)), int(rng.integers(0, 12))
    neg_w = rng.choice([0.0, 0.0, 1.0, 2.0, 4.0, 0.3], KINDS)
    bw = rng.choice([0.0, 0.02, 0.05, -0.05, -0.1, 0.1, -0.3], KINDS)
    capacity = rng.choice([0.0, 0.2, 0.5, 0.73, 1.0], n)
    identity = rng.choice([0.0, 0.4, 0.5, 0.9], n)
    w = np.array([0.35, 0.25, 0.20, 0.15, 0.05])
    repaid_code = int(rng.integers(0, KINDS))
    tie_me, _, _, _ = random_events(rng, n, 3 * n, grouped=ties_grouped)
    tie_me, tie_friend = tie_me + first, rng.integers(-1, n + 1, 3 * n) + first

    costly = np.arange(KINDS) if min_cost < 0 else np.flatnonzero((neg_w != 0) | (bw < 0))
    ev = events_of(rows, codes, month, n, lo, hi)
    own, top_idx, top_val = ev.run(
        sesame_kernel,
        **rules(
            sesame_kernel, repaid_code, neg_w, bw, costly, 0.5, capacity, identity, w, 600.0, k, min_cost,
        ),
    )
    lower = (700.0, 650.0, 600.0, 550.0)
    score, tier, combo, keys, count = sesame_reasons(
        tie_me, tie_friend, first, own, top_idx, top_val, 0.5, w[4], 350.0, 600.0,
        np.array(lower[::-1]), KINDS + 3, k, min_cost, reason_lut(KINDS + 3, k),
    )
    e_own, e_score, e_reasons = sesame_by_numpy(
        rows, codes, month, n, lo, hi, repaid_code, neg_w, bw, capacity, identity, w,
        lambda own: friends_mean_by_numpy(tie_me, tie_friend, first, n, own), k, min_cost,
    )
    assert bits(own) == bits(e_own)
    assert bits(score) == bits(e_score)
    assert tier.tolist() == tier_codes(e_score, lower).tolist()
    assert list(reasons_of(combo, keys[:count], LABELS, k)) == e_reasons


@njit
def _sum_after_prefetching(values, indices):
    total = 0.0
    for i in range(indices.shape[0]):
        prefetch(values, indices[i])
    for i in range(values.shape[0]):
        total += values[i]
    return total


def test_prefetch_changes_nothing_and_takes_any_index():
    values = np.array([1.5, -2.0, 0.25])
    before = values.copy()
    far = np.array([-1, 3, -(2**40), 2**40, 0], dtype=np.int64)  # rows outside the array, far outside
    assert _sum_after_prefetching(values, far) == -0.25
    assert bits(values) == bits(before)


@pytest.mark.parametrize("n", [1, 3, 2 * TILE + 1])
@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("ahead", [0, 1, PREFETCH_TIES])
def test_sesame_reasons_kernel_with_more_ties_ahead_than_it_prefetches(n, grouped, ahead):
    # ties enough that the friend ``ahead`` ties on is read (0: none is), some people with many ties, some with
    # none, friends outside the rows at both ends of the table (the one ahead is clamped before it is prefetched)
    rng = np.random.default_rng(n)
    size = 4 * PREFETCH_TIES + 3 * n
    me = np.sort(rng.integers(0, max(n // 2, 1), size)) if grouped else rng.integers(0, n, size)
    friend = rng.integers(-1, n + 1, size)
    friend[:3], friend[-3:] = -(2**40), 2**40
    own = rng.choice([0.0, 0.25, 0.5, 0.7, 1.0], n)
    k = 4
    top_idx = np.full((n, k), -1, np.int8)
    top_val = np.full((n, k), -np.inf)
    top_idx[:, 0], top_val[:, 0] = KINDS, rng.choice([0.0, 10.0, 15.0], n)  # capacity, sometimes kept
    kept = top_val[:, 0] > MIN_COST
    top_idx[~kept, 0], top_val[~kept, 0] = -1, -np.inf
    w = 0.05
    score, _, combo, keys, count = sesame_reasons(
        me, friend, 0, own, top_idx, top_val, 0.5, w, 350.0, 600.0, np.array([550.0, 600.0, 650.0, 700.0]),
        KINDS + 3, k, MIN_COST, reason_lut(KINDS + 3, k), ahead,
    )
    relationships = friends_mean_by_numpy(me, friend, 0, n, own)
    expected = np.round(350.0 + 600.0 * (own * (1.0 - w) + w * relationships))
    assert bits(score) == bits(expected)
    costs = np.full((n, KINDS + 3), -np.inf)
    costs[:, KINDS] = np.where(kept, top_val[:, 0], -np.inf)
    costs[:, KINDS + 2] = 600.0 * (w * np.maximum(0.5 - relationships, 0.0))
    assert list(reasons_of(combo, keys[:count], LABELS, k)) == reasons_by_definition(costs, k)


# ----------------------------------------------------------------------------- judgment-defaulter listing

_NEVER = np.iinfo(np.int64).min // 4


def listing_by_numpy(rows, month, is_default, n, *, listing_months, extension_months, max_listing_months,
                     honour_performance):
    """The vectorised fold over event ranks the scorer used before (one pass per rank, all people at once)."""
    until = np.full(n, _NEVER, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    outstanding = np.zeros(n, dtype=np.int64)
    if rows.size == 0:
        return until
    order = np.lexsort((~is_default, month, rows))
    rows, month, is_default = rows[order], month[order].astype(np.int64), is_default[order]
    first = np.r_[True, rows[1:] != rows[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(rows.size), 0))
    rank = np.arange(rows.size) - group_start
    for k in range(int(rank.max()) + 1):
        at = rank == k
        r, m, d = rows[at], month[at], is_default[at]
        listed = m < until[r]
        new, ext = d & ~listed, d & listed
        rn, re_ = r[new], r[ext]
        start[rn] = m[new]
        until[rn] = m[new] + listing_months
        outstanding[rn] = 1
        until[re_] = np.minimum(until[re_] + extension_months, start[re_] + max_listing_months)
        outstanding[re_] += 1
        if honour_performance:
            perf = ~d
            rp, mp, lp = r[perf], m[perf], listed[perf]
            outstanding[rp] = np.maximum(outstanding[rp] - 1, 0)
            done = lp & (outstanding[rp] == 0)
            until[rp[done]] = mp[done]
    return until


@given(
    seed=SEEDS, n=st.integers(0, 10), size=st.integers(0, 60), grouped=st.booleans(), honour=st.booleans(),
    params=st.sampled_from([(24, 12, 60), (5, 0, 7), (3, 2, 4), (1, 1, 1)]),
)
@settings(max_examples=120, deadline=None)
def test_listing_kernel_is_the_vectorised_fold(seed, n, size, grouped, honour, params):
    rng = np.random.default_rng(seed)
    rows, codes, month, _ = random_events(rng, n, size, grouped=grouped)
    codes = rng.choice(np.array([-1, 0, 5, 6, 6, 5], np.int8), size)  # mostly defaults (5) and performances (6)
    hi = int(rng.integers(0, 12))
    listing, extension, longest = params
    until = events_of(rows, codes, month, n, INT64_MIN, hi).run(
        listing_kernel, **rules(listing_kernel, 5, 6, listing, extension, longest, honour, _NEVER)
    )
    keep = counted(rows, codes, month, n, INT64_MIN, hi) & ((codes == 5) | (codes == 6))
    expected = listing_by_numpy(
        rows[keep], month[keep], codes[keep] == 5, n, listing_months=listing, extension_months=extension,
        max_listing_months=longest, honour_performance=honour,
    )
    assert until.tolist() == expected.tolist()


@pytest.mark.parametrize(
    "rows",
    [
        [TILE, TILE - 1],  # back by one row, into the tile already closed
        [TILE - 1, TILE, TILE - 1, 2 * TILE, 0],
        [2 * TILE + 1, TILE + 3, TILE + 2, 5, TILE - 1],
        [0, TILE - 1, TILE, 2 * TILE - 1, 2 * TILE],  # grouped, at every edge
    ],
)
def test_events_that_come_back_to_a_closed_tile_are_regrouped(rows):
    n = 2 * TILE + 2
    rows = np.array(rows)
    codes = np.array([9, 12, 2, 13, 3][: rows.size], np.int8)  # every one a costly kind below
    month = np.zeros(rows.size, np.int64)
    lost_per_kind = np.arange(1.0, KINDS + 1.0)
    args = (lost_per_kind, lost_per_kind, False, np.zeros((0, KINDS)), 0, 0.0, 1000.0)
    ev = events_of(rows, codes, month, n)
    score, tier, combo, keys, count = ev.run(
        points_kernel, **rules(points_kernel, np.zeros(0), 0, *args, np.array([900.0]), 4, MIN_COST, reason_lut(KINDS, 4))
    )
    e_score, e_tier, e_reasons = points_by_numpy(rows, codes, month, np.zeros(rows.size), n, 0, INT64_MIN,
                                                 INT64_MAX, *args, (900.0,), 4)
    assert bits(score) == bits(e_score)
    assert list(reasons_of(combo, keys[:count], LABELS[:KINDS], 4)) == e_reasons

    neg_w, bw = np.linspace(0.5, 2.0, KINDS), np.linspace(-0.2, 0.1, KINDS)
    capacity, identity, w = np.full(n, 0.3), np.full(n, 0.6), np.array([0.35, 0.25, 0.20, 0.15, 0.05])
    own, top_idx, top_val = events_of(rows, codes, month, n).run(
        sesame_kernel, **rules(sesame_kernel, 0, neg_w, bw, np.arange(KINDS), 0.5, capacity, identity, w, 600.0, 4, MIN_COST)
    )
    e_own, _, _ = sesame_by_numpy(rows, codes, month, n, INT64_MIN, INT64_MAX, 0, neg_w, bw, capacity, identity, w,
                                lambda own: np.full(n, 0.5), 4)
    assert bits(own) == bits(e_own)
    assert (top_idx[rows, 0] >= 0).all()  # each of these people has a costly event
