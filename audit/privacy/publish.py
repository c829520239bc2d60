"""``published.json``: differentially private figures from a run, with a budget ledger.

A release has three steps, in this order:

1. **Plan** (:func:`plan_release`): sum the run's exact per-cell counts to the
   published tables over public categories (numpy), fix the split of ε over
   scorers and queries, and build one OpenDP measurement per table with its
   sensitivity stated. Nothing noisy exists yet.
2. **Charge**: the ledger pays for every measurement at once, or refuses the
   whole release with :class:`~audit.errors.BudgetExceeded`.
3. **Measure and post-process** (:func:`release`): call each measurement once;
   every published figure is then computed from the noisy outputs only
   (rates, means, impact ratios, margins, non-negative versions) and carries
   its 95% interval and the ledger entries it came from.

:func:`write_published` writes the document atomically; a refused release
writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from audit.errors import InvalidArgument
from audit.output.artefacts import atomic_write_json, to_jsonable
from audit.population.tie_bound import influence
from audit.privacy.context import (
    MECHANISM,
    CountMeasurement,
    count_measurement,
    opendp_version,
)
from audit.privacy.figures import NoisyTable
from audit.privacy.ledger import Charge, LedgerEntry, PrivacyLedger, default_ledger_path
from audit.privacy.queries import (
    QUERY_WEIGHTS,
    ExactTable,
    ScoreBounds,
    budget_split,
    exact_tables,
    reads_ties,
    score_bounds_for,
)
from audit.privacy.sections import scorer_section
from audit.results.model.published import PUBLISHED_SCHEMA_VERSION, PublishedDocument, PublishedScorer

__all__ = [
    "DEFAULT_MAX_FRIENDS",
    "PRIVACY_UNIT",
    "SCHEMA_VERSION",
    "is_synthetic",
    "PlannedQuery",
    "Release",
    "ReleasePlan",
    "open_ledger",
    "plan_release",
    "publish",
    "release",
    "write_published",
]

#: Version of the published.json layout (:data:`audit.results.model.published.PUBLISHED_SCHEMA_VERSION`).
SCHEMA_VERSION = PUBLISHED_SCHEMA_VERSION

#: The privacy unit, as recorded in published.json.
PRIVACY_UNIT = ("one person, with all their records (people row, events) and every tie naming them as person or "
                "friend: neighbouring datasets differ by adding or removing one person")

#: Default public bound K on how many friends one person of a supplied table lists (``max_friends``,
#: ``--max-friends``). Assumption: twice the 5 friends per person of the shipped specs.
DEFAULT_MAX_FRIENDS = 10


def is_synthetic(result: Any) -> bool:
    """True only when the result says, with ``synthetic: True``, that its population is synthetic.

    A result without the key, or with anything else, is treated as real data
    (fails closed): its size and fingerprint are withheld and its budget persisted.
    """
    return getattr(result, "population", {}).get("synthetic") is True


def tie_bounds(result: Any, max_friends: int | None = None, *, needed: bool = True) -> dict[str, Any]:
    """The public tie bounds ``D`` and ``K`` of a release, checked against the run (:mod:`audit.population.tie_bound`).

    ``needed`` is false when no scorer of the release reads ties: then K
    charges nothing and a supplied table beyond it is not refused.

    Raises
    ------
    InvalidArgument
        When the run does not record the cap it applied, or when a supplied
        table has a person keeping more ties than ``max_friends`` and ``needed``.
    """
    ties = getattr(result, "population", {}).get("ties")
    if not isinstance(ties, dict) or "max_in_degree" not in ties or "max_out_degree" not in ties:
        raise InvalidArgument("the run records no tie bound (population.ties): rerun it with this version of "
                              "scs-audit, which caps ties before scoring, then publish")
    d = int(ties["max_in_degree"])
    if is_synthetic(result):
        return {"max_in_degree": d, "max_friends": int(ties["max_out_degree"]),
                "source": "max_friends is the public spec's friends_per_person"}
    k = DEFAULT_MAX_FRIENDS if max_friends is None else max_friends
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise InvalidArgument(f"max_friends={k!r}: give a whole number >= 0 (how many friends one person may list)")
    if needed and int(ties["max_out_degree"]) > k:
        raise InvalidArgument(
            f"ties: a person lists {int(ties['max_out_degree'])} friends (after the cap on ties per friend), more than "
            f"the public bound max_friends={k} "
            f"that the sensitivities are charged for; give max_friends={int(ties['max_out_degree'])} "
            "(more noise on tie-reading scorers), or leave the excess ties out of the ties table")
    return {"max_in_degree": d, "max_friends": int(k), "source": "max_friends stated by the auditor, checked"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedQuery:
    """One table of one scorer, with the measurement that will release it."""

    scorer: str
    table: ExactTable
    measurement: CountMeasurement

    def charge(self) -> Charge:
        m = self.measurement
        return Charge(query=self.table.query, scorer=self.scorer, mechanism=MECHANISM, scale=m.scale,
                      sensitivity=m.sensitivity, epsilon=m.epsilon, delta=0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleasePlan:
    """Everything fixed before any noise is drawn."""

    epsilon: float
    """ε the release may spend (the sum of the charges is at most this)."""
    delta: float
    """δ allowed (the Laplace measurements spend none)."""
    split: dict[str, dict[str, float]]
    """Scorer label -> query -> ε allotted."""
    queries: tuple[PlannedQuery, ...]
    bounds: dict[str, ScoreBounds | None]
    """Scorer label -> public score bounds used (``None``: no mean score or histogram)."""
    ties: dict[str, Any]
    """Public tie bounds ``max_in_degree`` (D) and ``max_friends`` (K) the sensitivities follow from."""
    affected: dict[str, int]
    """Scorer label -> how many other people's views one person's removal can change (D + K, or 0)."""

    @property
    def charges(self) -> list[Charge]:
        return [q.charge() for q in self.queries]

    @property
    def cost(self) -> float:
        """Sum of what each measurement's privacy map reports."""
        return float(sum(q.measurement.epsilon for q in self.queries))


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """A finished release: the document and the ledger entries it cites."""

    document: PublishedDocument
    """published.json, ready to write."""
    entries: tuple[LedgerEntry, ...]
    """Entries this release added to the ledger."""
    plan: ReleasePlan


