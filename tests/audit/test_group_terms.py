"""``by=`` terms: columns, bands and intersections, and the cell layout they give a supplied table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.disparity.views import attribute_views
from audit.errors import InvalidArgument
from audit.population.group_terms import band_labels, parse_by
from audit.population.groups import UNKNOWN, layout_for


@pytest.mark.parametrize("term", ["race×sex", "race*sex", "race,sex", " race × sex "])
def test_intersection_spellings(term):
    got = parse_by([term])
    assert got.attributes == ("race", "sex")
    assert got.intersections == (("race", "sex"),)


def test_bands_keep_their_commas():
    got = parse_by(["age:bands=25,45", "race"])
    assert got.attributes == ("age", "race")
    assert got.cuts("age") == (25.0, 45.0)
    assert got.intersections == ()


@pytest.mark.parametrize("term", ["", "age:bins=3", "age:bands=45,25", "age:bands=a,b", "race×race", "race×"])
def test_bad_terms_are_refused(term):
    with pytest.raises(InvalidArgument, match="by="):
        parse_by([term])


def test_band_labels():
    assert band_labels((25, 45)) == ("under 25", "25 to under 45", "45 and over")
    assert band_labels((0.5,)) == ("under 0.5", "0.5 and over")


PEOPLE = pd.DataFrame({
    "person_id": [1, 2, 3, 4, 5, 6],
    "race": ["b", "a", None, "a", "b", "c"],
    "sex": ["f", "m", "m", None, "f", "m"],
    "age": [19, 25, 44, 45, 80, np.nan],
})


def test_a_supplied_table_is_audited_by_its_own_columns_with_unknowns():
    layout = layout_for(("race", "sex", "age:bands=25,45"), people=PEOPLE, source="p.csv")
    assert layout.names == ("race", "sex", "age")  # no income or education: the table has none
    assert layout.attribute("race").labels == ("a", "b", "c", UNKNOWN)
    assert layout.attribute("age").labels == ("under 25", "25 to under 45", "45 and over", UNKNOWN)
    codes = layout.encode(PEOPLE)
    race, rest = np.divmod(codes, 3 * 4)
    sex, age = np.divmod(rest, 4)
    assert race.tolist() == [1, 0, 3, 0, 1, 2]
    assert sex.tolist() == [0, 1, 1, 2, 0, 1]
    assert age.tolist() == [0, 1, 1, 2, 2, 3]  # 25 opens the second band, 45 the third; NaN is unknown
    # two attributes and no intersection asked: the first two are crossed (LL144: sex x race)
    assert layout.intersections == (("race", "sex"),)
    assert [v.key for v in attribute_views(layout)] == ["race", "sex", "age", "race×sex"]


def test_an_intersection_is_keyed_in_layout_order():
    layout = layout_for(("race", "sex", "sex×race"), people=PEOPLE)
    views = {v.key: v for v in attribute_views(layout)}
    assert "race×sex" in views and views["race×sex"].labels[0] == ("a", "f")


def test_synthetic_runs_keep_income_and_education_and_gain_no_intersection():
    from audit.population.spec import load_spec

    layout = layout_for(("sex", "urban"), spec=load_spec("tiny"))
    assert layout.names == ("income_quintile", "education", "sex", "urban")
    assert layout.intersections == ()


@pytest.mark.parametrize("term", ["urban", "age", "age:bands=30"])
def test_a_standard_attribute_the_table_lacks_is_refused(term):
    with pytest.raises(InvalidArgument, match="the people table has no such column"):
        layout_for((term,), people=PEOPLE.drop(columns="age"))
