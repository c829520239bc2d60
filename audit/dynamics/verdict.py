"""Does the gap grow? A three-outcome verdict on the change of the favourable-rate gap.

The gap of an attribute is the favourable rate of its best-off group minus
that of its worst-off group, both chosen at the start (the static audit) and
followed over the years. The verdict reads the change since the start and
its 95% interval (:func:`audit.dynamics.intervals.change_interval`):

- violated: the interval lies above ``tolerance`` (the gap grew by more);
- holds: the interval lies at or below ``tolerance``;
- not enough evidence otherwise, or when either group has fewer than
  :data:`~audit.evidence.MIN_OBSERVATIONS` people. It never passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from audit.evidence import HOLDS, MIN_OBSERVATIONS, NOT_ENOUGH, VIOLATED, Evidence

__all__ = ["DEFAULT_TOLERANCE", "gap_growth"]

#: Growth of the gap (in share of people) tolerated before it counts as growing: one percentage point
#: (assumption: below the four-fifths rule's resolution for the favourable rates of the reference schemes).
DEFAULT_TOLERANCE = 0.01


def gap_growth(attribute_section: Mapping[str, Any], *, year: int, tolerance: float = DEFAULT_TOLERANCE) -> Evidence:
    """The verdict for one attribute's section (``dynamics.by.<attribute>``) at ``year``."""
    years = attribute_section.get("years") or []
    row = next((y for y in years if isinstance(y, Mapping) and y.get("year") == year), None)
    if row is None:
        return Evidence(outcome=NOT_ENOUGH, observed=0, what="simulated years", needed=year,
                        remedy=f"--dynamics --years {year}")
    n = min(int(attribute_section.get("reference_n") or 0), int(attribute_section.get("compared_n") or 0))
    ci = row.get("gap_change_ci")
    if n < MIN_OBSERVATIONS or not (isinstance(ci, (list, tuple)) and len(ci) == 2 and all(map(math.isfinite, ci))):
        return Evidence(outcome=NOT_ENOUGH, observed=n, what="people in the smaller compared group",
                        needed=MIN_OBSERVATIONS, remedy="--size with more people")
    lo, hi = float(ci[0]), float(ci[1])
    if lo > tolerance:
        return Evidence(outcome=VIOLATED, observed=n, what="people in the smaller compared group")
    if hi <= tolerance:
        return Evidence(outcome=HOLDS, observed=n, what="people in the smaller compared group")
    # the interval straddles the tolerance: a narrower interval decides it (width scales as 1/sqrt(n))
    width = hi - lo
    margin = abs(float(row.get("gap_change", 0.0)) - tolerance)
    needed = int(math.ceil(n * (width / (2 * margin)) ** 2)) if margin > 0 else None
    return Evidence(outcome=NOT_ENOUGH, observed=n, what="people in the smaller compared group", needed=needed,
                    remedy="--size with more people")
