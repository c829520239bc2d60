"""The Poisson bootstrap on merged counts: equivalence, coverage, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from audit.disparity.bootstrap import PoissonBootstrap, coarsen_values, percentile_interval
from audit.disparity.group_stats import rate, ratio_to_best


def test_poisson_of_a_count_is_the_sum_of_per_person_poisson_weights():
    # 40 favourable and 60 unfavourable people: weighting each person by Poisson(1) and summing
    # per category must give the same distribution of the rate as drawing Poisson(count) per category
    rng = np.random.default_rng(0)
    b = 20_000
    w = rng.poisson(1.0, size=(b, 100))
    per_person = w[:, :40].sum(axis=1) / w.sum(axis=1)
    drawn = PoissonBootstrap(seed=1, replicates=b).draw(np.array([40, 60]), "t")
    per_count = drawn[:, 0] / drawn.sum(axis=1)
    assert per_count.mean() == pytest.approx(per_person.mean(), abs=0.003)
    assert per_count.std() == pytest.approx(per_person.std(), rel=0.03)
    for q in (0.025, 0.5, 0.975):
        assert np.quantile(per_count, q) == pytest.approx(np.quantile(per_person, q), abs=0.01)


@pytest.mark.parametrize("p", [0.3, 0.05])
def test_rate_interval_coverage_is_near_95_percent(p):
    # a population with a known true rate: 400 independent samples of 2,000 people
    rng = np.random.default_rng(42)
    n, reps = 2000, 400
    hits = 0
    for i in range(reps):
        yes = rng.binomial(n, p)
        drawn = PoissonBootstrap(seed=i, replicates=400).draw(np.array([yes, n - yes]), "coverage")
        lo, hi = percentile_interval(rate(drawn[:, 0], drawn.sum(axis=1)))
        hits += lo <= p <= hi
    assert 0.92 <= hits / reps <= 0.98


def test_impact_ratio_interval_coverage_is_near_95_percent():
    # two groups with true favourable rates 0.30 and 0.36: true impact ratio 5/6
    rng = np.random.default_rng(9)
    n, reps, truth = 3000, 300, 0.30 / 0.36
    hits = 0
    eligible = np.array([True, True])
    for i in range(reps):
        yes = rng.binomial(n, [0.30, 0.36])
        drawn = PoissonBootstrap(seed=i, replicates=400).draw(np.stack([yes, n - yes]), "coverage")  # (B, 2, G)
        ratios = ratio_to_best(rate(drawn[:, 0], drawn[:, 0] + drawn[:, 1]), eligible)
        lo, hi = percentile_interval(ratios[:, 0])
        hits += lo <= truth <= hi
    assert 0.91 <= hits / reps <= 0.98


def test_draws_are_seeded_per_stream():
    counts = np.array([[5, 50], [500, 5000]])
    a = PoissonBootstrap(seed=3, replicates=10)
    assert np.array_equal(a.draw(counts, "x"), a.draw(counts, "x"))
    assert not np.array_equal(a.draw(counts, "x"), a.draw(counts, "y"))
    assert not np.array_equal(a.draw(counts, "x"), PoissonBootstrap(seed=4, replicates=10).draw(counts, "x"))
    assert a.draw(counts, "x").shape == (10, 2, 2)
    assert PoissonBootstrap(seed=3, replicates=0).draw(counts, "x").shape == (0, 2, 2)


def test_percentile_interval_ignores_undefined_replicates():
    reps = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan], [np.nan, np.nan], [4.0, np.nan], [5.0, np.nan]])
    lo, hi = percentile_interval(reps)
    finite = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert lo[0] == pytest.approx(np.percentile(finite, 2.5)) and hi[0] == pytest.approx(np.percentile(finite, 97.5))
    assert np.isnan(lo[1]) and np.isnan(hi[1])


def test_coarsening_keeps_totals_order_and_atoms():
    rng = np.random.default_rng(5)
    values = np.unique(np.r_[np.round(rng.normal(950, 30, 4000), 2), 1000.0])
    table = rng.integers(0, 3, (values.size, 6))
    table[values == 1000.0] = 4000  # an atom: most people score exactly 1000
    v, t = coarsen_values(values, table, 100)
    assert t.shape[0] <= 3 * 100 and t.shape[1] == 6
    assert np.array_equal(t.sum(axis=0), table.sum(axis=0))
    assert np.all(np.diff(v) > 0)
    assert 1000.0 in v and t[v == 1000.0].sum() == table[values == 1000.0].sum()
    assert (v * t.sum(axis=1)).sum() == pytest.approx((values * table.sum(axis=1)).sum(), rel=1e-12)
    small_v, small_t = coarsen_values(values[:50], table[:50], 100)
    assert small_v is not None and np.array_equal(small_t, table[:50])
