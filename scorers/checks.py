"""The individual conformance checks behind :mod:`scorers.testing`.

Each ``check_<property>`` function takes a scorer and a population, works on
fresh copies, and raises :class:`AssertionError` when the property fails.
:data:`CHECKS` lists them in the order :func:`scorers.testing.check_scorer`
runs them; that module runs them, reports the results and parametrizes
pytest with them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from audit.population.model import Population
from audit.vocab import DOMAINS
from scorers._checking import (
    OverturnReplay,
    _as_ofs,
    _assert_same,
    _frames_digest,
    _rng,
    _score,
    _view,
    _with_fresh_ids,
    overturn_sample,
    replay_overturns,
)
from scorers.protocol import MAX_REASONS, Scorer, scorer_tags

__all__ = [
    "CHECKS",
    "OverturnReplay",
    "check_chunk_invariance",
    "check_declared_domains",
    "check_determinism",
    "check_does_not_mutate_input",
    "check_empty_population",
    "check_event_order_invariance",
    "check_future_events_ignored",
    "check_output_contract",
    "check_protected_attributes_unused_unless_declared",
    "check_removing_event_equals_never_having_it",
    "check_row_order_invariance",
    "check_subset_invariance",
    "check_ties_unused_unless_declared",
    "check_unknown_people_ignored",
    "overturn_sample",
    "replay_overturns",
]

_PROTECTED = ("age", "sex", "urban", "region", "income", "income_quintile", "education")


# ----------------------------------------------------------------------------- checks


def check_declared_domains(scorer: Scorer, population: Population) -> None:
    """Name, version, tiers, favourable tiers, sanctions and params are well formed.

    ``description``, ``params`` and ``with_params`` are optional (a run gives
    them defaults, :mod:`scorers.adapter`); when present they are checked.
    """
    for attr in ("name", "version", "description"):
        value = getattr(scorer, attr, "" if attr == "description" else None)
        assert isinstance(value, str) and (value or attr == "description"), (
            f"{attr} must be a non-empty string, got {value!r}"
        )
    tiers = tuple(scorer.tiers)
    assert tiers and all(isinstance(t, str) and t for t in tiers), f"tiers must be non-empty strings, got {tiers!r}"
    assert len(set(tiers)) == len(tiers), f"tiers must be distinct, got {tiers!r}"
    fav = set(scorer.favourable_tiers)
    assert fav <= set(tiers), f"favourable tiers {sorted(fav - set(tiers))} are not declared tiers {list(tiers)}"
    sanctions = scorer.sanctions
    assert isinstance(sanctions, Mapping), f"sanctions must be a mapping name -> domain, got {type(sanctions).__name__}"
    for s, domain in sanctions.items():
        assert isinstance(s, str) and s not in ("score", "tier", "reasons", "person_id"), (
            f"sanction name {s!r} is not usable as a column"
        )
        assert domain in DOMAINS, f"sanction {s!r} declares domain {domain!r}, not one of {list(DOMAINS)}"
    params = getattr(scorer, "params", {})
    assert isinstance(params, Mapping), f"params must be a mapping, got {type(params).__name__}"
    with_params = getattr(scorer, "with_params", None)
    if with_params is None:  # no variants: nothing more to check
        scorer_tags(scorer)
        return
    before = dict(params)
    variant = with_params()
    assert dict(variant.params) == before, "with_params() with no changes must keep every parameter"
    if params:
        key, value = next(iter(before.items()))
        with_params(**{key: value})
    assert dict(getattr(scorer, "params", {})) == before, "with_params() must not change the scorer it was called on"
    scorer_tags(scorer)


def check_output_contract(scorer: Scorer, population: Population) -> None:
    """The output has one row per person, finite scores, declared tiers, bool sanctions, short reasons."""
    pop = copy.deepcopy(population)
    for as_of in _as_ofs(pop):
        view = pop.view()
        frame = _score(scorer, view, as_of, f"as_of={as_of}")
        if "reasons" in frame.columns:
            for i, r in enumerate(frame["reasons"].to_numpy()):
                assert isinstance(r, tuple), (
                    f"as_of={as_of}: reasons at row {i} is {type(r).__name__}, expected a tuple"
                )
                assert len(r) <= MAX_REASONS, f"as_of={as_of}: {len(r)} reasons at row {i}; give at most {MAX_REASONS}"
                assert all(isinstance(c, str) for c in r), f"as_of={as_of}: reason codes at row {i} must be strings"
    # a person with no events at all
    view = pop.view()
    lone = view.people.iloc[:1]
    none = pop.events.iloc[:0]
    _score(scorer, _view(lone, none, pop.ties.iloc[:0], pop), _as_ofs(pop)[1], "one person without events")


def check_empty_population(scorer: Scorer, population: Population) -> None:
    """Scoring no people returns an empty frame with the contract's columns."""
    pop = copy.deepcopy(population)
    view = _view(pop.people.iloc[:0], pop.events, pop.ties, pop)
    _score(scorer, view, _as_ofs(pop)[1], "no people")


