"""The generator's compiled kernels compute exactly their numpy formulations.

Each kernel in :mod:`audit.population.synth.event_kernels`, :mod:`~audit.population.synth.follow_kernels` and
:mod:`~audit.population.synth.tie_kernels` is run on random inputs (and on edge
cases: no people or events, one or two people, values sitting exactly on a
table's edges, equal sort keys) and compared for equality with the numpy
formulation in its docstring. The last tests compare whole populations with
the plain-numpy generator in ``_synth_numpy.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.special import ndtr

from audit.population.model import synthesize_chunk
from audit.population.spec import load_spec
from audit.population.synth import BLOCK_SIZE, event_kernels, follow_kernels, tie_kernels
from tests.audit import _synth_numpy
from tests.audit.test_synth import assert_identical

SIZES = [0, 1, 2, 3, 17, 1000]


def _cum(rng, k):
    shares = rng.dirichlet(np.ones(k))
    return np.cumsum(shares)


@pytest.mark.parametrize("n", SIZES)
def test_people_columns(n):
    rng = np.random.default_rng(n)
    z = rng.standard_normal(n)
    if n >= 3:
        z[:3] = [-40.0, 40.0, 0.0]  # u = 0, u = 1 (quintile 5, not 6), u = 0.5
    u = ndtr(z)
    e_edu, e_urban = rng.standard_normal(n), rng.standard_normal(n)
    r_male, r_region, r_band, r_age = (rng.random(n) for _ in range(4))
    bounds = np.sort(rng.uniform(0, 1e5, 6))
    edu_cuts = np.sort(rng.standard_normal(3))
    region_cum, age_cum = _cum(rng, 4), _cum(rng, 5)
    if n >= 3:
        r_region[:2] = region_cum[1], region_cum[-1]  # exactly on an edge (side="right"), and the rounding top
        r_band[:2] = age_cum[0], age_cum[-1]
    age_edges = np.array([18, 25, 40, 55, 70, 90])
    loading, urban_loading, cut = 0.55, 0.6, 0.3
    noise, urban_noise = float(np.sqrt(1 - loading**2)), float(np.sqrt(1 - urban_loading**2))
    out = dict(
        quintile=np.empty(n, np.int8), income=np.empty(n), education=np.empty(n, np.int8), urban=np.empty(n, bool),
        male=np.empty(n, bool), region=np.empty(n, np.int8), age=np.empty(n, np.int16),
    )
    event_kernels.people_columns(
        u, z, e_edu, e_urban, r_male, r_region, r_band, r_age, bounds, loading, noise, edu_cuts,
        urban_loading, urban_noise, cut, 0.51, region_cum, age_cum, age_edges, *out.values(),
    )
    q0 = np.minimum((u * 5.0).astype(np.int8), 4)
    band = np.minimum(np.searchsorted(age_cum, r_band, side="right"), len(age_cum) - 1)
    want = dict(
        quintile=q0 + 1,
        income=bounds[q0] + (u * 5.0 - q0) * (bounds[q0 + 1] - bounds[q0]),
        education=np.searchsorted(edu_cuts, loading * z + noise * e_edu),
        urban=urban_loading * z + urban_noise * e_urban > cut,
        male=r_male < 0.51,
        region=np.minimum(np.searchsorted(region_cum, r_region, side="right"), len(region_cum) - 1),
        age=(age_edges[band] + r_age * (age_edges[band + 1] - age_edges[band])).astype(np.int16),
    )
    for name, got in out.items():
        np.testing.assert_array_equal(got, want[name], err_msg=name)
    assert np.all(out["quintile"] <= 5)


def _cells_input(rng, n, bins):
    quintile = rng.integers(1, 6, n).astype(np.int8)
    education = rng.integers(0, 4, n).astype(np.int8)
    urban = rng.random(n) < 0.6
    age_cuts = np.array([18, 25, 60, 65])
    age = rng.choice(np.array([17, 18, 24, 25, 40, 60, 64, 65, 80], np.int16), n)  # on and beside the cuts
    edges = np.concatenate([[0.0], np.sort(rng.random(bins - 1)), [1.0]])
    reliability = rng.random(n)
    if n >= 2 and bins > 1:
        reliability[:2] = edges[1], 0.0  # exactly on an edge, and at the bottom
    n_cells = 5 * 4 * 2 * (len(age_cuts) + 1) * bins
    return quintile, education, urban, age, reliability, age_cuts, edges, n_cells


@pytest.mark.parametrize("bins", [1, 16])
@pytest.mark.parametrize("n", SIZES)
def test_event_cells(n, bins):
    rng = np.random.default_rng(100 + n)
    quintile, education, urban, age, reliability, age_cuts, edges, n_cells = _cells_input(rng, n, bins)
    cell, members, member_rel = np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n)
    per_cell, start = np.full(n_cells, 7, np.int64), np.empty(n_cells, np.int64)  # stale counts are cleared
    event_kernels.event_cells(
        quintile, education, urban, age, reliability, 4, age_cuts, len(age_cuts) + 1, edges, bins,
        cell, per_cell, start, members, member_rel,
    )
    age_int = np.searchsorted(age_cuts, age, side="right")
    rel_bin = np.clip(np.searchsorted(edges, reliability, side="right") - 1, 0, bins - 1) if bins > 1 else 0
    n_age = len(age_cuts) + 1
    want_cell = ((((quintile.astype(np.int64) - 1) * 4 + education) * 2 + urban) * n_age + age_int) * bins + rel_bin
    want_per_cell = np.bincount(want_cell, minlength=n_cells)
    want_members = np.argsort(want_cell, kind="stable")
    np.testing.assert_array_equal(cell, want_cell)
    np.testing.assert_array_equal(per_cell, want_per_cell)
    np.testing.assert_array_equal(start, np.cumsum(want_per_cell) - want_per_cell)
    np.testing.assert_array_equal(members, want_members)
    np.testing.assert_array_equal(member_rel, reliability[want_members])


def _alias_tables(rng, cells, k):
    prob = rng.random((cells, k))
    prob[:, 0] = 1.0
    prob[0] = 1.0  # a cell whose draws always keep their column
    return prob, rng.integers(0, k, (cells, k)).astype(np.int8)


@pytest.mark.parametrize("n_rel", [0, 1, 4])
@pytest.mark.parametrize("events_per_cell", [0.0, 0.3, 6.0])
def test_place_events(n_rel, events_per_cell):
    rng = np.random.default_rng(int(events_per_cell * 10) + n_rel)
    bins, k = (8 if n_rel else 1), 6
    n_cells = 40 * bins
    cell_of = rng.integers(0, n_cells, 300)
    per_cell = np.bincount(cell_of, minlength=n_cells)
    start = np.cumsum(per_cell) - per_cell
    members = np.argsort(cell_of, kind="stable").astype(np.int32)
    member_rel = rng.random(300)[members]
    present = np.flatnonzero(per_cell)
    totals = rng.poisson(events_per_cell, present.shape[0])
    m = int(totals.sum())
    u_person, u_kind = rng.random(m), rng.random(m)
    prob, alias = _alias_tables(rng, n_cells, k)
    if m >= 2:
        u_kind[:2] = np.nextafter(1.0, 0.0), 3.4 / k  # the largest draw; a draw in column 3
        prob[:, 3] = u_kind[1] * k - 3  # equal to the acceptance: the alias (strict <)
    slope = rng.normal(0, 2, n_rel)
    worst = rng.normal(0, 1, (n_rel, bins))
    person, slot, log_keep = np.empty(m, np.int32), np.empty(m, np.int8), np.empty(m)
    n_thin = event_kernels.place_events(
        present, totals, per_cell, start, members, member_rel, u_person, u_kind, prob, alias,
        bins, n_rel, slope, 0.6, worst, person, slot, log_keep,
    )
    ev_cell = np.repeat(present, totals)
    at = start[ev_cell] + (u_person * per_cell[ev_cell]).astype(np.int64)
    x = u_kind * k
    j = np.minimum(x.astype(np.int64), k - 1)
    want_slot = np.where(x - j < prob[ev_cell, j], j, alias[ev_cell, j])
    thin = want_slot < n_rel
    s = want_slot[thin]
    want_keep = slope[s] * (member_rel[at][thin] - 0.6) - worst[s, ev_cell[thin] % bins]
    np.testing.assert_array_equal(person, members[at])
    np.testing.assert_array_equal(slot, want_slot)
    assert n_thin == thin.sum()
    np.testing.assert_array_equal(log_keep[:n_thin], want_keep)


@pytest.mark.parametrize("m", [0, 1, 2, 500])
@pytest.mark.parametrize("n_rel", [0, 3, 6])
def test_thin_events_in_place(m, n_rel):
    rng = np.random.default_rng(m + n_rel)
    person = rng.integers(0, 50, m).astype(np.int32)
    slot = rng.integers(0, 6, m).astype(np.int8)
    n_thin = int((slot < n_rel).sum())
    kept = rng.random(n_thin) < 0.6
    base_kinds = np.array([3, 0, 7, 1, 9, 2], np.int8)
    idx = np.flatnonzero(slot < n_rel)
    keep = np.ones(m, bool)
    keep[idx[~kept]] = False
    want_person, want_kind = person[keep], base_kinds[slot[keep]]
    kind = np.empty(m, np.int8)
    w = event_kernels.thin_events(person, slot, kept, n_rel, base_kinds, person, kind)
    assert w == keep.sum()
    np.testing.assert_array_equal(person[:w], want_person)
    np.testing.assert_array_equal(kind[:w], want_kind)


@pytest.mark.parametrize("m", [0, 1, 2, 5000])
@pytest.mark.parametrize(("low", "high"), [(-3.6, 0.0), (-40.0, 2.0), (-800.0, 800.0)])
def test_thinning_kept_is_numpys_comparison(m, low, high):
    """Random keep-probabilities (the generator's are in exp([-3.6, 0])) and far beyond: decided as numpy's
    ``u < exp(x)``, nothing left undecided (a uniform within 1e-10 of exp(x) is rarer than these draws)."""
    rng = np.random.default_rng(m)
    log_keep, u = rng.uniform(low, high, m), rng.random(m)
    kept = np.ones(m, bool)
    assert event_kernels.thinning_kept(log_keep, u, kept) == 0
    with np.errstate(over="ignore"):  # exp(800) is inf: every uniform below it
        np.testing.assert_array_equal(kept, u < np.exp(log_keep))


def test_exp_near_is_within_1e_13_of_numpys_exp():
    """The margin of 1e-10 the thinning relies on is a thousand times the compiled exp's error, over its range."""
    x = np.r_[np.linspace(-38.0, 1.0, 20_001), -38.0, -1e-300, 0.0, 1.0]
    near = np.array([event_kernels._exp_near(v) for v in x])
    assert np.max(np.abs(near / np.exp(x) - 1.0)) < 1e-13


def test_thinning_kept_leaves_too_close_calls_undecided():
    """A uniform at numpy's exp(x), one unit in the last place either side, or 0 against exp(-50): undecided;
    ten millionths away, or any uniform but 0 against exp(-50): decided as numpy decides."""
    log_keep = np.array([-0.7, -0.7, -0.7, -2.0, -2.0, -50.0, -50.0, -1000.0, 0.5, 3.0, np.nan, -0.1])
    e = np.exp(log_keep)
    u = np.array([e[0], np.nextafter(e[1], 0.0), np.nextafter(e[2], 1.0), e[3] * (1 - 1e-7), e[4] * (1 + 1e-7),
                  0.0, 2.0**-53, 2.0**-53, 0.99, 0.999, 0.2, e[11] * (1 + 3e-10)])
    kept = np.empty(u.shape[0], bool)
    assert event_kernels.thinning_kept(log_keep, u, kept) == 4  # the first three, and 0 against exp(-50)
    decided = np.r_[3:5, 6:12]
    np.testing.assert_array_equal(kept[decided], (u < e)[decided])


def test_thinned_populations_take_numpys_exp_when_a_call_is_too_close(monkeypatch):
    """When the compiled comparison cannot decide, numpy's exp decides: the same population."""
    calls = []

    def undecided(log_keep, u_thin, kept):
        calls.append(log_keep.shape[0])
        kept[:] = False  # garbage: overwritten from numpy's exp
        return 1

    monkeypatch.setattr(event_kernels, "thinning_kept", undecided)
    _assert_same_as_numpy(load_spec("tiny"), seed=13, size=3000, blocks=(0, 1))
    assert calls


def _sorted_events(rng, n, m, horizon, kind_bits, key_type):
    """Events through sort_events; returns the packed keys and the inputs."""
    person = rng.integers(0, max(n, 1), m).astype(np.int32)
    month = rng.integers(0, horizon, m).astype(np.int16)
    kind = rng.integers(0, 15, m).astype(np.int8)
    if m >= 4:
        person[1], month[1], kind[1] = person[0], month[0], kind[0]  # equal keys
    kind_unit = rng.integers(0, 3, 16).astype(np.int8)
    shift = max(1, (horizon << kind_bits).bit_length())
    packed = np.empty(m, key_type)
    with_amount = event_kernels.sort_events(
        person, month, kind, kind_bits, shift, kind_unit, np.full(horizon << kind_bits, 5, np.int32),
        np.full(n + 1, 5, np.int32), np.empty(m, key_type), packed,
    )
    return packed, person, month, kind, kind_unit, shift, with_amount


@pytest.mark.parametrize("m", [0, 1, 2, 500])
@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])  # of events of the trigger's kind: none, some, all
@pytest.mark.parametrize("prob", [0.0, 0.5, 1.0])
def test_count_equal_and_followed_events(m, share, prob):
    rng = np.random.default_rng(int(m + 10 * share + 100 * prob))
    trigger = 5
    kind = np.where(rng.random(m) < share, trigger, rng.integers(0, 5, m)).astype(np.int8)
    count = follow_kernels.count_equal(kind, trigger)
    assert count == np.count_nonzero(kind == trigger)
    u = rng.random(count)
    out = np.full(count + 1, -7, np.int64)  # room for one more, as the kernel asks
    kept = follow_kernels.followed_events(kind, trigger, u, prob, out)
    idx = np.flatnonzero(kind == trigger)
    np.testing.assert_array_equal(out[:kept], idx[u < prob])


