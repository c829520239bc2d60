"""Compiled per-person kernels of the reference scorers.

Why compiled: the numpy formulation of a scorer builds dense people x kinds
matrices (``np.bincount`` over ``rows * kinds + codes``), sums their rows and
picks each row's costliest reasons by repeated ``argmax``; every step streams
``n * kinds`` floats through memory although a person has only a handful of
events. The kernels here walk the events once, a tile of people at a time
(a small per-kind table that stays in cache), and emit each person's score,
tier and reason combination directly.

Every kernel gives bit for bit what the numpy formulation gives:

- a person's per-kind sums add the same values in the same order (the events
  in their order in the table, as ``np.bincount`` does), whether the events
  arrive grouped by person or not (:func:`scorers._kernels._arrays.stable_order`
  regroups them stably);
- row sums use numpy's pairwise summation order (:func:`pairwise_sum`), so
  ``matrix.sum(axis=1)`` is reproduced exactly;
- every elementwise expression keeps numpy's operand order, and numba does
  not contract ``a * b + c`` into a fused multiply-add unless asked to.

What makes them cheap (each step measured in ``docs/scale.md``, Scoring):

- a person's row of a tile's table is read and cleared in place
  (``table[i, c]``), never through a row view (``table[i]``), which costs
  a reference-count call when it is made and another when it is dropped;
- a kind that cannot cost anything is never looked at when reasons are
  picked: a points scheme ranks only the kinds it deducts for, Sesame looks
  at its costly kinds only for people with such an event in the window (a
  kind with no event costs ``+-0.0`` or NaN, never more than ``min_cost``
  when ``min_cost >= 0``);
- Sesame counts events in int32 (a count is the same number whether held
  as an integer or a float: adding 1 to an integer is a shorter dependency
  than adding 1.0, and the table is half the size);
- Sesame's loops over events and over ties add without a branch: an event
  or a tie that does not count adds ``0`` or ``-0.0`` (which leaves every
  float as it is, ``+0.0`` included).

``tests/scorers/kernels/test_compiled.py`` checks each kernel against the plain numpy
formulation on random inputs.

Numba caches compiled code next to this module and checks only this file for
changes, so every kernel and every helper it inlines lives here, even though
that makes the module longer than usual (about 600 lines). The listing kernel
of the judgment-defaulter list shares no helper with these and lives in
:mod:`scorers._kernels._listing`.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = [
    "PREFETCH_TIES",
    "TILE",
    "digit_places_of",
    "income_for_log",
    "pairwise_dot",
    "pairwise_sum",
    "person_components",
    "prefetch",
    "points_kernel",
    "sesame_kernel",
    "sesame_reasons_kernel",
    "tier_index",
]

_jit = numba.njit(cache=True, nogil=True)
#: Helpers called once per event or person, inlined by numba itself. They
#: only read arrays: a helper that writes into an array it is passed made a
#: kernel tens of nanoseconds per call slower, so writes stay in the kernels.
_inline = numba.njit(cache=True, nogil=True, inline="always")
_FLOAT_MAX = np.finfo(np.float64).max
_INT32_MAX = np.iinfo(np.int32).max


# ----------------------------------------------------------------------------- primitives


@_inline
def pairwise_sum(table: np.ndarray, row: int) -> float:
    """``0.0 + table[row].sum()`` in the order numpy's ``add.reduce`` adds a contiguous float64 row of at most 128 values.

    numpy adds fewer than 8 values one by one and up to 128 values in 8
    interleaved partial sums combined as ``((r0 + r1) + (r2 + r3)) + ((r4 +
    r5) + (r6 + r7))``; a reduction starts from the identity ``0.0``. (Longer
    rows, which numpy splits in halves, are not needed: no scorer has them.)
    The row is read in place: a row view (``table[row]``) costs a
    reference-count call when made and another when dropped, every person.
    """
    a = table
    n = a.shape[1]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[row, i]
        return 0.0 + res
    r0, r1, r2, r3 = a[row, 0], a[row, 1], a[row, 2], a[row, 3]
    r4, r5, r6, r7 = a[row, 4], a[row, 5], a[row, 6], a[row, 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[row, i]
        r1 += a[row, i + 1]
        r2 += a[row, i + 2]
        r3 += a[row, i + 3]
        r4 += a[row, i + 4]
        r5 += a[row, i + 5]
        r6 += a[row, i + 6]
        r7 += a[row, i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[row, i]
        i += 1
    return 0.0 + res


@_inline
def pairwise_dot(table: np.ndarray, row: int, b: np.ndarray) -> float:
    """:func:`pairwise_sum` of ``table[row] * b`` without building it: numpy's ``(table[row] * b).sum()``."""
    a = table
    n = a.shape[1]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[row, i] * b[i]
        return 0.0 + res
    r0, r1, r2, r3 = a[row, 0] * b[0], a[row, 1] * b[1], a[row, 2] * b[2], a[row, 3] * b[3]
    r4, r5, r6, r7 = a[row, 4] * b[4], a[row, 5] * b[5], a[row, 6] * b[6], a[row, 7] * b[7]
    i = 8
    while i < n - (n % 8):
        r0 += a[row, i] * b[i]
        r1 += a[row, i + 1] * b[i + 1]
        r2 += a[row, i + 2] * b[i + 2]
        r3 += a[row, i + 3] * b[i + 3]
        r4 += a[row, i + 4] * b[i + 4]
        r5 += a[row, i + 5] * b[i + 5]
        r6 += a[row, i + 6] * b[i + 6]
        r7 += a[row, i + 7] * b[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[row, i] * b[i]
        i += 1
    return 0.0 + res


@intrinsic
def prefetch(typingctx, array, index):
    """Ask the processor to bring ``array[index]`` of a 1-d array into its caches, without waiting for it.

    LLVM's ``llvm.prefetch`` (read, high locality, data): the call returns at
    once, never faults whatever ``index`` is, and changes no value. A kernel
    that gathers from a large array at scattered rows calls it some
    iterations ahead of the gathering load, so the row is in cache when the
    load comes: the processor itself overlaps only the few misses within its
    reorder window, and a load still waiting there holds the loop back.
    The address is the data pointer plus ``index`` elements, so for a strided
    array it is not ``array[index]``'s (harmless, but no help): pass contiguous arrays.
    """
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        data = context.make_array(array_type)(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), cgutils.voidptr_t)
        ir = cgutils.ir  # llvmlite's IR builder, as numba uses it (llvmlite is numba's, not ours to declare)
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32])
        # the intrinsic's name carries the pointer type ("p0" with opaque pointers, "p0i8" before): llvmlite spells it
        call = builder.module.declare_intrinsic("llvm.prefetch", [cgutils.voidptr_t], fnty=hint)
        builder.call(call, [address, i32(0), i32(3), i32(1)])  # read, keep in every cache level, data
        return context.get_dummy_value()

    return types.void(array, index), codegen


