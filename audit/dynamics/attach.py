"""Dynamics beside a static run: ``scs-audit run --dynamics`` and the audit-suite assertion.

:func:`add_dynamics` simulates every scorer of a finished run on the run's
own spec, size and seed and returns the run with a ``dynamics`` section per
scorer. :func:`dynamics_for` gives one scorer's section to an assertion,
simulating on demand (once per run object) when the run has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

from audit.audited import read_result
from audit.dynamics.measures import dynamics_section
from audit.dynamics.simulation import DEFAULT_YEARS, check_years, simulate
from audit.engine.guard import time_limited
from audit.engine.workers import ProcessExecutor
from audit.errors import InvalidArgument
from audit.population.spec import load_spec

__all__ = ["add_dynamics", "dynamics_failures", "dynamics_for"]


def add_dynamics(result: Any, *, years: int = DEFAULT_YEARS, chunk_size: int = 1_000_000, workers: int = 1,
                 isolate: bool = False, worker_memory: int | None = None) -> Any:
    """``result`` (a :class:`~audit.runner.RunResult`) with a ``dynamics`` section for every scorer that ran.

    With ``workers`` above 1, or ``isolate``, each scorer's chunks run in one
    pool of that many supervised worker processes (:mod:`audit.dynamics.pool`),
    as a static run's do: a scorer that ends or crashes its worker, hangs past
    the run's ``scorer_timeout`` or holds more than ``worker_memory`` bytes
    fails alone, named. Otherwise the simulation runs in this process, where
    the run's ``scorer_timeout`` still limits each ``score`` call and a scorer
    that raises, times out or breaks the contract gets a failed section naming
    it. The figures are the same either way.

    Raises :class:`~audit.errors.InvalidArgument` for a supplied population
    (the simulation draws the months ahead from a spec) or a bad ``years``.
    """
    source = result.source
    if not source.synthetic or source.spec is None:
        raise InvalidArgument("dynamics= needs a synthetic population (a spec name or TOML file): the months ahead are "
                              "drawn from the spec's rates; drop dynamics= for a supplied table")
    check_years(years, source.spec)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgument(f"workers={workers!r}: give a whole number of worker processes of at least 1")
    timeout = result.options.scorer_timeout
    pooled = workers > 1 or isolate
    runs = []
    with ProcessExecutor(workers, timeout=timeout, memory_limit=worker_memory) if pooled else nullcontext() as pool:
        for r in result.runs:
            if r.error is not None:
                runs.append(r)
                continue
            scorer = time_limited(r.scorer, timeout)  # --scorer-timeout holds for every monthly call
            sim = simulate(scorer, source.spec, size=source.size, seed=source.seed, years=years,
                           chunk_size=chunk_size, label=r.label, pool=pool)
            runs.append(replace(r, sections={**r.sections, "dynamics": dynamics_section(sim)}))
    return replace(result, runs=tuple(runs))


def dynamics_failures(result: Any) -> dict[str, str]:
    """Label -> why the scorer's simulation failed (scorers whose static audit ran)."""
    out = {}
    for r in result.runs:
        dyn = r.sections.get("dynamics") if r.error is None else None
        if isinstance(dyn, Mapping) and dyn.get("status") == "failed":
            out[r.label] = str(dyn.get("error"))
    return out


def dynamics_for(result: Any, *, label: str | None = None, years: int = DEFAULT_YEARS) -> tuple[str, Mapping[str, Any]]:
    """``(label, dynamics section)`` of one scorer, simulating ``years`` years on demand when the run has none.

    Simulating needs the population: the pytest ``audit_run`` fixture and a
    :class:`~audit.runner.RunResult` carry it; a results.json document or a
    bare :class:`~audit.runner.ScorerRun` must already hold the section.
    """
    __tracebackhide__ = True
    a = read_result(result, label)
    found = a.sections.get("dynamics")
    if isinstance(found, Mapping) and found.get("years", 0) >= years:
        return a.label, found
    scorer, spec, size, seed = _population_of(result, a.label)
    if scorer is None:
        raise InvalidArgument(f"scorer {a.label!r}: the result has no dynamics section of {years} years and no population "
                              "to simulate one on; run with --dynamics --years N or pass the audit_run fixture")
    sim = simulate(scorer, spec, size=size, seed=seed, years=years, label=a.label)
    section = dynamics_section(sim)
    if isinstance(a.sections, dict):
        a.sections["dynamics"] = section  # kept with the run: the next assertion on it reuses the simulation
    return a.label, section


def _population_of(result: Any, label: str) -> tuple[Any, Any, int, int]:
    """The scorer, spec, size and seed behind a run, or ``(None, None, 0, 0)`` when the result does not say."""
    key = getattr(result, "population", None)
    if hasattr(result, "runs") and getattr(result, "source", None) is not None:  # RunResult
        src = result.source
        run = next(r for r in result.runs if r.label == label)
        if src.synthetic and src.spec is not None:
            return run.scorer, src.spec, src.size, src.seed
    elif key is not None and hasattr(key, "name") and hasattr(key, "size") and hasattr(key, "seed"):  # audit_run fixture
        try:
            spec = load_spec(key.name)
        except ValueError:
            return None, None, 0, 0
        return result.scorer, spec, int(key.size), int(key.seed)
    return None, None, 0, 0
