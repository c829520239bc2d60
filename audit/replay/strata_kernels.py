"""Compiled passes of the replay sample's strata (:mod:`audit.replay.strata`), one loop each.

Each scorer of a batch draws its replay sample from a million people: who has
a penalty (once per batch), each person's stratum, the people in each stratum,
and the ``k`` smallest hashes of each stratum (once per scorer). In numpy that
is a dozen full-length passes and temporaries per scorer (masks, a
``flatnonzero`` and a ``partition`` per stratum, a ``bincount`` of the codes);
here it is one pass over the events and two over the people:

:func:`penalised_people`
    one pass over the events, marking the people with an event that is not a
    good deed by the audited month (a run's flag kept in a register, no branch
    on the events' values);
:func:`stratum_codes`
    each person's stratum and the people in each (two running sums, so the
    loop compiles to vector instructions);
:func:`bottom_k_rows`
    the ``k`` smallest hashes of each stratum: one pass keeps the people under
    a cut-off guessed from the stratum's size (the ``k``-th smallest of ``N``
    uniform hashes lies near ``k / N``), a few thousand of a million, and the
    ``k``-th smallest is read off them; where the guess kept too few, a
    max-heap per stratum (a person displaces the heap's largest only when
    smaller, which with hashes in random order happens about ``k log(n / k)``
    times), then a pass keeping every person at or below their stratum's
    ``k``-th smallest.

Each computes exactly what the numpy formulation in its docstring computes
(``tests/audit/test_replay_strata.py`` checks them against it on random
inputs). The kernels hold every helper they call (numba's cache checks only
the file of a cached function).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["bottom_k_rows", "penalised_people", "stratum_codes"]


@numba.njit(cache=True, nogil=True)
def penalised_people(person: np.ndarray, month: np.ndarray, kind: np.ndarray, good: np.ndarray,
                     first_id: int, n: int, as_of: int) -> np.ndarray:
    """True for row ``j`` when some event of person ``first_id + j`` is in a month up to ``as_of`` and not good.

    numpy: ``sel = (month <= as_of) & ~good[kind]; ids = person[sel];
    bad[ids[(ids >= first_id) & (ids < first_id + n)] - first_id] = True``
    (``kind`` codes index ``good``; a negative code counts from its end, as numpy's indexing does).

    A batch's events are sorted by person: the flag of a run of one person's
    events is or-ed in a register and stored at every event, so the run's last
    store holds the whole run's flag. No branch on the month, the kind or where
    a run ends, all of which vary at random (the branch on a run's end missed
    about once a person). Events out of person order are passed to
    :func:`_penalised_any_order`, which is right in any order.
    """
    bad = np.zeros(n, dtype=np.bool_)
    n_kinds = good.shape[0]
    previous = np.int64(-(1 << 62))
    flag = False
    for i in range(person.shape[0]):
        j = np.int64(person[i]) - first_id
        if j < previous:
            return _penalised_any_order(person, month, kind, good, first_id, n, as_of)
        k = np.int64(kind[i])
        k += n_kinds * (k < 0)
        flag = (flag & (j == previous)) | ((month[i] <= as_of) & ~good[np.uint64(k)])
        previous = j
        if np.uint64(j) < np.uint64(n):  # 0 <= j < n: the person is in the batch
            bad[j] = flag
    return bad


@numba.njit(cache=True, nogil=True)
def _penalised_any_order(person: np.ndarray, month: np.ndarray, kind: np.ndarray, good: np.ndarray,
                         first_id: int, n: int, as_of: int) -> np.ndarray:
    """:func:`penalised_people` for events in any order: each flag or-ed into its person's entry."""
    bad = np.zeros(n, dtype=np.bool_)
    n_kinds = good.shape[0]
    for i in range(person.shape[0]):
        j = np.int64(person[i]) - first_id
        k = np.int64(kind[i])
        k += n_kinds * (k < 0)
        if 0 <= j < n and month[i] <= as_of and not good[np.uint64(k)]:
            bad[j] = True
    return bad


@numba.njit(cache=True, nogil=True)
def stratum_codes(sanctioned: np.ndarray, penalised: np.ndarray, n_strata: int, code_sanctioned: int,
                  code_penalised: int, code_rest: int) -> tuple[np.ndarray, np.ndarray]:
    """Each person's stratum code and the people in each stratum.

    numpy: ``out = np.full(n, code_rest, np.int8); out[penalised] = code_penalised;
    out[sanctioned] = code_sanctioned; sizes = np.bincount(out, minlength=n_strata)``.

    The people in each stratum are two running sums (the sanctioned, the
    penalised who are not), not a count per person at ``sizes[code]``: each
    such increment waits on the one before when most people share a stratum,
    and with no store through a computed index the loop compiles to vector
    instructions (about eight times faster on a million people).
    """
    n = sanctioned.shape[0]
    out = np.empty(n, dtype=np.int8)
    n_sanctioned = np.int64(0)
    n_penalised = np.int64(0)
    for i in range(n):
        # a select, not a branch: who is sanctioned or penalised is random
        s = np.int64(sanctioned[i])
        p = np.int64(penalised[i]) * (1 - s)
        out[i] = code_rest + (code_penalised - code_rest) * p + (code_sanctioned - code_rest) * s
        n_sanctioned += s
        n_penalised += p
    sizes = np.zeros(n_strata, dtype=np.int64)
    sizes[code_rest] += n - n_sanctioned - n_penalised
    sizes[code_penalised] += n_penalised
    sizes[code_sanctioned] += n_sanctioned
    return out, sizes


@numba.njit(cache=True, nogil=True)
def _sift_down(heap: np.ndarray, size: int) -> None:
    """Restore the max-heap ``heap[:size]`` after its root was replaced."""
    i = 0
    x = heap[0]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] > heap[child]:
            child += 1
        if heap[child] <= x:
            break
        heap[i] = heap[child]
        i = child
    heap[i] = x


