"""Fuzz: a corrupted supplied table gives a valid population or an AuditError — nothing else.

Each example corrupts small valid people, events and ties tables (odd cell values,
whole columns of junk, dropped, renamed or repeated columns, other dtypes, no rows)
and passes them as DataFrames, CSV files (any separator, with or without a BOM)
or Parquet files. A population that loads must satisfy every documented invariant.
"""

from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.errors import AuditError, InvalidTable
from audit.population.model import load_population
from audit.vocab import EDUCATION_LEVELS

PEOPLE = pd.DataFrame(
    {
        "person_id": [1, 2, 3, 4],
        "age": [34, 51, 29, 45],
        "sex": ["female", "male", "female", "male"],
        "urban": [True, False, True, False],
        "region": ["east", "west", "east", "central"],
        "income": [12000.0, 56000.0, 8000.0, 30000.0],
        "income_quintile": [2, 5, 1, 3],
        "education": ["junior_secondary", "tertiary", "primary_or_less", "senior_secondary"],
    }
)
EVENTS = pd.DataFrame({"person_id": [1, 2, 3], "month": [3, 5, 0], "kind": ["drunk_driving", "volunteering", "loan_arrears"]})
TIES = pd.DataFrame({"person_id": [1, 2], "friend_id": [2, 3]})

_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.text(max_size=4),
    st.booleans(),
    st.none(),
    st.just(pd.NA),
    st.sampled_from(["tertiary", "east", "drunk_driving", "police", "1", "true", "-0", "1e3", " ", ";", "nan"]),
    st.datetimes(),
    st.lists(st.integers(), max_size=1),
    st.complex_numbers(max_magnitude=2),
)


@st.composite
def corrupted(draw, base: pd.DataFrame) -> pd.DataFrame:
    df = base.copy()
    for _ in range(draw(st.integers(0, 3))):
        if not len(df.columns):
            break
        col = draw(st.sampled_from(list(df.columns)))
        op = draw(st.sampled_from(["cell", "column", "drop", "rename", "dtype", "rows", "repeat", "extra"]))
        if op == "cell" and len(df):
            df[col] = df[col].astype(object)
            df.iat[draw(st.integers(0, len(df) - 1)), list(df.columns).index(col)] = draw(_cells)
        elif op == "column":
            values = draw(st.lists(_cells, min_size=len(df), max_size=len(df)))
            try:
                df[col] = pd.Series(values, index=df.index, dtype=object)
            except ValueError:  # a repeated column name: leave it
                pass
        elif op == "drop":
            df = df.drop(columns=[col])
        elif op == "rename":
            new = draw(st.sampled_from([str(col).upper(), f"{col} ", f"\ufeff{col}", str(col)[:-1], 0, ""]))
            df = df.rename(columns={col: new})
        elif op == "dtype":
            try:
                df[col] = df[col].astype(draw(st.sampled_from(["category", "object", "string", "float32", "Int64", "bool"])))
            except (TypeError, ValueError):
                pass
        elif op == "rows":
            df = df.iloc[draw(st.sampled_from([slice(0, 0), slice(0, 1), slice(None, None, -1)]))]
        elif op == "repeat":
            df = pd.concat([df, df[[col]]], axis=1)
        else:
            df["unused"] = 1
    return df


def _put(frame: pd.DataFrame | None, directory: str, name: str, how: str, sep: str, bom: bool):
    if frame is None or how == "dataframe":
        return frame
    text = frame.to_csv(index=False, sep=sep).encode()
    path = os.path.join(directory, f"{name}.{'csv' if how == 'csv' else 'parquet'}")
    if how == "parquet":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # mixed-type column names: pyarrow warns and converts
                frame.to_parquet(path)
            return path
        except Exception:  # noqa: BLE001 - pyarrow cannot store it: write CSV bytes under a .parquet name
            pass
    with open(path, "wb") as fh:
        fh.write((b"\xef\xbb\xbf" if bom else b"") + text)
    return path


