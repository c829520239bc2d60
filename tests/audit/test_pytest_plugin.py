"""The pytest plugin, run through ``pytester`` in a subprocess (the plugin is installed, so it loads itself)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TOY_SCORERS = '''
import numpy as np
import pandas as pd
from types import MappingProxyType


class Fair:
    """Everyone in the good tier, no sanctions."""

    name, version, description = "fair", "1", "everyone good"
    params = MappingProxyType({})
    tiers = ("good", "bad")
    favourable_tiers = frozenset({"good"})
    sanctions = MappingProxyType({})

    def with_params(self, **kw):
        return self

    def score(self, view, *, as_of):
        n = len(view.people)
        return pd.DataFrame({"score": np.ones(n), "tier": ["good"] * n})


class ByIncome(Fair):
    """Good tier only for income quintiles 3-5; a loan ban for the others."""

    name, description = "by_income", "the poor two fifths are bad"
    sanctions = MappingProxyType({"loan_ban": "finance"})

    def score(self, view, *, as_of):
        good = view.people["income_quintile"].to_numpy() >= 3
        return pd.DataFrame({"score": good.astype(float), "tier": np.where(good, "good", "bad"), "loan_ban": ~good})
'''

INNER_SUITE = '''
import pytest
from audit.testing.assertions import assert_four_fifths

pytestmark = pytest.mark.audit_population("tiny", size=600, seed=1)
RUNS = []


@pytest.mark.audit_scorer("toyscorers:Fair")
def test_fair_passes(audit_run):
    RUNS.append(audit_run.run)
    assert_four_fifths(audit_run, by="income_quintile")


@pytest.mark.audit_scorer("toyscorers:ByIncome")
def test_by_income_fails(audit_run):
    RUNS.append(audit_run.run)
    assert_four_fifths(audit_run, by="income_quintile")


@pytest.mark.audit_scorer("toyscorers:Fair", "toyscorers:ByIncome")
def test_parametrized_and_cached(audit_run, audit_scorer):
    assert audit_run.scorer is audit_scorer
    assert any(r is audit_run.run for r in RUNS), "the session cache should give the run of the earlier test"


def test_population_is_cached(audit_population, request):
    again = request.getfixturevalue("audit_population")
    assert again is audit_population
    print(f"SIZE={len(audit_population)}")


@pytest.mark.audit_population("tiny", size=50, seed=9)
def test_marker_size(audit_population):
    print(f"MARKED={len(audit_population)}")


def test_no_scorer_marker(audit_run):
    pass


@pytest.mark.audit_population("tiny", sise=5)
@pytest.mark.audit_scorer("toyscorers:Fair")
def test_bad_population_marker(audit_run):
    pass


@pytest.mark.audit_scorer("no_such_scorer_anywhere")
def test_unknown_scorer(audit_run):
    pass


def test_not_an_audit():
    pass
'''


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(toyscorers=TOY_SCORERS, test_inner=INNER_SUITE)
    return pytester


def outcomes(result) -> dict[str, str]:
    """Test name -> PASSED / FAILED / ERROR from the ``-rA`` short summary."""
    out = {}
    for line in result.outlines:
        m = re.match(r"^(PASSED|FAILED|ERROR) \S+::(\S+)", line)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def test_fixtures_markers_cache_report_and_summary(suite, tmp_path):
    report = tmp_path / "report"
    result = suite.runpytest_subprocess("-rA", "-s", "-p", "no:cacheprovider", "--audit-report", str(report))
    got = outcomes(result)
    assert got == {
        "test_fair_passes": "PASSED",
        "test_by_income_fails": "FAILED",
        "test_parametrized_and_cached[toyscorers:Fair]": "PASSED",
        "test_parametrized_and_cached[toyscorers:ByIncome]": "PASSED",
        "test_population_is_cached": "PASSED",
        "test_marker_size": "PASSED",
        "test_no_scorer_marker": "ERROR",
        "test_bad_population_marker": "ERROR",
        "test_unknown_scorer": "ERROR",
        "test_not_an_audit": "PASSED",
    }
    text = result.stdout.str()
    # the failure message: quintiles 1 and 2 have no favourable outcome at all
    assert "four-fifths rule by income_quintile fails for scorer 'by_income'" in text
    assert re.search(r"1: impact ratio 0\.000 .*n=\d+ — under 0\.8: violation", text)
    assert re.search(r"2: impact ratio 0\.000", text)
    assert "reference group 3: favourable rate 1.000" in text
    # usage errors say what to add
    assert "names no scorer; add @pytest.mark.audit_scorer" in text
    assert "audit_population marker takes (name, size=..., seed=...)" in text
    assert "audit_scorer('no_such_scorer_anywhere')" in text
    # markers and the session cache
    assert "SIZE=600" in text and "MARKED=50" in text
    # header after collection, one run for both scorers of a population, and the report
    assert "scs-audit: audits on tiny, 600 people, seed 1; tiny, 50 people, seed 9" in text
    assert re.search(r"audited fair, by_income on tiny, 600 people, seed 1 in [\d.]+ s", text)
    assert text.count("audited ") == 1
    index = json.loads((report / "audit-tests.json").read_text())
    assert index["kind"] == "scs-audit test session"
    assert [p["scorers"] for p in index["populations"]] == [["fair", "by_income"]]
    tests = {t["nodeid"].split("::")[1]: t for t in index["tests"]}
    assert tests["test_by_income_fails"]["outcome"] == "failed"
    assert "under 0.8: violation" in tests["test_by_income_fails"]["message"]
    assert tests["test_fair_passes"] == {"nodeid": "test_inner.py::test_fair_passes", "outcome": "passed",
                                         "scorer": "toyscorers:Fair", "population": "tiny, 600 people, seed 1"}
    assert "test_not_an_audit" not in tests
    results = json.loads((report / "results.json").read_text())
    assert [s["label"] for s in results["scorers"]] == ["fair", "by_income"]
    assert results["population"]["size"] == 600 and results["population"]["seed"] == 1


def test_command_line_overrides_markers(suite):
    result = suite.runpytest_subprocess("-s", "-p", "no:cacheprovider", "-k", "population_is_cached or marker_size",
                                        "--audit-size", "70", "--audit-seed", "4")
    text = result.stdout.str()
    assert "SIZE=70" in text and "MARKED=70" in text
    assert "scs-audit: population per marker (default china-2020), 70 people, seed 4" in text
    assert "scs-audit: audits on tiny, 70 people, seed 4" in text
    result.assert_outcomes(passed=2, deselected=8)


def test_the_replay_sample_option_reaches_the_audits(pytester):
    pytester.makepyfile(test_replay=(
        "import pytest\n"
        "@pytest.mark.audit_scorer('suining')\n"
        "@pytest.mark.audit_population('tiny', size=300, seed=3)\n"
        "def test_sample(audit_run):\n"
        "    sample = audit_run.sections['reversibility']['sample']\n"
        "    assert sample['per_stratum'] == 40\n"
        "    assert all(s['sampled'] == min(40, s['population']) for s in sample['strata'])\n"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--audit-replay-sample", "40")
    result.assert_outcomes(passed=1)
    bad = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--audit-replay-sample", "-1")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR and "--audit-replay-sample -1: give a whole number >= 0" in bad.stderr.str()


def test_a_suites_own_population_and_scorer_fixtures_do_not_collide_with_ours(pytester):
    """The plugin's fixtures are audit_*: a suite keeps its own ``population`` and ``scorer`` fixtures."""
    pytester.makeconftest(
        "import pytest\n"
        "@pytest.fixture\n"
        "def population():\n"
        "    return 'the suite population'\n"
        "@pytest.fixture\n"
        "def scorer():\n"
        "    return 'the suite scorer'\n")
    pytester.makepyfile(test_own=(
        "import pytest\n"
        "@pytest.mark.audit_scorer('suining')\n"
        "@pytest.mark.audit_population('tiny', size=200, seed=5)\n"
        "def test_both(population, scorer, audit_population, audit_scorer):\n"
        "    assert population == 'the suite population' and scorer == 'the suite scorer'\n"
        "    assert len(audit_population) == 200 and audit_scorer.name == 'suining'\n"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_session_without_audits_prints_nothing_of_ours(pytester):
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    ours = [line for line in result.outlines if line.startswith("scs-audit:") or re.search(r"-+ scs-audit -+", line)]
    assert ours == []  # only pytest's own "plugins: scs-audit-..." line names us


def test_options_and_markers_are_registered(pytester):
    result = pytester.runpytest_subprocess("--help")
    help_text = result.stdout.str()
    for opt in ("--audit-size", "--audit-seed", "--audit-population", "--audit-report", "--audit-replay-sample"):
        assert opt in help_text
    markers = pytester.runpytest_subprocess("--markers").stdout.str()
    assert "@pytest.mark.audit_scorer(spec" in markers and "@pytest.mark.audit_population(name=None" in markers


def test_bad_option_value_is_a_usage_error(pytester):
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    result = pytester.runpytest_subprocess("--audit-size", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--audit-size 0: give a whole number >= 1" in result.stderr.str()


def test_importing_the_plugin_imports_nothing_heavy():
    code = textwrap.dedent(
        """
        import sys
        import audit.testing.pytest_plugin
        heavy = [m for m in ("numpy", "pandas", "scipy", "audit.runner", "scorers") if m in sys.modules]
        print(heavy)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- the example audit suite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "audit_suite"

#: Outcomes that follow from the rules themselves, not from where an estimate happens to fall on
#: the tiny population: Suining keeps penalties for ever (absorbing), its low classes lose housing
#: for traffic offences, the defaulter list bans travel for court cases, Sesame reads income and
#: education directly and screens job interviews for shopping; expiring penalties recover in time,
#: every reference scorer is a pure fold so overturns restore state. The defaulter list's recovery
#: is not shown on 3,000 people: its richest fifth holds fewer than 30 people with a first penalty,
#: and not enough evidence fails.
EXPECTED = {
    "test_suining.py::test_no_absorbing_states": "FAILED",
    "test_suining.py::test_no_spillover_from_traffic_into_housing": "FAILED",
    "test_suining.py::test_expiring_penalties_recover_within_24_months": "PASSED",
    "test_suining.py::test_expiring_penalties_leave_no_absorbing_states": "PASSED",
    "test_suining.py::test_overturned_events_restore_state": "PASSED",
    "test_rongcheng.py::test_four_fifths_by_income": "FAILED",
    "test_rongcheng.py::test_recovers_within_a_year": "PASSED",
    "test_rongcheng.py::test_overturned_events_restore_state": "PASSED",
    "test_rongcheng.py::test_good_deeds_never_lower_a_score": "PASSED",
    "test_joint_punishment.py::test_four_fifths_by_income": "PASSED",
    "test_joint_punishment.py::test_no_absorbing_states": "PASSED",
    "test_joint_punishment.py::test_recovers_within_24_months": "FAILED",
    "test_joint_punishment.py::test_court_cases_never_restrict_travel": "FAILED",
    "test_joint_punishment.py::test_overturned_listings_restore_state": "PASSED",
    "test_sesame.py::test_four_fifths_by_income": "FAILED",
    "test_sesame.py::test_four_fifths_by_education": "FAILED",
    "test_sesame.py::test_shopping_never_costs_a_job_interview": "FAILED",
    "test_sesame.py::test_overturned_events_restore_state": "PASSED",
}


def test_example_audit_suite(pytester, tmp_path):
    for path in EXAMPLES.glob("*.py"):
        (pytester.path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    report = tmp_path / "report"
    result = pytester.runpytest_subprocess("-rA", "-p", "no:cacheprovider", "--audit-population", "tiny",
                                           "--audit-size", "3000", "--audit-report", str(report))
    got = {}
    for line in result.outlines:
        m = re.match(r"^(PASSED|FAILED|ERROR) (test_\w+\.py::\w+)", line)
        if m:
            got[m.group(2)] = m.group(1)
    collected = int(re.search(r"collected (\d+) items", result.stdout.str()).group(1))
    assert len(got) == collected and "ERROR" not in got.values()  # every test ran to a verdict
    assert {k: got.get(k) for k in EXPECTED} == EXPECTED
    text = result.stdout.str()
    # failure messages name groups, values, intervals and thresholds
    assert re.search(r"four-fifths rule by income_quintile fails for scorer 'sesame' \(threshold 0\.8 .*reference group 5: "
                     r"favourable rate \d\.\d{3} \[95% CI \d\.\d{3}, \d\.\d{3}\]", text)
    assert re.search(r"^E\s+1: impact ratio \d\.\d{3} \[95% CI \d\.\d{3}, \d\.\d{3}\], favourable rate .* under 0\.8: violation",
                     text, flags=re.MULTILINE)
    assert re.search(r"scorer 'suining': conduct in traffic leads to sanctions in housing", text)
    assert re.search(r"sample: [\d,]+ sanctions restricting housing in the replay sample triggered by traffic conduct", text)
    assert re.search(r"probe: a constructed person \(.*\) whose only record is \d drunk_driving gets low_cost_housing", text)
    assert "sanctions restricting housing: low_cost_housing" in text
    assert re.search(r"scorer 'suining' has absorbing states \(violated: rests on [\d,]+ sanctioned people replayed\):"
                     r"\nE\s+sample: 100\.0% \([\d,]+ of [\d,]+\) \[95% CI [\d.]+%, 100\.0%\] of sanctioned people", text)
    assert re.search(r"by income_quintile: 1 100\.0% \(\d+ of \d+\) \[95% CI", text)
    # not enough evidence fails with how much there was and the option that gets more
    assert re.search(r"not enough evidence: rests on \d+ people with a first penalty; about 30 would decide it — "
                     r"rerun with --audit-(replay-sample|size) [\d,]+", text)
    # one run for the whole session; the report holds every audited scorer
    assert re.search(r"audited joint_punishment, rongcheng, sesame, suining, suining:penalty_expiry_months=24 on tiny, "
                     r"3,000 people, seed 2020", text)
    index = json.loads((report / "audit-tests.json").read_text())
    assert len(index["tests"]) == collected
    assert (report / "report.html").is_file() and index["populations"][0]["report"] == "report.html"
    results = json.loads((report / "results.json").read_text())
    assert {s["label"] for s in results["scorers"]} == {
        "suining", "suining:penalty_expiry_months=24", "rongcheng", "joint_punishment", "sesame"}
    for s in results["scorers"]:
        assert {"disparity", "reversibility", "spillover", "appeal"} <= set(s)
