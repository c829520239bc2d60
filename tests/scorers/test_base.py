"""ScorerBase: parameters, variants, immutability."""

from __future__ import annotations

import copy
import pickle
from types import MappingProxyType

import pytest

from audit.errors import InvalidScorerSpec
from scorers.base import ScorerBase, coerce_param
from scorers.protocol import Scorer, ScorerTags
from scorers.suining import Suining


def test_defaults_and_overrides_merge():
    s = Suining()
    assert dict(s.params) == {"penalty_expiry_months": None, "penalty_scale": 1.0}
    v = s.with_params(penalty_expiry_months=24)
    assert v.params["penalty_expiry_months"] == 24 and v.params["penalty_scale"] == 1.0
    assert s.params["penalty_expiry_months"] is None  # the original is unchanged
    assert isinstance(v, Suining) and v is not s


def test_unknown_parameter_lists_known_ones():
    with pytest.raises(InvalidScorerSpec) as err:
        Suining().with_params(expiry=3)
    assert "penalty_expiry_months" in str(err.value) and "penalty_scale" in str(err.value)


@pytest.mark.parametrize(
    ("default", "value", "expected"),
    [
        (None, 24, 24),
        (None, 2.5, 2.5),
        (None, None, None),
        (None, "12", 12),
        (1.0, 2, 2.0),
        (1.0, "0.5", 0.5),
        (3, 4.0, 4),
        (3, "7", 7),
        (True, False, False),
        (True, "false", False),
        ("a", "b", "b"),
    ],
)
def test_values_are_converted_to_the_default_type(default, value, expected):
    got = coerce_param("s", "k", value, default)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("default", "value"),
    [
        (None, True),
        (None, "soon"),
        (1.0, "x"),
        (1.0, True),
        (3, 2.5),
        (3, None),
        (True, 1),
        (True, "maybe"),
        ("a", 1),
        (1.0, float("nan")),
    ],
)
def test_wrong_types_are_rejected(default, value):
    with pytest.raises(InvalidScorerSpec):
        coerce_param("s", "k", value, default)


def test_range_checks():
    with pytest.raises(InvalidScorerSpec):
        Suining(penalty_expiry_months=0)
    with pytest.raises(InvalidScorerSpec):
        Suining(penalty_scale=-1.0)


def test_scorers_are_immutable_values():
    s = Suining(penalty_expiry_months=12)
    with pytest.raises(AttributeError):
        s.name = "other"
    with pytest.raises(AttributeError):
        s._params = {}
    with pytest.raises(TypeError):
        s.params["penalty_scale"] = 2.0
    assert s == Suining(penalty_expiry_months=12) and hash(s) == hash(Suining(penalty_expiry_months=12))
    assert s != Suining()
    assert pickle.loads(pickle.dumps(s)) == s
    assert copy.deepcopy(s) == s


def test_repr_uses_the_label():
    assert repr(Suining()) == "Suining('suining')"
    assert repr(Suining(penalty_expiry_months=12)) == "Suining('suining:penalty_expiry_months=12')"


def test_a_minimal_subclass_is_a_scorer():
    class Minimal(ScorerBase):
        name = "minimal"
        tiers = ("ok",)
        favourable_tiers = frozenset({"ok"})
        default_params = MappingProxyType({"k": 1})

        def score(self, view, *, as_of):  # pragma: no cover - not called
            raise NotImplementedError

    m = Minimal()
    assert isinstance(m, Scorer)
    assert m.version == "1.0" and m.tags == ScorerTags()
    assert m.with_params(k=2).params["k"] == 2
