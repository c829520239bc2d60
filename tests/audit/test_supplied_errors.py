"""Bad supplied data is refused before any work: exit 2, one line naming file, column, first bad row, count and fix,
and nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from audit.cli.commands import main
from audit.errors import InvalidTable
from audit.population.model import Population
from tests.audit._recidivism import recidivism_people

FAST = ["--quiet", "--workers", "1", "--bootstrap", "0"]


def _people(tmp_path: Path, edit=None, n: int = 40) -> Path:
    people = recidivism_people(n, unknown_race=0)
    people["person_id"] = range(1, n + 1)
    if edit is not None:
        people = edit(people)
    path = tmp_path / "people.csv"
    people.to_csv(path, index=False)
    return path


def _run(capsys, tmp_path: Path, *argv: object) -> str:
    out = tmp_path / "out"
    rc = main(["run", *map(str, argv), "--out", str(out), *FAST])
    _, err = capsys.readouterr()
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scs-audit: error: "), err
    assert not out.exists() or not any(out.iterdir()), "nothing may be written"
    return lines[0]


def _with(**changes):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df = df.astype({c: object for c in changes})
        for col, (rows, value) in changes.items():
            df.loc[list(rows), col] = value
        return df
    return edit


def _contains(line: str, *fragments: str) -> None:
    for f in fragments:
        assert f in line, (f, line)


def test_an_all_missing_attribute(capsys, tmp_path):
    path = _people(tmp_path, edit=lambda df: df.assign(race=None))
    line = _run(capsys, tmp_path, "--population", path, "--by", "race", "--score-column", "decile_score")
    _contains(line, str(path), "column 'race'", "data row 1", "every value is missing", "40 of 40 rows", "Fix:")


def test_a_score_that_is_not_a_number(capsys, tmp_path):
    path = _people(tmp_path, edit=_with(decile_score=([6, 9], "high")))
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--score-column", "decile_score")
    _contains(line, str(path), "column 'decile_score'", "data row 7", "not a number", "'high'", "2 of 40 rows", "Fix:")


def test_a_blank_score(capsys, tmp_path):
    path = _people(tmp_path, edit=_with(decile_score=([3], None)))
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--score-column", "decile_score")
    _contains(line, "column 'decile_score'", "data row 4", "(person_id 4)", "empty cell (no score)", "1 of 40 rows", "Fix:")


def test_an_outcome_that_is_not_0_or_1(capsys, tmp_path):
    path = _people(tmp_path, edit=_with(two_year_recid=([2, 5, 8], 2)))
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--score-column", "decile_score",
                "--adverse-from", "5", "--outcome", "two_year_recid")
    _contains(line, str(path), "column 'two_year_recid'", "data row 3", "expected 0 or 1", "3 of 40 rows", "Fix:")


def test_a_scores_file_with_ids_not_in_the_people_table(capsys, tmp_path):
    path = _people(tmp_path, edit=lambda df: df.drop(columns="decile_score"))
    scores = pd.DataFrame({"person_id": [*range(1, 41), 99, 98], "risk": [3.0] * 42})
    scores.to_csv(tmp_path / "scores.csv", index=False)
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--scores", tmp_path / "scores.csv")
    _contains(line, "scores.csv", "column 'person_id'", "data row 41", "no person with this id", "2 of 42 rows", "Fix:")


def test_people_without_a_score(capsys, tmp_path):
    path = _people(tmp_path, edit=lambda df: df.drop(columns="decile_score"))
    pd.DataFrame({"person_id": range(1, 38), "risk": 1.5}).to_csv(tmp_path / "scores.csv", index=False)
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--scores", tmp_path / "scores.csv")
    _contains(line, "scores.csv", "3 of 40 people", "first: person_id 38", "Fix:")


def test_an_audited_column_that_does_not_exist(capsys, tmp_path):
    path = _people(tmp_path)
    line = _run(capsys, tmp_path, "--population", path, "--by", "rcae", "--score-column", "decile_score")
    _contains(line, "--by 'rcae'", "no such column", "did you mean 'race'?")


def test_a_score_flag_without_a_score(capsys, tmp_path):
    path = _people(tmp_path)
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--adverse-from", "5")
    _contains(line, "--adverse-from", "--score-column")


def test_outcome_with_a_synthetic_population(capsys, tmp_path):
    line = _run(capsys, tmp_path, "--population", "tiny", "--size", "300", "--outcome", "y")
    _contains(line, "--outcome", "supplied people table")


def test_bands_on_text(capsys, tmp_path):
    path = _people(tmp_path)
    line = _run(capsys, tmp_path, "--population", path, "--by", "race:bands=1,2", "--score-column", "decile_score")
    _contains(line, "column 'race'", "not a number", "Fix:")


def test_only_person_id_is_refused():
    with pytest.raises(InvalidTable, match="only a person_id column.*Fix: add at least one column"):
        Population.from_table(pd.DataFrame({"person_id": [1, 2]}))


def test_a_date_that_is_not_a_date(capsys, tmp_path):
    path = _people(tmp_path, edit=_with(screening_date=([4], "soon")))
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--score-column", "decile_score",
                "--date-column", "screening_date")
    _contains(line, "column 'screening_date'", "data row 5", "not a date", "'soon'", "1 of 40 rows", "Fix:")


def test_publishing_needs_income_and_education(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # the privacy ledger lives under HOME
    path = _people(tmp_path)
    line = _run(capsys, tmp_path, "--population", path, "--by", "sex", "--score-column", "decile_score",
                "--epsilon", "1", "--dataset", "people")
    _contains(line, "--epsilon publishes figures by income quintile and education", "'income_quintile'")
