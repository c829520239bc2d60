"""Hand-built populations and small scorers with known answers, for the replay audits' tests."""

from __future__ import annotations

import abc
import dataclasses
import json
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from audit.aggregate import merge_all
from audit.engine.contract import AuditContext, AuditOptions, process_chunk
from audit.population.groups import layout_for
from audit.population.model import Population, education_categorical, empty_ties, events_frame
from audit.population.spec import load_spec
from audit.vocab import EVENT_KINDS, SOURCES, kind_code
from scorers._kernels import person_rows, visible_events
from scorers.protocol import ScorerTags


def people(n: int, *, education=None, quintile=None, income=None, age=40) -> pd.DataFrame:
    """``n`` people with ids 0..n-1; education codes and quintiles cycle unless given."""
    ids = np.arange(n, dtype=np.int64)
    edu = np.asarray(education if education is not None else ids % 4, dtype=np.int8)
    q = np.asarray(quintile if quintile is not None else ids % 5 + 1, dtype=np.int8)
    inc = np.asarray(income if income is not None else 12_000.0 * q, dtype=np.float64)
    return pd.DataFrame(
        {
            "person_id": ids,
            "age": np.full(n, age, dtype=np.int16),
            "sex": pd.Categorical.from_codes(ids % 2, categories=["female", "male"]),
            "urban": ids % 3 == 0,
            "region": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=["east", "central", "west", "northeast"]),
            "income": inc,
            "income_quintile": q,
            "education": education_categorical(edu),
            "reliability": np.full(n, 0.8),
        }
    )


def events(rows: list[tuple[int, int, str]] | list[tuple[int, int, str, bool]]) -> pd.DataFrame:
    """Events from ``(person_id, month, kind[, genuine])`` tuples."""
    pid = np.array([r[0] for r in rows], dtype=np.int64)
    month = np.array([r[1] for r in rows], dtype=np.int64)
    kind = np.array([kind_code(r[2]) for r in rows], dtype=np.int8)
    genuine = np.array([r[3] if len(r) > 3 else True for r in rows], dtype=bool)
    source = np.full(len(rows), SOURCES.index("court"), dtype=np.int8)
    order = np.lexsort((kind, month, pid))
    return events_frame(pid[order], month[order], kind[order], source[order], np.zeros(len(rows)), genuine[order])


def population(ppl: pd.DataFrame, evs: pd.DataFrame, *, horizon: int = 24, ties: pd.DataFrame | None = None,
               spec=None, synthetic: bool = True) -> Population:
    return Population(
        people=ppl, events=evs, ties=empty_ties() if ties is None else ties, horizon_months=horizon,
        synthetic=synthetic, spec=spec or load_spec("tiny"), seed=0,
    )


def split(pop: Population, at: int) -> list[Population]:
    """Two chunks: people with id < ``at`` and the rest (ties must not cross)."""
    out = []
    for keep in (lambda ids: ids < at, lambda ids: ids >= at):
        p = pop.people[keep(pop.people["person_id"].to_numpy())].reset_index(drop=True)
        e = pop.events[keep(pop.events["person_id"].to_numpy())].reset_index(drop=True)
        t = pop.ties[keep(pop.ties["person_id"].to_numpy())].reset_index(drop=True)
        out.append(dataclasses.replace(pop, people=p, events=e, ties=t))
    return out


def audit(pop: Population | list[Population], scorer, audit_obj, **options: Any) -> dict[str, Any]:
    """Collect ``audit_obj`` over the chunk(s), merge, finalize: the audit's results.json section."""
    chunks = pop if isinstance(pop, list) else [pop]
    size = sum(len(c) for c in chunks)
    opts = AuditOptions(**{"replay_sample": size, "population_size": size, "bootstrap": 50, **options})
    layout = layout_for(opts.by)
    merged = None
    for c in chunks:
        out = process_chunk(c, [("s", scorer)], [audit_obj], layout, opts)
        assert not out.errors, out.errors
        merged = merge_all(merged, out.aggregates["s"][audit_obj.name])
    ctx = AuditContext(
        scorer=scorer, label="s", layout=layout, options=opts, synthetic=chunks[0].synthetic, size=size,
        horizon_months=chunks[0].horizon_months, spec=chunks[0].spec,
    )
    return json.loads(json.dumps(audit_obj.finalize(merged, ctx)))