@_inline
def tier_index(score: float, bounds_increasing: np.ndarray) -> int:
    """``len(b) - np.searchsorted(b, score, side="right")`` for one score and increasing bounds ``b``.

    The count of bounds at or below the score, taken from the number of
    bounds; NaN sorts above everything, as in numpy, so a NaN score is tier 0.
    """
    nb = bounds_increasing.shape[0]
    if score != score:
        return 0
    below = 0
    for i in range(nb):
        below += bounds_increasing[i] <= score
    return nb - below


@_inline
def _rank(cand_val, cand_idx, nc, a):
    """How many of the ``nc`` candidates come before candidate ``a`` (costlier, or as costly at an earlier position)."""
    v = cand_val[a]
    i = cand_idx[a]
    rank = 0
    for b in range(nc):
        u = cand_val[b]
        rank += (u > v) | ((u == v) & (cand_idx[b] < i))
    return rank


@_inline
def _rank_key(cand_val, cand_idx, nc, k, place):
    """Key of the ``k`` costliest of ``nc`` candidates (costliest first, ties by position).

    The key has ``k`` digits base ``len(labels) + 1``, ``place[j]`` the weight
    of digit ``j`` (most significant first): position + 1 of each pick, 0
    where fewer than ``k`` are given. Candidates are the entries above the
    minimum cost, with distinct positions; an entry that beats a candidate is
    itself above the minimum, so ranking among candidates is ranking among all.
    """
    key = 0
    for a in range(nc):
        rank = _rank(cand_val, cand_idx, nc, a)
        if rank < k:
            key += (cand_idx[a] + 1) * place[rank]
    return key


