"""Supplied tables: the horizon comes from the bulk of the data, not one outlier; bad values are quoted short."""

from __future__ import annotations

import numpy as np
import pytest

from audit.cli.commands import main
from audit.errors import InvalidTable
from audit.population.model import load_population, synthesize
from audit.population.table_events import BULK_SHARE, OUTLIER_GAP_MONTHS


@pytest.fixture(scope="module")
def supplied(tmp_path_factory):
    root = tmp_path_factory.mktemp("horizon")
    pop = synthesize("tiny", size=400, seed=11)
    people = pop.people.drop(columns=["reliability"])
    events = pop.events.drop(columns=["genuine"]).reset_index(drop=True)
    people.to_csv(root / "people.csv", index=False)
    events.to_csv(root / "events.csv", index=False)
    return root, people, events, pop.horizon_months


def mistyped(root, events, month: int):
    """The event table with data row 8 (1-based) given ``month``; returns its path and that row's person."""
    bad = events.copy()
    bad.loc[7, "month"] = month
    path = root / f"events_{month}.csv"
    bad.to_csv(path, index=False)
    return path, int(bad.loc[7, "person_id"])


@pytest.mark.parametrize("month", [500, 32767])
def test_one_mistyped_month_is_refused_naming_the_row(supplied, month):
    root, people, events, horizon = supplied
    path, pid = mistyped(root, events, month)
    with pytest.raises(InvalidTable) as err:
        load_population(root / "people.csv", events=path)
    msg = str(err.value)
    bulk_end = int(np.quantile(events["month"], BULK_SHARE, method="lower"))  # one row changed: still the bulk's end
    assert bulk_end == horizon - 1
    assert f"column 'month', data row 8 (person_id {pid})" in msg and f"got {month}" in msg
    assert f"month {bulk_end}" in msg and "horizon_months=" in msg and "--horizon-months" not in msg  # the library names the parameter
    assert "1 of" in msg


def test_the_mistyped_month_is_what_flips_the_result(supplied):
    """Without the rule, month 500 would move every person's as-of month from 23 to 500 (the old behaviour)."""
    root, people, events, horizon = supplied
    path, _ = mistyped(root, events, 500)
    loaded = load_population(root / "people.csv", events=path, horizon_months=501)  # the user says the log is that long
    assert loaded.horizon_months == 501
    assert load_population(root / "people.csv", events=root / "events.csv").horizon_months == horizon


def test_the_rule_keeps_a_log_whose_last_month_is_within_the_gap(supplied):
    root, people, events, horizon = supplied
    path, _ = mistyped(root, events, horizon - 1 + OUTLIER_GAP_MONTHS)
    assert load_population(root / "people.csv", events=path).horizon_months == horizon + OUTLIER_GAP_MONTHS


def test_command_line_horizon_months(supplied, tmp_path, capsys):
    root, people, events, horizon = supplied
    path, _ = mistyped(root, events, 500)
    base = ["run", "--population", str(root / "people.csv"), "--events", str(path), "--scorer", "rongcheng",
            "--quiet", "--bootstrap", "0", "--replay-sample", "0"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "data row 8" in err and "--horizon-months" in err
    assert not (tmp_path / "a").exists()  # a refused run leaves no empty --out
    assert main([*base, "--out", str(tmp_path / "b"), "--horizon-months", "501"]) == 0
    import json

    doc = json.loads((tmp_path / "b" / "results.json").read_text())
    assert doc["population"]["horizon_months"] == 501
    assert main(["run", "--population", "tiny", "--size", "300", "--horizon-months", "30", "--out", str(tmp_path / "c"),
                 "--quiet"]) == 2
    assert "--horizon-months" in capsys.readouterr().err


def test_a_huge_bad_value_is_quoted_as_a_short_excerpt(supplied, tmp_path):
    root, people, events, horizon = supplied
    bad = people.astype(object).copy()
    bad.loc[2, "income"] = "9" * 10 + "x" * 1_000_000
    bad.to_csv(tmp_path / "people.csv", index=False)
    with pytest.raises(InvalidTable) as err:
        load_population(tmp_path / "people.csv")
    msg = str(err.value)
    assert len(msg) < 600, len(msg)
    assert "1,000,010 characters" in msg and "data row 3" in msg


def test_a_sparse_nul_filled_csv_is_refused_without_parsing(tmp_path, monkeypatch):
    import audit.population.table_files

    path = tmp_path / "people.csv"
    with open(path, "wb") as f:
        f.write(b"person_id,age,sex,urban,region,income,income_quintile,education\n")
        f.truncate(64 << 20)  # a 64 MiB hole: reads as NUL bytes, takes no disk
    parsed = []
    monkeypatch.setattr(audit.population.table_files.pd, "read_csv", lambda *a, **k: parsed.append(1))
    with pytest.raises(InvalidTable) as err:
        load_population(path)
    assert str(err.value).startswith(f"{path}: byte 65 is a NUL byte") and not parsed


def test_a_csv_beyond_the_memory_bound_is_refused_with_the_estimate(supplied, monkeypatch, capsys, tmp_path):
    import audit.population.table_files

    root, people, events, horizon = supplied
    size = (root / "events.csv").stat().st_size
    monkeypatch.setattr(audit.population.table_files, "MEMORY_BOUND", 4 * size)  # reading takes MEMORY_PER_BYTE (6) x size
    load_population(root / "people.csv")  # a smaller table still loads
    with pytest.raises(InvalidTable, match=r"events\.csv: reading it would take about .* of memory"):
        load_population(root / "people.csv", events=root / "events.csv")
    monkeypatch.setattr(audit.population.table_files, "MEMORY_BOUND", 6 * size)
    assert len(load_population(root / "people.csv", events=root / "events.csv").events) == len(events)
    monkeypatch.setattr(audit.population.table_files, "MEMORY_BOUND", 6 * size - 1)
    assert main(["run", "--population", str(root / "people.csv"), "--events", str(root / "events.csv"),
                 "--scorer", "suining", "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Fix: split the table" in err and not (tmp_path / "out").exists()


def test_a_parquet_file_beyond_the_memory_bound_is_refused(supplied, monkeypatch, tmp_path):
    import audit.population.table_files

    root, people, events, horizon = supplied
    events.to_parquet(tmp_path / "events.parquet")
    monkeypatch.setattr(audit.population.table_files, "MEMORY_BOUND", 1000)
    with pytest.raises(InvalidTable, match="events.parquet: reading it would take .* uncompressed size"):
        audit.population.table_files.read_table(tmp_path / "events.parquet", "events")
