"""The pytest plugin audits a deployed system's own file: ``--audit-population people.csv --audit-score-column ...``."""

from __future__ import annotations

import pytest

from tests.audit._recidivism import recidivism_people

pytest_plugins = ["pytester"]


def test_a_suite_audits_precomputed_scores(pytester):
    people = recidivism_people(1500)
    people.to_csv(pytester.path / "people.csv", index=False)
    n_by_race = people["race"].value_counts().to_dict()
    fpr = {}
    for race, g in people.groupby("race"):
        negatives = g[g["two_year_recid"] == 0]
        fpr[race] = float((negatives["decile_score"] >= 5).mean())
    pytester.makepyfile(test_suite=f"""
        import pytest

        def test_scores_are_audited_by_race(audit_run):
            assert audit_run.label == "decile_score"
            groups = {{g["group"]: g["n"] for g in audit_run.sections["disparity"]["race"]["groups"]}}
            assert groups == {n_by_race!r}
            assert audit_run.sections["appeal"]["applicable"] is False

        def test_false_positive_rates(audit_run):
            got = {{g["group"]: g["false_positive_rate"]
                   for g in audit_run.sections["observed_outcome"]["race"]["groups"]}}
            assert got == pytest.approx({fpr!r}, abs=1e-12)
    """)
    result = pytester.runpytest_subprocess(
        "--audit-population", "people.csv", "--audit-score-column", "decile_score", "--audit-adverse-from", "5",
        "--audit-by", "race", "--audit-by", "sex", "--audit-outcome", "two_year_recid",
        "-p", "no:cacheprovider",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*audited decile_score on people.csv (supplied table), seed 0*"])


def test_score_flags_without_a_score_column_are_a_usage_error(pytester):
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    result = pytester.runpytest_subprocess("--audit-adverse-from", "5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--audit-score-column" in result.stderr.str()