@_inline
def _first_two(cand_val, cand_idx, nc):
    """The costlier (then earlier) and the other of ``nc <= 2`` candidates in position order: ``(i0, v0, i1, v1)``."""
    swap = nc == 2 and cand_val[1] > cand_val[0]
    if swap:
        return cand_idx[1], cand_val[1], cand_idx[0], cand_val[0]
    return cand_idx[0], cand_val[0], cand_idx[1], cand_val[1]


@_inline
def _candidates_key(cand_val, cand_idx, nc, k, place):
    """:func:`_rank_key`, with one or two candidates (most people) ranked without loops."""
    if nc > 2 or k < 2:
        return _rank_key(cand_val, cand_idx, nc, k, place)
    i0, _, i1, _ = _first_two(cand_val, cand_idx, nc)
    return (i0 + 1) * place[0] * (nc > 0) + (i1 + 1) * place[1] * (nc > 1)


@_jit
def digit_places_of(n_labels, k):
    """Weights of the ``k`` digits of a reason key, base ``n_labels + 1``, most significant first."""
    place = np.ones(max(k, 1), np.int64)
    for j in range(k - 2, -1, -1):
        place[j] = place[j + 1] * (n_labels + 1)
    return place


# ----------------------------------------------------------------------------- people and their events


# Every per-person kernel below walks the events once, in table order
# (``use_order`` False) or in ``order`` (from :func:`scorers._kernels._arrays.stable_order`). Only
# events of rows ``0 .. n - 1``, of a known kind (code >= 0) and with
# ``lo_month <= month <= hi_month`` count. The points and Sesame kernels take
# rows a tile of :data:`TILE` at a time: the tile's events add into a small
# per-row, per-kind table in the order they come (as ``np.bincount`` adds
# them; no branch per person), then each row of the tile is closed with
# fixed-length loops. A tile is closed at the first event of a later tile, so
# in table order an event of an earlier tile returns ``ok`` False (the caller
# then walks again in ``stable_order``); the listing kernel
# (:mod:`scorers._kernels._listing`), which closes person by person, needs
# rows that never decrease.

#: Rows per tile: a tile's table (rows x kinds float64) stays in the L2 cache.
TILE = 1024

#: Ties ahead of the one being added whose friend's ``own`` :func:`sesame_reasons_kernel`
#: prefetches by default. A batch's friends lie tens of thousands of rows either
#: side of a person (their ``own`` spans about a megabyte: most reads miss the L2
#: cache); 32 ties ahead gained most of the distances measured
#: (``bench/scoring.py --prefetch``, ``docs/scale.md``, Scoring).
PREFETCH_TIES = 32


@_inline
def _counts(e, codes, month, lo_month, hi_month):
    """Kind code of event ``e`` if it counts, else -1."""
    c = codes[e]
    m = month[e]
    if c < 0 or not (m <= hi_month) or not (m >= lo_month):
        return -1
    return c


@_jit
def _kinds_that_can_cost(per_kind, min_cost):
    """Kind codes, increasing, whose sums can cost more than ``min_cost``: those with a non-zero ``per_kind``.

    A kind whose per-event figure is zero (either sign) sums to +0.0 in the
    points kernel, which costs more than ``min_cost`` only when ``min_cost``
    is negative: then every kind is returned.
    """
    return np.flatnonzero((per_kind != 0.0) | (min_cost < 0.0))


# ----------------------------------------------------------------------------- points schemes (Suining, Rongcheng)


