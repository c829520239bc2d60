"""The typed result model: ``results.json`` and ``published.json`` as ``TypedDict`` classes.

Audits produce these dictionaries, :mod:`audit.results.document` and
:mod:`audit.privacy.publish` write them, and findings, compare, reports,
privacy and the assertion helpers read them through these types. The JSON
Schema shipped in ``audit/results/schemas/`` is generated from them
(:mod:`audit.results.schema`).
"""

from audit.results.model.common import GroupLabel, Interval, JSONScalar, MetricSummary, SampleSummary, Stratum
from audit.results.model.disparity import (
    AttributeDisparity,
    Attribution,
    DisparityGroup,
    DisparitySection,
    Driver,
    GroundTruth,
    attribute_section,
)
from audit.results.model.dynamics import DynamicsAttribute, DynamicsFailed, DynamicsSection, DynamicsYear
from audit.results.model.observed import ObservedAttribute, ObservedGroup, ObservedOutcomeSection, observed_attribute
from audit.results.model.published import Figure, PublishedAttribute, PublishedDocument, PublishedGroup, PublishedScorer
from audit.results.model.replay import (
    AppealGroup,
    AppealSection,
    ContagionSection,
    NotReplayable,
    RecoverySection,
    ReplayUnavailable,
    ReversibilitySection,
    SpilloverSection,
)
from audit.results.model.run import PopulationInfo, ResultsDocument, RunOptions, ScorerEntry

__all__ = [
    "AppealGroup",
    "AppealSection",
    "NotReplayable",
    "ReplayUnavailable",
    "AttributeDisparity",
    "Attribution",
    "ContagionSection",
    "DisparityGroup",
    "DisparitySection",
    "Driver",
    "DynamicsAttribute",
    "DynamicsFailed",
    "DynamicsSection",
    "DynamicsYear",
    "Figure",
    "GroundTruth",
    "GroupLabel",
    "Interval",
    "JSONScalar",
    "MetricSummary",
    "ObservedAttribute",
    "ObservedGroup",
    "ObservedOutcomeSection",
    "PopulationInfo",
    "PublishedAttribute",
    "PublishedDocument",
    "PublishedGroup",
    "PublishedScorer",
    "RecoverySection",
    "ResultsDocument",
    "ReversibilitySection",
    "RunOptions",
    "SampleSummary",
    "ScorerEntry",
    "SpilloverSection",
    "Stratum",
    "attribute_section",
    "observed_attribute",
]
