"""Appeal audit on hand-built logs: who files, who wins, which wrongful sanctions remain."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from audit.population.spec import load_spec
from audit.replay.appeal import AppealAudit
from tests.audit._replay_fixtures import ExpiringList, audit, events, people, population, split


def spec_with(**appeal):
    spec = load_spec("tiny")
    return dataclasses.replace(spec, appeal=dataclasses.replace(spec.appeal, **appeal))


CERTAIN = dict(filing_probability=1.0, education_multiplier=(1.0,) * 4, income_multiplier=(1.0,) * 5,
               success_if_wrong=1.0, success_if_genuine=0.0, decision_months=1.0)


def wronged_population(n: int = 8, *, spec=None, genuine: bool = False):
    """Everyone has one court default in month 10 (misrecorded unless ``genuine``); education cycles."""
    return population(people(n), events([(i, 10, "court_judgment_default", genuine) for i in range(n)]), spec=spec)


def test_everyone_appeals_and_every_wrong_record_is_overturned():
    sec = audit(wronged_population(spec=spec_with(**CERTAIN)), ExpiringList(), AppealAudit())
    assert sec["available"] is True and sec["sample_size"] == 8
    o = sec["overall"]
    assert (o["n_wronged"], o["filed"], o["wrong_filed"], o["wrong_succeeded"], o["wronged_after"]) == (8, 8, 8, 8, 0)
    assert o["filing_rate"] == 1.0 and o["success_rate_if_wrong"] == 1.0
    assert o["wrongful_sanction_rate_before"] == 1.0 and o["wrongful_sanction_rate_after"] == 0.0
    assert o["remedy_rate"] == 1.0
    assert o["median_months_to_remedy"] == 1.0  # one decision, decision_months after filing
    assert sec["max_appeals_per_person"] == 1


def test_less_educated_people_who_never_file_keep_their_wrongful_sanctions():
    # education codes cycle 0,1,2,3: only senior secondary and tertiary file
    spec = spec_with(**{**CERTAIN, "education_multiplier": (0.0, 0.0, 1.0, 1.0)})
    sec = audit(wronged_population(spec=spec), ExpiringList(), AppealAudit())
    by = {g["group"]: g for g in sec["by_education"]}
    for low in ("primary_or_less", "junior_secondary"):
        assert by[low]["n_wronged"] == 2 and by[low]["filed"] == 0 and by[low]["filing_rate"] == 0.0
        assert by[low]["wrongful_sanction_rate_after"] == 1.0 and by[low]["remedy_rate"] == 0.0
    for high in ("senior_secondary", "tertiary"):
        assert by[high]["filed"] == 2 and by[high]["wrongful_sanction_rate_after"] == 0.0
        assert by[high]["remedy_rate"] == 1.0
    assert sec["remedy_rate_ratio_lowest_to_highest_education"] == 0.0
    assert sec["overall"]["wrongful_sanction_rate_after"] == 0.5


def test_genuine_records_are_not_wrongful_and_appeals_of_them_fail():
    sec = audit(wronged_population(spec=spec_with(**CERTAIN), genuine=True), ExpiringList(), AppealAudit())
    o = sec["overall"]
    assert o["n_wronged"] == 0 and o["wrongful_sanction_rate_before"] == 0.0
    assert o["filed"] == 8 and o["succeeded"] == 0 and o["wrong_filed"] == 0
    assert o["success_rate_if_wrong"] is None  # nothing wrong was appealed


def test_events_that_do_not_hurt_are_not_appealed():
    pop = population(people(4), events([(i, 3, "volunteering", False) for i in range(4)]), spec=spec_with(**CERTAIN))
    o = audit(pop, ExpiringList(), AppealAudit())["overall"]
    assert o["adverse_events"] == 0 and o["filed"] == 0 and o["filing_rate"] is None


def test_filing_and_success_rates_match_the_spec_probabilities():
    # 600 wronged people, p(file) = 0.3 x 2 (income multiplier for everyone's quintile) = 0.6, p(win | wrong) = 0.7
    n = 600
    spec = spec_with(filing_probability=0.3, education_multiplier=(1.0,) * 4, income_multiplier=(2.0,) * 5,
                     success_if_wrong=0.7, success_if_genuine=0.0, decision_months=1.0)
    o = audit(wronged_population(n, spec=spec), ExpiringList(), AppealAudit())["overall"]
    tol = 5 * np.sqrt(0.6 * 0.4 / n)
    assert abs(o["filing_rate"] - 0.6) < tol
    assert abs(o["success_rate_if_wrong"] - 0.7) < 5 * np.sqrt(0.7 * 0.3 / o["wrong_filed"])
    assert o["wronged_after"] == o["n_wronged"] - o["wrong_succeeded"]
    lo, hi = o["filing_rate_ci"]
    assert lo < o["filing_rate"] < hi


def test_appeals_need_ground_truth():
    pop = population(people(4), events([(0, 1, "court_judgment_default")]), synthetic=False)
    sec = audit(pop, ExpiringList(), AppealAudit())
    assert sec["available"] is False and "ground truth" in sec["reason"]


def test_appeal_results_do_not_depend_on_chunking():
    spec = spec_with(filing_probability=0.5, education_multiplier=(0.5, 1.0, 1.0, 1.5), income_multiplier=(1.0,) * 5,
                     success_if_wrong=0.7, success_if_genuine=0.1, decision_months=1.0)
    evs = [(i, i % 20, "court_judgment_default", i % 3 != 0) for i in range(60)]
    pop = population(people(60), events(evs), spec=spec)
    whole = audit(pop, ExpiringList(), AppealAudit())
    assert whole == audit(split(pop, 25), ExpiringList(), AppealAudit())
    assert whole == audit(split(pop, 25)[::-1], ExpiringList(), AppealAudit())


@pytest.mark.parametrize("key", ["filing_rate", "success_rate_if_wrong", "wrongful_sanction_rate_before",
                                 "wrongful_sanction_rate_after", "median_months_to_remedy", "filed", "succeeded",
                                 "wrong_filed", "wrong_succeeded", "n_wronged"])
def test_group_rows_carry_the_agreed_keys(key):
    sec = audit(wronged_population(spec=spec_with(**CERTAIN)), ExpiringList(), AppealAudit())
    for attr in ("by_education", "by_income_quintile"):
        assert all(key in g for g in sec[attr])