@pytest.mark.parametrize("followed_count", [0, 1, 2, 300])
@pytest.mark.parametrize("horizon", [1, 12, 36, 4000])  # every follow-up late, some, none
def test_append_follow_ups(followed_count, horizon):
    rng = np.random.default_rng(followed_count * 7 + horizon)
    m, follow_kind = 400, 9
    person = rng.integers(0, 100, m + followed_count).astype(np.int32)
    month = rng.integers(0, horizon, m + followed_count).astype(np.int16)
    kind = rng.integers(0, 9, m + followed_count).astype(np.int8)
    followed = np.sort(rng.choice(m, followed_count, replace=False)).astype(np.int64)
    delay = rng.poisson(7.0, followed_count)
    months = month[followed] + 1 + delay
    ok = months < horizon
    new = followed[ok]
    want_person = np.concatenate([person[:m], person[new]])
    want_month = np.concatenate([month[:m], months[ok].astype(np.int16)])
    want_kind = np.concatenate([kind[:m], np.full(new.shape[0], follow_kind, np.int8)])
    late_person, late_month = np.empty(followed_count, np.int32), np.empty(followed_count, np.int64)
    grown = follow_kernels.append_follow_ups(
        person, month, kind, m, followed, delay, horizon, follow_kind, late_person, late_month,
    )
    assert grown == m + new.shape[0]
    np.testing.assert_array_equal(person[:grown], want_person)
    np.testing.assert_array_equal(month[:grown], want_month)
    np.testing.assert_array_equal(kind[:grown], want_kind)
    late = followed_count - new.shape[0]
    np.testing.assert_array_equal(late_person[:late], want_person[:m][followed[~ok]])
    np.testing.assert_array_equal(late_month[:late], months[~ok])


