"""The synthetic generator's block draw written in plain numpy (the formulation before compiled kernels).

Used by ``test_synth_kernels.py`` to check that :mod:`audit.population.synth` gives the
same population, column for column, as this straightforward version: the same
random draws in the same order, and every deterministic step done with numpy
(fancy indexing, ``np.sort`` of packed keys, row sorts of the tie matrix).
The per-spec tables (:func:`audit.population.synth.tables.compiled`) are shared: they are the
input, not what is checked.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from audit.population.synth import BLOCK_SIZE
from audit.population.synth.tables import compiled as _compiled
from audit.vocab import DOMAINS, EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN

_AMOUNT_SIGMA = 0.5
_HOMOPHILY_REACH = 12
_KIND_BITS = max(1, int(np.ceil(np.log2(len(EVENT_KINDS)))))
_KIND_TO_DOMAIN = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)


def _correlated(z, loading, rng):
    return loading * z + np.sqrt(max(0.0, 1.0 - loading * loading)) * rng.standard_normal(z.shape[0])


def draw_block(spec, *, seed: int, block: int, size: int) -> dict[str, np.ndarray]:
    """Columns of block ``block``: people (``person_id``, ``age``, ...), ``ev_*`` and ``tie_*``."""
    c = _compiled(spec)
    first = block * BLOCK_SIZE
    n = min(BLOCK_SIZE, size - first)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    z = rng.standard_normal(n)
    u = ndtr(z)
    q0 = np.minimum((u * 5.0).astype(np.int8), 4)
    t = u * 5.0 - q0
    b = c.income_bounds
    income = b[q0] + t * (b[q0 + 1] - b[q0])
    edu = np.searchsorted(c.edu_cuts, _correlated(z, spec.education_ses_loading, rng)).astype(np.int8)
    urban = _correlated(z, spec.urban_ses_loading, rng) > c.urban_cut
    male = rng.random(n) < spec.male_share
    region = np.minimum(np.searchsorted(c.region_cum, rng.random(n), side="right"), len(spec.regions) - 1).astype(np.int8)
    band = np.minimum(np.searchsorted(c.age_cum, rng.random(n), side="right"), len(spec.age.shares) - 1)
    edges = c.age_edges
    age = (edges[band] + rng.random(n) * (edges[band + 1] - edges[band])).astype(np.int16)
    reliability = rng.beta(spec.reliability_alpha, spec.reliability_beta, n)

    ev_local, ev_month, ev_kind = _events(spec, c, rng, n=n, q0=q0, edu=edu, urban=urban, age=age, reliability=reliability)
    m = ev_local.shape[0]
    ev_source = c.kind_source[ev_kind]
    unit = c.kind_unit[ev_kind]
    amount = np.zeros(m)
    has = np.flatnonzero(unit)
    if has.size:
        noise = np.exp(_AMOUNT_SIGMA * rng.standard_normal(has.size) - _AMOUNT_SIGMA**2 / 2)
        scale = c.kind_scale[ev_kind[has]] * noise
        amount[has] = np.round(np.where(unit[has] == 1, scale * income[ev_local[has]] / 12.0, scale), 2)
    p_mis = c.mis_source[ev_source] * c.mis_edu[edu[ev_local]]
    genuine = rng.random(m) >= p_mis
    tie_me, tie_friend = _ties(rng, z, edu, spec.friends_per_person, spec.homophily)
    return {
        "person_id": np.arange(first, first + n, dtype=np.int64), "age": age, "male": male, "urban": urban,
        "region": region, "income": income, "quintile": (q0 + 1).astype(np.int8), "education": edu,
        "reliability": reliability, "ev_person": ev_local.astype(np.int64) + first, "ev_month": ev_month,
        "ev_kind": ev_kind, "ev_domain": _KIND_TO_DOMAIN[ev_kind], "ev_source": ev_source, "ev_amount": amount,
        "ev_genuine": genuine, "tie_person": tie_me + first, "tie_friend": tie_friend + first,
    }


def _events(spec, c, rng, *, n, q0, edu, urban, age, reliability):
    horizon = spec.horizon_months
    age_int = np.searchsorted(c.age_cuts, age, side="right")
    bins = c.n_rel_bins
    if bins > 1:
        rel_bin = np.maximum(np.minimum(np.searchsorted(c.rel_edges, reliability, side="right") - 1, bins - 1), 0)
    else:
        rel_bin = np.zeros(n, dtype=np.int64)
    cell = ((((q0.astype(np.int64) * len(EDUCATION_LEVELS) + edu) * 2 + urban) * c.n_age + age_int) * bins) + rel_bin
    per_cell = np.bincount(cell, minlength=c.cell_total.shape[0])
    present = np.flatnonzero(per_cell)
    members = np.argsort(cell, kind="stable")
    start = np.cumsum(per_cell) - per_cell
    totals = rng.poisson(per_cell[present] * c.cell_total[present])
    ev_cell = np.repeat(present, totals)
    m = ev_cell.shape[0]
    person = members[start[ev_cell] + (rng.random(m) * per_cell[ev_cell]).astype(np.int64)]
    k_base = c.alias_prob.shape[1]
    x = rng.random(m) * k_base
    j = np.minimum(x.astype(np.int64), k_base - 1)
    slot = np.where(x - j < c.alias_prob[ev_cell, j], j, c.alias_kind[ev_cell, j])
    if c.n_rel:
        idx = np.flatnonzero(slot < c.n_rel)
        s, p = slot[idx], person[idx]
        keep_p = np.exp(c.rel_slope[s] * (reliability[p] - c.rel_mean) - c.rel_worst[s, rel_bin[p]])
        keep = np.ones(m, dtype=bool)
        keep[idx[rng.random(idx.shape[0]) >= keep_p]] = False
        person, slot = person[keep], slot[keep]
        m = person.shape[0]
    kind = c.base_kinds[slot]
    month = rng.integers(0, horizon, m, dtype=np.int16)
    for fkind, trigger, prob, delay in c.follow:
        idx = np.flatnonzero(kind == trigger)
        idx = idx[rng.random(idx.shape[0]) < prob]
        months = month[idx] + 1 + rng.poisson(max(delay - 1.0, 0.0), idx.shape[0])
        ok = months < horizon
        person = np.concatenate([person, person[idx[ok]]])
        kind = np.concatenate([kind, np.full(int(ok.sum()), fkind, dtype=kind.dtype)])
        month = np.concatenate([month, months[ok].astype(np.int16)])
    key = ((person.astype(np.int64) * horizon + month) << _KIND_BITS) | kind
    key.sort()
    kind = (key & ((1 << _KIND_BITS) - 1)).astype(np.int8)
    rest = key >> _KIND_BITS
    return (rest // horizon).astype(np.int64), (rest % horizon).astype(np.int16), kind


def _ties(rng, z, edu, k, homophily):
    n = z.shape[0]
    if k == 0 or n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = z + 0.5 * (edu - 1.5) + 0.25 * rng.standard_normal(n)
    order = np.argsort(key)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    reach = min(_HOMOPHILY_REACH, n - 1)
    near = rng.random((n, k)) < homophily
    rows = np.nonzero(near)[0]
    offset = rng.integers(0, 2 * reach, rows.shape[0]) - reach
    offset += offset >= 0
    friend = np.empty((n, k), dtype=np.int64)
    friend[near] = order[np.clip(rank[rows] + offset, 0, n - 1)]
    friend[~near] = rng.integers(0, n, n * k - rows.shape[0])
    friend.sort(axis=1)
    me = np.arange(n)[:, None]
    keep = friend != me
    keep[:, 1:] &= friend[:, 1:] != friend[:, :-1]
    return np.broadcast_to(me, (n, k))[keep], friend[keep]
