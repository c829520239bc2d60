"""Synthetic populations: marginals match the spec, generation is chunk-invariant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.population.model import EVENT_COLUMNS, PEOPLE_COLUMNS, iter_chunks, synthesize
from audit.population.spec import income_boundaries, load_spec
from audit.population.synth import BLOCK_SIZE
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN

SIZE = 150_000


@pytest.fixture(scope="module")
def spec():
    return load_spec("china-2020")


@pytest.fixture(scope="module")
def pop(spec):
    return synthesize(spec, size=SIZE, seed=7)


def _se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def test_columns_and_ids(pop):
    assert tuple(pop.people.columns[: len(PEOPLE_COLUMNS)]) == PEOPLE_COLUMNS
    assert "reliability" in pop.people.columns
    assert tuple(pop.events.columns[: len(EVENT_COLUMNS)]) == EVENT_COLUMNS
    np.testing.assert_array_equal(pop.people["person_id"].to_numpy(), np.arange(SIZE))
    assert pop.events["person_id"].between(0, SIZE - 1).all()


def test_view_hides_ground_truth(pop):
    view = pop.view()
    assert "reliability" not in view.people.columns
    assert "genuine" not in view.events.columns


def test_education_shares_match_census(pop, spec):
    shares = pop.people["education"].value_counts(normalize=True).reindex(list(EDUCATION_LEVELS)).to_numpy()
    for got, want in zip(shares, spec.education_shares):
        assert abs(got - want) < 5 * _se(want, SIZE)


def test_quintiles_are_fifths_and_income_means_match(pop, spec):
    shares = pop.people["income_quintile"].value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(shares, 0.2, atol=5 * _se(0.2, SIZE))
    means = pop.people.groupby("income_quintile", observed=True)["income"].mean().to_numpy()
    # uniform within each quintile: sd of the mean = width / sqrt(12 n)
    bounds = np.array(income_boundaries(spec.income))
    tol = 5 * (bounds[1:] - bounds[:-1]) / np.sqrt(12 * SIZE / 5)
    assert np.all(np.abs(means - np.array(spec.income.quintile_means)) < tol)
    # incomes sit inside their quintile's range
    q = pop.people["income_quintile"].to_numpy() - 1
    inc = pop.people["income"].to_numpy()
    assert np.all((inc >= bounds[q]) & (inc <= bounds[q + 1]))


def test_urban_and_sex_shares(pop, spec):
    assert abs(pop.people["urban"].mean() - spec.urban_share) < 5 * _se(spec.urban_share, SIZE)
    male = (pop.people["sex"] == "male").mean()
    assert abs(male - spec.male_share) < 5 * _se(spec.male_share, SIZE)


def test_ages_within_spec_bands(pop, spec):
    age = pop.people["age"].to_numpy()
    assert age.min() >= spec.age.edges[0] and age.max() < spec.age.edges[-1]
    band = np.searchsorted(spec.age.edges, age, side="right") - 1
    shares = np.bincount(band, minlength=len(spec.age.shares)) / SIZE
    for got, want in zip(shares, spec.age.shares):
        assert abs(got - want) < 5 * _se(want, SIZE)


def test_income_and_education_are_correlated(pop):
    q = pop.people["income_quintile"].to_numpy()
    e = pop.people["education"].cat.codes.to_numpy()
    assert np.corrcoef(q, e)[0, 1] > 0.2
    tertiary = pd.crosstab(pop.people["income_quintile"], pop.people["education"], normalize="index")["tertiary"]
    assert tertiary.loc[5] > 3 * tertiary.loc[1]


def test_event_rates_follow_the_spec(pop, spec):
    """Volunteering rises with education; loan arrears fall with income (spec slopes)."""
    ev = pop.events
    per_person = lambda kind, by: (  # noqa: E731
        ev[ev["kind"] == kind].merge(pop.people[["person_id", by]], on="person_id").groupby(by, observed=True).size()
        / pop.people.groupby(by, observed=True).size()
    )
    vol = per_person("volunteering", "education")
    assert vol.loc["tertiary"] > vol.loc["primary_or_less"]
    arrears = per_person("loan_arrears", "income_quintile")
    assert arrears.loc[1] > arrears.loc[5]
    # the reference person's expected count is rate * years; the population average is near it
    traffic = (ev["kind"] == "traffic_violation").sum() / SIZE
    expected = spec.event_spec("traffic_violation").rate_per_year * spec.horizon_months / 12
    assert 0.5 * expected < traffic < 2.0 * expected


def test_event_columns_are_consistent(pop, spec):
    ev = pop.events
    assert ev["month"].between(0, spec.horizon_months - 1).all()
    assert (ev["domain"].astype(str) == ev["kind"].astype(str).map(KIND_DOMAIN)).all()
    assert set(ev["kind"].cat.categories) == set(EVENT_KINDS)
    # follow-ups come after a default of the same person
    performed = ev[ev["kind"] == "judgment_performed"]
    first_default = ev[ev["kind"] == "court_judgment_default"].groupby("person_id")["month"].min()
    assert (performed["month"].to_numpy() > first_default.reindex(performed["person_id"]).to_numpy()).all()


def test_misrecorded_share_is_higher_for_citizen_reports(pop, spec):
    ev = pop.events
    wrong = 1 - ev.groupby("source", observed=True)["genuine"].mean()
    assert wrong.loc["citizen_report"] > wrong.loc["bank"] > wrong.loc["court"]
    # bank events: spec share times the mean education multiplier over bank events
    mult = np.array(spec.misrecord_education_multiplier)
    bank = ev[ev["source"] == "bank"].merge(pop.people[["person_id", "education"]], on="person_id")
    expected = spec.misrecord_by_source["bank"] * mult[bank["education"].cat.codes.to_numpy()].mean()
    assert abs((~bank["genuine"]).mean() - expected) < 5 * _se(expected, len(bank))


def test_ties_are_homophilous_and_within_blocks(pop):
    ties = pop.ties
    assert (ties["person_id"] != ties["friend_id"]).all()
    assert (ties["person_id"] // BLOCK_SIZE == ties["friend_id"] // BLOCK_SIZE).all()
    q = pop.people.set_index("person_id")["income_quintile"]
    same = (q.loc[ties["person_id"]].to_numpy() == q.loc[ties["friend_id"]].to_numpy()).mean()
    assert same > 0.4  # random pairing would give 0.2


@pytest.mark.parametrize("chunk_size", [BLOCK_SIZE, 2 * BLOCK_SIZE, 10**7])
def test_same_population_whatever_the_chunk_size(chunk_size):
    size = 2 * BLOCK_SIZE + 1234
    whole = synthesize("tiny", size=size, seed=3)
    parts = list(iter_chunks("tiny", size=size, seed=3, chunk_size=chunk_size))
    for name in ("people", "events", "ties"):
        joined = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        assert_identical(joined, getattr(whole, name))


def assert_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Column-by-column equality of values and dtypes (fast on categoricals)."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        assert a[col].dtype == b[col].dtype, col
        if isinstance(a[col].dtype, pd.CategoricalDtype):
            np.testing.assert_array_equal(a[col].cat.codes.to_numpy(), b[col].cat.codes.to_numpy(), err_msg=col)
        else:
            np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy(), err_msg=col)


def test_seed_changes_population():
    a = synthesize("tiny", size=1000, seed=1)
    b = synthesize("tiny", size=1000, seed=2)
    assert not a.people["income"].equals(b.people["income"])
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == synthesize("tiny", size=1000, seed=1).fingerprint()


def test_a_drawn_chunk_leaves_no_work_arrays_behind():
    """The blocks' work arrays are reused within a chunk and freed once it is drawn (they would sit beside its scoring).

    Freeing them changes no draw: the same population, drawn twice in one thread.
    """
    from audit.population.synth import blocks

    first = synthesize("tiny", size=3 * BLOCK_SIZE // 2, seed=4)
    assert blocks._SCRATCH.arrays == {}
    again = synthesize("tiny", size=3 * BLOCK_SIZE // 2, seed=4)
    for table in ("people", "events", "ties"):
        pd.testing.assert_frame_equal(getattr(first, table), getattr(again, table))
