"""Which rule drives a gap: re-score with a rule's events removed.

A scorer's *rules* are, for this purpose, the event kinds it responds to.
The contribution of a rule to the gap in favourable rate between two groups
is measured by replay: the same people are scored again with that rule's
events removed (every scorer is a fold over recorded events, so "never had
the event" is a valid input).

Method
------
- **Which rules.** The kinds whose removal changes any score, tier or
  sanction of a fixed probe population (the ``tiny`` spec, whose misconduct
  rates are raised so every rule fires in a few hundred people). The probe
  depends on the scorer alone, so every chunk of a run evaluates the same
  coalitions and the per-chunk counts merge exactly. Assumption: a kind that
  changes nothing on the probe changes nothing anywhere; whatever the
  listed rules do not explain stays in ``gap_without_rules``.
- **Coalitions.** With ``m <= 6`` rules, all ``2**m`` subsets of active rules
  are scored and each rule's Shapley value on the gap is exact. With more,
  each rule's leave-one-out effect is reported (gap with every rule minus gap
  without this one; ``m + 2`` replays), or — when ``permutation_pairs > 0`` —
  a Shapley value averaged over a fixed, seeded set of antithetic
  permutations (unbiased, and still summing exactly to the total). The
  leave-one-out effect is reported for every rule in every method.
- **Who.** People whose person-id hash (:func:`audit.randomness.person_uniform`)
  falls under ``sample / population size`` — the same people whatever the
  chunking; the sample size is reported. A sampled person without any event
  of a rule keeps their outcome in every coalition and is not replayed,
  unless the scorer reads ties; then the sample's friends are scored
  alongside them. The replay of the unchanged log must reproduce the run's
  own outcomes for the sample, or the whole chunk is replayed instead.

The gap is linear in group rates, so a rule's Shapley value on the gap is
the difference of its Shapley values on the two groups' rates, computed from
per-cell counts of favourable (and sanctioned) people per coalition.

This module probes the rules and collects the counts; the coalition game
(plans, Shapley values) is in :mod:`audit.disparity.coalitions` and the
reported section (effects, shares, the driving rule) in
:mod:`audit.disparity.drivers`; their names are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit.aggregate import Counts
from audit.disparity.coalitions import (
    EXACT_MAX_RULES,
    PERMUTATION_PAIRS,
    AttributionPlan,
    leave_one_out,
    make_plan,
    shapley_values,
)
from audit.disparity.drivers import DRIVER_SHARE, attribution_section, driver
from audit.disparity.ground_truth import batch_sample
from audit.engine.contract import ScoredChunk, favourable_mask, sanctioned_mask, score_checked
from audit.errors import AuditError
from audit.population.model import Population, PopulationView, rows_with_ids
from audit.vocab import EVENT_KINDS
from scorers.protocol import Scorer, scorer_tags

__all__ = [
    "DEFAULT_SAMPLE",
    "DRIVER_SHARE",
    "EXACT_MAX_RULES",
    "PERMUTATION_PAIRS",
    "AttributionPlan",
    "attribution_rows",
    "attribution_section",
    "collect_attribution",
    "driver",
    "leave_one_out",
    "make_plan",
    "plan_for",
    "probe_rules",
    "sample_rate",
    "shapley_values",
]

#: People re-scored per run (assumption: enough that a two-group gap of a few
#: points is resolved by paired replays; cost is bounded whatever the
#: population size).
DEFAULT_SAMPLE = 10_000
#: The probe population that decides which kinds are rules.
PROBE_SPEC, PROBE_SIZE, PROBE_SEED = "tiny", 2_000, 0

_STREAM = "disparity-attribution"


_PROBE: list[Population] = []
_PLANS: dict[tuple[Any, int, int], tuple[Any, AttributionPlan]] = {}


def _probe_population() -> Population:
    if not _PROBE:
        from audit.population.model import synthesize

        _PROBE.append(synthesize(PROBE_SPEC, size=PROBE_SIZE, seed=PROBE_SEED))
    return _PROBE[0]


def _frames_differ(scorer: Scorer, a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if not np.array_equal(a["score"].to_numpy(), b["score"].to_numpy()):
        return True
    if not np.array_equal(a["tier"].cat.codes.to_numpy(), b["tier"].cat.codes.to_numpy()):
        return True
    return any(not np.array_equal(a[s].to_numpy(), b[s].to_numpy()) for s in scorer.sanctions)


def probe_rules(scorer: Scorer) -> tuple[str, ...]:
    """Event kinds whose removal changes the scorer's output on the probe population."""
    probe = _probe_population()
    as_of = probe.horizon_months - 1
    base = score_checked(scorer, probe.view(), as_of=as_of)
    kinds = probe.events["kind"].cat.codes.to_numpy()
    rules = []
    for code, kind in enumerate(EVENT_KINDS):
        present = kinds == code
        if not present.any():
            continue
        frame = score_checked(scorer, probe.view(probe.events[~present]), as_of=as_of)
        if _frames_differ(scorer, base, frame):
            rules.append(kind)
    return tuple(rules)