def plan_release(result: Any, *, epsilon: float, delta: float = 0.0,
                 score_bounds: Mapping[str, tuple[float, float]] | None = None,
                 max_friends: int | None = None) -> ReleasePlan:
    """Sum exact tables and build the measurements of a release of ``result`` costing ``epsilon``.

    ``score_bounds`` maps a scorer label or name to public ``(lo, hi)`` bounds;
    ``max_friends`` is the public bound K on friends per person of supplied data
    (default :data:`DEFAULT_MAX_FRIENDS`).

    Raises
    ------
    InvalidArgument
        When a scorer of the run failed: a release is all the run was asked
        for or nothing, because whether a scorer fails can depend on the data
        (one person's records can crash it), and a release missing that
        scorer, or splitting ε differently, would publish that fact.
    """
    if not (isinstance(epsilon, (int, float)) and np.isfinite(epsilon) and epsilon > 0):
        raise InvalidArgument(f"epsilon={epsilon!r}: give a finite number > 0 (e.g. epsilon=1)")
    if not (isinstance(delta, (int, float)) and np.isfinite(delta) and 0 <= delta < 1):
        raise InvalidArgument(f"delta={delta!r}: give a number in [0, 1) (e.g. delta=1e-9)")
    score_bounds = dict(score_bounds or {})
    failed = [r.label for r in result.runs if r.error is not None]
    if failed:
        raise InvalidArgument(f"nothing published: scorer(s) {', '.join(map(repr, failed))} failed, and a release "
                              "without them would publish that (whether a scorer fails can depend on the data); fix "
                              "the scorer or leave it out of the run (--scorer), then publish")
    ok = list(result.runs)
    ties = tie_bounds(result, max_friends, needed=any(reads_ties(r.scorer) for r in ok))
    reach = influence(max_in_degree=ties["max_in_degree"], max_out_degree=ties["max_friends"])
    tables: dict[str, list[ExactTable]] = {}
    bounds: dict[str, ScoreBounds | None] = {}
    affected: dict[str, int] = {}
    for r in ok:
        override = score_bounds.get(r.label, score_bounds.get(str(r.scorer.name)))
        bounds[r.label] = score_bounds_for(r.scorer, override)
        affected[r.label] = reach if reads_ties(r.scorer) else 0
        tables[r.label] = exact_tables(r.scorer, r.aggregates, result.layout, bounds[r.label],
                                       affected=affected[r.label])
    split = budget_split(float(epsilon), [r.label for r in ok], {k: [t.query for t in v] for k, v in tables.items()})
    planned = []
    for label, ts in tables.items():
        for t in ts:
            m = count_measurement(sensitivity=t.sensitivity, epsilon=split[label][t.query])
            planned.append(PlannedQuery(scorer=label, table=t, measurement=m))
    return ReleasePlan(epsilon=float(epsilon), delta=float(delta), split=split, queries=tuple(planned), bounds=bounds,
                       ties=ties, affected=affected)


