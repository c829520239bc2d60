"""``compare.json``: scorer variants audited on the same people, with paired differences (``scs-audit compare``).

Produced by :func:`audit.report.compare.compare_document`; read by the comparison
report (:mod:`audit.report.compare_report`) and the terminal view
(:mod:`audit.cli.compare_view`). ``audits`` holds each variant's results.json
sections (:class:`~audit.results.model.ScorerEntry` without its declarations).
When the joint outcomes are incomplete (a variant failed) ``paired`` says why and
the variants carry no ``measures``, the pairs and ``best`` are empty.
"""

from typing import Any, Literal, NotRequired, TypedDict

from audit.results.model.common import Interval, JSONScalar
from audit.results.model.dynamics import LongRunGap
from audit.results.model.run import PopulationInfo, RunOptions

__all__ = [
    "BestVariant",
    "CompareDocument",
    "CompareGrid",
    "MeasureRecord",
    "MeasureSpec",
    "PairRecord",
    "PairedStatus",
    "VariantMeasure",
    "VariantRecord",
]


class MeasureSpec(TypedDict):
    """One measure the comparison reports (:class:`audit.report.compare.Measure`)."""

    key: str
    title: str
    better: Literal["higher", "lower"]
    fairness: bool
    percent: bool


class VariantMeasure(TypedDict):
    """A variant's value of one measure and its 95% bootstrap interval."""

    value: float | None
    ci: Interval | None


class VariantRecord(TypedDict):
    """One variant: its declarations and status, and its measures when the paired comparison ran."""

    label: str
    name: NotRequired[str]
    version: NotRequired[str]
    params: NotRequired[dict[str, JSONScalar]]
    status: NotRequired[Literal["ok", "failed"]]
    error: NotRequired[str]
    measures: NotRequired[dict[str, VariantMeasure]]


class MeasureRecord(TypedDict):
    """A pair's values of one measure, the paired difference ``b - a`` with its interval, and the verdict."""

    a: float | None
    b: float | None
    difference: float | None
    difference_ci: Interval | None
    winner: str | None
    verdict: str


class PairRecord(TypedDict):
    """Two variants (``a`` the earlier, the reference when first) and each measure's paired record."""

    a: str
    b: str
    measures: dict[str, MeasureRecord]


class BestVariant(TypedDict):
    """The variant with the best value of a measure, and whether every paired interval separates it (``clear``)."""

    label: str
    value: float
    clear: bool


class CompareGrid(TypedDict):
    """A parameter swept over values (``--grid key=v1,v2``)."""

    key: str
    values: list[Any]


class PairedStatus(TypedDict):
    """Whether the joint outcomes were collected (``people``, ``joint_outcomes``) or why not (``reason``)."""

    available: bool
    reason: NotRequired[str]
    people: NotRequired[int]
    joint_outcomes: NotRequired[int]


class CompareDocument(TypedDict):
    """``compare.json``: the run, the measures, the variants, their paired differences and a summary in words."""

    schema_version: int
    kind: str
    private: Literal[True]
    package_version: str
    created: str
    population: PopulationInfo
    options: RunOptions
    reference: str
    grid: CompareGrid | None
    bootstrap_replicates: int
    interval_method: str
    measures: list[MeasureSpec]
    variants: list[VariantRecord]
    pairs: list[PairRecord]
    best: dict[str, BestVariant]
    summary: list[str]
    audits: dict[str, dict[str, Any]]
    paired: PairedStatus
    long_run_gap: NotRequired[dict[str, dict[str, LongRunGap]]]
    """Variant label -> attribute -> its long-run gap (``--dynamics``)."""