@pytest.mark.parametrize("key_type", [np.int32, np.int64])
@pytest.mark.parametrize(
    ("n", "m", "horizon"), [(1, 0, 36), (1, 1, 36), (1, 40, 36), (2, 9, 36), (300, 2000, 36), (50, 400, 4000)]
)
def test_sort_and_write_events(n, m, horizon, key_type):
    rng = np.random.default_rng(n * 7 + m)
    kind_bits, first = 4, 3 * BLOCK_SIZE
    packed, person, month, kind, kind_unit, shift, with_amount = _sorted_events(rng, n, m, horizon, kind_bits, key_type)
    want_packed = np.sort((person.astype(np.int64) << shift) | (month.astype(np.int64) << kind_bits) | kind)
    np.testing.assert_array_equal(packed, want_packed)
    assert with_amount == np.count_nonzero(kind_unit[kind])

    income, education = rng.uniform(1e3, 2e5, n), rng.integers(0, 4, n).astype(np.int8)
    kind_source, kind_domain = rng.integers(0, 5, 16).astype(np.int8), rng.integers(0, 6, 16).astype(np.int8)
    kind_scale, noise = rng.uniform(0.5, 300, 16), np.exp(0.5 * rng.standard_normal(with_amount) - 0.125)
    u_genuine, mis_source, mis_edu = rng.random(m), rng.uniform(0, 0.3, 5), rng.uniform(0.5, 2, 4)
    out = dict(
        person=np.empty(m, np.int64), month=np.empty(m, np.int16), kind=np.empty(m, np.int8), source=np.empty(m, np.int8),
        domain=np.empty(m, np.int8), amount=np.empty(m), genuine=np.empty(m, bool),
    )
    event_kernels.write_events(
        packed, kind_bits, shift, first, income, education, kind_source, kind_domain, kind_unit, kind_scale,
        noise, u_genuine, mis_source, mis_edu, *out.values(),
    )
    # the numpy formulation of the generator before the kernels: sort one packed key, decode it
    key = np.sort(((person.astype(np.int64) * horizon + month) << kind_bits) | kind)
    k = (key & ((1 << kind_bits) - 1)).astype(np.int8)
    p = (key >> kind_bits) // horizon
    unit = kind_unit[k]
    has = np.flatnonzero(unit)
    scale = kind_scale[k[has]] * noise
    amount = np.zeros(m)
    amount[has] = np.round(np.where(unit[has] == 1, scale * income[p[has]] / 12.0, scale), 2)
    want = dict(
        person=first + p, month=(key >> kind_bits) % horizon, kind=k, source=kind_source[k], domain=kind_domain[k],
        amount=amount, genuine=u_genuine >= mis_source[kind_source[k]] * mis_edu[education[p]],
    )
    for name, got in out.items():
        np.testing.assert_array_equal(got, want[name], err_msg=name)


