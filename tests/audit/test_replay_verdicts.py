"""Replay verdicts: no green on an empty sample, rule probes catch what the sample misses, true advice."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from audit.evidence import MIN_OBSERVATIONS
from audit.replay.spillover import SpilloverAudit
from audit.testing.assertions import assert_no_spillover
from tests.audit._replay_fixtures import PermanentList, audit, events, people, population
from tests.audit.test_probes import TwoDrunkDrivingsCostHousing


def _entry(scorer, sec):
    return {"label": scorer.name, "status": "ok", "sanctions": dict(scorer.sanctions), "spillover": sec}


def test_two_drunk_drivings_costing_housing_fails_even_when_the_sample_holds_no_such_person():
    scorer = TwoDrunkDrivingsCostHousing()
    # nobody in the population has two drunk-driving records: the sample cannot show the rule
    pop = population(people(40), events([(i, 3, "drunk_driving") for i in range(0, 40, 4)]))
    sec = audit(pop, scorer, SpilloverAudit())
    assert sec["matrix"]["traffic"]["housing"] == 0
    with pytest.raises(AssertionError, match=r"probe: a constructed person .* whose only record is 2 drunk_driving gets "
                                             r"housing_ban \(housing\) — it can happen"):
        assert_no_spillover(_entry(scorer, sec), from_domain="traffic", to_domain="housing")


def test_no_spillover_never_passes_on_a_sample_without_sanctions():
    # the README's example on china-2020 used to pass with spillover.sanctions == 0
    sec = {"sample_size": 2003, "sanctions": 0, "matrix": {"traffic": {"housing": 0}, "none": {"housing": 0}}}
    entry = {"label": "suining", "status": "ok", "sanctions": {"low_cost_housing": "housing"}, "spillover": sec}
    with pytest.raises(AssertionError, match="the rule probes did not run or failed; not enough evidence: rests on 0 sanctions"):
        assert_no_spillover(entry, from_domain="traffic", to_domain="housing")
    # probes that show nothing do not make an empty sample a pass either
    sec["probes"] = {"spillover": [], "never_lifted": [], "inversions": []}
    with pytest.raises(AssertionError, match=r"not enough evidence: rests on 0 sanctions restricting housing .*"
                                             r"--audit-replay-sample 20,030"):
        assert_no_spillover(entry, from_domain="traffic", to_domain="housing")
    # a scorer with no sanction restricting housing cannot restrict it: holds by its declaration
    assert_no_spillover({**entry, "sanctions": {"rail": "travel"}}, from_domain="traffic", to_domain="housing")


def _advice(scorer, sec, **kw):
    entry = {**_entry(scorer, sec), "spillover": {**sec, "probes": {"spillover": []}}}
    with pytest.raises(AssertionError) as info:
        assert_no_spillover(entry, from_domain="finance", to_domain="travel", **kw)
    return str(info.value)


def test_the_advised_replay_sample_gives_the_evidence_it_promises():
    # 3,000 people, 100 of them with a court default (rail ban); a replay sample of 10 a stratum sees 10 sanctions
    n = 3000
    pop = population(people(n), events([(i, 2, "court_judgment_default") for i in range(0, n, 30)]))
    scorer = PermanentList()
    small = audit(pop, scorer, SpilloverAudit(), replay_sample=10, population_size=n)
    assert small["sanctions"] == 10 < MIN_OBSERVATIONS
    advised = int(re.search(r"--audit-replay-sample ([\d,]+)", _advice(scorer, small)).group(1).replace(",", ""))
    assert advised == math.ceil(10 * MIN_OBSERVATIONS / 10)
    # the sanctioned stratum is drawn up to the replay sample's size: the advice gets exactly the evidence it promises
    big = audit(pop, scorer, SpilloverAudit(), replay_sample=advised, population_size=n)
    assert big["sanctions"] == MIN_OBSERVATIONS
    assert_no_spillover({**_entry(scorer, big), "spillover": {**big, "probes": {"spillover": []}}},
                        from_domain="finance", to_domain="travel")


def test_when_every_sanctioned_person_is_replayed_the_advice_is_a_larger_population():
    # 20 sanctioned people in 3,000, all replayed: a bigger replay sample cannot help, a population of 4,500 can
    n = 3000
    pop = population(people(n), events([(i, 2, "court_judgment_default") for i in range(0, n, 150)]))
    scorer = PermanentList()
    sec = audit(pop, scorer, SpilloverAudit(), replay_sample=100, population_size=n)
    assert sec["sanctions"] == 20
    text = _advice(scorer, {**sec})
    assert "--audit-size 4,500" in text and "--audit-replay-sample" not in text.split("rerun with")[1]
    assert audit(pop, scorer, SpilloverAudit(), replay_sample=1000, population_size=n)["sanctions"] == 20


def test_no_spillover_counts_people_not_sanctions():
    # 40 housing sanctions held by 12 people: 12 observations, not enough to call it absent
    sec = {"sample_size": 4000, "sanctions": 48, "sanctioned_people": 12,
           "matrix": {"traffic": {"housing": 0}, "finance": {"housing": 40}},
           "probes": {"spillover": [], "never_lifted": [], "inversions": []}}
    entry = {"label": "x", "status": "ok", "sanctions": {"house_ban": "housing"}, "spillover": sec}
    with pytest.raises(AssertionError, match="not enough evidence: rests on 12 sanctions restricting housing"):
        assert_no_spillover(entry, from_domain="traffic", to_domain="housing")
    assert_no_spillover({**entry, "spillover": {**sec, "sanctioned_people": 40}}, from_domain="traffic", to_domain="housing")


def test_advice_by_hand():
    from audit.replay.verdicts import sample_advice

    info = {"per_stratum": 2000, "strata": [{"stratum": "sanctioned", "population": 2285, "sampled": 2000},
                                           {"stratum": "penalised", "population": 160000, "sampled": 2000},
                                           {"stratum": "rest", "population": 37715, "sampled": 2000}]}
    # 10 of what is needed among 2,000 a stratum: 6,000 a stratum in expectation, within the penalised stratum
    assert sample_advice(6000, 200_000, 10, info=info) == (6000, "--audit-replay-sample 6,000")
    # 3 wrongly sanctioned people: 20,000 sanctioned would be needed, the population holds 2,285:
    # it must grow by 20,000 / 2,285 (200,000 x 20,000 / 2,285 = 1,750,548)
    target, text = sample_advice(6000, 200_000, 3, info=info, stratum="sanctioned")
    assert target == 20_000 and text.startswith("--audit-replay-sample 20,000 --audit-size 1,750,548")
    # a stratum replayed whole: only a larger population helps
    whole = {**info, "strata": [{"stratum": "sanctioned", "population": 50, "sampled": 50}]}
    assert sample_advice(4050, 200_000, 10, info=whole, stratum="sanctioned", size_flag="--size")[1].startswith("--size 600,000")


def test_appeal_parity_with_one_group_of_data_is_not_enough_and_never_asks_for_millions():
    from audit.testing.assertions import assert_appeal_parity

    # only one education group has wrongly sanctioned people: no gap can be measured (the old message asked for
    # 34,600,000 people for a gap of 0.000 between that group and itself)
    rows = [{"group": "primary_or_less", "n_wronged": 40, "remedy_rate": 0.5, "remedy_rate_ci": [0.34, 0.66]},
            {"group": "tertiary", "n_wronged": 0, "remedy_rate": None}]
    entry = {"label": "x", "status": "ok", "sanctions": {}, "appeal": {"sample_size": 6000, "by_education": rows,
             "sample": {"per_stratum": 2000, "strata": [{"stratum": "sanctioned", "population": 500, "sampled": 500}]}}}
    with pytest.raises(AssertionError) as info:
        assert_appeal_parity(entry, by="education", max_gap=0.05)
    text = str(info.value)
    assert "is undecided" in text and "not enough evidence: rests on 0 n wronged in the smallest group" in text
    assert "a gap of 0.000" not in text and "34,600,000" not in text


def test_share_verdicts_false_alarm_rate_at_the_boundary():
    from audit.audited import read_result
    from audit.evidence import HOLDS, VIOLATED
    from audit.replay.verdicts import share_evidence

    # the true share sits exactly on the allowed share: a 95% exact procedure calls a violation at most 2.5% of the
    # time, and never calls it holding when the true share is just over the line more than 2.5% of the time
    a = read_result({"label": "x", "status": "ok", "sanctions": {}}, None)
    node = {"sample_size": 1000}
    rng = np.random.default_rng(11)
    reps, n = 2000, 200
    for p, outcome in ((0.2, VIOLATED), (0.2, HOLDS)):
        truth = p if outcome == VIOLATED else p - 1e-9  # allowed share = p (violation) / just under p (holds)
        ks = rng.binomial(n, p, size=reps)
        rate = np.mean([share_evidence(a, node, int(k), n, truth, "people").outcome == outcome for k in ks])
        assert rate <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps)