@_jit
def points_kernel(
    ids, first, n, codes, month, lo_month, hi_month, order, use_order, amount, as_of,
    lost_per_kind, expiry_per_kind, use_expiry, reward, reward_months, reward_cap, base, bounds, k, min_cost, lut,
):
    """Score, tier and reason combination per person of a points scheme (Suining, Rongcheng).

    Every counted event, of age ``as_of - month``, deducts
    ``lost_per_kind[kind]`` (times ``age < expiry_per_kind[kind]`` when
    ``use_expiry``) and, when ``reward`` has rows, earns an award that counts
    while ``age < reward_months``. ``reward`` is ``(4, kinds)``: points per
    unit, unit size in ``amount``, 1 for a fixed award per event, cap per
    event; a ``(0, kinds)`` array means no rewards. The score is ``base +
    min(awards, reward_cap) - deductions`` (``base - deductions`` without
    rewards), the tier ``tier_index(score, bounds)``, the reasons the ``k``
    kinds whose deductions cost most (more than ``min_cost >= 0``). Only the
    kinds with a non-zero deduction are ranked (every kind when ``min_cost <
    0``): the others' sums stay +0.0 (:func:`_kinds_that_can_cost`).

    Returns ``(ok, score, tier, combo, keys, count)``: ``combo`` numbers each
    person's reason combination, ``keys[:count]`` are the combinations' keys
    (read by :func:`scorers._kernels._frames.reasons_of`).
    """
    kinds = lost_per_kind.shape[0]
    has_reward = reward.shape[0] > 0
    place = digit_places_of(kinds, k)
    score = np.empty(n, np.float64)
    tier = np.empty(n, np.int8)
    combo = np.empty(n, np.int32)
    keys = np.empty(min(n, lut.shape[0]) + 1, np.int64)
    ncombo = 0
    lost = np.zeros((TILE, kinds), np.float64)
    gained = np.zeros(TILE, np.float64)
    cand_idx = np.zeros(kinds, np.int64)
    cand_val = np.zeros(kinds, np.float64)
    active = _kinds_that_can_cost(lost_per_kind, min_cost)
    size = order.shape[0] if use_order else ids.shape[0]
    q = 0
    for t0 in range(0, n, TILE):
        t1 = min(t0 + TILE, n)
        while q < size:  # the tile's events
            e = order[q] if use_order else q
            r = ids[e] - first
            if r < 0 or r >= n:
                q += 1
                continue
            if r < t0:  # a row already closed: leave lut as it was and let the caller walk in stable_order
                for c in range(ncombo):
                    lut[keys[c]] = -1
                return False, score, tier, combo, keys, 0
            if r >= t1:
                break
            q += 1
            c = _counts(e, codes, month, lo_month, hi_month)
            if c < 0:
                continue
            age = as_of - month[e]
            pts = lost_per_kind[c]
            if use_expiry:
                pts = pts * (1.0 if age < expiry_per_kind[c] else 0.0)
            lost[r - t0, c] += pts
            if has_reward:
                a = amount[e]
                a = a if (a >= 0.0 or a != a) else 0.0  # np.maximum(amount, 0.0)
                if a != a:  # np.nan_to_num
                    a = 0.0
                elif a == np.inf:
                    a = 1.7976931348623157e308
                units = 1.0 if reward[2, c] > 0 else np.floor(a * reward[1, c] + 1e-9)
                award = reward[0, c] * units
                cap = reward[3, c]
                award = award if (award <= cap or award != award) else cap  # np.minimum
                gained[r - t0] += award * (1.0 if age < reward_months else 0.0)
        for rr in range(t0, t1):  # close the tile's rows
            i = rr - t0
            if has_reward:
                g = gained[i]
                g = g if (g <= reward_cap or g != g) else reward_cap  # np.minimum
                s = (base + g) - pairwise_sum(lost, i)
                gained[i] = 0.0
            else:
                s = base - pairwise_sum(lost, i)
            score[rr] = s
            tier[rr] = tier_index(s, bounds)
            nc = 0
            for j in range(active.shape[0]):  # candidates: the kinds that cost more than min_cost
                c = active[j]  # the others' cells hold +0.0: nothing to rank, nothing to clear
                cand_idx[nc] = c
                x = lost[i, c]
                cand_val[nc] = x
                nc += x > min_cost
                lost[i, c] = 0.0
            key = _candidates_key(cand_val, cand_idx, nc, k, place)
            c = lut[key]
            if c < 0:
                c = ncombo
                lut[key] = c
                keys[c] = key
                ncombo += 1
            combo[rr] = c
    return True, score, tier, combo, keys, ncombo


# ----------------------------------------------------------------------------- Sesame