@pytest.mark.parametrize("units", ["mixed", "none", "yuan", "hours"])
@pytest.mark.parametrize("m", [0, 1, 3000])
def test_write_events_amounts_are_the_numpy_formulations_bits(units, m):
    """Amounts bit for bit (``assert_array_equal`` takes -0.0 for 0.0): rows without an amount +0.0, negative
    scales kept, every unit alone and mixed (the kernel picks between floats without branches)."""
    rng = np.random.default_rng(m + len(units))
    n, horizon, kind_bits, first = 40, 36, 4, 0
    packed, person, month, kind, kind_unit, shift, with_amount = _sorted_events(rng, n, m, horizon, kind_bits, np.int32)
    if units != "mixed":
        kind_unit[:] = {"none": 0, "yuan": 1, "hours": 2}[units]
        with_amount = event_kernels.sort_events(
            person, month, kind, kind_bits, shift, kind_unit, np.empty(horizon << kind_bits, np.int32),
            np.empty(n + 1, np.int32), np.empty(m, np.int32), packed,
        )
    income = rng.uniform(1e3, 2e5, n)
    kind_scale = rng.uniform(-300, 300, 16)  # negative: the sign of a rounded amount, and of a zero, must survive
    noise = np.exp(0.5 * rng.standard_normal(with_amount))
    columns = [np.empty(m, dtype) for dtype in (np.int64, np.int16, np.int8, np.int8, np.int8, np.float64, bool)]
    event_kernels.write_events(
        packed, kind_bits, shift, first, income, np.zeros(n, np.int8), np.zeros(16, np.int8), np.zeros(16, np.int8),
        kind_unit, kind_scale, noise, rng.random(m), np.zeros(5), np.ones(4), *columns,
    )
    k, p = packed & ((1 << kind_bits) - 1), packed >> shift
    unit = kind_unit[k]
    has = np.flatnonzero(unit)
    scale = kind_scale[k[has]] * noise
    want = np.zeros(m)
    want[has] = np.round(np.where(unit[has] == 1, scale * income[p[has]] / 12.0, scale), 2)
    assert with_amount == has.shape[0]
    np.testing.assert_array_equal(columns[5].view(np.uint64), want.view(np.uint64))


