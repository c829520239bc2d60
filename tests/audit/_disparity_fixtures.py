"""Small hand-built populations and scorers for the disparity tests.

The scorers here are deliberately simple so every expected number can be
worked out independently with pandas (never by calling the audit's code).
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from audit.aggregate import merge_tree
from audit.disparity.audit import DisparityAudit
from audit.engine.contract import AuditContext, AuditOptions, process_chunk
from audit.population.groups import layout_for
from audit.population.model import Population, education_categorical, events_frame
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS

TIERS = ("A", "B", "C", "D")
#: Lowest score of A, B, C; below C's bound is D.
BOUNDS = (90.0, 70.0, 50.0)


def tier_of(score: np.ndarray) -> np.ndarray:
    """Tier index per score, written out without the scorer kernel."""
    return np.select([score >= BOUNDS[0], score >= BOUNDS[1], score >= BOUNDS[2]], [0, 1, 2], default=3)


def frame_of(view, score: np.ndarray) -> pd.DataFrame:
    """The score frame of the scorers below: tier by :func:`tier_of`, ``loans`` for C and D, ``travel_ban`` for D."""
    t = tier_of(score)
    return pd.DataFrame(
        {
            "score": score,
            "tier": pd.Categorical.from_codes(t, categories=list(TIERS)),
            "loans": t >= 2,
            "travel_ban": t == 3,
        },
        index=view.people.index,
    )


class PointsScorer:
    """Base 100 points less ``points[kind]`` per recorded event; tiers A-D; favourable A, B.

    Sanctions: ``loans`` for tiers C and D, ``travel_ban`` for D only.
    """

    version = "1"
    description = "test scorer: 100 points less fixed deductions"
    tiers = TIERS
    favourable_tiers = frozenset({"A", "B"})
    sanctions = MappingProxyType({"loans": "finance", "travel_ban": "travel"})

    def __init__(self, points: dict[str, float], name: str = "points") -> None:
        self.points = dict(points)
        self.name = name
        self.params = MappingProxyType({})

    def with_params(self, **kw: Any) -> PointsScorer:
        return PointsScorer(self.points, self.name)

    def score(self, view, *, as_of: int) -> pd.DataFrame:
        ev = view.events[view.events["month"].to_numpy() <= as_of]
        w = ev["kind"].astype(str).map(self.points).fillna(0.0).to_numpy()
        lost = pd.Series(w).groupby(ev["person_id"].to_numpy()).sum()
        return frame_of(view, 100.0 - lost.reindex(view.people["person_id"].to_numpy(), fill_value=0.0).to_numpy())


class LookupScorer(PointsScorer):
    """Scores looked up by person id (for checking statistics on arbitrary scores)."""

    def __init__(self, scores: pd.Series, name: str = "lookup") -> None:
        super().__init__({}, name)
        self.scores = scores

    def score(self, view, *, as_of: int) -> pd.DataFrame:
        return frame_of(view, self.scores.reindex(view.people["person_id"].to_numpy()).to_numpy(dtype=np.float64))


def people_frame(quintile, education, *, reliability=None, urban=None) -> pd.DataFrame:
    """People with the given income quintiles and education codes (-1 = unknown education)."""
    n = len(quintile)
    edu = np.asarray(education)
    cat = education_categorical(np.where(edu < 0, 0, edu))
    cat = pd.Categorical(np.where(edu < 0, None, np.asarray(cat, dtype=object)), categories=list(EDUCATION_LEVELS), ordered=True)
    return pd.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64),
            "age": np.full(n, 40, dtype=np.int16),
            "sex": pd.Categorical(["female"] * n, categories=["female", "male"]),
            "urban": np.ones(n, dtype=bool) if urban is None else np.asarray(urban, dtype=bool),
            "region": pd.Categorical(["east"] * n, categories=["east", "central", "west", "northeast"]),
            "income": np.full(n, 20000.0),
            "income_quintile": np.asarray(quintile, dtype=np.int8),
            "education": cat,
            "reliability": np.full(n, np.nan) if reliability is None else np.asarray(reliability, dtype=np.float64),
        }
    )


def make_events(person_id, kinds, *, month=None, genuine=None) -> pd.DataFrame:
    person_id = np.asarray(person_id, dtype=np.int64)
    codes = np.array([EVENT_KINDS.index(k) for k in kinds], dtype=np.int8)
    m = np.zeros(person_id.size, dtype=np.int16) if month is None else np.asarray(month)
    g = np.ones(person_id.size, dtype=bool) if genuine is None else np.asarray(genuine, dtype=bool)
    order = np.lexsort((codes, m, person_id))
    return events_frame(person_id[order], m[order], codes[order], np.zeros(person_id.size, dtype=np.int8)[order],
                        np.zeros(person_id.size), g[order])


def population(people: pd.DataFrame, events: pd.DataFrame | None = None, *, synthetic: bool = False) -> Population:
    if events is None:
        events = make_events([], [])
    ties = pd.DataFrame({"person_id": np.zeros(0, np.int64), "friend_id": np.zeros(0, np.int64)})
    return Population(people=people, events=events, ties=ties, horizon_months=12, synthetic=synthetic)


def split(pop: Population, bounds: list[int]) -> list[Population]:
    """Cut a population into parts at person-id boundaries (events and ties follow their person)."""
    ids = pop.people["person_id"].to_numpy()
    ev_ids = pop.events["person_id"].to_numpy()
    tie_ids = pop.ties["person_id"].to_numpy()
    edges = [int(ids.min())] + list(bounds) + [int(ids.max()) + 1]
    parts = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        parts.append(
            replace(
                pop,
                people=pop.people[(ids >= lo) & (ids < hi)].reset_index(drop=True),
                events=pop.events[(ev_ids >= lo) & (ev_ids < hi)].reset_index(drop=True),
                ties=pop.ties[(tie_ids >= lo) & (tie_ids < hi)].reset_index(drop=True),
                _fingerprint=[],
            )
        )
    return parts


def audit_section(
    parts: list[Population] | Population,
    scorer: Any,
    *,
    options: AuditOptions | None = None,
    audit: DisparityAudit | None = None,
    by: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run the disparity audit over chunks exactly as the runner does; return its section."""
    parts = [parts] if isinstance(parts, Population) else list(parts)
    size = sum(len(p) for p in parts)
    options = options or AuditOptions(bootstrap=0)
    options = replace(options, population_size=size, by=by or options.by)
    audit = audit or DisparityAudit()
    layout = layout_for(options.by, spec=parts[0].spec)
    outs = [process_chunk(p, [("s", scorer)], [audit], layout, options) for p in parts]
    for o in outs:
        assert not o.errors, o.errors
    merged = merge_tree([o.aggregates["s"]["disparity"] for o in outs])
    ctx = AuditContext(scorer=scorer, label="s", layout=layout, options=options, synthetic=parts[0].synthetic,
                       size=size, horizon_months=parts[0].horizon_months, spec=parts[0].spec)
    return audit.finalize(merged, ctx)


def group(section: dict[str, Any], attribute: str, label: Any) -> dict[str, Any]:
    for g in section[attribute]["groups"]:
        if g["group"] == label:
            return g
    raise KeyError(label)
