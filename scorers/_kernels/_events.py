"""What the compiled kernels of :mod:`scorers._kernels._compiled` read and what they give back.

:func:`person_events` turns a view's events into the flat arrays the kernels
walk person by person, :func:`tie_ends` does the same for the ties; the
reason combinations the kernels number become tuples with
:func:`scorers._kernels._frames.reasons_of`.

A synthetic chunk (people ids consecutive int64, events with int64 ids and
integer months) is passed as it is: a kernel finds an event's person by
subtraction and skips events outside the month window itself, so nothing
is copied. Any other view (supplied tables with gaps, unsorted or float ids,
months of another type) goes through :func:`scorers._kernels._frames.visible_events`
first, which resolves rows and filters exactly as the numpy scorers did.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit.population.model import PopulationView
from scorers._kernels._arrays import stable_order
from scorers._kernels._frames import (
    _consecutive,
    kind_codes_of,
    rows_of_ids,
    visible_of,
)

__all__ = ["PersonEvents", "month_bound", "person_events", "run_on_ties", "tie_ends"]

_INT64_MIN = int(np.iinfo(np.int64).min)
_INT64_MAX = int(np.iinfo(np.int64).max)
_NO_AMOUNT = np.zeros(0, dtype=np.float64)
_NO_ORDER = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonEvents:
    """A view's events as the leading arguments of a per-person kernel (:meth:`run`)."""

    ids: np.ndarray
    """int64 person id of each event; the event's row is ``ids - first`` when in ``[0, n)``."""
    first: int
    """Person id of row 0 (0 when ``ids`` already hold rows)."""
    n: int
    """Number of people (rows of ``view.people``)."""
    codes: np.ndarray
    """int8 kind code of each event (-1 = not in :data:`audit.vocab.EVENT_KINDS`)."""
    month: np.ndarray
    """Month of each event (a signed integer type)."""
    lo_month: int | float
    """Events before this month are not counted."""
    hi_month: int | float
    """Events after this month are not counted."""
    amount: np.ndarray
    """float64 amount of each event (empty unless asked for)."""
    people_first: int | None = None
    """Id of the first person when the people's ids were found consecutive int64 (row = id - this); None: not known."""
    _order: list = field(default_factory=list, repr=False, compare=False)

    def run(self, kernel, **rules):
        """``kernel(ids=..., first=..., ..., order=..., use_order=..., **rules)`` without its ``ok``.

        The events fill the kernel's leading parameters (``ids, first, n,
        codes, month, lo_month, hi_month, order, use_order``); ``rules`` name
        the rest. Walks the events in table order; when their rows turn out
        not to be grouped, walks them again (and on every later call) in
        :func:`scorers._kernels._arrays.stable_order`.
        """
        head = {
            "ids": self.ids, "first": self.first, "n": self.n, "codes": self.codes, "month": self.month,
            "lo_month": self.lo_month, "hi_month": self.hi_month,
        }
        if not self._order:
            out = kernel(**head, order=_NO_ORDER, use_order=False, **rules)
            if out[0]:
                return out[1:] if len(out) > 2 else out[1]
            self._order.append(stable_order(self.ids, self.first, self.n))
        out = kernel(**head, order=self._order[0], use_order=True, **rules)
        return out[1:] if len(out) > 2 else out[1]


def month_bound(month: object) -> int | float:
    """A month as a kernel argument: an int when it is integral, else a float (as numpy would compare it)."""
    try:
        return operator.index(month)  # type: ignore[arg-type]
    except TypeError:
        return float(month)  # type: ignore[arg-type]


def _fast_kind(kind: pd.Series) -> bool:
    return isinstance(kind.dtype, (pd.CategoricalDtype, pd.StringDtype))


