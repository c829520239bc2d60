"""The plugin's fixtures: the marked scorer, the population, and the cached audit run."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from audit.testing.plugin.collect import MarkerError, population_key, scorer_marker, spec_id, spec_name
from audit.testing.plugin.state import PRECOMPUTED, STATE, AuditRun, PopulationKey, Session

__all__ = ["audit_population", "audit_population_key", "audit_run", "audit_scorer", "audit_scorer_spec"]


def session_state(request: pytest.FixtureRequest) -> Session:
    return request.config.stash[STATE]


@pytest.fixture
def audit_scorer_spec(request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any]]:
    """The marked scorer spec and its keyword parameters (internal; parametrized by several specs)."""
    marker = scorer_marker(request.node)
    params = dict(marker.kwargs) if marker is not None else {}
    if hasattr(request, "param"):
        return request.param, params
    if (marker is None or not marker.args) and session_state(request).supplied.precomputed:
        return PRECOMPUTED, {}  # --audit-score-column: the deployed system's own scores
    if marker is None or not marker.args:
        pytest.fail(
            f"{request.node.nodeid} uses the audit fixtures but names no scorer; add "
            "@pytest.mark.audit_scorer(\"name\") (or name:key=value) to the test, its class or its module",
            pytrace=False,
        )
    return marker.args[0], params


@pytest.fixture
def audit_population_key(request: pytest.FixtureRequest) -> PopulationKey:
    """The test's population: command-line option, else marker, else default (internal)."""
    try:
        return population_key(request.config, request.node)
    except MarkerError as exc:
        pytest.fail(f"{request.node.nodeid}: {exc}", pytrace=False)


def load_spec(state: Session, spec: Any, params: dict[str, Any], *, score_column: str | None = None) -> Any:
    sid = spec_id(spec, params)
    if sid not in state.scorers:
        from scorers.registry import load_scorer

        if spec == PRECOMPUTED:
            if score_column is None:  # the fixture audit_scorer before any run: the column the options name
                score_column = state.supplied.score_column
            if score_column is None:
                raise ValueError("--audit-scores: the scores table's column is known once the population is loaded; "
                                 "name it with --audit-score-column")
            return _precomputed(state, score_column)
        scorer = load_scorer(spec) if isinstance(spec, str) else spec
        state.scorers[sid] = scorer.with_params(**params) if params else scorer
    return state.scorers[sid]


@pytest.fixture
def audit_scorer(request: pytest.FixtureRequest, audit_scorer_spec: tuple[Any, dict[str, Any]]) -> Any:
    """The scorer named by the test's ``audit_scorer`` marker."""
    try:
        return load_spec(session_state(request), *audit_scorer_spec)
    except (LookupError, ValueError) as exc:
        pytest.fail(f"audit_scorer({audit_scorer_spec[0]!r}): {exc}", pytrace=False)


@pytest.fixture
def audit_population(request: pytest.FixtureRequest, audit_population_key: PopulationKey) -> Any:
    """The audited population (cached for the session per spec, size and seed)."""
    state = session_state(request)
    key = audit_population_key
    if key not in state.populations:
        from audit.population.model import Population
        from audit.population.source import open_source

        try:
            src = open_source(key.name, size=key.size, seed=key.seed, **state.supplied.source_kwargs())
        except ValueError as exc:
            pytest.fail(f"population {key.describe()}: {exc}", pytrace=False)
        if src.supplied is not None:
            state.populations[key] = src.supplied
        else:
            assert src.spec is not None  # a synthetic source always has its spec
            state.populations[key] = Population.synthesize(src.spec, size=key.size, seed=key.seed)
    return state.populations[key]


