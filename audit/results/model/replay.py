"""The replay sections of a scorer in ``results.json``: appeal, reversibility, spill-over, contagion.

Produced by the audits of :mod:`audit.replay`. Each has a breakdown per audited
attribute under ``by_<attribute>`` (``by_income_quintile``, ``by_education``,
or a supplied data file's attributes), declared as a key pattern.
"""

from typing import Literal, NotRequired, TypedDict

from audit.results.model.common import GroupLabel, Interval, OpenInterval, SampleSummary, declare_key_pattern

__all__ = [
    "AbsorbingGroup",
    "AbsorbingSection",
    "AppealGroup",
    "AppealSection",
    "NotReplayable",
    "ReplayUnavailable",
    "ContagionGroup",
    "ContagionSection",
    "CurvePoint",
    "GroupCurve",
    "Inversion",
    "KindSanctions",
    "ProbesSection",
    "ProportionalityFlag",
    "ProportionalitySection",
    "RecourseCostGroup",
    "RecourseCostSection",
    "RecoveryGroup",
    "RecoverySection",
    "ReversibilitySection",
    "SpilloverGroup",
    "SpilloverSection",
    "Witness",
]

BY_ATTRIBUTE = "^by_"


class AppealGroup(TypedDict):
    """One group's appeals in the replay sample: counts of sampled people and weighted rates."""

    group: GroupLabel
    n: int
    n_adverse: int
    adverse_events: int
    filers: int
    filed: int
    succeeded: int
    wrong_events: int
    wrong_filed: int
    wrong_succeeded: int
    n_wronged: int
    wronged_after: int
    remedied: int
    filing_rate: float | None
    filing_rate_ci: Interval | None
    success_rate_if_wrong: float | None
    success_rate_if_wrong_ci: Interval | None
    wrongful_sanction_rate_before: float | None
    wrongful_sanction_rate_before_ci: Interval | None
    wrongful_sanction_rate_after: float | None
    wrongful_sanction_rate_after_ci: Interval | None
    remedy_rate: float | None
    remedy_rate_ci: Interval | None
    median_months_to_remedy: float | None


class NotReplayable(TypedDict):
    """A replay audit's section for a scorer with no rules to re-run (a precomputed score,
    :mod:`audit.replay.gate`): the audit is not applicable, and ``reason`` says why."""

    available: Literal[False]
    applicable: Literal[False]
    reason: str


class ReplayUnavailable(TypedDict):
    """A replay audit's section when the people table lacks a column it needs (a supplied table without
    income, say): ``reason`` names the column and why it is needed."""

    available: Literal[False]
    reason: str


class AppealSection(TypedDict):
    """Appeals of wrongful sanctions (:mod:`audit.replay.appeal`); ``available`` false, with a ``reason``,
    without ground truth."""

    available: bool
    reason: NotRequired[str]
    sample_size: NotRequired[int]
    sample: NotRequired[SampleSummary]
    max_appeals_per_person: NotRequired[int]
    decision_months: NotRequired[float | None]
    overall: NotRequired[AppealGroup]
    by_income_quintile: NotRequired[list[AppealGroup]]
    by_education: NotRequired[list[AppealGroup]]
    remedy_rate_ratio_lowest_to_highest_education: NotRequired[float | None]


class CurvePoint(TypedDict):
    """The share of people back in a favourable tier ``month`` months after their first penalty."""

    month: int
    share_recovered: float | None


class RecoveryGroup(TypedDict):
    """Months to regain the tier in one group: median and 90th percentile, and the share that never does."""

    group: GroupLabel
    n: int
    median_months: float | None
    median_months_ci: OpenInterval | None
    p90_months: float | None
    p90_months_ci: OpenInterval | None
    never_share: float | None
    never_share_ci: Interval | None


class GroupCurve(TypedDict):
    """One group's recovery curve."""

    group: GroupLabel
    curve: list[CurvePoint]


class RecoverySection(TypedDict):
    """Recovery after one penalty with feasible good behaviour (:mod:`audit.replay.recovery`)."""

    horizon_months: int
    n: int
    median_months: float | None
    median_months_ci: OpenInterval | None
    p90_months: float | None
    p90_months_ci: OpenInterval | None
    never_share: float | None
    never_share_ci: Interval | None
    curve: list[CurvePoint]
    by_income_quintile: NotRequired[list[RecoveryGroup]]
    by_education: NotRequired[list[RecoveryGroup]]
    curve_by_income_quintile: list[GroupCurve]


class AbsorbingGroup(TypedDict):
    """Sanctioned people of one group and those no feasible action lifts (precluded)."""

    group: GroupLabel
    sanctioned: int
    precluded: int
    absorbing_share: float | None
    absorbing_share_ci: Interval | None


class AbsorbingSection(TypedDict):
    """States nobody can leave: sanctioned people for whom no feasible plan reaches a favourable tier."""

    sanctioned: int
    precluded: int
    adverse: int
    precluded_share_of_adverse: float | None
    precluded_share_of_adverse_ci: Interval | None
    by_income_quintile: NotRequired[list[AbsorbingGroup]]
    by_education: NotRequired[list[AbsorbingGroup]]


class RecourseCostGroup(TypedDict):
    """What recourse costs one income quintile, in months of its income."""

    group: GroupLabel
    n: int
    precluded: int
    within_deadline: int
    median_cost: float | None
    median_months: float | None
    fastest_median_cost: float | None
    fastest_median_months: float | None


class RecourseCostSection(TypedDict):
    """The cost of recourse by income quintile (:mod:`audit.replay.recourse`)."""

    unit: str
    deadline_months: int
    plans: str
    by_income_quintile: list[RecourseCostGroup]
    ratio_poorest_to_richest: float | None
    fastest_ratio_poorest_to_richest: float | None