def plan_for(scorer: Scorer, *, seed: int, permutation_pairs: int = PERMUTATION_PAIRS) -> AttributionPlan:
    """The attribution plan of a scorer (depends only on the scorer, the seed and the method).

    Cached per scorer: by value for scorers that define equality (such as
    :class:`scorers.base.ScorerBase`, equal when class and params are), else
    per object — a scorer's behaviour need not show in its ``params``. The
    cache holds the scorer, so an object's id is never reused while cached.
    """
    by_value = type(scorer).__eq__ is not object.__eq__ and type(scorer).__hash__ is not None
    key = (scorer if by_value else id(scorer), int(seed), int(permutation_pairs))
    hit = _PLANS.get(key)
    if hit is not None and (by_value or hit[0] is scorer):
        return hit[1]
    try:
        plan = make_plan(probe_rules(scorer), seed=seed, permutation_pairs=permutation_pairs)
    except AuditError as exc:
        plan = AttributionPlan(rules=(), method="none", masks=(), error=f"probe failed: {exc}")
    _PLANS[key] = (scorer, plan)
    return plan


def sample_rate(target: int, population_size: int) -> float:
    """Share of people re-scored: ``target / population_size`` capped at 1 (everyone when the size is unknown)."""
    if population_size <= 0 or target >= population_size:
        return 1.0
    return target / population_size


def attribution_rows(chunk: ScoredChunk, *, sample: int) -> np.ndarray:
    """Rows of ``chunk`` re-scored for attribution (a hash sample; a pooled chunk's marked rows)."""
    return batch_sample(chunk, _STREAM, sample_rate(sample, chunk.options.population_size))


def collect_attribution(chunk: ScoredChunk, plan: AttributionPlan, *, sample: int) -> dict[str, Counts]:
    """Per-cell counts of sampled, favourable and sanctioned people under each coalition."""
    n_cells = chunk.layout.n_cells
    k = len(plan.masks)
    picked = attribution_rows(chunk, sample=sample)
    cells = chunk.cells[picked]
    base_fav = chunk.favourable[picked]
    base_adv = chunk.sanctioned[picked]
    fav = np.tile(np.bincount(cells[base_fav], minlength=n_cells).astype(np.int64), (k, 1))
    adv = np.tile(np.bincount(cells[base_adv], minlength=n_cells).astype(np.int64), (k, 1))
    if k and picked.size:
        for i, (at, f, a) in enumerate(_replay(chunk, plan, picked)):
            c = cells[at]
            # replace the replayed people's baseline outcome by their outcome in this coalition
            fav[i] += np.bincount(c[f], minlength=n_cells) - np.bincount(c[base_fav[at]], minlength=n_cells)
            adv[i] += np.bincount(c[a], minlength=n_cells) - np.bincount(c[base_adv[at]], minlength=n_cells)
    sample_n = np.bincount(cells, minlength=n_cells).astype(np.int64)
    return {"sample_n": Counts(sample_n), "favourable": Counts(fav), "adverse": Counts(adv)}


