"""Findings of the dynamics simulation: does the favourable-rate gap between groups grow as people respond?

One finding per attribute, from the verdict :func:`audit.dynamics.verdict.gap_growth`
gives for the last simulated year (violated: the 95% interval of the gap's
change lies above the tolerance; holds: at or below it; otherwise not enough
evidence). A growing gap is a concern (``warning``), not a broken rule: no
law caps it. The verdict is re-read from the attribute's section with the
tolerance the run recorded, so its evidence carries the counts the grid and
the top findings show.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal

from audit.dynamics.verdict import DEFAULT_TOLERANCE, gap_growth
from audit.evidence import HOLDS, VIOLATED
from audit.report.model import Finding, anchor, group_label, is_number
from audit.results.model import ScorerEntry

__all__ = ["dynamics_findings"]

_ATTR_WORDS = {"income_quintile": "income quintile", "education": "education"}


def _group(attr: str, group: Any) -> str:
    """A group by its one label; the simulation keys income quintiles as strings ("1")."""
    if attr == "income_quintile" and isinstance(group, str) and group.isdigit():
        return group_label(attr, int(group))
    return group_label(attr, group)


def _pts(x: float) -> str:
    return f"{100 * x:+.1f} pts"


def dynamics_findings(scorer: ScorerEntry, i: int, label: str) -> list[Finding]:
    """One finding per attribute of scorer ``i``'s dynamics section (none when the run had no ``--dynamics``)."""
    if "dynamics" not in scorer or scorer["dynamics"]["status"] == "failed":
        return []
    dyn = scorer["dynamics"]
    year = dyn["years"]
    out: list[Finding] = []
    for attr, sec in dyn["by"].items():
        tolerance = sec["gap_growth"]["tolerance"] if "gap_growth" in sec else DEFAULT_TOLERANCE
        ev = gap_growth(sec, year=year, tolerance=tolerance)
        if ev.needed is not None and ev.observed > 0:
            # needed counts people in the smaller compared group; the population grows in proportion
            people = math.ceil(dyn["size"] * ev.needed / ev.observed)
            ev = replace(ev, remedy=f"--size {people:,}")
        row = next((y for y in sec["years"] if y["year"] == year), None) if "years" in sec else None
        change, ci = (row["gap_change"], row["gap_change_ci"]) if row is not None else (None, None)
        words = _ATTR_WORDS.get(attr, str(attr).replace("_", " "))
        text = (f"{label}: by {words}, the favourable-rate gap between "
                f"{_group(attr, sec['reference'] if 'reference' in sec else None)} and "
                f"{_group(attr, sec['compared'] if 'compared' in sec else None)} ")
        if is_number(change):
            text += f"changed by {_pts(change)} over {year} year{'s' if year != 1 else ''}"
            if isinstance(ci, list) and len(ci) == 2 and all(is_number(v) for v in ci):
                text += f" (95% CI {_pts(ci[0])} to {_pts(ci[1])})"
        else:
            text += f"could not be followed to year {year}"
        limit = f"{100 * tolerance:g} pt{'s' if tolerance != 0.01 else ''}"
        if ev.outcome == VIOLATED:
            text = text + f" — the gap grows by more than {limit} as people respond"
        elif ev.outcome == HOLDS:
            text = text + f" — the gap does not grow by more than {limit}"
        else:
            text = text + f" — not enough evidence whether the gap grows by more than {limit}"
        level: Literal["warning", "ok"] = "ok" if ev.outcome == HOLDS else "warning"  # a concern, not a broken rule
        out.append(Finding(text=text, anchor=f"{anchor(i, 'dynamics')}-{attr}", level=level, scorer=label, evidence=ev))
    return out
