"""Comparing scorer variants: joint counts, paired intervals, verdicts, the command line."""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from audit.cli.commands import main
from audit.engine.contract import AuditOptions
from audit.errors import InvalidArgument
from audit.population.groups import layout_for
from audit.population.source import open_source
from audit.report.compare import (
    MEASURES,
    build_variants,
    decimals,
    fmt_difference,
    fmt_value,
    measure_values,
    parse_grid,
    run_compare,
)
from audit.report.paired import JointCounts, paired_bootstrap
from audit.runner import RunConfig


class ModScorer:
    """Favourable when person_id % k == 0; banned from travel when person_id % k == 1 (known by construction)."""

    name = "mod"
    version = "1"
    description = "test scorer"
    tiers = ("good", "bad")
    favourable_tiers = frozenset({"good"})
    sanctions = MappingProxyType({"ban": "travel"})
    default_params = MappingProxyType({"k": 2})

    def __init__(self, k: int = 2) -> None:
        self.params = MappingProxyType({"k": k})

    def score(self, view, *, as_of):
        pid = view.people["person_id"].to_numpy()
        k = self.params["k"]
        good = pid % k == 0
        return pd.DataFrame({"score": good.astype(float), "tier": np.where(good, "good", "bad"), "ban": pid % k == 1})

    def with_params(self, **params):
        return ModScorer(**{**self.params, **params})


SIZE = 3000


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    source = open_source("tiny", size=SIZE, seed=0)
    return pd.concat([source.chunk(b).people for b in source.chunk_plan(10**9)], ignore_index=True)


def _expected(people: pd.DataFrame, k: int, attr: str) -> dict[str, float]:
    """The measures computed directly with pandas from the people table (independent of the audit)."""
    pid = people["person_id"].to_numpy()
    df = pd.DataFrame({"g": people[attr].astype(object), "fav": pid % k == 0, "ban": pid % k == 1})
    by = df.groupby("g", observed=True).agg(n=("fav", "size"), fav=("fav", "mean"), ban=("ban", "mean"))
    by = by[by["n"] >= 0.02 * len(df)]
    return {"favourable_rate": df["fav"].mean(), "adverse_rate": df["ban"].mean(),
            f"min_impact_ratio:{attr}": by["fav"].min() / by["fav"].max(),
            f"adverse_difference:{attr}": by["ban"].max() - by["ban"].min()}


@pytest.fixture(scope="module")
def compared():
    config = RunConfig(population="tiny", size=SIZE, options=AuditOptions(bootstrap=100))
    return run_compare([], config, variants=[ModScorer(2), ModScorer(3), ModScorer(2)])


def test_point_values_equal_a_direct_computation(people, compared):
    _, doc = compared
    assert [v["label"] for v in doc["variants"]] == ["mod", "mod:k=3", "mod#2"]
    for v, k in zip(doc["variants"], (2, 3, 2)):
        for attr in ("income_quintile", "education"):
            for key, value in _expected(people, k, attr).items():
                assert v["measures"][key]["value"] == pytest.approx(value, abs=1e-12), (k, key)


def test_identical_variants_differ_by_exactly_zero_with_a_zero_width_paired_interval(compared):
    """Paired: every replicate weighs each person the same under both variants, so identical rules never differ."""
    _, doc = compared
    (pair,) = [p for p in doc["pairs"] if (p["a"], p["b"]) == ("mod", "mod#2")]
    for m in MEASURES:
        r = pair["measures"][m.key]
        assert r["difference"] == 0.0 and r["difference_ci"] == [0.0, 0.0]
        assert r["verdict"] == "no measurable difference"
    lo, hi = doc["variants"][0]["measures"]["favourable_rate"]["ci"]
    assert hi - lo > 0.01  # while each variant's own interval is not degenerate


def test_verdicts_follow_the_paired_interval(compared):
    _, doc = compared
    (pair,) = [p for p in doc["pairs"] if (p["a"], p["b"]) == ("mod", "mod:k=3")]
    fav = pair["measures"]["favourable_rate"]
    assert fav["difference"] == pytest.approx(fav["b"] - fav["a"])
    assert fav["difference_ci"][1] < 0 and fav["winner"] == "mod" and fav["verdict"] == "mod better"  # 1/3 < 1/2 favourable
    adv = pair["measures"]["adverse_rate"]  # 1/2 sanctioned under k=2, 1/3 under k=3
    assert adv["difference"] == pytest.approx(-1 / 6, abs=0.02) and adv["difference_ci"][1] < 0
    assert adv["winner"] == "mod:k=3" and adv["verdict"] == "mod:k=3 better"
    (line,) = [s for s in doc["summary"] if s.startswith("mod:k=3 against mod: ")]
    assert "better on sanction rate" in line and "Costs: favourable rate" in line
    assert "No measurable difference in" in line and "fairer on" not in line  # ModScorer's rates are the same in every group
    assert doc["best"]["favourable_rate"]["label"] in ("mod", "mod#2")


