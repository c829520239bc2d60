"""The ``disparity`` section of a scorer in ``results.json``: groups, ratios, ground truth, attribution.

Produced by :class:`audit.disparity.audit.DisparityAudit`; one
:class:`AttributeDisparity` per audited attribute (``income_quintile``,
``education``, their intersection, or a supplied data file's attributes) sits
beside the fixed keys of :class:`DisparitySection`, under the attribute's key.
"""

from typing import Any, NotRequired, TypedDict, cast

from audit.results.model.common import GroupLabel, Interval, MetricSummary, audited_part, declare_extra_items

__all__ = [
    "AttributeAttribution",
    "AttributeDisparity",
    "AttributeTruth",
    "Attribution",
    "DisparityGroup",
    "DisparitySection",
    "Driver",
    "GapAttribution",
    "GroundTruth",
    "RuleEffect",
    "TruthBand",
    "TruthBandGroup",
    "TruthGroup",
    "attribute_section",
]


class DisparityGroup(TypedDict):
    """One group of one attribute: size, rates with 95% intervals, ratios to the reference group, verdict.

    A ``*_ci`` is ``null`` when intervals were not asked for (``bootstrap = 0``)
    or cannot be computed; a rate is ``null`` for an empty group.
    """

    group: GroupLabel
    n: int
    share: float | None
    excluded_from_ratios: bool
    favourable_rate: float | None
    favourable_rate_ci: Interval | None
    adverse_rate: float | None
    adverse_rate_ci: Interval | None
    adverse_rate_by_sanction: dict[str, float | None]
    adverse_rate_by_sanction_ci: dict[str, Interval | None] | None
    tier_shares: dict[str, float | None]
    tier_shares_ci: dict[str, Interval | None] | None
    tier_or_better: dict[str, float | None]
    tier_or_better_ci: dict[str, Interval | None] | None
    mean_score: float | None
    mean_score_ci: Interval | None
    median_score: float | None
    median_score_ci: Interval | None
    scoring_rate: float | None
    scoring_rate_ci: Interval | None
    impact_ratio: float | None
    impact_ratio_ci: Interval | None
    scoring_impact_ratio: float | None
    scoring_impact_ratio_ci: Interval | None
    scoring_rate_ties_above: float | None
    scoring_impact_ratio_ties_above: float | None
    adverse_relative_risk: float | None
    adverse_relative_risk_ci: Interval | None
    four_fifths: str


class Driver(TypedDict):
    """The rule driving an attribute's favourable gap (:func:`audit.disparity.drivers.driver`), or why none does.

    ``rule`` is set only when one rule explains most of the gap; ``reason``
    says why there is none.
    """

    rule: str | None
    share_of_gap: float | None
    method: str | None
    reason: NotRequired[str]
    sample_size: NotRequired[int]
    effect: NotRequired[float | None]
    largest_rule: NotRequired[str | None]
    largest_share: NotRequired[float | None]
    remaining_share: NotRequired[float | None]
    groups: NotRequired[list[GroupLabel]]
    gap: NotRequired[float | None]
    gap_without_rules: NotRequired[float | None]
    share_note: NotRequired[str]


class AttributeDisparity(TypedDict):
    """One audited attribute: its groups, reference groups, the four-fifths verdict, fairlearn summaries, driver."""

    groups: list[DisparityGroup]
    unknown_n: int
    eligible_groups: int
    reference_group: GroupLabel
    adverse_reference_group: GroupLabel
    scoring_reference_group: GroupLabel
    worst_group: GroupLabel
    most_sanctioned_group: GroupLabel
    min_impact_ratio: float | None
    min_impact_ratio_ci: Interval | None
    four_fifths_violation: bool
    four_fifths_verdict: str
    reference_events: int | None
    impact_ratio_unstable: bool
    adverse_reference_events: int | None
    adverse_relative_risk_unstable: bool
    scoring_reference_events: int | None
    scoring_impact_ratio_unstable: bool
    min_scoring_impact_ratio: float | None
    min_scoring_impact_ratio_ci: Interval | None
    min_scoring_impact_ratio_ties_above: float | None
    rank_error_bound: float | None
    max_adverse_relative_risk: float | None
    max_adverse_relative_risk_ci: Interval | None
    favourable: MetricSummary
    adverse: MetricSummary
    scoring_rate: MetricSummary
    driver: Driver


