"""Loading a supplied population: people, events and ties from CSV, Parquet or DataFrames.

Every table is validated completely, column by column and with vectorised
checks only (a table of 10 million rows costs a few array passes), before any
part of the :class:`~audit.population.model.Population` is built: a bad table raises
:class:`~audit.errors.InvalidTable` and nothing is half-loaded.

An error message names the table (the file path, or ``<DataFrame people>``),
the column, the first bad data row (1-based, the header not counted, in the
order of the file), the person id where it is known, the bad value, how many
rows share the problem, and the fix.

Supplied data has no ground truth: ``reliability`` is NaN for every person and
every event is taken as ``genuine``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument, InvalidTable
from audit.population.columns import (
    EVENT_COLUMNS,
    PEOPLE_COLUMNS,
    TIE_COLUMNS,
    education_categorical,
    empty_events,
    empty_ties,
    events_frame,
)
from audit.population.table_files import TABLE_SUFFIXES, excerpt, read_table
from audit.vocab import DOMAINS, EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = ["DEFAULT_SOURCE", "TABLE_SUFFIXES", "read_population"]

#: Source assumed for an event whose table gives none: the body that normally
#: records that kind (the same sources as ``fixtures/populations/china-2020.toml``).
DEFAULT_SOURCE: dict[str, str] = {
    "drunk_driving": "police",
    "traffic_violation": "police",
    "loan_arrears": "bank",
    "utility_arrears": "platform",
    "contract_breach": "court",
    "court_judgment_default": "court",
    "judgment_performed": "court",
    "unauthorized_birth": "citizen_report",
    "volunteering": "platform",
    "blood_donation": "platform",
    "charity_donation": "platform",
    "diapers_purchase": "platform",
    "video_games": "platform",
    "loud_music_on_train": "citizen_report",
    "critical_post": "platform",
    "on_time_repayment": "bank",
}

_KIND_SOURCE = np.array([SOURCES.index(DEFAULT_SOURCE[k]) for k in EVENT_KINDS], dtype=np.int8)
_KIND_DOMAIN = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)
_TRUE_WORDS = ("true", "t", "yes", "y", "1", "1.0")
_FALSE_WORDS = ("false", "f", "no", "n", "0", "0.0")
_MAX_MONTHS = int(np.iinfo(np.int16).max) + 1  # months are stored as int16
#: Without horizon_months, the horizon is the last event month + 1 -- unless an event lies more than
#: OUTLIER_GAP_MONTHS after the month by which BULK_SHARE of the events happened (the lower empirical
#: quantile, so with fewer than 100 events the latest one is never its own bulk): such a row is refused.
#: A year is the longest gap a running scheme's log shows without an error (assumption: every reference
#: scheme records monthly conduct, and the synthetic logs have events in every month).
BULK_SHARE = 0.99
OUTLIER_GAP_MONTHS = 12
_INT64 = (int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max))

#: What each column must hold, as said in the fix of an error message.
_RULES = {
    "person_id": "a whole number identifying one person",
    "friend_id": "the person_id of a person in the people table",
    "age": "age in whole years from 0 to 130",
    "sex": "a label such as 'female' or 'male' (use e.g. 'unknown' rather than a blank)",
    "urban": "true/false or 1/0",
    "region": "a region label (use e.g. 'unknown' rather than a blank)",
    "income": "yearly income in yuan, a finite number >= 0",
    "income_quintile": "the national income quintile, a whole number from 1 (poorest) to 5 (richest)",
    "education": "one of " + ", ".join(map(repr, EDUCATION_LEVELS)),
    "month": "the month of the event, a whole number >= 0 (month 0 is the first month)",
    "kind": "one of the event kinds in audit.vocab.EVENT_KINDS",
    "domain": "the domain of the event's kind (audit.vocab.KIND_DOMAIN), or left out to be derived",
    "source": "one of " + ", ".join(map(repr, SOURCES)) + ", or blank for the kind's usual source",
    "amount": "a finite number >= 0 (yuan or hours), or blank for 0",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Table:
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


def _shown(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "an empty cell"
    if isinstance(value, np.generic):
        value = value.item()
    return excerpt(value)


def _check(t: _Table, column: str, bad: np.ndarray, problem: str, *, pid: np.ndarray | None = None, fix: str = "") -> None:
    """Raise :class:`InvalidTable` naming the first row where ``bad`` holds, if any."""
    if not bad.any():
        return
    i = int(np.argmax(bad))
    who = "" if pid is None else f" (person_id {int(pid[i])})"
    fix = fix or f"each value must be {_RULES[column]}; correct or remove the affected rows"
    raise InvalidTable(
        f"{t.label}, column {t.name(column)}, data row {i + 1}{who}: {problem}, got {_shown(t.frame[column].iloc[i])}; "
        f"{int(np.count_nonzero(bad))} of {bad.shape[0]} rows affected. Fix: {fix}."
    )


def _table(obj: object, role: str, ours: tuple[str, ...], required: tuple[str, ...], columns: Mapping[str, str]) -> _Table:
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
    t = _Table(frame=frame, label=label, renamed=renamed)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidTable(_missing_message(t, role, missing, columns))
    return t


def _missing_message(t: _Table, role: str, missing: list[str], columns: Mapping[str, str]) -> str:
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


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
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


def _factorize(t: _Table, col: str, pid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of a column; a cell holding a list or other unhashable value is an error."""
    try:
        return pd.factorize(t.frame[col])  # type: ignore[return-value]
    except TypeError:
        _unhashable(t, col, pid)
        raise


