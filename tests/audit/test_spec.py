"""Population specs load strictly and carry their sources."""

from __future__ import annotations

import tomllib

import pytest

from audit.errors import InvalidSpec
from audit.population.spec import builtin_spec_names, fixtures_dir, income_boundaries, load_spec, parse_spec


def _raw(name: str = "tiny") -> dict:
    return tomllib.loads((fixtures_dir() / "populations" / f"{name}.toml").read_text())


def test_builtin_specs_load():
    assert {"china-2020", "tiny"} <= set(builtin_spec_names())
    spec = load_spec("china-2020")
    assert spec.horizon_months == 36
    assert spec.income.quintile_means == (7869.0, 16443.0, 26249.0, 41172.0, 80294.0)
    for key in ("income", "education", "urban", "sex", "region", "misrecord", "appeal"):
        assert key in spec.sources and spec.sources[key]


def test_income_boundaries_reproduce_quintile_means():
    spec = load_spec("china-2020")
    b = income_boundaries(spec.income)
    mids = [(lo + hi) / 2 for lo, hi in zip(b, b[1:])]
    assert mids == pytest.approx(list(spec.income.quintile_means))


def test_fingerprint_ignores_path_but_not_content():
    a = load_spec("tiny")
    b = parse_spec(_raw())
    assert a.fingerprint() == b.fingerprint()
    raw = _raw()
    raw["horizon_months"] = 12
    assert parse_spec(raw).fingerprint() != a.fingerprint()


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.__setitem__("horizon_months", 0), "horizon_months = 0"),
        (lambda d: d["education"].__setitem__("shares", [0.5, 0.5, 0.5, -0.5]), "education.shares"),
        (lambda d: d["region"].__setitem__("shares", [0.5, 0.2, 0.2, 0.2]), "sums to 1.1"),
        (lambda d: d.__setitem__("horizn_months", 3), "unknown key"),
        (lambda d: d["events"]["volunteering"].__setitem__("rate_per_year", -1.0), "rate_per_year"),
        (lambda d: d["events"]["volunteering"].__setitem__("rate_per_yaer", 1.0), "rate_per_yaer"),
        (lambda d: d["events"].__setitem__("jaywalking", {"source": "police", "gravity": "minor"}), "jaywalking"),
        (lambda d: d["income"].__setitem__("floor", 9000.0), "non-increasing"),
    ],
)
def test_bad_specs_are_rejected_with_the_key_named(mutate, message):
    raw = _raw()
    mutate(raw)
    with pytest.raises(InvalidSpec, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_spec(raw)


def test_unknown_population_name_lists_builtins():
    with pytest.raises(InvalidSpec, match="china-2020"):
        load_spec("atlantis")


def test_invalid_toml_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(InvalidSpec, match="bad.toml"):
        load_spec(bad)
