"""Where a run's people come from: a synthetic spec or a supplied table."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument
from audit.population.columns import PEOPLE_COLUMNS
from audit.population.model import Population, empty_ties, synthesize_chunk, unique_ids
from audit.population.person_ids import id_fingerprint, id_sketch
from audit.population.spec import PopulationSpec, load_spec
from audit.population.synth import BLOCK_SIZE, chunk_ranges
from audit.population.table_files import TABLE_SUFFIXES
from audit.population.tie_bound import MAX_IN_DEGREE, cap_in_degree, max_out_degree

__all__ = ["PopulationSource", "open_source"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PopulationSource:
    """A population to stream: either a spec with size and seed, or a loaded table."""

    spec: PopulationSpec | None
    size: int
    seed: int | None
    supplied: Population | None = None
    max_in_degree: int = MAX_IN_DEGREE
    """Public bound D on how many people may list one person as a friend (:mod:`audit.population.tie_bound`);
    a supplied population's ties are already capped, a synthetic chunk's are capped as it is drawn."""
    ties_dropped: int = 0
    """Ties of a supplied population the cap dropped (private)."""

    @property
    def synthetic(self) -> bool:
        return self.supplied is None

    def _synthetic_params(self) -> tuple[PopulationSpec, int]:
        """The spec and seed of a synthetic source (which always has both)."""
        assert self.spec is not None and self.seed is not None, "a synthetic source needs a spec and a seed"
        return self.spec, self.seed

    @property
    def horizon_months(self) -> int:
        if self.supplied is not None:
            return self.supplied.horizon_months
        spec, _ = self._synthetic_params()
        return spec.horizon_months

    def chunk_plan(self, chunk_size: int) -> list[tuple[int, int]]:
        """Block ranges of each chunk (a supplied population is one chunk)."""
        if self.supplied is not None:
            return [(0, 1)]
        return chunk_ranges(self.size, chunk_size)

    def chunk(self, blocks: tuple[int, int]) -> Population:
        if self.supplied is not None:
            return self.supplied
        spec, seed = self._synthetic_params()
        return synthesize_chunk(spec, seed=seed, size=self.size, blocks=blocks, max_in_degree=self.max_in_degree)

    def chunks(self, chunk_size: int) -> Iterator[Population]:
        for blocks in self.chunk_plan(chunk_size):
            yield self.chunk(blocks)

    def fingerprint(self) -> str:
        """Identifies the data: spec content + size + seed, or the supplied table's content."""
        if self.supplied is not None:
            return self.supplied.fingerprint()
        spec, seed = self._synthetic_params()
        blob = f"{spec.fingerprint()}:{self.size}:{seed}:{BLOCK_SIZE}".encode()
        return hashlib.sha256(blob).hexdigest()

    def describe(self) -> dict[str, Any]:
        if self.supplied is not None:
            return {
                "name": Path(self.supplied.source).name if self.supplied.source != "dataframe" else "dataframe",
                "synthetic": False,
                "source": self.supplied.source,
                "size": self.size,
                "seed": None,
                "horizon_months": self.horizon_months,
                "columns": [str(c) for c in self.supplied.people.columns if c != "reliability"],
                "absent_columns": [c for c in PEOPLE_COLUMNS if c not in self.supplied.people.columns],
                "score_column": self.supplied.score_column,
                "outcome_column": self.supplied.outcome_column,
                "date_range": list(self.supplied.date_range) if self.supplied.date_range else None,
                "event_months": _event_months(self.supplied.events),
                "fingerprint": self.fingerprint(),
                "person_ids": person_id_identity(self.supplied.people["person_id"].to_numpy()),
                "ties": {"max_in_degree": self.max_in_degree, "ties_dropped": self.ties_dropped,
                         "max_out_degree": max_out_degree(self.supplied.ties)},
            }
        spec, seed = self._synthetic_params()
        return {
            "name": spec.name,
            "synthetic": True,
            "source": _spec_source(spec),
            "size": self.size,
            "seed": seed,
            "horizon_months": self.horizon_months,
            "spec_fingerprint": spec.fingerprint(),
            "fingerprint": self.fingerprint(),
            # the spec is public: nobody lists more than friends_per_person friends (audit.population.synth draws no duplicates)
            "ties": {"max_in_degree": self.max_in_degree, "max_out_degree": spec.friends_per_person},
        }