def _assert_valid(pop, horizon) -> None:
    people = pop.people
    ids = people["person_id"].to_numpy()
    assert len(ids) >= 1 and (np.diff(ids) > 0).all()  # sorted, unique
    # a standard column a corrupted header lost is absent (only person_id is required); one present is checked
    assert "age" not in people or people["age"].between(0, 130).all()
    if "income" in people:
        inc = people["income"].to_numpy()
        assert np.isfinite(inc).all() and (inc >= 0).all()
    assert "income_quintile" not in people or people["income_quintile"].between(1, 5).all()
    assert "education" not in people or list(people["education"].cat.categories) == list(EDUCATION_LEVELS)
    ev = pop.events
    assert np.isin(ev["person_id"].to_numpy(), ids).all()
    assert ev["month"].between(0, pop.horizon_months - 1).all()
    assert horizon is None or pop.horizon_months == horizon
    assert np.isfinite(ev["amount"].to_numpy()).all() and (ev["amount"].to_numpy() >= 0).all()
    assert np.isin(pop.ties["person_id"].to_numpy(), ids).all() and np.isin(pop.ties["friend_id"].to_numpy(), ids).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    corrupted(PEOPLE),
    st.one_of(st.none(), corrupted(EVENTS)),
    st.one_of(st.none(), corrupted(TIES)),
    st.sampled_from(["dataframe", "csv", "parquet"]),
    st.sampled_from([",", ";", "\t", "|"]),
    st.booleans(),
    st.one_of(st.none(), st.integers(-2, 40)),
)
def test_corrupted_tables_load_or_raise_an_audit_error(people, events, ties, how, sep, bom, horizon):
    with tempfile.TemporaryDirectory() as d:
        args = {
            "events": _put(events, d, "events", how, sep, bom),
            "ties": _put(ties, d, "ties", how, sep, bom),
            "horizon_months": horizon,
        }
        try:
            pop = load_population(_put(people, d, "people", how, sep, bom), **args)
        except InvalidTable as exc:
            message = str(exc)
            assert "Fix" in message or "fix" in message, message
            return
        except AuditError:
            return
    _assert_valid(pop, horizon)


def test_a_list_in_a_label_column_is_named():
    people = PEOPLE.astype({"region": object})
    people.at[2, "region"] = ["east", "west"]
    with pytest.raises(InvalidTable, match=r"column 'region', data row 3 \(person_id 3\): not a single value"):
        load_population(people)


def test_complex_incomes_count_only_when_real():
    people = PEOPLE.astype({"income": complex})
    assert load_population(people).people["income"].tolist() == [12000.0, 56000.0, 8000.0, 30000.0]
    people.loc[1, "income"] = 56000 + 1j
    with pytest.raises(InvalidTable, match=r"column 'income', data row 2 \(person_id 2\): not a number"):
        load_population(people)


@st.composite
def valid_tables(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Valid but odd supplied data: one person, a single group, markup in labels, no events."""
    n = draw(st.integers(1, 30))
    ids = draw(st.lists(st.integers(-(10**12), 10**12), min_size=n, max_size=n, unique=True))
    label = st.sampled_from(["east", "west", "[bold]north[/]", "<b>south</b>", "../up", "中部"])
    people = pd.DataFrame(
        {
            "person_id": ids,
            "age": draw(st.lists(st.integers(0, 130), min_size=n, max_size=n)),
            "sex": draw(st.lists(st.sampled_from(["female", "male", "other"]), min_size=n, max_size=n)),
            "urban": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "region": draw(st.lists(label, min_size=n, max_size=n)),
            "income": draw(st.lists(st.floats(0, 1e7), min_size=n, max_size=n)),
            "income_quintile": draw(st.lists(st.sampled_from([1, 1, 5, 3]), min_size=n, max_size=n)),
            "education": draw(st.lists(st.sampled_from(EDUCATION_LEVELS), min_size=n, max_size=n)),
        }
    )
    m = draw(st.integers(0, 40))
    from audit.vocab import EVENT_KINDS

    events = pd.DataFrame(
        {
            "person_id": draw(st.lists(st.sampled_from(ids), min_size=m, max_size=m)),
            "month": draw(st.lists(st.integers(0, 11), min_size=m, max_size=m)),
            "kind": draw(st.lists(st.sampled_from(EVENT_KINDS), min_size=m, max_size=m)),
        }
    )
    return people, events


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_tables(), st.sampled_from([(), ("region",), ("sex", "urban")]))
def test_odd_but_valid_supplied_data_survives_a_run_with_every_audit(tables, by):
    from audit.engine.contract import AuditOptions
    from audit.results.document import results_document
    from audit.runner import RunConfig, run
    from scorers.registry import load_scorer
    from tests.audit.faulty_scorers import Plain

    people, events = tables
    pop = load_population(people, events=events, horizon_months=12)
    result = run([Plain(), load_scorer("suining")], RunConfig(population=pop, options=AuditOptions(by=by, bootstrap=50)))
    assert result.failed == []
    for r in result.runs:
        assert sum(r.sections["tier_shares"].values()) == pytest.approx(1.0)
        groups = r.sections["disparity"]["income_quintile"]["groups"]
        assert sum(g["n"] for g in groups) == len(people)
    import json

    json.dumps(results_document(result), allow_nan=False)
