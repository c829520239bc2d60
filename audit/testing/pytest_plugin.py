"""pytest plugin for audit suites (registered through the ``pytest11`` entry point).

An audit suite is a set of tests that fail the build when a scoring rule
crosses a line::

    import pytest
    from audit.testing.assertions import assert_four_fifths

    @pytest.mark.audit_scorer("suining:penalty_expiry_months=24")
    def test_no_disparate_impact_by_income(audit_run):
        assert_four_fifths(audit_run, by="income_quintile")

Markers
    ``audit_scorer(spec, ...)``: the scorer a test audits — a registry spec
    (``name`` or ``name:key=value,...``), a ``module:attr`` path or a scorer
    object; keyword arguments are parameters (``with_params``). Several specs
    parametrize the test, one case per scorer (ids are the specs).
    ``audit_population(name=None, size=None, seed=None)``: the population
    audited (a builtin spec name, a spec TOML path or a people table).
    Markers on a module (``pytestmark``) or class apply to every test in it.

Fixtures (named ``audit_*`` so that a suite's own ``population`` or ``scorer`` fixture never collides)
    ``audit_run``: the :class:`~audit.runner.ScorerRun` of the marked scorer on
    the test's population, with every section of ``results.json``
    (``disparity``, ``reversibility``, ...). Runs are cached for the session:
    every scorer marked anywhere in the collected tests for one population
    is audited together in one run, once. ``audit_scorer``: the marked scorer.
    ``audit_population``: the test's :class:`~audit.population.model.Population`, cached
    per (spec, size, seed) for the session.

Options (one group, ``--audit-…``)
    Command-line options override markers, so one flag shrinks or moves
    every audit of a suite (``pytest --audit-size 5000`` for a quick CI run);
    markers override the defaults (population ``china-2020``,
    :data:`DEFAULT_SIZE` people, seed 0). ``--audit-report DIR`` writes one
    report for the whole session: ``results.json``, ``report.html`` and
    ``report.md`` of every audited scorer, and ``audit-tests.json`` with each
    audit test's outcome.

The seed and population appear in the report header when an ``--audit-*``
option is given, or after collection when a collected test uses the audit
fixtures; the terminal summary says what was audited and where the report
went. Nothing is printed, and nothing heavy imported, for a session that
uses no audit fixture: this module imports only pytest and the standard
library; the harness is imported inside fixtures and hooks when needed.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = ["DEFAULT_POPULATION", "DEFAULT_SIZE", "DEFAULT_SEED", "PopulationKey", "AuditRun"]

#: Population audited when neither a marker nor ``--audit-population`` names one.
DEFAULT_POPULATION = "china-2020"
#: People audited when neither a marker nor ``--audit-size`` gives a size
#: (assumption: enough for intervals of a few points per income quintile, small
#: enough for a suite to finish in a minute or two).
DEFAULT_SIZE = 20_000
#: Seed when neither a marker nor ``--audit-seed`` gives one.
DEFAULT_SEED = 0

#: Fixtures whose presence in a test's closure marks it as an audit test.
_SPEC_FIXTURE = "audit_scorer_spec"
_KEY_FIXTURE = "audit_population_key"


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


@dataclass(slots=True)
class _Session:
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


_STATE = pytest.StashKey[_Session]()


# ----------------------------------------------------------------------------- options and markers


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scs-audit", "scoring-system audits (scs-audit)")
    group.addoption("--audit-size", type=int, default=None, metavar="N",
                    help=f"people in every audited population (overrides markers; default {DEFAULT_SIZE:,})")
    group.addoption("--audit-seed", type=int, default=None, metavar="SEED",
                    help=f"seed of the synthetic populations and the audits (overrides markers; default {DEFAULT_SEED})")
    group.addoption("--audit-population", default=None, metavar="NAME_OR_PATH",
                    help=f"population spec name, spec TOML or people table for every audit (overrides markers; "
                         f"default {DEFAULT_POPULATION})")
    group.addoption("--audit-replay-sample", type=int, default=None, metavar="N",
                    help="people sampled for the replay audits: appeal, reversibility, spill-over, contagion "
                         "(default 2,000; the advice of an undecided replay verdict names the N that decides it)")
    group.addoption("--audit-report", default=None, metavar="DIR",
                    help="write one audit report for the session into DIR (results.json, report.html, audit-tests.json)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "audit_scorer(spec, ..., **params): the scorer a test audits (name, name:key=value, module:attr or an object); "
        "several specs parametrize the test",
    )
    config.addinivalue_line(
        "markers", "audit_population(name=None, size=None, seed=None): the population a test audits"
    )
    for opt, lo in (("--audit-size", 1), ("--audit-seed", 0), ("--audit-replay-sample", 0)):
        value = config.getoption(opt)
        if value is not None and value < lo:
            raise pytest.UsageError(f"{opt} {value}: give a whole number >= {lo}")
    config.stash[_STATE] = _Session(replay_sample=config.getoption("--audit-replay-sample"))


def _options_given(config: pytest.Config) -> bool:
    return any(config.getoption(o) is not None
               for o in ("--audit-size", "--audit-seed", "--audit-population", "--audit-report", "--audit-replay-sample"))


def _default_line(config: pytest.Config) -> str:
    """What the command line sets for every audit, and what is left to markers (with its default)."""
    name, size, seed = (config.getoption(o) for o in ("--audit-population", "--audit-size", "--audit-seed"))
    parts = [
        f"population {name}" if name else f"population per marker (default {DEFAULT_POPULATION})",
        f"{size:,} people" if size else f"size per marker (default {DEFAULT_SIZE:,})",
        f"seed {seed}" if seed is not None else f"seed per marker (default {DEFAULT_SEED})",
    ]
    return "scs-audit: " + ", ".join(parts)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not _options_given(config):
        return None
    return [_default_line(config)]


# ----------------------------------------------------------------------------- collection


def _scorer_marker(node: Any) -> Any:
    return node.get_closest_marker("audit_scorer")


def _spec_id(spec: Any, params: dict[str, Any]) -> str:
    base = spec if isinstance(spec, str) else f"{type(spec).__module__}.{type(spec).__qualname__}@{id(spec):x}"
    return base + ("" if not params else "|" + ",".join(f"{k}={params[k]!r}" for k in sorted(params)))


def _spec_name(spec: Any) -> str:
    return spec if isinstance(spec, str) else str(getattr(spec, "name", type(spec).__name__))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if _SPEC_FIXTURE not in metafunc.fixturenames:
        return
    marker = _scorer_marker(metafunc.definition)
    if marker is None or len(marker.args) < 2:
        return
    specs = list(marker.args)
    metafunc.parametrize(_SPEC_FIXTURE, specs, ids=[_spec_name(s) for s in specs], indirect=True)


def _item_spec(item: Any) -> tuple[Any, dict[str, Any]] | None:
    callspec = getattr(item, "callspec", None)
    marker = _scorer_marker(item)
    params = dict(marker.kwargs) if marker is not None else {}
    if callspec is not None and _SPEC_FIXTURE in callspec.params:
        return callspec.params[_SPEC_FIXTURE], params
    if marker is None or not marker.args:
        return None
    return marker.args[0], params


def _population_key(config: pytest.Config, node: Any) -> PopulationKey:
    """Command-line option, else marker, else default — for name, size and seed separately."""
    marker = node.get_closest_marker("audit_population")
    args = marker.args if marker is not None else ()
    kwargs = dict(marker.kwargs) if marker is not None else {}
    unknown = sorted(set(kwargs) - {"name", "size", "seed"})
    if len(args) > 1 or unknown:
        raise _MarkerError(f"audit_population marker takes (name, size=..., seed=...), got args {args!r} kwargs {kwargs!r}")
    m_name = args[0] if args else kwargs.get("name")
    name = config.getoption("--audit-population") or m_name or DEFAULT_POPULATION
    size = config.getoption("--audit-size")
    if size is None:
        size = kwargs["size"] if kwargs.get("size") is not None else DEFAULT_SIZE
    seed = config.getoption("--audit-seed")
    if seed is None:
        seed = kwargs["seed"] if kwargs.get("seed") is not None else DEFAULT_SEED
    for what, value, lo in (("size", size, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise _MarkerError(f"audit_population {what}={value!r}: give a whole number >= {lo}")
    if not isinstance(name, str):
        name = str(name)
    return PopulationKey(name=name, size=int(size), seed=int(seed))


class _MarkerError(Exception):
    """A malformed audit marker (reported as the test's failure)."""


@pytest.hookimpl(tryfirst=True)  # before the terminal reporter asks for pytest_report_collectionfinish lines
def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[_STATE]
    for item in session.items:
        closure = getattr(item, "fixturenames", ())
        if _SPEC_FIXTURE not in closure and _KEY_FIXTURE not in closure:
            continue
        state.audit_nodes.add(item.nodeid)
        try:
            key = _population_key(session.config, item)
        except _MarkerError:
            continue
        state.keys[key] = None
        spec = _item_spec(item)
        if "audit_run" not in closure or spec is None:
            continue
        pending = state.plan.setdefault(key, [])
        if all(_spec_id(*p) != _spec_id(*spec) for p in pending):
            pending.append(spec)


def pytest_report_collectionfinish(config: pytest.Config, start_path: Any, items: list[Any]) -> list[str] | None:
    state = config.stash[_STATE]
    if not state.keys:
        return None
    return ["scs-audit: audits on " + "; ".join(k.describe() for k in state.keys)]


# ----------------------------------------------------------------------------- fixtures


def _state(request: pytest.FixtureRequest) -> _Session:
    return request.config.stash[_STATE]


@pytest.fixture
def audit_scorer_spec(request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any]]:
    """The marked scorer spec and its keyword parameters (internal; parametrized by several specs)."""
    marker = _scorer_marker(request.node)
    params = dict(marker.kwargs) if marker is not None else {}
    if hasattr(request, "param"):
        return request.param, params
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
        return _population_key(request.config, request.node)
    except _MarkerError as exc:
        pytest.fail(f"{request.node.nodeid}: {exc}", pytrace=False)


