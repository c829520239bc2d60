"""Synthetic populations drawn from a :class:`~audit.spec.PopulationSpec`.

People are generated in fixed blocks of :data:`BLOCK_SIZE` consecutive person
ids; block ``b`` draws from its own seed ``SeedSequence(seed, spawn_key=(b,))``
and ties stay within a block. So the population of a given spec, seed and size
is identical however it is chunked: a chunk is a run of whole blocks, drawn
block by block into numpy arrays and turned into frames once per chunk.

Joint structure: one latent socio-economic status ``z ~ N(0, 1)`` per person
sets the income quintile (``Phi(z)`` cut at fifths, so quintiles are exact
fifths in expectation) and, through correlated Gaussian thresholds, education
and urban residence. Thresholds are the normal quantiles of the spec's
cumulative shares, so each marginal matches the spec in expectation while
income and education are correlated (``education_ses_loading``).

Events. Each person has, for every base event kind ``k``, a Poisson number of
events over the horizon with mean ``lambda_k = rate_k * years * exp(income,
education, urban and reliability terms)``, zero outside the kind's age range.
They are drawn without a person x kind matrix of Poisson draws, in three exact
steps:

1. *Cells.* Everything in ``lambda_k`` but latent reliability is discrete
   (quintile, education, urban, which side of each age-range edge), and
   reliability is binned into :data:`_RELIABILITY_BINS` quantile bins. Within a
   cell ``c`` every person gets the bound ``B_ck`` = the largest ``lambda_k`` in
   the cell (the reliability term at the bin's worse edge).
2. *Superposition and splitting.* Independent Poisson(``B_ck``) counts for the
   ``n_c`` people of a cell are the same as a Poisson(``n_c * sum_k B_ck``)
   total, each event given a kind with probability ``B_ck / sum_k B_ck`` and a
   person uniformly among the cell's ``n_c`` members. So one Poisson draw per
   cell, an alias-table draw per event for the kind and one uniform per event
   for the person.
3. *Thinning.* An event of kind ``k`` for a person with reliability ``r`` is
   kept with probability ``lambda_k(r) / B_ck <= 1``; a thinned Poisson process
   is Poisson with the thinned rate, so kept counts are exactly Poisson(``lambda_k``).

Events are then ordered by (person, month, kind) by sorting one packed integer
key, from which person, month and kind are decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaincinv, ndtr, ndtri

from audit.errors import InvalidArgument
from audit.population import Population
from audit.spec import PopulationSpec, income_boundaries, load_spec
from audit.vocab import DOMAINS, EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = ["BLOCK_SIZE", "GENERATOR_VERSION", "chunk_ranges", "iter_chunks", "synthesize", "synthesize_block", "synthesize_chunk"]

#: People per generation block. Fixed: changing it changes every population.
BLOCK_SIZE = 1 << 16
#: Version of the generation algorithm; bumped whenever the same spec, seed and
#: size would give a different population (resumed runs check it).
GENERATOR_VERSION = 2

_AMOUNT_SIGMA = 0.5  # log-normal spread of event amounts (assumption)
_HOMOPHILY_REACH = 12  # SES neighbours a homophilous tie is drawn from, either side
#: Quantile bins of latent reliability used to bound event rates (an algorithmic
#: choice, not a modelling one: any number of bins gives the same distribution;
#: more bins waste fewer thinned draws but make more cells).
_RELIABILITY_BINS = 16

_N_KINDS = len(EVENT_KINDS)
_KIND_BITS = max(1, int(np.ceil(np.log2(_N_KINDS))))
_KIND_TO_DOMAIN = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)
_KIND_CATEGORIES = pd.CategoricalDtype(list(EVENT_KINDS))
_DOMAIN_CATEGORIES = pd.CategoricalDtype(list(DOMAINS))
_SOURCE_CATEGORIES = pd.CategoricalDtype(list(SOURCES))
_EDUCATION_CATEGORIES = pd.CategoricalDtype(list(EDUCATION_LEVELS), ordered=True)
_SEX_CATEGORIES = pd.CategoricalDtype(["female", "male"])


@dataclass(frozen=True, slots=True)
class _Compiled:
    """Per-spec tables precomputed once for fast block generation."""

    base_kinds: np.ndarray  # kind code (EVENT_KINDS position) of each base kind; reliability kinds first
    n_rel: int  # how many base kinds (the first ones) have a reliability slope
    rel_slope: np.ndarray  # (n_rel,) reliability slope of those kinds
    rel_edges: np.ndarray  # (bins + 1,) quantile edges of the reliability distribution
    rel_worst: np.ndarray  # (n_rel, bins) slope * (edge where the rate is largest - mean)
    age_cuts: np.ndarray  # sorted age-range edges of the base kinds
    n_age: int  # age intervals between the cuts (len(age_cuts) + 1)
    n_rel_bins: int
    cell_total: np.ndarray  # (cells,) sum over kinds of the bound B_ck
    alias_prob: np.ndarray  # (cells, K) Walker alias table over kinds, acceptance probability
    alias_kind: np.ndarray  # (cells, K) alias
    kind_source: np.ndarray  # source code per kind code (all kinds)
    kind_unit: np.ndarray  # 0 none, 1 yuan, 2 hours per kind code
    kind_scale: np.ndarray
    follow: tuple[tuple[int, int, float, float], ...]  # (kind, trigger, prob, delay)
    edu_cuts: np.ndarray
    urban_cut: float
    region_cum: np.ndarray
    age_cum: np.ndarray
    age_edges: np.ndarray
    income_bounds: np.ndarray
    mis_source: np.ndarray
    mis_edu: np.ndarray
    rel_mean: float


def _alias(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias tables, one row per row of ``weights`` (rows of zeros stay zero)."""
    rows, k = weights.shape
    prob = np.ones((rows, k))
    alias = np.tile(np.arange(k, dtype=np.int8), (rows, 1))
    for r in range(rows):  # once per spec, over at most a few thousand cells
        total = weights[r].sum()
        if total <= 0:
            continue
        if total < 1e-300:  # subnormal weights (absurdly rare kinds): k / total would overflow
            w = weights[r] / weights[r].max()
            scaled = w * (k / w.sum())
        else:
            scaled = weights[r] * (k / total)
        small = [i for i in range(k) if scaled[i] < 1.0]
        large = [i for i in range(k) if scaled[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            prob[r, s] = scaled[s]
            alias[r, s] = g
            scaled[g] = scaled[g] + scaled[s] - 1.0
            (small if scaled[g] < 1.0 else large).append(g)
        for i in small + large:
            prob[r, i] = 1.0
    return prob, alias


def _compile(spec: PopulationSpec) -> _Compiled:
    horizon_years = spec.horizon_months / 12.0
    base = [e for e in spec.events if e.follows is None and e.rate_per_year > 0]
    base.sort(key=lambda e: e.reliability_slope == 0)  # stable: kinds with a reliability slope first
    n_rel = sum(e.reliability_slope != 0 for e in base)
    kind_source = np.zeros(_N_KINDS, dtype=np.int8)
    kind_unit = np.zeros(_N_KINDS, dtype=np.int8)
    kind_scale = np.zeros(_N_KINDS)
    for e in spec.events:
        k = EVENT_KINDS.index(e.kind)
        kind_source[k] = SOURCES.index(e.source)
        kind_unit[k] = {"none": 0, "yuan": 1, "hours": 2}[e.amount_unit]
        kind_scale[k] = e.amount_scale
    follow = tuple(
        (EVENT_KINDS.index(e.kind), EVENT_KINDS.index(e.follows), e.follow_probability, e.follow_delay_months)
        for e in spec.events
        if e.follows is not None
    )
    rel_mean = spec.reliability_alpha / (spec.reliability_alpha + spec.reliability_beta)

    # reliability bins at quantiles of Beta(alpha, beta); the first and last edges are 0 and 1
    bins = _RELIABILITY_BINS if n_rel else 1
    edges = betaincinv(spec.reliability_alpha, spec.reliability_beta, np.linspace(0.0, 1.0, bins + 1))
    edges[0], edges[-1] = 0.0, 1.0
    rel_slope = np.array([e.reliability_slope for e in base[:n_rel]])
    worst_edge = np.where(rel_slope[:, None] > 0, edges[None, 1:], edges[None, :-1])
    rel_worst = rel_slope[:, None] * (worst_edge - rel_mean)  # (n_rel, bins)

    # age intervals: everything between consecutive age-range edges behaves alike
    age_cuts = np.unique(np.array([a for e in base for a in e.age_range] or [0], dtype=np.int64))
    n_age = len(age_cuts) + 1
    rep_age = np.concatenate([[age_cuts[0] - 1], age_cuts])  # an age inside each interval

    # bound table B[c, k] over cells (quintile, education, urban, age interval, reliability bin)
    q = np.arange(5)[:, None, None, None, None, None] - 2.0
    ed = np.arange(len(EDUCATION_LEVELS))[None, :, None, None, None, None] - 1.5
    ur = np.arange(2)[None, None, :, None, None, None] - spec.urban_share
    ag = rep_age[None, None, None, :, None, None]
    log_rate = np.log(np.array([e.rate_per_year for e in base])) + np.log(horizon_years)  # a product may underflow
    slope = lambda name: np.array([getattr(e, name) for e in base])
    lo = np.array([e.age_range[0] for e in base])
    hi = np.array([e.age_range[1] for e in base])
    rel_term = np.zeros((bins, len(base)))
    rel_term[:, :n_rel] = rel_worst.T
    log_b = (
        log_rate
        + q * slope("income_slope")
        + ed * slope("education_slope")
        + ur * slope("urban_effect")
        + rel_term[None, None, None, None, :, :]
    )
    bound = np.exp(log_b) * ((ag >= lo) & (ag < hi))
    bound = bound.reshape(5 * len(EDUCATION_LEVELS) * 2 * n_age * bins, len(base))
    prob, alias = _alias(bound)
    cum_edu = np.cumsum(spec.education_shares)[:-1]
    return _Compiled(
        base_kinds=np.array([EVENT_KINDS.index(e.kind) for e in base], dtype=np.int8),
        n_rel=n_rel,
        rel_slope=rel_slope,
        rel_edges=edges,
        rel_worst=rel_worst,
        age_cuts=age_cuts,
        n_age=n_age,
        n_rel_bins=bins,
        cell_total=bound.sum(axis=1),
        alias_prob=prob,
        alias_kind=alias,
        kind_source=kind_source,
        kind_unit=kind_unit,
        kind_scale=kind_scale,
        follow=follow,
        edu_cuts=ndtri(np.clip(cum_edu, 1e-12, 1 - 1e-12)),
        urban_cut=float(ndtri(1.0 - spec.urban_share)) if 0 < spec.urban_share < 1 else (np.inf if spec.urban_share == 0 else -np.inf),
        region_cum=np.cumsum(spec.region_shares),
        age_cum=np.cumsum(spec.age.shares),
        age_edges=np.array(spec.age.edges),
        income_bounds=np.array(income_boundaries(spec.income)),
        mis_source=np.array([spec.misrecord_by_source[s] for s in SOURCES]),
        mis_edu=np.array(spec.misrecord_education_multiplier),
        rel_mean=rel_mean,
    )


_COMPILED: dict[str, _Compiled] = {}
_BY_ID: dict[int, tuple[PopulationSpec, _Compiled]] = {}


def _compiled(spec: PopulationSpec) -> _Compiled:
    hit = _BY_ID.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    key = spec.fingerprint()
    if key not in _COMPILED:
        _COMPILED[key] = _compile(spec)
    _BY_ID[id(spec)] = (spec, _COMPILED[key])
    return _COMPILED[key]


def _correlated(z: np.ndarray, loading: float, rng: np.random.Generator) -> np.ndarray:
    return loading * z + np.sqrt(max(0.0, 1.0 - loading * loading)) * rng.standard_normal(z.shape[0])


@dataclass(slots=True)
class _Block:
    """One block's columns as numpy arrays (frames are built once per chunk)."""

    person_id: np.ndarray
    age: np.ndarray
    male: np.ndarray
    urban: np.ndarray
    region: np.ndarray
    income: np.ndarray
    quintile: np.ndarray
    education: np.ndarray
    reliability: np.ndarray
    ev_person: np.ndarray
    ev_month: np.ndarray
    ev_kind: np.ndarray
    ev_source: np.ndarray
    ev_amount: np.ndarray
    ev_genuine: np.ndarray
    tie_person: np.ndarray
    tie_friend: np.ndarray


def _draw_block(spec: PopulationSpec, c: _Compiled, *, seed: int, block: int, size: int) -> _Block:
    first = block * BLOCK_SIZE
    n = min(BLOCK_SIZE, size - first)
    if n <= 0:
        raise InvalidArgument(f"block {block} is past the end of a population of {size} people")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))

    # --- people
    z = rng.standard_normal(n)
    u = ndtr(z)
    q0 = np.minimum((u * 5.0).astype(np.int8), 4)  # 0..4
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
    person_id = np.arange(first, first + n, dtype=np.int64)

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
    return _Block(
        person_id=person_id, age=age, male=male, urban=urban, region=region, income=income,
        quintile=(q0 + 1).astype(np.int8), education=edu, reliability=reliability,
        ev_person=ev_local.astype(np.int64) + first, ev_month=ev_month, ev_kind=ev_kind, ev_source=ev_source,
        ev_amount=amount, ev_genuine=genuine, tie_person=tie_me + first, tie_friend=tie_friend + first,
    )