def _unhashable(t: _Table, col: str, pid: np.ndarray | None) -> None:
    def bad(v: object) -> bool:
        try:
            hash(v)
        except TypeError:
            return True
        return False

    cells = t.frame[col].to_numpy(dtype=object)
    mask = np.fromiter((bad(v) for v in cells), dtype=bool, count=cells.shape[0])  # error path only
    _check(t, col, mask, "not a single value (a list or other container)", pid=pid)


def _whole(t: _Table, col: str, lo: int, hi: int, dtype: type, pid: np.ndarray | None = None) -> np.ndarray:
    """A column of whole numbers in ``lo .. hi``, as ``dtype``."""
    got = _numbers(t.frame[col])
    n = len(t.frame)
    if got is None:
        _check(t, col, np.ones(n, dtype=bool), "expected a whole number, the column holds true/false values", pid=pid)
    v, missing, nan = got  # type: ignore[misc]
    _check(t, col, missing, "empty cell", pid=pid)
    _check(t, col, nan, "not a number", pid=pid)
    if v.dtype.kind == "f":
        _check(t, col, np.isinf(v), "not a finite number", pid=pid)
        _check(t, col, v != np.floor(v), "not a whole number", pid=pid)
        out = (v < lo) | (v >= float(hi + 1))
    else:
        out = (v < lo) | (v > hi)
    span = "any whole number" if (lo, hi) == _INT64 else f"a whole number from {lo} to {hi}"
    _check(t, col, out, f"expected {span}", pid=pid)
    return v.astype(dtype)


def _flags(t: _Table, col: str, pid: np.ndarray) -> np.ndarray:
    """A true/false column from booleans, 0/1 or words such as 'true' and 'false'."""
    s = t.frame[col]
    missing = s.isna().to_numpy()
    _check(t, col, missing, "empty cell", pid=pid)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool, na_value=False)
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        v = _complex(s.to_numpy())[0] if s.dtype.kind == "c" else s.to_numpy(np.float64, na_value=np.nan)
        _check(t, col, (v != 0) & (v != 1), "expected true/false or 1/0", pid=pid)
        return v == 1
    codes, uniques = _factorize(t, col, pid)
    words = pd.Index(np.asarray(uniques, dtype=object).astype(str)).str.strip().str.lower()
    value = np.where(words.isin(_TRUE_WORDS), 1, np.where(words.isin(_FALSE_WORDS), 0, -1))
    value = np.append(value, 0)[codes]
    _check(t, col, value < 0, "expected true/false or 1/0", pid=pid)
    return value == 1


