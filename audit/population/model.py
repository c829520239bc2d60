"""Populations: people, their recorded events, their ties, and the ground truth.

A :class:`Population` holds everything, including ground truth that no scorer
may see (each event's ``genuine`` flag, each person's latent ``reliability``).
A :class:`PopulationView` is what a scorer gets: the same frames with the
ground-truth columns removed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from audit.population.columns import (
    EVENT_COLUMNS,
    PEOPLE_COLUMNS,
    TIE_COLUMNS,
    TRUTH_EVENT_COLUMNS,
    TRUTH_PEOPLE_COLUMNS,
    education_categorical,
    empty_events,
    empty_ties,
    events_frame,
    kind_categorical,
    rows_with_ids,
    unique_ids,
)
from audit.population.spec import PopulationSpec, load_spec
from audit.population.synth import BLOCK_SIZE, checked_request, chunk_ranges, drawn_chunk
from audit.population.table import read_population
from audit.population.view import PopulationView

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
    "events_frame",
    "rows_with_ids",
    "unique_ids",
    "iter_chunks",
    "load_population",
    "synthesize",
    "synthesize_block",
    "synthesize_chunk",
]


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
    spec: PopulationSpec | None = None
    """The spec a synthetic population was drawn from."""
    seed: int | None = None
    """Seed of a synthetic population."""
    source: str = "synthetic"
    """Where the data came from: ``synthetic`` or the supplied file's path."""
    score_column: str | None = None
    """Column of ``people`` holding a supplied system's precomputed score (checked: finite numbers)."""
    outcome_column: str | None = None
    """Column of ``people`` holding the observed 0/1 outcome (checked), for error rates and calibration."""
    date_range: tuple[str, str] | None = None
    """First and last date of a supplied table's records (``date_column=``), ISO 8601; ``None``: not given."""
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

    def with_events(self, events: pd.DataFrame) -> Population:
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

    def genuine_only(self) -> Population:
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
    def concat(parts: list[Population]) -> Population:
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
    def from_table(
        cls, people, *, events=None, ties=None, columns=None, horizon_months=None, scores=None, score_column=None,
        outcome=None, favourable_column=None, date_column=None,
    ) -> Population:
        """Load a supplied population from CSV/Parquet paths or DataFrames (:func:`load_population`)."""
        return load_population(
            people, events=events, ties=ties, columns=columns, horizon_months=horizon_months, scores=scores,
            score_column=score_column, outcome=outcome, favourable_column=favourable_column, date_column=date_column,
        )

    @classmethod
    def synthesize(cls, spec: PopulationSpec | str, *, size: int, seed: int = 0) -> Population:
        """Draw a synthetic population in memory (:func:`synthesize`)."""
        return synthesize(spec, size=size, seed=seed)


def load_population(
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
) -> Population:
    """Load and validate a supplied population.

    The parameters, validation rules and errors are those of
    :func:`audit.population.table.read_population`.
    """
    return Population(**read_population(
        people, events=events, ties=ties, columns=columns, horizon_months=horizon_months, scores=scores,
        score_column=score_column, outcome=outcome, favourable_column=favourable_column, date_column=date_column,
    ))


def synthesize_chunk(
    spec: PopulationSpec, *, seed: int, size: int, blocks: tuple[int, int], max_in_degree: int | None = None
) -> Population:
    """The people in blocks ``blocks[0] .. blocks[1] - 1`` as one population (:mod:`audit.population.synth`).

    With ``max_in_degree``, the ties are capped at that many people per friend
    (:func:`audit.population.tie_bound.cap_in_degree`; ties stay within a
    block, so the chunk's cap is the whole population's).
    """
    fields, _ = drawn_chunk(spec, seed=seed, size=size, blocks=blocks, max_in_degree=max_in_degree)
    return Population(**fields)


def synthesize_block(spec: PopulationSpec, *, seed: int, block: int, size: int) -> Population:
    """Draw block ``block`` of the population of ``size`` people (ids ``block * BLOCK_SIZE ...``)."""
    return synthesize_chunk(spec, seed=seed, size=size, blocks=(block, block + 1))


def iter_chunks(spec: PopulationSpec | str, *, size: int, seed: int = 0, chunk_size: int = 1_000_000) -> Iterator[Population]:
    """Yield the population chunk by chunk; chunks are runs of whole blocks."""
    spec = load_spec(spec) if isinstance(spec, str) else spec
    for blocks in chunk_ranges(size, chunk_size):
        yield synthesize_chunk(spec, seed=seed, size=size, blocks=blocks)


def synthesize(spec: PopulationSpec | str, *, size: int, seed: int = 0) -> Population:
    """The whole synthetic population of ``size`` people in memory."""
    spec, size, seed = checked_request(spec, size=size, seed=seed)
    return synthesize_chunk(spec, seed=seed, size=size, blocks=(0, -(-size // BLOCK_SIZE)))
