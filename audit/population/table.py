"""Loading a supplied population: a people table (and optionally scores, events, ties) from CSV, Parquet or DataFrames.

A deployed system's own file is audited as it is: only ``person_id`` is
required, plus at least one other column to audit by. The columns the
reference scorers read (:data:`audit.population.columns.PEOPLE_COLUMNS`) are
checked when present and left out when absent (a scorer that needs one then
fails saying so); every other column is kept as it is and can be audited
(``by=``). Blank labels (sex, region, education, any other column) are
missing values, which the audits count in an ``unknown`` category.

A score column, a 0/1 decision column and a 0/1 observed-outcome column are
checked when named (``score_column=``, ``favourable_column=``, ``outcome=``);
scores may also come from a separate table (``scores=``, one row per person).

Every table is validated completely, with vectorised checks only, before any
part of the :class:`~audit.population.model.Population` is built: a bad
table raises :class:`~audit.errors.InvalidTable` naming the table, column,
first bad data row, person id, value, count and fix
(:mod:`audit.population.table_checks`). Supplied data has no ground truth:
``reliability`` is NaN for every person and every event is ``genuine``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument, InvalidTable
from audit.population.columns import (
    EVENT_COLUMNS,
    PEOPLE_COLUMNS,
    TIE_COLUMNS,
    TRUTH_PEOPLE_COLUMNS,
    education_categorical,
    empty_events,
    empty_ties,
)
from audit.population.table_checks import (
    INT64,
    MAX_MONTHS,
    Table,
    check,
    choice,
    flags,
    labels,
    open_table,
    real,
    whole,
)
from audit.population.table_events import DEFAULT_SOURCE, read_events, read_ties
from audit.population.table_files import TABLE_SUFFIXES
from audit.population.table_scores import binary_values, date_range, merge_scores, score_values
from audit.vocab import EDUCATION_LEVELS

__all__ = ["DEFAULT_SOURCE", "TABLE_SUFFIXES", "read_population"]


def _unique_ids(t: Table) -> tuple[np.ndarray, np.ndarray | None]:
    """The person ids of a table, checked whole and distinct, and the order that sorts them (None: sorted)."""
    pid = whole(t, "person_id", *INT64, np.int64)
    order = None if bool(np.all(pid[1:] > pid[:-1])) else np.argsort(pid, kind="stable")
    ordered = pid if order is None else pid[order]
    if bool(np.any(ordered[1:] == ordered[:-1])):  # rare path: find the first repeat in file order
        later = pd.Series(pid).duplicated(keep="first").to_numpy()
        i = int(np.argmax(later))
        first = int(np.argmax(pid == pid[i]))
        shared = int(pd.Series(pid).duplicated(keep=False).sum())
        check(
            t, "person_id", later, f"person_id {int(pid[i])} already appears in data row {first + 1}", pid=None,
            fix=f"give each person one row with a unique person_id ({shared} rows share an id)",
        )
    return pid, order


def _people(t: Table, *, score_column: str | None, outcome: str | None, favourable_column: str | None) -> pd.DataFrame:
    if len(t.frame) == 0:
        raise InvalidTable(f"{t.label}: has a header but no data rows. Fix: add one row per person.")
    attributes = [c for c in t.frame.columns if c != "person_id" and c not in TRUTH_PEOPLE_COLUMNS]
    if not attributes:
        raise InvalidTable(
            f"{t.label}: has only a person_id column; there is nothing to audit by. Fix: add at least one column "
            "describing the people (e.g. sex, race, age, income_quintile)."
        )
    pid, order = _unique_ids(t)
    f = t.frame
    standard: dict[str, Any] = {}
    if "age" in f.columns:
        standard["age"] = whole(t, "age", 0, 130, np.int16, pid)
    if "sex" in f.columns:
        standard["sex"] = labels(t, "sex", pid, blank_ok=True)
    if "urban" in f.columns:
        standard["urban"] = flags(t, "urban", pid)
    if "region" in f.columns:
        standard["region"] = labels(t, "region", pid, blank_ok=True)
    if "income" in f.columns:
        standard["income"] = real(t, "income", pid)
    if "income_quintile" in f.columns:
        standard["income_quintile"] = whole(t, "income_quintile", 1, 5, np.int8, pid)
    if "education" in f.columns:
        standard["education"] = choice(t, "education", EDUCATION_LEVELS, "an education level", pid, required=False)
    if score_column is not None and score_column in f.columns:
        standard[score_column] = score_values(t, score_column, pid)
    for col in (outcome, favourable_column):
        if col is not None and col in f.columns:
            standard[col] = binary_values(t, col, pid, role="outcome" if col == outcome else "decision")

    def take(a: Any) -> Any:
        return a if order is None else a[order]

    data: dict[str, Any] = {"person_id": pid if order is None else pid[order]}
    for col in f.columns:
        if col == "person_id" or col in TRUTH_PEOPLE_COLUMNS:  # ground truth is never read from supplied data
            continue
        if col == "education":
            data[col] = education_categorical(take(standard[col]))
        elif col in standard:
            data[col] = take(standard[col])
        else:
            values = f[col]
            data[col] = values.to_numpy() if order is None else values.to_numpy()[order]
            if isinstance(values.dtype, pd.CategoricalDtype):
                data[col] = pd.Categorical(data[col], dtype=values.dtype)
    data["reliability"] = np.full(len(pid), np.nan)
    return pd.DataFrame(data)


def _horizon(horizon_months: object) -> int | None:
    if horizon_months is None:
        return None
    if isinstance(horizon_months, (bool, np.bool_)) or not isinstance(horizon_months, (int, np.integer)):
        raise InvalidArgument(f"horizon_months = {horizon_months!r}; give a whole number of months >= 1, or None")
    if not 1 <= horizon_months <= MAX_MONTHS:
        raise InvalidArgument(f"horizon_months = {horizon_months}; give a whole number from 1 to {MAX_MONTHS}, or None")
    return int(horizon_months)


def _renames(columns: Mapping[str, str] | None) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise InvalidArgument(f"columns = {type(columns).__name__} object; give a mapping {{our_name: your_name}}, e.g. {{'income': 'yearly_income'}}")
    known = tuple(dict.fromkeys(PEOPLE_COLUMNS + EVENT_COLUMNS + TIE_COLUMNS))
    for ours, theirs in columns.items():
        if ours not in known:
            guess = difflib.get_close_matches(str(ours), known, n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            raise InvalidArgument(
                f"columns has key {ours!r}, which is not one of our column names{hint}. "
                f"Fix: map our name to yours, {{our_name: your_name}}; our names are {', '.join(map(repr, known))}"
            )
        if not isinstance(theirs, str):
            raise InvalidArgument(f"columns[{ours!r}] = {theirs!r}; give the name of the column in your table as a string")
    return dict(columns)


def _column_name(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"{name} = {value!r}; give the name of a column of the people (or scores) table as a string")
    return value


def _absent(t: Table, column: str | None, what: str, flag: str) -> None:
    """Refuse a named column the people table (with any scores merged in) does not have."""
    if column is None or column in t.frame.columns:
        return
    have = [str(c) for c in t.frame.columns]
    guess = difflib.get_close_matches(column, have, n=1, cutoff=0.6)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    raise InvalidTable(
        f"{t.label}: no column {column!r}{hint} for the {what}; columns found: {', '.join(map(repr, have[:20]))}. "
        f"Fix: pass {flag}= the name of a column of the table."
    )


def read_population(
    people: str | os.PathLike[str] | pd.DataFrame,
    *,
    events: str | os.PathLike[str] | pd.DataFrame | None = None,
    ties: str | os.PathLike[str] | pd.DataFrame | None = None,
    columns: Mapping[str, str] | None = None,
    horizon_months: int | None = None,
    scores: str | os.PathLike[str] | pd.DataFrame | None = None,
    score_column: str | None = None,
    outcome: str | None = None,
    favourable_column: str | None = None,
    date_column: str | None = None,
) -> dict[str, Any]:
    """Load and validate a supplied population: the fields of its :class:`~audit.population.model.Population`.

    Parameters
    ----------
    people
        Path to a ``.csv``, ``.csv.gz``, ``.parquet`` or ``.pq`` file, or a DataFrame, with one
        row per person: ``person_id`` and at least one other column. The columns of
        :data:`audit.population.model.PEOPLE_COLUMNS` are checked when present; every other
        column is kept as read. CSV files may start with a UTF-8 byte-order mark and may
        separate fields with ``,``, ``;``, tab or ``|`` (detected from the header).
    events
        Optional table of recorded events: ``person_id``, ``month``, ``kind`` and optionally
        ``source`` (blank or absent: :data:`DEFAULT_SOURCE` of the kind), ``amount`` (blank or
        absent: 0) and ``domain`` (checked against :data:`audit.vocab.KIND_DOMAIN`).
    ties
        Optional table of directed ties ``person_id -> friend_id``.
    columns
        Renames ``{our_name: your_name}``, applied to every table that has ``your_name``.
    horizon_months
        Months covered by the event log; default the last event month + 1 (1 with no events)
        (:func:`audit.population.table_events.read_events`).
    scores
        Optional table of precomputed scores: ``person_id`` (each person of ``people`` exactly
        once) and the score column, optionally tier or decision columns; merged into ``people``.
    score_column
        The column holding a precomputed score (of ``people`` or ``scores``): finite numbers, no
        blanks. With ``scores`` and one other column, that column.
    outcome
        A 0/1 column of observed outcomes (1: the event the score predicts happened).
    favourable_column
        A 0/1 column of decisions (1: the favourable decision, e.g. hired).
    date_column
        A column of the dates of the records (e.g. the date each person was scored): its first and
        last date are the data's date range in the NYC LL144 summary.

    Returns
    -------
    dict
        The fields of a :class:`~audit.population.model.Population`: people sorted by
        ``person_id`` with ``reliability`` NaN; events sorted by ``(person_id, month, kind)``
        with ``genuine`` True; ties sorted; ``synthetic=False``; ``score_column`` and
        ``outcome_column`` as checked.

    Raises
    ------
    InvalidTable
        A table cannot be read, lacks a column, or has a bad value; the message names the table,
        column, first bad data row (1-based, header not counted), person id, count and fix.
    InvalidArgument
        ``columns``, ``horizon_months`` or a column name is malformed, or a table is neither a
        path nor a DataFrame.
    """
    renames = _renames(columns)
    horizon = _horizon(horizon_months)
    score_column = _column_name(score_column, "score_column")
    outcome = _column_name(outcome, "outcome")
    favourable_column = _column_name(favourable_column, "favourable_column")
    date_column = _column_name(date_column, "date_column")
    # a column the caller renames must be there: columns= says the table has it
    asked = tuple(o for o in renames if o in PEOPLE_COLUMNS and o != "person_id")
    pt = open_table(people, "people", PEOPLE_COLUMNS, ("person_id", *asked), renames)
    people_frame = _people(pt, score_column=score_column, outcome=outcome, favourable_column=favourable_column)
    _absent(pt, date_column, "dates of the records", "date_column")
    dates = None if date_column is None else date_range(pt, date_column, people_frame["person_id"].to_numpy())
    if scores is not None:
        people_frame, score_column = merge_scores(
            scores, people_frame, pt, renames, score_column=score_column, outcome=outcome, favourable_column=favourable_column,
        )
    merged = Table(frame=people_frame, label=pt.label, renamed=pt.renamed)
    _absent(merged, score_column, "scores", "score_column")
    _absent(merged, outcome, "observed outcome", "outcome")
    _absent(merged, favourable_column, "decisions", "favourable_column")
    ids = people_frame["person_id"].to_numpy()
    if events is None:
        event_frame, horizon = empty_events(), horizon or 1
    else:
        et = open_table(events, "events", EVENT_COLUMNS, ("person_id", "month", "kind"), renames)
        event_frame, horizon = read_events(et, ids, pt.label, horizon)
    if ties is None:
        tie_frame = empty_ties()
    else:
        tie_frame = read_ties(open_table(ties, "ties", TIE_COLUMNS, TIE_COLUMNS, renames), ids, pt.label)
    return dict(
        people=people_frame,
        events=event_frame,
        ties=tie_frame,
        horizon_months=horizon,
        synthetic=False,
        spec=None,
        seed=None,
        source="dataframe" if isinstance(people, pd.DataFrame) else str(people),
        score_column=score_column,
        outcome_column=outcome,
        date_range=dates,
    )
