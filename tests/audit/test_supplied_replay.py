"""A rule-based scorer on a supplied table without income: the replay audits that price plans in
income say why they were not computed; the scorer's other audits stand.

Reversibility's recourse plans price charity and their cost in months of income; spill-over's
proportionality replay sizes an added event in yuan as a share of income. A deployed system's file
rarely has income, and once made the whole scorer fail ("auditing its scores raised KeyError").
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from jsonschema import Draft202012Validator

from audit.cli.commands import main
from audit.results import load_schema


def test_replay_audits_needing_income_say_so_and_the_run_stands(tmp_path):
    rng = np.random.default_rng(8)
    n = 800
    pd.DataFrame({
        "person_id": np.arange(1, n + 1),
        "race": rng.choice(["A", "B"], n),
        "sex": rng.choice(["Male", "Female"], n),
    }).to_csv(tmp_path / "people.csv", index=False)
    out = tmp_path / "out"
    status = main(["run", "--population", str(tmp_path / "people.csv"), "--by", "race", "--scorer", "rongcheng",
                   "--bootstrap", "0", "--out", str(out), "--quiet"])
    assert status == 0  # no scorer failed
    results = json.loads((out / "results.json").read_text())
    (entry,) = results["scorers"]
    assert entry["status"] == "ok" and "error" not in entry
    # with no events, rongcheng gives everyone its base score: one favourable rate per group, equal to 1
    rates = {g["group"]: g["favourable_rate"] for g in entry["disparity"]["race"]["groups"]}
    assert rates == {"A": 1.0, "B": 1.0}
    for section in ("reversibility", "spillover"):
        assert entry[section]["available"] is False
        assert "has no income" in entry[section]["reason"] and "add the column" in entry[section]["reason"]
    assert list(Draft202012Validator(load_schema("results")).iter_errors(results)) == []
    html = (out / "report.html").read_text()
    assert "has no income" in html
