"""A conformance suite any scorer can run (scikit-learn ``check_estimator`` style).

Each ``check_<property>`` function (defined in :mod:`scorers.checks`,
re-exported here) takes a scorer and a population, works on fresh copies,
and raises :class:`AssertionError` when the property fails.
:func:`check_scorer` runs them all and returns the results as data;
:func:`assert_scorer_conforms` raises one error listing every failure;
:func:`parametrize_with_checks` turns them into pytest cases whose ids
(``suining-check_determinism``) work with ``-k``::

    from scorers.testing import parametrize_with_checks

    @parametrize_with_checks([MyScorer()])
    def test_my_scorer(scorer, check):
        check(scorer)

The checks test behaviour the harness relies on, never message wording:
an audit replays history (removes an overturned event, appends good
behaviour, scores a chunk of people), so a scorer must be a pure function of
the people, their events up to ``as_of`` and their ties.

A scorer that declares ``tags.non_deterministic`` has its determinism check
reported as an expected failure, and with it every check that compares two
scorings (:data:`COMPARATIVE_CHECKS`): their outcome says nothing about a
scorer whose output differs from call to call.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from audit.population.model import Population
from scorers.checks import (
    CHECKS,
    check_chunk_invariance,
    check_declared_domains,
    check_determinism,
    check_does_not_mutate_input,
    check_empty_population,
    check_event_order_invariance,
    check_future_events_ignored,
    check_output_contract,
    check_protected_attributes_unused_unless_declared,
    check_removing_event_equals_never_having_it,
    check_row_order_invariance,
    check_subset_invariance,
    check_ties_unused_unless_declared,
    check_unknown_people_ignored,
)
from scorers.protocol import Scorer, scorer_label, scorer_tags

__all__ = [
    "CHECKS",
    "COMPARATIVE_CHECKS",
    "CheckResult",
    "assert_scorer_conforms",
    "check_chunk_invariance",
    "check_declared_domains",
    "check_determinism",
    "check_does_not_mutate_input",
    "check_empty_population",
    "check_event_order_invariance",
    "check_future_events_ignored",
    "check_output_contract",
    "check_protected_attributes_unused_unless_declared",
    "check_removing_event_equals_never_having_it",
    "check_row_order_invariance",
    "check_scorer",
    "check_subset_invariance",
    "check_ties_unused_unless_declared",
    "check_unknown_people_ignored",
    "default_population",
    "parametrize_with_checks",
]

#: Default population of the suite: small, quick, every rule fires.
DEFAULT_SPEC, DEFAULT_SIZE, DEFAULT_SEED = "tiny", 2000, 20240501


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """Outcome of one conformance check on one scorer."""

    name: str
    """Name of the check function, e.g. ``check_determinism``."""
    passed: bool
    """True when the property held (or the check does not apply)."""
    message: str = ""
    """Why it failed, or why it did not apply; empty when it simply passed."""
    expected_failure: bool = False
    """The scorer declared this failure in its tags (e.g. ``non_deterministic``)."""


# ----------------------------------------------------------------------------- default population


@functools.cache
def _cached_default_population() -> Population:
    return Population.synthesize(DEFAULT_SPEC, size=DEFAULT_SIZE, seed=DEFAULT_SEED)


def default_population() -> Population:
    """A fresh copy of the suite's default population (``tiny``, 2,000 people)."""
    return copy.deepcopy(_cached_default_population())


# ----------------------------------------------------------------------------- running


#: Checks that compare two scorings of equivalent data; a scorer that declares
#: itself non-deterministic is expected to fail them.
COMPARATIVE_CHECKS = frozenset(
    {
        "check_determinism",
        "check_row_order_invariance",
        "check_event_order_invariance",
        "check_subset_invariance",
        "check_chunk_invariance",
        "check_future_events_ignored",
        "check_unknown_people_ignored",
        "check_removing_event_equals_never_having_it",
        "check_ties_unused_unless_declared",
        "check_protected_attributes_unused_unless_declared",
    }
)