@_inline
def _clip01(x):
    """``np.clip(x, 0.0, 1.0)`` for a float (NaN stays NaN)."""
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@_inline
def _pos(x):
    """``np.maximum(x, 0.0)`` for a float."""
    return x if (x >= 0.0 or x != x) else 0.0


@_inline
def _nan_to_num(x, nan):
    """``np.nan_to_num(x, nan=nan)`` for a float: NaN becomes ``nan``, infinities the largest finite floats."""
    if x != x:
        return nan
    if x == np.inf:
        return _FLOAT_MAX
    if x == -np.inf:
        return -_FLOAT_MAX
    return x


@_jit
def income_for_log(income, floor):
    """``np.maximum(np.nan_to_num(income, nan=floor), 1.0)``: the incomes whose logarithm Sesame's capacity reads.

    The logarithm itself stays numpy's (``np.log``), the one the numpy
    scorer took; this pass and :func:`person_components` replace about
    fifteen whole-array numpy passes (``np.nan_to_num`` alone is five).
    """
    out = np.empty(income.shape[0], np.float64)
    for i in range(income.shape[0]):
        x = _nan_to_num(income[i], floor)
        out[i] = x if x >= 1.0 else 1.0  # np.maximum(x, 1.0); x is not NaN
    return out


@_jit
def person_components(log_income, lo, hi, education, levels, age, age_missing, share, full_age):
    """``(capacity, identity)`` per person (Sesame), as the numpy scorer computed them.

    - capacity: ``np.clip((log_income - lo) / (hi - lo), 0.0, 1.0)``;
    - identity: ``share * np.clip(edu / levels, 0.0, 1.0) + (1.0 - share) *
      np.clip((age - 18.0) / (full_age - 18.0), 0.0, 1.0)`` with ``edu`` the
      education code (a missing code, -1, counts as 0) and ``age`` float64,
      read through ``np.nan_to_num(age, nan=age_missing)``.
    """
    n = log_income.shape[0]
    capacity = np.empty(n, np.float64)
    identity = np.empty(n, np.float64)
    width = hi - lo
    rest = 1.0 - share
    age_span = full_age - 18.0
    for i in range(n):
        capacity[i] = _clip01((log_income[i] - lo) / width)
        edu = float(max(education[i], 0))
        a = _nan_to_num(age[i], age_missing)
        identity[i] = share * _clip01(edu / levels) + rest * _clip01((a - 18.0) / age_span)
    return capacity, identity


