"""A supplied population's events: the months they span are recorded and shown, never a placeholder horizon.

A supplied table without events gets ``horizon_months`` 1 (the engine needs a horizon), which the
report once showed as "horizon (months of events): 1". ``population.event_months`` records the
first and last month of the supplied events; the report shows that span, or no row without events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.population.model import Population
from audit.population.source import open_source
from audit.report.build import about_section
from audit.vocab import EVENT_KINDS
from tests.audit.report.documents import whole_results

PEOPLE = pd.DataFrame({"person_id": np.arange(1, 7), "race": list("ABABAB")})


def _facts(population: dict) -> dict[str, str]:
    doc = whole_results({"population": {"synthetic": False, "seed": None, "source": "people.csv", **population}})
    return {label: c.text for label, c in about_section(doc).blocks[0].items}


def test_the_span_of_the_supplied_events_is_recorded():
    months = np.array([4, 17, 9, 22, 4])
    events = pd.DataFrame({"person_id": [1, 2, 3, 4, 5], "month": months, "kind": [EVENT_KINDS[0]] * 5})
    described = open_source(Population.from_table(PEOPLE, events=events)).describe()
    assert described["event_months"] == [int(months.min()), int(months.max())]
    without = open_source(Population.from_table(PEOPLE)).describe()
    assert without["event_months"] is None and without["horizon_months"] == 1


def test_the_report_shows_the_span_or_no_row():
    with_events = _facts({"horizon_months": 31, "event_months": [4, 30]})
    assert with_events["months of supplied events"] == "month 4 to 30 (27 months)"
    assert "horizon (months of events)" not in with_events
    without = _facts({"horizon_months": 1, "event_months": None})
    assert not {"months of supplied events", "horizon (months of events)"} & set(without)
    # a synthetic population keeps its spec's horizon
    synthetic = {label: c.text for label, c in about_section(whole_results({})).blocks[0].items}
    assert synthetic["horizon (months of events)"] == "36"
