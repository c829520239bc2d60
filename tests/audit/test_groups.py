"""Cell layouts: codes, unknown categories, marginals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.errors import InvalidArgument
from audit.population.groups import UNKNOWN, Attribute, _integer_codes, layout_for
from audit.population.spec import load_spec


def test_encode_and_marginal_by_hand():
    layout = layout_for(("urban",), spec=load_spec("tiny"))
    assert layout.names == ("income_quintile", "education", "urban")
    assert layout.shape == (6, 5, 3)
    people = pd.DataFrame(
        {
            "income_quintile": [1, 5, 5, 9],
            "education": ["tertiary", "primary_or_less", "tertiary", "phd"],
            "urban": [True, False, True, None],
        }
    )
    codes = layout.encode(people)
    # C order: (q, e, u) -> (q * 5 + e) * 3 + u
    assert codes.tolist() == [(0 * 5 + 3) * 3 + 1, (4 * 5 + 0) * 3 + 0, (4 * 5 + 3) * 3 + 1, (5 * 5 + 4) * 3 + 2]
    n = np.bincount(codes, minlength=layout.n_cells)
    by_q = layout.marginal(n, ("income_quintile",))
    assert by_q.tolist() == [1, 0, 0, 0, 2, 1]
    by_qe = layout.marginal(n, ("income_quintile", "education"))
    assert by_qe.shape == (6, 5) and by_qe[4, 3] == 1 and by_qe[5, 4] == 1
    assert layout.groups(("urban",)) == [(False,), (True,), (UNKNOWN,)]


def test_age_is_binned_by_spec_bands():
    spec = load_spec("china-2020")
    layout = layout_for(("age",), spec=spec)
    att = layout.attribute("age")
    codes = att.encode(pd.Series([18, 29, 30, 79, 80, np.nan]))
    assert codes.tolist() == [0, 0, 1, 3, 4, 4]
    assert att.labels[-1] == UNKNOWN


def test_unknown_attribute_is_a_clear_error():
    with pytest.raises(InvalidArgument, match="by='shoe_size'"):
        layout_for(("shoe_size",), spec=load_spec("tiny"))


def _object_codes(attribute, column: pd.Series) -> np.ndarray:
    """The codes of the general path (each value boxed and looked up), worked out without the integer path."""
    k = len(attribute.categories)
    codes = pd.Index(list(attribute.categories), dtype=object).get_indexer(column.astype(object).to_numpy())
    return np.where(codes < 0, k, codes).astype(np.int32)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32])
@pytest.mark.parametrize(
    "categories",
    [(1, 2, 3, 4, 5), (0,), (-3, -2, -1, 0), (7, 2, 40, 5), (100, 3), (np.int64(2), np.int8(4))],
)
def test_integer_fast_path_gives_the_object_path_codes(dtype, categories):
    if np.issubdtype(dtype, np.unsignedinteger) and min(int(c) for c in categories) < 0:
        pytest.skip("negative categories never match an unsigned column")
    attribute = Attribute(name="x", categories=categories)
    rng = np.random.default_rng(19)
    info = np.iinfo(dtype)
    for size in (0, 1, 50, 5000):
        # mostly values near the categories, some anywhere in the dtype's range
        near = rng.integers(max(info.min, -10), min(info.max, 110), size=size, endpoint=True)
        anywhere = rng.integers(info.min, info.max, size=size, endpoint=True, dtype=dtype)
        values = np.where(rng.random(size) < 0.9, near, anywhere).astype(dtype)
        values[: min(size, 2)] = [info.min, info.max][: min(size, 2)]
        column = pd.Series(values)
        got = attribute.encode(column)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, _object_codes(attribute, column))


def test_quintile_codes_by_hand_on_int8():
    layout = layout_for(())
    column = pd.Series(np.array([1, 5, 0, 6, -128, 127, 3], dtype=np.int8))
    # position in (1, 2, 3, 4, 5); 5 (unknown) otherwise
    assert layout.attribute("income_quintile").encode(column).tolist() == [0, 4, 5, 5, 5, 5, 2]
    # and the int8 quintiles of a population never take the boxed path
    assert _integer_codes(column, layout.attribute("income_quintile").categories) is not None


def test_columns_the_integer_path_leaves_to_the_object_path():
    # nullable integers: a missing value is unknown
    nullable = pd.Series([1, None, 3], dtype="Int8")
    assert Attribute(name="q", categories=(1, 2, 3)).encode(nullable).tolist() == [0, 3, 2]
    # booleans as categories of an integer column: the object path matches 1 to True
    flags = Attribute(name="u", categories=(False, True))
    column = pd.Series(np.array([0, 1, 2], dtype=np.int8))
    assert flags.encode(column).tolist() == _object_codes(flags, column).tolist() == [0, 1, 2]
    # unsigned 64-bit values beyond int64
    big = pd.Series(np.array([2**64 - 1, 3], dtype=np.uint64))
    assert Attribute(name="b", categories=(3,)).encode(big).tolist() == [1, 0]


def _people_of_every_kind(n: int, seed: int) -> pd.DataFrame:
    """Columns of each kind a layout may read: synthetic ones (int8, int16, bool, categoricals) and supplied ones."""
    rng = np.random.default_rng(seed)
    spec = load_spec("china-2020")
    pick = rng.integers(0, len(spec.regions) + 1, n)
    return pd.DataFrame(
        {
            "income_quintile": rng.integers(-1, 8, n).astype(np.int8),
            "education": pd.Categorical.from_codes(rng.integers(-1, 4, n), categories=pd.Index(
                ["primary_or_less", "secondary", "vocational", "tertiary"])),
            "urban": rng.random(n) < 0.6,
            "sex": pd.Categorical(rng.choice(["male", "female", "other"], n), categories=["male", "other", "female"]),
            "region": pd.Categorical.from_codes(pick - 1, categories=list(spec.regions)),
            "age": rng.integers(-5, 140, n).astype(np.int16),
            "race": rng.choice(np.array(["A", "B", "C", None], dtype=object), n),
            "score_band": rng.integers(0, 4, n).astype(np.uint8),
        }
    )


@pytest.mark.parametrize(
    "by",
    [(), ("urban",), ("sex", "region"), ("age",), ("age:bands=25,45", "urban"), ("score_band",), ("race", "sex"),
     ("missing_column",)],
)
def test_encode_equals_the_reference_formulation(by):
    # every kind of column through the compiled pass gives what each attribute's own encode gives, combined
    people = _people_of_every_kind(3000, seed=len(by))
    if by == ("missing_column",):  # an attribute of the spec the table does not hold: everyone is unknown
        layout = layout_for(("sex",), spec=load_spec("china-2020"))
        people = people.drop(columns=["sex"])
    elif by in ((("score_band",), ("race", "sex"))):
        layout = layout_for(by, people=people)
    else:
        layout = layout_for(by, spec=load_spec("china-2020"))
    got = layout.encode(people)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, layout.encode_reference(people))
    assert layout.encode(people.iloc[:0]).shape == (0,)


def test_byte_codes_by_hand():
    quintile = layout_for(()).attribute("income_quintile")
    raw, table = quintile.byte_codes(pd.Series(np.array([1, 5, -1, 6], dtype=np.int8)))
    assert raw.dtype == np.uint8 and table[raw].tolist() == [0, 4, 5, 5]
    urban = Attribute(name="urban", categories=(False, True))
    raw, table = urban.byte_codes(pd.Series([True, False, True]))
    assert table[raw].tolist() == [1, 0, 1]
    # a categorical whose categories are in another order, with a missing value
    sex = Attribute(name="sex", categories=("female", "male"))
    column = pd.Series(pd.Categorical(["male", None, "female", "x"], categories=["x", "male", "female"]))
    raw, table = sex.byte_codes(column)
    assert table[raw].tolist() == [1, 2, 0, 2]
    # wider columns have no byte codes (the layout then encodes them first)
    assert quintile.byte_codes(pd.Series(np.array([1, 2], dtype=np.int32))) is None
    assert quintile.byte_codes(pd.Series(["1", "2"])) is None