@_jit
def sesame_kernel(
    ids, first, n, codes, month, lo_month, hi_month, order, use_order,
    repaid_code, neg_w, bw, costly, neutral, capacity, identity, w, span, k, min_cost,
):
    """Per person (Sesame): own components, and the costliest reasons but relationships.

    Returns ``(ok, own, top_idx, top_val)``. ``own`` is ``(w0 h +
    w1 c + w2 b + w3 i) / (1 - w4)``, where ``h`` is the credit history ``(1
    + r) / (2 + r + a)`` from the counts of on-time repayments ``r`` and of
    adverse events weighted by ``neg_w``, ``b`` the behaviour ``clip(neutral +
    sum(bw * counts), 0, 1)``, and capacity ``c`` and identity ``i`` are
    given per person.

    Row ``r`` of ``top_idx``/``top_val`` holds the ``k`` costliest reasons
    above ``min_cost >= 0`` (position -1, cost -inf where fewer) among the kinds
    (positions 0 .. kinds - 1), capacity and identity (kinds, kinds + 1),
    costliest first, ties by position: a kind costs its share (by adverse
    weight) of the credit history's shortfall ``span * w0 * (clean -
    history)`` plus ``span * w2`` times the behaviour points it lost; a
    component ``span * w * max(neutral - value, 0)``.
    :func:`sesame_reasons_kernel` adds relationships. Only the kinds in
    ``costly`` are ranked: they must include every kind with a non-zero
    ``neg_w`` or a negative ``bw``. (Any other kind costs ``credit_cost * 0 +
    span * w2 * max(-(count * bw), 0)``, a zero when ``w2 >= 0``.) A person
    without an event of a costly kind in the window skips them when
    ``min_cost >= 0``: without events a kind costs ``+-0.0`` or NaN.

    Events are counted in int32 per person and kind (the same numbers as
    float counts, with a shorter dependency from one event to the next), so
    at most ``2**31 - 1`` events are taken (ValueError otherwise).
    """
    kinds = neg_w.shape[0]
    own = np.empty(n, np.float64)
    top_idx = np.empty((n, max(k, 1)), np.int8)
    top_val = np.empty((n, max(k, 1)), np.float64)
    if ids.shape[0] > _INT32_MAX:
        raise ValueError("sesame_kernel counts events in int32: pass fewer than 2**31 events")
    counts = np.zeros((TILE, kinds), np.int32)  # a row's events of each kind
    costly_seen = np.zeros(TILE, np.bool_)  # a row has an event of a costly kind
    is_costly = np.zeros(kinds, np.bool_)
    is_costly[costly] = True
    look_at_costly_always = min_cost < 0.0  # then a kind without events is a candidate too (it costs +-0.0)
    cand_idx = np.zeros(costly.shape[0] + 2, np.int64)
    cand_val = np.zeros(costly.shape[0] + 2, np.float64)
    credit_w = span * w[0]
    behaviour_w = span * w[2]
    size = order.shape[0] if use_order else ids.shape[0]
    q = 0
    for t0 in range(0, n, TILE):
        t1 = min(t0 + TILE, n)
        while q < size:  # the tile's events
            e = order[q] if use_order else q
            r = ids[e] - first
            if r < 0 or r >= n:
                q += 1
                continue
            if r < t0:  # a row already closed: the caller walks again in stable_order
                return False, own, top_idx, top_val
            if r >= t1:
                break
            q += 1
            c = codes[e]
            m = month[e]
            ok = (c >= 0) & (m <= hi_month) & (m >= lo_month)  # no branch: a window drops many events
            counts[r - t0, c if ok else 0] += 1 if ok else 0
            costly_seen[r - t0] |= ok & is_costly[c if ok else 0]
        for rr in range(t0, t1):  # close the tile's rows
            i = rr - t0
            repaid = float(counts[i, repaid_code])
            adverse = pairwise_dot(counts, i, neg_w)
            history = (1.0 + repaid) / (2.0 + repaid + adverse)
            behaviour = _clip01(neutral + pairwise_dot(counts, i, bw))
            own[rr] = (w[0] * history + w[1] * capacity[rr] + w[2] * behaviour + w[3] * identity[rr]) / (1.0 - w[4])
            credit_cost = credit_w * ((1.0 + repaid) / (2.0 + repaid) - history)
            nc = 0
            has_adverse = adverse > 0
            denominator = adverse if has_adverse else 1.0
            # candidates in position order: the costly kinds, capacity, identity; without an event a kind
            # costs +-0.0 or NaN, never more than min_cost >= 0, so a row with none skips them
            looked_at = costly.shape[0] if (costly_seen[i] or look_at_costly_always) else 0
            for j in range(looked_at):
                c = costly[j]
                x = float(counts[i, c])
                share = x * neg_w[c] / denominator
                share = share if has_adverse else 0.0  # the np.divide(..., where=adverse > 0) of the numpy scorer
                v = credit_cost * share + behaviour_w * _pos(-(x * bw[c]))
                cand_idx[nc] = c
                cand_val[nc] = v
                nc += v > min_cost
            v = span * (w[1] * _pos(neutral - capacity[rr]))
            cand_idx[nc] = kinds
            cand_val[nc] = v
            nc += v > min_cost
            v = span * (w[3] * _pos(neutral - identity[rr]))
            cand_idx[nc] = kinds + 1
            cand_val[nc] = v
            nc += v > min_cost
            for j in range(k):  # empty slots
                top_idx[rr, j] = -1
                top_val[rr, j] = -np.inf
            if nc <= 2 and k >= 2:
                i0, v0, i1, v1 = _first_two(cand_val, cand_idx, nc)
                top_idx[rr, 0] = i0 if nc > 0 else -1
                top_val[rr, 0] = v0 if nc > 0 else -np.inf
                top_idx[rr, 1] = i1 if nc > 1 else -1
                top_val[rr, 1] = v1 if nc > 1 else -np.inf
            else:
                for a in range(nc):
                    rank = _rank(cand_val, cand_idx, nc, a)
                    if rank < k:
                        top_idx[rr, rank] = cand_idx[a]
                        top_val[rr, rank] = cand_val[a]
            for c in range(kinds):
                counts[i, c] = 0
            costly_seen[i] = False
    return True, own, top_idx, top_val


