"""Fuzz: random edits of a valid spec give a spec that works, or InvalidSpec — never another error.

Each example edits the tiny spec a few times (delete a key, add a misspelt one,
replace a value with one of another type or an extreme number, rescale a
number) and parses it; a spec that parses must also generate a small
population and survive a short run, since a spec the parser accepts has been
promised to work.
"""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.disparity.audit import DisparityAudit
from audit.engine.contract import AuditOptions
from audit.errors import InvalidSpec
from audit.population.model import synthesize
from audit.population.source import PopulationSource
from audit.population.spec import PopulationSpec, fixtures_dir, parse_spec
from audit.runner import RunConfig, run
from tests.audit.faulty_scorers import Plain

BASE = tomllib.loads((fixtures_dir() / "populations" / "tiny.toml").read_text())

_leaf_values = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2.0, max_value=2.0),
    st.text(max_size=6),
    st.booleans(),
    st.lists(st.one_of(st.floats(min_value=-1.0, max_value=2.0), st.integers(-3, 200), st.text(max_size=3)), max_size=6),
    st.dictionaries(st.text(max_size=5), st.integers(-5, 5), max_size=2),
    st.sampled_from(["primary_or_less", "police", "serious", "hours", "traffic", "volunteering", "finance"]),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out.extend(_paths(v, prefix + (i,)))
    return out


@st.composite
def edited_specs(draw, *, mild: bool = False) -> dict:
    """Edits of the tiny spec; ``mild`` only rescales numbers by plausible factors (most such specs parse)."""
    raw = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 2 if mild else 4))):
        paths = _paths(raw)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = raw
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = "scale" if mild else draw(st.sampled_from(["delete", "misspell", "replace", "scale", "scale"]))
        if op == "delete":
            del parent[key]
        elif op == "misspell" and isinstance(parent, dict):
            parent[str(key) + draw(st.sampled_from(["s", "_", "x"]))] = parent[key]
        elif op == "scale" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            factor = draw(st.sampled_from([0, 0.5, 2, 10] if mild else [0, -1, 0.5, 2, 10, 1e3, 1e9]))
            value = parent[key] * factor
            parent[key] = int(value) if isinstance(parent[key], int) and abs(value) < 2**63 else value
        else:
            parent[key] = draw(_leaf_values)
    return raw


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_specs())
def test_parse_spec_gives_a_spec_or_invalid_spec(raw):
    try:
        spec = parse_spec(raw, file="fuzz.toml")
    except InvalidSpec as exc:
        assert str(exc).startswith("fuzz.toml")
        return
    assert isinstance(spec, PopulationSpec)
    pop = synthesize(spec, size=60, seed=3)
    assert len(pop) == 60
    assert pop.events["month"].between(0, spec.horizon_months - 1).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_specs(mild=True))
def test_a_spec_that_parses_survives_a_run(raw):
    try:
        spec = parse_spec(raw)
    except InvalidSpec:
        return
    source = PopulationSource(spec=spec, size=80, seed=5)
    result = run([Plain()], RunConfig(options=AuditOptions(bootstrap=0)), audits=[DisparityAudit()], source=source)
    assert result.failed == []
    assert sum(result.runs[0].sections["tier_shares"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize("data", [None, 3, "name = 'x'", [], {"": {}}, {"name": "x"}])
def test_garbage_is_refused(data):
    with pytest.raises(InvalidSpec):
        parse_spec(data)  # type: ignore[arg-type]
