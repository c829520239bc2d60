"""Synthetic populations drawn from a :class:`~audit.spec.PopulationSpec`.

People are generated in fixed blocks of :data:`BLOCK_SIZE` consecutive person
ids; block ``b`` draws from its own seed ``SeedSequence(seed, spawn_key=(b,))``
and ties stay within a block. So the population of a given spec, seed and size
is identical however it is chunked: a chunk is a run of whole blocks.

Joint structure: one latent socio-economic status ``z ~ N(0, 1)`` per person
sets the income quintile (``Phi(z)`` cut at fifths, so quintiles are exact
fifths in expectation) and, through correlated Gaussian thresholds, education
and urban residence. Thresholds are the normal quantiles of the spec's
cumulative shares, so each marginal matches the spec in expectation while
income and education are correlated (``education_ses_loading``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from audit.errors import InvalidArgument
from audit.population import Population, education_categorical, events_frame
from audit.spec import PopulationSpec, income_boundaries, load_spec
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS, SOURCES

__all__ = ["BLOCK_SIZE", "synthesize", "synthesize_block", "iter_chunks", "chunk_ranges"]

#: People per generation block. Fixed: changing it changes every population.
BLOCK_SIZE = 1 << 16

_AMOUNT_SIGMA = 0.5  # log-normal spread of event amounts (assumption)
_HOMOPHILY_REACH = 12  # SES neighbours a homophilous tie is drawn from, either side


@dataclass(frozen=True, slots=True)
class _Compiled:
    """Per-spec arrays precomputed once for fast block generation."""

    base_kinds: np.ndarray  # kind codes drawn at a base rate
    log_rate: np.ndarray  # log of expected count over the horizon, reference person
    income_slope: np.ndarray
    education_slope: np.ndarray
    urban_effect: np.ndarray
    reliability_slope: np.ndarray
    age_lo: np.ndarray
    age_hi: np.ndarray
    kind_source: np.ndarray  # source code per kind code (all kinds)
    kind_unit: np.ndarray  # 0 none, 1 yuan, 2 hours per kind code
    kind_scale: np.ndarray
    follow: tuple[tuple[int, int, float, float], ...]  # (kind, trigger, prob, delay)
    edu_cuts: np.ndarray
    urban_cut: float
    region_cum: np.ndarray
    age_cum: np.ndarray
    income_bounds: np.ndarray
    mis_source: np.ndarray
    mis_edu: np.ndarray
    rel_mean: float


def _compile(spec: PopulationSpec) -> _Compiled:
    horizon_years = spec.horizon_months / 12.0
    base = [e for e in spec.events if e.follows is None and e.rate_per_year > 0]
    kind_source = np.zeros(len(EVENT_KINDS), dtype=np.int8)
    kind_unit = np.zeros(len(EVENT_KINDS), dtype=np.int8)
    kind_scale = np.zeros(len(EVENT_KINDS))
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
    cum_edu = np.cumsum(spec.education_shares)[:-1]
    return _Compiled(
        base_kinds=np.array([EVENT_KINDS.index(e.kind) for e in base], dtype=np.int8),
        log_rate=np.log(np.array([e.rate_per_year * horizon_years for e in base])),
        income_slope=np.array([e.income_slope for e in base]),
        education_slope=np.array([e.education_slope for e in base]),
        urban_effect=np.array([e.urban_effect for e in base]),
        reliability_slope=np.array([e.reliability_slope for e in base]),
        age_lo=np.array([e.age_range[0] for e in base]),
        age_hi=np.array([e.age_range[1] for e in base]),
        kind_source=kind_source,
        kind_unit=kind_unit,
        kind_scale=kind_scale,
        follow=follow,
        edu_cuts=ndtri(np.clip(cum_edu, 1e-12, 1 - 1e-12)),
        urban_cut=float(ndtri(1.0 - spec.urban_share)) if 0 < spec.urban_share < 1 else (np.inf if spec.urban_share == 0 else -np.inf),
        region_cum=np.cumsum(spec.region_shares),
        age_cum=np.cumsum(spec.age.shares),
        income_bounds=np.array(income_boundaries(spec.income)),
        mis_source=np.array([spec.misrecord_by_source[s] for s in SOURCES]),
        mis_edu=np.array(spec.misrecord_education_multiplier),
        rel_mean=spec.reliability_alpha / (spec.reliability_alpha + spec.reliability_beta),
    )


_COMPILED: dict[str, _Compiled] = {}


def _compiled(spec: PopulationSpec) -> _Compiled:
    key = spec.fingerprint()
    if key not in _COMPILED:
        _COMPILED[key] = _compile(spec)
    return _COMPILED[key]


def _correlated(z: np.ndarray, loading: float, rng: np.random.Generator) -> np.ndarray:
    return loading * z + np.sqrt(max(0.0, 1.0 - loading * loading)) * rng.standard_normal(z.shape[0])


def synthesize_block(spec: PopulationSpec, *, seed: int, block: int, size: int) -> Population:
    """Draw block ``block`` of the population of ``size`` people (ids ``block * BLOCK_SIZE ...``)."""
    first = block * BLOCK_SIZE
    n = min(BLOCK_SIZE, size - first)
    if n <= 0:
        raise InvalidArgument(f"block {block} is past the end of a population of {size} people")
    c = _compiled(spec)
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
    region = np.minimum(np.searchsorted(c.region_cum, rng.random(n), side="right"), len(spec.regions) - 1)
    band = np.minimum(np.searchsorted(c.age_cum, rng.random(n), side="right"), len(spec.age.shares) - 1)
    edges = np.array(spec.age.edges)
    age = (edges[band] + rng.random(n) * (edges[band + 1] - edges[band])).astype(np.int16)
    reliability = rng.beta(spec.reliability_alpha, spec.reliability_beta, n)
    person_id = np.arange(first, first + n, dtype=np.int64)

    people = pd.DataFrame(
        {
            "person_id": person_id,
            "age": age,
            "sex": pd.Categorical.from_codes(male.astype(np.int8), categories=["female", "male"]),
            "urban": urban,
            "region": pd.Categorical.from_codes(region.astype(np.int8), categories=list(spec.regions)),
            "income": income,
            "income_quintile": (q0 + 1).astype(np.int8),
            "education": education_categorical(edu),
            "reliability": reliability,
        }
    )

    # --- events at base rates: Poisson counts per person x kind over the horizon
    log_lam = (
        c.log_rate[None, :]
        + np.multiply.outer(q0 - 2.0, c.income_slope)
        + np.multiply.outer(edu - 1.5, c.education_slope)
        + np.multiply.outer(urban - spec.urban_share, c.urban_effect)
        + np.multiply.outer(reliability - c.rel_mean, c.reliability_slope)
    )
    lam = np.exp(log_lam)
    lam *= (age[:, None] >= c.age_lo[None, :]) & (age[:, None] < c.age_hi[None, :])
    counts = rng.poisson(lam)
    k_base = len(c.base_kinds)
    flat = np.repeat(np.arange(n * k_base), counts.ravel())
    ev_person = flat // k_base
    ev_kind = c.base_kinds[flat % k_base]
    ev_month = rng.integers(0, spec.horizon_months, ev_person.shape[0])

    # --- follow-ups (e.g. a judgment performed some months after a default)
    for kind, trigger, prob, delay in c.follow:
        idx = np.flatnonzero(ev_kind == trigger)
        idx = idx[rng.random(idx.shape[0]) < prob]
        months = ev_month[idx] + 1 + rng.poisson(max(delay - 1.0, 0.0), idx.shape[0])
        keep = months < spec.horizon_months
        ev_person = np.concatenate([ev_person, ev_person[idx[keep]]])
        ev_kind = np.concatenate([ev_kind, np.full(int(keep.sum()), kind, dtype=ev_kind.dtype)])
        ev_month = np.concatenate([ev_month, months[keep]])

    order = np.lexsort((ev_kind, ev_month, ev_person))
    ev_person, ev_kind, ev_month = ev_person[order], ev_kind[order], ev_month[order]
    m = ev_person.shape[0]
    ev_source = c.kind_source[ev_kind]
    unit = c.kind_unit[ev_kind]
    noise = np.exp(_AMOUNT_SIGMA * rng.standard_normal(m) - _AMOUNT_SIGMA**2 / 2)
    scale = c.kind_scale[ev_kind]
    amount = np.where(unit == 1, scale * income[ev_person] / 12.0 * noise, np.where(unit == 2, scale * noise, 0.0))
    p_mis = c.mis_source[ev_source] * c.mis_edu[edu[ev_person]]
    genuine = rng.random(m) >= p_mis
    events = events_frame(person_id[ev_person], ev_month, ev_kind, ev_source, np.round(amount, 2), genuine)

    # --- ties: homophily by socio-economic position (income and education) within the block
    ties = _ties(rng, z, edu, person_id, spec.friends_per_person, spec.homophily)
    return Population(
        people=people,
        events=events,
        ties=ties,
        horizon_months=spec.horizon_months,
        synthetic=True,
        spec=spec,
        seed=seed,
    )


def _ties(rng, z, edu, person_id, k, homophily) -> pd.DataFrame:
    n = z.shape[0]
    if k == 0 or n < 2:
        return pd.DataFrame({"person_id": np.zeros(0, np.int64), "friend_id": np.zeros(0, np.int64)})
    key = z + 0.5 * (edu - 1.5) + 0.25 * rng.standard_normal(n)
    order = np.argsort(key, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    reach = min(_HOMOPHILY_REACH, n - 1)
    offsets = rng.integers(1, reach + 1, (n, k)) * np.where(rng.random((n, k)) < 0.5, -1, 1)
    near = order[np.clip(rank[:, None] + offsets, 0, n - 1)]
    far = rng.integers(0, n, (n, k))
    friend = np.where(rng.random((n, k)) < homophily, near, far)
    me = np.repeat(np.arange(n), k)
    friend = friend.ravel()
    pair = np.unique(me * n + friend)  # sorted, de-duplicated
    me, friend = pair // n, pair % n
    keep = me != friend
    return pd.DataFrame({"person_id": person_id[me[keep]], "friend_id": person_id[friend[keep]]})


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
    return Population.concat([synthesize_block(spec, seed=seed, block=b, size=size) for b in range(*blocks)])


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