def test_results_do_not_depend_on_the_chunk_size(compared):
    _, doc = compared
    config = RunConfig(population="tiny", size=SIZE, chunk_size=256, options=AuditOptions(bootstrap=100))
    _, small = run_compare([], config, variants=[ModScorer(2), ModScorer(3), ModScorer(2)])
    assert small["variants"] == doc["variants"] and small["pairs"] == doc["pairs"]


def test_paired_interval_covers_the_true_difference_about_95_percent_of_the_time():
    """Simulated joint outcomes with a known difference: P(A) = 0.6, B flips A with probability 0.1, so P(B) - P(A) = -0.02."""
    layout = layout_for(())
    known = np.array([c for c in range(layout.n_cells) if all(i < len(a.categories) for i, a in
                                                                 zip(np.unravel_index(c, layout.shape), layout.attributes))])
    rng = np.random.default_rng(20240601)
    truth, hits, reps = -0.02, 0, 200
    for _ in range(reps):
        n = 3000
        cell = rng.choice(known, size=n)
        a = rng.random(n) < 0.6
        b = a ^ (rng.random(n) < 0.1)
        keys, counts = np.unique(np.stack([cell, a, b], axis=1), axis=0, return_counts=True)
        jc = JointCounts(labels=("A", "B"), cells=keys[:, 0], favourable=keys[:, 1:3].astype(bool),
                         sanctioned=np.zeros((len(keys), 2), bool), counts=counts)
        diffs = []
        for _, w in paired_bootstrap(counts, 200, rng):
            vals, _ = measure_values(jc, layout, w, min_cell_share=0.02)
            diffs.append(vals["favourable_rate"][:, 1] - vals["favourable_rate"][:, 0])
        lo, hi = np.percentile(np.concatenate(diffs), [2.5, 97.5])
        hits += lo <= truth <= hi
    assert 0.90 <= hits / reps <= 0.99


def test_grid_and_spec_parsing():
    assert parse_grid("penalty_expiry_months=12, 24,none") == ("penalty_expiry_months", [12, 24, None])
    for bad in ("penalty_expiry_months", "=1,2", "k=", "1k=2"):
        with pytest.raises(InvalidArgument, match="key=v1,v2,v3"):
            parse_grid(bad)
    variants = build_variants(["suining"], ("penalty_expiry_months", [12, 24]))
    assert [v.params["penalty_expiry_months"] for v in variants] == [12, 24]
    with pytest.raises(InvalidArgument, match="penalty_scale"):  # names the scorer's real parameters
        build_variants(["suining"], ("no_such_param", [1, 2]))
    with pytest.raises(InvalidArgument, match="at least two variants"):
        build_variants(["suining"])


def test_compare_command_writes_json_html_markdown_and_the_grid_plot(tmp_path):
    out = tmp_path / "cmp"
    code = main(["compare", "suining", "--grid", "penalty_expiry_months=6,24", "--population", "tiny", "--size", "800",
                 "--bootstrap", "30", "--out", str(out), "--quiet"])
    assert code == 0
    doc = json.loads((out / "compare.json").read_text())
    assert doc["grid"] == {"key": "penalty_expiry_months", "values": [6, 24]}
    assert [v["label"] for v in doc["variants"]] == ["suining:penalty_expiry_months=6", "suining:penalty_expiry_months=24"]
    assert doc["private"] is True and doc["reference"] == "suining:penalty_expiry_months=6"
    html = (out / "compare.html").read_text()
    assert 'id="compare-grid-fairness"' in html and 'id="compare-differences"' in html
    assert (out / "compare.md").read_text().startswith("# Comparison: suining:penalty\\_expiry\\_months=6")
    assert (out / "results.json").is_file() and (out / "report.html").is_file()


def test_compare_command_rejects_a_single_variant(tmp_path, capsys):
    assert main(["compare", "suining", "--size", "100", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "at least two variants" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_enough_decimals_that_a_difference_is_visible():
    ratio, rate = MEASURES[0], MEASURES[-1]
    assert not ratio.percent and rate.percent
    assert decimals(ratio, [0.02]) == 2 and decimals(ratio, [0.004]) == 3 and decimals(ratio, [-0.00004]) == 5
    assert decimals(ratio, []) == 2 and decimals(ratio, [0.0]) == 2
    assert decimals(rate, [0.026]) == 1 and decimals(rate, [0.0004]) == 2  # 0.04 percentage points
    k = decimals(ratio, [0.971 - 0.967])
    assert fmt_value(ratio, 0.971, k) != fmt_value(ratio, 0.967, k)  # the two values differ where they are printed
    assert fmt_difference(ratio, 0.004, [0.001, 0.007], k) == "+0.004 (95% CI +0.001 to +0.007)"
    assert fmt_difference(rate, 0.026, [0.024, 0.028], 1) == "+2.6 points (95% CI +2.4 to +2.8)"
