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

import numpy as np

from audit.engine.contract import ScoredChunk
from audit.population.model import Population
from audit.randomness import person_uniform
from audit.replay.recourse import ACTIONS
from audit.vocab import EVENT_KINDS

__all__ = ["STRATA", "SANCTIONED", "PENALISED", "REST", "HALF_WIDTH_PEOPLE", "stratum_targets", "strata_of", "bottom_k", "weights"]

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
    """Stratum code of every person of ``chunk`` (computed once per chunk)."""
    if "replay_strata" not in chunk._memo:
        n = len(chunk.population.people)
        # who has a penalty by as_of does not depend on the scorer: once per batch, shared by every scorer
        key = ("replay_penalised", chunk.as_of)
        if key not in chunk.batch_memo:
            chunk.batch_memo[key] = _penalised(chunk.population, chunk.as_of)
        bad = chunk.batch_memo[key]
        out = np.full(n, REST, dtype=np.int8)
        out[bad] = PENALISED
        out[chunk.sanctioned] = SANCTIONED
        chunk._memo["replay_strata"] = out
    return chunk._memo["replay_strata"]


def _penalised(pop: Population, as_of: int) -> np.ndarray:
    """True for each person with an event that is not a good deed in a month up to ``as_of``."""
    n = len(pop.people)
    events = pop.events
    bad = np.zeros(n, dtype=bool)
    if len(events) and n:
        kind = events["kind"]
        codes = kind.cat.codes.to_numpy() if hasattr(kind, "cat") else np.array([EVENT_KINDS.index(k) for k in kind])
        sel = (events["month"].to_numpy() <= as_of) & ~_GOOD[np.asarray(codes, dtype=np.int64)]
        ids = pop.people["person_id"].to_numpy()
        ev_ids = events["person_id"].to_numpy()[sel]
        if pop.sorted_by_person("people") and int(ids[-1]) - int(ids[0]) == n - 1:
            # a synthetic chunk: ids are a contiguous range, so an id is its row plus the first id
            inside = (ev_ids >= ids[0]) & (ev_ids <= ids[-1])
            bad[ev_ids[inside] - ids[0]] = True
        else:
            order = np.argsort(ids, kind="stable")
            if pop.sorted_by_person("events"):
                ev_ids = ev_ids[np.r_[True, ev_ids[1:] != ev_ids[:-1]]] if ev_ids.size else ev_ids
            pos = np.minimum(np.searchsorted(ids[order], ev_ids), n - 1)
            hit = ids[order][pos] == ev_ids
            bad[order[pos[hit]]] = True
    return bad


def bottom_k(u: np.ndarray, stratum: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Positions of the ``k[h]`` smallest ``u`` in each stratum ``h`` (every tie at the ``k``-th value kept), ascending."""
    keep = np.zeros(u.size, dtype=bool)
    for h in range(len(k)):
        rows = np.flatnonzero(stratum == h)
        if rows.size <= k[h]:
            keep[rows] = True
        elif k[h] > 0:
            cut = np.partition(u[rows], k[h] - 1)[k[h] - 1]
            keep[rows[u[rows] <= cut]] = True
    return np.flatnonzero(keep)


def hashes(seed: int, person_id: np.ndarray) -> np.ndarray:
    """The replay sample's person-id hash (uniform in [0, 1))."""
    return person_uniform(seed, "replay", np.asarray(person_id))


def weights(stratum: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Inverse inclusion probability of each sampled person: people in the stratum over people sampled from it."""
    stratum = np.asarray(stratum, dtype=np.int64)
    sampled = np.bincount(stratum, minlength=len(STRATA)).astype(np.float64)
    per = np.divide(np.asarray(sizes, dtype=np.float64), sampled, out=np.ones(len(STRATA)), where=sampled > 0)
    return per[stratum]
