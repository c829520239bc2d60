"""The ``dynamics`` section of a scorer in ``results.json``: the long-run simulation of people responding to the score.

Produced by :func:`audit.dynamics.measures.dynamics_section` (``scs-audit run
--dynamics``). A simulation that failed is a :class:`DynamicsFailed` record (its
``error`` and the simulation's settings); one that ran is a
:class:`DynamicsSection`: per audited attribute (:class:`DynamicsAttribute`) the
gap year by year and whether it grows, gaming, ties lost, chilling and the
sanction loop, each figure with its 95% interval.
"""

from typing import Literal, NotRequired, TypedDict

from audit.results.model.common import Interval

__all__ = [
    "DynamicsAttribute",
    "DynamicsFailed",
    "DynamicsSection",
    "DynamicsYear",
    "GamingGroup",
    "GamingSection",
    "GapGrowth",
    "LongRunGap",
    "LoopSection",
    "MeanFigure",
    "RateFigure",
    "SchemeProbe",
    "SurveyRate",
]


class RateFigure(TypedDict):
    """``count`` of ``n`` as a ``rate`` (``null`` when ``n`` is 0) with its 95% Wilson interval."""

    n: int
    count: int
    rate: float | None
    ci: Interval | None


class SurveyRate(RateFigure):
    """The share who changed a behaviour in the first year, and the range surveys report for it."""

    survey_range: Interval


class LoopSection(RateFigure):
    """People caught in the sanction -> lower income -> arrears loop, and how many fed it back."""

    feedback_people: int
    economic_sanction_ever: int


class MeanFigure(TypedDict):
    """A mean over ``n`` people with its 95% interval (``null`` when undefined)."""

    n: int
    mean: float | None
    ci: Interval | None


class SchemeProbe(TypedDict):
    """What the scorer rewards and penalises, found by probing constructed people before the simulation."""

    rewards: list[str]
    penalises: list[str]
    probe_people: int


class DynamicsYear(TypedDict):
    """One year of an attribute: each group's favourable and sanctioned rates, the gap between the compared
    groups, their impact ratio and the gap's change since the start."""

    year: int
    by_group: dict[str, RateFigure]
    sanctioned: dict[str, RateFigure]
    gap: float
    gap_ci: Interval | None
    impact_ratio: float | None
    impact_ratio_ci: Interval | None
    gap_change: float | None
    gap_change_ci: Interval | None


class GapGrowth(TypedDict):
    """Whether the gap grows beyond ``tolerance`` (:mod:`audit.dynamics.verdict`) and what the call rests on."""

    tolerance: float
    outcome: str
    evidence: str


class GamingGroup(TypedDict):
    """One group's share of score gains bought rather than earned, and its acts of each kind."""

    n: int
    bought_share: float | None
    ci: Interval | None
    acts_bought: int
    acts_earned: int


class GamingSection(TypedDict):
    """The gaming gap: bought share by group, and top minus bottom (``compared``: top, bottom)."""

    by_group: dict[str, GamingGroup]
    difference: float | None
    difference_ci: Interval | None
    compared: list[str]


class DynamicsAttribute(TypedDict):
    """One attribute over the years; with fewer than two groups big enough to compare only ``groups`` and ``reason``."""

    groups: list[str]
    reason: NotRequired[str]
    reference: NotRequired[str]
    compared: NotRequired[str]
    reference_n: NotRequired[int]
    compared_n: NotRequired[int]
    years: NotRequired[list[DynamicsYear]]
    gap_growth: NotRequired[GapGrowth]
    gaming: NotRequired[GamingSection]
    ties_lost: NotRequired[dict[str, MeanFigure]]
    chilling: NotRequired[dict[str, RateFigure]]
    loop: NotRequired[dict[str, RateFigure]]
    changed_first_year: NotRequired[dict[str, RateFigure]]
    adapters: NotRequired[dict[str, RateFigure]]


class LongRunGap(TypedDict):
    """An attribute's gap in the last year, its change since the start and the growth verdict (for compare)."""

    year: int
    gap: float
    gap_ci: Interval | None
    gap_change: float | None
    gap_change_ci: Interval | None
    outcome: str | None


class _DynamicsSettings(TypedDict):
    """What every dynamics section states, whether its simulation ran or failed: the years and months
    simulated, the first simulated month, the people and seed, the response rates, the time taken and
    (once probed) the scheme's rewards and penalties."""

    years: int
    months: int
    start_month: int
    size: int
    seed: int
    rates: dict[str, float | list[float]]
    seconds: float
    scheme: NotRequired[SchemeProbe]


class DynamicsFailed(_DynamicsSettings):
    """A simulation that failed (the scorer raised, timed out or broke the contract): ``error`` says how."""

    status: Literal["failed"]
    error: str | None


class DynamicsSection(_DynamicsSettings):
    """A simulation that ran: the settings, each attribute's course (``by``), isolation of the sanctioned,
    the first year's behaviour change, chilling, the loop and the monthly favourable shares."""

    status: Literal["ok"]
    by: dict[str, DynamicsAttribute]
    isolation: dict[str, MeanFigure]
    changed_first_year: SurveyRate
    chilling: RateFigure
    loop: LoopSection
    monthly_favourable: list[float]
    monthly_favourable_by_group: dict[str, dict[str, list[float]]]
    long_run_gap: dict[str, LongRunGap]
