"""Where a run's people come from: a synthetic spec or a supplied table."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.errors import InvalidArgument
from audit.population import Population
from audit.spec import PopulationSpec, load_spec
from audit.synth import BLOCK_SIZE, chunk_ranges, synthesize_chunk
from audit.table_files import TABLE_SUFFIXES

__all__ = ["PopulationSource", "open_source"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PopulationSource:
    """A population to stream: either a spec with size and seed, or a loaded table."""

    spec: PopulationSpec | None
    size: int
    seed: int | None
    supplied: Population | None = None

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
        return synthesize_chunk(spec, seed=seed, size=self.size, blocks=blocks)

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
                "fingerprint": self.fingerprint(),
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
        }


def _spec_source(spec: PopulationSpec) -> str:
    """The spec's file, relative to the project for builtin specs (no local paths in reports)."""
    from audit.spec import fixtures_dir

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
) -> PopulationSource:
    """Resolve a builtin spec name, a spec TOML, a CSV/Parquet table or an in-memory population."""
    if isinstance(population, Population):
        return PopulationSource(spec=population.spec, size=len(population), seed=population.seed, supplied=population)
    if isinstance(population, PopulationSpec):
        spec = population
    else:
        text = str(population)
        if text.lower().endswith(TABLE_SUFFIXES):
            pop = Population.from_table(text, events=events, ties=ties, horizon_months=horizon_months)
            return PopulationSource(spec=None, size=len(pop), seed=None, supplied=pop)
        if events is not None or ties is not None or horizon_months is not None:
            raise InvalidArgument("--events/--ties/--horizon-months go with a supplied people table (CSV or Parquet), "
                                  "not a spec (a spec sets its own horizon_months)")
        spec = load_spec(text)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidArgument(f"--size {size!r}: give a whole number of people >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgument(f"--seed {seed!r}: give a whole number >= 0")
    return PopulationSource(spec=spec, size=size, seed=seed)
