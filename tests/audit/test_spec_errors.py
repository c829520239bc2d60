"""A bad population spec is refused before any work, with the key, the bad value and the fix."""

from __future__ import annotations

import copy
import math
import re
import tomllib

import pytest

from audit.errors import AuditError, InvalidSpec
from audit.population.spec import (
    MAX_EXPECTED_EVENTS,
    MAX_FRIENDS,
    MAX_HORIZON_MONTHS,
    fixtures_dir,
    load_spec,
    parse_spec,
)

BASE = tomllib.loads((fixtures_dir() / "populations" / "tiny.toml").read_text())


def _spec(**changes):
    """The tiny spec with ``changes`` applied; keys are dotted paths, value ``...`` deletes."""
    raw = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        table = raw
        for p in parents:
            table = table[p]
        if value is ...:
            del table[last]
        else:
            table[last] = value
    return raw


CASES = [
    # shares that do not sum to 1
    ({"education__shares": [0.4, 0.3, 0.2, 0.2]}, "education.shares sums to 1.1, not 1; rescale"),
    ({"region__shares": [0.5, 0.2, 0.2, 0.05]}, "region.shares sums to 0.95"),
    ({"age__shares": [0.5, 0.5, 0.5, 0.5]}, "age.shares sums to 2"),
    # negative values
    ({"events__volunteering__rate_per_year": -0.3}, "events.volunteering.rate_per_year is -0.3, below the smallest allowed 0"),
    ({"people__male_share": -0.1}, "people.male_share is -0.1"),
    ({"misrecord__by_source__court": -0.01}, "misrecord.by_source.court is -0.01"),
    ({"appeal__decision_months": -1.0}, "appeal.decision_months is -1"),
    ({"recourse__max_sanction_months": -5}, "recourse.max_sanction_months is -5, outside 0 to"),
    ({"recourse__blood_donation_min_interval_months": -6}, "blood_donation_min_interval_months is -6"),
    ({"income__quintile_means": [7869.0, -1.0, 26249.0, 41172.0, 80294.0]}, "income.quintile_means holds -1"),
    ({"ties__friends_per_person": -2}, "ties.friends_per_person = -2"),
    # unknown keys: typos are errors, wherever they are
    ({"horizon_month": 24}, "unknown key(s) in [top level]: horizon_month"),
    ({"urban__shares": 0.6}, "unknown key(s) in [urban]: shares"),
    ({"events__volunteering__rate_per_yr": 0.3}, "unknown key(s) in [events.volunteering]: rate_per_yr"),
    ({"misrecord__by_source__polise": 0.1}, "unknown key(s) in [misrecord.by_source]: polise"),
    ({"events__jaywalking": {"source": "police", "gravity": "minor"}}, "[events.jaywalking] is not a known event kind"),
    # horizon
    ({"horizon_months": 0}, "horizon_months = 0; give 1 to"),
    ({"horizon_months": -12}, "horizon_months = -12"),
    ({"horizon_months": MAX_HORIZON_MONTHS + 1}, f"horizon_months = {MAX_HORIZON_MONTHS + 1}"),
    ({"horizon_months": 24.5}, "horizon_months must be a whole number, got 24.5"),
    # wrong types, missing keys, non-finite numbers
    ({"people__male_share": "half"}, "people.male_share must be a number, got 'half'"),
    ({"people__male_share": True}, "people.male_share must be a number, got True"),
    ({"people__male_share": math.nan}, "people.male_share must be finite"),
    ({"income__floor": math.inf}, "income.floor must be finite"),
    ({"urban__share": ...}, "urban.share is missing; add `share = ...` to [urban]"),
    ({"urban": 0.6}, "pop.toml: urban must be a table, got 0.6"),
    ({"region__names": ["east", "east", "west", "north"]}, "region.names lists 'east' more than once"),
    ({"region__names": ["east", "", "west", "north"]}, "non-empty region names"),
    ({"education__levels": ["a", "b", "c", "d"]}, "education.levels must be"),
    # absurd magnitudes: refused, not generated
    ({"ties__friends_per_person": MAX_FRIENDS + 1}, f"ties.friends_per_person = {MAX_FRIENDS + 1}"),
    ({"events__volunteering__rate_per_year": 1e6}, "rate_per_year is 1000000.0, above the largest allowed 366"),
    ({"events__volunteering__income_slope": 50.0}, "income_slope is 50.0, above the largest allowed 10"),
    ({"age__edges": [18, 30, 45, 60, 1000]}, "age.edges holds 1000"),
    ({"income__quintile_means": [7869.0, 16443.0, 26249.0, 41172.0, 1e300]}, "income.quintile_means holds 1e+300"),
]


