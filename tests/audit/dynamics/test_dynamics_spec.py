"""The [dynamics] table of a population spec: the shipped figures, strict validation, the spec fingerprint."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import pytest

from audit.errors import InvalidSpec
from audit.population.spec import fixtures_dir, load_spec, parse_spec


def china():
    return tomllib.loads((fixtures_dir() / "populations" / "china-2020.toml").read_text(encoding="utf-8"))


def test_china_2020_carries_the_survey_figures():
    dyn = load_spec("china-2020").dynamics
    assert dyn is not None
    assert dyn.self_censor_share == 0.18 and dyn.unfriend_share == 0.38
    # propensity rises with education and income (the survey's finding), lowest first
    assert list(dyn.education_multiplier) == sorted(dyn.education_multiplier)
    assert list(dyn.income_multiplier) == sorted(dyn.income_multiplier)
    assert dyn.changed_range == (0.18, 0.80)
    # cited beside the table in the file (a [sources] entry would change the spec fingerprint of every static run)
    text = (fixtures_dir() / "populations" / "china-2020.toml").read_text(encoding="utf-8")
    assert "survey of 2,209" in text and "Policy & Internet 12(3)" in text


@pytest.mark.parametrize(("key", "value", "message"), [
    ("unfriend_share", 1.5, "dynamics.unfriend_share is 1.5, above the largest allowed 1.0"),
    ("income_loss", -0.1, "dynamics.income_loss is -0.1, below the smallest allowed 0.0"),
    ("changed_range", [0.8, 0.2], "dynamics.changed_range = [0.8, 0.2] is not a range"),
    ("income_multiplier", [1.0, 1.0, 1.0], "dynamics.income_multiplier has 3 entries, expected 5"),
    ("unfriend_chance", 0.3, "unknown key(s) in [dynamics]: unfriend_chance"),
])
def test_bad_rates_are_refused_naming_the_key(key, value, message):
    data = china()
    data["dynamics"][key] = value
    with pytest.raises(InvalidSpec) as err:
        parse_spec(data, file="x.toml")
    assert message in str(err.value)


def test_response_rates_do_not_change_the_spec_fingerprint():
    spec = load_spec("china-2020")
    assert spec.fingerprint() == replace(spec, dynamics=None).fingerprint()
    data = china()
    del data["dynamics"]
    assert parse_spec(data).dynamics is None
