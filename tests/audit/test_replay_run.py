"""The replay audits in a real run: reference scorers, results.json keys, the CLI flag, the summary."""

from __future__ import annotations

import json

import pytest

from audit.cli.commands import main

SIZE, SAMPLE = 1500, 150


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay_run")
    status = main(["run", "--population", "tiny", "--size", str(SIZE), "--seed", "5", "--out", str(out), "--quiet",
                   "--replay-sample", str(SAMPLE), "--bootstrap", "50",
                   "--scorer", "suining", "--scorer", "joint_punishment:honour_performance=false", "--scorer", "sesame"])
    assert status == 0
    doc = json.loads((out / "results.json").read_text())
    return {s["label"]: s for s in doc["scorers"]}


def test_every_replay_section_reports_the_same_sample(results):
    for s in results.values():
        sizes = {s[name]["sample_size"] for name in ("appeal", "reversibility", "spillover")}
        assert len(sizes) == 1
        # stratified: up to SAMPLE people from each stratum, the whole stratum when it is smaller
        strata = s["reversibility"]["sample"]["strata"]
        assert sum(st["population"] for st in strata) == SIZE
        assert all(st["sampled"] == min(SAMPLE, st["population"]) for st in strata)
        assert sizes.pop() == sum(st["sampled"] for st in strata)


def test_suining_never_forgets_a_deduction(results):
    rev = results["suining"]["reversibility"]
    assert rev["recovery"]["n"] > 0 and rev["recovery"]["never_share"] == 1.0
    assert rev["absorbing"]["sanctioned"] > 0 and rev["absorbing_share"] == 1.0
    assert rev["duration_cap_violations"] == rev["absorbing"]["sanctioned"]
    assert rev["overturn_violations"] == 0


def test_a_defaulter_list_that_ignores_performance_lasts_two_years(results):
    # SPC 2017: a listing lasts 2 years; without early deletion, recovery from a first
    # listing takes exactly 24 months whatever else the person does
    rec = results["joint_punishment:honour_performance=False"]["reversibility"]["recovery"]
    assert rec["n"] > 0
    assert rec["median_months"] == 24 and rec["p90_months"] == 24 and rec["never_share"] == 0.0


def test_agreed_keys(results):
    for s in results.values():
        rev, ap, sp = s["reversibility"], s["appeal"], s["spillover"]
        assert isinstance(rev["overturn_violations"], int) and isinstance(rev["overturn_checked"], int)
        for key in ("absorbing_share", "recourse_cost_ratio", "duration_cap_violations"):
            assert key in rev
        for key in ("median_months", "p90_months", "never_share", "by_income_quintile", "by_education", "curve",
                    "curve_by_income_quintile"):
            assert key in rev["recovery"]
        assert ap["available"] is True and "overall" in ap
        for g in ap["by_education"] + ap["by_income_quintile"]:
            for key in ("group", "n_wronged", "filed", "succeeded", "wrong_filed", "wrong_succeeded", "filing_rate",
                        "success_rate_if_wrong", "wrongful_sanction_rate_before", "wrongful_sanction_rate_after",
                        "median_months_to_remedy"):
                assert key in g
        assert "unrelated_share" in sp and "matrix" in sp and "by_income_quintile" in sp and "proportionality" in sp
    assert results["suining"]["contagion"] == {
        "applicable": False, "reason": "the scorer does not declare that it reads ties (tags.uses_ties)"
    }
    assert results["sesame"]["contagion"]["applicable"] is True


def test_replay_sample_zero_skips_the_replay_audits(tmp_path, capsys):
    status = main(["run", "--population", "tiny", "--size", "300", "--out", str(tmp_path), "--replay-sample", "0",
                   "--scorer", "suining", "--bootstrap", "0"])
    assert status == 0
    scorer = json.loads((tmp_path / "results.json").read_text())["scorers"][0]
    assert not {"appeal", "reversibility", "spillover", "contagion"} & set(scorer)
    assert "replay audits" not in capsys.readouterr().out


def test_summary_grid_gives_each_replay_audit_its_verdict(tmp_path, capsys):
    status = main(["run", "--population", "tiny", "--size", "300", "--out", str(tmp_path), "--replay-sample", "60",
                   "--scorer", "suining", "--bootstrap", "0"])
    assert status == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("scorer") and "disparity" in line)
    assert [c for c in ("appeal", "reversibility", "spill-over") if c in header] == ["appeal", "reversibility", "spill-over"]
    # suining reads no ties: contagion does not apply, and the summary names it once instead of a column of n/a
    assert "contagion" not in header and "n/a for every scorer: contagion" in " ".join(out.split())
