"""The plugin's options (one group, ``--audit-…``), markers and report header."""

from __future__ import annotations

import pytest

from audit.testing.plugin.state import DEFAULT_POPULATION, DEFAULT_SEED, DEFAULT_SIZE, STATE, Session, Supplied

__all__ = ["pytest_addoption", "pytest_configure", "pytest_report_header"]


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
    group.addoption("--audit-by", action="append", default=None, metavar="ATTR",
                    help="attribute to audit by: a column, race×sex, age:bands=25,45 (repeatable)")
    group.addoption("--audit-score-column", default=None, metavar="COL",
                    help="audit the deployed system's scores in this column of the --audit-population table")
    group.addoption("--audit-scores", default=None, metavar="PATH",
                    help="table of the deployed system's scores: person_id and score")
    group.addoption("--audit-lower-is-better", action="store_true", default=False,
                    help="the scores are risk scores: lower is better")
    group.addoption("--audit-adverse-from", type=float, default=None, metavar="SCORE",
                    help="scores at or above SCORE are the adverse outcome")
    group.addoption("--audit-favourable-column", default=None, metavar="COL",
                    help="0/1 column of the system's decisions, 1 favourable")
    group.addoption("--audit-outcome", default=None, metavar="COL",
                    help="0/1 column of observed outcomes (1 = the event the score predicts): error rates, calibration")


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
    supplied = Supplied(
        by=tuple(config.getoption("--audit-by") or ()), score_column=config.getoption("--audit-score-column"),
        scores=config.getoption("--audit-scores"), lower_is_better=bool(config.getoption("--audit-lower-is-better")),
        adverse_from=config.getoption("--audit-adverse-from"),
        favourable_column=config.getoption("--audit-favourable-column"), outcome=config.getoption("--audit-outcome"),
    )
    if not supplied.precomputed and (supplied.adverse_from is not None or supplied.lower_is_better
                                     or supplied.favourable_column is not None):
        raise pytest.UsageError("--audit-adverse-from, --audit-lower-is-better and --audit-favourable-column describe "
                                "precomputed scores: name their column with --audit-score-column (or --audit-scores)")
    config.stash[STATE] = Session(replay_sample=config.getoption("--audit-replay-sample"), supplied=supplied)


def _options_given(config: pytest.Config) -> bool:
    return any(config.getoption(o) is not None
               for o in ("--audit-size", "--audit-seed", "--audit-population", "--audit-report", "--audit-replay-sample",
                         "--audit-score-column", "--audit-scores", "--audit-outcome"))


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

