"""A supplied system's own outputs in a people table: precomputed scores, 0/1 decisions, observed outcomes.

The checks read one column each, vectorised, and raise
:class:`~audit.errors.InvalidTable` naming the table, column, first bad data
row, person id, value, count and fix (:func:`audit.population.table_checks.check`).
A separate scores table (``person_id`` + score, optionally tier or decision
columns) is merged into the people table by person id, and must give every
person exactly one row: a score for nobody else, and nobody without one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from audit.errors import InvalidTable
from audit.population.table_checks import INT64, Table, check, known_ids, numbers, open_table, whole

__all__ = ["MAX_ABS_SCORE", "binary_values", "date_range", "merge_scores", "score_values"]

#: Largest magnitude a score may have (exclusive), as :data:`scorers.protocol.MAX_ABS_SCORE` (group sums stay exact).
MAX_ABS_SCORE = 2.0**31

_TRUE = ("true", "t", "yes", "y", "1", "1.0")
_FALSE = ("false", "f", "no", "n", "0", "0.0")
_SCORE_FIX = "give every person a finite number as score (no blanks, no text); correct the rows or remove those people"
_BINARY_FIX = {
    "outcome": "give 1 where the event the score predicts happened (e.g. re-offended within two years) and 0 where it "
               "did not, with no blanks; remove people whose outcome is not known",
    "decision": "give 1 for the favourable decision (e.g. hired) and 0 otherwise, with no blanks",
}


def score_values(t: Table, col: str, pid: np.ndarray) -> np.ndarray:
    """The column as float64 scores: numbers only, none blank, NaN or infinite, all ``|score| < 2**31``."""
    got = numbers(t.frame[col])
    n = len(t.frame)
    if got is None:
        check(t, col, np.ones(n, dtype=bool), "expected a score (a number), the column holds true/false values", pid=pid,
              fix=_SCORE_FIX)
    v, missing, nan = got  # type: ignore[misc]
    check(t, col, missing, "empty cell (no score)", pid=pid, fix=_SCORE_FIX)
    check(t, col, nan, "not a number", pid=pid, fix=_SCORE_FIX)
    v = v.astype(np.float64)
    check(t, col, ~np.isfinite(v), "not a finite number", pid=pid, fix=_SCORE_FIX)
    check(t, col, np.abs(v) >= MAX_ABS_SCORE, "2**31 or more in magnitude", pid=pid,
          fix="rescale the scores (e.g. to thousands): group sums are kept exact only below 2**31")
    return v


def binary_values(t: Table, col: str, pid: np.ndarray, *, role: Literal["outcome", "decision"]) -> np.ndarray:
    """The column as int8 0/1: booleans, 0/1 numbers or words such as true/false; blanks and anything else refused."""
    s = t.frame[col]
    fix = _BINARY_FIX[role]
    check(t, col, s.isna().to_numpy(), "empty cell", pid=pid, fix=fix)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool, na_value=False).astype(np.int8)
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype) and s.dtype.kind != "c":
        v = s.to_numpy(np.float64, na_value=np.nan)
        check(t, col, (v != 0) & (v != 1), "expected 0 or 1", pid=pid, fix=fix)
        return v.astype(np.int8)
    words = s.astype(str).str.strip().str.lower()
    value = np.where(words.isin(_TRUE), 1, np.where(words.isin(_FALSE), 0, -1))
    check(t, col, value < 0, "expected 0 or 1", pid=pid, fix=fix)
    return value.astype(np.int8)


def date_range(t: Table, col: str, pid: np.ndarray) -> tuple[str, str]:
    """The first and last date of a column of dates (ISO 8601 or a format pandas reads), for the LL144 summary."""
    s = t.frame[col]
    fix = "give each row the date of its record, e.g. 2013-02-01 (ISO 8601), with no blanks"
    check(t, col, s.isna().to_numpy(), "empty cell", pid=pid, fix=fix)
    dates = pd.to_datetime(s, errors="coerce", format="mixed") if s.dtype == object else pd.to_datetime(s, errors="coerce")
    check(t, col, dates.isna().to_numpy(), "not a date", pid=pid, fix=fix)
    return dates.min().date().isoformat(), dates.max().date().isoformat()


def _score_column(st: Table, score_column: str | None, roles: tuple[str | None, ...]) -> str:
    """The scores table's score column: the one named, or its only column besides person id, tier and the decisions."""
    if score_column is not None:
        return score_column
    others = [c for c in st.frame.columns if c != "person_id" and c not in ("tier", "decision") and c not in roles]
    if len(others) == 1:
        return str(others[0])
    raise InvalidTable(
        f"{st.label}: cannot tell which column holds the score (columns besides person_id: "
        f"{', '.join(map(repr, others)) or 'none'}). Fix: name it with score_column= (--score-column)."
    )