def _replay(chunk: ScoredChunk, plan: AttributionPlan, picked: np.ndarray):
    """Yield ``(at, favourable, sanctioned)`` for each coalition in ``plan.masks`` order.

    ``at`` indexes ``picked``: the people replayed (the others keep their
    outcome in every coalition).
    """
    scorer = chunk.scorer
    pop = chunk.population
    ids = pop.people["person_id"].to_numpy()
    rule_codes = np.array([EVENT_KINDS.index(r) for r in plan.rules], dtype=np.int64)
    uses_ties = scorer_tags(scorer).uses_ties and len(chunk.view.ties) > 0
    if uses_ties:
        at = np.arange(picked.size)
    else:
        ev = chunk.view.events
        ev_ids = ev["person_id"].to_numpy()
        mine = rows_with_ids(ev_ids, ids[picked])  # the sample's events only: a binary search, not a scan
        with_rule = ev_ids[mine][np.isin(_codes(ev.iloc[mine]), rule_codes)]
        at = np.flatnonzero(np.isin(ids[picked], with_rule))
    if at.size == 0:
        return
    rows = picked[at]
    involved = np.zeros(ids.size, dtype=bool)
    involved[rows] = True
    if uses_ties:
        ties = chunk.view.ties
        involved[rows_with_ids(ids, ties["friend_id"].to_numpy()[rows_with_ids(ties["person_id"].to_numpy(), ids[rows])])] = True
    view, codes = _local_view(chunk, involved)
    pos = np.searchsorted(np.flatnonzero(involved), rows)
    base = score_checked(scorer, view, as_of=chunk.as_of)
    if _frames_differ(scorer, chunk.frame.iloc[rows].reset_index(drop=True), base.iloc[pos].reset_index(drop=True)):
        # the scorer reads beyond a person and their friends: replay everyone in the chunk
        at = np.arange(picked.size)
        view, codes = _local_view(chunk, np.ones(ids.size, dtype=bool))
        pos = picked
    for mask in plan.masks:
        removed = rule_codes[[(mask >> i) & 1 == 0 for i in range(len(plan.rules))]]
        if removed.size:
            keep = ~np.isin(codes, removed)
            v = PopulationView(people=view.people, events=view.events[keep], ties=view.ties, horizon_months=view.horizon_months)
        else:
            v = view
        frame = score_checked(scorer, v, as_of=chunk.as_of)
        yield at, favourable_mask(scorer, frame)[pos], sanctioned_mask(scorer, frame)[pos]


def _codes(events: pd.DataFrame) -> np.ndarray:
    kind = events["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype) and tuple(kind.cat.categories) == EVENT_KINDS:
        return kind.cat.codes.to_numpy().astype(np.int64)
    return pd.Categorical(kind.astype(object), categories=list(EVENT_KINDS)).codes.astype(np.int64)


def _local_view(chunk: ScoredChunk, involved: np.ndarray) -> tuple[PopulationView, np.ndarray]:
    """The scorer's view restricted to ``involved`` people, and the kind code of each of its events."""
    view = chunk.view
    if involved.all():
        people, events, ties = view.people, view.events, view.ties
    else:
        inv_ids = chunk.population.people["person_id"].to_numpy()[involved]
        people = view.people[involved]
        events = view.events.iloc[rows_with_ids(view.events["person_id"].to_numpy(), inv_ids)]
        ties = view.ties.iloc[rows_with_ids(view.ties["person_id"].to_numpy(), inv_ids)] if len(view.ties) else view.ties
    local = PopulationView(people=people, events=events, ties=ties, horizon_months=view.horizon_months)
    return local, _codes(events)