def _events(spec, c: _Compiled, rng, *, n, q0, edu, urban, age, reliability):
    """Event (person row, month, kind code) arrays in (person, month, kind) order."""
    horizon = spec.horizon_months
    age_int = np.searchsorted(c.age_cuts, age, side="right")
    bins = c.n_rel_bins
    if bins > 1:
        rel_bin = np.minimum(np.searchsorted(c.rel_edges, reliability, side="right") - 1, bins - 1)
        rel_bin = np.maximum(rel_bin, 0)
    else:
        rel_bin = np.zeros(n, dtype=np.int64)
    cell = ((((q0.astype(np.int64) * len(EDUCATION_LEVELS) + edu) * 2 + urban) * c.n_age + age_int) * bins) + rel_bin
    n_cells = c.cell_total.shape[0]
    per_cell = np.bincount(cell, minlength=n_cells)
    present = np.flatnonzero(per_cell)
    narrow = cell.astype(np.int16) if n_cells <= np.iinfo(np.int16).max else cell  # 16-bit keys: a radix sort
    members = np.argsort(narrow, kind="stable")  # people grouped by cell
    start = np.cumsum(per_cell) - per_cell

    # superposition: one Poisson total per cell, then a person and a kind per event
    totals = rng.poisson(per_cell[present] * c.cell_total[present])
    ev_cell = np.repeat(present, totals)
    m = ev_cell.shape[0]
    person = members[start[ev_cell] + (rng.random(m) * per_cell[ev_cell]).astype(np.int64)]
    k_base = c.alias_prob.shape[1]
    x = rng.random(m) * k_base
    j = x.astype(np.int64)
    j = np.minimum(j, k_base - 1)
    slot = np.where(x - j < c.alias_prob[ev_cell, j], j, c.alias_kind[ev_cell, j])

    # thinning: keep an event of a reliability kind with probability lambda(r) / bound
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

    # follow-ups (e.g. a judgment performed some months after a default)
    for fkind, trigger, prob, delay in c.follow:
        idx = np.flatnonzero(kind == trigger)
        idx = idx[rng.random(idx.shape[0]) < prob]
        months = month[idx] + 1 + rng.poisson(max(delay - 1.0, 0.0), idx.shape[0])
        ok = months < horizon
        person = np.concatenate([person, person[idx[ok]]])
        kind = np.concatenate([kind, np.full(int(ok.sum()), fkind, dtype=kind.dtype)])
        month = np.concatenate([month, months[ok].astype(np.int16)])

    # order by (person, month, kind): sort one packed key and decode it
    wide = n * horizon * (1 << _KIND_BITS) >= 2**31
    dt = np.int64 if wide else np.int32
    key = ((person.astype(dt) * horizon + month) << _KIND_BITS) | kind
    key.sort()
    kind = (key & ((1 << _KIND_BITS) - 1)).astype(np.int8)
    rest = key >> _KIND_BITS
    return (rest // horizon).astype(np.int64), (rest % horizon).astype(np.int16), kind


def _ties(rng, z, edu, k, homophily) -> tuple[np.ndarray, np.ndarray]:
    """Directed ties within the block, homophilous by socio-economic position; rows sorted, no duplicates."""
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
    offset += offset >= 0  # -reach .. -1, 1 .. reach
    friend = np.empty((n, k), dtype=np.int64)
    friend[near] = order[np.clip(rank[rows] + offset, 0, n - 1)]
    friend[~near] = rng.integers(0, n, n * k - rows.shape[0])
    friend.sort(axis=1)
    me = np.arange(n)[:, None]
    keep = friend != me
    keep[:, 1:] &= friend[:, 1:] != friend[:, :-1]
    return np.broadcast_to(me, (n, k))[keep], friend[keep]


def _assemble(spec: PopulationSpec, seed: int, blocks: list[_Block]) -> Population:
    def cat(name: str) -> np.ndarray:
        parts = [getattr(b, name) for b in blocks]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def categorical(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)

    people = pd.DataFrame(
        {
            "person_id": cat("person_id"),
            "age": cat("age"),
            "sex": categorical(cat("male").view(np.int8), _SEX_CATEGORIES),
            "urban": cat("urban"),
            "region": categorical(cat("region"), pd.CategoricalDtype(list(spec.regions))),
            "income": cat("income"),
            "income_quintile": cat("quintile"),
            "education": categorical(cat("education"), _EDUCATION_CATEGORIES),
            "reliability": cat("reliability"),
        },
        copy=False,
    )
    kind = cat("ev_kind")
    events = pd.DataFrame(
        {
            "person_id": cat("ev_person"),
            "month": cat("ev_month"),
            "kind": categorical(kind, _KIND_CATEGORIES),
            "domain": categorical(_KIND_TO_DOMAIN[kind], _DOMAIN_CATEGORIES),
            "source": categorical(cat("ev_source"), _SOURCE_CATEGORIES),
            "amount": cat("ev_amount"),
            "genuine": cat("ev_genuine"),
        },
        copy=False,
    )
    ties = pd.DataFrame({"person_id": cat("tie_person"), "friend_id": cat("tie_friend")}, copy=False)
    return Population(
        people=people, events=events, ties=ties, horizon_months=spec.horizon_months,
        synthetic=True, spec=spec, seed=seed,
    )


def synthesize_block(spec: PopulationSpec, *, seed: int, block: int, size: int) -> Population:
    """Draw block ``block`` of the population of ``size`` people (ids ``block * BLOCK_SIZE ...``)."""
    return _assemble(spec, seed, [_draw_block(spec, _compiled(spec), seed=seed, block=block, size=size)])


def chunk_ranges(size: int, chunk_size: int) -> list[tuple[int, int]]:
    """Block ranges ``[(first_block, end_block), ...]`` covering ``size`` people in chunks.

    ``chunk_size`` is rounded up to whole blocks so every chunk starts on a block boundary.
    """
    if size < 1:
        raise InvalidArgument(f"size = {size}; a population needs at least 1 person")
    if chunk_size < 1:
        raise InvalidArgument(f"chunk_size = {chunk_size}; use a positive number of people")
    n_blocks = -(-size // BLOCK_SIZE)
    per = max(1, -(-chunk_size // BLOCK_SIZE))
    return [(b, min(b + per, n_blocks)) for b in range(0, n_blocks, per)]


def synthesize_chunk(spec: PopulationSpec, *, seed: int, size: int, blocks: tuple[int, int]) -> Population:
    """The people in blocks ``blocks[0] .. blocks[1] - 1`` as one population."""
    c = _compiled(spec)
    return _assemble(spec, seed, [_draw_block(spec, c, seed=seed, block=b, size=size) for b in range(*blocks)])


def iter_chunks(spec: PopulationSpec | str, *, size: int, seed: int = 0, chunk_size: int = 1_000_000) -> Iterator[Population]:
    """Yield the population chunk by chunk; chunks are runs of whole blocks."""
    spec = load_spec(spec) if isinstance(spec, str) else spec
    for blocks in chunk_ranges(size, chunk_size):
        yield synthesize_chunk(spec, seed=seed, size=size, blocks=blocks)


def synthesize(spec: PopulationSpec | str, *, size: int, seed: int = 0) -> Population:
    """The whole synthetic population of ``size`` people in memory."""
    spec = load_spec(spec) if isinstance(spec, str) else spec
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise InvalidArgument(f"size = {size!r}; give a whole number of people >= 1")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgument(f"seed = {seed!r}; give a whole number >= 0")
    return synthesize_chunk(spec, seed=int(seed), size=int(size), blocks=(0, -(-size // BLOCK_SIZE)))