def merge_scores(
    scores: str | os.PathLike[str] | pd.DataFrame,
    people: pd.DataFrame,
    pt: Table,
    renames: Mapping[str, str],
    *,
    score_column: str | None,
    outcome: str | None,
    favourable_column: str | None,
) -> tuple[pd.DataFrame, str]:
    """``people`` (sorted by person id) with the scores table's columns added; and the score column's name.

    Raises :class:`~audit.errors.InvalidTable` for a repeated or unknown person id, a person of
    ``people`` without a row, a column the people table already has, or a bad score or decision.
    """
    st = open_table(scores, "scores", ("person_id",), ("person_id",), renames)
    if len(st.frame) == 0:
        raise InvalidTable(f"{st.label}: has a header but no data rows. Fix: add one row per person with their score.")
    column = _score_column(st, score_column, (outcome, favourable_column))
    if column not in st.frame.columns:
        if column in people.columns:
            raise InvalidTable(
                f"{st.label}: the score column {column!r} is a column of the people table {pt.label}, not of the scores "
                "table. Fix: give either --scores or a score column of the people table, not both."
            )
        raise InvalidTable(
            f"{st.label}: no column {column!r}; columns found: {', '.join(map(repr, map(str, st.frame.columns)))}. "
            "Fix: pass score_column= (--score-column) the name of the scores table's score column."
        )
    clash = [c for c in st.frame.columns if c != "person_id" and c in people.columns]
    if clash:
        raise InvalidTable(
            f"{st.label}: column {clash[0]!r} is also a column of the people table {pt.label}. "
            "Fix: rename or drop it in one of the two tables."
        )
    ids = people["person_id"].to_numpy()
    pid = whole(st, "person_id", *INT64, np.int64)
    repeat = pd.Series(pid).duplicated(keep="first").to_numpy()
    check(st, "person_id", repeat, "this person already has a score in an earlier row", pid=None,
          fix="give each person one row in the scores table")
    known_ids(st, "person_id", pid, ids, pt.label, None)
    values = {column: score_values(st, column, pid)}
    for col, role in ((outcome, "outcome"), (favourable_column, "decision")):
        if col is not None and col in st.frame.columns:
            values[col] = binary_values(st, col, pid, role=role)  # type: ignore[arg-type]
    order = np.argsort(pid, kind="stable")
    sorted_pid = pid[order]
    at = np.minimum(np.searchsorted(sorted_pid, ids), len(sorted_pid) - 1)
    hit = sorted_pid[at] == ids
    if not hit.all():
        first = int(ids[np.argmax(~hit)])
        raise InvalidTable(
            f"{st.label}, column 'person_id': {int((~hit).sum())} of {len(ids)} people of the people table {pt.label} "
            f"have no row (first: person_id {first}). Fix: give every person of the people table a score, or remove "
            "the people without one from the people table."
        )
    rows = order[at]
    out = people.copy()
    for col in st.frame.columns:
        if col == "person_id":
            continue
        v = values[col] if col in values else st.frame[col].to_numpy()
        out[col] = v[rows]
    return out, column
