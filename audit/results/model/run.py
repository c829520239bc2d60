"""``results.json`` as a whole: the run (population, options, timings) and one entry per scorer.

Produced by :func:`audit.results.document.results_document`. A scorer that
failed has its declarations, ``status: "failed"`` and its ``error``, and no
sections.
"""

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from audit.results.model.common import JSONScalar, Length, declare_extra_items
from audit.results.model.disparity import DisparitySection
from audit.results.model.dynamics import DynamicsFailed, DynamicsSection
from audit.results.model.observed import ObservedOutcomeSection
from audit.results.model.replay import (
    AppealSection,
    ContagionSection,
    NotReplayable,
    ReplayUnavailable,
    ReversibilitySection,
    SpilloverSection,
)

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "PersonIdIdentity",
    "PopulationInfo",
    "ResultsDocument",
    "RunOptions",
    "ScorerEntry",
    "TieBounds",
]

#: Version of the results.json layout; bumped whenever a key is renamed, removed or changes meaning.
RESULTS_SCHEMA_VERSION = 1


class TieBounds(TypedDict):
    """The largest number of people listing one person as a friend (in-degree) and of friends one lists."""

    max_in_degree: int
    max_out_degree: int
    ties_dropped: NotRequired[int]


class PersonIdIdentity(TypedDict):
    """Who a supplied dataset is about: a SHA-256 of its sorted person ids, a bottom-k sketch, the count."""

    fingerprint: str
    sketch: list[int]
    count: int


class PopulationInfo(TypedDict):
    """The audited population: synthetic (spec, seed) or supplied (file, person-id identity)."""

    name: str
    synthetic: bool
    source: str
    size: int
    seed: int | None
    horizon_months: int
    spec_fingerprint: NotRequired[str]
    fingerprint: str
    person_ids: NotRequired[PersonIdIdentity]
    ties: TieBounds
    columns: NotRequired[list[str]]
    """A supplied people table's columns (all of them can be audited with ``by``)."""
    absent_columns: NotRequired[list[str]]
    """Standard people columns the supplied table lacks; the audits needing them say so."""
    score_column: NotRequired[str | None]
    """The column of precomputed scores audited as a scorer, if any."""
    outcome_column: NotRequired[str | None]
    """The 0/1 column of observed outcomes (error rates and calibration), if any."""
    date_range: NotRequired[list[str] | None]
    """First and last date of the supplied data's date column, if one was named."""
    event_months: NotRequired[Annotated[list[int], Length(2, 2)] | None]
    """First and last month of the supplied events (``null`` when none were supplied); ``horizon_months``
    of a supplied table without events is a placeholder of 1 month."""


class RunOptions(TypedDict):
    """The run's options (:class:`audit.engine.contract.AuditOptions`); options added later are kept too."""

    seed: int
    as_of: int | None
    by: list[str]
    min_cell_share: float
    bootstrap: int
    replay_sample: int
    population_size: int
    scorer_timeout: float | None
    probe_size: int


class ScorerEntry(TypedDict):
    """One scorer's declarations, status and sections (sections of audits added later are objects too).

    ``paired`` holds a comparison's joint outcomes in memory; ``scs-audit compare`` writes them to
    compare.json, not here.
    """

    label: str
    name: str
    version: str
    description: str
    params: dict[str, JSONScalar]
    tiers: list[str]
    favourable_tiers: list[str]
    sanctions: dict[str, str]
    status: Literal["ok", "failed"]
    error: NotRequired[str]
    tier_shares: NotRequired[dict[str, float]]
    disparity: NotRequired[DisparitySection]
    appeal: NotRequired[AppealSection | NotReplayable]
    reversibility: NotRequired[ReversibilitySection | NotReplayable | ReplayUnavailable]
    spillover: NotRequired[SpilloverSection | NotReplayable | ReplayUnavailable]
    contagion: NotRequired[ContagionSection | NotReplayable]
    observed_outcome: NotRequired[ObservedOutcomeSection]
    """Error rates and calibration against an observed outcome (:mod:`audit.disparity.observed`), when asked for."""
    dynamics: NotRequired[DynamicsSection | DynamicsFailed]
    """The long-run simulation of people responding to the score (:mod:`audit.dynamics`), when asked for."""
    paired: NotRequired[dict[str, Any]]


class ResultsDocument(TypedDict):
    """``results.json``: the exact, private results of a run."""

    schema_version: int
    kind: str
    private: Literal[True]
    package_version: str
    created: str
    population: PopulationInfo
    options: RunOptions
    audited_attributes: list[str]
    seconds: dict[str, float]
    scorers: list[ScorerEntry]


declare_extra_items(RunOptions, Any)
declare_extra_items(ScorerEntry, dict[str, Any])