def _load(state: _Session, spec: Any, params: dict[str, Any]) -> Any:
    sid = _spec_id(spec, params)
    if sid not in state.scorers:
        from scorers.registry import load_scorer

        scorer = load_scorer(spec) if isinstance(spec, str) else spec
        state.scorers[sid] = scorer.with_params(**params) if params else scorer
    return state.scorers[sid]


@pytest.fixture
def audit_scorer(request: pytest.FixtureRequest, audit_scorer_spec: tuple[Any, dict[str, Any]]) -> Any:
    """The scorer named by the test's ``audit_scorer`` marker."""
    try:
        return _load(_state(request), *audit_scorer_spec)
    except (LookupError, ValueError) as exc:
        pytest.fail(f"audit_scorer({audit_scorer_spec[0]!r}): {exc}", pytrace=False)


@pytest.fixture
def audit_population(request: pytest.FixtureRequest, audit_population_key: PopulationKey) -> Any:
    """The audited population (cached for the session per spec, size and seed)."""
    state = _state(request)
    key = audit_population_key
    if key not in state.populations:
        from audit.population.model import Population
        from audit.population.source import open_source

        try:
            src = open_source(key.name, size=key.size, seed=key.seed)
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
    state = _state(request)
    key = audit_population_key
    sid = _spec_id(*audit_scorer_spec)
    if (key, sid) not in state.runs:
        if key in state.failures:
            pytest.fail(state.failures[key], pytrace=False)
        _run_pending(state, key, audit_scorer_spec)
    run = state.runs.get((key, sid))
    if run is None:
        pytest.fail(state.failures.get(key, f"the audit of {_spec_name(audit_scorer_spec[0])} did not run"), pytrace=False)
    if run.error:
        pytest.fail(f"scorer {run.label!r} failed during the audit run on {key.describe()}: {run.error}", pytrace=False)
    from scorers.adapter import unwrap

    # the user's own scorer object, not the run's boundary around it (scorers/adapter.py)
    return AuditRun(label=run.label, scorer=unwrap(run.scorer), sections=run.sections, population=key, run=run)


