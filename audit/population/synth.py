"""Synthetic populations drawn from a :class:`~audit.population.spec.PopulationSpec`.

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

Events are then ordered by (person, month, kind) by a radix sort of one packed
integer key, from which person, month and kind are decoded.

All random numbers are drawn here, with numpy's ``Generator``; the
deterministic work between draws (cells, alias lookups, thinning, sorting,
amounts, tie rows) is done by the compiled loops in
:mod:`audit.population.synth_kernels`, each equal to a numpy formulation (checked in
``tests/audit/test_synth_kernels.py``). A block's draws and work arrays go into
per-thread buffers reused from block to block, and the chunk's columns are
written in place (:mod:`audit.population.synth_buffers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaincinv, ndtr, ndtri

from audit.errors import InvalidArgument
from audit.population import synth_kernels as kernels
from audit.population.spec import PopulationSpec, income_boundaries, load_spec
from audit.population.synth_buffers import Columns, Scratch
from audit.vocab import DOMAINS, EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = ["BLOCK_SIZE", "GENERATOR_VERSION", "checked_request", "chunk_fields", "chunk_ranges"]

#: People per generation block. Fixed: changing it changes every population
#: (and at most ``2**16``: the tie sort packs a row number into 16 bits).
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
    region_categories: pd.CategoricalDtype  # built once: constructing it costs ~0.5 ms


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

    def slope(name: str) -> np.ndarray:
        return np.array([getattr(e, name) for e in base])

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
        region_categories=pd.CategoricalDtype(list(spec.regions)),
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


def _noise_weight(loading: float) -> float:
    """Weight of a person's own noise in a Gaussian correlated with ``z`` by ``loading``."""
    return float(np.sqrt(max(0.0, 1.0 - loading * loading)))


def _block_people(size: int, block: int) -> int:
    n = min(BLOCK_SIZE, size - block * BLOCK_SIZE)
    if n <= 0:
        raise InvalidArgument(f"block {block} is past the end of a population of {size} people")
    return n


_SCRATCH = Scratch()


def _draw_block(
    spec: PopulationSpec, c: _Compiled, out: Columns, *, seed: int, block: int, size: int, row: int, people_total: int
) -> None:
    """Draw block ``block`` into ``out``: its people at rows ``row ..``, its events and ties after those already there."""
    first = block * BLOCK_SIZE
    n = _block_people(size, block)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    mine = slice(row, row + n)
    work = _SCRATCH.get

    # --- people
    z = rng.standard_normal(n, out=work("z", n))
    u = ndtr(z, out=work("u", n))
    e_edu = rng.standard_normal(n, out=work("e_edu", n))
    e_urban = rng.standard_normal(n, out=work("e_urban", n))
    r_male = rng.random(n, out=work("r_male", n))
    r_region = rng.random(n, out=work("r_region", n))
    r_band = rng.random(n, out=work("r_band", n))
    r_age = rng.random(n, out=work("r_age", n))
    reliability = out.reliability[mine]
    reliability[:] = rng.beta(spec.reliability_alpha, spec.reliability_beta, n)
    quintile, income, edu, urban, age = out.quintile[mine], out.income[mine], out.education[mine], out.urban[mine], out.age[mine]
    kernels.people_columns(
        u, z, e_edu, e_urban, r_male, r_region, r_band, r_age,
        c.income_bounds, spec.education_ses_loading, _noise_weight(spec.education_ses_loading), c.edu_cuts,
        spec.urban_ses_loading, _noise_weight(spec.urban_ses_loading), c.urban_cut,
        spec.male_share, c.region_cum, c.age_cum, c.age_edges,
        quintile, income, edu, urban, out.male[mine], out.region[mine], age,
    )

    # --- events, ordered by (person, month, kind)
    ev_local, ev_month, ev_kind = _events(
        spec, c, rng, n=n, quintile=quintile, edu=edu, urban=urban, age=age, reliability=reliability
    )
    m = ev_local.shape[0]
    shift = max(1, (spec.horizon_months << _KIND_BITS).bit_length())  # person << shift | month << kind bits | kind
    key_type = np.int32 if (n << shift) < 2**31 else np.int64  # 32-bit keys: half the memory traffic
    packed = work("packed", m, key_type)
    with_amount = kernels.sort_events(
        ev_local, ev_month, ev_kind, _KIND_BITS, shift, c.kind_unit, work("by_key", spec.horizon_months << _KIND_BITS, np.int32),
        work("by_person", n + 1, np.int32), work("unpacked", m, key_type), packed,
    )
    noise = work("noise", with_amount)
    if with_amount:
        rng.standard_normal(with_amount, out=noise)
        noise *= _AMOUNT_SIGMA
        noise -= _AMOUNT_SIGMA**2 / 2
        np.exp(noise, out=noise)
    u_genuine = rng.random(m, out=work("u_genuine", m))
    ev = out.events
    rows = ev.reserve(m, people_done=row + n, people_total=people_total)
    kernels.write_events(
        packed, _KIND_BITS, shift, first, income, edu, c.kind_source, _KIND_TO_DOMAIN, c.kind_unit, c.kind_scale,
        noise, u_genuine, c.mis_source, c.mis_edu,
        ev.person[rows], ev.month[rows], ev.kind[rows], ev.source[rows], ev.domain[rows], ev.amount[rows], ev.genuine[rows],
    )

    # --- ties
    out.ties += _ties(
        rng, z, edu, spec.friends_per_person, spec.homophily, first,
        out.tie_person[out.ties :], out.tie_friend[out.ties :],
    )


