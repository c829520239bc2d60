"""Stratified replay samples: draw the people each replay audit is about, weight them back to the population.

A uniform sample of 2,000 people holds almost no sanctioned person when one
person in a thousand is sanctioned, so the replay audits' verdicts on
sanctioned people (absorbing states, spill-over) would rest on a handful.
The replay sample is therefore stratified, each person in exactly one
stratum, read off the chunk's own scoring:

``sanctioned``
    under at least one sanction at ``as_of`` (absorbing states, spill-over,
    wrongful sanctions);
``penalised``
    not sanctioned, with a recorded event visible at ``as_of`` of a kind that
    is not good behaviour (first penalties, recovery, appeals);
``rest``
    everyone else (contagion, and the population the shares are of).

Within each stratum the sample is a simple random sample without
replacement: the ``k`` people with the smallest person-id hash
(``person_uniform(seed, "replay", person_id)``), ``k`` = :func:`stratum_targets`.
Keeping the ``k`` smallest is mergeable — the ``k`` smallest of a union are
the ``k`` smallest of the parts' ``k`` smallest — so the sample is the same
whatever the chunking, and a pool never holds more than ``k`` people per
stratum (:mod:`audit.replay.pool`). Each sampled person carries the inverse
of their inclusion probability, ``N_h / n_h`` (people in the stratum over
people sampled from it), so weighted shares over any set of people are
unbiased for the population's.

Size rule
    ``replay_sample`` people from each stratum (``--audit-replay-sample``,
    ``AuditOptions.replay_sample``); a stratum with fewer is taken whole
    (weight 1), so a sample at least the population's size replays everyone.
    A share among people of one stratum has a 95% interval no wider than ±5
    points once 385 of them are sampled (``1.96**2 * 0.25 / 0.05**2 = 384.2``,
    the worst case ``p = 0.5``): the default of 2,000 a stratum meets it
    (±2.2 points) whenever the population has that many, and any
    ``replay_sample`` of at least :data:`HALF_WIDTH_PEOPLE` does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit.engine.contract import ScoredChunk
from audit.lazy import lazy_module
from audit.population.model import Population
from audit.randomness import person_uniform
from audit.replay.recourse import ACTIONS
from audit.vocab import EVENT_KINDS

if TYPE_CHECKING:
    from audit.replay import strata_kernels
else:  # compiled: imported where first called (see audit.lazy)
    strata_kernels = lazy_module("audit.replay.strata_kernels")

__all__ = ["STRATA", "SANCTIONED", "PENALISED", "REST", "HALF_WIDTH_PEOPLE", "stratum_targets", "strata_of", "stratum_sizes", "bottom_k", "weights"]

#: Strata of the replay sample, in code order.
STRATA: tuple[str, ...] = ("sanctioned", "penalised", "rest")
SANCTIONED, PENALISED, REST = 0, 1, 2
#: People a share needs for a 95% interval of at most ±5 points at p = 0.5 (1.96**2 * 0.25 / 0.05**2, rounded up).
HALF_WIDTH_PEOPLE = math.ceil(1.96**2 * 0.25 / 0.05**2)

_GOOD = np.array([k in ACTIONS for k in EVENT_KINDS], dtype=bool)


def stratum_targets(replay_sample: int) -> np.ndarray:
    """People to sample from each stratum: ``replay_sample`` each (a stratum with fewer is taken whole)."""
    return np.full(len(STRATA), int(replay_sample), dtype=np.int64)


def strata_of(chunk: ScoredChunk) -> np.ndarray:
    """Stratum code of every person of ``chunk`` (computed once per chunk; do not modify)."""
    if "replay_strata" not in chunk._memo:
        # who has a penalty by as_of does not depend on the scorer: once per batch, shared by every scorer
        key = ("replay_penalised", chunk.as_of)
        if key not in chunk.batch_memo:
            chunk.batch_memo[key] = _penalised(chunk.population, chunk.as_of)
        codes, sizes = strata_kernels.stratum_codes(chunk.sanctioned, chunk.batch_memo[key], len(STRATA), SANCTIONED, PENALISED, REST)
        chunk._memo["replay_strata"] = codes
        chunk._memo["replay_strata_sizes"] = sizes
    return chunk._memo["replay_strata"]


def stratum_sizes(chunk: ScoredChunk) -> np.ndarray:
    """People of ``chunk`` in each stratum (counted with :func:`strata_of`; do not modify)."""
    strata_of(chunk)
    return chunk._memo["replay_strata_sizes"]


def _penalised(pop: Population, as_of: int) -> np.ndarray:
    """True for each person with an event that is not a good deed in a month up to ``as_of``."""
    n = len(pop.people)
    events = pop.events
    if not (len(events) and n):
        return np.zeros(n, dtype=bool)
    kind = events["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype):
        codes = kind.array.codes  # a view: .cat.codes.to_numpy() copies five million codes
    else:
        codes = np.array([EVENT_KINDS.index(k) for k in kind])
    month = events["month"].to_numpy()
    ids = pop.people["person_id"].to_numpy()
    ev_ids = events["person_id"].to_numpy()
    if (pop.sorted_by_person("people") and ids.dtype.kind in "iu" and ev_ids.dtype.kind in "iu"
            and int(ids[-1]) - int(ids[0]) == n - 1):
        # a synthetic chunk: ids are a contiguous range, so an id is its row plus the first id; one compiled pass
        return strata_kernels.penalised_people(ev_ids, month, codes, _GOOD, int(ids[0]), n, int(as_of))
    bad = np.zeros(n, dtype=bool)
    sel = (month <= as_of) & ~_GOOD[np.asarray(codes, dtype=np.int64)]
    ev_ids = ev_ids[sel]
    order = np.argsort(ids, kind="stable")
    if pop.sorted_by_person("events"):
        ev_ids = ev_ids[np.r_[True, ev_ids[1:] != ev_ids[:-1]]] if ev_ids.size else ev_ids
    pos = np.minimum(np.searchsorted(ids[order], ev_ids), n - 1)
    hit = ids[order][pos] == ev_ids
    bad[order[pos[hit]]] = True
    return bad


def bottom_k(u: np.ndarray, stratum: np.ndarray, k: np.ndarray, sizes: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``k[h]`` smallest ``u`` in each stratum ``h`` (every tie at the ``k``-th value kept), ascending.

    One compiled pass (:func:`audit.replay.strata_kernels.bottom_k_rows`), rather than a mask, a
    ``flatnonzero`` and a ``partition`` of each stratum. ``sizes``, the people in each stratum
    (:func:`stratum_sizes`), lets the pass set aside only the people under a cut-off near each
    stratum's ``k``-th smallest hash; the rows are the same with or without it (or with a wrong one).
    ``u`` must hold no NaN (the hashes never do); the kernel raises ``ValueError`` if it meets one.
    """
    k = np.asarray(k, dtype=np.int64)
    expected = np.full(k.size, -1, dtype=np.int64) if sizes is None else np.asarray(sizes, dtype=np.int64)
    return strata_kernels.bottom_k_rows(np.asarray(u), np.asarray(stratum), k, expected)


