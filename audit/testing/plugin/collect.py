"""Collecting audit tests: which scorer and population each audits, and the plan of runs."""

from __future__ import annotations

from typing import Any

import pytest

from audit.testing.plugin.state import (
    DEFAULT_POPULATION,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    KEY_FIXTURE,
    PRECOMPUTED,
    SPEC_FIXTURE,
    STATE,
    PopulationKey,
)

__all__ = [
    "MarkerError", "item_spec", "population_key", "pytest_collection_finish", "pytest_generate_tests",
    "pytest_report_collectionfinish", "scorer_marker", "spec_id", "spec_name",
]


def scorer_marker(node: Any) -> Any:
    return node.get_closest_marker("audit_scorer")


def spec_id(spec: Any, params: dict[str, Any]) -> str:
    base = spec if isinstance(spec, str) else f"{type(spec).__module__}.{type(spec).__qualname__}@{id(spec):x}"
    return base + ("" if not params else "|" + ",".join(f"{k}={params[k]!r}" for k in sorted(params)))


def spec_name(spec: Any) -> str:
    return spec if isinstance(spec, str) else str(getattr(spec, "name", type(spec).__name__))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if SPEC_FIXTURE not in metafunc.fixturenames:
        return
    marker = scorer_marker(metafunc.definition)
    if marker is None or len(marker.args) < 2:
        return
    specs = list(marker.args)
    metafunc.parametrize(SPEC_FIXTURE, specs, ids=[spec_name(s) for s in specs], indirect=True)


def item_spec(item: Any) -> tuple[Any, dict[str, Any]] | None:
    """The scorer spec of a test: its marker's, or the precomputed scores the options give when it has none."""
    callspec = getattr(item, "callspec", None)
    marker = scorer_marker(item)
    params = dict(marker.kwargs) if marker is not None else {}
    if callspec is not None and SPEC_FIXTURE in callspec.params:
        return callspec.params[SPEC_FIXTURE], params
    if marker is None or not marker.args:
        state = item.config.stash.get(STATE, None)
        return (PRECOMPUTED, {}) if state is not None and state.supplied.precomputed else None
    return marker.args[0], params


def population_key(config: pytest.Config, node: Any) -> PopulationKey:
    """Command-line option, else marker, else default — for name, size and seed separately."""
    marker = node.get_closest_marker("audit_population")
    args = marker.args if marker is not None else ()
    kwargs = dict(marker.kwargs) if marker is not None else {}
    unknown = sorted(set(kwargs) - {"name", "size", "seed"})
    if len(args) > 1 or unknown:
        raise MarkerError(f"audit_population marker takes (name, size=..., seed=...), got args {args!r} kwargs {kwargs!r}")
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
            raise MarkerError(f"audit_population {what}={value!r}: give a whole number >= {lo}")
    if not isinstance(name, str):
        name = str(name)
    return PopulationKey(name=name, size=int(size), seed=int(seed))


class MarkerError(Exception):
    """A malformed audit marker (reported as the test's failure)."""


@pytest.hookimpl(tryfirst=True)  # before the terminal reporter asks for pytest_report_collectionfinish lines
def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    for item in session.items:
        closure = getattr(item, "fixturenames", ())
        if SPEC_FIXTURE not in closure and KEY_FIXTURE not in closure:
            continue
        state.audit_nodes.add(item.nodeid)
        try:
            key = population_key(session.config, item)
        except MarkerError:
            continue
        state.keys[key] = None
        spec = item_spec(item)
        if "audit_run" not in closure or spec is None:
            continue
        pending = state.plan.setdefault(key, [])
        if all(spec_id(*p) != spec_id(*spec) for p in pending):
            pending.append(spec)


def pytest_report_collectionfinish(config: pytest.Config, start_path: Any, items: list[Any]) -> list[str] | None:
    state = config.stash[STATE]
    if not state.keys:
        return None
    return ["scs-audit: audits on " + "; ".join(k.describe() for k in state.keys)]

