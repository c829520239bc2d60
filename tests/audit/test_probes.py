"""Rule probes: constructed people show with certainty what a scorer can do."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from audit.population.spec import load_spec
from audit.replay.probes import CHECKPOINTS, DOSES, probe_rules
from audit.vocab import EDUCATION_LEVELS, INCOME_QUINTILES
from tests.audit._replay_fixtures import HandScorer, count_kind

SPEC = load_spec("china-2020")


class TwoDrunkDrivingsCostHousing(HandScorer):
    """Housing ban for ever after two drunk-driving records; rail ban for 12 months after a traffic violation;
    two sanctions for one loud-music record (minor), none for one court default (serious)."""

    name = "drunk_housing"
    sanctions = MappingProxyType({"housing_ban": "housing", "rail": "travel", "music_a": "jobs", "music_b": "welfare"})

    def _score(self, view, as_of):
        drunk = count_kind(view, as_of, "drunk_driving") >= 2
        traffic = count_kind(view, as_of, "traffic_violation", since=as_of - 11) > 0
        music = count_kind(view, as_of, "loud_music_on_train") == 1
        listed = drunk | traffic | music
        return -listed.astype(float), listed.astype(np.int64), {
            "housing_ban": drunk, "rail": traffic, "music_a": music, "music_b": music}


class ConstantScorer(HandScorer):
    """Reads nothing: everyone ok."""

    name = "constant"

    def _score(self, view, as_of):
        n = len(view.people)
        return np.zeros(n), np.zeros(n, np.int64), {"rail": np.zeros(n, bool)}


def test_probes_find_the_rule_its_dose_and_whether_it_lifts():
    r = probe_rules(TwoDrunkDrivingsCostHousing(), SPEC)
    profiles = len(INCOME_QUINTILES) * len(EDUCATION_LEVELS) * 2
    assert r.profiles == profiles
    # (no record + every spec kind at every dose) on each profile, idle and on the best plan
    assert r.people == 2 * profiles * (1 + len(SPEC.events) * len(DOSES))
    w = r.can_spill("traffic", "housing")
    assert w is not None and w.kind == "drunk_driving" and w.dose == 2 and w.sanction == "housing_ban" and not w.related
    assert r.can_spill("traffic", "travel").kind == "traffic_violation"
    assert r.can_spill("judicial", "housing") is None and r.can_spill("finance", "travel") is None
    # the housing ban (and the loud-music sanctions, whose one record stays on file) never lift; the rail ban
    # lifts 12 months after the traffic violation
    assert {w.sanction for w in r.never_lifted} == {"housing_ban", "music_a", "music_b"}
    assert r.never_lifted[0].months_after == max(CHECKPOINTS)
    assert r.conduct_matters


def test_probes_find_lighter_conduct_punished_harder():
    r = probe_rules(TwoDrunkDrivingsCostHousing(), SPEC)
    pairs = {(v.lighter, v.graver, v.basis) for v in r.inversions}
    # one loud-music record (minor) imposes 2 sanctions; one drunk driving (serious) imposes none
    assert ("loud_music_on_train x1", "drunk_driving x1", "gravity") in pairs
    # one loud-music record imposes 2, two records none (the rule fires at exactly one): a dose inversion
    assert ("loud_music_on_train x1", "loud_music_on_train x2", "dose") in pairs
    v = next(v for v in r.inversions if v.lighter == "loud_music_on_train x1" and v.graver == "drunk_driving x1")
    assert v.lighter_sanctions == 2 and v.graver_sanctions == 0


def test_a_scorer_that_reads_no_conduct_is_reported_as_such():
    r = probe_rules(ConstantScorer(), SPEC)
    assert not r.conduct_matters
    assert r.spillover == () and r.never_lifted == () and r.inversions == ()
    d = r.to_dict()
    assert d["conduct_matters"] is False and d["doses"] == list(DOSES)
    assert d["spillover"] == [] and isinstance(d["never_lifted"], list)  # JSON-shaped in memory too


class FailsOnManyPeople(TwoDrunkDrivingsCostHousing):
    """Scores small views, raises on the probes' thousands of constructed people."""

    name = "fails_on_many"

    def _score(self, view, as_of):
        if len(view.people) > 1000:
            raise RuntimeError("too many people")
        return super()._score(view, as_of)


def test_a_scorer_failing_on_the_probes_is_reported_and_the_sample_still_stands():
    from audit.replay.spillover import SpilloverAudit
    from audit.report.findings import build_findings
    from audit.testing.assertions import assert_no_spillover
    from tests.audit._replay_fixtures import audit, events, people, population
    from tests.audit.report.documents import whole_results

    scorer = FailsOnManyPeople()
    pop = population(people(40), events([(i, 3, "drunk_driving") for i in range(0, 40, 4)]))
    sec = audit(pop, scorer, SpilloverAudit())
    assert sec["probes"]["available"] is False and "too many people" in sec["probes"]["reason"]
    assert sec["sample_size"] == 40
    entry = {"label": scorer.name, "status": "ok", "sanctions": dict(scorer.sanctions), "spillover": sec}
    with pytest.raises(AssertionError, match="the rule probes did not run or failed"):
        assert_no_spillover(entry, from_domain="traffic", to_domain="housing")
    (f,) = [f for f in build_findings(whole_results({"scorers": [entry]})) if "rule probes" in f.text]
    assert f.level == "warning" and "could not run" in f.text