def check_determinism(scorer: Scorer, population: Population) -> None:
    """Scoring the same data twice gives the same result."""
    pop = _with_fresh_ids(copy.deepcopy(population))
    as_of = _as_ofs(pop)[1]
    first = _score(scorer, pop.view(), as_of, "first scoring")
    second = _score(scorer, copy.deepcopy(pop).view(), as_of, "second scoring")
    _assert_same(first, second, "scoring the same data twice")


def check_row_order_invariance(scorer: Scorer, population: Population) -> None:
    """Shuffling the rows of ``view.people`` changes nothing per person."""
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[1]
    expected = _score(scorer, pop.view(), as_of, "people in id order")
    perm = _rng("row_order").permutation(len(pop.people))
    people = pop.people.iloc[perm].reset_index(drop=True)
    got = _score(scorer, _view(people, pop.events, pop.ties, pop), as_of, "people shuffled")
    _assert_same(expected, got, "people rows shuffled")
    people = pop.people.iloc[perm]  # shuffled, keeping the original index labels
    got = _score(scorer, _view(people, pop.events, pop.ties, pop), as_of, "people shuffled, index kept")
    _assert_same(expected, got, "people rows shuffled with their index")


def check_event_order_invariance(scorer: Scorer, population: Population) -> None:
    """Shuffling the rows of the event log and the tie list changes nothing."""
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[1]
    expected = _score(scorer, pop.view(), as_of, "events in log order")
    rng = _rng("event_order")
    events = pop.events.iloc[rng.permutation(len(pop.events))].reset_index(drop=True)
    ties = pop.ties.iloc[rng.permutation(len(pop.ties))].reset_index(drop=True)
    got = _score(scorer, _view(pop.people, events, ties, pop), as_of, "events shuffled")
    _assert_same(expected, got, "event log and ties shuffled")


