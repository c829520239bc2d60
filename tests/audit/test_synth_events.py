"""The event generator draws exactly the spec's Poisson rates, whatever algorithm it uses.

Expected counts are computed here from the spec's numbers with the formula in
``audit/population/spec.py`` (``EventKindSpec`` docstrings: rate per year for the reference
person, log-rate slopes per income-quintile step, education step, urban, and
reliability above the mean; zero outside the age range) — not from the
generator's internal tables.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from audit.population.model import synthesize
from audit.population.spec import load_spec
from audit.population.synth import BLOCK_SIZE
from audit.population.synth.tables import alias_tables as _alias
from audit.vocab import EVENT_KINDS

SIZE = 4 * BLOCK_SIZE


@pytest.fixture(scope="module")
def spec():
    return load_spec("china-2020")


@pytest.fixture(scope="module")
def pop(spec):
    return synthesize(spec, size=SIZE, seed=11)


def expected_rates(spec, people) -> tuple[list[str], np.ndarray]:
    """(kinds, lambda[person, kind]): expected events over the horizon, from the spec's formula."""
    base = [e for e in spec.events if e.follows is None and e.rate_per_year > 0]
    q = people["income_quintile"].to_numpy() - 3.0
    edu = people["education"].cat.codes.to_numpy() - 1.5
    urban = people["urban"].to_numpy() - spec.urban_share
    rel = people["reliability"].to_numpy() - spec.reliability_alpha / (spec.reliability_alpha + spec.reliability_beta)
    age = people["age"].to_numpy()
    lam = np.empty((len(people), len(base)))
    for j, e in enumerate(base):
        log = np.log(e.rate_per_year * spec.horizon_months / 12.0)
        log = log + e.income_slope * q + e.education_slope * edu + e.urban_effect * urban + e.reliability_slope * rel
        lam[:, j] = np.exp(log) * ((age >= e.age_range[0]) & (age < e.age_range[1]))
    return [e.kind for e in base], lam


def counts(pop, kind: str) -> np.ndarray:
    ev = pop.events
    ids = ev.loc[ev["kind"] == kind, "person_id"].to_numpy()
    return np.bincount(ids, minlength=len(pop.people))


def test_counts_per_kind_and_group_match_the_spec(spec, pop):
    """Observed counts per kind in each reliability-quartile x income-quintile group: Poisson z-scores."""
    kinds, lam = expected_rates(spec, pop.people)
    rel = pop.people["reliability"].to_numpy()
    quart = np.searchsorted(np.quantile(rel, [0.25, 0.5, 0.75]), rel)
    group = quart * 5 + pop.people["income_quintile"].to_numpy() - 1
    worst = 0.0
    for j, kind in enumerate(kinds):
        obs = np.bincount(group, weights=counts(pop, kind), minlength=20)
        exp = np.bincount(group, weights=lam[:, j], minlength=20)
        ok = exp > 10
        z = (obs[ok] - exp[ok]) / np.sqrt(exp[ok])
        worst = max(worst, float(np.abs(z).max()))
    # 15 kinds x 20 groups = 300 z-scores; |z| > 5 has probability ~ 2e-4 over all of them
    assert worst < 5.0


def test_counts_are_poisson_per_person(spec, pop):
    """Given a person's rate, Var(count) = mean (no over- or under-dispersion): sum((c - l)^2 - l) ~ 0."""
    kinds, lam = expected_rates(spec, pop.people)
    for kind in ("traffic_violation", "loan_arrears", "volunteering"):
        j = kinds.index(kind)
        c, lm = counts(pop, kind), lam[:, j]
        stat = ((c - lm) ** 2 - lm).sum()
        sd = np.sqrt((lm + 2 * lm**2).sum())  # Var((c - l)^2 - l) for Poisson(l) = l + 2 l^2
        assert abs(stat / sd) < 5, kind


def test_kinds_are_independent_given_the_rates(spec, pop):
    """Counts of two kinds of one person are uncorrelated once their rates are known."""
    kinds, lam = expected_rates(spec, pop.people)
    a, b = kinds.index("traffic_violation"), kinds.index("on_time_repayment")
    ca, cb = counts(pop, "traffic_violation"), counts(pop, "on_time_repayment")
    stat = ((ca - lam[:, a]) * (cb - lam[:, b])).sum() / np.sqrt((lam[:, a] * lam[:, b]).sum())
    assert abs(stat) < 5


def test_age_ranges_and_order(spec, pop):
    ev = pop.events
    age = pop.people["age"].to_numpy()[ev["person_id"].to_numpy()]
    for e in spec.events:
        if e.follows is None:
            mine = (ev["kind"] == e.kind).to_numpy()
            assert np.all((age[mine] >= e.age_range[0]) & (age[mine] < e.age_range[1])), e.kind
    key = (ev["person_id"].to_numpy() * spec.horizon_months + ev["month"].to_numpy()) * len(EVENT_KINDS)
    key = key + ev["kind"].cat.codes.to_numpy()
    assert np.all(np.diff(key) >= 0)


def test_ties_sorted_without_duplicates_or_self(pop):
    me, friend = pop.ties["person_id"].to_numpy(), pop.ties["friend_id"].to_numpy()
    assert np.all(me != friend)
    key = me * SIZE + friend
    assert np.all(np.diff(key) > 0)  # strictly increasing: sorted and no duplicate pair


def test_alias_table_reproduces_weights():
    """A Walker alias table's implied distribution: p_i = (prob_i + sum_{j: alias_j = i} (1 - prob_j)) / K."""
    w = np.array([[0.5, 0.0, 1.5, 3.0, 0.01], [1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    prob, alias = _alias(w)
    k = w.shape[1]
    for r in range(2):
        implied = prob[r].copy()
        np.add.at(implied, alias[r], 1.0 - prob[r])
        np.testing.assert_allclose(implied / k, w[r] / w[r].sum(), atol=1e-12)


def test_long_horizon_uses_wide_sort_keys():
    """A horizon long enough to overflow 32-bit sort keys still gives sorted, in-range events."""
    tiny = load_spec("tiny")
    rare = tuple(dataclasses.replace(e, rate_per_year=e.rate_per_year * 0.002) for e in tiny.events)
    spec = dataclasses.replace(tiny, horizon_months=4000, events=rare)  # 65,536 x 4,000 x 16 > 2**31
    pop = synthesize(spec, size=BLOCK_SIZE, seed=1)
    ev = pop.events
    assert ev["month"].between(0, 3999).all()
    key = (ev["person_id"].to_numpy() * 4000 + ev["month"].to_numpy()) * len(EVENT_KINDS) + ev["kind"].cat.codes.to_numpy()
    assert np.all(np.diff(key) >= 0)


def test_spec_without_base_events():
    spec = load_spec("tiny")
    spec = dataclasses.replace(spec, events=tuple(dataclasses.replace(e, rate_per_year=0.0) for e in spec.events))
    pop = synthesize(spec, size=500, seed=0)
    assert len(pop.events) == 0 and len(pop.people) == 500
