"""Hypothesis strategies: what they draw is valid, and bad arguments fail at call time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from audit.population.model import Population, empty_events
from audit.population.spec import PopulationSpec, load_spec
from audit.testing.strategies import event_logs, population_specs, populations, scorer_params
from audit.vocab import EVENT_KINDS, KIND_DOMAIN, SOURCES
from scorers.joint_punishment import JointPunishment
from scorers.rongcheng import Rongcheng
from scorers.suining import Suining

FAST = settings(max_examples=20, deadline=None)

TINY = load_spec("tiny")
SMALL = Population.synthesize(TINY, size=12, seed=3)


# ----------------------------------------------------------------------------- specs


@FAST
@given(population_specs(max_horizon_months=24))
def test_population_specs_are_valid_specs(spec):
    assert isinstance(spec, PopulationSpec)
    assert 6 <= spec.horizon_months <= 24
    for shares in (spec.education_shares, spec.region_shares, spec.age.shares):
        assert min(shares) >= 0.0
        assert abs(sum(shares) - 1.0) <= 1e-6
    # the drawn spec keeps every event kind of the base, with rates scaled by at most 4
    base = {e.kind: e for e in TINY.events}
    for e in spec.events:
        assert 0.0 <= e.rate_per_year <= 4.0 * base[e.kind].rate_per_year + 1e-12
    assert max(spec.misrecord_by_source.values()) * max(spec.misrecord_education_multiplier) <= 1.0


@settings(max_examples=8, deadline=None)
@given(populations(population_specs(max_horizon_months=12), max_size=20))
def test_populations_from_drawn_specs_synthesize(pop):
    assert 1 <= len(pop) <= 20
    assert pop.horizon_months <= 12
    if len(pop.events):
        assert pop.events["month"].max() < pop.horizon_months


@FAST
@given(populations(min_size=3, max_size=15))
def test_populations_sizes_and_unique_ids(pop):
    assert 3 <= len(pop) <= 15
    ids = pop.people["person_id"].to_numpy()
    assert np.unique(ids).size == ids.size
    assert pop.synthetic and pop.spec.name == "tiny"


def test_populations_with_a_fixed_seed_are_reproducible():
    seen = []

    @settings(max_examples=5, deadline=None)
    @given(populations(max_size=8, seed=11))
    def collect(pop):
        seen.append(pop)

    collect()
    for pop in seen:
        again = Population.synthesize(TINY, size=len(pop), seed=11)
        pd.testing.assert_frame_equal(pop.people, again.people)


# ----------------------------------------------------------------------------- event logs


@FAST
@given(event_logs(SMALL, max_events=25))
def test_event_logs_are_valid_for_the_population(log):
    template = empty_events()
    assert list(log.columns) == list(template.columns)
    assert (log.dtypes == template.dtypes).all()
    assert set(log["person_id"]) <= set(SMALL.people["person_id"])
    assert log["month"].between(0, SMALL.horizon_months - 1).all()
    assert set(log["kind"].astype(str)) <= set(EVENT_KINDS)
    assert set(log["source"].astype(str)) <= set(SOURCES)
    assert (log["domain"].astype(str) == log["kind"].astype(str).map(KIND_DOMAIN)).all()
    assert (log["amount"] >= 0).all() and np.isfinite(log["amount"]).all()
    # (person, month, kind) order, as the generator writes logs
    key = list(zip(log["person_id"], log["month"], log["kind"].cat.codes))
    assert key == sorted(key)


@FAST
@given(event_logs(SMALL, min_events=2, max_events=6, kinds=("volunteering",), with_truth=False))
def test_event_logs_respect_kinds_counts_and_truth(log):
    assert 2 <= len(log) <= 6
    assert set(log["kind"].astype(str)) == {"volunteering"}
    assert "genuine" not in log.columns
    assert (log["amount"] <= 40.0).all()  # volunteering is in hours


@settings(max_examples=3, deadline=None)
@given(event_logs(dataclasses.replace(SMALL, people=SMALL.people.iloc[:0])))
def test_event_logs_of_an_empty_population_is_the_empty_log(log):
    assert log.empty and list(log.columns) == list(empty_events().columns)


# ----------------------------------------------------------------------------- scorer params


@pytest.mark.parametrize("scorer", [Suining(), Rongcheng(), JointPunishment()], ids=lambda s: s.name)
def test_scorer_params_are_accepted(scorer):
    @settings(max_examples=15, deadline=None)
    @given(scorer_params(scorer))
    def check(params):
        assert set(params) == set(scorer.default_params)
        variant = scorer.with_params(**params)
        assert dict(variant.params) == {**scorer.default_params, **params}

    check()


def test_scorer_params_fixed_and_from_a_registry_name():
    @settings(max_examples=10, deadline=None)
    @given(scorer_params("suining", fixed={"penalty_expiry_months": 24}))
    def check(params):
        assert params["penalty_expiry_months"] == 24

    check()


# ----------------------------------------------------------------------------- arguments fail at call time


@pytest.mark.parametrize(
    "call",
    [
        lambda: population_specs("no-such-spec"),
        lambda: population_specs(min_horizon_months=0),
        lambda: population_specs(min_horizon_months=10, max_horizon_months=5),
        lambda: population_specs(max_rate_factor=-1),
        lambda: populations(min_size=0),
        lambda: populations(max_size=10**9),
        lambda: populations(min_size=5, max_size=2),
        lambda: populations("no-such-spec"),
        lambda: populations(spec=42),
        lambda: populations(seed=-1),
        lambda: event_logs("not a population"),
        lambda: event_logs(SMALL, max_events=-1),
        lambda: event_logs(SMALL, kinds=("jaywalking",)),
        lambda: event_logs(SMALL, kinds=()),
        lambda: scorer_params(object()),
        lambda: scorer_params("no-such-scorer"),
        lambda: scorer_params(Suining(), fixed={"nonsense": 1}),
        lambda: scorer_params(Suining(), fixed={"penalty_expiry_months": 0}),
    ],
    ids=[
        "spec-name", "min-horizon", "horizon-order", "rate-factor", "min-size", "max-size", "size-order", "pop-spec-name",
        "pop-spec-type", "seed", "log-population", "max-events", "kind", "no-kinds", "not-a-scorer", "unknown-scorer",
        "fixed-unknown", "fixed-invalid",
    ],
)
def test_bad_arguments_raise_when_the_strategy_is_built(call):
    with pytest.raises(InvalidArgument):
        call()