def _run_pending(state: _Session, key: PopulationKey, wanted: tuple[Any, dict[str, Any]]) -> None:
    """Audit, in one run, every planned scorer of ``key`` not yet audited (and ``wanted``)."""
    from audit.engine.contract import AuditOptions
    from audit.runner import RunConfig, run
    from scorers.protocol import scorer_label

    todo = [p for p in state.plan.get(key, []) if (key, _spec_id(*p)) not in state.runs]
    if all(_spec_id(*p) != _spec_id(*wanted) for p in todo):
        todo.append(wanted)
    loaded: list[tuple[str, Any]] = []
    for spec, params in todo:
        try:
            loaded.append((_spec_id(spec, params), _load(state, spec, params)))
        except (LookupError, ValueError) as exc:
            if _spec_id(spec, params) == _spec_id(*wanted):
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
    options = AuditOptions(seed=key.seed)
    if state.replay_sample is not None:
        options = dataclasses.replace(options, replay_sample=state.replay_sample)
    try:
        result = run(unique, RunConfig(population=key.name, size=key.size, seed=key.seed, options=options))
    except Exception as exc:  # noqa: BLE001 - a bad population or a harness fault: every test on it fails the same way
        state.failures[key] = f"audit run on {key.describe()} failed: {type(exc).__name__}: {exc}"
        pytest.fail(state.failures[key], pytrace=False)
    state.seconds[key] = state.seconds.get(key, 0.0) + time.perf_counter() - t0
    state.results.setdefault(key, []).append(result)
    for sid, _ in loaded:
        state.runs[(key, sid)] = result.runs[index[sid]]  # runs come in the order the scorers were given