class ReversibilitySection(TypedDict):
    """Reversibility (:mod:`audit.replay.reversibility`): overturns restore state, recovery, absorbing states,
    recourse cost, and sanctions held past their stated duration."""

    sample_size: int
    sample: SampleSummary
    horizon_months: int
    overturn_checked: int
    overturn_violations: int
    overturn_restores_state: bool
    recovery: RecoverySection
    absorbing_share: float | None
    absorbing_share_ci: Interval | None
    absorbing: AbsorbingSection
    recourse_cost: RecourseCostSection
    recourse_cost_ratio: float | None
    duration_cap_months: int | None
    duration_checked: int
    duration_cap_violations: int
    duration_censored: int
    duration_violation_share: float | None
    duration_violation_share_ci: Interval | None
    duration_cap_violations_by_sanction: dict[str, int]
    longest_spell_months: int | None


class SpilloverGroup(TypedDict):
    """One group's sanctions and the share of them in domains unrelated to the conduct."""

    group: GroupLabel
    n: int
    sanctioned: int
    bearing_unrelated: int
    unrelated_rate: float | None
    unrelated_rate_ci: Interval | None
    sanctions: int
    unrelated_sanctions: int
    unrelated_share: float | None


class KindSanctions(TypedDict):
    """Sanctions one added event of a kind imposes, against its gravity."""

    kind: str
    domain: str
    gravity: str | None
    n: int
    sanction_weight: float | None
    sanction_weight_ci: Interval | None
    sanctioned_share: float | None
    sanctioned_share_ci: Interval | None
    tier_drop: float | None
    score_drop: float | None


class ProportionalityFlag(TypedDict):
    """A lighter kind of conduct sanctioned more heavily than a graver one."""

    kind: str
    gravity: str | None
    sanction_weight: float | None
    heavier_than: str
    heavier_than_gravity: str | None
    heavier_than_weight: float | None
    significant: bool


class ProportionalitySection(TypedDict):
    """Disproportion between the gravity of conduct and the weight of its sanctions."""

    measure: str
    by_kind: list[KindSanctions]
    flags: list[ProportionalityFlag]
    flag_count: int


class Witness(TypedDict):
    """A constructed person whose conduct of ``kind`` brings ``sanction`` (:mod:`audit.replay.probes`)."""

    kind: str
    dose: int
    profile: str
    sanction: str
    conduct_domain: str
    sanction_domain: str
    related: bool
    months_after: int


class Inversion(TypedDict):
    """A lighter kind of conduct that brings more sanctions than a graver one, for one constructed person."""

    lighter: str
    graver: str
    lighter_sanctions: int
    graver_sanctions: int
    profile: str
    basis: str


class ProbesSection(TypedDict):
    """Rule probes on constructed people; ``available`` false, with a ``reason``, when the scorer failed on them."""

    available: NotRequired[bool]
    reason: NotRequired[str]
    people: NotRequired[int]
    profiles: NotRequired[int]
    doses: NotRequired[list[int]]
    checkpoints: NotRequired[list[int]]
    conduct_matters: NotRequired[bool]
    spillover: NotRequired[list[Witness]]
    never_lifted: NotRequired[list[Witness]]
    inversions: NotRequired[list[Inversion]]


class SpilloverSection(TypedDict):
    """Spill-over (:mod:`audit.replay.spillover`): detriment in domains unrelated to the conduct (EU AI Act
    Art. 5(1)(c)), the conduct-by-sanction domain matrix, proportionality and rule probes."""

    sample_size: int
    sample: SampleSummary
    sanctions: int
    sanctioned_people: int
    unrelated_sanctions: int
    unrelated_share: float | None
    unrelated_share_ci: Interval | None
    combined: int
    without_conduct: int
    matrix: dict[str, dict[str, int]]
    related_domains: list[list[str]]
    by_income_quintile: NotRequired[list[SpilloverGroup]]
    by_education: NotRequired[list[SpilloverGroup]]
    proportionality: ProportionalitySection
    probes: ProbesSection


class ContagionGroup(TypedDict):
    """How one group's outcomes move when a friend is penalised."""

    group: GroupLabel
    n: int
    mean_score_change: float | None
    mean_score_change_ci: Interval | None
    tier_change_share: float | None
    tier_change_share_ci: Interval | None
    sanction_change_share: float | None
    sanction_change_share_ci: Interval | None


class ContagionSection(TypedDict):
    """Contagion through ties (:mod:`audit.replay.contagion`); ``applicable`` false, with a ``reason``, for a
    scorer that does not read ties."""

    applicable: bool
    reason: NotRequired[str]
    sample_size: NotRequired[int]
    sample: NotRequired[SampleSummary]
    measured: NotRequired[int]
    overall: NotRequired[ContagionGroup]
    penalty_kinds: NotRequired[dict[str, int]]
    by_income_quintile: NotRequired[list[ContagionGroup]]
    by_education: NotRequired[list[ContagionGroup]]


declare_key_pattern(AppealSection, BY_ATTRIBUTE, list[AppealGroup])
declare_key_pattern(RecoverySection, BY_ATTRIBUTE, list[RecoveryGroup])
declare_key_pattern(AbsorbingSection, BY_ATTRIBUTE, list[AbsorbingGroup])
declare_key_pattern(SpilloverSection, BY_ATTRIBUTE, list[SpilloverGroup])
declare_key_pattern(ContagionSection, BY_ATTRIBUTE, list[ContagionGroup])