def hashes(seed: int, person_id: np.ndarray) -> np.ndarray:
    """The replay sample's person-id hash (uniform in [0, 1))."""
    return person_uniform(seed, "replay", np.asarray(person_id))


def batch_hashes(chunk: ScoredChunk) -> np.ndarray:
    """:func:`hashes` of every person of ``chunk``'s batch, computed once a batch (the same for every scorer)."""
    key = _hash_key(chunk)
    if key not in chunk.batch_memo:
        chunk.batch_memo[key] = hashes(chunk.options.seed, chunk.population.people["person_id"].to_numpy())
    return chunk.batch_memo[key]


def hashes_of_rows(chunk: ScoredChunk, rows: np.ndarray) -> np.ndarray:
    """:func:`hashes` of the people at ``rows`` of ``chunk``: read off :func:`batch_hashes` when the batch has them.

    The hash is elementwise, so a person's is the same either way; without
    the batch's (a pooled chunk's given sample) only ``rows`` are hashed.
    """
    every = chunk.batch_memo.get(_hash_key(chunk))
    if every is not None and len(every) == len(chunk.population.people):
        return every[rows]
    return hashes(chunk.options.seed, chunk.population.people["person_id"].to_numpy()[rows])


def _hash_key(chunk: ScoredChunk) -> tuple[str, int]:
    return ("replay_hash", chunk.options.seed)


def weights(stratum: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Inverse inclusion probability of each sampled person: people in the stratum over people sampled from it."""
    stratum = np.asarray(stratum, dtype=np.int64)
    sampled = np.bincount(stratum, minlength=len(STRATA)).astype(np.float64)
    per = np.divide(np.asarray(sizes, dtype=np.float64), sampled, out=np.ones(len(STRATA)), where=sampled > 0)
    return per[stratum]
