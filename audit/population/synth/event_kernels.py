"""Compiled per-person and per-event loops of the synthetic population generator.

People's attributes, event cells, placement, thinning, ordering and columns;
the tie loops are in :mod:`audit.population.synth.tie_kernels`, the follow-ups' in
:mod:`audit.population.synth.follow_kernels`. Each of the
two modules holds every compiled helper it calls (numba's cache checks only
the file of a cached function).

:mod:`audit.population.synth.blocks` draws every random number from numpy's ``Generator`` (the
same numbers in the same order and sizes as a plain numpy generator's calls, most of them by
:mod:`audit.population.synth.draw_kernels`, which steps its PCG64 in compiled code) and hands the
draws to these kernels, which do the deterministic work in one pass each
instead of a chain of numpy temporaries, fancy-indexing gathers and sorts.
Each kernel computes exactly what the numpy formulation in its docstring
computes, with the same floating-point operations in the same order (no
fast-math, so no fused multiply-adds), so the population does not depend on
which of the two computed it; ``tests/audit/test_synth_kernels.py`` checks
each kernel against its numpy formulation on random inputs.

What stays in numpy on purpose: ``scipy.special.ndtr`` and ``np.exp`` of the
amounts, whose last-bit rounding is the library's own (thinning needs only
whether a uniform is below ``exp``, which :func:`thinning_kept` decides
without numpy's bits unless the two are within ``1e-10``), and ``np.argsort`` of the tie key when
two keys are equal (its order of equal keys is its own; otherwise the order
comes from numpy's much faster sort of packed integers, :func:`pack_keys`).

Why compiled (numba): every step is a loop over people or events with a few
table lookups. numpy pays a full-length temporary per operation, and sorting
the tie matrix's rows and all events by a packed key does far more work than a
counting sort by person. The loops are written without data-dependent branches
where the data is random (searches of short sorted tables are counts of
comparisons, choices are selects between values already loaded, compaction
always writes and advances by the keep flag): on random data a mispredicted
branch costs more than the rest of the loop body. Indices known to be
non-negative are cast to unsigned (``_u``) where they index an array: numba
then skips its negative-index fix-up, which otherwise costs about as much as
the rest of these loops.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

__all__ = [
    "count_below", "event_cells", "people_columns", "place_events", "sort_events", "thin_events", "thinning_kept",
    "write_events",
]


_jit = numba.njit(cache=True, nogil=True)

_u = np.uint64  # an index known to be >= 0 (no negative-index fix-up)


# ``_pick`` and ``_nonempty`` are the same in :mod:`audit.population.synth.tie_kernels`: numba's cache
# checks only the file of a cached function, so each kernel module holds every compiled helper it calls
# (a helper in a third file could change without the kernels compiled from it being recompiled);
# ``tests/audit/test_synth_kernels.py`` checks the copies are identical.
@intrinsic
def _pick(typingctx, cond, a, b):
    """``a if cond else b``, kept branch-free.

    LLVM's x86 back end turns a select whose operands come from memory into a
    branch, betting it will be predicted; on random data it is not. A select
    marked ``!unpredictable`` stays a conditional move.
    """
    result = typingctx.unify_pairs(a, b)

    def codegen(context, builder, sig, args):
        c, x, y = args
        x = context.cast(builder, x, sig.args[1], sig.return_type)
        y = context.cast(builder, y, sig.args[2], sig.return_type)
        c = context.cast(builder, c, sig.args[0], types.boolean)
        chosen = builder.select(c, x, y)
        chosen.set_metadata("unpredictable", builder.module.add_metadata([]))
        return chosen

    return result(cond, a, b), codegen


@_jit
def _nonempty(values):  # pragma: no cover - compiled
    """``values``, or one zero if it is empty (so a clamped index always reads something)."""
    if values.shape[0] == 0:
        return np.zeros(1, values.dtype)
    return values


@_jit
def _count_le(sorted_values, x):  # pragma: no cover - compiled
    """``np.searchsorted(sorted_values, x, side="right")``: how many values are <= x (short tables)."""
    count = 0
    for j in range(sorted_values.shape[0]):
        count += 1 if sorted_values[_u(j)] <= x else 0
    return count


@_jit
def _count_lt(sorted_values, x):  # pragma: no cover - compiled
    """``np.searchsorted(sorted_values, x, side="left")``: how many values are < x (short tables)."""
    count = 0
    for j in range(sorted_values.shape[0]):
        count += 1 if sorted_values[_u(j)] < x else 0
    return count


@_jit
def people_columns(
    u, z, e_edu, e_urban, r_male, r_region, r_band, r_age,
    income_bounds, edu_loading, edu_noise, edu_cuts, urban_loading, urban_noise, urban_cut,
    male_share, region_cum, age_cum, age_edges,
    quintile, income, education, urban, male, region, age,
):  # pragma: no cover - compiled
    """Person attributes from their draws, written into the output arrays.

    The numpy formulation, with ``u = ndtr(z)`` and ``b = income_bounds``::

        q0 = np.minimum((u * 5.0).astype(np.int8), 4)
        income = b[q0] + (u * 5.0 - q0) * (b[q0 + 1] - b[q0])
        quintile = q0 + 1
        education = np.searchsorted(edu_cuts, edu_loading * z + edu_noise * e_edu)
        urban = urban_loading * z + urban_noise * e_urban > urban_cut
        male = r_male < male_share
        region = np.minimum(np.searchsorted(region_cum, r_region, side="right"), len(region_cum) - 1)
        band = np.minimum(np.searchsorted(age_cum, r_band, side="right"), len(age_cum) - 1)
        age = (age_edges[band] + r_age * (age_edges[band + 1] - age_edges[band])).astype(np.int16)
    """
    last_region = region_cum.shape[0] - 1
    last_band = age_cum.shape[0] - 1
    for ii in range(u.shape[0]):
        i = _u(ii)
        u5 = u[i] * 5.0
        q = min(np.int64(np.int8(u5)), 4)
        lo = income_bounds[_u(q)]
        income[i] = lo + (u5 - q) * (income_bounds[_u(q + 1)] - lo)
        quintile[i] = q + 1
        education[i] = _count_lt(edu_cuts, edu_loading * z[i] + edu_noise * e_edu[i])
        urban[i] = urban_loading * z[i] + urban_noise * e_urban[i] > urban_cut
        male[i] = r_male[i] < male_share
        region[i] = min(_count_le(region_cum, r_region[i]), last_region)
        band = min(_count_le(age_cum, r_band[i]), last_band)
        a0 = age_edges[_u(band)]
        age[i] = np.int16(a0 + r_age[i] * (age_edges[_u(band + 1)] - a0))


@_jit
def event_cells(
    quintile, education, urban, age, reliability, n_edu, age_cuts, n_age, rel_edges, bins,
    cell, per_cell, start, members, member_reliability,
):  # pragma: no cover - compiled
    """Each person's rate cell, and the people grouped by cell.

    Fills ``cell``, ``members`` and ``member_reliability`` (one per person)
    and ``per_cell``, ``start`` (one per cell). The numpy formulation::

        age_int = np.searchsorted(age_cuts, age, side="right")
        rel_bin = np.clip(np.searchsorted(rel_edges, reliability, side="right") - 1, 0, bins - 1)  # 0 if bins == 1
        cell = ((((quintile - 1) * n_edu + education) * 2 + urban) * n_age + age_int) * bins + rel_bin
        per_cell = np.bincount(cell, minlength=len(per_cell))
        start = np.cumsum(per_cell) - per_cell
        members = np.argsort(cell, kind="stable")
        member_reliability = reliability[members]
    """
    per_cell[:] = 0
    for ii in range(quintile.shape[0]):
        i = _u(ii)
        rb = 0
        if bins > 1:
            rb = min(max(_count_le(rel_edges, reliability[i]) - 1, 0), bins - 1)
        ur = 1 if urban[i] else 0
        c = ((((np.int64(quintile[i]) - 1) * n_edu + education[i]) * 2 + ur) * n_age + _count_le(age_cuts, age[i])) * bins + rb
        cell[i] = c
        per_cell[_u(c)] += 1
    total = 0
    for c in range(per_cell.shape[0]):
        start[c] = total
        total += per_cell[c]
    fill = start.copy()
    for ii in range(quintile.shape[0]):
        i = _u(ii)
        c = _u(cell[i])
        at = _u(fill[c])
        members[at] = ii
        member_reliability[at] = reliability[i]
        fill[c] += 1


@_jit
def place_events(
    present, totals, per_cell, start, members, member_reliability, u_person, u_kind, alias_prob, alias_kind,
    bins, n_rel, rel_slope, rel_mean, rel_worst, person, slot, log_keep,
):  # pragma: no cover - compiled
    """A person and a kind slot for each superposed event, and the log keep-probability of the thinned ones.

    Fills ``person`` and ``slot`` (one per event) and the first entries of
    ``log_keep`` (one per event with ``slot < n_rel``, in event order; room
    for one per event); returns how many of those. A cell's reliability bin is
    ``cell % bins``. The numpy formulation::

        ev_cell = np.repeat(present, totals)
        at = start[ev_cell] + (u_person * per_cell[ev_cell]).astype(np.int64)
        person = members[at]
        x = u_kind * k_base
        j = np.minimum(x.astype(np.int64), k_base - 1)
        slot = np.where(x - j < alias_prob[ev_cell, j], j, alias_kind[ev_cell, j])
        thin = slot < n_rel
        s, r, b = slot[thin], member_reliability[at][thin], ev_cell[thin] % bins
        log_keep = rel_slope[s] * (r - rel_mean) - rel_worst[s, b]
    """
    k_base = alias_prob.shape[1]
    last_rel = max(n_rel - 1, 0)
    n_thin = 0
    e = 0
    for ci in range(present.shape[0]):
        c = present[ci]
        count = per_cell[c]
        first = start[c]
        accept_row, alias_row = alias_prob[c], alias_kind[c]
        worst = rel_worst[:, c % bins]
        for _ in range(totals[ci]):
            ue = _u(e)
            at = _u(first + np.int64(u_person[ue] * count))
            x = u_kind[ue] * k_base
            j = min(np.int64(x), k_base - 1)
            accept = accept_row[_u(j)]
            other = np.int64(alias_row[_u(j)])
            s = _pick(x - j < accept, j, other)
            person[ue] = members[at]
            slot[ue] = s
            if n_rel > 0:  # the same for every event: predicted
                r = _u(_pick(s < last_rel, s, last_rel))  # entries past n_rel are overwritten by the next thinned event
                log_keep[_u(n_thin)] = rel_slope[r] * (member_reliability[at] - rel_mean) - worst[r]
                n_thin += 1 if s < n_rel else 0
            e += 1
    return n_thin


#: How far :func:`_exp_near` and numpy's ``exp`` may be apart, relatively, at most (far more than either's error).
_EXP_SLACK = 1e-10
#: Below this, ``exp`` is under ``3.2e-17``: only a uniform of exactly 0 (the next is ``2**-53``) is below it.
_EXP_FLOOR = -38.0


@_jit
def _exp_near(x):  # pragma: no cover - compiled
    """``exp(x)`` for ``-38 <= x <= 1`` within about ``1e-13`` relatively (not numpy's bits; see :func:`thinning_kept`).

    ``exp(x / 64) ** 64``: ``exp(x / 64)`` (``|x / 64| <= 0.6``) by its
    Taylor series to the 14th power (the rest is below ``4e-16``), then
    squared six times, which multiplies its relative error by 64. Only
    multiplications and additions, no branch, table or call: the loop
    around it vectorizes.
    """
    y = x * (1.0 / 64.0)
    p = 1.0 / 87178291200.0
    p = p * y + 1.0 / 6227020800.0
    p = p * y + 1.0 / 479001600.0
    p = p * y + 1.0 / 39916800.0
    p = p * y + 1.0 / 3628800.0
    p = p * y + 1.0 / 362880.0
    p = p * y + 1.0 / 40320.0
    p = p * y + 1.0 / 5040.0
    p = p * y + 1.0 / 720.0
    p = p * y + 1.0 / 120.0
    p = p * y + 1.0 / 24.0
    p = p * y + 1.0 / 6.0
    p = p * y + 0.5
    p = p * y + 1.0
    p = p * y + 1.0
    for _ in range(6):
        p = p * p
    return p


@_jit
def thinning_kept(log_keep, u_thin, kept):  # pragma: no cover - compiled
    """Which thinned events are kept, ``kept = u_thin < np.exp(log_keep)``, without numpy's ``exp`` where it
    cannot change the answer; returns how many it could not decide (``kept`` is then to be computed so).

    numpy's ``exp`` is within a few units in the last place (``2**-52``) of
    the exact value, :func:`_exp_near` within about ``1e-13``: a ``u_thin``
    below ``exp_near * (1 - 1e-10)`` is below numpy's ``exp`` too, one at
    least ``exp_near * (1 + 1e-10)`` is not. Only a ``u_thin`` within that
    sliver (about 2 events in ``10**10``) needs numpy's bits. Below
    ``log_keep = -38`` the sliver is ``[0, exp_near(-38) * (1 + 1e-10))``,
    which only a ``u_thin`` of exactly 0 is in; above 1 ``exp`` exceeds 2.7
    and every event is kept; a NaN keeps none, as numpy's comparison with
    NaN does.

    The population's thinning needs the comparison only, never the
    probability: numpy's ``exp`` took about 8 ns an event on a 2-core AMD
    EPYC (numpy's scalar loop, no AVX-512 there).
    """
    undecided = 0
    for ii in range(log_keep.shape[0]):
        i = _u(ii)
        x = log_keep[i]
        u = u_thin[i]
        e = _exp_near(min(max(x, _EXP_FLOOR), 1.0))
        low = e * (1.0 - _EXP_SLACK) * (1.0 if x >= _EXP_FLOOR else 0.0)
        high = e * (1.0 + _EXP_SLACK)
        kept[i] = u < low
        undecided += 1 if (u >= low) & (u < high) else 0
    return undecided


@_jit
def thin_events(person, slot, kept, n_rel, base_kinds, out_person, out_kind):  # pragma: no cover - compiled
    """The events that survive thinning, as ``(person, kind)``; returns how many.

    An event with ``slot < n_rel`` (the i-th such) is dropped unless
    ``kept[i]``; the kind is ``base_kinds[slot]``. ``out_person`` may be
    ``person`` itself. The numpy formulation::

        idx = np.flatnonzero(slot < n_rel)
        keep = np.ones(len(slot), bool)
        keep[idx[~kept]] = False
        out_person, out_kind = person[keep], base_kinds[slot[keep]]
    """
    kept = _nonempty(kept)
    last = kept.shape[0] - 1
    i = 0
    w = 0
    for ee in range(person.shape[0]):
        e = _u(ee)
        s = slot[e]
        thinned = s < n_rel
        t = _u(min(i, last))
        drop = (not kept[t]) & thinned
        i += 1 if thinned else 0
        out_person[_u(w)] = person[e]
        out_kind[_u(w)] = base_kinds[_u(s)]
        w += 0 if drop else 1
    return w


@_jit
def sort_events(
    person, month, kind, kind_bits, shift, kind_unit, by_key, by_person, scratch, packed,
):  # pragma: no cover - compiled
    """Order events by (person, month, kind); returns how many have an amount (``kind_unit != 0``).

    Writes each event, in order, as ``packed = person << shift | month <<
    kind_bits | kind`` (``month << kind_bits | kind`` must be below ``1 <<
    shift``). ``by_key`` has room for ``horizon << kind_bits`` counts,
    ``by_person`` for one more than the people, ``scratch`` for one per event.
    The numpy formulation::

        packed = np.sort((person << shift) | (month << kind_bits) | kind)

    done as a radix sort: a counting sort by ``month << kind_bits | kind``,
    then a stable counting sort by person.
    """
    m = person.shape[0]
    by_key[:] = 0
    by_person[:] = 0
    with_amount = 0
    for ee in range(m):
        e = _u(ee)
        k = np.int64(kind[e])
        by_person[_u(person[e] + 1)] += 1
        by_key[_u((np.int64(month[e]) << kind_bits) | k)] += 1
        with_amount += 1 if kind_unit[_u(k)] != 0 else 0
    total = 0
    for v in range(by_key.shape[0]):
        c = by_key[v]
        by_key[v] = total
        total += c
    for p in range(by_person.shape[0] - 1):
        by_person[p + 1] += by_person[p]
    for ee in range(m):
        e = _u(ee)
        sub = (np.int64(month[e]) << kind_bits) | np.int64(kind[e])
        at = by_key[_u(sub)]
        by_key[_u(sub)] = at + 1
        scratch[_u(at)] = (np.int64(person[e]) << shift) | sub
    for ee in range(m):
        v = scratch[_u(ee)]
        p = _u(v >> shift)
        at = by_person[p]
        by_person[p] = at + 1
        packed[_u(at)] = v
    return with_amount


@_jit
def write_events(
    packed, kind_bits, shift, first, income, education, kind_source, kind_domain, kind_unit, kind_scale,
    noise, u_genuine, mis_source, mis_edu,
    out_person, out_month, out_kind, out_source, out_domain, out_amount, out_genuine,
):  # pragma: no cover - compiled
    """The event columns from the sorted packed keys (:func:`sort_events`), with amounts and genuineness.

    ``noise`` has one entry per event with an amount (``kind_unit != 0``), in
    order. The numpy formulation, with ``p = packed >> shift``::

        kind = packed & (2**kind_bits - 1); month = (packed >> kind_bits) & (2**(shift - kind_bits) - 1)
        out_person = first + p; out_source = kind_source[kind]; out_domain = kind_domain[kind]
        unit = kind_unit[kind]; has = np.flatnonzero(unit)
        scale = kind_scale[kind[has]] * noise
        out_amount = 0; out_amount[has] = np.round(np.where(unit[has] == 1, scale * income[p[has]] / 12.0, scale), 2)
        out_genuine = u_genuine >= mis_source[out_source] * mis_edu[education[p]]

    (``np.round(x, 2)`` is ``np.rint(x * 100.0) / 100.0``.)

    The two choices between floats compare the unit as a float (a copy of
    ``kind_unit`` as float64) and pick the zero on ``unit == 0.0``: x86 has no
    conditional move between float registers, and LLVM makes a float select
    a blend only when its condition is a float comparison; on an integer
    condition, or with a division as an operand beside a constant, it makes
    a branch, mispredicted on random kinds (a quarter of events have no
    amount), which cost about a third of this loop.
    """
    noise = _nonempty(noise)
    last = noise.shape[0] - 1
    kind_mask = (np.int64(1) << kind_bits) - 1
    month_mask = (np.int64(1) << (shift - kind_bits)) - 1
    unit_of = kind_unit.astype(np.float64)  # float selects stay branch-free only on a float comparison
    h = 0
    for ee in range(packed.shape[0]):
        e = _u(ee)
        v = np.int64(packed[e])
        p = v >> shift
        up = _u(p)
        k = _u(v & kind_mask)
        source = kind_source[k]
        out_person[e] = first + p
        out_month[e] = (v >> kind_bits) & month_mask
        out_kind[e] = k
        out_source[e] = source
        out_domain[e] = kind_domain[k]
        unit = unit_of[k]
        scale = kind_scale[k] * noise[_u(min(h, last))]
        h += 1 if unit != 0.0 else 0
        yuan = scale * income[up] / 12.0
        value = _pick(unit == 1.0, yuan, scale)
        rounded = np.rint(value * 100.0) / 100.0
        out_amount[e] = _pick(unit == 0.0, 0.0, rounded)
        out_genuine[e] = u_genuine[e] >= mis_source[_u(source)] * mis_edu[_u(education[up])]


@_jit
def count_below(u, threshold):  # pragma: no cover - compiled
    """``np.count_nonzero(u < threshold)``."""
    count = 0
    for i in range(u.shape[0]):
        count += 1 if u[_u(i)] < threshold else 0
    return count

