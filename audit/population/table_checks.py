"""Checks of a supplied table's columns: each reads one column, vectorised, and raises on the first bad row.

An error message names the table (the file path, or ``<DataFrame people>``),
the column, the first bad data row (1-based, the header not counted, in the
order of the file), the person id where it is known, the bad value, how many
rows share the problem, and the fix (:func:`check`). The tables themselves are
assembled in :mod:`audit.population.table` (people, scores) and
:mod:`audit.population.table_events` (events, ties).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.errors import InvalidTable
from audit.population.columns import EVENT_COLUMNS, PEOPLE_COLUMNS, TIE_COLUMNS
from audit.population.table_files import excerpt, read_table
from audit.vocab import EDUCATION_LEVELS, SOURCES

__all__ = [
    "INT64",
    "MAX_MONTHS",
    "RULES",
    "Table",
    "check",
    "choice",
    "flags",
    "known_ids",
    "labels",
    "numbers",
    "open_table",
    "real",
    "shown",
    "whole",
]

_TRUE_WORDS = ("true", "t", "yes", "y", "1", "1.0")
_FALSE_WORDS = ("false", "f", "no", "n", "0", "0.0")
MAX_MONTHS = int(np.iinfo(np.int16).max) + 1  # months are stored as int16
INT64 = (int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max))

#: What each column must hold, as said in the fix of an error message.
RULES = {
    "person_id": "a whole number identifying one person",
    "friend_id": "the person_id of a person in the people table",
    "age": "age in whole years from 0 to 130",
    "sex": "a label such as 'female' or 'male' (a blank counts as unknown)",
    "urban": "true/false or 1/0",
    "region": "a region label (a blank counts as unknown)",
    "income": "yearly income in yuan, a finite number >= 0",
    "income_quintile": "the national income quintile, a whole number from 1 (poorest) to 5 (richest)",
    "education": "one of " + ", ".join(map(repr, EDUCATION_LEVELS)) + " (a blank counts as unknown)",
    "month": "the month of the event, a whole number >= 0 (month 0 is the first month)",
    "kind": "one of the event kinds in audit.vocab.EVENT_KINDS",
    "domain": "the domain of the event's kind (audit.vocab.KIND_DOMAIN), or left out to be derived",
    "source": "one of " + ", ".join(map(repr, SOURCES)) + ", or blank for the kind's usual source",
    "amount": "a finite number >= 0 (yuan or hours), or blank for 0",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """One supplied table, its name for messages and the renames applied to it."""

    frame: pd.DataFrame
    """The table as read, columns already renamed to ours."""
    label: str
    """The file path as given, or ``<DataFrame people>``."""
    renamed: Mapping[str, str]
    """Our column name -> the table's own name, for columns the caller renamed."""

    def name(self, column: str) -> str:
        theirs = self.renamed.get(column)
        return excerpt(column) if theirs is None else f"{excerpt(theirs)} (read as {column!r})"