def _restrict_ties(ties: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    inside = np.isin(ties["person_id"].to_numpy(), ids) & np.isin(ties["friend_id"].to_numpy(), ids)
    return ties[inside].reset_index(drop=True)


def check_subset_invariance(scorer: Scorer, population: Population) -> None:
    """Scoring a subset of people gives each of them what scoring everyone gives.

    For a scorer that declares ``uses_ties``, ties are first restricted to
    pairs inside the subset (friends outside ``view.people`` are ignored, so a
    friend's absence may legitimately change a score).
    """
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[1]
    rng = _rng("subset")
    pick = np.sort(rng.choice(len(pop.people), size=max(1, len(pop.people) // 3), replace=False))
    sub = pop.people.iloc[pick]
    ties = _restrict_ties(pop.ties, sub["person_id"].to_numpy()) if scorer_tags(scorer).uses_ties else pop.ties
    expected = _score(scorer, _view(pop.people, pop.events, ties, pop), as_of, "everyone")
    got = _score(scorer, _view(sub, pop.events, ties, pop), as_of, "a subset")
    _assert_same(expected, got, "scoring a third of the people")


def check_chunk_invariance(scorer: Scorer, population: Population) -> None:
    """Scoring people in chunks (each with its own events) equals scoring them at once.

    This is how the harness streams a large population. Ties are kept within
    chunks in both runs (synthetic ties never cross a generation block).
    """
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[1]
    ids = pop.people["person_id"].to_numpy()
    bounds = np.linspace(0, len(ids), 4).astype(int)
    chunk_of = np.searchsorted(bounds[1:-1], np.arange(len(ids)), side="right")
    chunk_id = pd.Series(chunk_of, index=ids)
    t_me = chunk_id.reindex(pop.ties["person_id"].to_numpy()).to_numpy()
    t_fr = chunk_id.reindex(pop.ties["friend_id"].to_numpy()).to_numpy()
    ties = pop.ties[t_me == t_fr].reset_index(drop=True)
    expected = _score(scorer, _view(pop.people, pop.events, ties, pop), as_of, "all at once")
    ev_ids = pop.events["person_id"].to_numpy()
    parts = []
    for c in range(3):
        people = pop.people.iloc[bounds[c] : bounds[c + 1]]
        members = people["person_id"].to_numpy()
        events = pop.events[np.isin(ev_ids, members)]
        parts.append(_score(scorer, _view(people, events, _restrict_ties(ties, members), pop), as_of, f"chunk {c}"))
    _assert_same(expected, pd.concat(parts), "scoring in three chunks")


def check_future_events_ignored(scorer: Scorer, population: Population) -> None:
    """Events after ``as_of`` change nothing at ``as_of``."""
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[0]
    expected = _score(scorer, pop.view(), as_of, "the log as it is")
    rng = _rng("future")
    ev = pop.events
    if len(ev) == 0:
        return
    take = rng.choice(len(ev), size=min(len(ev), max(50, len(ev) // 5)), replace=False)
    extra = ev.iloc[take].copy()
    hi = max(pop.horizon_months - 1, as_of + 1)
    extra["month"] = rng.integers(as_of + 1, hi + 1, len(extra)).astype(ev["month"].dtype)
    events = pd.concat([ev, extra], ignore_index=True)
    got = _score(scorer, _view(pop.people, events, pop.ties, pop), as_of, "with events after as_of")
    _assert_same(expected, got, f"adding {len(extra)} events after as_of={as_of}")


def check_unknown_people_ignored(scorer: Scorer, population: Population) -> None:
    """Events and ties of people absent from ``view.people`` change nothing."""
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[1]
    expected = _score(scorer, pop.view(), as_of, "the log as it is")
    ev = pop.events
    if len(ev) == 0:
        return
    stranger = np.int64(pop.people["person_id"].max()) + 1 + np.arange(len(ev)) % 7
    extra = ev.copy()
    extra["person_id"] = stranger
    events = pd.concat([ev, extra], ignore_index=True)
    ids = pop.people["person_id"].to_numpy()[:50]
    k = min(len(ids), len(stranger))
    odd_ties = pd.DataFrame(
        {"person_id": np.r_[stranger[:k], ids[:k]], "friend_id": np.r_[ids[:k], stranger[:k]]}
    )  # strangers naming people as friends, and people naming strangers
    ties = pd.concat([pop.ties, odd_ties.astype(pop.ties.dtypes.to_dict())], ignore_index=True)
    got = _score(scorer, _view(pop.people, events, ties, pop), as_of, "with strangers' events")
    _assert_same(expected, got, "adding events of people not in view.people")


def check_removing_event_equals_never_having_it(scorer: Scorer, population: Population) -> None:
    """Removing recorded events leaves the state of never having had them.

    This is what an appeal relies on. The log without the events is built
    and scored first, from separate data; then the full log is scored; then
    the events are removed from the full log and it is scored again
    (:func:`replay_overturns`). A scorer that remembers what it has seen (a
    cache keyed by person, a class-level history) keeps the removed events'
    effect and fails. People get ids no earlier call has used.
    """
    pop = _with_fresh_ids(copy.deepcopy(population))
    as_of = _as_ofs(pop)[1]
    chosen = overturn_sample(pop.events, as_of=as_of, rng=_rng("remove"), max_people=25)
    if chosen.size == 0:
        return
    replay = replay_overturns(
        lambda events, what: _score(scorer, _view(pop.people, events, pop.ties, pop), as_of, what), pop.events, chosen
    )
    _assert_same(replay.never, replay.after, f"removing {chosen.size} events after scoring the full log")


def check_does_not_mutate_input(scorer: Scorer, population: Population) -> None:
    """Scoring leaves people, events and ties exactly as they were."""
    pop = copy.deepcopy(population)
    view = pop.view()
    before = _frames_digest(view.people, view.events, view.ties)
    for as_of in _as_ofs(pop):
        scorer.score(view, as_of=as_of)
    after = _frames_digest(view.people, view.events, view.ties)
    for name, b, a in zip(("people", "events", "ties"), before, after):
        assert a == b, f"score() changed view.{name} (columns, dtypes, values or index)"


def check_ties_unused_unless_declared(scorer: Scorer, population: Population) -> None:
    """A scorer that does not declare ``uses_ties`` gives the same result without ties."""
    if scorer_tags(scorer).uses_ties:
        return
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[1]
    expected = _score(scorer, pop.view(), as_of, "with ties")
    got = _score(scorer, _view(pop.people, pop.events, pop.ties.iloc[:0], pop), as_of, "without ties")
    _assert_same(expected, got, "dropping every tie (declare tags.uses_ties=True if friends matter)")


def check_protected_attributes_unused_unless_declared(scorer: Scorer, population: Population) -> None:
    """A scorer that does not declare ``uses_protected_attributes`` ignores them.

    Income, education, sex, age, region and urban residence are shuffled
    between people; nothing may change.
    """
    if scorer_tags(scorer).uses_protected_attributes:
        return
    pop = copy.deepcopy(population)
    as_of = _as_ofs(pop)[1]
    expected = _score(scorer, pop.view(), as_of, "as recorded")
    people = pop.people.copy()
    perm = _rng("protected").permutation(len(people))
    for col in _PROTECTED:
        if col in people.columns:
            people[col] = people[col].iloc[perm].to_numpy()
    got = _score(scorer, _view(people, pop.events, pop.ties, pop), as_of, "attributes shuffled")
    _assert_same(expected, got, "shuffling protected attributes (declare tags.uses_protected_attributes=True if used)")


#: Every check, in the order :func:`check_scorer` runs them.
CHECKS: tuple[Callable[[Any, Population], None], ...] = (
    check_declared_domains,
    check_output_contract,
    check_empty_population,
    check_determinism,
    check_row_order_invariance,
    check_event_order_invariance,
    check_subset_invariance,
    check_chunk_invariance,
    check_future_events_ignored,
    check_unknown_people_ignored,
    check_removing_event_equals_never_having_it,
    check_does_not_mutate_input,
    check_ties_unused_unless_declared,
    check_protected_attributes_unused_unless_declared,
)
