"""Discovery: entry points, variants, import paths, errors."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint

import pytest

from audit.errors import InvalidScorerSpec, ScorerContractError, ScorerNotFound
from scorers import registry
from scorers.joint_punishment import JointPunishment
from scorers.registry import available_scorers, load_scorer, parse_scorer_spec
from scorers.rongcheng import Rongcheng
from scorers.sesame import Sesame
from scorers.suining import Suining


@pytest.fixture(autouse=True)
def fresh_registry():
    registry.clear_cache()
    yield
    registry.clear_cache()


def fake_entry_points(monkeypatch, *pairs):
    eps = [EntryPoint(name=n, value=v, group=registry.ENTRY_POINT_GROUP) for n, v in pairs]
    monkeypatch.setattr(registry, "_group_entry_points", lambda: eps)


def test_reference_scorers_are_registered():
    found = available_scorers()
    assert {"suining", "rongcheng", "joint_punishment", "sesame"} <= set(found)
    assert "scorers.suining:Suining" in found["suining"]


@pytest.mark.parametrize(
    ("name", "cls"),
    [("suining", Suining), ("rongcheng", Rongcheng), ("joint_punishment", JointPunishment), ("sesame", Sesame)],
)
def test_load_by_name_gives_defaults(name, cls):
    s = load_scorer(name)
    assert type(s) is cls and s == cls() and s.name == name


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("suining:penalty_expiry_months=24", Suining(penalty_expiry_months=24)),
        ("suining:penalty_expiry_months=24,penalty_scale=0.5", Suining(penalty_expiry_months=24, penalty_scale=0.5)),
        ("rongcheng:penalty_expiry_months=6,reward_cap=50", Rongcheng(penalty_expiry_months=6, reward_cap=50.0)),
        ("joint_punishment:honour_performance=false", JointPunishment(honour_performance=False)),
        ("sesame:window_months=12", Sesame(window_months=12)),
        ("scorers.suining:Suining", Suining()),
        ("scorers.suining:Suining:penalty_expiry_months=12", Suining(penalty_expiry_months=12)),
    ],
)
def test_variants(spec, expected):
    assert load_scorer(spec) == expected


def test_a_scorer_object_passes_through():
    s = Suining()
    assert load_scorer(s) is s


def test_file_path_with_an_instance(tmp_path):
    f = tmp_path / "my_scorer.py"
    f.write_text(
        textwrap.dedent(
            """
            from scorers.suining import Suining
            SCORER = Suining(penalty_scale=2.0)
            """
        )
    )
    assert load_scorer(f"{f}:SCORER") == Suining(penalty_scale=2.0)
    assert load_scorer(f"{f}:SCORER:penalty_expiry_months=6") == Suining(penalty_scale=2.0, penalty_expiry_months=6)


def test_file_path_with_a_duck_typed_class(tmp_path):
    f = tmp_path / "duck.py"
    f.write_text(
        textwrap.dedent(
            """
            class Duck:
                name = "duck"
                version = "0"
                description = "no base class"
                tiers = ("ok",)
                favourable_tiers = frozenset({"ok"})
                sanctions = {}

                def __init__(self, k=1):
                    self.params = {"k": k}

                def with_params(self, **kw):
                    return Duck(**{**self.params, **kw})

                def score(self, view, *, as_of):
                    raise NotImplementedError
            """
        )
    )
    assert load_scorer(f"{f}:Duck:k=3").params == {"k": 3}
    with pytest.raises(InvalidScorerSpec) as err:
        load_scorer(f"{f}:Duck:j=3")
    assert "k" in str(err.value)


@pytest.mark.parametrize(
    ("spec", "target", "params"),
    [
        ("suining", "suining", {}),
        (
            "suining:a=1,b=2.5,c=true,d=False,e=none,f=text,g='1'",
            "suining",
            {"a": 1, "b": 2.5, "c": True, "d": False, "e": None, "f": "text", "g": "1"},
        ),
        ("pkg.mod:Cls", "pkg.mod:Cls", {}),
        ("pkg.mod:Cls:k=1", "pkg.mod:Cls", {"k": 1}),
        ("dir/file.py:Cls:k=a:b", "dir/file.py:Cls", {"k": "a:b"}),
        (" name : x = 1 ", "name", {"x": 1}),
    ],
)
def test_parse_scorer_spec(spec, target, params):
    assert parse_scorer_spec(spec) == (target, params)


@pytest.mark.parametrize("spec", ["", ":k=1", "suining:k=1,k=2", "suining:1k=2", "suining:k=1,"])
def test_malformed_specs(spec):
    with pytest.raises(InvalidScorerSpec):
        parse_scorer_spec(spec)


def test_a_parameter_without_value_reads_as_an_import_path():
    assert parse_scorer_spec("suining:k") == ("suining:k", {})
    with pytest.raises(ScorerNotFound):
        load_scorer("suining:k")


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ScorerNotFound) as err:
        load_scorer("suinning")
    assert "suining" in str(err.value) and "sesame" in str(err.value)
    assert isinstance(err.value, LookupError)


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(InvalidScorerSpec) as err:
        load_scorer("suining:expiry=3")
    assert "penalty_expiry_months" in str(err.value)


def test_wrongly_typed_parameter():
    with pytest.raises(InvalidScorerSpec):
        load_scorer("joint_punishment:listing_months=soon")


def test_unimportable_module_gives_the_import_error():
    with pytest.raises(ScorerNotFound) as err:
        load_scorer("no_such_module_here:Scorer")
    assert "no_such_module_here" in str(err.value)


def test_missing_attribute_and_missing_file(tmp_path):
    with pytest.raises(ScorerNotFound):
        load_scorer("scorers.suining:Nope")
    with pytest.raises(ScorerNotFound):
        load_scorer(f"{tmp_path / 'absent.py'}:X")


def test_broken_file_gives_its_error(tmp_path):
    f = tmp_path / "broken.py"
    f.write_text("raise RuntimeError('boom at import')\n")
    with pytest.raises(ScorerNotFound) as err:
        load_scorer(f"{f}:X")
    assert "boom at import" in str(err.value)


def test_not_a_scorer():
    with pytest.raises(ScorerContractError):
        load_scorer("os.path:join")


def test_duplicate_name_names_both_sources(monkeypatch):
    fake_entry_points(
        monkeypatch,
        ("same", "scorers.suining:Suining"),
        ("same", "scorers.sesame:Sesame"),
        ("ok", "scorers.suining:Suining"),
    )
    with pytest.raises(ScorerNotFound) as err:
        available_scorers()
    assert "scorers.suining:Suining" in str(err.value) and "scorers.sesame:Sesame" in str(err.value)
    with pytest.raises(ScorerNotFound):
        load_scorer("same")
    assert load_scorer("ok") == Suining()


def test_the_same_entry_point_seen_twice_is_not_a_conflict(monkeypatch):
    fake_entry_points(monkeypatch, ("s", "scorers.suining:Suining"), ("s", "scorers.suining:Suining"))
    assert list(available_scorers()) == ["s"]


def test_entry_points_load_lazily(monkeypatch):
    fake_entry_points(monkeypatch, ("good", "scorers.suining:Suining"), ("bad", "no_such_plugin_module:Scorer"))
    assert set(available_scorers()) == {"good", "bad"}  # listing imports nothing
    assert load_scorer("good") == Suining()
    with pytest.raises(ScorerNotFound) as err:
        load_scorer("bad")
    assert "no_such_plugin_module" in str(err.value)