def test_rint_rounding_is_numpy_round():
    """write_events rounds with rint(x * 100) / 100; numpy's round(x, 2) is the same, halves included."""
    x = np.concatenate([np.random.default_rng(1).uniform(0, 1e6, 10_000), [0.125, 0.375, 2.675, 1.005, 1e17, 0.0]])
    np.testing.assert_array_equal(np.round(x, 2), np.rint(x * 100.0) / 100.0)


@pytest.mark.parametrize("n", SIZES)
def test_count_below_and_tie_key(n):
    rng = np.random.default_rng(n)
    u = rng.random(n)
    assert event_kernels.count_below(u, 0.7) == np.count_nonzero(u < 0.7)
    z, edu, noise, out = rng.standard_normal(n), rng.integers(0, 4, n).astype(np.int8), rng.standard_normal(n), np.empty(n)
    tie_kernels.tie_key(z, edu, noise, out)
    np.testing.assert_array_equal(out, z + 0.5 * (edu - 1.5) + 0.25 * noise)


@pytest.mark.parametrize("n", [1, 2, 3, 1000, 1 << 16])
@pytest.mark.parametrize(
    ("case", "argsort"),
    [
        ("distinct", True),
        ("two equal", False),
        ("signed zeros", False),
        ("top bits equal, rows in key order", True),
        ("top bits equal, rows against key order", False),
    ],
)
@pytest.mark.parametrize("order_type", [np.uint16, np.int32])  # the generator's, and a wider one
def test_packed_sort_is_the_argsort_or_says_not(n, case, argsort, order_type):
    """Sorted pack_keys words give np.argsort(key) when unpack_order says so.

    It says so unless two keys are equal in their top 48 bits (and then only
    when the rows happen to be in key order).
    """
    rng = np.random.default_rng(n)
    key = rng.standard_normal(n) * 3
    if n >= 3:
        if case == "two equal":
            key[2] = key[0]
        elif case == "signed zeros":
            key[:2] = -0.0, 0.0
        elif case == "top bits equal, rows in key order":
            key[2] = np.nextafter(key[0], np.inf)  # ordered by row: right by luck
        elif case == "top bits equal, rows against key order":
            key[2] = np.nextafter(key[0], -np.inf)  # ordered by row: wrong
    packed, order = np.empty(n, np.uint64), np.empty(n, order_type)
    tie_kernels.pack_keys(key, packed)
    packed.sort()
    sorted_ok = tie_kernels.unpack_order(key, packed, order)
    assert sorted_ok == (argsort or n < 3)
    if sorted_ok:
        np.testing.assert_array_equal(order, np.argsort(key))


