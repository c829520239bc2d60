"""Edited event logs for replay: logs as arrays, variants that copy and edit them, added events.

:class:`EventArrays` holds an event log as aligned numpy arrays;
:class:`Variants` are copies of sampled people (:class:`audit.replay.sample.ReplaySample`)
with edited logs, each scored under its own id; :func:`added_events` builds
the events an audit appends, sized as the population spec sizes them.
:mod:`audit.replay.sample` re-exports every public name here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument
from audit.vocab import DOMAINS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = ["EventArrays", "LoggedRows", "Variants", "added_events"]

_KIND_DTYPE = pd.CategoricalDtype(list(EVENT_KINDS))
_DOMAIN_DTYPE = pd.CategoricalDtype(list(DOMAINS))
_SOURCE_DTYPE = pd.CategoricalDtype(list(SOURCES))
_KIND_DOMAIN = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int64)


def _codes(column: pd.Series, categories: Sequence[str]) -> np.ndarray:
    if isinstance(column.dtype, pd.CategoricalDtype) and tuple(column.cat.categories) == tuple(categories):
        return column.cat.codes.to_numpy().astype(np.int64)
    lookup = {c: i for i, c in enumerate(categories)}
    return np.array([lookup.get(v, -1) for v in column.astype(object)], dtype=np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventArrays:
    """An event log as aligned numpy arrays (the columns of :func:`audit.population.model.events_frame`)."""

    person: np.ndarray
    """Person id (or variant id) of each event, int64."""
    month: np.ndarray
    """Month of each event, int64."""
    kind: np.ndarray
    """Kind code (position in :data:`audit.vocab.EVENT_KINDS`), int64."""
    source: np.ndarray
    """Source code (position in :data:`audit.vocab.SOURCES`), int64."""
    amount: np.ndarray
    """Yuan or hours; 0 when the kind has none."""
    genuine: np.ndarray
    """Ground truth: False for a misrecorded event (True when unknown)."""

    @classmethod
    def empty(cls) -> EventArrays:
        z = np.zeros(0, dtype=np.int64)
        return cls(person=z, month=z, kind=z, source=z, amount=np.zeros(0), genuine=np.zeros(0, dtype=bool))

    @classmethod
    def from_frame(cls, events: pd.DataFrame) -> EventArrays:
        """Arrays from an event frame; rows with a kind or source outside the vocabulary are dropped."""
        kind = _codes(events["kind"], EVENT_KINDS)
        source = _codes(events["source"], SOURCES) if "source" in events.columns else np.zeros(len(events), np.int64)
        amount = (
            events["amount"].to_numpy(dtype=np.float64, na_value=0.0) if "amount" in events.columns else np.zeros(len(events))
        )
        genuine = events["genuine"].to_numpy(dtype=bool) if "genuine" in events.columns else np.ones(len(events), bool)
        out = cls(
            person=events["person_id"].to_numpy().astype(np.int64),
            month=events["month"].to_numpy().astype(np.int64),
            kind=kind,
            source=source,
            amount=amount,
            genuine=genuine,
        )
        keep = (kind >= 0) & (source >= 0)
        return out if keep.all() else out.take(keep)

    def __len__(self) -> int:
        return len(self.person)

    def take(self, index: np.ndarray) -> EventArrays:
        """The events at ``index`` (positions or a boolean mask)."""
        return EventArrays(
            person=self.person[index],
            month=self.month[index],
            kind=self.kind[index],
            source=self.source[index],
            amount=self.amount[index],
            genuine=self.genuine[index],
        )

    def with_person(self, person: np.ndarray) -> EventArrays:
        return EventArrays(
            person=np.asarray(person, dtype=np.int64), month=self.month, kind=self.kind, source=self.source,
            amount=self.amount, genuine=self.genuine,
        )

    @staticmethod
    def concat(parts: Sequence[EventArrays]) -> EventArrays:
        parts = [p for p in parts if len(p)] or [EventArrays.empty()]
        return EventArrays(
            person=np.concatenate([p.person for p in parts]),
            month=np.concatenate([p.month for p in parts]),
            kind=np.concatenate([p.kind for p in parts]),
            source=np.concatenate([p.source for p in parts]),
            amount=np.concatenate([p.amount for p in parts]),
            genuine=np.concatenate([p.genuine for p in parts]),
        )

    def frame(self) -> pd.DataFrame:
        """The scorer's view of these events (no ground truth).

        The columns and dtypes of :func:`audit.population.model.events_frame`, built
        from cached categorical dtypes (replays build thousands of small frames).
        """
        def cat(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
            return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)

        return pd.DataFrame(
            {
                "person_id": self.person,
                "month": self.month.astype(np.int16),
                "kind": cat(self.kind, _KIND_DTYPE),
                "domain": cat(_KIND_DOMAIN[self.kind], _DOMAIN_DTYPE),
                "source": cat(self.source, _SOURCE_DTYPE),
                "amount": self.amount,
            }
        )


class LoggedRows(Protocol):
    """Rows with recorded events that variants copy (a :class:`audit.replay.sample.ReplaySample`)."""

    @property
    def events(self) -> EventArrays:
        """Every row's recorded events."""
        ...

    def log_pairs(self, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(variant, event)`` index pairs: every event of each variant's base row."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Variants:
    """Copies of sampled people with edited logs, each scored under its own id."""

    base: np.ndarray
    """Sampled-person index each variant copies (attributes and friends)."""
    ids: np.ndarray
    """Person id each variant is scored under."""
    events: EventArrays
    """The variants' logs; ``events.person`` holds variant ids."""
    owner: np.ndarray
    """Variant index of each event."""
    friends: tuple[np.ndarray, np.ndarray] | None = None
    """``(variant index, friend id)`` ties replacing the base person's friends, if given."""

    def __len__(self) -> int:
        return len(self.base)

    @staticmethod
    def concat(parts: Sequence[Variants]) -> Variants:
        """One set of variants from several (their friends must not be overridden)."""
        if any(p.friends is not None for p in parts):
            raise InvalidArgument("Variants.concat: variants with overridden friends cannot be combined")
        offsets = np.r_[0, np.cumsum([len(p) for p in parts])]
        return Variants(
            base=np.concatenate([p.base for p in parts]),
            ids=np.concatenate([p.ids for p in parts]),
            events=EventArrays.concat([p.events for p in parts]),
            owner=np.concatenate([p.owner + o for p, o in zip(parts, offsets[:-1])]),
        )

    @classmethod
    def build(
        cls,
        sample: LoggedRows,
        *,
        base: np.ndarray,
        ids: np.ndarray,
        keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        extra: tuple[np.ndarray, EventArrays] | None = None,
        friends: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Variants:
        """Variants copying ``base`` people's logs.

        ``keep(variant, event)`` selects which of the base person's events each
        variant keeps (all when ``None``); ``extra = (variant index, events)``
        appends events.
        """
        base = np.asarray(base, dtype=np.int64)
        ids = np.asarray(ids, dtype=np.int64)
        v, e = sample.log_pairs(base)
        if keep is not None and v.size:
            k = keep(v, e)
            v, e = v[k], e[k]
        parts = [sample.events.take(e).with_person(ids[v])]
        owners = [v]
        if extra is not None and len(extra[1]):
            xv = np.asarray(extra[0], dtype=np.int64)
            parts.append(extra[1].with_person(ids[xv]))
            owners.append(xv)
        return cls(base=base, ids=ids, events=EventArrays.concat(parts), owner=np.concatenate(owners), friends=friends)


def added_events(spec, people, kinds: np.ndarray, owner: np.ndarray, month: int) -> EventArrays:
    """Events of the given kinds at ``month``, one per entry of ``kinds``, sized as the spec sizes them.

    ``owner`` is the row (in ``people``) each event is for: amounts in yuan are
    the kind's ``amount_scale`` times that person's monthly income, hours its
    ``amount_scale``; the source is the kind's source in the spec. The
    ``person`` column is left 0 for :meth:`Variants.build` to fill in.
    """
    unit = {e.kind: (e.amount_unit, e.amount_scale, e.source) for e in spec.events}
    income = np.nan_to_num(people["income"].to_numpy(dtype=np.float64, na_value=np.nan), nan=0.0)[owner] / 12.0
    amount = np.zeros(kinds.size)
    source = np.zeros(kinds.size, dtype=np.int64)
    for code, kind in enumerate(EVENT_KINDS):
        sel = kinds == code
        u, scale, src = unit.get(kind, ("none", 0.0, "platform"))
        amount[sel] = np.round(scale * income[sel], 2) if u == "yuan" else (scale if u == "hours" else 0.0)
        source[sel] = SOURCES.index(src)
    return EventArrays(
        person=np.zeros(kinds.size, np.int64), month=np.full(kinds.size, month, dtype=np.int64), kind=kinds,
        source=source, amount=amount, genuine=np.ones(kinds.size, dtype=bool),
    )
