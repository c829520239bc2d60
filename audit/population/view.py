"""What a scorer sees of a population: people, recorded events and ties, without ground truth.

Its own module so the scorer contract (:mod:`scorers.protocol`) can name it
without loading the synthetic generator and its compiled kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["PopulationView"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PopulationView:
    """What a scorer sees: people, recorded events and ties, without ground truth."""

    people: pd.DataFrame
    """One row per person: ``person_id, age, sex, urban, region, income, income_quintile, education``."""
    events: pd.DataFrame
    """One row per recorded event: ``person_id, month, kind, domain, source, amount``."""
    ties: pd.DataFrame
    """Directed friendships: ``person_id`` names ``friend_id`` as a friend."""
    horizon_months: int
    """Months covered by the event log (months ``0 .. horizon_months - 1``)."""