def _ties_numpy(order, near, offset, reach, random_friend, first):
    n, k = near.shape
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    rows = np.nonzero(near)[0]
    off = offset - reach
    off += off >= 0
    friend = np.empty((n, k), np.int64)
    friend[near] = order[np.clip(rank[rows] + off, 0, n - 1)]
    friend[~near] = random_friend
    friend.sort(axis=1)
    me = np.arange(n)[:, None]
    keep = friend != me
    keep[:, 1:] &= friend[:, 1:] != friend[:, :-1]
    return first + np.broadcast_to(me, (n, k))[keep], first + friend[keep]


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 8, 9, 16, 17, 40])
@pytest.mark.parametrize("n", [2, 3, 60])
@pytest.mark.parametrize("homophily", [0.0, 0.7, 1.0])
@pytest.mark.parametrize("row_type", [np.uint16, np.int32])  # the generator's rows, and wider ones
def test_tie_rows(n, k, homophily, row_type):
    rng = np.random.default_rng(n * 100 + k)
    first = 5 * BLOCK_SIZE
    order = rng.permutation(n).astype(row_type)
    reach = min(12, n - 1)
    u_near = rng.random(n * k)
    near = (u_near < homophily).reshape(n, k)
    n_near = event_kernels.count_below(u_near, homophily)
    offset = rng.integers(0, 2 * reach, n_near)
    random_friend = rng.integers(0, n, n * k - n_near)
    if n * k - n_near >= 2:
        random_friend[:2] = 0  # a duplicate, and person 0 drawing itself
    out_person, out_friend = np.empty(n * k, np.int64), np.empty(n * k, np.int64)
    rank, in_degree = np.empty(n, row_type), np.full(n, 7, row_type)  # in_degree starts dirty, as reused scratch does
    w, most = tie_kernels.tie_rows(
        order, u_near, homophily, offset, reach, random_friend, k, first, rank, in_degree, out_person, out_friend,
    )
    want_person, want_friend = _ties_numpy(order, near, offset, reach, random_friend, first)
    assert w == want_person.shape[0]
    np.testing.assert_array_equal(out_person[:w], want_person)
    np.testing.assert_array_equal(out_friend[:w], want_friend)
    want_in_degree = np.bincount(want_friend - first, minlength=n)
    np.testing.assert_array_equal(in_degree, want_in_degree)
    assert most == want_in_degree.max()