def _events(spec, c: _Compiled, rng, *, n, quintile, edu, urban, age, reliability):
    """Event (person row, month, kind code) arrays, unordered."""
    work = _SCRATCH.get
    horizon = spec.horizon_months
    n_cells = c.cell_total.shape[0]
    per_cell, start = work("per_cell", n_cells, np.int64), work("start", n_cells, np.int64)
    members, member_reliability = work("members", n, np.int32), work("member_reliability", n)
    kernels.event_cells(
        quintile, edu, urban, age, reliability, len(EDUCATION_LEVELS), c.age_cuts, c.n_age, c.rel_edges,
        c.n_rel_bins, work("cell", n, np.int32), per_cell, start, members, member_reliability,
    )
    present = np.flatnonzero(per_cell)

    # superposition: one Poisson total per cell, then a person and a kind per event
    totals = rng.poisson(per_cell[present] * c.cell_total[present])
    m = int(totals.sum())
    u_person = rng.random(m, out=work("u_person", m))
    u_kind = rng.random(m, out=work("u_kind", m))
    person, slot, log_keep = work("person", m, np.int32), work("slot", m, np.int8), work("log_keep", m)
    n_thin = kernels.place_events(
        present, totals, per_cell, start, members, member_reliability, u_person, u_kind, c.alias_prob, c.alias_kind,
        c.n_rel_bins, c.n_rel, c.rel_slope, c.rel_mean, c.rel_worst, person, slot, log_keep,
    )

    # thinning: keep an event of a reliability kind with probability lambda(r) / bound
    kind = work("kind", m, np.int8)
    if c.n_rel:
        u_thin = rng.random(n_thin, out=work("u_thin", n_thin))
        keep_p = np.exp(log_keep[:n_thin], out=log_keep[:n_thin])
        m = kernels.thin_events(person, slot, u_thin, keep_p, c.n_rel, c.base_kinds, person, kind)
        person, kind = person[:m], kind[:m]
    else:
        np.take(c.base_kinds, slot, out=kind)
    month = work("month", m, np.int16)
    month[:] = rng.integers(0, horizon, m, dtype=np.int16)

    # follow-ups (e.g. a judgment performed some months after a default), appended
    for fkind, trigger, prob, delay in c.follow:
        idx = np.flatnonzero(kind == trigger)
        idx = idx[rng.random(idx.shape[0]) < prob]
        months = month[idx] + 1 + rng.poisson(max(delay - 1.0, 0.0), idx.shape[0])
        ok = months < horizon
        new = idx[ok]
        grown = m + new.shape[0]
        person = _SCRATCH.grow("person", grown, keep=m)
        kind = _SCRATCH.grow("kind", grown, keep=m)
        month = _SCRATCH.grow("month", grown, keep=m)
        person[m:] = person[new]
        kind[m:] = fkind
        month[m:] = months[ok]
        m = grown
    return person, month, kind


