"""Populations: people, their recorded events, their ties, and the ground truth.

A :class:`Population` holds everything, including ground truth that no scorer
may see (each event's ``genuine`` flag, each person's latent ``reliability``).
A :class:`PopulationView` is what a scorer gets: the same frames with the
ground-truth columns removed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit.vocab import DOMAINS, EDUCATION_LEVELS, EVENT_KINDS, KIND_DOMAIN, SOURCES

if TYPE_CHECKING:
    from audit.population.spec import PopulationSpec

__all__ = [
    "PEOPLE_COLUMNS",
    "EVENT_COLUMNS",
    "TIE_COLUMNS",
    "TRUTH_PEOPLE_COLUMNS",
    "TRUTH_EVENT_COLUMNS",
    "Population",
    "PopulationView",
    "education_categorical",
    "kind_categorical",
    "empty_events",
    "empty_ties",
]

PEOPLE_COLUMNS = ("person_id", "age", "sex", "urban", "region", "income", "income_quintile", "education")
EVENT_COLUMNS = ("person_id", "month", "kind", "domain", "source", "amount")
TIE_COLUMNS = ("person_id", "friend_id")
#: Columns scorers never see.
TRUTH_PEOPLE_COLUMNS = ("reliability",)
TRUTH_EVENT_COLUMNS = ("genuine",)

_KIND_TO_DOMAIN_CODE = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)


def education_categorical(codes: np.ndarray) -> pd.Categorical:
    """Ordered categorical of education levels from integer codes (0 = primary_or_less)."""
    return pd.Categorical.from_codes(codes, categories=list(EDUCATION_LEVELS), ordered=True)


def kind_categorical(codes: np.ndarray) -> pd.Categorical:
    """Categorical of event kinds from integer codes (positions in ``EVENT_KINDS``)."""
    return pd.Categorical.from_codes(codes, categories=list(EVENT_KINDS))


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
        "domain": pd.Categorical.from_codes(_KIND_TO_DOMAIN_CODE[kind_codes], categories=list(DOMAINS)),
        "source": pd.Categorical.from_codes(source_codes, categories=list(SOURCES)),
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
    wanted = np.unique(ids)
    lo = np.searchsorted(column, wanted, side="left")
    counts = np.searchsorted(column, wanted, side="right") - lo
    lo, counts = lo[counts > 0], counts[counts > 0]
    # one run of consecutive positions per id, the runs in increasing order
    first = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return (first + np.arange(first.size)).astype(np.intp)


def empty_ties() -> pd.DataFrame:
    """A tie frame with no rows."""
    return pd.DataFrame({"person_id": np.zeros(0, np.int64), "friend_id": np.zeros(0, np.int64)})


@dataclass(frozen=True, slots=True, kw_only=True)
class PopulationView:
    """What a scorer sees: people, recorded events and ties, without ground truth."""

    people: pd.DataFrame
    """One row per person: ``person_id, age, sex, urban, region, income, income_quintile, education``."""
    events: pd.DataFrame
    """One row per recorded event: ``person_id, month, kind, domain, source, amount``."""
    ties: pd.DataFrame
    """Directed friendships: ``person_id`` names ``friend_id`` as a friend."""
    horizon_months: int
    """Months covered by the event log (months ``0 .. horizon_months - 1``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Population:
    """People, events, ties and ground truth; synthetic or supplied."""

    people: pd.DataFrame
    """People columns plus ``reliability`` (ground truth; NaN when unknown)."""
    events: pd.DataFrame
    """Event columns plus ``genuine`` (ground truth; True when unknown)."""
    ties: pd.DataFrame
    """Directed ties ``person_id -> friend_id``."""
    horizon_months: int
    """Months covered by the event log."""
    synthetic: bool
    """True when drawn from a spec, so ground truth is real; False for supplied data."""
    spec: "PopulationSpec | None" = None
    """The spec a synthetic population was drawn from."""
    seed: int | None = None
    """Seed of a synthetic population."""
    source: str = "synthetic"
    """Where the data came from: ``synthetic`` or the supplied file's path."""
    _fingerprint: list = field(default_factory=list, repr=False, compare=False)
    _sorted: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.people)

    @property
    def size(self) -> int:
        return len(self.people)

    def view(self, events: pd.DataFrame | None = None) -> PopulationView:
        """The scorer's view, optionally over a replacement event log (for replay audits)."""
        ev = self.events if events is None else events
        return PopulationView(
            people=self.people.drop(columns=[c for c in TRUTH_PEOPLE_COLUMNS if c in self.people.columns]),
            events=ev.drop(columns=[c for c in TRUTH_EVENT_COLUMNS if c in ev.columns]),
            ties=self.ties,
            horizon_months=self.horizon_months,
        )

    def with_events(self, events: pd.DataFrame) -> "Population":
        """The same people and ties over another event log."""
        return replace(self, events=events, _fingerprint=[], _sorted={})

    def sorted_by_person(self, table: str) -> bool:
        """Whether ``people``, ``events`` or ``ties`` is sorted by ``person_id`` (checked once per population).

        Audits look up a few people's rows many times per chunk
        (:func:`rows_with_ids`); knowing the order saves a pass over the table each time.
        """
        if table not in self._sorted:
            ids = getattr(self, table)["person_id"].to_numpy()
            self._sorted[table] = bool(ids.dtype.kind in "iu" and (ids.size < 2 or np.all(ids[:-1] <= ids[1:])))
        return self._sorted[table]

    def genuine_only(self) -> "Population":
        """The population as it really behaved: misrecorded events removed."""
        return self.with_events(self.events[self.events["genuine"].to_numpy()].reset_index(drop=True))

    def fingerprint(self) -> str:
        """SHA-256 over people, events and ties (content, not object identity)."""
        if not self._fingerprint:
            h = hashlib.sha256()
            for frame in (self.people, self.events, self.ties):
                h.update(",".join(map(str, frame.columns)).encode())
                h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
            self._fingerprint.append(h.hexdigest())
        return self._fingerprint[0]

    @staticmethod
    def concat(parts: list["Population"]) -> "Population":
        """Join populations of consecutive person-id blocks into one."""
        if not parts:
            raise ValueError("Population.concat needs at least one part")
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        return replace(
            first,
            people=pd.concat([p.people for p in parts], ignore_index=True),
            events=pd.concat([p.events for p in parts], ignore_index=True),
            ties=pd.concat([p.ties for p in parts], ignore_index=True),
            _fingerprint=[],
            _sorted={},
        )

    @classmethod
    def from_table(cls, people, *, events=None, ties=None, columns=None, horizon_months=None) -> "Population":
        """Load a supplied population from CSV/Parquet paths or DataFrames.

        See :func:`audit.population.table.load_population` for the validation rules.
        """
        from audit.population.table import load_population

        return load_population(people, events=events, ties=ties, columns=columns, horizon_months=horizon_months)

    @classmethod
    def synthesize(cls, spec: "PopulationSpec | str", *, size: int, seed: int = 0) -> "Population":
        """Draw a synthetic population in memory (see :mod:`audit.population.synth`)."""
        from audit.population.synth import synthesize

        return synthesize(spec, size=size, seed=seed)