@pytest.fixture
def audit_run(request: pytest.FixtureRequest, audit_scorer_spec: tuple[Any, dict[str, Any]],
          audit_population_key: PopulationKey) -> AuditRun:
    """The marked scorer's audit results (:class:`AuditRun`), cached for the session."""
    state = session_state(request)
    key = audit_population_key
    sid = spec_id(*audit_scorer_spec)
    if (key, sid) not in state.runs:
        if key in state.failures:
            pytest.fail(state.failures[key], pytrace=False)
        run_pending(state, key, audit_scorer_spec)
    run = state.runs.get((key, sid))
    if run is None:
        pytest.fail(state.failures.get(key, f"the audit of {spec_name(audit_scorer_spec[0])} did not run"), pytrace=False)
    if run.error:
        pytest.fail(f"scorer {run.label!r} failed during the audit run on {key.describe()}: {run.error}", pytrace=False)
    from scorers.adapter import unwrap

    # the user's own scorer object, not the run's boundary around it (scorers/adapter.py)
    return AuditRun(label=run.label, scorer=unwrap(run.scorer), sections=run.sections, population=key, run=run)


def run_pending(state: Session, key: PopulationKey, wanted: tuple[Any, dict[str, Any]]) -> None:
    """Audit, in one run, every planned scorer of ``key`` not yet audited (and ``wanted``)."""
    from audit.engine.contract import AuditOptions
    from audit.population.source import open_source
    from audit.runner import RunConfig, run
    from scorers.protocol import scorer_label

    todo = [p for p in state.plan.get(key, []) if (key, spec_id(*p)) not in state.runs]
    if all(spec_id(*p) != spec_id(*wanted) for p in todo):
        todo.append(wanted)
    try:
        source = open_source(key.name, size=key.size, seed=key.seed, **state.supplied.source_kwargs())
    except Exception as exc:  # noqa: BLE001 - a bad population: every test on it fails the same way
        state.failures[key] = f"audit run on {key.describe()} failed: {type(exc).__name__}: {exc}"
        pytest.fail(state.failures[key], pytrace=False)
    column = source.supplied.score_column if source.supplied is not None else None
    loaded: list[tuple[str, Any]] = []
    for spec, params in todo:
        try:
            loaded.append((spec_id(spec, params), load_spec(state, spec, params, score_column=column)))
        except (LookupError, ValueError) as exc:
            if spec_id(spec, params) == spec_id(*wanted):
                pytest.fail(f"audit_scorer({spec!r}): {exc}", pytrace=False)
    # one scorer object per distinct scorer (same label and equal, or the very same object)
    unique: list[Any] = []
    index: dict[str, int] = {}
    for sid, s in loaded:
        for i, u in enumerate(unique):
            if u is s or (scorer_label(u) == scorer_label(s) and u == s):
                index[sid] = i
                break
        else:
            index[sid] = len(unique)
            unique.append(s)
    t0 = time.perf_counter()
    options = AuditOptions(seed=key.seed, by=state.supplied.by, outcome=state.supplied.outcome)
    if state.replay_sample is not None:
        options = dataclasses.replace(options, replay_sample=state.replay_sample)
    try:
        result = run(unique, RunConfig(population=key.name, size=key.size, seed=key.seed, options=options,
                                       **state.supplied.source_kwargs()), source=source)
    except Exception as exc:  # noqa: BLE001 - a bad population or a harness fault: every test on it fails the same way
        state.failures[key] = f"audit run on {key.describe()} failed: {type(exc).__name__}: {exc}"
        pytest.fail(state.failures[key], pytrace=False)
    state.seconds[key] = state.seconds.get(key, 0.0) + time.perf_counter() - t0
    state.results.setdefault(key, []).append(result)
    for sid, _ in loaded:
        state.runs[(key, sid)] = result.runs[index[sid]]  # runs come in the order the scorers were given



def _precomputed(state: Session, column: str) -> Any:
    """The precomputed scorer of the supplied scores, one object per session (so runs share it)."""
    from scorers.precomputed import PrecomputedScorer

    sid = spec_id(PRECOMPUTED, {})
    if sid not in state.scorers:
        s = state.supplied
        state.scorers[sid] = PrecomputedScorer(column=column, lower_is_better=s.lower_is_better,
                                               adverse_from=s.adverse_from, favourable_column=s.favourable_column)
    return state.scorers[sid]