def _ties(rng, z, edu, k, homophily, first, out_person, out_friend) -> int:
    """Directed ties within the block, homophilous by socio-economic position; rows sorted, no duplicates.

    Writes them to the front of ``out_person`` / ``out_friend`` (room for
    ``k`` per person) as ids ``first + row``; returns how many.
    """
    n = z.shape[0]
    if k == 0 or n < 2:
        return 0
    work = _SCRATCH.get
    key = work("tie_key", n)
    kernels.tie_key(z, edu, rng.standard_normal(n, out=work("tie_noise", n)), key)
    packed = work("tie_packed", n, np.uint64)
    kernels.pack_keys(key, packed)
    packed.sort()  # numpy's sort of plain integers is far faster than its argsort
    order = work("order", n, np.int32)
    if not kernels.unpack_order(key, packed, order):  # equal keys: numpy's own order of them
        order[:] = np.argsort(key)
    reach = min(_HOMOPHILY_REACH, n - 1)
    u_near = rng.random(n * k, out=work("u_near", n * k))  # row-major (n, k): draw j of person i is u_near[i * k + j]
    n_near = kernels.count_below(u_near, homophily)
    offset = rng.integers(0, 2 * reach, n_near)
    random_friend = rng.integers(0, n, n * k - n_near)
    return kernels.tie_rows(
        order, u_near, homophily, offset, reach, random_friend, k, first, work("rank", n, np.int32), out_person, out_friend,
    )


def _draw_chunk(spec: PopulationSpec, c: _Compiled, *, seed: int, size: int, blocks: tuple[int, int]) -> Columns:
    people = sum(_block_people(size, b) for b in range(*blocks))
    out = Columns.allocate(people, spec.friends_per_person)
    row = 0
    for b in range(*blocks):
        _draw_block(spec, c, out, seed=seed, block=b, size=size, row=row, people_total=people)
        row += _block_people(size, b)
    return out


def _assemble(spec: PopulationSpec, c: _Compiled, seed: int, first: int, out: Columns) -> dict[str, Any]:
    def categorical(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)

    n = out.age.shape[0]
    people = pd.DataFrame(
        {
            "person_id": np.arange(first, first + n, dtype=np.int64),
            "age": out.age,
            "sex": categorical(out.male.view(np.int8), _SEX_CATEGORIES),
            "urban": out.urban,
            "region": categorical(out.region, c.region_categories),
            "income": out.income,
            "income_quintile": out.quintile,
            "education": categorical(out.education, _EDUCATION_CATEGORIES),
            "reliability": out.reliability,
        },
        copy=False,
    )
    ev = out.events
    m = ev.used
    events = pd.DataFrame(
        {
            "person_id": ev.person[:m],
            "month": ev.month[:m],
            "kind": categorical(ev.kind[:m], _KIND_CATEGORIES),
            "domain": categorical(ev.domain[:m], _DOMAIN_CATEGORIES),
            "source": categorical(ev.source[:m], _SOURCE_CATEGORIES),
            "amount": ev.amount[:m],
            "genuine": ev.genuine[:m],
        },
        copy=False,
    )
    ties = pd.DataFrame({"person_id": out.tie_person[: out.ties], "friend_id": out.tie_friend[: out.ties]}, copy=False)
    return dict(
        people=people, events=events, ties=ties, horizon_months=spec.horizon_months,
        synthetic=True, spec=spec, seed=seed,
    )


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


def chunk_fields(spec: PopulationSpec, *, seed: int, size: int, blocks: tuple[int, int]) -> dict[str, Any]:
    """The fields of the population of blocks ``blocks[0] .. blocks[1] - 1`` (:func:`audit.population.model.synthesize_chunk`)."""
    c = _compiled(spec)
    out = _draw_chunk(spec, c, seed=seed, size=size, blocks=blocks)
    return _assemble(spec, c, seed, blocks[0] * BLOCK_SIZE, out)


def checked_request(spec: PopulationSpec | str, *, size: Any, seed: Any) -> tuple[PopulationSpec, int, int]:
    """``(spec, size, seed)`` of a whole population, the spec loaded; a bad size or seed is refused."""
    spec = load_spec(spec) if isinstance(spec, str) else spec
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise InvalidArgument(f"size = {size!r}; give a whole number of people >= 1")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgument(f"seed = {seed!r}; give a whole number >= 0")
    return spec, int(size), int(seed)
