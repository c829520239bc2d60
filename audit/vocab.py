"""The shared vocabulary: domains of life, event kinds, sources, education levels.

Conduct (event) domains and sanction domains are one vocabulary, so that the
spill-over audit can ask whether a sanction restricts the same part of life as
the conduct that caused it (EU AI Act Art. 5(1)(c) bans detriment "in social
contexts that are unrelated to the contexts in which the data was originally
generated").
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Final, Literal

__all__ = [
    "DOMAINS",
    "CONDUCT_DOMAINS",
    "SANCTION_DOMAINS",
    "EVENT_KINDS",
    "KIND_DOMAIN",
    "SOURCES",
    "EDUCATION_LEVELS",
    "INCOME_QUINTILES",
    "GRAVITY_CLASSES",
    "Gravity",
    "kind_code",
    "domain_code",
    "source_code",
    "group_label",
]

#: Domains where conduct is recorded.
CONDUCT_DOMAINS: Final = ("traffic", "finance", "judicial", "family", "civic", "commerce", "online")
#: Domains that only sanctions restrict (services and life chances).
SANCTION_DOMAINS: Final = ("travel", "housing", "jobs", "welfare", "education", "public_post")
#: One vocabulary for both: a rail ban declares ``travel``, a loan ban ``finance``.
DOMAINS: Final = CONDUCT_DOMAINS + SANCTION_DOMAINS

#: Sources that record events about people.
SOURCES: Final = ("court", "police", "bank", "platform", "citizen_report")

#: Event kind -> conduct domain. Order fixes the integer codes used in columns.
KIND_DOMAIN: Final[dict[str, str]] = {
    "drunk_driving": "traffic",
    "traffic_violation": "traffic",
    "loan_arrears": "finance",
    "utility_arrears": "finance",
    "contract_breach": "judicial",
    "court_judgment_default": "judicial",
    "judgment_performed": "judicial",
    "unauthorized_birth": "family",
    "volunteering": "civic",
    "blood_donation": "civic",
    "charity_donation": "civic",
    "diapers_purchase": "commerce",
    "video_games": "commerce",
    "loud_music_on_train": "civic",
    "critical_post": "online",
    "on_time_repayment": "finance",
}
EVENT_KINDS: Final = tuple(KIND_DOMAIN)

#: Ordered education levels, lowest first (Seventh National Census, 2020, categories).
EDUCATION_LEVELS: Final = ("primary_or_less", "junior_secondary", "senior_secondary", "tertiary")
#: Income quintiles, 1 = poorest fifth ... 5 = richest fifth.
INCOME_QUINTILES: Final = (1, 2, 3, 4, 5)

Gravity = Literal["minor", "general", "serious"]
#: Gravity classes of conduct, lightest first (NDRC credit-repair measures:
#: minor records normally unpublished, general 3 months to 1 year, serious 1-3 years).
GRAVITY_CLASSES: Final = ("minor", "general", "serious")

_KIND_CODES = {k: i for i, k in enumerate(EVENT_KINDS)}
_DOMAIN_CODES = {d: i for i, d in enumerate(DOMAINS)}
_SOURCE_CODES = {s: i for i, s in enumerate(SOURCES)}


def kind_code(kind: str) -> int:
    """Integer code of an event kind (its position in :data:`EVENT_KINDS`)."""
    return _KIND_CODES[kind]


def domain_code(domain: str) -> int:
    """Integer code of a domain (its position in :data:`DOMAINS`)."""
    return _DOMAIN_CODES[domain]


def source_code(source: str) -> int:
    """Integer code of a source (its position in :data:`SOURCES`)."""
    return _SOURCE_CODES[source]


#: How every report, table, figure and terminal line names an income quintile.
QUINTILE_LABELS: Final[dict[int, str]] = {1: "Q1 (poorest fifth)", 2: "Q2", 3: "Q3", 4: "Q4", 5: "Q5 (richest fifth)"}


def group_label(attribute: str, group: Any) -> str:
    """The one label of a group of ``attribute``, used everywhere a group is named.

    ``("income_quintile", 1)`` -> ``"Q1 (poorest fifth)"``; ``("education", "primary_or_less")`` ->
    ``"primary or less"``; an intersection ``("income_quintile×education", [1, "tertiary"])`` ->
    ``"Q1 (poorest fifth) × tertiary"``; any other code has its underscores turned into spaces.
    """
    if isinstance(group, (list, tuple)):
        parts = attribute.split("×") if "×" in attribute else [attribute] * len(group)
        if len(parts) != len(group):
            parts = [attribute] * len(group)
        return " × ".join(group_label(a, g) for a, g in zip(parts, group))
    if attribute == "income_quintile" and isinstance(group, Integral) and not isinstance(group, bool):
        return QUINTILE_LABELS.get(int(group), f"Q{int(group)}")
    if isinstance(group, str):
        return group.replace("_", " ")
    return str(group)
