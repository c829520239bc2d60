"""Shapes shared by every section of the result documents: intervals, group labels, summaries, samples.

The model is written as ``TypedDict`` classes because the documents are read
back from JSON (``results.json``, ``published.json``) as plain dictionaries:
a TypedDict types those dictionaries without copying them, and the JSON
Schema shipped with the package is generated from these classes
(:mod:`audit.results.schema`), so the two cannot drift apart.

Two things JSON has that a TypedDict cannot say are declared here:
:data:`EXTRA_ITEMS` (a record that also holds keys named by the data, such as
one section per audited attribute) and :data:`KEY_PATTERNS` (keys made from a
prefix and an attribute name, such as ``by_education``).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

__all__ = [
    "EXTRA_ITEMS",
    "KEY_PATTERNS",
    "GroupLabel",
    "Interval",
    "JSONScalar",
    "Length",
    "OpenInterval",
    "MetricSummary",
    "SampleSummary",
    "Stratum",
    "audited_part",
    "declare_extra_items",
    "declare_key_pattern",
]

#: A JSON scalar (a scorer's parameter value, a category).
JSONScalar = str | int | float | bool | None



@dataclass(frozen=True, slots=True)
class Length:
    """How many items a JSON array holds (``minItems`` / ``maxItems`` in the schema)."""

    min_items: int
    """Fewest items."""
    max_items: int
    """Most items."""


#: A 95% interval ``[low, high]`` (the interval itself is ``null`` where it cannot be computed).
Interval = Annotated[list[float], Length(2, 2)]
#: A 95% interval of a quantile of months ``[low, high]``: a bound is ``null`` where it falls on "never".
OpenInterval = Annotated[list[float | None], Length(2, 2)]

#: A group as it is displayed: a category or number, or for an intersection the list of its parts.
GroupLabel = str | int | float | bool | list[str | int | float | bool | None] | None

#: TypedDict -> the type of the values of the keys it does not name (keys named by the data).
EXTRA_ITEMS: dict[type, Any] = {}
#: TypedDict -> ``(regular expression, value type)`` of keys made from a prefix and an attribute name.
KEY_PATTERNS: dict[type, tuple[str, Any]] = {}


def audited_part(section: Mapping[str, Any], key: str) -> Any:
    """The part of a per-attribute ``section`` about the audited attribute ``key`` (listed in ``section["attributes"]``).

    Raises
    ------
    KeyError
        When ``key`` is not among ``section["attributes"]``, naming the attributes there are.
    """
    if key not in section["attributes"]:
        raise KeyError(f"attribute {key!r} was not audited; audited: {', '.join(section['attributes'])}")
    return section[key]


def declare_extra_items(record: type, value_type: Any) -> None:
    """Declare that ``record`` also holds keys it does not name, each with a ``value_type`` value."""
    EXTRA_ITEMS[record] = value_type


def declare_key_pattern(record: type, pattern: str, value_type: Any) -> None:
    """Declare that ``record`` holds keys matching ``pattern`` (e.g. ``^by_``), each with a ``value_type`` value."""
    KEY_PATTERNS[record] = (pattern, value_type)


class MetricSummary(TypedDict):
    """A metric over groups in fairlearn's vocabulary: ``overall``, ``group_min``, ``group_max``,
    ``difference`` (max - min) and ``ratio`` (min / max), over the groups eligible for ratios."""

    overall: float | None
    group_min: float | None
    group_max: float | None
    difference: float | None
    ratio: float | None


class Stratum(TypedDict):
    """One stratum of a replay sample: its people in the population and how many were drawn."""

    stratum: str
    population: int
    sampled: int


class SampleSummary(TypedDict):
    """The ``sample`` entry of a replay section: the size rule, people drawn per stratum, the strata."""

    rule: str
    per_stratum: int
    strata: list[Stratum]
