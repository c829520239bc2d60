"""What the disparity audit compares: attribute views of the cell layout, the four-fifths threshold, the verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.population.groups import UNKNOWN, CellLayout

__all__ = ["FOUR_FIFTHS", "INTERSECTION", "MEDIAN_NOTE", "AttributeView", "attribute_views", "verdict"]

#: EEOC Uniform Guidelines, 29 CFR 1607.4(D).
FOUR_FIFTHS = 0.8

#: Key of the income x education intersection in the section.
INTERSECTION = "income_quintile×education"

MEDIAN_NOTE = (
    "scoring rate (NYC LL144) = share of people scoring strictly above the median score of the whole "
    "population; people whose score equals the median are not above it (scoring_rate_ties_above counts them "
    "as above); medians and scoring rates are exact on the unrounded scores and unchanged when every score is "
    "multiplied by a positive constant (rank_error_bound > 0 only when a very large population of distinct "
    "scores had to be pooled)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeView:
    """One audited attribute (or intersection) as groups of cells."""

    key: str
    """Key of the attribute's entry in the section."""
    keep: tuple[str, ...]
    """Layout attributes the groups are made of."""
    labels: tuple[tuple[Any, ...], ...]
    """Label tuple of each group, in the C order of :meth:`CellLayout.marginal`."""
    known: tuple[bool, ...]
    """False for groups with an ``unknown`` component."""

    def display(self, label: tuple[Any, ...]) -> Any:
        """The group's label in JSON: the value itself, or a list for an intersection."""
        return label[0] if len(label) == 1 else list(label)


def attribute_views(layout: CellLayout) -> list[AttributeView]:
    """Income quintile, education and their intersection (when audited), each extra attribute, then other intersections."""
    names = layout.names
    keeps: list[tuple[str, tuple[str, ...]]] = [(n, (n,)) for n in ("income_quintile", "education") if n in names]
    if len(keeps) == 2:
        keeps.append((INTERSECTION, ("income_quintile", "education")))
    keeps += [(name, (name,)) for name in names if name not in ("income_quintile", "education")]
    crossed = [tuple(n for n in names if n in c) for c in layout.intersections]  # in layout order: labels follow it
    keeps += [("×".join(keep), keep) for keep in dict.fromkeys(crossed)]
    views = []
    for key, keep in keeps:
        labels = tuple(layout.groups(keep))
        views.append(AttributeView(key=key, keep=keep, labels=labels, known=tuple(UNKNOWN not in lab for lab in labels)))
    return views


def verdict(ratio: float | None, interval: list[float] | None, *, excluded: bool = False, enough: bool = True) -> str:
    """Four-fifths verdict from an impact ratio and its interval.

    "violation" when the interval lies wholly under 0.8, "no violation" when
    it lies wholly at or above, "inconclusive" (not enough evidence) when it
    straddles 0.8, the ratio is undefined or ``enough`` is false (a group of
    fewer than ``MIN_OBSERVATIONS`` people, a reference group with fewer than
    ``MIN_REFERENCE_EVENTS`` favourable outcomes). Without an interval
    (bootstrap off) the point estimate decides.
    """
    if excluded:
        return "excluded"
    if ratio is None or not enough:
        return "inconclusive"
    if interval is None:
        return "violation" if ratio < FOUR_FIFTHS else "no violation"
    lo, hi = interval
    if hi < FOUR_FIFTHS:
        return "violation"
    if lo >= FOUR_FIFTHS:
        return "no violation"
    return "inconclusive"
