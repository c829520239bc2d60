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

A deployed system's own data
    ``--audit-population people.csv --audit-score-column decile_score
    --audit-adverse-from 5 --audit-by race --audit-by sex --audit-outcome
    two_year_recid`` audits a supplied table's precomputed scores
    (:class:`scorers.precomputed.PrecomputedScorer`); a test without an
    ``audit_scorer`` marker then audits them. ``--audit-scores``,
    ``--audit-lower-is-better`` and ``--audit-favourable-column`` as for
    ``scs-audit run``.

The seed and population appear in the report header when an ``--audit-*``
option is given, or after collection when a collected test uses the audit
fixtures; the terminal summary says what was audited and where the report
went. Nothing is printed, and nothing heavy imported, for a session that
uses no audit fixture: this module imports only pytest and the standard
library; the harness is imported inside fixtures and hooks when needed.
"""

from __future__ import annotations

from audit.testing.plugin.collect import (
    pytest_collection_finish,
    pytest_generate_tests,
    pytest_report_collectionfinish,
)
from audit.testing.plugin.fixtures import (
    audit_population,
    audit_population_key,
    audit_run,
    audit_scorer,
    audit_scorer_spec,
)
from audit.testing.plugin.options import pytest_addoption, pytest_configure, pytest_report_header
from audit.testing.plugin.report import pytest_runtest_makereport, pytest_sessionfinish, pytest_terminal_summary
from audit.testing.plugin.state import DEFAULT_POPULATION, DEFAULT_SEED, DEFAULT_SIZE, AuditRun, PopulationKey

__all__ = [
    "DEFAULT_POPULATION",
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "AuditRun",
    "PopulationKey",
    "audit_population",
    "audit_population_key",
    "audit_run",
    "audit_scorer",
    "audit_scorer_spec",
    "pytest_addoption",
    "pytest_collection_finish",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_report_collectionfinish",
    "pytest_report_header",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
]
