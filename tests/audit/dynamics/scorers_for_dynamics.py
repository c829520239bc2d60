"""Small scorers for the dynamics tests: fast, readable, and one that breaks the contract as ties change."""

from __future__ import annotations

import os
from types import MappingProxyType

import numpy as np
import pandas as pd

from audit.vocab import kind_code
from scorers.protocol import ScorerTags

_BAD = [kind_code(k) for k in ("traffic_violation", "loan_arrears", "critical_post", "video_games")]
_GOOD = [kind_code(k) for k in ("volunteering", "charity_donation")]


class Tally:
    """Score = 10 - (bad events) + (good events), all months up to ``as_of``; A above 10, B at 8-10, C below 8.

    C carries a loan ban (finance). Reads only each person's own events, so it is chunk-invariant.
    """

    name = "tally"
    version = "1"
    tiers = ("A", "B", "C")
    favourable_tiers = frozenset({"A", "B"})
    sanctions = MappingProxyType({"loans": "finance"})
    tags = ScorerTags()

    def score(self, view, *, as_of):
        people = view.people
        ev = view.events
        ev = ev[ev["month"].to_numpy() <= as_of]
        rows = pd.Index(people["person_id"].to_numpy()).get_indexer(ev["person_id"].to_numpy())
        codes = ev["kind"].cat.codes.to_numpy()[rows >= 0]  # events of people not scored (friends) are ignored
        rows = rows[rows >= 0]
        n = len(people)
        bad = np.bincount(rows[np.isin(codes, _BAD)], minlength=n)
        good = np.bincount(rows[np.isin(codes, _GOOD)], minlength=n)
        score = 10.0 - bad + good
        tier = np.where(score > 10, "A", np.where(score >= 8, "B", "C"))
        return pd.DataFrame({"score": score, "tier": pd.Categorical(tier, categories=list(self.tiers)), "loans": tier == "C"})


class DropsRowsAsTiesChange(Tally):
    """Returns one row fewer once the ties of a population it has seen before change (a contract breach)."""

    name = "drops_rows"

    def __init__(self) -> None:
        self.first_ties: dict[int, int] = {}

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        seen = self.first_ties.setdefault(len(view.people), len(view.ties))
        return frame.iloc[:-1] if len(view.ties) != seen else frame


class ExitsLater(Tally):
    """Ends its process (``os._exit``) once asked to score ``after`` or later: past the probe, inside the simulation."""

    name = "exits_later"

    def __init__(self, after: int) -> None:
        self.after = after

    def score(self, view, *, as_of):
        if as_of >= self.after:
            os._exit(3)
        return super().score(view, as_of=as_of)
