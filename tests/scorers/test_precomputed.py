"""A deployed system's scores as a scorer: tiers from a cut-off or a decision column, the Python API, the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.engine.contract import AuditOptions
from audit.errors import InvalidArgument, InvalidTable
from audit.population.model import Population
from audit.runner import RunConfig, run
from scorers.precomputed import PrecomputedScorer
from scorers.protocol import scorer_label, scorer_tags, validate_declarations

PEOPLE = pd.DataFrame({"person_id": [3, 1, 2, 4], "sex": ["f", "m", "f", "m"], "hired": [1, 0, 0, 1]})
SCORES = pd.DataFrame({"person_id": [1, 2, 3, 4], "risk": [2.0, 7.5, 5.0, 4.99]})


def test_scores_table_is_merged_by_person_id():
    pop = Population.from_table(PEOPLE, scores=SCORES)
    assert pop.score_column == "risk"
    assert pop.people["person_id"].tolist() == [1, 2, 3, 4]
    assert pop.people["risk"].tolist() == [2.0, 7.5, 5.0, 4.99]
    assert pop.people["hired"].tolist() == [0, 0, 1, 1]


def test_cut_off_tiers():
    pop = Population.from_table(PEOPLE, scores=SCORES)
    s = PrecomputedScorer(column="risk", adverse_from=5)
    validate_declarations(s)
    frame = s.score(pop.view(), as_of=0)
    assert frame["tier"].tolist() == ["under 5", "5 or above", "5 or above", "under 5"]  # 5 itself is adverse
    assert frame["score"].tolist() == [2.0, 7.5, 5.0, 4.99]
    assert s.favourable_tiers == frozenset({"under 5"}) and s.predicts == "adverse" and s.risk
    assert scorer_label(s) == "risk"
    assert scorer_tags(s).replayable is False


def test_decision_column_tiers():
    pop = Population.from_table(PEOPLE, scores=SCORES, favourable_column="hired")
    s = PrecomputedScorer(column="risk", favourable_column="hired")
    assert s.score(pop.view(), as_of=0)["tier"].tolist() == ["unfavourable", "unfavourable", "favourable", "favourable"]
    assert s.predicts == "favourable"


def test_scores_alone_give_no_favourable_tier():
    s = PrecomputedScorer(column="risk")
    assert s.tiers == ("scored",) and s.favourable_tiers == frozenset()


@pytest.mark.parametrize("kwargs", [{"column": ""}, {"column": "r", "adverse_from": float("nan")},
                                    {"column": "r", "adverse_from": 5, "favourable_column": "hired"}])
def test_bad_arguments(kwargs):
    with pytest.raises(InvalidArgument):
        PrecomputedScorer(**kwargs)


def test_two_candidate_score_columns_must_be_named():
    with pytest.raises(InvalidTable, match="cannot tell which column holds the score.*score_column="):
        Population.from_table(PEOPLE, scores=SCORES.assign(other=1.0))


def test_a_scores_column_clashing_with_the_people_table():
    with pytest.raises(InvalidTable, match="'hired' is also a column of the people table"):
        Population.from_table(PEOPLE, scores=SCORES.assign(hired=1), score_column="risk")


def test_a_run_in_python_matches_counting_by_hand():
    rng = np.random.default_rng(3)
    n = 400
    people = pd.DataFrame({"person_id": np.arange(n), "sex": rng.choice(["f", "m"], n),
                           "score": rng.integers(0, 10, n).astype(float)})
    pop = Population.from_table(people, score_column="score")
    result = run([PrecomputedScorer(column="score", adverse_from=6)],
                 RunConfig(population=pop, options=AuditOptions(by=("sex",), bootstrap=0, replay_sample=0)))
    groups = {g["group"]: g for g in result.runs[0].sections["disparity"]["sex"]["groups"]}
    for sex in ("f", "m"):
        mine = people[people["sex"] == sex]
        assert groups[sex]["n"] == len(mine)
        assert groups[sex]["favourable_rate"] == pytest.approx((mine["score"] < 6).mean(), abs=1e-12)


def test_a_decision_column_of_the_scores_table_is_checked_and_used():
    scores = SCORES.assign(decision=[1, 0, "yes", 0])
    pop = Population.from_table(PEOPLE.drop(columns="hired"), scores=scores, score_column="risk",
                                favourable_column="decision")
    assert pop.people["decision"].tolist() == [1, 0, 1, 0]
    s = PrecomputedScorer(column="risk", favourable_column="decision")
    assert s.score(pop.view(), as_of=0)["tier"].tolist() == ["favourable", "unfavourable", "favourable", "unfavourable"]
    with pytest.raises(InvalidTable, match=r"column 'decision', data row 2 \(person_id 2\): expected 0 or 1, got 'maybe'"):
        Population.from_table(PEOPLE.drop(columns="hired"), scores=SCORES.assign(decision=[1, "maybe", 0, 0]),
                              score_column="risk", favourable_column="decision")