class TruthGroup(TypedDict):
    """One group's outcomes against its genuine record (ground truth of a synthetic population)."""

    group: GroupLabel
    n: int
    excluded_from_ratios: bool
    sanctioned: int
    wrongfully_sanctioned: int
    wrongful_sanction_rate: float | None
    wrongful_sanction_rate_ci: Interval | None
    false_sanction_rate: float | None
    false_sanction_rate_ci: Interval | None
    missed_sanction_rate: float | None
    sanction_rate: float | None
    sanction_rate_if_genuine: float | None
    favourable_rate: float | None
    favourable_rate_if_genuine: float | None
    wrongly_unfavourable_rate: float | None


class TruthBandGroup(TypedDict):
    """One group within one band of latent reliability."""

    group: GroupLabel
    n: int
    sanction_rate: float | None
    sanction_rate_ci: Interval | None
    sanction_rate_if_genuine: float | None
    false_sanction_rate: float | None


class TruthBand(TypedDict):
    """Sanction rates of equally reliable people (one band of latent reliability) by group."""

    band: list[float]
    n: int
    groups: list[TruthBandGroup]
    sanction_rate: MetricSummary
    max_relative_risk: float | None


class AttributeTruth(TypedDict):
    """Ground truth for one attribute: groups, fairlearn summaries, reliability bands."""

    groups: list[TruthGroup]
    wrongful_sanction_rate: MetricSummary
    false_sanction_rate: MetricSummary
    by_reliability: list[TruthBand]


class GroundTruth(TypedDict):
    """Outcomes on recorded events against outcomes on genuine events only (``null`` without ground truth)."""

    note: str
    n: int
    sample_share: float
    sample_note: str
    sanctioned: int
    wrongfully_sanctioned: int
    wrongful_sanction_rate: float | None
    wrongful_sanction_rate_ci: Interval | None
    false_sanction_rate: float | None
    missed_sanction_rate: float | None
    sanction_rate_if_genuine: float | None
    favourable_rate_if_genuine: float | None
    wrongly_unfavourable_rate: float | None
    reliability_bands: list[list[float]]
    by_attribute: dict[str, AttributeTruth]


class RuleEffect(TypedDict):
    """One rule's effect on a gap: its Shapley value (or leave-one-out effect) and share of the gap."""

    effect: float | None
    share_of_gap: float | None
    leave_one_out: float | None
    leave_one_out_share: float | None


class GapAttribution(TypedDict):
    """The gap between two groups, each rule's effect on it, and the rule with the largest effect."""

    groups: list[GroupLabel]
    gap: float | None
    gap_without_rules: float | None
    sample_n: list[int]
    rules: dict[str, RuleEffect]
    driver: str | None


class AttributeAttribution(TypedDict):
    """Attribution of one attribute's favourable and adverse gaps (each absent when there is no gap)."""

    favourable: NotRequired[GapAttribution]
    adverse: NotRequired[GapAttribution]


class Attribution(TypedDict):
    """Which rule drives a gap (:mod:`audit.disparity.attribution`); ``error`` when the probe failed."""

    method: str
    rules: list[str]
    coalitions: int
    permutations: int
    sample_size: int
    sample_target: int
    note: str
    by_attribute: dict[str, AttributeAttribution]
    by_rule: dict[str, dict[str, float | None]]
    error: NotRequired[str]


class DisparitySection(TypedDict):
    """The ``disparity`` section; each audited attribute's :class:`AttributeDisparity` sits under its key
    (listed in ``attributes``; read it with :func:`attribute_section`)."""

    attributes: list[str]
    median_score: float | None
    median_note: str
    min_cell_share: float
    bootstrap_replicates: int
    interval: str | None
    ground_truth: GroundTruth | None
    attribution: Attribution | None


declare_extra_items(DisparitySection, AttributeDisparity)


def attribute_section(disparity: DisparitySection, key: str) -> AttributeDisparity:
    """The section of the audited attribute ``key`` (e.g. ``"education"``).

    Raises
    ------
    KeyError
        When ``key`` is not among ``disparity["attributes"]``, naming the attributes there are.
    """
    return cast(AttributeDisparity, audited_part(cast(dict[str, Any], disparity), key))