def _event_months(events: pd.DataFrame) -> list[int] | None:
    """First and last month of a supplied event log (``None`` without events): the span the events really
    cover, which ``horizon_months`` (a default of 1 month when there are none) does not say."""
    if not len(events):
        return None
    months = events["month"].to_numpy()
    return [int(months.min()), int(months.max())]


def _spec_source(spec: PopulationSpec) -> str:
    """The spec's file, relative to the project for builtin specs (no local paths in reports)."""
    from audit.population.spec import fixtures_dir

    if spec.path is None:
        return spec.name
    path = Path(spec.path).resolve()
    root = fixtures_dir().parent
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


def open_source(
    population: str | Path | Population | PopulationSpec = "china-2020",
    *,
    size: int = 200_000,
    seed: int = 0,
    events: str | Path | None = None,
    ties: str | Path | None = None,
    horizon_months: int | None = None,
    max_in_degree: int = MAX_IN_DEGREE,
    scores: str | Path | None = None,
    score_column: str | None = None,
    outcome: str | None = None,
    favourable_column: str | None = None,
    date_column: str | None = None,
) -> PopulationSource:
    """Resolve a builtin spec name, a spec TOML, a CSV/Parquet table or an in-memory population.

    Every population's ties are capped at ``max_in_degree`` people per friend
    (:func:`audit.population.tie_bound.cap_in_degree`) before any scorer sees them.
    ``scores``, ``score_column``, ``outcome``, ``favourable_column`` and ``date_column`` go with a
    supplied table (:func:`audit.population.table.read_population`).
    """
    supplied_only = {"scores": scores, "score_column": score_column, "outcome": outcome,
                     "favourable_column": favourable_column, "date_column": date_column}
    if isinstance(population, Population):
        return _supplied(population, spec=population.spec, seed=population.seed, max_in_degree=max_in_degree)
    if isinstance(population, PopulationSpec):
        spec = population
    else:
        text = str(population)
        if text.lower().endswith(TABLE_SUFFIXES):
            pop = Population.from_table(text, events=events, ties=ties, horizon_months=horizon_months, **supplied_only)
            return _supplied(pop, spec=None, seed=None, max_in_degree=max_in_degree)
        given = [k for k, v in supplied_only.items() if v is not None]
        if given:
            raise InvalidArgument(f"{', '.join(g + '=' for g in given)} go with a supplied people table (CSV or Parquet) "
                                  f"holding a deployed system's outputs, not a synthetic spec ({text!r}); pass "
                                  "population= the path of the people table")
        if events is not None or ties is not None or horizon_months is not None:
            raise InvalidArgument("events=, ties= and horizon_months= go with a supplied people table (CSV or Parquet), "
                                  "not a spec (a spec sets its own horizon_months)")
        spec = load_spec(text)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidArgument(f"size={size!r}: give a whole number of people >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgument(f"seed={seed!r}: give a whole number >= 0")
    cap_in_degree(empty_ties(), max_in_degree)  # checks the bound
    return PopulationSource(spec=spec, size=size, seed=seed, max_in_degree=max_in_degree)


def _supplied(pop: Population, *, spec: PopulationSpec | None, seed: int | None, max_in_degree: int) -> PopulationSource:
    ties = cap_in_degree(pop.ties, max_in_degree)
    dropped = len(pop.ties) - len(ties)
    if dropped:
        pop = replace(pop, ties=ties, _fingerprint=[], _sorted={})
    return PopulationSource(spec=spec, size=len(pop), seed=seed, supplied=pop, max_in_degree=max_in_degree,
                            ties_dropped=dropped)


def person_id_identity(ids: np.ndarray) -> dict[str, Any]:
    """Who a supplied dataset is about: a SHA-256 of its sorted person ids and a bottom-k sketch of them.

    The privacy budget belongs to these people, whatever the file's rows or
    name: the ledger compares the fingerprint (the same people) and the sketch
    (nearly the same people, :func:`audit.population.person_ids.similarity`). Both are
    private (kept in results.json and the ledger file, never published).
    """
    return {"fingerprint": id_fingerprint(ids), "sketch": id_sketch(ids), "count": int(unique_ids(ids).size)}