def test_tie_rows_of_a_whole_block_in_16_bits():
    """A block's rows, ranks and in-degrees fit 16 bits: the last row is 65,535, and everyone but person 0
    naming person 0 gives it the largest in-degree there can be, 65,535."""
    n, k = BLOCK_SIZE, 2
    order = np.arange(n)[::-1].astype(np.uint16)  # rank of row r: n - 1 - r
    u_near = np.tile([0.0, 0.9], n)  # draw 0 near (homophily 0.5), draw 1 a stranger
    offset = np.full(n, 23)  # the 12th neighbour up the order: rank + 12 (clipped at the top)
    random_friend = np.zeros(n, np.int64)
    out_person, out_friend = np.empty(n * k, np.int64), np.empty(n * k, np.int64)
    rank, in_degree = np.empty(n, np.uint16), np.full(n, 9, np.uint16)
    w, most = tie_kernels.tie_rows(
        order, u_near, 0.5, offset, 12, random_friend, k, 0, rank, in_degree, out_person, out_friend,
    )
    want_person, want_friend = _ties_numpy(order.astype(np.int64), (u_near < 0.5).reshape(n, k), offset, 12,
                                           random_friend, 0)
    assert w == want_person.shape[0]
    np.testing.assert_array_equal(out_person[:w], want_person)
    np.testing.assert_array_equal(out_friend[:w], want_friend)
    assert in_degree[0] == n - 1 and most == n - 1
    np.testing.assert_array_equal(in_degree, np.bincount(want_friend, minlength=n))


# --- whole populations: the same as the plain-numpy generator


def _assert_same_as_numpy(spec, *, seed, size, blocks):
    pop = synthesize_chunk(spec, seed=seed, size=size, blocks=blocks)
    parts = [_synth_numpy.draw_block(spec, seed=seed, block=b, size=size) for b in range(*blocks)]
    want = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    people, events, ties = pop.people, pop.events, pop.ties
    got = {
        "person_id": people["person_id"], "age": people["age"], "male": people["sex"].cat.codes.astype(bool),
        "urban": people["urban"], "region": people["region"].cat.codes, "income": people["income"],
        "quintile": people["income_quintile"], "education": people["education"].cat.codes,
        "reliability": people["reliability"], "ev_person": events["person_id"], "ev_month": events["month"],
        "ev_kind": events["kind"].cat.codes, "ev_domain": events["domain"].cat.codes,
        "ev_source": events["source"].cat.codes,
        "ev_amount": events["amount"], "ev_genuine": events["genuine"], "tie_person": ties["person_id"],
        "tie_friend": ties["friend_id"],
    }
    for name, column in got.items():
        values = column.to_numpy()
        assert values.dtype == want[name].dtype, name
        np.testing.assert_array_equal(values, want[name], err_msg=name)