def _labels(t: _Table, col: str, pid: np.ndarray) -> pd.Categorical:
    """Any labels, kept as an (unordered) categorical; blanks are errors."""
    s = t.frame[col]
    _check(t, col, s.isna().to_numpy(), "empty cell", pid=pid)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.array
    try:
        return pd.Categorical(s)
    except TypeError:
        _unhashable(t, col, pid)
        raise


def _choice(t: _Table, col: str, allowed: tuple[str, ...], what: str, pid: np.ndarray | None, *, required: bool = True) -> np.ndarray:
    """Positions in ``allowed`` of a column's labels (-1 for a blank when not ``required``)."""
    codes, uniques = _factorize(t, col, pid)
    lookup = pd.Index(list(allowed)).get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    value = np.append(lookup, -1)[codes]
    if required:
        _check(t, col, codes < 0, "empty cell", pid=pid)
    unknown = np.asarray(uniques, dtype=object)[lookup < 0]
    if len(unknown):
        first = t.frame[col].iloc[int(np.argmax((codes >= 0) & (value < 0)))]
        guess = difflib.get_close_matches(str(first).strip().lower(), allowed, n=1, cutoff=0.5)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        others = ", ".join(map(_shown, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
        fix = f"use exactly one of {', '.join(map(repr, allowed))}{hint}; unknown labels: {others}"
        _check(t, col, (codes >= 0) & (value < 0), f"not {what}", pid=pid, fix=fix)
    return value.astype(np.int8)


def _real(t: _Table, col: str, pid: np.ndarray, *, blank: float | None = None) -> np.ndarray:
    """A column of finite numbers >= 0 as float64; blank cells become ``blank``, or are errors."""
    got = _numbers(t.frame[col])
    if got is None:
        _check(t, col, np.ones(len(t.frame), dtype=bool), "expected a number, the column holds true/false values", pid=pid)
    v, missing, nan = got  # type: ignore[misc]
    if blank is None:
        _check(t, col, missing, "empty cell", pid=pid)
    _check(t, col, nan, "not a number", pid=pid)
    v = np.where(missing, blank or 0.0, v.astype(np.float64))
    _check(t, col, np.isinf(v), "not a finite number", pid=pid)
    _check(t, col, v < 0, "expected a number >= 0", pid=pid)
    return v


def _known(t: _Table, col: str, ids: np.ndarray, people: np.ndarray, people_label: str, pid: np.ndarray | None) -> None:
    """Every id in ``ids`` is a person id (``people`` sorted ascending)."""
    at = np.minimum(np.searchsorted(people, ids), people.shape[0] - 1)
    _check(
        t, col, people[at] != ids, f"no person with this id in the people table {people_label}", pid=pid,
        fix=f"add the person to {people_label} or remove the affected rows",
    )


# ------------------------------------------------------------------ tables


def _people(t: _Table) -> pd.DataFrame:
    if len(t.frame) == 0:
        raise InvalidTable(f"{t.label}: has a header but no data rows. Fix: add one row per person.")
    pid = _whole(t, "person_id", *_INT64, np.int64)
    order = None if bool(np.all(pid[1:] > pid[:-1])) else np.argsort(pid)
    ordered = pid if order is None else pid[order]
    if bool(np.any(ordered[1:] == ordered[:-1])):  # rare path: find the first repeat in file order
        later = pd.Series(pid).duplicated(keep="first").to_numpy()
        i = int(np.argmax(later))
        first = int(np.argmax(pid == pid[i]))
        shared = int(pd.Series(pid).duplicated(keep=False).sum())
        _check(
            t, "person_id", later, f"person_id {int(pid[i])} already appears in data row {first + 1}", pid=None,
            fix=f"give each person one row with a unique person_id ({shared} rows share an id)",
        )
    age = _whole(t, "age", 0, 130, np.int16, pid)
    sex = _labels(t, "sex", pid)
    urban = _flags(t, "urban", pid)
    region = _labels(t, "region", pid)
    inc = _real(t, "income", pid)
    quintile = _whole(t, "income_quintile", 1, 5, np.int8, pid)
    education = _choice(t, "education", EDUCATION_LEVELS, "an education level", pid)

    take = (lambda a: a) if order is None else (lambda a: a[order])
    return pd.DataFrame(
        {
            "person_id": ordered,
            "age": take(age),
            "sex": take(sex),
            "urban": take(urban),
            "region": take(region),
            "income": take(inc),
            "income_quintile": take(quintile),
            "education": education_categorical(take(education)),
            "reliability": np.full(len(pid), np.nan),
        }
    )


def _events(t: _Table, people: np.ndarray, people_label: str, horizon: int | None) -> tuple[pd.DataFrame, int]:
    f = t.frame
    pid = _whole(t, "person_id", *_INT64, np.int64)
    _known(t, "person_id", pid, people, people_label, None)
    month = _whole(t, "month", 0, _MAX_MONTHS - 1, np.int16, pid)
    if horizon is not None:
        _check(
            t, "month", month >= horizon, f"month is outside horizon_months={horizon} (months 0 to {horizon - 1})", pid=pid,
            fix="pass a larger horizon_months, or leave it out to use the last month + 1, or remove the affected rows",
        )
    elif len(month):
        bulk_end = int(np.quantile(month, BULK_SHARE, method="lower"))
        _check(
            t, "month", month > bulk_end + OUTLIER_GAP_MONTHS,
            f"month is more than {OUTLIER_GAP_MONTHS} months after month {bulk_end}, by which "
            f"{BULK_SHARE:.0%} of the events happened; one mistyped month would set the horizon (and every "
            "person's as-of month) for everyone", pid=pid,
            fix="correct or remove the row, or pass horizon_months= covering it "
                "if the log really runs that long",
        )
    kind = _choice(t, "kind", EVENT_KINDS, "an event kind", pid)
    if "domain" in f.columns:
        domain = _choice(t, "domain", DOMAINS, "a domain", pid, required=False)
        expected = _KIND_DOMAIN[kind]
        bad = (domain >= 0) & (domain != expected)
        if bad.any():
            i = int(np.argmax(bad))
            k = EVENT_KINDS[kind[i]]
            _check(
                t, "domain", bad, f"does not match kind {k!r}, whose domain is {KIND_DOMAIN[k]!r}", pid=pid,
                fix="drop the domain column (it is derived from kind) or correct it to audit.vocab.KIND_DOMAIN",
            )
    source = _KIND_SOURCE[kind]
    if "source" in f.columns:
        given = _choice(t, "source", SOURCES, "a source", pid, required=False)
        source = np.where(given >= 0, given, source).astype(np.int8)
    amount = _real(t, "amount", pid, blank=0.0) if "amount" in f.columns else np.zeros(len(pid))
    horizon = horizon if horizon is not None else (int(month.max()) + 1 if len(month) else 1)
    order = np.lexsort((kind, month, pid))
    frame = events_frame(pid[order], month[order], kind[order], source[order], amount[order], np.ones(len(pid), dtype=bool))
    return frame, horizon


def _ties(t: _Table, people: np.ndarray, people_label: str) -> pd.DataFrame:
    pid = _whole(t, "person_id", *_INT64, np.int64)
    _known(t, "person_id", pid, people, people_label, None)
    friend = _whole(t, "friend_id", *_INT64, np.int64, pid)
    _known(t, "friend_id", friend, people, people_label, pid)
    order = np.lexsort((friend, pid))
    return pd.DataFrame({"person_id": pid[order], "friend_id": friend[order]})


def _horizon(horizon_months: object) -> int | None:
    if horizon_months is None:
        return None
    if isinstance(horizon_months, (bool, np.bool_)) or not isinstance(horizon_months, (int, np.integer)):
        raise InvalidArgument(f"horizon_months = {horizon_months!r}; give a whole number of months >= 1, or None")
    if not 1 <= horizon_months <= _MAX_MONTHS:
        raise InvalidArgument(f"horizon_months = {horizon_months}; give a whole number from 1 to {_MAX_MONTHS}, or None")
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


def read_population(
    people: str | os.PathLike[str] | pd.DataFrame,
    *,
    events: str | os.PathLike[str] | pd.DataFrame | None = None,
    ties: str | os.PathLike[str] | pd.DataFrame | None = None,
    columns: Mapping[str, str] | None = None,
    horizon_months: int | None = None,
) -> dict[str, Any]:
    """Load and validate a supplied population: the fields of its :class:`~audit.population.model.Population`.

    Parameters
    ----------
    people
        Path to a ``.csv``, ``.csv.gz``, ``.parquet`` or ``.pq`` file, or a DataFrame, with one
        row per person and the columns :data:`audit.population.model.PEOPLE_COLUMNS`. Other columns
        are ignored. CSV files may start with a UTF-8 byte-order mark and may separate fields
        with ``,``, ``;``, tab or ``|`` (detected from the header).
    events
        Optional table of recorded events: ``person_id``, ``month``, ``kind`` and optionally
        ``source`` (blank or absent: :data:`DEFAULT_SOURCE` of the kind), ``amount`` (blank or
        absent: 0) and ``domain`` (checked against :data:`audit.vocab.KIND_DOMAIN`).
    ties
        Optional table of directed ties ``person_id -> friend_id``.
    columns
        Renames ``{our_name: your_name}``, applied to every table that has ``your_name``.
    horizon_months
        Months covered by the event log; default the last event month + 1 (1 with no events),
        refusing a row more than :data:`OUTLIER_GAP_MONTHS` after the month by which
        :data:`BULK_SHARE` of the events happened (a mistyped month would otherwise move every
        person's as-of month).

    Returns
    -------
    dict
        The fields of a :class:`~audit.population.model.Population`
        (:func:`audit.population.model.load_population` builds it): people sorted by ``person_id`` with ``reliability`` NaN; events sorted by
        ``(person_id, month, kind)`` with ``genuine`` True; ties sorted; ``synthetic=False``.
        Column dtypes equal those of :func:`audit.population.model.synthesize`. Label columns read from
        CSV get their categories in sorted order.

    Raises
    ------
    InvalidTable
        A table cannot be read, lacks a column, or has a bad value; the message names the table,
        column, first bad data row (1-based, header not counted), person id, count and fix.
    InvalidArgument
        ``columns`` or ``horizon_months`` is malformed, or a table is neither a path nor a DataFrame.
    """
    renames = _renames(columns)
    horizon = _horizon(horizon_months)
    pt = _table(people, "people", PEOPLE_COLUMNS, PEOPLE_COLUMNS, renames)
    people_frame = _people(pt)
    ids = people_frame["person_id"].to_numpy()
    if events is None:
        event_frame, horizon = empty_events(), horizon or 1
    else:
        et = _table(events, "events", EVENT_COLUMNS, ("person_id", "month", "kind"), renames)
        event_frame, horizon = _events(et, ids, pt.label, horizon)
    if ties is None:
        tie_frame = empty_ties()
    else:
        tie_frame = _ties(_table(ties, "ties", TIE_COLUMNS, TIE_COLUMNS, renames), ids, pt.label)
    return dict(
        people=people_frame,
        events=event_frame,
        ties=tie_frame,
        horizon_months=horizon,
        synthetic=False,
        spec=None,
        seed=None,
        source="dataframe" if isinstance(people, pd.DataFrame) else str(people),
    )
