"""A deployed system's own file audited with one command, checked against pandas and fairlearn.

The file is shaped like a public recidivism-risk file (:mod:`tests.audit._recidivism`);
every figure the run reports -- LL144 scoring rates and impact ratios, the
false positive rates and the other fairlearn metrics by group, equalized odds,
calibration -- is recomputed here from the table with pandas and fairlearn alone.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import precision_score

from audit.cli.commands import main
from tests.audit._recidivism import recidivism_people

ARGS = ["--by", "race", "--by", "sex", "--score-column", "decile_score", "--adverse-from", "5",
        "--outcome", "two_year_recid", "--date-column", "screening_date", "--quiet", "--workers", "1", "--bootstrap", "50"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("compas")
    people = recidivism_people()
    path = d / "people.csv"
    people.to_csv(path, index=False)
    rc = main(["run", "--population", str(path), "--out", str(d / "out"), *ARGS])
    assert rc == 0
    results = json.loads((d / "out" / "results.json").read_text())
    with open(d / "out" / "ll144.csv", newline="") as fh:
        ll144 = list(csv.DictReader(fh))
    return people, results, ll144


def _eligible(people: pd.DataFrame, column: str) -> list[str]:
    """Known groups holding at least 2% of people (the groups in ratios)."""
    share = people[column].value_counts(dropna=True) / len(people)
    return sorted(share[share >= 0.02].index)


def test_the_scorer_is_named_after_the_column_and_replay_is_not_applicable(run):
    _, results, _ = run
    (s,) = results["scorers"]
    assert s["label"] == "decile_score"
    assert s["tiers"] == ["under 5", "5 or above"]
    for audit in ("appeal", "reversibility", "spillover", "contagion"):
        assert s[audit]["applicable"] is False
        assert s[audit]["reason"] == "not applicable: a precomputed score has no rules to re-run"
    assert results["population"]["absent_columns"] == ["urban", "region", "income", "income_quintile", "education"]


def test_the_date_range_of_the_data_is_recorded(run):
    people, results, _ = run
    assert results["population"]["date_range"] == [people["screening_date"].min(), people["screening_date"].max()]
    from audit.report.build import build_report

    (section,) = [s for s in build_report(results).sections if s.id == "ll144"]
    facts = dict(section.blocks[0].items)
    assert facts["date range of the data"].text == f"{people['screening_date'].min()} to {people['screening_date'].max()}"


def test_unknown_category_is_counted(run):
    people, results, ll144 = run
    disparity = results["scorers"][0]["disparity"]
    assert disparity["attributes"] == ["race", "sex", "race×sex"]
    assert disparity["race"]["unknown_n"] == int(people["race"].isna().sum()) == 5
    assert disparity["race×sex"]["unknown_n"] == 5
    unknown = [r for r in ll144 if r["attribute"] == "race" and r["category"] == "unknown"]
    assert [int(r["n"]) for r in unknown] == [5]


@pytest.mark.parametrize("attribute", ["race", "sex"])
def test_ll144_scoring_rates_and_impact_ratios_match_pandas(run, attribute):
    people, _, ll144 = run
    median = people["decile_score"].median()
    above = (people["decile_score"] > median).groupby(people[attribute]).mean()  # strictly above the median
    n = people[attribute].value_counts()
    eligible = _eligible(people, attribute)
    best = above[eligible].max()
    rows = {r["category"]: r for r in ll144 if r["attribute"] == attribute and r["category"] != "unknown"}
    assert sorted(rows) == sorted(n.index)
    for group, r in rows.items():
        assert int(r["n"]) == n[group]
        assert float(r["scoring_rate"]) == pytest.approx(above[group], abs=1e-12)
        if group in eligible:
            assert r["excluded_from_ratios"] == "False"
            assert float(r["scoring_impact_ratio"]) == pytest.approx(above[group] / best, abs=1e-12)
        else:  # under 2%: listed with its count, left out of the ratios
            assert r["excluded_from_ratios"] == "True" and r["scoring_impact_ratio"] == ""


def test_ll144_selection_rates_of_the_intersection_match_pandas(run):
    people, _, ll144 = run
    known = people.dropna(subset=["race"])
    favourable = (known["decile_score"] < 5).groupby([known["race"], known["sex"]]).mean()
    share = known.groupby(["race", "sex"]).size() / len(people)
    eligible = share[share >= 0.02].index
    best = favourable[eligible].max()
    rows = {r["category"]: r for r in ll144 if r["attribute"] == "race×sex" and r["category"] != "unknown"}
    for (race, sex), rate in favourable.items():
        r = rows[f"{race} × {sex}"]
        assert float(r["selection_rate"]) == pytest.approx(rate, abs=1e-12)
        if (race, sex) in eligible:
            assert float(r["selection_impact_ratio"]) == pytest.approx(rate / best, abs=1e-12)


def _metric_frame(people: pd.DataFrame, attribute: str | list[str]) -> MetricFrame:
    known = people.dropna(subset=[attribute] if isinstance(attribute, str) else attribute)
    return MetricFrame(
        metrics={"selection_rate": selection_rate, "false_positive_rate": false_positive_rate,
                 "false_negative_rate": false_negative_rate, "true_positive_rate": true_positive_rate,
                 "positive_predictive_value": lambda t, p: precision_score(t, p, zero_division=0)},
        y_true=known["two_year_recid"], y_pred=(known["decile_score"] >= 5).astype(int),
        sensitive_features=known[attribute],
    )


@pytest.mark.parametrize("attribute", ["race", "sex"])
def test_error_rates_by_group_match_fairlearn(run, attribute):
    people, results, _ = run
    section = results["scorers"][0]["observed_outcome"]
    assert section["label"] == "observed outcome" and section["predicted_positive"] == "adverse"
    mf = _metric_frame(people, attribute)
    groups = {g["group"]: g for g in section[attribute]["groups"]}
    assert sorted(groups) == sorted(mf.by_group.index)
    for group, row in mf.by_group.iterrows():
        for metric, value in row.items():
            assert groups[group][metric] == pytest.approx(value, abs=1e-9), (group, metric)
            lo, hi = groups[group][f"{metric}_ci"]
            assert lo <= value <= hi


def test_intersection_error_rates_match_fairlearn(run):
    people, results, _ = run
    mf = _metric_frame(people, ["race", "sex"])
    groups = {tuple(g["group"]): g for g in results["scorers"][0]["observed_outcome"]["race×sex"]["groups"]}
    for (race, sex), row in mf.by_group.iterrows():
        assert groups[(race, sex)]["false_positive_rate"] == pytest.approx(row["false_positive_rate"], abs=1e-9)


@pytest.mark.parametrize("attribute", ["race", "sex"])
def test_equalized_odds_and_fairlearn_summaries_match(run, attribute):
    people, results, _ = run
    node = results["scorers"][0]["observed_outcome"][attribute]
    keep = people[people[attribute].isin(_eligible(people, attribute))]
    y_true, y_pred = keep["two_year_recid"], (keep["decile_score"] >= 5).astype(int)
    assert node["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y_true, y_pred, sensitive_features=keep[attribute]), abs=1e-9)
    assert node["equalized_odds_ratio"] == pytest.approx(
        equalized_odds_ratio(y_true, y_pred, sensitive_features=keep[attribute]), abs=1e-9)
    mf = MetricFrame(metrics=false_positive_rate, y_true=y_true, y_pred=y_pred, sensitive_features=keep[attribute])
    fpr = node["by_metric"]["false_positive_rate"]
    assert fpr["difference"] == pytest.approx(mf.difference(), abs=1e-9)
    assert fpr["ratio"] == pytest.approx(mf.ratio(), abs=1e-9)
    assert fpr["group_max"] == pytest.approx(mf.group_max(), abs=1e-9)
    everyone = false_positive_rate(people["two_year_recid"], (people["decile_score"] >= 5).astype(int))
    assert fpr["overall"] == pytest.approx(everyone, abs=1e-9)


def test_calibration_within_groups_matches_pandas(run):
    people, results, _ = run
    cal = results["scorers"][0]["observed_outcome"]["sex"]["calibration"]
    assert cal["bins"] == [str(v) for v in range(1, 11)]
    observed = people.groupby(["sex", "decile_score"])["two_year_recid"].agg(["mean", "size"])
    for g in cal["groups"]:
        for b, value in enumerate(range(1, 11)):
            mean, size = observed.loc[(g["group"], value)]
            assert g["n"][b] == size
            assert g["observed_rate"][b] == pytest.approx(mean, abs=1e-12)


def test_the_report_shows_the_ll144_and_observed_outcome_figures_from_the_results(run):
    _, results, ll144 = run
    from audit.report import build_report, render_html
    from tests.audit.report.htmlscan import resolve, scan

    page = scan(render_html(build_report(results)))
    assert page.figures
    for fig in page.figures:  # every number shown is the one in results.json
        value = resolve({"results": results}, fig.source)
        if fig.value is not None and not isinstance(value, str):
            assert json.loads(fig.value) == value, fig
    base = "results#/scorers/0/disparity/race/groups/0"
    shown = [f.text for f in page.by_source(f"{base}/scoring_rate") if f.tag == "td"]
    first = next(r for r in ll144 if r["attribute"] == "race")
    assert f"{100 * float(first['scoring_rate']):.1f}%" in shown  # the LL144 table and the disparity table
    fpr = page.by_source("results#/scorers/0/observed_outcome/race/groups/0/false_positive_rate")
    assert [f.tag for f in fpr] == ["td"]


def test_the_terminal_summary_shows_the_supplied_attributes(tmp_path, capsys):
    path = tmp_path / "people.csv"
    recidivism_people(600).to_csv(path, index=False)
    rc = main(["run", "--population", str(path), "--out", str(tmp_path / "out"), "--by", "race", "--by", "sex",
               "--score-column", "decile_score", "--adverse-from", "5", "--workers", "1", "--bootstrap", "0"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "race" in out and "sex" in out and "income" not in out and "replay audits" not in out
    assert (tmp_path / "out" / "ll144.csv").exists()


def test_a_hiring_decision_column_gives_ll144_selection_rates(tmp_path):
    rng = np.random.default_rng(5)
    n = 1200
    people = pd.DataFrame({"person_id": np.arange(n), "sex": rng.choice(["F", "M"], n),
                           "ethnicity": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
                           "score": rng.normal(50, 10, n).round(1)})
    people["hired"] = (people["score"] + np.where(people["sex"] == "F", -3, 0) > 52).astype(int)
    people.to_csv(tmp_path / "applicants.csv", index=False)
    rc = main(["run", "--population", str(tmp_path / "applicants.csv"), "--by", "sex", "--by", "ethnicity",
               "--score-column", "score", "--favourable-column", "hired", "--out", str(tmp_path / "out"),
               "--quiet", "--workers", "1", "--bootstrap", "0"])
    assert rc == 0
    with open(tmp_path / "out" / "ll144.csv", newline="") as fh:
        rows = {(r["attribute"], r["category"]): r for r in csv.DictReader(fh)}
    selected = people.groupby("sex")["hired"].mean()
    median = people["score"].median()
    scoring = (people["score"] > median).groupby(people["sex"]).mean()
    for sex in ("F", "M"):
        r = rows[("sex", sex)]
        assert float(r["selection_rate"]) == pytest.approx(selected[sex], abs=1e-12)
        assert float(r["selection_impact_ratio"]) == pytest.approx(selected[sex] / selected.max(), abs=1e-12)
        assert float(r["scoring_rate"]) == pytest.approx(scoring[sex], abs=1e-12)
    assert ("sex×ethnicity", "F × a") in rows  # the first two attributes crossed, in the order given