# ----------------------------------------------------------------------------- outcomes, report, summary


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = item.config.stash.get(_STATE, None)
    if state is None or item.nodeid not in state.audit_nodes:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        entry = {"nodeid": item.nodeid, "outcome": "error" if report.when == "setup" and report.failed else report.outcome}
        spec = _item_spec(item)
        if spec is not None:
            entry["scorer"] = _spec_name(spec[0])
        try:
            entry["population"] = _population_key(item.config, item).describe()
        except _MarkerError:
            pass
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            entry["message"] = str(getattr(crash, "message", None) or report.longreprtext)[:4000]
        state.outcomes[item.nodeid] = entry
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    out = config.getoption("--audit-report")
    state = config.stash.get(_STATE, None)
    if out is None or state is None:
        return
    try:
        _write_report(state, out)
    except Exception as exc:  # noqa: BLE001 - a report failure must not hide the tests' outcome
        state.report_error = f"{type(exc).__name__}: {exc}"


def _write_report(state: _Session, out: str) -> None:
    import dataclasses
    from pathlib import Path

    from audit.output.artefacts import atomic_write_json
    from audit.results.document import SCHEMA_VERSION, package_version, write_results

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    several = len(state.results) > 1
    index = []
    for key, results in state.results.items():
        combined = dataclasses.replace(results[0], runs=tuple(r for res in results for r in res.runs))
        where = root / key.slug() if several else root
        where.mkdir(parents=True, exist_ok=True)
        path = write_results(combined, where)
        state.report_paths.append(str(path))
        entry = {"population": key.name, "size": key.size, "seed": key.seed,
                 "results": str(path.relative_to(root)), "scorers": [r.label for r in combined.runs]}
        try:
            from audit.report import write_report

            html, _ = write_report(where)
            entry["report"] = str(Path(html).relative_to(root))
            state.report_paths.append(str(html))
        except ImportError:
            pass
        index.append(entry)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": "scs-audit test session",
        "package_version": package_version(),
        "populations": index,
        "tests": list(state.outcomes.values()),
    }
    state.report_paths.insert(0, str(atomic_write_json(root / "audit-tests.json", doc)))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not (state.results or state.failures or config.getoption("--audit-report")):
        return
    tr = terminalreporter
    tr.write_sep("-", "scs-audit")
    for key, results in state.results.items():
        labels = [r.label for res in results for r in res.runs]
        tr.write_line(f"audited {', '.join(labels)} on {key.describe()} in {state.seconds.get(key, 0.0):.1f} s")
    for key, why in state.failures.items():
        tr.write_line(f"not audited ({key.describe()}): {why}")
    counts: dict[str, int] = {}
    for o in state.outcomes.values():
        counts[o["outcome"]] = counts.get(o["outcome"], 0) + 1
    if counts:
        tr.write_line("audit tests: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    if state.report_error:
        tr.write_line(f"audit report NOT written: {state.report_error}", red=True)
    elif state.report_paths:
        tr.write_line("audit report: " + ", ".join(state.report_paths))
