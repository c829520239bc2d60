"""Stratified replay samples: the k smallest hashes per stratum, weights that restore population shares."""

from __future__ import annotations

import numpy as np
import pytest

from audit.replay.stats import months_summary, weighted_rate
from audit.replay.strata import HALF_WIDTH_PEOPLE, bottom_k, hashes, stratum_targets, weights


def test_the_size_rule():
    # 1.96^2 x 0.25 / 0.05^2 = 384.16: 385 people give a share a 95% interval of at most +-5 points
    assert HALF_WIDTH_PEOPLE == 385
    assert 1.96 * np.sqrt(0.25 / HALF_WIDTH_PEOPLE) <= 0.05 < 1.96 * np.sqrt(0.25 / (HALF_WIDTH_PEOPLE - 1))
    assert stratum_targets(2000).tolist() == [2000, 2000, 2000]


def test_bottom_k_is_the_same_for_the_whole_and_for_its_parts():
    rng = np.random.default_rng(1)
    ids = rng.permutation(10_000)
    stratum = rng.integers(0, 3, ids.size).astype(np.int8)
    u = hashes(7, ids)
    k = np.array([50, 80, 10])
    whole = set(ids[bottom_k(u, stratum, k)].tolist())
    parts = [np.arange(0, 4000), np.arange(4000, 10_000)]
    first = np.concatenate([p[bottom_k(u[p], stratum[p], k)] for p in parts])
    again = set(ids[first[bottom_k(u[first], stratum[first], k)]].tolist())
    assert whole == again and len(whole) == k.sum()


def _population(rng):
    # a rare stratum with a high rate, a middling one, a large one with a low rate (true share by construction)
    sizes = np.array([300, 3000, 20_000])
    rates = np.array([0.6, 0.2, 0.02])
    stratum = np.repeat(np.arange(3), sizes).astype(np.int8)
    flag = rng.random(stratum.size) < rates[stratum]
    return stratum, flag, sizes


def test_weighted_shares_are_unbiased_and_their_intervals_cover():
    rng = np.random.default_rng(2024)
    stratum, flag, sizes = _population(rng)
    truth = flag.mean()
    ids = np.arange(stratum.size)
    reps, estimates, naive, covered = 400, [], [], 0
    for seed in range(reps):
        rows = bottom_k(hashes(seed, ids), stratum, np.array([100, 100, 100]))
        share, ci = weighted_rate(flag[rows], weights(stratum[rows], sizes))
        estimates.append(share)
        naive.append(flag[rows].mean())
        covered += ci[0] <= truth <= ci[1]
    estimates = np.array(estimates)
    se = estimates.std(ddof=1) / np.sqrt(reps)
    assert abs(estimates.mean() - truth) < 4 * se  # unbiased
    assert abs(np.mean(naive) - truth) > 20 * se  # the unweighted share is far off: the weights matter
    # 95% coverage within binomial error of 400 replicates (3 standard errors below)
    assert covered / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)


def test_weighted_quantiles_match_an_expanded_sample():
    # weights 1 and 3: the weighted median equals the median of the sample with each weight-3 value thrice
    months = np.array([1, 2, 3, 10, 20, -1])
    w = np.array([1.0, 1.0, 1.0, 3.0, 3.0, 1.0])
    expanded = np.repeat(months, w.astype(int))
    rng = np.random.default_rng(0)
    a = months_summary(months, horizon=24, rng=rng, replicates=0, weights=w)
    b = months_summary(expanded, horizon=24, rng=rng, replicates=0)
    assert (a["median_months"], a["p90_months"]) == (b["median_months"], b["p90_months"]) == (10, 20)
    assert a["never_share"] == b["never_share"] == 0.1


def test_strata_are_the_same_for_contiguous_and_scattered_ids():
    from audit.replay.strata import PENALISED, REST, SANCTIONED, strata_of
    from tests.audit._replay_fixtures import PermanentList, events, people, population
    from tests.audit.test_replay import chunk_of

    rows = [(0, 1, "court_judgment_default"), (1, 2, "traffic_violation"), (2, 3, "volunteering"), (4, 30, "drunk_driving")]
    pop = population(people(6), events(rows))  # horizon 24: person 4's event is after the audit month
    expected = [SANCTIONED, PENALISED, REST, REST, REST, REST]
    assert strata_of(chunk_of(pop, PermanentList())).tolist() == expected
    ppl, ev = pop.people.copy(), pop.events.copy()
    ppl["person_id"] = ppl["person_id"] * 7 + 3  # ids with gaps: the general look-up
    ev["person_id"] = ev["person_id"] * 7 + 3
    scattered = population(ppl, ev)
    assert strata_of(chunk_of(scattered, PermanentList())).tolist() == expected