def open_ledger(result: Any, *, epsilon: float, delta: float = 0.0, budget: float | None = None,
                ledger_dir: str | Path | None = None, dataset: str | None = None,
                new_dataset: bool = False) -> PrivacyLedger:
    """The ledger a release of ``result`` is charged to.

    Supplied populations (and any result not marked synthetic): the persisted
    budget of the data source ``dataset`` in ``ledger_dir/ledger.sqlite``
    (default ``~/.scs-audit/ledger.sqlite``), checked against the run's person-id
    set (:meth:`PrivacyLedger.open_dataset`); the total is ``budget``, or what is
    stored, or ``epsilon`` for a new dataset. Synthetic populations: a fresh
    in-memory ledger with budget ``budget`` (default ``epsilon``).

    Raises
    ------
    InvalidArgument
        When real data is published without ``dataset``, or the run does not
        record its person-id set.
    """
    pop = result.population
    if is_synthetic(result):
        return PrivacyLedger.in_memory(fingerprint=str(pop["fingerprint"]),
                                       budget_epsilon=epsilon if budget is None else budget, budget_delta=delta)
    if dataset is None:
        raise InvalidArgument("publishing supplied data needs the data source's name: give dataset= (--dataset NAME); "
                              "the privacy budget is kept under that name and its people")
    identity = pop.get("person_ids")
    if not isinstance(identity, dict) or not {"fingerprint", "sketch", "count"} <= set(identity):
        raise InvalidArgument("the run records no person-id set (population.person_ids), so its budget cannot be "
                              "found: rerun it with this version of scs-audit, then publish")
    path = default_ledger_path() if ledger_dir is None else Path(ledger_dir) / "ledger.sqlite"
    return PrivacyLedger.open_dataset(path, name=dataset, identity=identity, budget_epsilon=budget,
                                      budget_delta=delta, default_epsilon=epsilon, new_dataset=new_dataset,
                                      legacy_key=pop.get("fingerprint"))


def release(result: Any, ledger: PrivacyLedger, *, epsilon: float, delta: float = 0.0,
            score_bounds: Mapping[str, tuple[float, float]] | None = None, created: str | None = None,
            max_friends: int | None = None) -> Release:
    """Charge ``ledger`` for a release of ``result`` and build published.json.

    Raises
    ------
    BudgetExceeded
        When the ledger cannot pay; nothing is measured and nothing recorded.
    """
    plan = plan_release(result, epsilon=epsilon, delta=delta, score_bounds=score_bounds, max_friends=max_friends)
    entries = ledger.charge(plan.charges)  # all or nothing, before any noise is drawn
    noisy: dict[str, dict[str, NoisyTable]] = {}
    for q, entry in zip(plan.queries, entries):
        values = q.measurement(q.table.values.reshape(-1)).reshape(q.table.values.shape)
        noisy.setdefault(q.scorer, {})[q.table.query] = NoisyTable(
            query=q.table.query, entry=entry.id, values=values, scale=q.measurement.scale,
            sensitivity=q.measurement.sensitivity)
    scorers: list[PublishedScorer] = []
    for r in result.runs:
        tables = {t.query: t for t in (q.table for q in plan.queries if q.scorer == r.label)}
        scorers.append(scorer_section(r, tables, noisy[r.label], plan.split[r.label], plan.bounds[r.label], result.options))
    doc = _document(result, ledger, plan, entries, scorers, created)
    return Release(document=cast(PublishedDocument, to_jsonable(doc)), entries=tuple(entries), plan=plan)


def publish(result: Any, out_dir: str | Path, *, epsilon: float, delta: float = 0.0, budget: float | None = None,
            ledger_dir: str | Path | None = None, ledger: PrivacyLedger | None = None,
            score_bounds: Mapping[str, tuple[float, float]] | None = None, dataset: str | None = None,
            max_friends: int | None = None) -> Path:
    """Release ``result`` and write ``out_dir/published.json`` atomically; return its path.

    A refused release (:class:`~audit.errors.BudgetExceeded`) writes nothing.
    """
    ledger = ledger or open_ledger(result, epsilon=epsilon, delta=delta, budget=budget, ledger_dir=ledger_dir,
                                   dataset=dataset)
    rel = release(result, ledger, epsilon=epsilon, delta=delta, score_bounds=score_bounds, max_friends=max_friends)
    return write_published(rel.document, out_dir)


def write_published(document: PublishedDocument, out_dir: str | Path) -> Path:
    """Write published.json atomically into ``out_dir``."""
    return atomic_write_json(Path(out_dir) / "published.json", document)


# -- the document ------------------------------------------------------------------------


