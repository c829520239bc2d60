"""The conformance suite: reference scorers pass it, broken scorers fail the right checks."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from scorers._kernels import event_rows, visible
from scorers.protocol import ScorerTags
from scorers.rongcheng import Rongcheng
from scorers.suining import Suining
from scorers.testing import (
    CHECKS,
    COMPARATIVE_CHECKS,
    CheckResult,
    assert_scorer_conforms,
    check_scorer,
    parametrize_with_checks,
)
from tests.scorers.oracles import per_person_sum

REFERENCE = [
    "suining",
    "rongcheng",
    "joint_punishment",
    "sesame",
    Suining(penalty_expiry_months=12),
    Rongcheng(penalty_expiry_months=6),
]


@parametrize_with_checks(REFERENCE)
def test_reference_scorers_conform(scorer, check):
    check(scorer)


# ----------------------------------------------------------------------------- broken scorers


class CountScorer:
    """A duck-typed scorer (no base class): minus the number of visible events."""

    name = "count"
    version = "1"
    description = "minus the number of events"
    tiers = ("clean", "marked")
    favourable_tiers = frozenset({"clean"})
    sanctions: ClassVar[dict] = {"flagged": "finance"}
    tags = ScorerTags()

    def __init__(self, **params):
        self.params = dict(params)

    def with_params(self, **params):
        return type(self)(**{**self.params, **params})

    def counts(self, view, as_of):
        ev = visible(view.events, as_of)
        return per_person_sum(event_rows(view, ev), np.ones(len(ev)), len(view.people))

    def frame(self, view, n_events):
        marked = n_events > 0
        return pd.DataFrame(
            {
                "score": -np.asarray(n_events, dtype=float),
                "tier": np.where(marked, "marked", "clean"),
                "flagged": marked,
            }
        )

    def score(self, view, *, as_of):
        return self.frame(view, self.counts(view, as_of))


class RemembersEvents(CountScorer):
    """Keeps the most events it ever saw per person in a class-level cache."""

    name = "remembers"
    _seen: ClassVar[dict] = {}

    def score(self, view, *, as_of):
        n = self.counts(view, as_of)
        ids = view.people["person_id"].to_numpy()
        remembered = np.array([self._seen.get(int(i), 0.0) for i in ids])
        n = np.maximum(n, remembered)
        self._seen.update(zip(ids.tolist(), n.tolist()))
        return self.frame(view, n)


class ReadsTheFuture(CountScorer):
    name = "future"

    def score(self, view, *, as_of):
        return self.frame(view, self.counts(view, 10**6))


class SortsItsRows(CountScorer):
    """Returns rows in person-id order whatever the order of view.people."""

    name = "sorted_rows"

    def score(self, view, *, as_of):
        n = self.counts(view, as_of)
        order = np.argsort(view.people["person_id"].to_numpy(), kind="stable")
        return self.frame(view, n[order])


class DropsQuietPeople(CountScorer):
    name = "drops_rows"

    def score(self, view, *, as_of):
        out = super().score(view, as_of=as_of)
        return out[out["score"] < 0]


class MutatesInput(CountScorer):
    name = "mutates"

    def score(self, view, *, as_of):
        view.events["amount"] = 0.0  # writes into the caller's frame
        return super().score(view, as_of=as_of)


class SecretlyUsesFriends(CountScorer):
    name = "friends"

    def score(self, view, *, as_of):
        rows = event_rows(view, view.ties)
        friends = per_person_sum(rows, np.ones(len(rows)), len(view.people))
        return self.frame(view, self.counts(view, as_of) + friends)


class SecretlyUsesIncome(CountScorer):
    name = "income"

    def score(self, view, *, as_of):
        return self.frame(view, self.counts(view, as_of) + (view.people["income"].to_numpy() < 10_000))


class Random(CountScorer):
    name = "random"
    tags = ScorerTags(non_deterministic=True)

    def score(self, view, *, as_of):
        return self.frame(view, np.random.default_rng().integers(0, 3, len(view.people)))


class UndeclaredRandom(Random):
    name = "undeclared_random"
    tags = ScorerTags()


class BadDeclarations(CountScorer):
    name = "bad_domains"
    sanctions: ClassVar[dict] = {"flagged": "the_moon"}
    favourable_tiers = frozenset({"gold"})


class Crashes(CountScorer):
    name = "crashes"

    def score(self, view, *, as_of):
        raise RuntimeError("scorer bug")


def failed(scorer) -> set[str]:
    return {r.name for r in check_scorer(scorer) if not r.passed and not r.expected_failure}


def test_an_honest_duck_typed_scorer_passes():
    results = check_scorer(CountScorer())
    assert [r.name for r in results] == [c.__name__ for c in CHECKS]
    assert all(r.passed for r in results), [r for r in results if not r.passed]
    assert_scorer_conforms(CountScorer())


@pytest.mark.parametrize(
    ("scorer", "must_fail"),
    [
        (RemembersEvents(), {"check_removing_event_equals_never_having_it"}),
        (ReadsTheFuture(), {"check_future_events_ignored"}),
        (SortsItsRows(), {"check_row_order_invariance"}),
        (DropsQuietPeople(), {"check_output_contract"}),
        (MutatesInput(), {"check_does_not_mutate_input"}),
        (SecretlyUsesFriends(), {"check_ties_unused_unless_declared"}),
        (SecretlyUsesIncome(), {"check_protected_attributes_unused_unless_declared"}),
        (UndeclaredRandom(), {"check_determinism"}),
        (BadDeclarations(), {"check_declared_domains"}),
        (Crashes(), {c.__name__ for c in CHECKS} - {"check_declared_domains"}),
    ],
    ids=lambda x: getattr(x, "name", None),
)
def test_broken_scorers_fail_the_relevant_checks(scorer, must_fail):
    got = failed(scorer)
    assert must_fail <= got, f"expected {sorted(must_fail)} to fail; failed: {sorted(got)}"
    with pytest.raises(AssertionError) as err:
        assert_scorer_conforms(scorer)
    assert all(name in str(err.value) for name in must_fail)


@pytest.mark.parametrize(
    "scorer",
    [RemembersEvents(), ReadsTheFuture(), SortsItsRows(), MutatesInput(), SecretlyUsesFriends(), SecretlyUsesIncome()],
    ids=lambda s: s.name,
)
def test_a_single_fault_fails_a_single_check(scorer):
    got = failed(scorer)
    if isinstance(scorer, SecretlyUsesFriends):  # strangers naming people as friends also show
        assert got == {"check_ties_unused_unless_declared", "check_unknown_people_ignored"}
    else:
        assert len(got) == 1


def test_declared_non_determinism_is_an_expected_failure():
    results = {r.name: r for r in check_scorer(Random())}
    det = results["check_determinism"]
    assert det.expected_failure and not det.passed
    assert {n for n, r in results.items() if r.expected_failure} == COMPARATIVE_CHECKS
    assert results["check_output_contract"].passed and not results["check_output_contract"].expected_failure
    assert_scorer_conforms(Random())  # does not raise


def test_check_results_are_values():
    r = CheckResult(name="check_x", passed=True)
    assert r.message == "" and not r.expected_failure
    with pytest.raises(AttributeError):
        r.passed = False


def test_parametrize_ids_work_with_k():
    mark = parametrize_with_checks([Suining(), Random()])
    argnames, params = mark.args
    assert argnames == ("scorer", "check")
    ids = [p.id for p in params]
    assert "suining-check_determinism" in ids and "random-check_row_order_invariance" in ids
    assert len(ids) == 2 * len(CHECKS)
    xfailed = {p.id for p in params if p.marks}
    assert xfailed == {f"random-{name}" for name in COMPARATIVE_CHECKS}


def test_a_supplied_population_is_used():
    from audit.population.model import Population

    pop = Population.synthesize("tiny", size=300, seed=5)
    assert all(r.passed for r in check_scorer(Suining(), population=pop))
    assert "check_future_events_ignored" in failed_on(ReadsTheFuture(), pop)


def failed_on(scorer, pop):
    return {r.name for r in check_scorer(scorer, population=pop) if not r.passed}
