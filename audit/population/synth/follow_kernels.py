"""Compiled loops of the generator's follow-up events (e.g. a judgment some months after a default).

For each follow-up rule, :func:`audit.population.synth.blocks.block_events`
counts the events of the triggering kind (:func:`count_equal`), draws one
uniform each, keeps those a follow-up follows (:func:`followed_events`), draws
their delays and appends the follow-ups that fall within the horizon
(:func:`append_follow_ups`), setting the others aside. Each kernel equals the
numpy formulation in its docstring (checked in
``tests/audit/test_synth_kernels.py``); they replace numpy temporaries (a
boolean mask and ``flatnonzero`` over every event, fancy-indexing gathers)
with one pass each. Why compiled and branch-free: see
:mod:`audit.population.synth.event_kernels`.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["append_follow_ups", "count_equal", "followed_events"]


_jit = numba.njit(cache=True, nogil=True)

_u = np.uint64  # an index known to be >= 0 (no negative-index fix-up)


@_jit
def count_equal(values, value):  # pragma: no cover - compiled
    """``np.count_nonzero(values == value)``."""
    count = 0
    for i in range(values.shape[0]):
        count += 1 if values[_u(i)] == value else 0
    return count


@_jit
def followed_events(kind, trigger, u, prob, out):  # pragma: no cover - compiled
    """The events of kind ``trigger`` that a follow-up follows, written to the front of ``out``; returns how many.

    ``u`` holds one uniform per event of kind ``trigger``, in event order;
    ``out`` has room for one more (the loop writes every row, keeping the
    triggers'). The numpy formulation::

        idx = np.flatnonzero(kind == trigger)
        out = idx[u < prob]
    """
    w = 0
    for ee in range(kind.shape[0]):  # the triggers' rows, in place of the other rows' (overwritten)
        out[_u(w)] = ee  # at most len(u): room for one more
        w += 1 if kind[_u(ee)] == trigger else 0
    kept = 0
    for ii in range(w):  # those followed, in place
        i = _u(ii)
        out[_u(kept)] = out[i]
        kept += 1 if u[i] < prob else 0
    return kept


@_jit
def append_follow_ups(
    person, month, kind, m, followed, delay, horizon, follow_kind, late_person, late_month,
):  # pragma: no cover - compiled
    """Append the follow-ups of events ``followed`` that fall within the horizon; returns the new event count.

    The follow-up of event ``e`` falls in month ``month[e] + 1 + delay[i]``
    (``e = followed[i]``). Those before ``horizon`` are appended to
    ``person``, ``month``, ``kind`` (room for ``m + len(followed)``) from row
    ``m``, in order; the others are written to the front of ``late_person``,
    ``late_month`` (room for ``len(followed)``), in order. The numpy formulation::

        months = month[followed] + 1 + delay
        ok = months < horizon
        late_person, late_month = person[followed[~ok]], months[~ok]
        new = followed[ok]; grown = m + len(new)
        person[m:grown] = person[new]; kind[m:grown] = follow_kind; month[m:grown] = months[ok]
    """
    w = m
    late = 0
    for ii in range(followed.shape[0]):
        i = _u(ii)
        e = _u(followed[i])
        who = person[e]
        when = np.int64(month[e]) + 1 + delay[i]
        ok = when < horizon
        person[_u(w)] = who
        month[_u(w)] = when
        kind[_u(w)] = follow_kind
        late_person[_u(late)] = who
        late_month[_u(late)] = when
        w += 1 if ok else 0
        late += 0 if ok else 1
    return w
