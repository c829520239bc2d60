"""A deployed system's own scores or decisions, audited as a scorer.

Most audits in practice are of a system's outputs, not of its rules: a vendor
hands over people, the scores or decisions it gave them and the protected
attributes. :class:`PrecomputedScorer` reads the score from a column of the
people table (``--score-column``, or a scores table merged in by
``--scores``) and turns it into tiers the audits understand:

- ``adverse_from=x``: a score at or above ``x`` is the adverse outcome (a risk
  score, where lower is better): tiers ``under x`` (favourable) and ``x or above``;
- ``favourable_column=c``: a 0/1 decision column, 1 the favourable decision:
  tiers ``favourable`` and ``unfavourable``;
- neither: one tier, ``scored``, and no favourable outcome; the disparity audit
  then reports scores (mean, median, the NYC LL144 scoring rate) and its
  four-fifths verdict is "inconclusive" (no decision was given).

A precomputed score has no rules to re-run, so the replay audits (appeal,
reversibility, spill-over, contagion) say they are not applicable
(``tags.replayable`` is False) rather than inventing figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument
from audit.population.view import PopulationView
from scorers.protocol import ScorerTags

__all__ = ["PrecomputedScorer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrecomputedScorer:
    """Scores (and optionally decisions) a supplied table already holds, as a scorer named after the column."""

    column: str
    """Column of the people table with the score."""
    lower_is_better: bool = False
    """A risk score: lower scores are the better ones (implied by ``adverse_from``)."""
    adverse_from: float | None = None
    """Scores at or above this are the adverse outcome; ``None``: no cut-off."""
    favourable_column: str | None = None
    """0/1 column of decisions, 1 the favourable one; ``None``: no decision column."""

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column.strip():
            raise InvalidArgument(f"PrecomputedScorer(column={self.column!r}): give the name of the score column")
        if self.adverse_from is not None:
            if isinstance(self.adverse_from, bool) or not isinstance(self.adverse_from, (int, float)) or not math.isfinite(self.adverse_from):
                raise InvalidArgument(f"PrecomputedScorer(adverse_from={self.adverse_from!r}): give a finite number, e.g. 5")
            if self.favourable_column is not None:
                raise InvalidArgument(
                    "PrecomputedScorer: give adverse_from= (a cut-off on the score) or favourable_column= (a decision "
                    "column), not both"
                )
        if self.favourable_column is not None and (not isinstance(self.favourable_column, str) or not self.favourable_column):
            raise InvalidArgument(f"PrecomputedScorer(favourable_column={self.favourable_column!r}): give a column name")

    @property
    def name(self) -> str:
        return self.column

    @property
    def version(self) -> str:
        return "precomputed"

    @property
    def description(self) -> str:
        rule = (
            f"a score of {self.adverse_from:g} or above is adverse" if self.adverse_from is not None
            else f"decisions from column {self.favourable_column!r} (1 = favourable)" if self.favourable_column is not None
            else "no decision given"
        )
        direction = "lower is better" if self.risk else "higher is better"
        return f"precomputed scores from column {self.column!r} ({direction}; {rule})"

    @property
    def params(self) -> Mapping[str, Any]:
        return {"column": self.column, "lower_is_better": self.risk, "adverse_from": self.adverse_from,
                "favourable_column": self.favourable_column}

    @property
    def default_params(self) -> Mapping[str, Any]:
        """The params themselves: a precomputed scorer has no variants, so its label is the column's name."""
        return self.params

    @property
    def risk(self) -> bool:
        """Lower scores are better (``lower_is_better``, or implied by ``adverse_from``)."""
        return self.lower_is_better or self.adverse_from is not None

    @property
    def predicts(self) -> Literal["adverse", "favourable"]:
        """Which outcome a positive prediction is, against an observed outcome (1 = the event predicted):
        the adverse one for a risk score, the favourable decision otherwise."""
        return "favourable" if self.favourable_column is not None and not self.lower_is_better else "adverse"

    @property
    def tiers(self) -> tuple[str, ...]:
        if self.adverse_from is not None:
            return (f"under {self.adverse_from:g}", f"{self.adverse_from:g} or above")
        if self.favourable_column is not None:
            return ("favourable", "unfavourable")
        return ("scored",)

    @property
    def favourable_tiers(self) -> frozenset[str]:
        return frozenset(self.tiers[:1]) if len(self.tiers) > 1 else frozenset()

    @property
    def sanctions(self) -> Mapping[str, str]:
        return {}

    @property
    def tags(self) -> ScorerTags:
        return ScorerTags(uses_protected_attributes=False, uses_ties=False, replayable=False)

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """The column's scores and the tier they fall in; ``as_of`` is ignored (the scores are given)."""
        people = view.people
        for col in (self.column, self.favourable_column):
            if col is not None and col not in people.columns:
                raise InvalidArgument(
                    f"the people table has no column {col!r} (columns: {', '.join(map(str, people.columns))}); "
                    "name a column of the table, or merge a scores table in with scores="
                )
        score = pd.to_numeric(people[self.column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        if self.adverse_from is not None:
            code = (score >= self.adverse_from).astype(np.int8)
        elif self.favourable_column is not None:
            decision = pd.to_numeric(people[self.favourable_column], errors="coerce").to_numpy(np.float64, na_value=np.nan)
            bad = (decision != 0) & (decision != 1)
            if bad.any():
                i = int(np.argmax(bad))
                raise InvalidArgument(
                    f"column {self.favourable_column!r}, person_id {people['person_id'].iloc[i]}: expected 0 or 1, got "
                    f"{people[self.favourable_column].iloc[i]!r}; {int(bad.sum())} of {len(bad)} rows affected"
                )
            code = (decision == 0).astype(np.int8)
        else:
            code = np.zeros(len(people), dtype=np.int8)
        tier = pd.Categorical.from_codes(code, categories=list(self.tiers))  # type: ignore[call-overload]
        return pd.DataFrame({"score": score, "tier": tier}, index=people.index)
