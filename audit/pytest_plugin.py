"""pytest plugin for audit suites (registered through the ``pytest11`` entry point).

Cheap to import: heavy modules are imported inside hooks and fixtures only.
"""

from __future__ import annotations


def pytest_addoption(parser) -> None:
    group = parser.getgroup("scs-audit", "scoring-system audits")
    group.addoption("--audit-size", type=int, default=None, help="people in the audited population")
    group.addoption("--audit-seed", type=int, default=None, help="seed of the synthetic population")
    group.addoption("--audit-population", default=None, help="population spec name or TOML path")
    group.addoption("--audit-report", default=None, help="write one audit report for the session into DIR")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "audit_scorer(spec): the scorer (name or name:key=value) a test audits")
    config.addinivalue_line("markers", "audit_population(name, size=None, seed=None): the population a test audits")
