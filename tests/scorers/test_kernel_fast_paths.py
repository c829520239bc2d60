"""Fast paths of the scorer kernel give exactly what the plain definitions give.

``top_reasons`` picks the ``k`` costliest reasons by repeated ``argmax``
instead of sorting each row; ``event_rows``/``person_rows`` find rows by
subtraction when people ids are consecutive. Each is checked against the
definition written out here in plain Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.population.model import PopulationView
from scorers._kernel import event_rows, person_rows, top_reasons

LABELS = tuple(f"r{i}" for i in range(19))


def reasons_by_definition(costs: np.ndarray, k: int, min_cost: float = 1e-9) -> list[tuple[str, ...]]:
    out = []
    for row in costs:
        ranked = sorted(range(len(row)), key=lambda j: (-row[j], j))[:k]  # costliest first, ties by label order
        out.append(tuple(LABELS[j] for j in ranked if row[j] > min_cost))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_top_reasons_match_the_definition(seed):
    rng = np.random.default_rng(seed)
    n, m, k = 300, int(rng.integers(1, 19)), int(rng.integers(1, 6))
    # few distinct values, so ties, zeros, negatives and infinities are common
    costs = rng.choice([0.0, -0.0, 1.0, 2.0, 2.0, -3.0, 1e-12, 7.5, np.inf, -np.inf], size=(n, m))
    got = top_reasons(costs, LABELS[:m], k)
    assert list(got) == reasons_by_definition(costs, k)


def test_top_reasons_with_nan_keep_sorting_semantics():
    costs = np.array([[np.nan, 2.0, 3.0], [1.0, np.nan, 0.0], [0.0, 0.0, 0.0]])
    # a stable descending sort puts NaN last; NaN is never "above" the minimum cost
    assert list(top_reasons(costs, LABELS[:3], 2)) == [("r2", "r1"), ("r0",), ()]


def view_of(ids) -> PopulationView:
    ids = np.asarray(ids)
    return PopulationView(
        people=pd.DataFrame({"person_id": ids}), events=pd.DataFrame({"person_id": ids[:0]}), ties=None, horizon_months=1
    )


def rows_by_definition(ids, query) -> list[int]:
    where = {int(p): i for i, p in enumerate(ids)}
    return [where.get(int(q), -1) if float(q).is_integer() else -1 for q in query]


@pytest.mark.parametrize(
    "ids",
    [
        np.arange(10, 20),  # consecutive: the fast path
        np.arange(0, 1),
        np.array([3, 4, 6, 7]),  # sorted with a gap
        np.array([9, 8, 7]),  # consecutive but decreasing
        np.array([5, 1, 3]),
    ],
)
def test_rows_match_the_definition(ids):
    query = np.array([-1, 0, 3, 4, 5, 7, 9, 10, 12, 19, 20, 25])
    expected = rows_by_definition(ids, query)
    view = view_of(ids)
    assert person_rows(view, query).tolist() == expected
    assert event_rows(view, pd.DataFrame({"person_id": query})).tolist() == expected
    assert person_rows(view, query.astype(float) + 0.5).tolist() == [-1] * len(query)
