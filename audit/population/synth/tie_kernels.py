"""Compiled loops of the generator's friendship ties: the homophily key, its order, each person's friend row.

Each kernel equals the numpy formulation in its docstring (checked in
``tests/audit/test_synth_kernels.py``); why compiled and branch-free: see
:mod:`audit.population.synth.event_kernels`.
"""

from __future__ import annotations

import numpy as np

from audit.population.synth.primitives import PAD as _PAD
from audit.population.synth.primitives import SMALL_ROW as _SMALL_ROW
from audit.population.synth.primitives import insertion_sort as _insertion_sort
from audit.population.synth.primitives import jit as _jit
from audit.population.synth.primitives import nonempty as _nonempty
from audit.population.synth.primitives import pick as _pick
from audit.population.synth.primitives import sort8 as _sort8
from audit.population.synth.primitives import u as _u

__all__ = ["pack_keys", "tie_key", "tie_rows", "unpack_order"]


@_jit
def tie_key(z, education, noise, out):  # pragma: no cover - compiled
    """The homophily key: ``out = z + 0.5 * (education - 1.5) + 0.25 * noise``."""
    for ii in range(z.shape[0]):
        i = _u(ii)
        out[i] = z[i] + 0.5 * (education[i] - 1.5) + 0.25 * noise[i]


@_jit
def pack_keys(key, packed):  # pragma: no cover - compiled
    """Sortable 64-bit words: the top 48 bits of ``key`` in an order-keeping form, then the row (``len(key) <= 2**16``).

    ``np.sort(packed) & 0xFFFF`` orders the rows by key wherever keys differ
    in their top 48 bits; :func:`unpack_order` says whether that order is the
    argsort.
    """
    bits = key.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    low = np.uint64(0xFFFF)
    for ii in range(key.shape[0]):
        i = _u(ii)
        b = bits[i]
        flipped = _pick((b & sign) != np.uint64(0), ~b, b | sign)  # negative floats reversed, below the positive
        packed[i] = (flipped & ~low) | i


@_jit
def unpack_order(key, packed, order):  # pragma: no cover - compiled
    """Rows from sorted :func:`pack_keys` words; True when their keys strictly increase.

    Then the keys are distinct and ``order`` is ``np.argsort(key)`` (the only
    order that sorts them). False (two keys equal, or equal in their top 48
    bits): use ``np.argsort``, whose order of equal keys is its own.
    """
    low = np.uint64(0xFFFF)
    increasing = True
    previous = -np.inf
    for ii in range(packed.shape[0]):
        i = _u(ii)
        row = np.int64(packed[i] & low)
        order[i] = row
        value = key[_u(row)]
        increasing &= previous < value
        previous = value
    return increasing


@_jit
def tie_rows(
    order, u_near, homophily, offset, reach, random_friend, k, first, rank, out_person, out_friend,
):  # pragma: no cover - compiled
    """Each person's ``k`` friend draws, sorted, without duplicates or the person; returns how many.

    ``order`` is the argsort of the homophily key; draw ``(i, j)`` (row-major,
    ``u_near`` flat) is a near neighbour when ``u_near < homophily``, taking
    the next ``offset`` (``0 .. 2 * reach - 1``), else the next
    ``random_friend``. ``rank`` is scratch (one per person). The numpy
    formulation::

        rank = np.empty(n, np.int64); rank[order] = np.arange(n)
        near = (u_near < homophily).reshape(n, k); rows = np.nonzero(near)[0]
        off = offset - reach; off += off >= 0
        friend = np.empty((n, k), np.int64)
        friend[near] = order[np.clip(rank[rows] + off, 0, n - 1)]
        friend[~near] = random_friend
        friend.sort(axis=1)
        keep = friend != np.arange(n)[:, None]
        keep[:, 1:] &= friend[:, 1:] != friend[:, :-1]
        out_person, out_friend = first + row of each kept entry, first + friend[keep]
    """
    n = order.shape[0]
    for r in range(n):
        rank[_u(order[_u(r)])] = r
    offset = _nonempty(offset)
    random_friend = _nonempty(random_friend)
    last_a = offset.shape[0] - 1
    last_b = random_friend.shape[0] - 1
    row = np.full(max(k, 8), _PAD, np.int64)  # entries k.. stay padding (sorted last)
    network, insertion = k <= 8, 8 < k <= _SMALL_ROW
    last = n - 1
    a = 0
    b = 0
    w = 0
    for i in range(n):
        here = rank[_u(i)]
        for j in range(k):
            near = u_near[_u(i * k + j)] < homophily
            o = offset[_u(min(a, last_a))] - reach
            o += 1 if o >= 0 else 0
            neighbour = order[_u(min(max(here + o, 0), last))]
            stranger = random_friend[_u(min(b, last_b))]
            row[_u(j)] = _pick(near, neighbour, stranger)
            a += 1 if near else 0
            b += 0 if near else 1
        if network:
            _sort8(row)
        elif insertion:
            _insertion_sort(row, k)
        else:
            row.sort()
        prev = -1
        for j in range(k):
            f = row[_u(j)]
            out_person[_u(w)] = first + i
            out_friend[_u(w)] = first + f
            w += 1 if (f != i) & (f != prev) else 0
            prev = f
    return w