@pytest.fixture(scope="module")
def china():
    return load_spec("china-2020")


@pytest.mark.parametrize("size", [1, 2, 3, 40])
def test_tiny_populations_match_numpy(china, size):
    _assert_same_as_numpy(china, seed=size, size=size, blocks=(0, 1))


def test_chunk_with_a_short_last_block_matches_numpy(china):
    """Two full blocks and the population's last block of 5 people, drawn as one chunk."""
    _assert_same_as_numpy(china, seed=4, size=3 * BLOCK_SIZE + 5, blocks=(1, 4))


@pytest.mark.parametrize(
    "change",
    [
        {"friends_per_person": 0},
        {"friends_per_person": 1, "homophily": 1.0},
        {"friends_per_person": 20, "homophily": 0.0},
        {"horizon_months": 4000},
        "no reliability slopes",
        {"follow_delay_months": 1.0},
        {"follow_delay_months": 0.4},
        {"follow_delay_months": 23.0},
    ],
    ids=["k0", "k1-all-near", "k20-all-random", "long-horizon", "no-reliability", "follow-next-month",
         "follow-delay-under-1", "follow-delay-over-11"],
)
def test_tiny_spec_variants_match_numpy(change):
    """Variants of the tiny spec; the follow-up delays' Poisson mean is 0 (no draw), below 10 (compiled) or 22
    (numpy's own draw)."""
    spec = load_spec("tiny")
    if change == "no reliability slopes":
        spec = dataclasses.replace(spec, events=tuple(dataclasses.replace(e, reliability_slope=0.0) for e in spec.events))
    elif "follow_delay_months" in change:
        spec = dataclasses.replace(spec, events=tuple(
            dataclasses.replace(e, **change) if e.follows is not None else e for e in spec.events
        ))
    else:
        spec = dataclasses.replace(spec, **change)
    _assert_same_as_numpy(spec, seed=9, size=3000, blocks=(0, 1))


def test_tie_order_falls_back_to_numpy_argsort(china, monkeypatch):
    """When the packed sort cannot vouch for the order (equal keys), numpy's argsort gives it: the same ties."""
    monkeypatch.setattr(tie_kernels, "unpack_order", lambda key, packed, order: False)
    _assert_same_as_numpy(china, seed=12, size=5000, blocks=(0, 1))


def test_threads_drawing_at_once_get_the_same_population():
    """Work arrays are per thread and the kernels release the GIL: chunks drawn concurrently equal chunks drawn alone."""
    from concurrent.futures import ThreadPoolExecutor

    spec, size = load_spec("tiny"), 4 * BLOCK_SIZE
    plan = [(0, 1), (1, 3), (3, 4), (0, 2)]
    alone = [synthesize_chunk(spec, seed=2, size=size, blocks=b) for b in plan]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda b: synthesize_chunk(spec, seed=2, size=size, blocks=b), plan * 2))
    for a, b in zip(alone * 2, together):
        for name in ("people", "events", "ties"):
            assert_identical(getattr(a, name), getattr(b, name))


def test_each_kernel_module_holds_identical_copies_of_the_helpers_it_shares():
    """numba's cache checks only a cached function's own file, so the kernel modules keep their own copies
    of the compiled helpers they both call; the copies must stay the same."""
    import ast
    from pathlib import Path

    import audit.population.synth.event_kernels as ev
    import audit.population.synth.tie_kernels as ti

    def helpers(module) -> dict[str, str]:
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        return {n.name: ast.dump(n) for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("_pick", "_nonempty")}

    assert set(helpers(ev)) == {"_pick", "_nonempty"}
    assert helpers(ev) == helpers(ti)
