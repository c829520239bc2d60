"""The event log a simulation grows month by month, in month order.

Events are appended one month at a time, so the events up to any month are a
prefix of the arrays and the scorer's view of a month is a slice, not a
filter. Each event keeps its origin — drawn conduct, an earned or bought act
added by a response, arrears added by the income feedback — so that the
score gains can be attributed afterwards by scoring the log without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.vocab import DOMAINS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = ["BASE", "EARNED_ACT", "BOUGHT_ACT", "FEEDBACK", "GrowingLog"]

#: Origins of an event in the simulated log.
BASE, EARNED_ACT, BOUGHT_ACT, FEEDBACK = 0, 1, 2, 3

_KINDS = pd.CategoricalDtype(list(EVENT_KINDS))
_DOMAINS = pd.CategoricalDtype(list(DOMAINS))
_SOURCES = pd.CategoricalDtype(list(SOURCES))
_KIND_DOMAIN = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)

_FIELDS = (("person", np.int64), ("month", np.int16), ("kind", np.int8), ("source", np.int8), ("amount", np.float64),
           ("origin", np.int8))


class GrowingLog:
    """Columns with spare capacity; :meth:`append` adds a month's events at the end.

    The held events are ``cols[lo:n]``; events before ``lo`` are forgotten
    (:meth:`forget_before`) and overwritten at the next compaction.
    """

    def __init__(self, capacity: int) -> None:
        self.lo = 0
        self.n = 0
        self.cols = {name: np.empty(max(capacity, 16), dtype=dtype) for name, dtype in _FIELDS}

    def __len__(self) -> int:
        return self.n - self.lo

    def append(self, person: np.ndarray, month: np.ndarray, kind: np.ndarray, source: np.ndarray,
               amount: np.ndarray, origin: np.ndarray | int) -> None:
        """Append events (all of one month at or after the last one appended)."""
        k = len(person)
        if self.n + k > len(self.cols["person"]):
            self._compact()
        if self.n + k > len(self.cols["person"]):
            size = max(2 * len(self.cols["person"]), self.n + k)
            for name, col in self.cols.items():
                grown = np.empty(size, dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                self.cols[name] = grown
        end = self.n + k
        for name, values in (("person", person), ("month", month), ("kind", kind), ("source", source),
                             ("amount", amount), ("origin", origin)):
            self.cols[name][self.n:end] = values
        self.n = end

    def forget_before(self, month: int) -> None:
        """Forget the events of months before ``month`` (they stay in place until a compaction needs the room)."""
        self.lo += int(np.searchsorted(self.cols["month"][self.lo:self.n], month, side="left"))
        if self.lo >= self.n - self.lo:  # at least as many forgotten as held: move the held ones down
            self._compact()

    def _compact(self) -> None:
        if self.lo == 0:
            return
        held = self.n - self.lo
        for col in self.cols.values():
            col[:held] = col[self.lo:self.n]  # overlapping ranges: numpy copies as if through a buffer
        self.lo, self.n = 0, held

    def column(self, name: str) -> np.ndarray:
        """The held values of a column (a view)."""
        return self.cols[name][self.lo:self.n]

    def frame(self, keep: np.ndarray | None = None, extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """The scorer's event frame of the log (rows where ``keep``), followed by ``extra`` events."""
        cols = {name: self.column(name) for name, _ in _FIELDS[:5]}
        if keep is not None:
            cols = {name: c[keep] for name, c in cols.items()}
        if extra is not None:
            cols = {name: np.concatenate([c, extra[name]]) for name, c in cols.items()}
        # the canonical event columns (audit.population.columns.events_frame) over the log's own arrays, not copies:
        # the frame is rebuilt every month and the log is the largest thing a simulation holds
        return pd.DataFrame({
            "person_id": cols["person"],
            "month": cols["month"],
            "kind": pd.Categorical.from_codes(cols["kind"], dtype=_KINDS),  # type: ignore[call-overload]
            "domain": pd.Categorical.from_codes(_KIND_DOMAIN[cols["kind"]], dtype=_DOMAINS),  # type: ignore[call-overload]
            "source": pd.Categorical.from_codes(cols["source"], dtype=_SOURCES),  # type: ignore[call-overload]
            "amount": cols["amount"],
        }, copy=False)
