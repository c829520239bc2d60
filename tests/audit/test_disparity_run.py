"""The disparity section through the runner, results.json, the CLI flags and the terminal summary."""

from __future__ import annotations

import json

import pytest

from audit.cli.commands import main
from audit.disparity.audit import INTERSECTION, DisparityAudit
from audit.engine.contract import AuditOptions
from audit.runner import RunConfig, run
from scorers.suining import Suining

GROUP_KEYS = {
    "group", "n", "share", "excluded_from_ratios", "favourable_rate", "favourable_rate_ci", "adverse_rate",
    "adverse_rate_ci", "adverse_rate_by_sanction", "tier_shares", "tier_or_better", "mean_score", "median_score",
    "scoring_rate", "scoring_rate_ci", "impact_ratio", "impact_ratio_ci", "scoring_impact_ratio",
    "scoring_impact_ratio_ci", "adverse_relative_risk", "adverse_relative_risk_ci", "four_fifths",
    "tier_shares_ci", "tier_or_better_ci", "adverse_rate_by_sanction_ci", "mean_score_ci", "median_score_ci",
}
ATTRIBUTE_KEYS = {
    "groups", "unknown_n", "reference_group", "adverse_reference_group", "min_impact_ratio", "min_impact_ratio_ci",
    "worst_group", "four_fifths_violation", "four_fifths_verdict", "favourable", "adverse", "scoring_rate", "driver",
}
SECTION_KEYS = {"median_score", "median_note", "min_cell_share", "bootstrap_replicates", "ground_truth", "attribution"}
FAIRLEARN_KEYS = {"overall", "group_min", "group_max", "difference", "ratio"}


@pytest.fixture(scope="module")
def result():
    options = AuditOptions(bootstrap=50, by=("urban",))
    return run([Suining()], RunConfig(population="tiny", size=3000, options=options), audits=[DisparityAudit()])


def test_section_has_the_agreed_keys(result):
    section = result.runs[0].sections["disparity"]
    assert SECTION_KEYS <= set(section)
    assert section["attributes"] == ["income_quintile", "education", INTERSECTION, "urban"]
    for key in section["attributes"]:
        attr = section[key]
        assert ATTRIBUTE_KEYS <= set(attr), key
        for name in ("favourable", "adverse", "scoring_rate"):
            assert set(attr[name]) == FAIRLEARN_KEYS
        assert {"rule", "share_of_gap"} <= set(attr["driver"])
        assert attr["four_fifths_verdict"] in ("violation", "no violation", "inconclusive")
        for g in attr["groups"]:
            assert GROUP_KEYS <= set(g), (key, g["group"])
            assert g["four_fifths"] in ("violation", "no violation", "inconclusive", "excluded")
    assert all(isinstance(g["group"], list) and len(g["group"]) == 2 for g in section[INTERSECTION]["groups"])
    assert len(section[INTERSECTION]["groups"]) == 20
    assert section["ground_truth"] is not None  # tiny is synthetic
    assert section["attribution"]["sample_size"] == 3000  # fewer people than the sample target: everyone
    json.dumps(section, allow_nan=False)  # JSON-ready as it stands


def test_intervals_contain_their_point_estimates(result):
    section = result.runs[0].sections["disparity"]
    for key in section["attributes"]:
        for g in section[key]["groups"]:
            for stat in ("favourable_rate", "adverse_rate", "scoring_rate", "impact_ratio"):
                ci = g[f"{stat}_ci"]
                if ci is not None and g[stat] is not None:
                    assert ci[0] <= g[stat] + 1e-12 and g[stat] <= ci[1] + 1e-12 or g["n"] < 30, (key, g["group"], stat)


def test_cli_flags_reach_the_section(tmp_path, monkeypatch):
    import audit.runner

    monkeypatch.setattr(audit.runner, "default_audits", lambda options=None: [DisparityAudit()])  # only this audit
    code = main(["run", "--population", "tiny", "--size", "300", "--scorer", "suining", "--bootstrap", "20",
                 "--min-cell-share", "0.05", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["options"]["bootstrap"] == 20 and doc["options"]["min_cell_share"] == 0.05
    section = doc["scorers"][0]["disparity"]
    assert section["bootstrap_replicates"] == 20 and section["min_cell_share"] == 0.05


@pytest.mark.parametrize("bad", [["--min-cell-share", "1.5"], ["--min-cell-share", "x"], ["--bootstrap", "-1"]])
def test_cli_rejects_bad_values(tmp_path, bad, capsys):
    try:
        code = main(["run", "--population", "tiny", "--size", "100", "--out", str(tmp_path), "--quiet", *bad])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert not (tmp_path / "results.json").exists()
    assert bad[0] in capsys.readouterr().err
