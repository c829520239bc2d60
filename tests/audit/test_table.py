"""Tests of audit.population.table: loading and validating a supplied population."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from audit.errors import InvalidArgument, InvalidTable
from audit.population.model import Population, empty_events, empty_ties, load_population, synthesize
from audit.population.table import DEFAULT_SOURCE
from audit.vocab import EVENT_KINDS, KIND_DOMAIN, SOURCES


@pytest.fixture(scope="module")
def pop() -> Population:
    return synthesize("tiny", size=300, seed=7)


def _people_csv(pop: Population, path: Path, edit=None, **kw) -> Path:
    """Write the people of ``pop`` as CSV, after ``edit(frame)`` on an object-typed copy."""
    frame = pop.people.drop(columns="reliability").astype(object)
    if edit is not None:
        frame = edit(frame)
    frame.to_csv(path, index=False, **kw)
    return path


def _set(row: int, column: str, value):
    """An edit that puts ``value`` in 0-based ``row`` of ``column``."""

    def edit(frame):
        frame.loc[row, column] = value
        return frame

    return edit


def _raises(fn, *parts: str, error=InvalidTable) -> str:
    with pytest.raises(error) as info:
        fn()
    message = str(info.value)
    for part in parts:
        assert part in message, f"{part!r} not in: {message}"
    return message


def _sorted_categories(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].cat.reorder_categories(sorted(out[column].cat.categories))
    return out


# ----------------------------------------------------------------- round trips


def test_csv_round_trip_equals_synthesized(pop, tmp_path):
    people = _people_csv(pop, tmp_path / "people.csv")
    pop.events.drop(columns="genuine").to_csv(tmp_path / "events.csv", index=False)
    pop.ties.to_csv(tmp_path / "ties.csv", index=False)
    got = load_population(people, events=tmp_path / "events.csv", ties=tmp_path / "ties.csv", horizon_months=pop.horizon_months)

    want = _sorted_categories(pop.people, "region").assign(reliability=np.nan)  # CSV keeps no category order
    pd.testing.assert_frame_equal(got.people, want, check_exact=True)
    pd.testing.assert_frame_equal(got.events, pop.events.assign(genuine=True), check_exact=True)
    pd.testing.assert_frame_equal(got.ties, pop.ties)
    assert got.horizon_months == pop.horizon_months
    assert (got.synthetic, got.spec, got.seed, got.source) == (False, None, None, str(people))


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_parquet_round_trip_equals_synthesized(pop, tmp_path, suffix):
    pop.people.drop(columns="reliability").to_parquet(tmp_path / f"people{suffix}", index=False)
    pop.events.drop(columns="genuine").to_parquet(tmp_path / f"events{suffix}", index=False)
    pop.ties.to_parquet(tmp_path / f"ties{suffix}", index=False)
    got = load_population(
        tmp_path / f"people{suffix}", events=tmp_path / f"events{suffix}", ties=tmp_path / f"ties{suffix}",
        horizon_months=pop.horizon_months,
    )
    pd.testing.assert_frame_equal(got.people, pop.people.assign(reliability=np.nan), check_exact=True)
    pd.testing.assert_frame_equal(got.events, pop.events.assign(genuine=True), check_exact=True)
    pd.testing.assert_frame_equal(got.ties, pop.ties)


def test_gzipped_csv_and_dataframes_load_the_same(pop, tmp_path):
    _people_csv(pop, tmp_path / "people.csv.gz")
    from_gz = load_population(tmp_path / "people.csv.gz")
    from_df = load_population(pop.people.drop(columns="reliability"))
    pd.testing.assert_frame_equal(_sorted_categories(from_df.people, "region"), from_gz.people)
    assert from_df.source == "dataframe"
    pd.testing.assert_frame_equal(from_df.people, pop.people.assign(reliability=np.nan))


def test_from_table_delegates(pop):
    got = Population.from_table(pop.people, events=pop.events, ties=pop.ties)
    pd.testing.assert_frame_equal(got.events, pop.events.assign(genuine=True))
    assert got.horizon_months == int(pop.events["month"].max()) + 1


def test_bom_and_semicolon_separator_are_accepted(pop, tmp_path):
    path = _people_csv(pop, tmp_path / "people.csv", sep=";", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfperson_id;age;")
    got = load_population(path)
    pd.testing.assert_frame_equal(got.people, _sorted_categories(pop.people, "region").assign(reliability=np.nan))


def test_bom_semicolon_file_that_needs_the_fallback_parser(pop, tmp_path):
    # A ragged short row makes the fast parser give up; the fallback must still
    # skip the BOM and split on ';'.
    path = _people_csv(pop, tmp_path / "people.csv", sep=";", encoding="utf-8-sig")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("9999;40\n")
    # a blank sex is unknown (audited as such); the first refused column of the short row is urban
    _raises(lambda: load_population(path), str(path), "column 'urban'", "data row 301", "(person_id 9999)", "1 of 301 rows")


def test_people_are_sorted_and_the_input_is_not_changed(pop):
    shuffled = pop.people.drop(columns="reliability").sample(frac=1.0, random_state=1)
    before = shuffled.copy()
    got = load_population(shuffled)
    pd.testing.assert_frame_equal(got.people, pop.people.assign(reliability=np.nan))
    pd.testing.assert_frame_equal(shuffled, before)


def test_flexible_value_spellings(pop):
    people = pop.people.drop(columns="reliability").astype(object)
    people["urban"] = np.where(pop.people["urban"], "TRUE", "no")
    people["age"] = pop.people["age"].astype(float)
    people["education"] = people["education"].astype(str)
    got = load_population(people)
    pd.testing.assert_frame_equal(got.people, pop.people.assign(reliability=np.nan), check_categorical=False)
    people["urban"] = pop.people["urban"].astype(int)
    assert load_population(people).people["urban"].equals(pop.people["urban"])


# ----------------------------------------------------------------- renaming


def test_column_renaming(pop, tmp_path):
    theirs = {"person_id": "id", "income": "yearly_income", "education": "edu"}
    frame = pop.people.drop(columns="reliability").rename(columns={v: k for k, v in theirs.items()} | {k: v for k, v in theirs.items()})
    frame.to_parquet(tmp_path / "people.parquet", index=False)
    pop.events.rename(columns={"person_id": "id"}).to_parquet(tmp_path / "events.parquet", index=False)
    got = load_population(tmp_path / "people.parquet", events=tmp_path / "events.parquet", columns=theirs)
    pd.testing.assert_frame_equal(got.people, pop.people.assign(reliability=np.nan))
    pd.testing.assert_frame_equal(got.events, pop.events.assign(genuine=True))


def test_renamed_column_is_named_both_ways_in_errors(pop):
    frame = pop.people.drop(columns="reliability").rename(columns={"income": "yearly_income"})
    frame.loc[4, "yearly_income"] = -1.0
    _raises(
        lambda: load_population(frame, columns={"income": "yearly_income"}),
        "<DataFrame people>", "'yearly_income' (read as 'income')", "data row 5", "1 of 300 rows",
    )


def test_unknown_rename_key_suggests_ours(pop):
    _raises(lambda: load_population(pop.people, columns={"incme": "x"}), "'incme'", "did you mean 'income'?", error=InvalidArgument)


def test_missing_renamed_column(pop):
    frame = pop.people.drop(columns="income")
    _raises(lambda: load_population(frame, columns={"income": "salary"}), "<DataFrame people>", "'salary'", "'income'")
    # A rename whose column is absent is ignored when the table already uses our name.
    assert load_population(pop.people, columns={"income": "salary"}).people["income"].equals(pop.people["income"])


def test_a_standard_column_under_another_name_is_kept_as_an_extra_column(pop, tmp_path):
    path = _people_csv(pop, tmp_path / "people.csv", edit=lambda f: f.rename(columns={"income_quintile": "income_quintle"}))
    got = load_population(path).people
    assert "income_quintile" not in got.columns
    assert got["income_quintle"].tolist() == pop.people["income_quintile"].tolist()


# ----------------------------------------------------------------- bad people


BAD_PEOPLE = [
    # (row (0-based), column, value, words expected in the message)
    (2, "age", "abc", "not a number"),
    (2, "age", 30.5, "not a whole number"),
    (2, "age", 131, "from 0 to 130"),
    (2, "age", None, "empty cell"),
    (2, "income", None, "empty cell"),
    (2, "income", "inf", "not a finite number"),
    (2, "income", -5.0, ">= 0"),
    (2, "income", "12k", "not a number"),
    (2, "income_quintile", 6, "from 1 to 5"),
    (2, "education", "Tertiary", "did you mean 'tertiary'?"),
    (2, "urban", "maybe", "true/false or 1/0"),
]


@pytest.mark.parametrize(("row", "column", "value", "words"), BAD_PEOPLE, ids=[f"{c}={v!r}" for _, c, v, _ in BAD_PEOPLE])
@pytest.mark.parametrize("kind", ["csv", "dataframe"])
def test_bad_people_value(pop, tmp_path, row, column, value, words, kind):
    def edit(frame):
        frame.loc[row, column] = value
        frame.loc[row + 5, column] = value  # a second affected row
        return frame

    if kind == "csv":
        source, label = _people_csv(pop, tmp_path / "people.csv", edit=edit), str(tmp_path / "people.csv")
    else:
        source, label = edit(pop.people.drop(columns="reliability").astype(object)), "<DataFrame people>"
    pid = int(pop.people["person_id"].iloc[row])
    _raises(
        lambda: load_population(source), label, f"column '{column}'", f"data row {row + 1} (person_id {pid})", words,
        "2 of 300 rows affected", "Fix:",
    )


def test_bad_person_id(pop, tmp_path):
    path = _people_csv(pop, tmp_path / "people.csv", edit=_set(9, "person_id", "p9"))
    _raises(lambda: load_population(path), str(path), "column 'person_id'", "data row 10", "not a number", "1 of 300 rows")


def test_duplicate_person_ids(pop, tmp_path):
    path = _people_csv(pop, tmp_path / "people.csv", edit=_set(7, "person_id", 3))
    _raises(
        lambda: load_population(path), str(path), "column 'person_id'", "data row 8", "already appears in data row 4",
        "1 of 300 rows", "2 rows share an id",
    )


def test_boolean_column_is_the_wrong_type(pop):
    frame = pop.people.drop(columns="reliability").assign(age=True)
    _raises(lambda: load_population(frame), "<DataFrame people>", "column 'age'", "data row 1", "true/false", "300 of 300 rows")


def test_late_bad_value_falls_back_to_the_full_parser(tmp_path):
    # The fast parser infers types from the first block, then fails on 'x'.
    n = 200_000
    frame = pd.DataFrame(
        {
            "person_id": np.arange(n), "age": 30, "sex": "female", "urban": True, "region": "east",
            "income": 1000.0, "income_quintile": 1, "education": "tertiary",
        }
    ).astype({"age": object})
    frame.loc[n - 2, "age"] = "x"
    frame.to_csv(tmp_path / "people.csv", index=False)
    _raises(lambda: load_population(tmp_path / "people.csv"), "column 'age'", f"data row {n - 1} (person_id {n - 2})", "1 of 200000")


# ----------------------------------------------------------------- bad files


def test_empty_file(tmp_path):
    (tmp_path / "people.csv").write_bytes(b"")
    _raises(lambda: load_population(tmp_path / "people.csv"), str(tmp_path / "people.csv"), "empty", "Fix:")


def test_header_only_people(pop, tmp_path):
    path = tmp_path / "people.csv"
    pop.people.drop(columns="reliability").head(0).to_csv(path, index=False)
    _raises(lambda: load_population(path), str(path), "no data rows", "Fix:")


@pytest.mark.parametrize("damage", ["truncated", "not_parquet", "zero_bytes"])
def test_corrupt_parquet(pop, tmp_path, damage):
    path = tmp_path / "people.parquet"
    pop.people.to_parquet(path, index=False)
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "not_parquet": b"person_id,age\n1,2\n", "zero_bytes": b""}[damage])
    _raises(lambda: load_population(path), str(path), "cannot be read as Parquet", "Fix:")


def test_ragged_csv(pop, tmp_path):
    path = _people_csv(pop, tmp_path / "people.csv")
    with path.open("a") as fh:
        fh.write("1,2,3,4,5,6,7,8,9,10\n")
    _raises(lambda: load_population(path), str(path), "cannot be parsed as CSV", "Fix:")


def test_not_utf8(pop, tmp_path):
    path = _people_csv(pop, tmp_path / "people.csv", edit=_set(1, "region", "华东"), encoding="gb18030")
    _raises(lambda: load_population(path), str(path), "not UTF-8", "Fix:")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(b"person_id,age\n1,2\n")[:12])
    _raises(lambda: load_population(path), str(path), "Fix:")


def test_unknown_suffix_missing_file_and_wrong_type(tmp_path):
    _raises(lambda: load_population(tmp_path / "people.xlsx"), "people.xlsx", ".parquet")
    _raises(lambda: load_population(tmp_path / "nobody.csv"), "nobody.csv", "no such file")
    _raises(lambda: load_population(42), "DataFrame", error=InvalidArgument)


def test_repeated_header(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("person_id,age,age\n1,2,3\n")
    _raises(lambda: load_population(path), str(path), "'age' more than once")


# ----------------------------------------------------------------- events


def test_events_defaults_for_source_amount_and_horizon(pop):
    kinds = ["loan_arrears", "court_judgment_default", "volunteering"]
    events = pd.DataFrame({"person_id": [5, 2, 2], "month": [3, 7, 7], "kind": kinds})
    got = load_population(pop.people, events=events)
    assert got.horizon_months == 8
    assert got.events["person_id"].tolist() == [2, 2, 5]
    assert got.events["kind"].tolist() == ["court_judgment_default", "volunteering", "loan_arrears"]
    assert got.events["source"].tolist() == ["court", "platform", "bank"]
    assert got.events["domain"].tolist() == ["judicial", "civic", "finance"]
    assert got.events["amount"].tolist() == [0.0, 0.0, 0.0]
    assert got.events["genuine"].all()
    pd.testing.assert_frame_equal(got.events.head(0), empty_events())
    assert set(DEFAULT_SOURCE) == set(EVENT_KINDS) and set(DEFAULT_SOURCE.values()) <= set(SOURCES)

    events["source"] = [None, "citizen_report", None]
    events["amount"] = [None, 1.5, 2.0]
    got = load_population(pop.people, events=events, horizon_months=10)
    assert got.horizon_months == 10
    assert got.events["source"].tolist() == ["citizen_report", "platform", "bank"]
    assert got.events["amount"].tolist() == [1.5, 2.0, 0.0]


def test_no_events_and_no_ties(pop):
    got = load_population(pop.people)
    assert got.horizon_months == 1
    pd.testing.assert_frame_equal(got.events, empty_events())
    pd.testing.assert_frame_equal(got.ties, empty_ties())


def test_header_only_events_file(pop, tmp_path):
    pop.events.head(0).to_csv(tmp_path / "events.csv", index=False)
    got = load_population(pop.people, events=tmp_path / "events.csv", horizon_months=12)
    assert len(got.events) == 0 and got.horizon_months == 12


BAD_EVENTS = [
    ("kind", "drunk_drivng", {}, "did you mean 'drunk_driving'?"),
    ("person_id", 10_000, {}, "no person with this id in the people table <DataFrame people>"),
    ("month", -1, {}, "from 0 to"),
    ("month", 24, {"horizon_months": 24}, "outside horizon_months=24"),
    ("domain", "civic", {}, "does not match kind"),
    ("source", "gossip", {}, "not a source"),
    ("amount", -3.0, {}, ">= 0"),
]


@pytest.mark.parametrize(("column", "value", "kw", "words"), BAD_EVENTS, ids=[f"{c}={v!r}" for c, v, _, _ in BAD_EVENTS])
def test_bad_events(pop, tmp_path, column, value, kw, words):
    frame = pop.events.drop(columns="genuine").astype(object)
    frame.loc[[4, 9], column] = value
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    pid = "" if column == "person_id" else f" (person_id {int(pop.events['person_id'].iloc[4])})"
    if column == "domain":
        assert KIND_DOMAIN[pop.events["kind"].iloc[4]] != "civic" or pytest.skip("row 5 is already civic")
    _raises(
        lambda: load_population(pop.people, events=path, **kw),
        str(path), f"column '{column}'", f"data row 5{pid}", words, f"2 of {len(frame)} rows affected", "Fix:",
    )


def test_missing_event_column(pop):
    events = pop.events.drop(columns=["kind", "genuine"]).rename(columns={"domain": "kinds"})
    _raises(lambda: load_population(pop.people, events=events), "<DataFrame events>", "'kind'")


# ----------------------------------------------------------------- ties and arguments


def test_tie_to_unknown_person(pop):
    ties = pop.ties.copy()
    ties.loc[3, "friend_id"] = -7
    pid = int(pop.ties["person_id"].iloc[3])
    _raises(
        lambda: load_population(pop.people, ties=ties), "<DataFrame ties>", "column 'friend_id'",
        f"data row 4 (person_id {pid})", "no person with this id", f"1 of {len(ties)} rows",
    )


@pytest.mark.parametrize("horizon", [0, -3, 1.5, True, 40_000])
def test_bad_horizon(pop, horizon):
    _raises(lambda: load_population(pop.people, horizon_months=horizon), "horizon_months", error=InvalidArgument)


# ----------------------------------------------------------------- scale


@pytest.mark.slow
def test_ten_million_people(tmp_path):
    n = 10_000_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "person_id": rng.permutation(n),
            "age": rng.integers(0, 100, n),
            "sex": np.where(rng.random(n) < 0.5, "female", "male"),
            "urban": rng.random(n) < 0.64,
            "region": np.array(["east", "central", "west", "northeast"])[rng.integers(0, 4, n)],
            "income": rng.random(n) * 1e5,
            "income_quintile": rng.integers(1, 6, n),
            "education": np.array(["primary_or_less", "junior_secondary", "senior_secondary", "tertiary"])[rng.integers(0, 4, n)],
        }
    )
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "people.csv")
    start = time.perf_counter()
    got = load_population(tmp_path / "people.csv")
    assert time.perf_counter() - start < 60
    assert len(got) == n and got.people["person_id"].is_monotonic_increasing


def test_rename_onto_an_existing_column_is_ambiguous(pop):
    frame = pop.people.drop(columns="reliability").assign(salary=1.0)
    _raises(lambda: load_population(frame, columns={"income": "salary"}), "<DataFrame people>", "'income'", "'salary'", "Fix:")


def test_columns_must_be_a_mapping_of_names(pop):
    _raises(lambda: load_population(pop.people, columns=[("income", "x")]), "columns", error=InvalidArgument)
    _raises(lambda: load_population(pop.people, columns={"income": 3}), "columns['income']", error=InvalidArgument)


def test_repeated_dataframe_column(pop):
    frame = pd.concat([pop.people, pop.people[["age"]]], axis=1)
    _raises(lambda: load_population(frame), "<DataFrame people>", "'age' appears more than once")


def test_whole_numbers_with_empty_cells_in_a_string_column_name_the_empty_cell():
    """A nullable string column of whole numbers with an empty cell is an InvalidTable, not a pandas error."""
    from audit.population.model import synthesize

    people = synthesize("tiny", size=5, seed=0).people.drop(columns=["reliability"])
    people["age"] = pd.Series([str(a) for a in people["age"]], dtype="string")
    people.loc[2, "age"] = pd.NA
    with pytest.raises(InvalidTable, match="age"):
        load_population(people)