def person_events(view: PopulationView, as_of: int, *, since: int | None = None, amount: bool = False) -> PersonEvents:
    """The events with ``since <= month <= as_of`` of people in ``view.people``, for the kernels.

    ``amount=True`` also passes each event's ``amount`` (0 when the column is
    absent). Events of people absent from ``view.people`` and kinds outside
    the vocabulary are never counted, as in :func:`scorers._kernels._frames.visible_events`.
    Each column is read from its frame once (a column read costs tens of
    microseconds in pandas 3, which counts when a scorer is called on a few
    people many times).
    """
    people_ids = view.people["person_id"].to_numpy()
    n = int(people_ids.shape[0])
    ev = view.events
    ev_ids = ev["person_id"].to_numpy()
    month = ev["month"].to_numpy()
    kind = ev["kind"]
    amount_column = ev["amount"] if amount and "amount" in ev.columns else None
    amounts = _NO_AMOUNT
    fast = (
        n > 0
        and people_ids.dtype == np.int64
        and ev_ids.dtype == np.int64
        and month.dtype.kind == "i"
        and _fast_kind(kind)
        and _consecutive(people_ids)
    )
    if fast and amount:
        if amount_column is not None:
            amounts = amount_column.to_numpy()
            fast = amounts.dtype == np.float64
        else:
            amounts = np.zeros(len(ev))
    if fast:
        ids, first = ev_ids, int(people_ids[0])
        codes = kind_codes_of(kind)  # months stay in their own integer type: the kernels widen them
        lo_month = _INT64_MIN if since is None else month_bound(since)
        hi_month = month_bound(as_of)
    else:
        vis = visible_of(people_ids, ev_ids, kind, month, amount_column, as_of, since=since)
        ids, first, codes, month = vis.rows, 0, vis.codes, vis.month
        lo_month, hi_month = _INT64_MIN, _INT64_MAX  # already filtered
        if amount:
            amounts = vis.amount
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    codes = np.ascontiguousarray(codes, dtype=np.int8)
    month = np.ascontiguousarray(month)
    return PersonEvents(
        ids=ids, first=first, n=n, codes=codes, month=month, lo_month=lo_month, hi_month=hi_month,
        amount=np.ascontiguousarray(amounts, dtype=np.float64), people_first=first if fast else None,
    )


def tie_ends(view: PopulationView, *, people_first: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """``(me, friend, first)`` of ``view.ties`` as int64 arrays, for a kernel that walks ties like events.

    Ids of consecutive int64 people are passed as they are (row = id -
    ``first``); otherwise they are resolved to rows (-1 if absent) and
    ``first`` is 0. No people or no ties give empty arrays. ``people_first``:
    the first person id when the caller already found the people's ids
    consecutive int64 (:attr:`PersonEvents.people_first`), so they are not
    walked again; None: look.
    """
    ties = view.ties
    people_ids = view.people["person_id"].to_numpy()
    if people_ids.shape[0] == 0 or ties is None or len(ties) == 0:
        return _NO_ORDER, _NO_ORDER, 0
    me, friend = ties["person_id"].to_numpy(), ties["friend_id"].to_numpy()
    int_ids = people_ids.dtype == np.int64 and me.dtype == np.int64 and friend.dtype == np.int64
    if int_ids and (people_first is not None or _consecutive(people_ids)):
        return np.ascontiguousarray(me), np.ascontiguousarray(friend), int(people_ids[0])
    return rows_of_ids(people_ids, me), rows_of_ids(people_ids, friend), 0


def run_on_ties(view: PopulationView, kernel, *, people_first: int | None = None, **rules):
    """``kernel(me=..., friend=..., first=..., order=..., use_order=..., **rules)`` over ``view.ties``, without its ``ok``.

    The ties (:func:`tie_ends`, given ``people_first``) fill the kernel's
    leading parameters; walks them in table order, and again in
    :func:`scorers._kernels._arrays.stable_order` of ``me`` when they turn
    out not to be grouped by person.
    """
    me, friend, first = tie_ends(view, people_first=people_first)
    ends = {"me": me, "friend": friend, "first": first}
    out = kernel(**ends, order=_NO_ORDER, use_order=False, **rules)
    if not out[0]:
        out = kernel(**ends, order=stable_order(me, first, len(view.people)), use_order=True, **rules)
    return out[1:]