@pytest.mark.parametrize("changes, message", CASES, ids=[next(iter(c)) + f"-{i}" for i, (c, _) in enumerate(CASES)])
def test_bad_spec_is_refused_with_key_value_and_fix(changes, message):
    with pytest.raises(InvalidSpec) as info:
        parse_spec(_spec(**changes), file="pop.toml")
    text = str(info.value)
    assert text.startswith("pop.toml: ")
    assert message.lower() in text.lower()


def test_volume_check_uses_the_most_exposed_person():
    """rate 100/yr over 24 months = 200 for the reference person; an income slope of 2.6 multiplies the
    richest or poorest quintile (2 steps away) by exp(5.2) = 181, giving about 36,000 > 10,000."""
    reference = 100.0 * 24 / 12
    slope = 2.6
    assert reference * math.exp(2 * slope) > reference * math.exp(2 * 2.0) > MAX_EXPECTED_EVENTS
    assert reference * math.exp(2 * 1.9) < MAX_EXPECTED_EVENTS
    raw = _spec(events__volunteering__rate_per_year=100.0)
    raw["events"]["volunteering"].update(income_slope=slope, education_slope=0.0, reliability_slope=0.0)
    with pytest.raises(InvalidSpec, match=r"events\.volunteering gives the most exposed person about 3\.6\de\+04"):
        parse_spec(raw)
    raw["events"]["volunteering"]["income_slope"] = 2.0  # 200 * e**4 = 10,920: still too many
    with pytest.raises(InvalidSpec):
        parse_spec(raw)
    raw["events"]["volunteering"]["income_slope"] = 1.9  # 200 * e**3.8 = 8,940: allowed
    assert parse_spec(raw).event_spec("volunteering").income_slope == 1.9


def test_a_tiny_rate_is_not_an_error():
    raw = _spec(events__volunteering__rate_per_year=5e-324)  # the smallest float: rate x years underflows to 0
    assert parse_spec(raw).event_spec("volunteering").rate_per_year == 5e-324


def test_all_errors_are_audit_errors_and_value_errors():
    with pytest.raises(AuditError):
        parse_spec(_spec(horizon_months=0))
    with pytest.raises(ValueError):
        parse_spec(_spec(horizon_months=0))


def test_a_spec_that_is_not_a_mapping_is_refused():
    with pytest.raises(InvalidSpec, match="must be a table"):
        parse_spec(["not", "a", "table"])  # type: ignore[arg-type]


def test_load_spec_reports_the_file_for_each_problem(tmp_path):
    text = (fixtures_dir() / "populations" / "tiny.toml").read_text()
    path = tmp_path / "typo.toml"
    path.write_text(re.sub(r"(?m)^horizon_months = 24$", "horizon_months = 0", text))
    with pytest.raises(InvalidSpec, match=re.escape(f"{path}: horizon_months = 0")):
        load_spec(path)
    path.write_bytes(b"\xff\xfe name")
    with pytest.raises(InvalidSpec, match="not valid TOML"):
        load_spec(path)
    with pytest.raises(InvalidSpec, match="does not exist"):
        load_spec(tmp_path / "missing.toml")