def shown(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "an empty cell"
    if isinstance(value, np.generic):
        value = value.item()
    return excerpt(value)


def check(t: Table, column: str, bad: np.ndarray, problem: str, *, pid: np.ndarray | None = None, fix: str = "") -> None:
    """Raise :class:`InvalidTable` naming the first row where ``bad`` holds, if any."""
    if not bad.any():
        return
    i = int(np.argmax(bad))
    who = "" if pid is None else f" (person_id {int(pid[i])})"
    fix = fix or f"each value must be {RULES[column]}; correct or remove the affected rows"
    raise InvalidTable(
        f"{t.label}, column {t.name(column)}, data row {i + 1}{who}: {problem}, got {shown(t.frame[column].iloc[i])}; "
        f"{int(np.count_nonzero(bad))} of {bad.shape[0]} rows affected. Fix: {fix}."
    )


def open_table(obj: object, role: str, ours: tuple[str, ...], required: tuple[str, ...], columns: Mapping[str, str]) -> Table:
    """Read a table, apply the caller's renames and check the required columns are there."""
    frame, label = read_table(obj, role)
    strip = {c: c.strip().removeprefix("\ufeff").strip() for c in frame.columns if isinstance(c, str)}
    if any(k != v for k, v in strip.items()):
        frame = frame.rename(columns=strip)
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise InvalidTable(f"{label}: column {excerpt(dup[0])} appears more than once. Fix: rename or drop the repeated column.")
    renamed = {o: th for o, th in columns.items() if o in ours and th != o and th in frame.columns}
    for o, th in renamed.items():
        if o in frame.columns:
            raise InvalidTable(
                f"{label}: has both a column {o!r} and a column {th!r}, which columns= renames to {o!r}. "
                "Fix: drop one of the two columns or remove the entry from columns=."
            )
    if renamed:
        frame = frame.rename(columns={th: o for o, th in renamed.items()})
    t = Table(frame=frame, label=label, renamed=renamed)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidTable(_missing_message(t, role, missing, columns))
    return t


def _missing_message(t: Table, role: str, missing: list[str], columns: Mapping[str, str]) -> str:
    have = [str(c) for c in t.frame.columns]
    parts, fixes = [], {}
    for col in missing:
        if col in columns and columns[col] != col:
            parts.append(f"{columns[col]!r} (which columns= reads as {col!r})")
            continue
        lower = {h.lower(): h for h in have if h not in PEOPLE_COLUMNS + EVENT_COLUMNS + TIE_COLUMNS}
        guess = lower.get(col.lower()) or next(iter(difflib.get_close_matches(col, list(lower.values()), n=1, cutoff=0.6)), None)
        parts.append(f"{col!r}" + (f" (the table has {guess!r}: did you mean {col!r}?)" if guess else ""))
        if guess:
            fixes[col] = guess
    shown = ", ".join(map(repr, have[:20])) + (f" and {len(have) - 20} more" if len(have) > 20 else "")
    fix = f"pass columns={fixes!r} to load_population, or " if fixes else ""
    return (
        f"{t.label}: missing {role} column{'s' if len(parts) > 1 else ''} {', '.join(parts)}; columns found: {shown or 'none'}. "
        f"Fix: {fix}add or rename the column{'s' if len(parts) > 1 else ''} in the table."
    )


# ------------------------------------------------------------------ columns


def numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Values (int64 or float64), missing mask and not-a-number mask; None for a boolean column."""
    dt = s.dtype
    n = len(s)
    none = np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(dt):
        return None if n else (np.zeros(0, dtype=np.int64), none, none)  # an empty column's dtype says nothing
    if isinstance(dt, np.dtype) and dt.kind in "iu":
        big = dt.kind == "u" and dt.itemsize == 8
        return s.to_numpy(np.float64 if big else np.int64), none, none
    if isinstance(dt, np.dtype) and dt.kind == "f":
        v = s.to_numpy(np.float64)
        return v, np.isnan(v), none
    if isinstance(dt, np.dtype) and dt.kind == "c":
        return _complex(s.to_numpy())
    if pd.api.types.is_numeric_dtype(dt) and not isinstance(dt, pd.CategoricalDtype):  # nullable / arrow numbers
        missing = s.isna().to_numpy()
        whole = pd.api.types.is_integer_dtype(dt)
        v = s.to_numpy(np.int64 if whole else np.float64, na_value=0 if whole else np.nan)
        return v, missing, none if whole else np.isnan(v) & ~missing
    missing = s.isna().to_numpy()
    num = pd.to_numeric(s.astype(object) if isinstance(dt, pd.CategoricalDtype) else s, errors="coerce")
    if num.dtype.kind == "c":
        v, _, nan = _complex(num.to_numpy())
        return v, missing, nan & ~missing
    if num.dtype.kind in "iu" and not pd.api.types.is_bool_dtype(num.dtype):
        missing = missing | num.isna().to_numpy()  # nullable integers (e.g. from a string column) may hold NA
        return num.to_numpy(np.int64, na_value=0), missing, none
    v = num.to_numpy(np.float64, na_value=np.nan)
    return v, missing, np.isnan(v) & ~missing


def _complex(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Complex numbers: the real part, NaN (not a number) wherever the imaginary part is not 0."""
    real = np.where(c.imag == 0, c.real, np.nan)
    return real, np.zeros(c.shape[0], dtype=bool), np.isnan(real)


def _factorize(t: Table, col: str, pid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of a column; a cell holding a list or other unhashable value is an error."""
    try:
        return pd.factorize(t.frame[col])  # type: ignore[return-value]
    except TypeError:
        _unhashable(t, col, pid)
        raise


def _unhashable(t: Table, col: str, pid: np.ndarray | None) -> None:
    def bad(v: object) -> bool:
        try:
            hash(v)
        except TypeError:
            return True
        return False

    cells = t.frame[col].to_numpy(dtype=object)
    mask = np.fromiter((bad(v) for v in cells), dtype=bool, count=cells.shape[0])  # error path only
    check(t, col, mask, "not a single value (a list or other container)", pid=pid)


def whole(t: Table, col: str, lo: int, hi: int, dtype: type, pid: np.ndarray | None = None) -> np.ndarray:
    """A column of whole numbers in ``lo .. hi``, as ``dtype``."""
    got = numbers(t.frame[col])
    n = len(t.frame)
    if got is None:
        check(t, col, np.ones(n, dtype=bool), "expected a whole number, the column holds true/false values", pid=pid)
    v, missing, nan = got  # type: ignore[misc]
    check(t, col, missing, "empty cell", pid=pid)
    check(t, col, nan, "not a number", pid=pid)
    if v.dtype.kind == "f":
        check(t, col, np.isinf(v), "not a finite number", pid=pid)
        check(t, col, v != np.floor(v), "not a whole number", pid=pid)
        out = (v < lo) | (v >= float(hi + 1))
    else:
        out = (v < lo) | (v > hi)
    span = "any whole number" if (lo, hi) == INT64 else f"a whole number from {lo} to {hi}"
    check(t, col, out, f"expected {span}", pid=pid)
    return v.astype(dtype)


def flags(t: Table, col: str, pid: np.ndarray) -> np.ndarray:
    """A true/false column from booleans, 0/1 or words such as 'true' and 'false'."""
    s = t.frame[col]
    missing = s.isna().to_numpy()
    check(t, col, missing, "empty cell", pid=pid)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool, na_value=False)
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        v = _complex(s.to_numpy())[0] if s.dtype.kind == "c" else s.to_numpy(np.float64, na_value=np.nan)
        check(t, col, (v != 0) & (v != 1), "expected true/false or 1/0", pid=pid)
        return v == 1
    codes, uniques = _factorize(t, col, pid)
    words = pd.Index(np.asarray(uniques, dtype=object).astype(str)).str.strip().str.lower()
    value = np.where(words.isin(_TRUE_WORDS), 1, np.where(words.isin(_FALSE_WORDS), 0, -1))
    value = np.append(value, 0)[codes]
    check(t, col, value < 0, "expected true/false or 1/0", pid=pid)
    return value == 1


def labels(t: Table, col: str, pid: np.ndarray, *, blank_ok: bool = False) -> pd.Categorical:
    """Any labels, kept as an (unordered) categorical; blanks are errors unless ``blank_ok`` (then missing)."""
    s = t.frame[col]
    if not blank_ok:
        check(t, col, s.isna().to_numpy(), "empty cell", pid=pid)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.array
    try:
        return pd.Categorical(s)
    except TypeError:
        _unhashable(t, col, pid)
        raise


def choice(t: Table, col: str, allowed: tuple[str, ...], what: str, pid: np.ndarray | None, *, required: bool = True) -> np.ndarray:
    """Positions in ``allowed`` of a column's labels (-1 for a blank when not ``required``)."""
    codes, uniques = _factorize(t, col, pid)
    lookup = pd.Index(list(allowed)).get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    value = np.append(lookup, -1)[codes]
    if required:
        check(t, col, codes < 0, "empty cell", pid=pid)
    unknown = np.asarray(uniques, dtype=object)[lookup < 0]
    if len(unknown):
        first = t.frame[col].iloc[int(np.argmax((codes >= 0) & (value < 0)))]
        guess = difflib.get_close_matches(str(first).strip().lower(), allowed, n=1, cutoff=0.5)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        others = ", ".join(map(shown, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
        fix = f"use exactly one of {', '.join(map(repr, allowed))}{hint}; unknown labels: {others}"
        check(t, col, (codes >= 0) & (value < 0), f"not {what}", pid=pid, fix=fix)
    return value.astype(np.int8)


def real(t: Table, col: str, pid: np.ndarray, *, blank: float | None = None) -> np.ndarray:
    """A column of finite numbers >= 0 as float64; blank cells become ``blank``, or are errors."""
    got = numbers(t.frame[col])
    if got is None:
        check(t, col, np.ones(len(t.frame), dtype=bool), "expected a number, the column holds true/false values", pid=pid)
    v, missing, nan = got  # type: ignore[misc]
    if blank is None:
        check(t, col, missing, "empty cell", pid=pid)
    check(t, col, nan, "not a number", pid=pid)
    v = np.where(missing, blank or 0.0, v.astype(np.float64))
    check(t, col, np.isinf(v), "not a finite number", pid=pid)
    check(t, col, v < 0, "expected a number >= 0", pid=pid)
    return v


def known_ids(t: Table, col: str, ids: np.ndarray, people: np.ndarray, people_label: str, pid: np.ndarray | None) -> None:
    """Every id in ``ids`` is a person id (``people`` sorted ascending)."""
    at = np.minimum(np.searchsorted(people, ids), people.shape[0] - 1)
    check(
        t, col, people[at] != ids, f"no person with this id in the people table {people_label}", pid=pid,
        fix=f"add the person to {people_label} or remove the affected rows",
    )

