"""Overturn replay: removing a recorded event must leave a person as if it had never been recorded.

That is what an appeal promises (SPC 2017: a wrongful listing is revoked;
GDPR Art. 22(3): the right to contest). :func:`check_overturn` replays it
directly on a scorer, through the scorer contract only, on a small
population; :func:`audit.testing.assertions.assert_overturn_restores_state` calls it.
Which events are overturned and the three scorings are
:func:`scorers.checks.overturn_sample` and :func:`scorers.checks.replay_overturns`,
the one implementation the conformance suite's check uses too.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from audit.audited import MAX_LINES, indent_lines
from audit.errors import InvalidArgument
from audit.population.model import Population, PopulationView
from scorers.checks import overturn_sample, replay_overturns
from scorers.protocol import Scorer, scorer_label, validate_score_frame

__all__ = ["check_overturn"]

_ID_OFFSETS = itertools.count(1)
#: Person ids are moved above this for the overturn replay, so a scorer that
#: caches by person id meets strangers (ids of the generator stay below 2**40).
_ID_BASE = 1 << 44


def check_overturn(
    scorer: Scorer,
    *,
    population: Any = None,
    spec: str = "tiny",
    size: int = 2000,
    seed: int = 0,
    as_of: int | None = None,
    max_people: int = 500,
) -> None:
    """Replay overturns on a small population; raise :class:`AssertionError` naming every person not restored.

    For up to ``max_people`` people with an event visible at ``as_of``, one
    event each is chosen (seeded by ``seed``). The log never holding those
    events is scored first, then the full log, then the full log with the
    events removed; every person's score, tier and sanctions after the
    removal must equal the never-recorded scoring. People get fresh ids, so a
    scorer that caches by person id cannot hide a difference. The population
    is ``population`` or the synthetic ``spec`` / ``size`` / ``seed``.
    """
    __tracebackhide__ = True
    if isinstance(max_people, bool) or not isinstance(max_people, (int, np.integer)) or max_people < 1:
        raise InvalidArgument(f"max_people={max_people!r}; give a whole number >= 1")
    if population is None:
        population = _small_population(spec, size, seed)
    elif not isinstance(population, Population):
        raise InvalidArgument(f"population={type(population).__name__}; pass an audit.population.model.Population (or spec=, size=)")
    horizon = population.horizon_months
    as_of = horizon - 1 if as_of is None else as_of
    if isinstance(as_of, bool) or not isinstance(as_of, (int, np.integer)) or not 0 <= as_of < horizon:
        raise InvalidArgument(f"as_of={as_of!r}; give a month from 0 to {horizon - 1}")
    name = scorer_label(scorer)

    offset = np.int64(_ID_BASE + next(_ID_OFFSETS) * (1 << 36))
    people = population.people.drop(columns=[c for c in ("reliability",) if c in population.people.columns]).copy()
    people["person_id"] = people["person_id"].to_numpy() + offset
    events = population.events.drop(columns=[c for c in ("genuine",) if c in population.events.columns]).reset_index(drop=True)
    events["person_id"] = events["person_id"].to_numpy() + offset
    ties = population.ties.copy()
    ties["person_id"] = ties["person_id"].to_numpy() + offset
    ties["friend_id"] = ties["friend_id"].to_numpy() + offset

    chosen = overturn_sample(events, as_of=as_of, rng=np.random.default_rng(seed), max_people=int(max_people))
    if chosen.size == 0:
        raise AssertionError(f"no event is visible at month {as_of} in the population, so no overturn could be checked "
                             f"for scorer {name!r}; use a larger population")

    def score(ev: pd.DataFrame, what: str) -> pd.DataFrame:
        v = PopulationView(people=people.copy(), events=ev.copy(), ties=ties.copy(), horizon_months=horizon)
        return validate_score_frame(scorer, scorer.score(v, as_of=as_of), v)

    replay = replay_overturns(score, events, chosen)  # the one implementation, shared with check_scorer
    never, after = replay.never, replay.after

    diff = ~np.isclose(never["score"].to_numpy(), after["score"].to_numpy(), rtol=1e-9, atol=1e-9)
    diff |= never["tier"].astype(object).to_numpy() != after["tier"].astype(object).to_numpy()
    sanctions = list(scorer.sanctions)
    for s in sanctions:
        diff |= never[s].to_numpy() != after[s].to_numpy()
    if not diff.any():
        return
    ids = people["person_id"].to_numpy()
    ev_person = events["person_id"].to_numpy()[chosen]
    overturned = dict(zip(ev_person.tolist(), chosen.tolist()))
    lines = []
    for i in np.flatnonzero(diff)[:MAX_LINES]:
        pid = int(ids[i])
        what = ""
        if pid in overturned:
            e = events.iloc[overturned[pid]]
            what = f" (overturned {e['kind']} of month {int(e['month'])})"
        else:
            what = " (none of this person's events was overturned)"
        parts = [f"score {after['score'].iat[i]:g} after the overturn vs {never['score'].iat[i]:g} never recorded"]
        if after["tier"].iat[i] != never["tier"].iat[i]:  # type: ignore[operator]
            parts.append(f"tier {after['tier'].iat[i]} vs {never['tier'].iat[i]}")
        on = [s for s in sanctions if after[s].iat[i] and not never[s].iat[i]]
        off = [s for s in sanctions if never[s].iat[i] and not after[s].iat[i]]
        if on:
            parts.append("still sanctioned: " + ", ".join(on))
        if off:
            parts.append("missing sanctions: " + ", ".join(off))
        lines.append(f"person {pid - int(offset)}{what}: " + "; ".join(parts))
    raise AssertionError(
        f"scorer {name!r}: overturning one event each for {chosen.size:,} people did not restore the state of "
        f"{int(diff.sum()):,} of {len(ids):,} people (scored at month {as_of}; the log never holding the events was scored "
        f"first, then the full log, then the log with the events removed):\n" + indent_lines(lines)
    )


_SMALL: dict[tuple[str, int, int], Any] = {}


def _small_population(spec: str, size: int, seed: int) -> Any:
    key = (str(spec), int(size), int(seed))
    if key not in _SMALL:
        if len(_SMALL) > 8:
            _SMALL.clear()
        _SMALL[key] = Population.synthesize(spec, size=int(size), seed=int(seed))
    return _SMALL[key]
