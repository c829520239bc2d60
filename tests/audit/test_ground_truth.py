"""Error rates against ground truth, computed by hand with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.disparity.audit import DisparityAudit
from audit.disparity.ground_truth import RELIABILITY_EDGES
from audit.engine.contract import AuditOptions
from tests.audit._disparity_fixtures import PointsScorer, audit_section, make_events, people_frame, population, split

NO_REPLAY = DisparityAudit(attribution_sample=0)
POINTS = {"loan_arrears": 40.0}  # one recorded arrear: score 60, tier C, sanctioned (loans)


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(21)
    n = 2000
    q = rng.integers(1, 6, n)
    reliability = rng.uniform(0.3, 0.999, n)
    people = people_frame(q, rng.integers(0, 4, n), reliability=reliability)
    counts = rng.poisson(np.where(q <= 2, 0.5, 0.2))
    pid = np.repeat(np.arange(n), counts)
    # poorer people's records are misrecorded more often
    genuine = rng.random(pid.size) >= np.where(q[pid] <= 2, 0.3, 0.1)
    events = make_events(pid, ["loan_arrears"] * pid.size, genuine=genuine)
    df = pd.DataFrame({"q": q, "reliability": reliability})
    df["recorded"] = pd.Series(1, index=pid).groupby(level=0).sum().reindex(range(n), fill_value=0) >= 1
    df["deserved"] = pd.Series(genuine.astype(int), index=pid).groupby(level=0).sum().reindex(range(n), fill_value=0) >= 1
    section = audit_section(population(people, events, synthetic=True), PointsScorer(POINTS),
                            options=AuditOptions(bootstrap=200, min_cell_share=0.0), audit=NO_REPLAY)
    return section, df, population(people, events, synthetic=True)


def test_wrongful_sanction_rates_by_hand(case):
    section, df, _ = case
    gt = section["ground_truth"]
    wrongful = df["recorded"] & ~df["deserved"]
    assert gt["sanctioned"] == int(df["recorded"].sum())
    assert gt["wrongfully_sanctioned"] == int(wrongful.sum())
    assert gt["wrongful_sanction_rate"] == pytest.approx(wrongful.sum() / df["recorded"].sum(), abs=1e-12)
    lo, hi = gt["wrongful_sanction_rate_ci"]
    assert lo < gt["wrongful_sanction_rate"] < hi
    assert gt["sanction_rate_if_genuine"] == pytest.approx(df["deserved"].mean(), abs=1e-12)
    assert gt["false_sanction_rate"] == pytest.approx(wrongful[~df["deserved"]].mean(), abs=1e-12)
    for g in gt["by_attribute"]["income_quintile"]["groups"]:
        rows = df[df["q"] == g["group"]]
        w = rows["recorded"] & ~rows["deserved"]
        assert g["n"] == len(rows)
        assert g["wrongful_sanction_rate"] == pytest.approx(w.sum() / rows["recorded"].sum(), abs=1e-12)
        assert g["false_sanction_rate"] == pytest.approx(w[~rows["deserved"]].mean(), abs=1e-12)
        assert g["missed_sanction_rate"] == 0.0  # removing events can only lower a sanction here
        assert g["sanction_rate"] == pytest.approx(rows["recorded"].mean(), abs=1e-12)
        assert g["sanction_rate_if_genuine"] == pytest.approx(rows["deserved"].mean(), abs=1e-12)
        assert g["favourable_rate_if_genuine"] == pytest.approx(1 - rows["deserved"].mean(), abs=1e-12)


def test_sanction_rates_at_equal_reliability_by_hand(case):
    section, df, _ = case
    band = pd.cut(df["reliability"], bins=list(RELIABILITY_EDGES), right=False, labels=False)
    bands = section["ground_truth"]["by_attribute"]["income_quintile"]["by_reliability"]
    assert [b["band"] for b in bands] == [list(p) for p in zip(RELIABILITY_EDGES[:-1], RELIABILITY_EDGES[1:])]
    for b, entry in enumerate(bands):
        in_band = df[band == b]
        assert entry["n"] == len(in_band)
        rates = in_band.groupby("q")["recorded"].mean()
        for g in entry["groups"]:
            if g["n"]:
                assert g["sanction_rate"] == pytest.approx(rates[g["group"]], abs=1e-12)
        if len(in_band) and rates.min() > 0:
            assert entry["max_relative_risk"] == pytest.approx(rates.max() / rates.min(), abs=1e-12)


def test_ground_truth_does_not_depend_on_chunking(case):
    section, _, pop = case
    options = AuditOptions(bootstrap=200, min_cell_share=0.0)
    chunked = audit_section(split(pop, [700, 1500]), PointsScorer(POINTS), options=options, audit=NO_REPLAY)
    assert chunked["ground_truth"] == section["ground_truth"]


def test_people_of_unknown_reliability_are_left_out_of_the_bands():
    people = people_frame([1, 1, 5], [0, 0, 3], reliability=[0.65, np.nan, 0.95])
    section = audit_section(population(people, make_events([0, 1], ["loan_arrears"] * 2), synthetic=True),
                            PointsScorer(POINTS), options=AuditOptions(bootstrap=0, min_cell_share=0.0), audit=NO_REPLAY)
    bands = section["ground_truth"]["by_attribute"]["income_quintile"]["by_reliability"]
    assert [b["n"] for b in bands] == [0, 1, 0, 0, 1]
    assert section["ground_truth"]["n"] == 3


def test_supplied_populations_have_no_ground_truth():
    people = people_frame([1, 5], [0, 3])
    section = audit_section(population(people, make_events([0], ["loan_arrears"])), PointsScorer(POINTS), audit=NO_REPLAY)
    assert section["ground_truth"] is None


def test_a_wrongful_rate_of_zero_has_an_exact_upper_bound():
    # every recorded event is genuine: 0 of k sanctioned people are wrongly sanctioned, and the interval says how
    # sure that is (Clopper-Pearson upper bound 1 - 0.025**(1/k)), never [0, 0]
    n = 600
    people = people_frame(np.repeat([1, 5], n // 2), np.full(n, 1))
    pid = np.arange(0, n, 3)
    events = make_events(pid, ["loan_arrears"] * pid.size)
    section = audit_section(population(people, events, synthetic=True), PointsScorer(POINTS),
                            options=AuditOptions(bootstrap=50, min_cell_share=0.0), audit=NO_REPLAY)
    gt = section["ground_truth"]
    k = gt["sanctioned"]
    assert k == pid.size and gt["wrongful_sanction_rate"] == 0.0
    assert gt["wrongful_sanction_rate_ci"] == pytest.approx([0.0, 1 - 0.025 ** (1 / k)])
