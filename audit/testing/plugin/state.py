"""The plugin's values and session state: population keys, audit runs, what the options set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = [
    "DEFAULT_POPULATION", "DEFAULT_SEED", "DEFAULT_SIZE", "KEY_FIXTURE", "PRECOMPUTED", "SPEC_FIXTURE", "STATE",
    "AuditRun", "PopulationKey", "Session", "Supplied",
]

#: Population audited when neither a marker nor ``--audit-population`` names one.
DEFAULT_POPULATION = "china-2020"
#: People audited when neither a marker nor ``--audit-size`` gives a size
#: (assumption: enough for intervals of a few points per income quintile, small
#: enough for a suite to finish in a minute or two).
DEFAULT_SIZE = 20_000
#: Seed when neither a marker nor ``--audit-seed`` gives one.
DEFAULT_SEED = 0

#: The scorer spec of a test without an ``audit_scorer`` marker when ``--audit-score-column`` (or
#: ``--audit-scores``) gives a deployed system's own scores: the precomputed scorer of those scores.
PRECOMPUTED = "<precomputed scores>"

#: Fixtures whose presence in a test's closure marks it as an audit test.
SPEC_FIXTURE = "audit_scorer_spec"
KEY_FIXTURE = "audit_population_key"


@dataclass(frozen=True, slots=True)
class PopulationKey:
    """What identifies an audited population in the session cache."""

    name: str
    """Builtin spec name, spec TOML path or people table path."""
    size: int
    """People (ignored for a supplied table, which has its own size)."""
    seed: int
    """Seed of the synthetic population and of the audits' randomness."""

    def describe(self) -> str:
        from audit.population.table_files import TABLE_SUFFIXES

        if self.name.lower().endswith(TABLE_SUFFIXES):  # a supplied table has its own size
            return f"{self.name} (supplied table), seed {self.seed}"
        return f"{self.name}, {self.size:,} people, seed {self.seed}"

    def slug(self) -> str:
        from audit.output.artefacts import safe_filename

        return safe_filename(f"{self.name}-{self.size}-seed{self.seed}")


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AuditRun:
    """What the ``audit_run`` fixture gives: one scorer's audited sections on one population."""

    label: str
    """The scorer's label in the run (``name`` or ``name:key=value``)."""
    scorer: Any
    """The audited scorer."""
    sections: dict[str, Any]
    """Section name -> section of results.json (``disparity``, ``reversibility``, ...)."""
    population: PopulationKey
    """The audited population."""
    run: Any
    """The :class:`audit.runner.ScorerRun` (with the merged exact ``aggregates``)."""

    @property
    def population_size(self) -> int:
        """People audited (read by the assertion helpers for "rerun with --audit-size" advice)."""
        return self.population.size

    def __repr__(self) -> str:  # short: pytest prints fixture values in tracebacks
        return f"<audit of {self.label} on {self.population.describe()}: {', '.join(self.sections)}>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Supplied:
    """What the ``--audit-…`` options say about a supplied people table and its scores."""

    by: tuple[str, ...] = ()
    """``--audit-by``: attributes, bands and intersections audited (:func:`audit.population.group_terms.parse_by`)."""
    score_column: str | None = None
    """``--audit-score-column``: the column with the system's scores."""
    scores: str | None = None
    """``--audit-scores``: a table of person_id and score."""
    lower_is_better: bool = False
    """``--audit-lower-is-better``: the scores are risk scores."""
    adverse_from: float | None = None
    """``--audit-adverse-from``: scores at or above are the adverse outcome."""
    favourable_column: str | None = None
    """``--audit-favourable-column``: 0/1 decisions, 1 favourable."""
    outcome: str | None = None
    """``--audit-outcome``: 0/1 observed outcomes (error rates, calibration)."""

    @property
    def precomputed(self) -> bool:
        """Whether the options give precomputed scores (tests without a scorer marker then audit them)."""
        return self.score_column is not None or self.scores is not None

    def source_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`audit.population.source.open_source`."""
        return {"scores": self.scores, "score_column": self.score_column, "outcome": self.outcome,
                "favourable_column": self.favourable_column}


@dataclass(slots=True)
class Session:
    """Per-session state: the run plan, cached runs, populations, test outcomes."""

    plan: dict[PopulationKey, list[tuple[Any, dict[str, Any]]]] = field(default_factory=dict)
    runs: dict[tuple[PopulationKey, str], Any] = field(default_factory=dict)
    results: dict[PopulationKey, list[Any]] = field(default_factory=dict)
    failures: dict[PopulationKey, str] = field(default_factory=dict)
    populations: dict[PopulationKey, Any] = field(default_factory=dict)
    scorers: dict[str, Any] = field(default_factory=dict)
    seconds: dict[PopulationKey, float] = field(default_factory=dict)
    audit_nodes: set[str] = field(default_factory=set)
    keys: dict[PopulationKey, None] = field(default_factory=dict)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    report_paths: list[str] = field(default_factory=list)
    report_error: str | None = None
    replay_sample: int | None = None
    """``--audit-replay-sample``: people sampled for the replay audits (``None``: the default)."""
    supplied: Supplied = field(default_factory=Supplied)
    """The supplied-data options."""


STATE = pytest.StashKey[Session]()

