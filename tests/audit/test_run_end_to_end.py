"""`scs-audit run` end to end: results.json recomputed from scores.parquet with fairlearn."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate

from audit.cli.commands import main
from scorers.registry import available_scorers

SIZE = 6000


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    status = main(["run", "--population", "tiny", "--size", str(SIZE), "--seed", "11", "--out", str(out),
                   "--save-scores", "--quiet"])
    assert status == 0
    return out


@pytest.fixture(scope="module")
def results(run_dir):
    return json.loads((run_dir / "results.json").read_text())


@pytest.fixture(scope="module")
def scores(run_dir):
    return pd.read_parquet(run_dir / "scores.parquet")


def test_results_header(results):
    assert results["schema_version"] == 1
    assert results["population"]["name"] == "tiny"
    assert results["population"]["size"] == SIZE
    assert results["population"]["seed"] == 11
    assert len(results["population"]["fingerprint"]) == 64
    labels = [s["label"] for s in results["scorers"]]
    assert len(labels) == len(set(labels))
    assert set(labels) == set(available_scorers())
    for s in results["scorers"]:
        assert s["status"] == "ok" and s["version"] and isinstance(s["params"], dict)


def test_scores_file_has_one_row_per_person_per_scorer(scores, results):
    assert len(scores) == SIZE * len(results["scorers"])
    assert scores.groupby("label").size().eq(SIZE).all()
    assert set(scores.columns) >= {"person_id", "label", "score", "tier", "favourable", "sanctioned",
                                   "income_quintile", "education"}


@pytest.mark.parametrize("attribute", ["income_quintile", "education"])
def test_disparity_matches_fairlearn_on_the_per_person_file(results, scores, attribute):
    for entry in results["scorers"]:
        rows = scores[scores["label"] == entry["label"]]
        mf = MetricFrame(
            metrics={"fav": selection_rate, "adv": selection_rate},
            y_true=np.zeros(len(rows)),
            y_pred=rows["favourable"].to_numpy().astype(int),
            sensitive_features=rows[attribute],
        )
        adv = MetricFrame(metrics=selection_rate, y_true=np.zeros(len(rows)),
                          y_pred=rows["sanctioned"].to_numpy().astype(int), sensitive_features=rows[attribute])
        mean = MetricFrame(metrics=lambda y_true, y_pred: float(np.mean(y_pred)), y_true=np.zeros(len(rows)),
                           y_pred=rows["score"].to_numpy(), sensitive_features=rows[attribute])
        section = entry["disparity"][attribute]
        by_group = {g["group"]: g for g in section["groups"]}
        for group, fav in mf.by_group["fav"].items():
            g = by_group[group]
            assert g["n"] == int((rows[attribute] == group).sum())
            assert g["favourable_rate"] == pytest.approx(fav, abs=1e-9)
            assert g["adverse_rate"] == pytest.approx(adv.by_group[group], abs=1e-9)
            assert g["mean_score"] == pytest.approx(mean.by_group[group], abs=1e-6)
        best = mf.by_group["fav"].max()
        ratios = (mf.by_group["fav"] / best).to_dict()
        for group, ratio in ratios.items():
            if not by_group[group]["excluded_from_ratios"]:
                assert by_group[group]["impact_ratio"] == pytest.approx(ratio, abs=1e-9)
        eligible = [g["impact_ratio"] for g in section["groups"] if g["impact_ratio"] is not None]
        assert section["min_impact_ratio"] == pytest.approx(min(eligible), abs=1e-12)
        assert section["four_fifths_violation"] == (min(eligible) < 0.8)


def test_tier_shares_match_scores(results, scores):
    for entry in results["scorers"]:
        rows = scores[scores["label"] == entry["label"]]
        shares = rows["tier"].value_counts(normalize=True)
        for tier, share in entry["tier_shares"].items():
            assert share == pytest.approx(shares.get(tier, 0.0), abs=1e-12)


def test_variant_labels_are_unique(tmp_path):
    # only the labels are read: no bootstrap and no replay sample (they do not name anything)
    status = main(["run", "--population", "tiny", "--size", "2000", "--out", str(tmp_path), "--quiet",
                   "--bootstrap", "0", "--replay-sample", "0",
                   "--scorer", "suining", "--scorer", "suining:penalty_expiry_months=24", "--scorer", "suining"])
    assert status == 0
    labels = [s["label"] for s in json.loads((tmp_path / "results.json").read_text())["scorers"]]
    assert labels == ["suining", "suining:penalty_expiry_months=24", "suining#2"]
