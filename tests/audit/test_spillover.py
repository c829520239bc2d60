"""Spill-over and proportionality on hand-built logs with scorers whose rules are known."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from audit.replay.spillover import CONDUCT_ROWS, SpilloverAudit
from tests.audit._replay_fixtures import HandScorer, audit, count_kind, events, people, population, split


class DomainRules(HandScorer):
    """Traffic offence -> housing ban; court default -> loan ban; drunk driving -> rail ban."""

    name = "domains"
    sanctions = MappingProxyType({"housing_ban": "housing", "loans": "finance", "rail": "travel"})

    def _score(self, view, as_of):
        housing = count_kind(view, as_of, "traffic_violation") > 0
        loans = count_kind(view, as_of, "court_judgment_default") > 0
        rail = count_kind(view, as_of, "drunk_driving") > 0
        any_ = housing | loans | rail
        return -any_.astype(float), any_.astype(np.int64), {"housing_ban": housing, "loans": loans, "rail": rail}


class TwoStrikes(HandScorer):
    """Rail ban once a person has two or more events of any kind (no single domain is to blame)."""

    name = "strikes"

    def _score(self, view, as_of):
        from scorers._kernels import visible_events

        ev = visible_events(view, as_of)
        n = np.bincount(ev.rows, minlength=len(view.people))[: len(view.people)]
        listed = n >= 2
        return -n.astype(float), listed.astype(np.int64), {"rail": listed}


class PoorList(HandScorer):
    """Rail ban for incomes under 20,000 yuan, whatever the person did."""

    name = "poor"

    def _score(self, view, as_of):
        poor = view.people["income"].to_numpy() < 20_000
        return -poor.astype(float), poor.astype(np.int64), {"rail": poor}


class LoudMusicPunished(HandScorer):
    """Loud music on a train (minor) bans rail and housing; drunk driving (serious) only rail."""

    name = "loud"
    sanctions = MappingProxyType({"rail": "travel", "housing_ban": "housing"})

    def _score(self, view, as_of):
        loud = count_kind(view, as_of, "loud_music_on_train") > 0
        drunk = count_kind(view, as_of, "drunk_driving") > 0
        rail = loud | drunk
        return -rail.astype(float), rail.astype(np.int64), {"rail": rail, "housing_ban": loud}


def test_sanctions_are_traced_to_the_conduct_that_triggered_them():
    pop = population(
        people(4),
        events([(0, 3, "traffic_violation"), (1, 4, "court_judgment_default"), (2, 5, "traffic_violation"), (2, 6, "drunk_driving")]),
    )
    sec = audit(pop, DomainRules(), SpilloverAudit())
    m = sec["matrix"]
    assert set(m) == set(CONDUCT_ROWS) and set(m["traffic"]) == {"housing", "finance", "travel"}
    assert m["traffic"] == {"housing": 2, "finance": 0, "travel": 1}
    assert m["judicial"] == {"housing": 0, "finance": 1, "travel": 0}
    assert sum(sum(row.values()) for row in m.values()) == 4
    # housing bans for traffic offences are unrelated; traffic -> travel and judicial -> finance are declared related
    assert sec["sanctions"] == 4 and sec["unrelated_sanctions"] == 2 and sec["unrelated_share"] == 0.5
    by_q = {g["group"]: g for g in sec["by_income_quintile"]}  # person i is in quintile i + 1
    assert by_q[1]["bearing_unrelated"] == 1 and by_q[1]["unrelated_share"] == 1.0
    assert by_q[2]["bearing_unrelated"] == 0 and by_q[2]["unrelated_share"] == 0.0
    assert by_q[3]["sanctions"] == 2 and by_q[3]["unrelated_sanctions"] == 1
    assert by_q[4]["sanctioned"] == 0 and by_q[4]["unrelated_rate"] == 0.0


def test_a_sanction_no_single_domain_explains_is_blamed_on_all_of_them():
    pop = population(people(1), events([(0, 1, "traffic_violation"), (0, 2, "loan_arrears"), (0, 3, "critical_post")]))
    sec = audit(pop, TwoStrikes(), SpilloverAudit())
    assert sec["combined"] == 1
    assert [row for row in CONDUCT_ROWS if sec["matrix"][row]["travel"]] == ["traffic", "finance", "online"]
    # traffic -> travel is a declared related pair, so the combined sanction counts as related
    assert sec["unrelated_share"] == 0.0


def test_a_sanction_without_any_conduct_is_counted_apart():
    # no conduct context at all: not "unrelated to its context" (an id-keyed score would otherwise read as 100% unrelated)
    pop = population(people(5), events([(0, 1, "traffic_violation")]))  # incomes 12,000 x quintile
    sec = audit(pop, PoorList(), SpilloverAudit())
    assert sec["matrix"]["none"]["travel"] == 1  # person 0: income 12,000, traffic offence irrelevant
    assert sec["matrix"]["traffic"]["travel"] == 0
    assert sec["without_conduct"] == 1
    assert sec["unrelated_share"] == 0.0


def test_minor_conduct_punished_more_than_serious_conduct_is_flagged():
    pop = population(people(30), events([(0, 1, "volunteering")]))
    prop = audit(pop, LoudMusicPunished(), SpilloverAudit())["proportionality"]
    by_kind = {k["kind"]: k for k in prop["by_kind"]}
    assert by_kind["loud_music_on_train"]["sanction_weight"] == 2.0
    assert by_kind["drunk_driving"]["sanction_weight"] == 1.0
    assert by_kind["court_judgment_default"]["sanction_weight"] == 0.0
    pairs = {(f["kind"], f["heavier_than"]) for f in prop["flags"]}
    assert ("loud_music_on_train", "drunk_driving") in pairs
    # loud music (2) outweighs both serious kinds and all four general ones (0); nothing else is flagged
    assert prop["flag_count"] == 6 and {k for k, _ in pairs} == {"loud_music_on_train"}
    assert all(f["significant"] for f in prop["flags"])


class GravityRules(HandScorer):
    """General conduct bans rail; serious conduct bans rail and housing; minor conduct nothing."""

    name = "gravity"
    sanctions = MappingProxyType({"rail": "travel", "housing_ban": "housing"})
    GENERAL = ("loan_arrears", "utility_arrears", "contract_breach", "unauthorized_birth")
    SERIOUS = ("drunk_driving", "court_judgment_default")

    def _score(self, view, as_of):
        general = sum(count_kind(view, as_of, k) for k in self.GENERAL) > 0
        serious = sum(count_kind(view, as_of, k) for k in self.SERIOUS) > 0
        rail = general | serious
        return -rail.astype(float), rail.astype(np.int64), {"rail": rail, "housing_ban": serious}


def test_sanctions_that_grow_with_gravity_raise_no_flag():
    pop = population(people(10), events([(0, 1, "volunteering")]))
    prop = audit(pop, GravityRules(), SpilloverAudit())["proportionality"]
    weights = {k["kind"]: k["sanction_weight"] for k in prop["by_kind"]}
    assert weights["traffic_violation"] == 0.0 and weights["loan_arrears"] == 1.0 and weights["drunk_driving"] == 2.0
    assert prop["flag_count"] == 0 and prop["flags"] == []


def test_spillover_does_not_depend_on_chunking():
    evs = [(i, i % 12, k) for i in range(40) for k in (("traffic_violation",) if i % 2 else ("court_judgment_default", "drunk_driving"))]
    pop = population(people(40), events(evs))
    whole = audit(pop, DomainRules(), SpilloverAudit())
    assert whole == audit(split(pop, 17), DomainRules(), SpilloverAudit())
    assert whole == audit(split(pop, 17)[::-1], DomainRules(), SpilloverAudit())
