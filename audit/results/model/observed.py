"""The ``observed_outcome`` section of a scorer in ``results.json``: error rates and calibration.

Produced by :class:`audit.disparity.observed.ObservedOutcomeAudit` when a run
names a 0/1 outcome column (``--outcome``). Each audited attribute's
:class:`ObservedAttribute` sits beside the fixed keys of
:class:`ObservedOutcomeSection`, under the attribute's key (listed in
``attributes``). Error rates need a decision (a cut-off or a decision column);
without one ``available`` is false, ``reason`` says what to give, and only
calibration is computed.
"""

from typing import Any, NotRequired, TypedDict, cast

from audit.results.model.common import GroupLabel, Interval, MetricSummary, audited_part, declare_extra_items

__all__ = ["Calibration", "CalibrationGroup", "ErrorRates", "ObservedAttribute", "ObservedGroup", "ObservedOutcomeSection",
           "observed_attribute"]


class ErrorRates(TypedDict):
    """fairlearn's rates from the confusion counts, each with its 95% exact (Clopper-Pearson) interval."""

    selection_rate: float | None
    selection_rate_ci: Interval | None
    false_positive_rate: float | None
    false_positive_rate_ci: Interval | None
    false_negative_rate: float | None
    false_negative_rate_ci: Interval | None
    true_positive_rate: float | None
    true_positive_rate_ci: Interval | None
    positive_predictive_value: float | None
    positive_predictive_value_ci: Interval | None


class ObservedGroup(ErrorRates):
    """One group's error rates: its size, how many had the outcome, and whether it is too small for ratios."""

    group: GroupLabel
    n: int
    positives: int
    excluded_from_ratios: bool


class CalibrationGroup(TypedDict):
    """One group's observed outcome rate in each score bin (lists in the order of the bins)."""

    group: GroupLabel
    n: list[int]
    observed_rate: list[float | None]
    observed_rate_ci: list[Interval | None]


class Calibration(TypedDict):
    """The observed outcome rate per score bin (each score value, or deciles of a finer score) and group."""

    bins: list[str]
    groups: list[CalibrationGroup]


class ObservedAttribute(TypedDict):
    """One audited attribute: error rates by group and equalized odds (with a decision), calibration (always)."""

    unknown_n: int
    groups: NotRequired[list[ObservedGroup]]
    by_metric: NotRequired[dict[str, MetricSummary]]
    eligible_groups: NotRequired[int]
    equalized_odds_difference: NotRequired[float | None]
    equalized_odds_ratio: NotRequired[float | None]
    calibration: Calibration


class ObservedOutcomeSection(TypedDict):
    """The ``observed_outcome`` section: the outcome column, what is predicted, overall rates, one
    :class:`ObservedAttribute` per audited attribute under its key (read it with :func:`observed_attribute`)."""

    label: str
    outcome_column: str
    note: str
    predicted_positive: str | None
    available: bool
    reason: str | None
    interval: str
    min_cell_share: float
    attributes: list[str]
    overall: NotRequired[ErrorRates]


declare_extra_items(ObservedOutcomeSection, ObservedAttribute)


def observed_attribute(section: ObservedOutcomeSection, key: str) -> ObservedAttribute:
    """The part of ``section`` about the audited attribute ``key``.

    Raises
    ------
    KeyError
        When ``key`` is not among ``section["attributes"]``, naming the attributes there are.
    """
    return cast(ObservedAttribute, audited_part(cast(dict[str, Any], section), key))
