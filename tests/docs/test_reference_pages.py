"""What the documentation states about valid inputs is what the code accepts.

Checked through behaviour (reading tables with ``Population.from_table``) and
the built-in spec, not through internal constants, so the test holds however
the modules are arranged.
"""

from __future__ import annotations

import re
import tomllib

import pandas as pd
import pytest

from audit.population import Population
from tests.docs._examples import ROOT

POPULATIONS = (ROOT / "docs" / "populations.md").read_text(encoding="utf-8")
SPEC = tomllib.loads((ROOT / "fixtures" / "populations" / "china-2020.toml").read_text(encoding="utf-8"))


def _table_after(heading: str) -> list[list[str]]:
    """The rows of the first Markdown table after ``heading`` (header and rule left out)."""
    rest = POPULATIONS[POPULATIONS.index(heading):]
    rows = []
    for line in rest.splitlines()[1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows[2:]


def _codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


KINDS = [(_codes(kind)[0], domain, source) for kind, domain, source in _table_after("The event kinds, their conduct domain")]
PEOPLE = {_codes(row[0])[0]: row for row in _table_after("**People**")}
EVENTS = {_codes(row[0])[0]: row for row in _table_after("**Events**")}


def _people(n: int, **overrides: list) -> pd.DataFrame:
    frame = pd.DataFrame({
        "person_id": range(n), "age": [40] * n, "sex": ["female"] * n, "urban": [True] * n,
        "region": ["east"] * n, "income": [20_000.0] * n, "income_quintile": [3] * n,
        "education": ["tertiary"] * n,
    })
    for column, values in overrides.items():
        frame[column] = values
    return frame


def test_the_documented_kinds_are_every_kind_of_the_builtin_spec():
    assert sorted(k for k, _, _ in KINDS) == sorted(SPEC["events"])


def test_each_documented_kind_reads_with_its_documented_domain_and_usual_source():
    events = pd.DataFrame({"person_id": [0] * len(KINDS), "month": range(len(KINDS)), "kind": [k for k, _, _ in KINDS]})
    pop = Population.from_table(_people(1), events=events)
    read = pop.view().events.sort_values("month")
    assert list(zip(read["kind"].astype(str), read["domain"].astype(str), read["source"].astype(str))) == KINDS


def test_an_undocumented_kind_is_refused():
    events = pd.DataFrame({"person_id": [0], "month": [0], "kind": ["jaywalking"]})
    with pytest.raises(ValueError, match="kind"):
        Population.from_table(_people(1), events=events)


def test_every_documented_source_is_accepted_and_kept():
    sources = _codes(EVENTS["source"][2])
    events = pd.DataFrame({"person_id": [0] * len(sources), "month": range(len(sources)),
                           "kind": ["traffic_violation"] * len(sources), "source": sources})
    read = Population.from_table(_people(1), events=events).view().events.sort_values("month")
    assert list(read["source"].astype(str)) == sources
    with pytest.raises(ValueError, match="source"):
        Population.from_table(_people(1), events=events.assign(source="neighbour"))


def test_documented_people_values_are_accepted_and_others_refused():
    education = _codes(PEOPLE["education"][2])
    assert education == SPEC["education"]["levels"]
    n = len(education)
    Population.from_table(_people(n, education=education, sex=(_codes(PEOPLE["sex"][2]) * n)[:n],
                                  region=(_codes(PEOPLE["region"][2]) * n)[:n], income_quintile=[1, 2, 3, 5]))
    words = _codes(PEOPLE["urban"][2])
    truthy, falsy = words[:words.index("false")], words[words.index("false"):]
    read = Population.from_table(_people(len(words), urban=truthy + [w.upper() for w in falsy])).people
    assert list(read["urban"]) == [True] * len(truthy) + [False] * len(falsy)
    for column, bad in (("education", "secondary"), ("income_quintile", 6), ("urban", "maybe")):
        with pytest.raises(ValueError, match=column):
            Population.from_table(_people(1, **{column: [bad]}))


def test_the_synthetic_labels_documented_for_sex_and_region_are_the_generated_ones():
    people = Population.synthesize("tiny", size=2_000, seed=0).people
    assert sorted(people["sex"].astype(str).unique()) == sorted(_codes(PEOPLE["sex"][2])[:2])
    assert sorted(people["region"].astype(str).unique()) == sorted(_codes(PEOPLE["region"][2])[:4])


def test_the_spec_format_table_names_every_part_of_the_builtin_spec():
    rows = _table_after("## Spec format")
    documented = set()
    for row in rows:
        for code in _codes(row[0]):
            documented.add(code.strip("[]").split(".")[0].split(" ")[0])
    assert set(SPEC) <= documented
    events_keys = {k for kind in SPEC["events"].values() for k in kind}
    events_row = next(row for row in rows if "`[events.KIND]`" in row[0])
    assert events_keys <= set(_codes(events_row[1]))