def _population(result: Any, ledger: PrivacyLedger) -> dict[str, Any]:
    pop = result.population
    if is_synthetic(result):
        return {"name": pop.get("name"), "synthetic": True, "size": pop.get("size"), "seed": pop.get("seed"),
                "fingerprint": pop.get("fingerprint"), "spec_fingerprint": pop.get("spec_fingerprint")}
    return {
        "name": ledger.name,
        "synthetic": False,
        "size": None,
        "seed": None,
        "fingerprint": None,
        "dataset_id": ledger.dataset_id,
        "withheld": ("the exact size and the data's fingerprint are private (a hash of the data would let someone "
                     "who knows all but one record test guesses about the last); the noisy number of people is "
                     "each scorer's groups.total, and dataset_id is a random id the ledger gave this dataset"),
    }


def _document(result: Any, ledger: PrivacyLedger, plan: ReleasePlan, entries: Sequence[LedgerEntry],
              scorers: list[PublishedScorer], created: str | None) -> dict[str, Any]:
    from audit.version import package_version

    contributions: dict[str, dict[str, dict[str, Any]]] = {}
    for q in plan.queries:
        contributions.setdefault(q.scorer, {})[q.table.query] = {
            "sensitivity": q.measurement.sensitivity, "bound": q.table.bound, "unit": q.table.unit}
    this = {e.id for e in entries}
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "scs-audit published statistics (differentially private)",
        "private": False,
        "package_version": package_version(),
        "opendp_version": opendp_version(),
        "created": created or result.started,
        "population": _population(result, ledger),
        "privacy": {
            "definition": "pure epsilon-differential privacy (every measurement is a discrete Laplace mechanism; "
                          "delta spent is 0)",
            "unit": PRIVACY_UNIT,
            "epsilon": plan.epsilon,
            "delta": plan.delta,
            "epsilon_spent": float(sum(e.epsilon for e in entries)),
            "delta_spent": float(sum(e.delta for e in entries)),
            "split": {
                "rule": "epsilon divided equally among scorers, then among each scorer's queries by weight",
                "weights": dict(QUERY_WEIGHTS),
                "by_scorer": plan.split,
            },
            "tie_bound": {
                "max_in_degree": plan.ties["max_in_degree"],
                "max_friends": plan.ties["max_friends"],
                "rule": ("before scoring, at most max_in_degree (D) people's ties to one friend are kept (the lowest "
                         "by a fixed hash of the pair; the rest are dropped), and no person keeps more than "
                         f"max_friends (K) ties ({plan.ties['source']}). Removing one person then changes the "
                         "view of at most D + K other people, so a scorer reading ties is charged for them"),
                "affected_people_by_scorer": plan.affected,
            },
            "contribution_bounds": contributions,
            "budget": {
                "persistent": ledger.persistent,
                "total_epsilon": ledger.budget_epsilon,
                "total_delta": ledger.budget_delta,
                "spent_epsilon": ledger.spent_epsilon,
                "remaining_epsilon": ledger.remaining_epsilon,
                "history": list(ledger.budget_history),
            },
            "intervals": ("every ci95 is a per-figure 95% interval: each covers its own true value with probability "
                          "0.95, not all at once. A table's 'simultaneous' block gives Bonferroni half-widths that "
                          "cover all its figures at once with probability at least 0.95. Single noisy counts use "
                          "OpenDP's discrete_laplacian_scale_to_accuracy; derived figures (rates, means, margins) a "
                          "delta-method, Cornish-Fisher interval from the exact noise variance and kurtosis (a union "
                          "bound where the noise is far from normal). Impact ratios get simultaneous bounds against "
                          "the truly highest group (Bonferroni rate intervals over the known groups), so the noisy "
                          "choice of reference group cannot make them under-cover; the four-fifths verdict is read "
                          "from those bounds."),
            "signed_and_nonnegative": ("'signed' counts are the raw OpenDP outputs: unbiased, may be negative. "
                                       "'nonnegative' counts are post-processed: the closest non-negative integers "
                                       "with the same total, so margins add up; slightly biased for small cells. "
                                       "Their ci95 is the signed figure's interval clipped at 0 and widened to include the value (so it still covers the "
                                       "true count with at least 95% probability)."),
            "protected": ("every person's presence, records and ties: no published figure depends much on any one "
                          "person"),
            "not_protected": ("results.json and scores.parquet are exact and private: never share them. Group-level "
                              "facts (e.g. that a group's rate is low) are what the release is for and are not "
                              "hidden; the scorers, their parameters and the population spec are public."),
        },
        "ledger": [e.as_dict() | {"this_release": e.id in this} for e in ledger.entries],
        "dataset": ledger.name,
        "scorers": scorers,
    }