def _bottom_k_numpy(u, stratum, k):
    """The numpy formulation: per stratum, a mask, ``flatnonzero`` and a ``partition`` at the k-th value."""
    keep = np.zeros(u.size, dtype=bool)
    for h in range(len(k)):
        rows = np.flatnonzero(stratum == h)
        if rows.size <= k[h]:
            keep[rows] = True
        elif k[h] > 0:
            cut = np.partition(u[rows], k[h] - 1)[k[h] - 1]
            keep[rows[u[rows] <= cut]] = True
    return np.flatnonzero(keep)


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_bottom_k_equals_the_numpy_formulation(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    # a rare stratum, a common one, codes outside the strata (never kept), and ties at the cut (values on a grid)
    stratum = rng.choice(np.array([0, 1, 2, 3, -1], dtype=np.int8), size=n, p=[0.02, 0.6, 0.3, 0.04, 0.04])
    u = rng.integers(0, 200, n) / 200.0 if seed % 2 else hashes(seed, rng.permutation(n))
    sizes = np.bincount(stratum[(stratum >= 0) & (stratum < 3)], minlength=3)
    # the stratum sizes are a hint: right, unknown, too small, too large (the cut-off then too low) and nonsense
    hints = (sizes, None, sizes // 3, sizes * 50 + 1000, np.zeros(3, np.int64), np.array([-5, 10**12, 1]))
    for k in (np.array([5, 40, 0]), np.array([100, 1, 3000]), np.array([0, 0, 0]), np.array([1, 2, 3])):
        want = _bottom_k_numpy(u, stratum, k).tolist()
        for hint in hints:
            assert bottom_k(u, stratum, k, hint).tolist() == want


@pytest.mark.parametrize("seed", range(4))
def test_bottom_k_at_batch_size_equals_the_numpy_formulation(seed):
    """A million hashes in three strata of very different sizes, one smaller than ``k``: the cut-off path and the heap."""
    from audit.replay.strata_kernels import _bottom_k_heap

    rng = np.random.default_rng(seed)
    n = 1 << 20
    stratum = rng.choice(np.array([0, 1, 2], dtype=np.int8), size=n, p=[0.0015, 0.3, 0.6985])
    u = hashes(seed, np.arange(n) + seed * n)
    k = np.array([2000, 2000, 2000])
    sizes = np.bincount(stratum, minlength=3)
    want = _bottom_k_numpy(u, stratum, k).tolist()
    assert bottom_k(u, stratum, k, sizes).tolist() == want
    assert _bottom_k_heap(u, stratum, k).tolist() == want


def test_bottom_k_keeps_every_tie_at_the_cut_and_refuses_nan():
    u = np.array([0.5, 0.1, 0.3, 0.3, 0.9, 0.3])
    stratum = np.zeros(6, dtype=np.int8)
    assert bottom_k(u, stratum, np.array([2])).tolist() == [1, 2, 3, 5]  # 0.1, then every 0.3
    assert bottom_k(u, stratum, np.array([6])).tolist() == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="NaN"):
        bottom_k(np.array([0.2, np.nan, 0.1]), np.zeros(3, np.int8), np.array([1]))
    for hint in (np.array([3]), np.array([10**9])):  # a NaN is refused under any cut-off
        with pytest.raises(ValueError, match="NaN"):
            bottom_k(np.array([0.2, np.nan, 0.1]), np.zeros(3, np.int8), np.array([1]), hint)
    # infinite values are kept or cut like any other, whatever the hint
    u = np.array([np.inf, 0.1, np.inf, 0.2])
    for hint in (None, np.array([4]), np.array([1])):
        assert bottom_k(u, np.zeros(4, np.int8), np.array([4]), hint).tolist() == [0, 1, 2, 3]
        assert bottom_k(u, np.zeros(4, np.int8), np.array([3]), hint).tolist() == [0, 1, 2, 3]
        assert bottom_k(u, np.zeros(4, np.int8), np.array([2]), hint).tolist() == [1, 3]
    # a stratum sampling no one keeps no one, a NaN there included (it is never looked at)
    assert bottom_k(np.array([np.nan, 0.1]), np.zeros(2, np.int8), np.array([0]), np.array([2])).tolist() == []


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_penalty_pass_equals_the_numpy_formulation(seed):
    from audit.replay.strata_kernels import penalised_people, stratum_codes

    rng = np.random.default_rng(seed)
    n, m, first = 500, 4000, 1_000
    person = rng.integers(first - 20, first + n + 20, m)  # some events of people outside the batch
    if seed % 2:
        person = np.sort(person)  # sorted, as a batch's events are; the pass is right in any order
    month = rng.integers(0, 48, m).astype(np.int16)
    good = rng.random(9) < 0.4
    kind = rng.integers(-1, 9, m).astype(np.int8)  # -1: a missing category, which numpy indexes from the end
    as_of = 30
    sel = (month <= as_of) & ~good[kind.astype(np.int64)]
    ids = person[sel]
    expected = np.zeros(n, dtype=bool)
    expected[ids[(ids >= first) & (ids < first + n)] - first] = True
    assert penalised_people(person, month, kind, good, first, n, as_of).tolist() == expected.tolist()

    sanctioned = rng.random(n) < 0.1
    codes, sizes = stratum_codes(sanctioned, expected, 3, 0, 1, 2)
    want = np.full(n, 2, np.int8)
    want[expected] = 1
    want[sanctioned] = 0
    assert codes.tolist() == want.tolist()
    assert sizes.tolist() == np.bincount(want, minlength=3).tolist()
    codes, sizes = stratum_codes(sanctioned, expected, 4, 3, 3, 1)  # other codes, two strata sharing one
    want = np.full(n, 1, np.int8)
    want[expected | sanctioned] = 3
    assert codes.tolist() == want.tolist()
    assert sizes.tolist() == np.bincount(want, minlength=4).tolist()