@numba.njit(cache=True, nogil=True)
def _sift_up(heap: np.ndarray, at: int) -> None:
    """Restore the max-heap ``heap[:at + 1]`` after ``heap[at]`` was appended."""
    x = heap[at]
    i = at
    while i > 0:
        parent = (i - 1) // 2
        if heap[parent] >= x:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = x


#: Margin of the hash cut-off :func:`bottom_k_rows` guesses: ``k + _MARGIN_SD * sqrt(k) + _MARGIN_PEOPLE``
#: people expected under it, eight standard deviations above the ``k`` needed (a guess too low is found out
#: and answered exactly by the heap pass, never silently wrong).
_MARGIN_SD = 8.0
_MARGIN_PEOPLE = 16.0


@numba.njit(cache=True, nogil=True)
def bottom_k_rows(u: np.ndarray, stratum: np.ndarray, k: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Positions of the ``k[h]`` smallest ``u`` in each stratum ``h`` (every tie at the ``k``-th value kept), ascending.

    numpy, for each ``h``: ``rows = np.flatnonzero(stratum == h)``; all of them
    when ``rows.size <= k[h]``, else (``k[h] > 0``) those with
    ``u[rows] <= np.partition(u[rows], k[h] - 1)[k[h] - 1]``; a code outside
    ``0 .. len(k) - 1`` is never kept. ``u`` must hold no NaN (raises ``ValueError``).

    ``expected``: the people expected in each stratum (a hint; any value gives
    the same rows, a negative one means unknown). With hashes uniform in
    [0, 1), the ``k``-th smallest of ``N`` lies near ``k / N``: one pass keeps
    the positions under a cut-off a margin above it (:data:`_MARGIN_SD`), which
    for nearly everyone is one comparison that fails, and the ``k``-th smallest
    is read off the few kept. Exact whenever the pass kept at least ``k`` people
    of a stratum (or all of a stratum of at most ``k``): the ``k`` smallest and
    every tie of the ``k``-th are then under the cut-off. Otherwise (a wrong
    hint, values not uniform) the answer is the heap pass's (:func:`_bottom_k_heap`).
    """
    n = u.shape[0]
    n_strata = k.shape[0]
    limit = _cut_offs(k, expected)
    kept = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        h = np.int64(stratum[i])
        if h < 0 or h >= n_strata:
            continue
        x = np.float64(u[i])
        if not x > limit[h]:  # at or under the cut-off, or NaN
            if k[h] <= 0:
                continue
            if x != x:
                raise ValueError("bottom_k: u holds NaN; pass hashes in [0, 1) (audit.replay.strata.hashes)")
            kept[m] = i
            m += 1
    kept = kept[:m]
    under = np.zeros(n_strata, dtype=np.int64)
    for row in kept:
        under[stratum[row]] += 1
    cut = np.full(n_strata, -np.inf)
    for s in range(n_strata):
        if k[s] <= 0:
            continue
        if limit[s] == np.inf and under[s] <= k[s]:
            cut[s] = np.inf  # every person of the stratum was kept, and there are at most k
        elif under[s] < k[s]:
            return _bottom_k_heap(u, stratum, k)  # the cut-off was too low: the k-th smallest is above it
        else:
            values = np.empty(under[s], dtype=np.float64)
            j = 0
            for row in kept:
                if stratum[row] == s:
                    values[j] = u[row]
                    j += 1
            cut[s] = np.sort(values)[k[s] - 1]
    out = np.empty(m, dtype=np.int64)
    j = 0
    for row in kept:
        if u[row] <= cut[stratum[row]]:
            out[j] = row
            j += 1
    return out[:j].copy()


@numba.njit(cache=True, nogil=True)
def _cut_offs(k: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The hash cut-off of each stratum for :func:`bottom_k_rows`: ``inf`` keeps everyone (``-inf`` for ``k <= 0``).

    ``(k + 8 sqrt(k) + 16) / expected`` where that is under 1 (with ``expected``
    people the count at or under it is binomial with mean ``k + 8 sqrt(k) + 16``:
    it falls short of ``k`` with probability under 1e-10 for any ``k``, under
    1e-14 for ``k`` = 2,000); ``inf`` for a stratum expected to be taken whole or of
    unknown size, whose people are then all kept by the pass.
    """
    n_strata = k.shape[0]
    limit = np.full(n_strata, np.inf)
    for s in range(n_strata):
        if k[s] <= 0:
            limit[s] = -np.inf
        elif s < expected.shape[0] and expected[s] > k[s]:
            share = (k[s] + _MARGIN_SD * np.sqrt(np.float64(k[s])) + _MARGIN_PEOPLE) / np.float64(expected[s])
            if share < 1.0:
                limit[s] = share
    return limit


@numba.njit(cache=True, nogil=True)
def _bottom_k_heap(u: np.ndarray, stratum: np.ndarray, k: np.ndarray) -> np.ndarray:
    """:func:`bottom_k_rows` with no hint: the ``k`` smallest of each stratum kept in a max-heap, then a pass keeping the rows at or below it."""
    n = u.shape[0]
    n_strata = k.shape[0]
    width = 1
    for s in range(n_strata):
        width = max(width, min(k[s], n))
    heap = np.empty((n_strata, width), dtype=np.float64)
    filled = np.zeros(n_strata, dtype=np.int64)
    people = np.zeros(n_strata, dtype=np.int64)
    for i in range(n):
        h = np.int64(stratum[i])
        if h < 0 or h >= n_strata:
            continue
        people[h] += 1
        kh = k[h]
        if kh <= 0:
            continue
        x = np.float64(u[i])
        if x != x:
            raise ValueError("bottom_k: u holds NaN; pass hashes in [0, 1) (audit.replay.strata.hashes)")
        if filled[h] < kh:
            heap[h, filled[h]] = x
            _sift_up(heap[h], filled[h])
            filled[h] += 1
        elif x < heap[h, 0]:
            heap[h, 0] = x
            _sift_down(heap[h], filled[h])
    take_all = np.zeros(n_strata, dtype=np.bool_)
    cut = np.empty(n_strata, dtype=np.float64)
    for s in range(n_strata):
        take_all[s] = people[s] <= k[s]
        cut[s] = heap[s, 0] if (k[s] > 0 and not take_all[s]) else -np.inf
    out = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        h = np.int64(stratum[i])
        if h < 0 or h >= n_strata:
            continue
        if take_all[h] or u[i] <= cut[h]:
            out[m] = i
            m += 1
    return out[:m].copy()
