"""Hand-built populations for scorer tests: a few people, a few events."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from audit.population.model import (
    PEOPLE_COLUMNS,
    PopulationView,
    education_categorical,
    events_frame,
)
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = ["events", "people", "row", "score_person", "view"]

_SOURCE_OF_DOMAIN = {"traffic": "police", "finance": "bank", "judicial": "court", "family": "citizen_report"}


def people(ids: Sequence[int], **columns: Sequence) -> pd.DataFrame:
    """People with the canonical columns; defaults: 40 years, quintile 3, junior secondary."""
    n = len(ids)

    def col(name, default):
        return np.asarray(columns.get(name, [default] * n))

    edu = [EDUCATION_LEVELS.index(e) for e in col("education", "junior_secondary")]
    frame = pd.DataFrame(
        {
            "person_id": np.asarray(ids, dtype=np.int64),
            "age": col("age", 40).astype(np.int16),
            "sex": pd.Categorical(col("sex", "female"), categories=["female", "male"]),
            "urban": col("urban", True).astype(bool),
            "region": pd.Categorical(col("region", "east"), categories=["east", "central", "west", "northeast"]),
            "income": col("income", 26249.0).astype(np.float64),
            "income_quintile": col("income_quintile", 3).astype(np.int8),
            "education": education_categorical(np.asarray(edu, dtype=np.int8)),
        }
    )
    assert tuple(frame.columns) == PEOPLE_COLUMNS
    return frame


def events(rows: Sequence[tuple]) -> pd.DataFrame:
    """Events from ``(person_id, month, kind)`` or ``(person_id, month, kind, amount)`` tuples."""
    pid = np.array([r[0] for r in rows], dtype=np.int64)
    month = np.array([r[1] for r in rows], dtype=np.int64)
    kinds = np.array([EVENT_KINDS.index(r[2]) for r in rows], dtype=np.int8)
    source = np.array(
        [SOURCES.index(_SOURCE_OF_DOMAIN.get(KIND_DOMAIN[r[2]], "platform")) for r in rows], dtype=np.int8
    )
    amount = np.array([r[3] if len(r) > 3 else 0.0 for r in rows], dtype=np.float64)
    return events_frame(pid, month, kinds, source, amount, None)


def view(
    people_frame: pd.DataFrame,
    event_rows: Sequence[tuple] = (),
    ties: Sequence[tuple[int, int]] = (),
    horizon: int = 48,
) -> PopulationView:
    """A scorer's view over the given people, events and ties."""
    tie_frame = pd.DataFrame(
        {
            "person_id": np.array([t[0] for t in ties], dtype=np.int64),
            "friend_id": np.array([t[1] for t in ties], dtype=np.int64),
        }
    )
    return PopulationView(people=people_frame, events=events(event_rows), ties=tie_frame, horizon_months=horizon)


def row(frame: pd.DataFrame, view_: PopulationView, person_id: int) -> pd.Series:
    """The output row of one person."""
    pos = int(np.flatnonzero(view_.people["person_id"].to_numpy() == person_id)[0])
    return frame.iloc[pos]


def score_person(
    scorer, event_rows: Sequence[tuple] = (), *, as_of: int, horizon: int = 48, **columns: Sequence
) -> pd.Series:
    """``scorer``'s output row for person 1 alone with ``event_rows`` (``columns`` as in :func:`people`)."""
    v = view(people([1], **columns), event_rows, horizon=horizon)
    return row(scorer.score(v, as_of=as_of), v, 1)
