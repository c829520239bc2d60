"""Compiled fold of the judgment-defaulter list (:mod:`scorers.joint_punishment`).

A person's defaults and performances are folded in month order. The kernel
walks the events once, like the per-person kernels of
:mod:`scorers._kernels._compiled` (it shares no helper with them, so it
lives in its own module: numba checks only a kernel's own file for changes).
``tests/scorers/kernels/test_compiled.py`` checks it against a per-person loop.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["listing_kernel", "listing_outcome"]

_jit = numba.njit(cache=True, nogil=True)
_inline = numba.njit(cache=True, nogil=True, inline="always")

@_inline
def _fold_listing(ms, ds, cnt, listing_months, extension_months, max_listing_months, honour_performance, never):
    """End of the listing (exclusive) after the ``cnt`` sorted events in ``ms``, ``ds`` (True = default)."""
    end = never
    start = 0
    outstanding = 0
    for i in range(cnt):
        m = ms[i]
        listed = m < end
        if ds[i]:
            if listed:
                end = min(end + extension_months, start + max_listing_months)
                outstanding += 1
            else:
                start = m
                end = m + listing_months
                outstanding = 1
        elif honour_performance:
            outstanding = max(outstanding - 1, 0)
            if listed and outstanding == 0:
                end = m
    return end


@_jit
def listing_kernel(
    ids, first, n, codes, month, lo_month, hi_month, order, use_order,
    default_code, performed_code, listing_months, extension_months, max_listing_months, honour_performance, never,
):
    """``(ok, until)``: month each person's listing ends (exclusive; ``never`` if never listed).

    A person's defaults and performances are folded in month order, within a
    month defaults first (events equal in both are interchangeable): a
    default starts a listing of ``listing_months`` or extends the current one
    by ``extension_months`` up to ``max_listing_months`` after it began; a
    performance discharges one default and, with none left, ends the listing
    (when ``honour_performance``). Only these two kinds are looked at, and
    their rows must not decrease along the walk.
    """
    until = np.full(n, never, np.int64)
    size = order.shape[0] if use_order else ids.shape[0]
    ms = np.empty(size, np.int64)
    ds = np.empty(size, np.bool_)
    cnt = 0
    cur = -1
    for q in range(size):
        e = order[q] if use_order else q
        c = codes[e]
        if c != default_code and c != performed_code:  # most events: no branch mispredicted
            continue
        r = ids[e] - first
        m = month[e]
        if r < 0 or r >= n or not (m <= hi_month) or not (m >= lo_month):
            continue
        if r != cur:
            if r < cur:
                return False, until
            if cur >= 0:
                until[cur] = _fold_listing(
                    ms, ds, cnt, listing_months, extension_months, max_listing_months, honour_performance, never
                )
            cnt = 0
            cur = r
        d = c == default_code
        p = cnt  # insertion sort by (month, default before performance), stable
        while p > 0 and (ms[p - 1] > m or (ms[p - 1] == m and d and not ds[p - 1])):
            ms[p] = ms[p - 1]
            ds[p] = ds[p - 1]
            p -= 1
        ms[p] = m
        ds[p] = d
        cnt += 1
    if cur >= 0:
        until[cur] = _fold_listing(
            ms, ds, cnt, listing_months, extension_months, max_listing_months, honour_performance, never
        )
    return True, until


@_jit
def listing_outcome(until, as_of):
    """``(score, listed)`` at ``as_of`` from each person's listing end, in one pass.

    ``remaining = np.maximum(until - as_of, 0)``; the score is
    ``(-remaining).astype(np.float64)`` and ``listed`` is ``remaining > 0``,
    as the scorer computed them in numpy (four passes and three temporaries).
    """
    n = until.shape[0]
    score = np.empty(n, np.float64)
    listed = np.empty(n, np.bool_)
    for i in range(n):
        remaining = until[i] - as_of
        remaining = remaining if remaining >= 0 else 0  # np.maximum keeps the first of equals
        score[i] = -remaining
        listed[i] = remaining > 0
    return score, listed
