"""Fast paths of the scorers' row lookup give exactly what the plain definitions give.

``event_rows``/``person_rows`` find rows by subtraction when people ids are
consecutive. Each is checked against the definition written out here in
plain Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.population.model import PopulationView
from scorers._kernels import event_rows, person_rows


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