@_jit
def sesame_reasons_kernel(
    me, friend, first, order, use_order,
    own, top_idx, top_val, neutral, weight, score_min, span, bounds, n_labels, k, min_cost, lut,
    prefetch_ties=PREFETCH_TIES,
):
    """``(ok, score, tier, combo, keys, count)`` per person (Sesame), once every ``own`` is known.

    A person's relationships are the mean ``own`` of their friends (ties ``me
    -> friend``, ids ``first + row``, summed in tie order as ``np.bincount``
    does; ``neutral`` without any; ties with either end outside the rows are
    ignored). The score is ``rint(score_min + span * (own * (1 - weight) +
    weight * relationships))``, the tier ``tier_index(score, bounds)``; the
    reasons the ``k`` costliest of those :func:`sesame_kernel` kept and
    relationships, which costs ``span * weight * max(neutral - value, 0)``
    and is the last of the ``n_labels`` labels (kinds, capacity, identity,
    relationships), so it comes after the kept reasons it ties with. Coded
    as in :func:`points_kernel`. Ties are walked a tile of rows at a time,
    like events (``ok`` False: walk again in ``stable_order(me, first, n)``).
    While a tie is added, the friend of the tie ``prefetch_ties`` further on
    is prefetched (:func:`prefetch`; 0: none), as friends' rows are
    scattered; it changes no value (``bench/scoring.py --prefetch`` times it).
    """
    n = own.shape[0]
    score = np.empty(n, np.float64)
    tier = np.empty(n, np.int8)
    combo = np.empty(n, np.int32)
    keys = np.empty(min(n, lut.shape[0]) + 1, np.int64)
    ncombo = 0
    total = np.zeros(TILE, np.float64)
    count = np.zeros(TILE, np.int64)
    size = order.shape[0] if use_order else me.shape[0]
    q = 0
    for t0 in range(0, n, TILE):
        t1 = min(t0 + TILE, n)
        while q < size:  # the tile's ties
            t = order[q] if use_order else q
            a = me[t] - first
            if a < 0 or a >= n:
                q += 1
                continue
            if a < t0:  # a row already closed: leave lut as it was and let the caller walk in stable_order
                for c in range(ncombo):
                    lut[keys[c]] = -1
                return False, score, tier, combo, keys, 0
            if a >= t1:
                break
            q += 1
            if prefetch_ties > 0 and q + prefetch_ties < size:  # a later tie's friend, clamped to the rows
                ahead = friend[order[q + prefetch_ties] if use_order else q + prefetch_ties] - first
                prefetch(own, min(max(ahead, 0), n - 1))
            b = friend[t] - first
            inside = (b >= 0) & (b < n)
            total[a - t0] += own[b if inside else 0] if inside else -0.0  # -0.0 leaves every sum as it is
            count[a - t0] += inside
        for r in range(t0, t1):  # close the tile's rows
            friends = count[r - t0]
            relationships = total[r - t0] / friends if friends > 0 else neutral
            total[r - t0] = 0.0
            count[r - t0] = 0
            s = np.rint(score_min + span * (own[r] * (1.0 - weight) + weight * relationships))  # np.round
            score[r] = s
            tier[r] = tier_index(s, bounds)
            v = span * (weight * _pos(neutral - relationships))
            at = 0  # where relationships goes: after every kept reason at least as costly (empty slots: -inf)
            for j in range(k):
                at += top_val[r, j] >= v
            at = at if v > min_cost else k
            key = 0
            for j in range(k):
                d_before = top_idx[r, j] + 1  # 0 for an empty slot
                d_after = top_idx[r, max(j - 1, 0)] + 1
                d = d_before if j < at else (n_labels if j == at else d_after)
                key = key * (n_labels + 1) + d
            c = lut[key]
            if c < 0:
                c = ncombo
                lut[key] = c
                keys[c] = key
                ncombo += 1
            combo[r] = c
    return True, score, tier, combo, keys, ncombo
