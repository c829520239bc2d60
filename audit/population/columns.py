"""The columns of a population's frames and helpers that build and search them.

The frames of :class:`audit.population.model.Population` (people, events,
ties) have these columns and dtypes whether drawn from a spec
(:mod:`audit.population.synth`) or read from supplied tables
(:mod:`audit.population.table`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.vocab import DOMAINS, EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = [
    "PEOPLE_COLUMNS",
    "EVENT_COLUMNS",
    "TIE_COLUMNS",
    "TRUTH_PEOPLE_COLUMNS",
    "TRUTH_EVENT_COLUMNS",
    "category_codes",
    "education_categorical",
    "kind_categorical",
    "events_frame",
    "empty_events",
    "empty_ties",
    "rows_with_ids",
    "unique_ids",
]

PEOPLE_COLUMNS = ("person_id", "age", "sex", "urban", "region", "income", "income_quintile", "education")
EVENT_COLUMNS = ("person_id", "month", "kind", "domain", "source", "amount")
TIE_COLUMNS = ("person_id", "friend_id")
#: Columns scorers never see.
TRUTH_PEOPLE_COLUMNS = ("reliability",)
TRUTH_EVENT_COLUMNS = ("genuine",)

_KIND_TO_DOMAIN_CODE = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)


def category_codes(column: pd.Series) -> np.ndarray:
    """The integer codes of a categorical column (-1: missing), read-only, without a copy.

    ``column.cat.codes`` builds a Series holding a copy of the codes (a
    megabyte per million rows, every call); the array's own ``codes`` is a
    read-only view of them. For reading only: the view cannot be written.
    """
    return column.array.codes  # type: ignore[attr-defined]


def education_categorical(codes: np.ndarray) -> pd.Categorical:
    """Ordered categorical of education levels from integer codes (0 = primary_or_less)."""
    return pd.Categorical.from_codes(codes, categories=list(EDUCATION_LEVELS), ordered=True)  # type: ignore[call-overload]


def kind_categorical(codes: np.ndarray) -> pd.Categorical:
    """Categorical of event kinds from integer codes (positions in ``EVENT_KINDS``)."""
    return pd.Categorical.from_codes(codes, categories=list(EVENT_KINDS))  # type: ignore[call-overload]


def events_frame(
    person_id: np.ndarray,
    month: np.ndarray,
    kind_codes: np.ndarray,
    source_codes: np.ndarray,
    amount: np.ndarray,
    genuine: np.ndarray | None,
) -> pd.DataFrame:
    """Build an event frame with the canonical dtypes from code arrays."""
    data = {
        "person_id": np.asarray(person_id, dtype=np.int64),
        "month": np.asarray(month, dtype=np.int16),
        "kind": kind_categorical(kind_codes),
        "domain": pd.Categorical.from_codes(_KIND_TO_DOMAIN_CODE[kind_codes], categories=list(DOMAINS)),  # type: ignore[call-overload]
        "source": pd.Categorical.from_codes(source_codes, categories=list(SOURCES)),  # type: ignore[call-overload]
        "amount": np.asarray(amount, dtype=np.float64),
    }
    if genuine is not None:
        data["genuine"] = np.asarray(genuine, dtype=bool)
    return pd.DataFrame(data)


def empty_events(*, with_truth: bool = True) -> pd.DataFrame:
    """An event frame with no rows and the canonical columns and dtypes."""
    z = np.zeros(0, dtype=np.int64)
    return events_frame(z, z, z.astype(np.int8), z.astype(np.int8), z.astype(float), z.astype(bool) if with_truth else None)


def rows_with_ids(column: np.ndarray, ids: np.ndarray, *, presorted: bool = False) -> np.ndarray:
    """Positions in ``column`` holding one of ``ids``, ascending: ``np.flatnonzero(np.isin(column, ids))``.

    Event and tie tables are sorted by ``person_id`` (:mod:`audit.population.synth` draws
    them so, :mod:`audit.population.table` sorts supplied ones), so the rows of a few
    people are found by binary search, in time proportional to the ids and
    their rows rather than to the column. The order is checked first; an
    unsorted or non-integer column (or ids of another integer kind) falls back to the full scan.
    ``presorted=True`` skips the order check (a pass over the column) for a
    column already known to be sorted (:meth:`Population.sorted_by_person`).
    """
    column = np.asarray(column)
    ids = np.asarray(ids)
    if column.size == 0 or ids.size == 0:
        return np.zeros(0, dtype=np.intp)
    if (
        column.dtype.kind not in "iu"
        or ids.dtype.kind != column.dtype.kind
        or not (presorted or bool(np.all(column[:-1] <= column[1:])))
    ):
        return np.flatnonzero(np.isin(column, ids))
    wanted = unique_ids(ids)
    lo = np.searchsorted(column, wanted, side="left")
    counts = np.searchsorted(column, wanted, side="right") - lo
    lo, counts = lo[counts > 0], counts[counts > 0]
    # one run of consecutive positions per id, the runs in increasing order
    first = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return (first + np.arange(first.size)).astype(np.intp)


def unique_ids(ids: np.ndarray, *, presorted: bool = False) -> np.ndarray:
    """The distinct values of ``ids``, ascending: ``np.unique(ids)`` by sorting and comparing neighbours.

    numpy 2.4's ``np.unique`` of integers is hash-based and, on the sorted id
    columns this package works with, about ten times slower than a sort
    followed by a comparison of neighbours (measured with ``bench/unique_ids.py``).
    Integer and boolean arrays take that path (``presorted=True`` also skips the
    sort, for ids known to be ascending); any other dtype goes to ``np.unique``.

    Parameters
    ----------
    ids : numpy.ndarray
        Values of any shape (flattened, as ``np.unique`` does).
    presorted : bool
        The caller knows ``ids`` is one-dimensional and ascending.

    Returns
    -------
    numpy.ndarray
        One-dimensional, ascending, distinct, of the dtype of ``ids``; equal to ``np.unique(ids)``.
    """
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iub":
        return np.unique(ids)
    flat = ids.ravel() if presorted else np.sort(ids, axis=None)
    if flat.size < 2:
        return flat.copy()
    keep = np.empty(flat.size, dtype=bool)
    keep[0] = True
    np.not_equal(flat[1:], flat[:-1], out=keep[1:])
    return flat[keep]


def empty_ties() -> pd.DataFrame:
    """A tie frame with no rows."""
    return pd.DataFrame({"person_id": np.zeros(0, np.int64), "friend_id": np.zeros(0, np.int64)})