def _expected_failures(scorer: Scorer) -> dict[str, str]:
    """Check name -> why the scorer's tags declare it will fail."""
    tags = scorer_tags(scorer)
    out = {}
    if tags.non_deterministic:
        out["check_determinism"] = "the scorer declares tags.non_deterministic"
        for name in COMPARATIVE_CHECKS - {"check_determinism"}:
            out[name] = "the scorer declares tags.non_deterministic and this check compares two scorings"
    return out


def _run(check: Callable[[Any, Population], None], scorer: Scorer, population: Population) -> str | None:
    """Run one check on fresh copies; the failure message, or None if it passed."""
    try:
        check(copy.deepcopy(scorer), copy.deepcopy(population))
    except AssertionError as exc:
        return str(exc) or "assertion failed"
    except Exception as exc:  # noqa: BLE001 - a crash inside score() is a failed check, not a crash of the suite
        return f"{type(exc).__name__}: {exc}"
    return None


def check_scorer(scorer: Scorer, *, population: Population | None = None) -> list[CheckResult]:
    """Run every conformance check on ``scorer``; return one result per check.

    Parameters
    ----------
    scorer
        Any object following :class:`scorers.protocol.Scorer`.
    population
        The population to check against; by default a 2,000-person ``tiny``
        synthetic population. Each check works on its own deep copy.
    """
    pop = _cached_default_population() if population is None else population
    xfail = _expected_failures(scorer)
    results = []
    for check in CHECKS:
        name = check.__name__
        message = _run(check, scorer, pop)
        if name in xfail:
            results.append(
                CheckResult(
                    name=name,
                    passed=message is None,
                    message=f"expected failure ({xfail[name]}): {message}"
                    if message
                    else f"passed although {xfail[name]}",
                    expected_failure=True,
                )
            )
        else:
            results.append(CheckResult(name=name, passed=message is None, message=message or ""))
    return results


def assert_scorer_conforms(scorer: Scorer, *, population: Population | None = None) -> None:
    """Raise :class:`AssertionError` listing every check ``scorer`` fails (expected failures excepted)."""
    __tracebackhide__ = True
    failed = [r for r in check_scorer(scorer, population=population) if not r.passed and not r.expected_failure]
    if failed:
        lines = "\n".join(f"  {r.name}: {r.message}" for r in failed)
        raise AssertionError(f"scorer {scorer_label(scorer)!r} fails {len(failed)} conformance check(s):\n{lines}")


def _check_callable(check: Callable[[Any, Population], None], population: Population | None) -> Callable[[Any], None]:
    def run(scorer: Scorer) -> None:
        __tracebackhide__ = True
        pop = _cached_default_population() if population is None else population
        message = _run(check, scorer, pop)
        if message is not None:
            raise AssertionError(f"{check.__name__} failed for scorer {scorer_label(scorer)!r}: {message}")

    run.__name__ = check.__name__
    run.__qualname__ = check.__name__
    return run


def parametrize_with_checks(scorers: Iterable[Any], *, population: Population | None = None) -> Any:
    """A ``pytest.mark.parametrize`` over every (scorer, check) pair.

    The test function takes ``scorer`` and ``check`` and calls
    ``check(scorer)``. Ids are ``<scorer label>-<check name>``, e.g.
    ``suining-check_determinism``, so ``-k determinism`` selects checks.
    Checks a scorer's tags declare as failing are marked ``xfail``.
    Scorers may be given as objects or as registry specs (``"suining"``).
    """
    import pytest

    from scorers.registry import load_scorer

    params = []
    for s in scorers:
        scorer = load_scorer(s) if isinstance(s, str) else s
        label = scorer_label(scorer)
        xfail = _expected_failures(scorer)
        for check in CHECKS:
            marks = [pytest.mark.xfail(reason=xfail[check.__name__], strict=False)] if check.__name__ in xfail else []
            params.append(
                pytest.param(scorer, _check_callable(check, population), id=f"{label}-{check.__name__}", marks=marks)
            )
    return pytest.mark.parametrize(("scorer", "check"), params)
