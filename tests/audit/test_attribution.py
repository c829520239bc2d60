"""Which rule drives a gap: replay attribution checked against a brute-force oracle."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from audit.disparity.attribution import driver, make_plan, plan_for, shapley_values
from audit.disparity.audit import DisparityAudit
from audit.engine.contract import AuditOptions
from audit.randomness import person_uniform
from tests.audit._disparity_fixtures import PointsScorer, audit_section, make_events, people_frame, population, split

THREE = {"traffic_violation": 10.0, "loan_arrears": 25.0, "utility_arrears": 15.0}
SEVEN = {
    "drunk_driving": 30.0, "traffic_violation": 10.0, "loan_arrears": 25.0, "utility_arrears": 15.0,
    "contract_breach": 20.0, "loud_music_on_train": 5.0, "critical_post": 12.0,
}


def _case(points: dict[str, float], n: int = 600, seed: int = 1):
    """Quintile 1 and 5 halves; quintile 1 has more penalised events; volunteering scores nothing."""
    rng = np.random.default_rng(seed)
    q = np.repeat([1, 5], n // 2)
    people = people_frame(q, rng.integers(0, 4, n))
    pid, kinds = [], []
    for k in [*points, "volunteering"]:
        counts = rng.poisson(np.where(q == 1, 0.6, 0.25))
        pid += list(np.repeat(np.arange(n), counts))
        kinds += [k] * int(counts.sum())
    events = make_events(pid, kinds)
    counts = pd.crosstab(events["person_id"], events["kind"].astype(str)).reindex(index=np.arange(n), columns=[*points], fill_value=0)
    return people, events, counts, q


def _gap(points, active, counts, q, who=None) -> float:
    """Favourable-rate gap, quintile 5 minus quintile 1, with only ``active`` rules scoring (pandas oracle)."""
    lost = sum((points[k] * counts[k] for k in active), start=pd.Series(0.0, index=counts.index))
    fav = (100.0 - lost) >= 70.0
    if who is not None:
        fav, q = fav[who], q[who]
    return float(fav[q == 5].mean() - fav[q == 1].mean())


def _attribution(section):
    return section["attribution"]["by_attribute"]["income_quintile"]["favourable"]


def test_exact_shapley_matches_brute_force_over_all_orders():
    people, events, counts, q = _case(THREE)
    scorer = PointsScorer(THREE)
    section = audit_section(population(people, events), scorer, audit=DisparityAudit(attribution_sample=10_000))
    att = section["attribution"]
    assert att["method"] == "shapley-exact"
    assert att["rules"] == ["traffic_violation", "loan_arrears", "utility_arrears"]  # volunteering moves nothing
    assert att["sample_size"] == len(people)
    rules = list(THREE)
    orders = list(itertools.permutations(rules))
    phi = {k: 0.0 for k in rules}
    for order in orders:
        for i, k in enumerate(order):
            phi[k] += (_gap(THREE, order[: i + 1], counts, q) - _gap(THREE, order[:i], counts, q)) / len(orders)
    fav = _attribution(section)
    gap = _gap(THREE, rules, counts, q)
    assert fav["groups"] == [5, 1]
    assert fav["gap"] == pytest.approx(gap, abs=1e-12)
    assert fav["gap_without_rules"] == 0.0
    for k in rules:
        assert fav["rules"][k]["effect"] == pytest.approx(phi[k], abs=1e-12)
        assert fav["rules"][k]["share_of_gap"] == pytest.approx(phi[k] / gap, abs=1e-12)
        loo = gap - _gap(THREE, [r for r in rules if r != k], counts, q)
        assert fav["rules"][k]["leave_one_out"] == pytest.approx(loo, abs=1e-12)
    driver = max(phi, key=phi.get)
    assert fav["driver"] == driver
    assert section["income_quintile"]["driver"]["rule"] == driver
    assert section["income_quintile"]["driver"]["share_of_gap"] == pytest.approx(phi[driver] / gap, abs=1e-12)
    assert att["by_rule"][driver]["income_quintile"] == pytest.approx(phi[driver] / gap, abs=1e-12)


def test_leave_one_out_for_many_rules():
    people, events, counts, q = _case(SEVEN, n=400, seed=4)
    section = audit_section(population(people, events), PointsScorer(SEVEN), audit=DisparityAudit(attribution_sample=10_000))
    att = section["attribution"]
    assert att["method"] == "leave-one-out" and len(att["rules"]) == 7
    assert att["coalitions"] == 7 + 2
    fav = _attribution(section)
    rules = list(SEVEN)
    gap = _gap(SEVEN, rules, counts, q)
    for k in rules:
        loo = gap - _gap(SEVEN, [r for r in rules if r != k], counts, q)
        assert fav["rules"][k]["effect"] == pytest.approx(loo, abs=1e-12)


def test_permutation_shapley_sums_to_the_gap_explained():
    people, events, counts, q = _case(SEVEN, n=400, seed=4)
    audit = DisparityAudit(attribution_sample=10_000, permutation_pairs=2)
    section = audit_section(population(people, events), PointsScorer(SEVEN), audit=audit)
    att = section["attribution"]
    assert att["method"] == "shapley-permutations" and att["permutations"] == 4
    fav = _attribution(section)
    total = sum(r["effect"] for r in fav["rules"].values())
    assert total == pytest.approx(fav["gap"] - fav["gap_without_rules"], abs=1e-12)
    # each effect is the mean marginal contribution over the plan's orders (oracle gap by pandas)
    plan = plan_for(PointsScorer(SEVEN), seed=0, permutation_pairs=2)
    names = list(plan.rules)
    for k in names:
        contrib = []
        for order in plan.permutations:
            before = [names[i] for i in order[: order.index(names.index(k))]]
            contrib.append(_gap(SEVEN, before + [k], counts, q) - _gap(SEVEN, before, counts, q))
        assert fav["rules"][k]["effect"] == pytest.approx(np.mean(contrib), abs=1e-12)


def test_sample_is_by_person_hash_and_reported():
    people, events, counts, q = _case(THREE, n=900, seed=2)
    options = AuditOptions(bootstrap=0, seed=13)
    section = audit_section(population(people, events), PointsScorer(THREE), options=options,
                            audit=DisparityAudit(attribution_sample=300))
    who = person_uniform(13, "disparity-attribution", people["person_id"].to_numpy()) < 300 / 900
    att = section["attribution"]
    assert att["sample_size"] == int(who.sum()) and att["sample_target"] == 300
    fav = _attribution(section)
    assert fav["gap"] == pytest.approx(_gap(THREE, list(THREE), counts, q, who=who), abs=1e-12)
    assert fav["sample_n"] == [int((who & (q == 5)).sum()), int((who & (q == 1)).sum())]


def test_attribution_does_not_depend_on_chunking():
    people, events, _, _ = _case(THREE, n=900, seed=3)
    pop = population(people, events)
    audit = DisparityAudit(attribution_sample=400)
    whole = audit_section(pop, PointsScorer(THREE), audit=audit)
    parts = audit_section(split(pop, [100, 450, 451])[::-1], PointsScorer(THREE), audit=audit)
    assert json.dumps(whole["attribution"], sort_keys=True) == json.dumps(parts["attribution"], sort_keys=True)


@pytest.mark.parametrize("replay_sample", [5, 50])
def test_attribution_sample_is_not_trimmed_to_the_replay_strata_when_chunks_merge(replay_sample):
    # the attribution sample is a fixed-rate hash sample (~400 of 900 people); the replay's stratified
    # sample keeps only `replay_sample` per stratum. Merging chunks once trimmed the attribution sample
    # to the replay's strata, so a chunked run re-scored far fewer people than a whole one.
    people, events, _, _ = _case(THREE, n=900, seed=3)
    pop = population(people, events)
    audit = DisparityAudit(attribution_sample=400)
    options = AuditOptions(bootstrap=0, seed=21, replay_sample=replay_sample)
    whole = audit_section(pop, PointsScorer(THREE), audit=audit, options=options)
    parts = audit_section(split(pop, [100, 450, 451])[::-1], PointsScorer(THREE), audit=audit, options=options)
    expected = int((person_uniform(21, "disparity-attribution", people["person_id"].to_numpy()) < 400 / 900).sum())
    assert whole["attribution"]["sample_size"] == expected
    assert json.dumps(whole["attribution"], sort_keys=True) == json.dumps(parts["attribution"], sort_keys=True)


def test_a_scorer_without_rules_reports_none():
    people, events, _, _ = _case(THREE, n=100)
    section = audit_section(population(people, events), PointsScorer({}), audit=DisparityAudit(attribution_sample=100))
    assert section["attribution"]["method"] == "none"
    assert section["income_quintile"]["driver"]["rule"] is None
    assert "no rules" in section["income_quintile"]["driver"]["reason"]


def test_shapley_of_a_pure_interaction_splits_it_equally():
    # the gap appears only when both rules are active: each gets half
    plan = make_plan(("a", "b"), seed=0)
    phi = shapley_values(plan, {0: 0.0, 1: 0.0, 2: 0.0, 3: 1.0})
    assert np.allclose(phi, [0.5, 0.5])


def _attribution_doc(gap, without, effects):
    rules = {k: {"effect": e, "share_of_gap": e / gap, "leave_one_out": e, "leave_one_out_share": e / gap} for k, e in effects.items()}
    top = max(effects, key=effects.get) if max(effects.values()) > 0 else None
    fav = {"groups": [5, 1], "gap": gap, "gap_without_rules": without, "sample_n": [100, 100], "rules": rules, "driver": top}
    return {"method": "shapley-exact", "sample_size": 200, "rules": list(effects),
            "by_attribute": {"income_quintile": {"favourable": fav}}}


def test_no_rule_drives_a_gap_it_explains_little_of():
    # gap 0.40, 0.30 of it left with every rule removed (the score reads income); the rules explain 0.06 and 0.04
    d = driver(_attribution_doc(0.40, 0.30, {"loan_arrears": 0.06, "traffic_violation": 0.04}), "income_quintile")
    assert d["rule"] is None and d["share_of_gap"] is None
    assert d["largest_rule"] == "loan_arrears" and d["largest_share"] == pytest.approx(0.15)
    assert d["remaining_share"] == pytest.approx(0.75)
    assert "no rule explains most of the gap" in d["reason"] and "loan_arrears, explains 15%" in d["reason"]
    assert "75% of the gap remains" in d["reason"] and "other than recorded conduct" in d["reason"]


def test_a_rule_explaining_most_of_the_gap_drives_it_and_shares_over_100_percent_are_explained():
    d = driver(_attribution_doc(0.10, 0.0, {"court_judgment_default": 0.11, "drunk_driving": -0.01}), "income_quintile")
    assert d["rule"] == "court_judgment_default" and d["share_of_gap"] == pytest.approx(1.1)
    assert "other rules narrow the gap" in d["share_note"]
    d = driver(_attribution_doc(0.10, 0.0, {"a": 0.06, "b": 0.04}), "income_quintile")
    assert d["rule"] == "a" and "share_note" not in d
