"""Fuzz: whatever a scorer returns or declares, the harness answers with a valid frame or a
ScorerContractError naming the scorer — and a run reports the scorer as failed and carries on."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.cli.summary import render_run_summary
from audit.disparity.audit import DisparityAudit
from audit.engine.contract import AuditOptions
from audit.errors import AuditError, ScorerContractError
from audit.population.model import synthesize
from audit.results.document import results_document
from audit.runner import RunConfig, run
from scorers.protocol import validate_declarations, validate_score_frame
from tests.audit.faulty_scorers import Plain

N = 25
POPULATION = synthesize("tiny", size=N, seed=2)
VIEW = POPULATION.view()


class Declared:
    name = "fuzzed"
    version = "1"
    description = ""
    params: dict = {}
    tiers = ("A", "B", "C")
    favourable_tiers = frozenset({"A"})
    sanctions = {"ban": "travel", "no_loan": "finance"}

    def with_params(self, **kw):
        return self


_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.none(),
    st.just(pd.NA),
    st.text(max_size=3),
    st.sampled_from(["A", "B", "C", "D", ""]),
    st.lists(st.integers(), max_size=2),
    st.tuples(st.sampled_from(["r1", "r2"])),
    st.complex_numbers(max_magnitude=3),
)


def _good(col: str, n: int) -> Any:
    return {
        "score": np.linspace(0, 1, n),
        "tier": ["A", "B", "C", "A", "B"] * (n // 5) + ["C"] * (n % 5),
        "ban": np.arange(n) % 2 == 0,
        "no_loan": np.zeros(n, dtype=int),
        "reasons": [("r1",)] * n,
    }.get(col, np.arange(n))


@st.composite
def outputs(draw) -> Any:
    kind = draw(st.sampled_from(["frame"] * 6 + ["none", "dict", "series", "array", "list"]))
    n = N + draw(st.sampled_from([0, 0, 0, 0, -1, 1, -N]))
    if kind == "none":
        return None
    if kind == "array":
        return np.zeros((n, 2))
    if kind == "list":
        return [{"score": 1.0, "tier": "A"}] * n
    if kind == "series":
        return pd.Series(np.zeros(n), name="score")
    names = draw(st.lists(st.sampled_from(["score", "tier", "ban", "no_loan", "reasons", "extra", 0, None]), max_size=7))
    columns = []
    for name in names:
        how = draw(st.sampled_from(["good", "good", "cells", "categorical", "constant"]))
        if how == "good":
            values = _good(str(name), n)
        elif how == "categorical":
            values = pd.Categorical(draw(st.lists(st.sampled_from(["A", "B", "C", "Z"]), min_size=n, max_size=n)))
        elif how == "constant":
            values = [draw(_cells)] * n
        else:
            values = draw(st.lists(_cells, min_size=n, max_size=n))
        columns.append((name, values))
    if kind == "dict":
        return {name: values for name, values in columns}
    frame = pd.DataFrame({i: values for i, (_, values) in enumerate(columns)}, index=range(n))
    frame.columns = [name for name, _ in columns] if columns else frame.columns
    if draw(st.booleans()) and n:
        frame.index = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return frame


def _assert_canonical(frame: pd.DataFrame, scorer: Any) -> None:
    assert len(frame) == N
    assert frame["score"].dtype == np.float64 and np.isfinite(frame["score"].to_numpy()).all()
    assert list(frame["tier"].cat.categories) == list(scorer.tiers) and not frame["tier"].isna().any()
    for s in scorer.sanctions:
        assert frame[s].dtype == bool
    assert set(frame.columns) <= {"score", "tier", "reasons", *scorer.sanctions}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outputs())
def test_validate_score_frame_gives_a_canonical_frame_or_a_contract_error(output):
    scorer = Declared()
    try:
        frame = validate_score_frame(scorer, output, VIEW)
    except ScorerContractError as exc:
        assert "'fuzzed'" in str(exc)
        return
    _assert_canonical(frame, scorer)


_declaration_values = st.one_of(
    st.none(),
    st.text(max_size=4),
    st.integers(),
    st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), max_size=4),
    st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["A", "B", "C"])),
    st.frozensets(st.sampled_from(["A", "B", "C", "D"]), max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), st.one_of(st.sampled_from(["travel", "finance", "moon"]), st.integers()), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={"name": _declaration_values, "tiers": _declaration_values,
                  "favourable_tiers": _declaration_values, "sanctions": _declaration_values},
    )
)
def test_validate_declarations_accepts_or_names_the_problem(overrides):
    scorer = type("Fuzzed", (Declared,), overrides)()
    try:
        validate_declarations(scorer)
    except ScorerContractError:
        return
    assert isinstance(scorer.name, str) and scorer.name
    assert len(set(scorer.tiers)) == len(scorer.tiers) > 0
    assert set(scorer.favourable_tiers) <= set(scorer.tiers)
    assert all(isinstance(d, str) for d in scorer.sanctions.values())


class _Returns(Plain):
    """A scorer that returns a fixed (fuzzed) object."""

    name = "returns"
    tiers = ("A", "B", "C")
    favourable_tiers = frozenset({"A"})
    sanctions = {"ban": "travel", "no_loan": "finance"}

    def __init__(self, output: Any) -> None:
        self.output = output

    def score(self, view, *, as_of):
        return self.output


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outputs())
def test_a_run_reports_any_bad_output_and_completes_the_others(output):
    result = run(
        [Plain(), _Returns(output)],
        RunConfig(population=POPULATION, options=AuditOptions(bootstrap=0, probe_size=0)),
        audits=[DisparityAudit()],
    )
    plain, fuzzed = result.runs
    assert plain.error is None
    try:
        validate_score_frame(_Returns(output), output, VIEW)
    except AuditError:
        assert fuzzed.error is not None and "'returns'" in fuzzed.error
    else:
        assert fuzzed.error is None
    json.dumps(results_document(result), allow_nan=False)  # the results file can always be written


BROKEN = {
    "no tiers": {"tiers": None},
    "string tiers": {"tiers": "AB"},
    "duplicate tiers": {"tiers": ("good", "good")},
    "favourable not declared": {"favourable_tiers": frozenset({"excellent"})},
    "favourable None": {"favourable_tiers": None},
    "sanctions a list": {"sanctions": ["no_train"]},
    "unknown domain": {"sanctions": {"no_train": "moon"}},
    "sanction named score": {"sanctions": {"score": "travel"}},
    "name not a string": {"name": 42},
    "empty name": {"name": ""},
    "name raises": {"name": property(lambda self: 1 / 0)},
}


def test_broken_declarations_fail_the_scorer_not_the_run():
    broken = [type("Broken", (Plain,), overrides)() for overrides in BROKEN.values()]
    result = run([*broken, Plain()], RunConfig(population=POPULATION, options=AuditOptions(bootstrap=0)),
                 audits=[DisparityAudit()])
    assert len(result.failed) == len(BROKEN)
    assert all("ScorerContractError" in r.error for r in result.failed)
    assert result.runs[-1].error is None
    doc = results_document(result)
    for entry in doc["scorers"][:-1]:
        assert entry["status"] == "failed"
        assert isinstance(entry["tiers"], list) and isinstance(entry["sanctions"], dict)
    json.dumps(doc, allow_nan=False)
    render_run_summary(doc)  # the terminal summary copes too
