"""Per-spec tables of the synthetic generator, computed once per spec.

Everything about a :class:`~audit.population.spec.PopulationSpec` that every
block reads: the rate bound of each event kind in each cell (quintile,
education, urban, age interval, reliability bin) with its Walker alias table,
reliability bins and slopes, thresholds of the correlated Gaussians, and the
category dtypes of the frames. See :mod:`audit.population.synth` for the method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaincinv, ndtri

from audit.population.spec import PopulationSpec, income_boundaries
from audit.vocab import DOMAINS, EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = [
    "DOMAIN_CATEGORIES",
    "EDUCATION_CATEGORIES",
    "KIND_BITS",
    "KIND_CATEGORIES",
    "KIND_TO_DOMAIN",
    "SEX_CATEGORIES",
    "SOURCE_CATEGORIES",
    "Compiled",
    "alias_tables",
    "compiled",
]

#: Quantile bins of latent reliability used to bound event rates (an algorithmic
#: choice, not a modelling one: any number of bins gives the same distribution;
#: more bins waste fewer thinned draws but make more cells).
_RELIABILITY_BINS = 16

_N_KINDS = len(EVENT_KINDS)
KIND_BITS = max(1, int(np.ceil(np.log2(_N_KINDS))))
KIND_TO_DOMAIN = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)
KIND_CATEGORIES = pd.CategoricalDtype(list(EVENT_KINDS))
DOMAIN_CATEGORIES = pd.CategoricalDtype(list(DOMAINS))
SOURCE_CATEGORIES = pd.CategoricalDtype(list(SOURCES))
EDUCATION_CATEGORIES = pd.CategoricalDtype(list(EDUCATION_LEVELS), ordered=True)
SEX_CATEGORIES = pd.CategoricalDtype(["female", "male"])



@dataclass(frozen=True, slots=True)
class Compiled:
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


def alias_tables(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _compile(spec: PopulationSpec) -> Compiled:
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
    prob, alias = alias_tables(bound)
    cum_edu = np.cumsum(spec.education_shares)[:-1]
    return Compiled(
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


_COMPILED: dict[str, Compiled] = {}
_BY_ID: dict[int, tuple[PopulationSpec, Compiled]] = {}


def compiled(spec: PopulationSpec) -> Compiled:
    """The tables of ``spec``, computed once per spec (by identity, then by fingerprint)."""
    hit = _BY_ID.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    key = spec.fingerprint()
    if key not in _COMPILED:
        _COMPILED[key] = _compile(spec)
    _BY_ID[id(spec)] = (spec, _COMPILED[key])
    return _COMPILED[key]
