"""What the conformance checks of :mod:`scorers.checks` share: fresh copies, scoring, comparison, overturn replay.

:func:`overturn_sample` and :func:`replay_overturns` are the one
implementation of the overturn property (removing an event equals never
having had it), replayed by :func:`scorers.checks.check_removing_event_equals_never_having_it`
and meant for the overturn assertion of the audit too.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.population.model import Population, PopulationView
from scorers.adapter import normalize_reasons
from scorers.protocol import Scorer, validate_score_frame

__all__ = ["OverturnReplay", "overturn_sample", "replay_overturns"]

_ID_OFFSETS = itertools.count(1)
_SCORE_TOLERANCE = 1e-9




def _as_ofs(pop: Population) -> tuple[int, int]:
    """A month in the middle of the log and its last month."""
    last = max(pop.horizon_months - 1, 0)
    return last // 2, last


def _rng(name: str) -> np.random.Generator:
    """A generator seeded by the check's name: every run draws the same shuffles."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def _with_fresh_ids(pop: Population) -> Population:
    """The same population under person ids no earlier call has used.

    A scorer that remembers people between calls (a cache keyed by person id)
    then meets strangers, so what it remembers cannot mask a difference.
    """
    offset = np.int64(10**12 + next(_ID_OFFSETS) * 10**8)
    people = pop.people.copy()
    people["person_id"] = people["person_id"].to_numpy() + offset
    events = pop.events.copy()
    events["person_id"] = events["person_id"].to_numpy() + offset
    ties = pop.ties.copy()
    ties["person_id"] = ties["person_id"].to_numpy() + offset
    ties["friend_id"] = ties["friend_id"].to_numpy() + offset
    return Population(
        people=people, events=events, ties=ties, horizon_months=pop.horizon_months, synthetic=pop.synthetic
    )


def _view(people: pd.DataFrame, events: pd.DataFrame, ties: pd.DataFrame, pop: Population) -> PopulationView:
    """A scorer's view over copies of the given frames (ground truth dropped)."""
    return Population(
        people=people.copy(),
        events=events.copy(),
        ties=ties.copy(),
        horizon_months=pop.horizon_months,
        synthetic=pop.synthetic,
    ).view()


def _score(scorer: Scorer, view: PopulationView, as_of: int, what: str) -> pd.DataFrame:
    """Score and validate; a contract error becomes an assertion naming ``what``."""
    frame = scorer.score(view, as_of=as_of)
    try:
        out = validate_score_frame(scorer, frame, view)
    except ValueError as exc:
        raise AssertionError(f"{what}: {exc}") from None
    if "reasons" in out.columns:  # any sequence of strings is accepted: compared and checked as tuples
        out["reasons"] = normalize_reasons(out["reasons"].to_numpy())
    out.index = pd.Index(view.people["person_id"].to_numpy(), name="person_id")
    return out


def _assert_same(expected: pd.DataFrame, got: pd.DataFrame, what: str) -> None:
    """Per-person equality of two validated frames indexed by person id.

    ``got`` may cover a subset of ``expected``'s people.
    """
    missing = got.index.difference(expected.index)
    assert missing.empty, f"{what}: {len(missing)} people in one result are absent from the other"
    exp = expected.loc[got.index]
    problems = []
    s_e, s_g = exp["score"].to_numpy(), got["score"].to_numpy()
    bad = ~np.isclose(s_e, s_g, rtol=_SCORE_TOLERANCE, atol=_SCORE_TOLERANCE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        problems.append(
            f"score differs for {int(bad.sum())} people (person_id {got.index[i]}: {s_e[i]!r} vs {s_g[i]!r})"
        )
    t_e, t_g = exp["tier"].astype(object).to_numpy(), got["tier"].astype(object).to_numpy()
    bad = t_e != t_g
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        problems.append(
            f"tier differs for {int(bad.sum())} people (person_id {got.index[i]}: {t_e[i]!r} vs {t_g[i]!r})"
        )
    for col in exp.columns:
        if col in ("score", "tier"):
            continue
        a, b = exp[col].to_numpy(), got[col].to_numpy()
        bad = np.fromiter((x != y for x, y in zip(a, b)), dtype=bool, count=len(a)) if col == "reasons" else a != b
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(
                f"{col} differs for {int(bad.sum())} people (person_id {got.index[i]}: {a[i]!r} vs {b[i]!r})"
            )
    assert not problems, f"{what}: " + "; ".join(problems)


def _frames_digest(*frames: pd.DataFrame) -> list[Any]:
    out = []
    for f in frames:
        out.append(
            (
                tuple(map(str, f.columns)),
                tuple(map(str, f.dtypes)),
                pd.util.hash_pandas_object(f, index=True).to_numpy().tobytes() if len(f.columns) else b"",
                len(f),
            )
        )
    return out


def _visible_positions(events: pd.DataFrame, as_of: int) -> np.ndarray:
    return np.flatnonzero(events["month"].to_numpy() <= as_of)



def overturn_sample(events: pd.DataFrame, *, as_of: int, rng: np.random.Generator, max_people: int) -> np.ndarray:
    """Positions in ``events`` of one event visible at ``as_of`` per person, for at most ``max_people`` people, sorted.

    Which event of a person and which people are drawn from ``rng``; an empty
    array when no event is visible.
    """
    pos = _visible_positions(events, as_of)
    if pos.size == 0:
        return pos
    shuffled = rng.permutation(pos)
    _, first = np.unique(events["person_id"].to_numpy()[shuffled], return_index=True)
    chosen = shuffled[first]
    if chosen.size > max_people:
        chosen = rng.choice(chosen, size=max_people, replace=False)
    return np.sort(chosen)


@dataclass(frozen=True, slots=True, kw_only=True)
class OverturnReplay:
    """The two scorings an overturn must make equal (:func:`replay_overturns`)."""

    chosen: np.ndarray
    """Positions in the log of the overturned events."""
    never: pd.DataFrame
    """Scores of the log that never held them."""
    after: pd.DataFrame
    """Scores of the full log with them removed, after the full log was scored."""


def replay_overturns(
    score: Callable[[pd.DataFrame, str], pd.DataFrame], events: pd.DataFrame, chosen: np.ndarray
) -> OverturnReplay:
    """Score the log never holding ``events[chosen]``, then the full log, then the full log with them removed.

    ``score(events, what)`` scores one log (``what`` names it for messages);
    it is called in that order, so a scorer that remembers the full log
    shows it in :attr:`OverturnReplay.after`. The one implementation of the
    overturn property: the conformance check and the overturn assertion both
    replay it.
    """
    keep = np.ones(len(events), dtype=bool)
    keep[chosen] = False
    never = score(events.iloc[np.flatnonzero(keep)].reset_index(drop=True), "log never holding the events")
    score(events, "full log")
    after = score(events.drop(index=events.index[chosen]), "log with the events removed")
    return OverturnReplay(chosen=chosen, never=never, after=after)
