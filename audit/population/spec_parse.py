"""Reading a population spec's TOML data into a :class:`~audit.population.spec_model.PopulationSpec`, strictly.

An unknown key is an error (a typo must not silently fall back to a default),
shares must sum to one, rates must be non-negative, the horizon positive, and
every number stays within the sanity bounds below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from audit.errors import InvalidSpec
from audit.population.dynamics_spec import parse_dynamics
from audit.population.spec_model import AgeSpec, AppealSpec, EventKindSpec, IncomeSpec, PopulationSpec, RecourseSpec
from audit.population.spec_reader import Reader as _Reader
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS, GRAVITY_CLASSES, KIND_DOMAIN, SOURCES

__all__ = [
    "MAX_AGE", "MAX_EXPECTED_EVENTS", "MAX_FRIENDS", "MAX_HORIZON_MONTHS", "MAX_INCOME", "MAX_RATE_PER_YEAR",
    "MAX_REGIONS", "MAX_SLOPE", "income_boundaries", "parse_spec",
]


# Sanity bounds. None is a published figure: each is far outside any real scheme
# (assumption) and keeps generation finite — a spec beyond one is a typo, and an
# error before any work beats a run that overflows or exhausts memory.
#: Longest event log: a century of months (months are stored as 16-bit integers).
MAX_HORIZON_MONTHS = 1200
#: Highest yearly rate of one event kind for the reference person: one a day.
MAX_RATE_PER_YEAR = 366.0
#: Largest change in log-rate per income or education step (a factor of e**10, about 22,000).
MAX_SLOPE = 10.0
#: Most expected events of one kind for the most exposed person over the horizon.
MAX_EXPECTED_EVENTS = 10_000.0
#: Most friends per person: Dunbar's number, about 150 stable relationships
#: (R. Dunbar, "Neocortex size as a constraint on group size in primates", J. Hum. Evol. 1992).
MAX_FRIENDS = 150
#: Oldest age in years (the same bound as supplied tables, audit/population/table.py).
MAX_AGE = 130
#: Most regions (region codes are stored as 8-bit integers).
MAX_REGIONS = 100
#: Highest yearly income in yuan a spec may name (a billion).
MAX_INCOME = 1e9



def _parse_event(kind: str, r: _Reader) -> EventKindSpec:
    if kind not in KIND_DOMAIN:
        raise InvalidSpec(
            f"{r.file}: [events.{kind}] is not a known event kind; known kinds: {', '.join(EVENT_KINDS)}"
        )
    source = r.get("source", str)
    if source not in SOURCES:
        raise InvalidSpec(f"{r.file}: events.{kind}.source = {source!r} is not one of {', '.join(SOURCES)}")
    gravity = r.get("gravity", str)
    if gravity not in GRAVITY_CLASSES:
        raise InvalidSpec(f"{r.file}: events.{kind}.gravity = {gravity!r} is not one of {', '.join(GRAVITY_CLASSES)}")
    unit = r.get("amount_unit", str, "none")
    if unit not in ("yuan", "hours", "none"):
        raise InvalidSpec(f"{r.file}: events.{kind}.amount_unit = {unit!r} is not one of yuan, hours, none")
    age_range = tuple(int(a) for a in r.numbers("age_range", 2, hi=200)) if "age_range" in r.table else (0, 200)
    follows = r.get("follows", str, None)
    if follows is not None and follows not in KIND_DOMAIN:
        raise InvalidSpec(f"{r.file}: events.{kind}.follows = {follows!r} is not a known event kind")
    spec = EventKindSpec(
        kind=kind,
        rate_per_year=r.number("rate_per_year", 0.0, hi=MAX_RATE_PER_YEAR),
        source=source,
        gravity=gravity,
        income_slope=r.number("income_slope", 0.0, lo=-MAX_SLOPE, hi=MAX_SLOPE),
        education_slope=r.number("education_slope", 0.0, lo=-MAX_SLOPE, hi=MAX_SLOPE),
        urban_effect=r.number("urban_effect", 0.0, lo=-MAX_SLOPE, hi=MAX_SLOPE),
        reliability_slope=r.number("reliability_slope", 0.0, lo=-MAX_SLOPE, hi=MAX_SLOPE),
        age_range=(age_range[0], age_range[1]),
        amount_unit=unit,
        amount_scale=r.number("amount_scale", 0.0, hi=1000.0),
        follows=follows,
        follow_probability=r.number("follow_probability", 0.0, hi=1.0),
        follow_delay_months=r.number("follow_delay_months", 0.0, hi=MAX_HORIZON_MONTHS),
    )
    r.done()
    return spec


def _check_volumes(events: tuple[EventKindSpec, ...], horizon: int, urban_share: float, rel_mean: float, file: str) -> None:
    """Refuse an event kind whose most exposed person would expect more than :data:`MAX_EXPECTED_EVENTS`.

    The log-rate is largest at the extreme quintile (2 steps from the reference),
    education level (1.5 steps), urban status and reliability (0 or 1).
    """
    for e in events:
        if e.follows is not None or e.rate_per_year <= 0:
            continue
        log_max = (
            math.log(e.rate_per_year) + math.log(horizon / 12.0)  # apart: their product may underflow to 0
            + 2.0 * abs(e.income_slope)
            + 1.5 * abs(e.education_slope)
            + max(urban_share, 1.0 - urban_share) * abs(e.urban_effect)
            + max(rel_mean, 1.0 - rel_mean) * abs(e.reliability_slope)
        )
        if log_max > math.log(MAX_EXPECTED_EVENTS):
            raise InvalidSpec(
                f"{file}: events.{e.kind} gives the most exposed person about {math.exp(min(log_max, 700.0)):.3g} "
                f"expected events over {horizon} months, more than {MAX_EXPECTED_EVENTS:,.0f}; "
                "lower rate_per_year or the slopes"
            )


def parse_spec(data: Mapping[str, Any], *, file: str = "<spec>") -> PopulationSpec:
    """Validate a parsed TOML mapping and build a :class:`PopulationSpec`."""
    top = _Reader(data, "", file)
    name = top.get("name", str)
    description = top.get("description", str, "")
    horizon = top.get("horizon_months", int)
    if not 1 <= horizon <= MAX_HORIZON_MONTHS:
        raise InvalidSpec(f"{file}: horizon_months = {horizon}; give 1 to {MAX_HORIZON_MONTHS} months, e.g. 36")
    sources = top.get("sources", dict, {})

    people = top.sub("people")
    male_share = people.number("male_share", hi=1.0)
    people.done()

    urban = top.sub("urban")
    urban_share = urban.number("share", hi=1.0)
    urban_loading = urban.number("ses_loading", lo=-1.0, hi=1.0)
    urban.done()

    region = top.sub("region")
    regions = tuple(region.get("names", list))
    if not 1 <= len(regions) <= MAX_REGIONS or not all(isinstance(x, str) and x.strip() for x in regions):
        raise InvalidSpec(f"{file}: region.names = {list(regions)!r}; give 1 to {MAX_REGIONS} non-empty region names")
    if len(set(regions)) != len(regions):
        dup = next(x for x in regions if regions.count(x) > 1)
        raise InvalidSpec(f"{file}: region.names lists {dup!r} more than once; give each region once")
    region_shares = region.shares("shares", len(regions))
    region.done()

    edu = top.sub("education")
    levels = tuple(edu.get("levels", list))
    if levels != EDUCATION_LEVELS:
        raise InvalidSpec(f"{file}: education.levels must be {list(EDUCATION_LEVELS)}, got {list(levels)}")
    edu_shares = edu.shares("shares", len(EDUCATION_LEVELS))
    edu_loading = edu.number("ses_loading", lo=-1.0, hi=1.0)
    edu.done()

    age_r = top.sub("age")
    edges = tuple(int(e) for e in age_r.numbers("edges", hi=MAX_AGE))
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise InvalidSpec(f"{file}: age.edges must be at least two increasing ages, got {list(edges)}")
    age = AgeSpec(edges=edges, shares=age_r.shares("shares", len(edges) - 1))
    age_r.done()

    inc = top.sub("income")
    means = inc.numbers("quintile_means", 5, hi=MAX_INCOME)
    floor = inc.number("floor", hi=MAX_INCOME)
    inc.done()
    income = IncomeSpec(quintile_means=means, floor=floor)
    income_boundaries(income, file=file)  # validates

    rel = top.sub("reliability")
    rel_a = rel.number("alpha", lo=1e-6, hi=1e6)
    rel_b = rel.number("beta", lo=1e-6, hi=1e6)
    rel.done()

    ties = top.sub("ties")
    friends = ties.get("friends_per_person", int)
    if not 0 <= friends <= MAX_FRIENDS:
        raise InvalidSpec(f"{file}: ties.friends_per_person = {friends}; use 0 to {MAX_FRIENDS}")
    homophily = ties.number("homophily", hi=1.0)
    ties.done()

    mis = top.sub("misrecord")
    by_source_r = mis.sub("by_source")
    by_source = {s: by_source_r.number(s, 0.0, hi=1.0) for s in SOURCES}
    by_source_r.done()
    mis_mult = mis.numbers("education_multiplier", len(EDUCATION_LEVELS))
    mis.done()
    for s, share in by_source.items():
        if share * max(mis_mult) > 1.0:
            raise InvalidSpec(
                f"{file}: misrecord.by_source.{s} = {share} times the largest education multiplier "
                f"{max(mis_mult)} exceeds 1; lower one of them"
            )

    ev_table = top.get("events", dict)
    events = tuple(_parse_event(k, _Reader(v, f"events.{k}", file)) for k, v in ev_table.items())
    kinds = {e.kind for e in events}
    _check_volumes(events, horizon, urban_share, rel_a / (rel_a + rel_b), file)
    for e in events:
        if e.follows is not None and e.follows not in kinds:
            raise InvalidSpec(f"{file}: events.{e.kind}.follows = {e.follows!r}, which the spec does not define")

    ap = top.sub("appeal")
    appeal = AppealSpec(
        filing_probability=ap.number("filing_probability", hi=1.0),
        education_multiplier=ap.numbers("education_multiplier", len(EDUCATION_LEVELS)),
        income_multiplier=ap.numbers("income_multiplier", 5),
        success_if_wrong=ap.number("success_if_wrong", hi=1.0),
        success_if_genuine=ap.number("success_if_genuine", hi=1.0),
        decision_months=ap.number("decision_months", hi=MAX_HORIZON_MONTHS),
    )
    ap.done()

    rc = top.sub("recourse")
    related = rc.get("related_domains", list, [])
    pairs = []
    from audit.vocab import DOMAINS

    for pair in related:
        if not (isinstance(pair, list) and len(pair) == 2 and all(p in DOMAINS for p in pair)):
            raise InvalidSpec(
                f"{file}: recourse.related_domains entry {pair!r} must be [conduct_domain, sanction_domain] "
                f"from {', '.join(DOMAINS)}"
            )
        pairs.append((pair[0], pair[1]))
    recourse = RecourseSpec(
        volunteering_hours_per_month=rc.number("volunteering_hours_per_month"),
        blood_donation_min_interval_months=rc.whole("blood_donation_min_interval_months", 0, MAX_HORIZON_MONTHS),
        charity_max_income_share=rc.number("charity_max_income_share", hi=1.0),
        hour_value_income_share=rc.number("hour_value_income_share"),
        max_sanction_months=rc.whole("max_sanction_months", 0, MAX_HORIZON_MONTHS),
        related_domains=tuple(pairs),
        working_hours_per_month=rc.number("working_hours_per_month", 174.0, lo=1.0),
        blood_donation_hours=rc.number("blood_donation_hours", 2.0),
    )
    rc.done()
    dyn = top.get("dynamics", dict, None)
    top.done()

    return PopulationSpec(
        name=name,
        description=description,
        horizon_months=horizon,
        male_share=male_share,
        urban_share=urban_share,
        urban_ses_loading=urban_loading,
        regions=tuple(str(r) for r in regions),
        region_shares=region_shares,
        education_shares=edu_shares,
        education_ses_loading=edu_loading,
        age=age,
        income=income,
        reliability_alpha=rel_a,
        reliability_beta=rel_b,
        friends_per_person=friends,
        homophily=homophily,
        misrecord_by_source=by_source,
        misrecord_education_multiplier=mis_mult,
        events=events,
        appeal=appeal,
        recourse=recourse,
        sources={str(k): str(v) for k, v in sources.items()},
        dynamics=None if dyn is None else parse_dynamics(dyn, file=file),
        path=None if file == "<spec>" else file,
    )


def income_boundaries(income: IncomeSpec, *, file: str = "<spec>") -> tuple[float, ...]:
    """Quintile boundaries ``b0 < b1 < ... < b5`` such that a uniform income within
    each quintile has the spec's mean: ``(b[q-1] + b[q]) / 2 == mean[q]``."""
    bounds = [income.floor]
    for mean in income.quintile_means:
        bounds.append(2.0 * mean - bounds[-1])
    if any(b <= a for a, b in zip(bounds, bounds[1:])) or not all(math.isfinite(b) for b in bounds):
        raise InvalidSpec(
            f"{file}: income.quintile_means {list(income.quintile_means)} with floor {income.floor} give "
            f"non-increasing quintile boundaries {[round(b) for b in bounds]}; lower the floor or fix the means"
        )
    return tuple(bounds)
