"""The observed-outcome rates' 95% intervals cover the true rate at least 95% of the time (within binomial error)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audit.disparity.observed import rates_with_intervals

REPLICATES = 2000


@pytest.mark.parametrize(("n", "base", "tpr", "fpr"), [(60, 0.4, 0.7, 0.2), (400, 0.3, 0.55, 0.35), (25, 0.5, 0.9, 0.05)])
def test_coverage_of_every_rate(n, base, tpr, fpr):
    rng = np.random.default_rng(11)
    y = rng.random((REPLICATES, n)) < base
    pred = np.where(y, rng.random((REPLICATES, n)) < tpr, rng.random((REPLICATES, n)) < fpr)
    per = {"tp": (y & pred).sum(1), "fp": (~y & pred).sum(1), "fn": (y & ~pred).sum(1), "tn": (~y & ~pred).sum(1)}
    truth = {"true_positive_rate": tpr, "false_negative_rate": 1 - tpr, "false_positive_rate": fpr,
             "selection_rate": base * tpr + (1 - base) * fpr,
             "positive_predictive_value": base * tpr / (base * tpr + (1 - base) * fpr)}
    covered = dict.fromkeys(truth, 0)
    defined = dict.fromkeys(truth, 0)
    for i in range(REPLICATES):
        got = rates_with_intervals(per, i)
        for metric, value in truth.items():
            ci = got[f"{metric}_ci"]
            if ci is None:  # no one in the rate's denominator: nothing claimed
                continue
            defined[metric] += 1
            covered[metric] += ci[0] <= value <= ci[1]
    for metric in truth:
        m = defined[metric]
        assert m > 0.9 * REPLICATES
        floor = 0.95 - 3 * math.sqrt(0.95 * 0.05 / m)  # three binomial standard errors under nominal
        assert covered[metric] / m >= floor, (metric, covered[metric] / m)


def test_a_continuous_score_is_calibrated_per_decile():
    import pandas as pd

    from audit.engine.contract import AuditOptions
    from audit.population.model import Population
    from audit.runner import RunConfig, run
    from scorers.precomputed import PrecomputedScorer

    rng = np.random.default_rng(8)
    n = 3000
    people = pd.DataFrame({"person_id": np.arange(n), "sex": rng.choice(["f", "m"], n), "p": rng.random(n)})
    people["y"] = (rng.random(n) < people["p"]).astype(int)
    pop = Population.from_table(people, score_column="p", outcome="y")
    result = run([PrecomputedScorer(column="p", adverse_from=0.5)],
                 RunConfig(population=pop, options=AuditOptions(by=("sex",), outcome="y", bootstrap=0, replay_sample=0)))
    cal = result.runs[0].sections["observed_outcome"]["sex"]["calibration"]
    assert len(cal["bins"]) == 10 and cal["bins"][0].startswith("decile 1 (")
    cuts = np.quantile(people["p"], np.linspace(0.1, 0.9, 9), method="lower")
    decile = pd.cut(people["p"], bins=[-np.inf, *cuts, np.inf], right=False, labels=False)
    expected = people.groupby(["sex", decile])["y"].agg(["mean", "size"])
    for g in cal["groups"]:
        for b in range(10):
            mean, size = expected.loc[(g["group"], b)]
            assert g["n"][b] == size
            assert g["observed_rate"][b] == pytest.approx(mean, abs=1e-12)
