"""The values of a population spec: frozen dataclasses, one per part of the TOML file.

Reading and checking a spec is :mod:`audit.population.spec_parse`'s job; finding
one by name is :mod:`audit.population.spec`'s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from audit.population.dynamics_spec import DynamicsSpec

__all__ = ["AgeSpec", "AppealSpec", "EventKindSpec", "IncomeSpec", "PopulationSpec", "RecourseSpec"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgeSpec:
    edges: tuple[int, ...]
    """Band edges in years, e.g. ``(18, 30, 45, 60, 80)``; ages are uniform within a band."""
    shares: tuple[float, ...]
    """Share of people in each band (one fewer than ``edges``), summing to 1."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomeSpec:
    quintile_means: tuple[float, ...]
    """Mean yearly disposable income of each national quintile, poorest first (yuan)."""
    floor: float
    """Lowest income in the poorest quintile (yuan); incomes are piecewise uniform."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventKindSpec:
    kind: str
    """Event kind, one of :data:`audit.vocab.EVENT_KINDS`."""
    rate_per_year: float
    """Yearly rate for the reference person (income quintile 3, between junior and senior secondary)."""
    source: str
    """Who records the event: one of :data:`audit.vocab.SOURCES`."""
    gravity: str
    """Gravity class of the conduct: minor, general or serious."""
    income_slope: float = 0.0
    """Change in log-rate per income-quintile step."""
    education_slope: float = 0.0
    """Change in log-rate per education-level step."""
    urban_effect: float = 0.0
    """Change in log-rate for urban residents."""
    reliability_slope: float = 0.0
    """Change in log-rate per unit of latent reliability above 0.5 (misconduct: negative)."""
    age_range: tuple[int, int] = (0, 200)
    """Only people with ``age_range[0] <= age < age_range[1]`` have this event."""
    amount_unit: str = "none"
    """What ``amount`` measures: ``yuan``, ``hours`` or ``none``."""
    amount_scale: float = 0.0
    """Mean amount: hours, or a share of the person's monthly income for ``yuan``."""
    follows: str | None = None
    """If set, this event is a follow-up of that kind rather than drawn at a base rate."""
    follow_probability: float = 0.0
    """Probability that a ``follows`` event happens after each triggering event."""
    follow_delay_months: float = 0.0
    """Mean delay in months between the triggering event and the follow-up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealSpec:
    filing_probability: float
    """Probability that a reference person appeals an adverse event."""
    education_multiplier: tuple[float, ...]
    """Multiplier on filing probability per education level, lowest first."""
    income_multiplier: tuple[float, ...]
    """Multiplier on filing probability per income quintile, poorest first."""
    success_if_wrong: float
    """Probability that an appeal of a misrecorded event succeeds."""
    success_if_genuine: float
    """Probability that an appeal of a genuine event succeeds."""
    decision_months: float
    """Months from filing to decision."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecourseSpec:
    volunteering_hours_per_month: float
    """Most volunteering hours a person can feasibly give in a month."""
    blood_donation_min_interval_months: int
    """Shortest allowed interval between whole-blood donations, in months."""
    charity_max_income_share: float
    """Largest share of monthly income a person can feasibly donate."""
    hour_value_income_share: float
    """Cost of one hour as a share of the person's hourly income (opportunity cost)."""
    max_sanction_months: int
    """Longest statutory period any sanction may last (months)."""
    related_domains: tuple[tuple[str, str], ...]
    """Pairs (conduct domain, sanction domain) declared related besides identical domains."""
    working_hours_per_month: float = 174.0
    """Paid working hours in a month, turning monthly income into an hourly value."""
    blood_donation_hours: float = 2.0
    """Hours one whole-blood donation takes (travel, screening, donation)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PopulationSpec:
    name: str
    """Short name; a builtin spec's file stem."""
    description: str
    """One paragraph on what the population represents."""
    horizon_months: int
    """Months of conduct in each person's event log."""
    male_share: float
    urban_share: float
    urban_ses_loading: float
    """Correlation between the latent socio-economic status and being urban."""
    regions: tuple[str, ...]
    region_shares: tuple[float, ...]
    education_shares: tuple[float, ...]
    """Shares of :data:`audit.vocab.EDUCATION_LEVELS`, lowest first."""
    education_ses_loading: float
    """Correlation between the latent socio-economic status and education."""
    age: AgeSpec
    income: IncomeSpec
    reliability_alpha: float
    reliability_beta: float
    """Latent reliability ~ Beta(alpha, beta): the ground-truth propensity to behave well."""
    friends_per_person: int
    homophily: float
    """Share of ties chosen among socio-economic neighbours rather than at random."""
    misrecord_by_source: Mapping[str, float]
    """Share of a source's recorded events that are misrecorded (did not happen)."""
    misrecord_education_multiplier: tuple[float, ...]
    """Multiplier on the misrecord share per education level, lowest first."""
    events: tuple[EventKindSpec, ...]
    appeal: AppealSpec
    recourse: RecourseSpec
    sources: Mapping[str, str] = field(default_factory=dict)
    """Citation for each real-world number, keyed by what it calibrates."""
    dynamics: DynamicsSpec | None = None
    """How people respond to being scored (the ``[dynamics]`` table; :mod:`audit.dynamics`), if given."""
    path: str | None = None
    """File the spec was loaded from, if any."""

    def fingerprint(self) -> str:
        """SHA-256 of the spec's content (not of its path)."""
        data = asdict(self)
        data.pop("path", None)
        data.pop("dynamics", None)  # response rates draw no one: results.json records them in its dynamics section
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def event_spec(self, kind: str) -> EventKindSpec:
        for ev in self.events:
            if ev.kind == kind:
                return ev
        raise KeyError(kind)


# ----------------------------------------------------------------------------- loading
