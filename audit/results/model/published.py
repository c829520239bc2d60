"""``published.json``: the differentially private figures of a release, with the ledger that paid for them.

Produced by :func:`audit.privacy.publish.release`. Every figure carries its
95% interval and the ledger entries it was computed from (:class:`Figure`).
"""

from typing import Literal, NotRequired, TypedDict

from audit.results.model.common import GroupLabel, Interval, JSONScalar, declare_extra_items

__all__ = [
    "PUBLISHED_SCHEMA_VERSION",
    "BudgetChange",
    "BudgetSection",
    "ContributionBound",
    "Figure",
    "FourFifthsOutcome",
    "HistogramFigures",
    "HistogramSection",
    "LedgerRecord",
    "PrivacySection",
    "PublishedAttribute",
    "PublishedDocument",
    "PublishedGroup",
    "PublishedGroups",
    "PublishedPopulation",
    "PublishedScorer",
    "PublishedTable",
    "ScoreBounds",
    "Simultaneous",
    "SplitSection",
    "TableRow",
    "TableRows",
    "TieBoundSection",
    "TierShare",
]

#: Version of the published.json layout; bumped whenever a key is renamed, removed or changes meaning.
PUBLISHED_SCHEMA_VERSION = 2


class Figure(TypedDict):
    """One published figure: its value and 95% interval (``null`` where undefined), the ledger entries it
    reads, and whether it was derived (post-processed) from the raw noisy outputs."""

    value: float | None
    ci95: Interval | None
    ledger_entries: list[str]
    derived: bool


class Simultaneous(TypedDict):
    """Bonferroni-adjusted half-widths so a family of figures is covered together with 95% probability."""

    method: str
    figures: int
    alpha_per_figure: float
    half_widths: NotRequired[dict[str, list[float | None]]]
    half_width: NotRequired[float | None]


class TableRow(TypedDict):
    """One cell of a noisy table: its ``count`` (or, for a table of sums, its ``sum``), beside its labels under
    each axis's name."""

    count: NotRequired[Figure]
    sum: NotRequired[Figure]


class TableRows(TypedDict):
    """A table's rows, as the raw OpenDP output (``signed``) or post-processed (``nonnegative``)."""

    label: str
    rows: list[TableRow]


class PublishedTable(TypedDict):
    """One noisy table: the query, its ledger entry, axes, the mechanism's sensitivity and scale."""

    query: str
    ledger_entry: str
    axes: dict[str, list[JSONScalar]]
    unit: str
    sensitivity: float
    scale: float
    ci95_half_width: float | None
    simultaneous: Simultaneous
    signed: TableRows
    nonnegative: NotRequired[TableRows]


class PublishedGroup(TypedDict):
    """One group's noisy figures."""

    group: GroupLabel
    n: Figure
    favourable_rate: Figure
    adverse_rate: Figure
    mean_score: NotRequired[Figure]
    impact_ratio: Figure | None
    excluded_from_ratios: bool


class FourFifthsOutcome(TypedDict):
    """The four-fifths verdict on noisy figures: outcome, what would settle it, the rule, what it rests on."""

    outcome: str
    remedy: str | None
    rule: str
    rests_on: str


class PublishedAttribute(TypedDict):
    """One attribute's noisy groups and its four-fifths verdict."""

    groups: list[PublishedGroup]
    reference_group: GroupLabel
    min_impact_ratio: Figure | None
    min_impact_ratio_group: GroupLabel
    four_fifths_verdict: str
    four_fifths: FourFifthsOutcome
    simultaneous: Simultaneous


class PublishedGroups(TypedDict):
    """Groups by attribute, and the noisy number of people (``total``)."""

    income_quintile: PublishedAttribute
    education: PublishedAttribute
    income_quintile_x_education: PublishedAttribute
    total: Figure


class TierShare(TypedDict):
    """The noisy share of people in one tier."""

    tier: str
    share: Figure


class HistogramFigures(TypedDict):
    """The score histogram's bins as raw (``signed``) and post-processed (``nonnegative``) figures."""

    signed: list[Figure]
    nonnegative: list[Figure]


class HistogramSection(TypedDict):
    """The noisy score histogram."""

    bins: list[str]
    overall: HistogramFigures
    simultaneous: Simultaneous
    by_income_quintile: str


class ScoreBounds(TypedDict):
    """The public bounds a score is clipped to before its sums are measured, and where they come from."""

    lo: float
    hi: float
    source: str


class PublishedScorer(TypedDict):
    """One scorer's release: its public description, the ε it spent and its figures."""

    label: str
    name: str
    version: str
    scorer: str
    params: dict[str, JSONScalar]
    tiers: list[str]
    favourable_tiers: list[str]
    status: Literal["ok"]
    epsilon: float
    score_bounds: ScoreBounds | None
    tables: dict[str, PublishedTable]
    groups: PublishedGroups
    tier_shares: list[TierShare]
    tier_shares_simultaneous: Simultaneous
    score_histogram: NotRequired[HistogramSection]


class PublishedPopulation(TypedDict):
    """The population as far as it may be published (a supplied dataset's size and fingerprint are withheld)."""

    name: str | None
    synthetic: bool
    size: int | None
    seed: int | None
    fingerprint: str | None
    spec_fingerprint: NotRequired[str | None]
    dataset_id: NotRequired[str]
    withheld: NotRequired[str]


class SplitSection(TypedDict):
    """How ε was divided among scorers and queries."""

    rule: str
    weights: dict[str, float]
    by_scorer: dict[str, dict[str, float]]


class TieBoundSection(TypedDict):
    """The public bound on ties that makes one person's influence on friends' scores finite."""

    max_in_degree: int
    max_friends: int
    rule: str
    affected_people_by_scorer: dict[str, int]


class ContributionBound(TypedDict):
    """One query's sensitivity: how much one person (with their ties) can change it."""

    sensitivity: float
    bound: str
    unit: str


class BudgetChange(TypedDict):
    """A change of the dataset's total budget, as recorded by the ledger."""

    budget_epsilon: float
    budget_delta: float
    changed: str


class BudgetSection(TypedDict):
    """The dataset's budget: total, spent, remaining, and its history."""

    persistent: bool
    total_epsilon: float
    total_delta: float
    spent_epsilon: float
    remaining_epsilon: float
    history: list[BudgetChange]


class PrivacySection(TypedDict):
    """The privacy guarantee of the release: definition, unit, ε and δ, split, bounds, budget, wording."""

    definition: str
    unit: str
    epsilon: float
    delta: float
    epsilon_spent: float
    delta_spent: float
    split: SplitSection
    tie_bound: TieBoundSection
    contribution_bounds: dict[str, dict[str, ContributionBound]]
    budget: BudgetSection
    intervals: str
    signed_and_nonnegative: str
    protected: str
    not_protected: str


class LedgerRecord(TypedDict):
    """One ledger entry (:class:`audit.privacy.ledger_values.LedgerEntry`) and whether this release made it."""

    id: str
    release: str
    query: str
    scorer: str
    mechanism: str
    scale: float
    sensitivity: float
    epsilon: float
    delta: float
    created: str
    this_release: bool


class PublishedDocument(TypedDict):
    """``published.json``: differentially private figures that may leave the auditor's hands."""

    schema_version: int
    kind: str
    private: Literal[False]
    package_version: str
    opendp_version: str
    created: str
    population: PublishedPopulation
    privacy: PrivacySection
    ledger: list[LedgerRecord]
    dataset: str | None
    scorers: list[PublishedScorer]


declare_extra_items(TableRow, JSONScalar)
declare_extra_items(PublishedGroups, PublishedAttribute)