class HandScorer(abc.ABC):
    """Minimal protocol scorer; subclasses implement ``_score(view, as_of) -> (score, tier, sanctions)``."""

    name = "test"
    version = "1"
    description = "a test scorer"
    tiers: tuple[str, ...] = ("ok", "listed")
    favourable_tiers = frozenset({"ok"})
    sanctions: MappingProxyType = MappingProxyType({"rail": "travel"})
    tags = ScorerTags()

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)

    def with_params(self, **kw: Any):
        return type(self)(**{**self.params, **kw})

    def score(self, view, *, as_of: int) -> pd.DataFrame:
        score, tier, sanctions = self._score(view, as_of)
        data = {
            "score": np.asarray(score, dtype=float),
            "tier": pd.Categorical.from_codes(np.asarray(tier, dtype=np.int64), categories=list(self.tiers)),
        }
        data.update({s: np.asarray(v, dtype=bool) for s, v in sanctions.items()})
        return pd.DataFrame(data, index=view.people.index)

    @abc.abstractmethod
    def _score(self, view, as_of):
        """``(score, tier codes, {sanction: mask})`` per row of ``view.people``."""


def count_kind(view, as_of: int, kind: str, *, since: int | None = None) -> np.ndarray:
    """Per person: events of ``kind`` with ``since <= month <= as_of``."""
    ev = visible_events(view, as_of, since=since)
    sel = ev.codes == EVENT_KINDS.index(kind)
    return np.bincount(ev.rows[sel], minlength=len(view.people))[: len(view.people)]


class PermanentList(HandScorer):
    """Listed (rail ban) for ever after any court judgment default."""

    name = "permanent"

    def _score(self, view, as_of):
        listed = count_kind(view, as_of, "court_judgment_default") > 0
        return -listed.astype(float), listed.astype(np.int64), {"rail": listed}


class ExpiringList(HandScorer):
    """Listed for ``months`` months (default 24) after each court judgment default."""

    name = "expiring"

    def _score(self, view, as_of):
        months = self.params.get("months", 24)
        listed = count_kind(view, as_of, "court_judgment_default", since=as_of - months + 1) > 0
        return -listed.astype(float), listed.astype(np.int64), {"rail": listed}


class RememberingList(ExpiringList):
    """An expiring list that secretly remembers every default it has ever seen, by person id."""

    name = "remembering"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.memory: dict[int, int] = {}

    def _score(self, view, as_of):
        score, tier, sanctions = super()._score(view, as_of)
        ev = visible_events(view, as_of)
        ids = view.people["person_id"].to_numpy()
        for r, code, m in zip(ev.rows, ev.codes, ev.month):
            if code == EVENT_KINDS.index("court_judgment_default"):
                self.memory[int(ids[r])] = max(self.memory.get(int(ids[r]), -1), int(m))
        seen = np.array([as_of - self.memory.get(int(i), -10**6) < self.params.get("months", 24) for i in ids])
        listed = tier.astype(bool) | seen
        return -listed.astype(float), listed.astype(np.int64), {"rail": listed}


class RedeemableList(HandScorer):
    """Listed after a default until 16 hours of volunteering are recorded after the last default."""

    name = "redeemable"

    def _score(self, view, as_of):
        ev = visible_events(view, as_of)
        n = len(view.people)
        d = ev.codes == EVENT_KINDS.index("court_judgment_default")
        last = np.full(n, -1)
        np.maximum.at(last, ev.rows[d], ev.month[d])
        v = (ev.codes == EVENT_KINDS.index("volunteering")) & (ev.month > last[ev.rows])
        hours = np.bincount(ev.rows[v], weights=ev.amount[v], minlength=n)[:n]
        listed = (last >= 0) & (hours < 16)
        return -listed.astype(float), listed.astype(np.int64), {"rail": listed}


class FriendsList(HandScorer):
    """Reads ties: own defaults cost 10 points, each friend with a default 1; a friend's default bans loans."""

    name = "friends"
    tiers = ("ok", "suspect")
    sanctions = MappingProxyType({"loans": "finance"})
    tags = ScorerTags(uses_ties=True)

    def _score(self, view, as_of):
        own = count_kind(view, as_of, "court_judgment_default")
        rows = person_rows(view, view.ties["person_id"].to_numpy())
        frows = person_rows(view, view.ties["friend_id"].to_numpy())
        ok = (rows >= 0) & (frows >= 0)
        bad_friend = (own[frows[ok]] > 0).astype(float)
        friends_bad = np.bincount(rows[ok], weights=bad_friend, minlength=len(view.people))[: len(view.people)]
        score = -10.0 * own - friends_bad
        return score, (score < 0).astype(np.int64), {"loans": friends_bad > 0}
