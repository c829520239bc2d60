"""The typed result model and its JSON Schema: generated from one another, checked against real documents.

The schema is generated from the TypedDicts (:mod:`audit.results.schema`); these
tests check that the shipped files are that generation, that every record's keys
and required keys are the model's, that the committed example and fresh runs
(synthetic with a release; supplied data with a failing scorer and no intervals)
validate, and that the schema rejects what it must (a missing required key, a
wrong type, a key the model does not know).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, is_typeddict

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from audit.cli.commands import main
from audit.population.model import synthesize
from audit.results.model import common, disparity, dynamics, observed, published, replay, run
from audit.results.schema import DOCUMENTS, load_schema, record_keys, schema_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "reports" / "example"
MODEL_MODULES = (common, disparity, observed, dynamics, replay, run, published)


def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(name: str, document: Any) -> list[str]:
    """Each error at its most specific place: inside a union (a replay section or its not-applicable
    record), the alternative's error deepest in the document (the one that got furthest) says what is wrong."""
    found = []
    for error in _validator(name).iter_errors(document):
        while error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
        found.append(f"{'/'.join(map(str, error.absolute_path))}: {error.message}")
    return found


def _records() -> dict[str, type]:
    return {
        name: obj
        for module in MODEL_MODULES
        for name, obj in vars(module).items()
        if is_typeddict(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
    }  # a private record is a base whose keys its public records inherit; it is no record of its own


# ----------------------------------------------------------------------------- model <-> schema


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_shipped_schema_is_generated_from_the_model(name):
    shipped = (ROOT / "audit" / "results" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(name), "the model changed: regenerate with `python -m audit.results.schema`"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_schema_is_draft_2020_12_with_the_documents_schema_version(name):
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema_version"] == {"const": DOCUMENTS[name][1]}


def test_every_record_of_the_model_is_in_a_schema():
    defined = set()
    for name in DOCUMENTS:
        schema = load_schema(name)
        defined |= set(schema["$defs"]) | {DOCUMENTS[name][0].__name__}
    records = _records()
    assert set(records) <= defined, f"records no document reaches: {sorted(set(records) - defined)}"


def test_typeddict_keys_and_schema_properties_agree():
    """Each record's keys, required keys and openness are exactly those of its schema definition."""
    records = _records()
    checked = 0
    for name in DOCUMENTS:
        schema = load_schema(name)
        top = DOCUMENTS[name][0].__name__
        definitions = {**schema["$defs"], top: schema}
        for record_name, definition in definitions.items():
            record = records[record_name]
            keys, required = record_keys(record)
            assert list(definition["properties"]) == list(keys), record_name
            assert set(definition["required"]) == set(required), record_name
            closed = record not in common.EXTRA_ITEMS
            assert (definition["additionalProperties"] is False) == closed, record_name
            assert ("patternProperties" in definition) == (record in common.KEY_PATTERNS), record_name
            checked += 1
    # every TypedDict of the model, counted once per document that reaches it
    assert checked >= len(records)


def test_keys_the_model_marks_optional_are_not_required():
    keys, required = record_keys(replay.AppealSection)
    assert "available" in required
    assert "overall" in keys and "overall" not in required
    keys, required = record_keys(run.ScorerEntry)
    assert {"label", "status"} <= required and "error" not in required


def test_an_unsupported_type_is_refused_with_the_fix():
    from typing import TypedDict

    class Odd(TypedDict):
        when: set[int]

    from audit.results.schema import _Builder

    with pytest.raises(TypeError, match="no JSON Schema mapping"):
        _Builder().record(Odd)


def test_attribute_section_reads_an_audited_attribute_and_names_the_others():
    document = json.loads((EXAMPLE / "results.json").read_text())
    section = document["scorers"][0]["disparity"]
    assert disparity.attribute_section(section, "education") is section["education"]
    with pytest.raises(KeyError, match="audited: income_quintile, education"):
        disparity.attribute_section(section, "race")


# ----------------------------------------------------------------------------- documents validate


@pytest.fixture(scope="module")
def example_results() -> dict[str, Any]:
    return json.loads((EXAMPLE / "results.json").read_text())


def test_committed_example_documents_validate(example_results):
    assert _errors("results", example_results) == []
    assert _errors("published", json.loads((EXAMPLE / "published.json").read_text())) == []


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    status = main(["run", "--population", "tiny", "--size", "3000", "--seed", "5", "--epsilon", "1",
                   "--bootstrap", "20", "--replay-sample", "200", "--out", str(out), "--quiet"])
    assert status == 0
    return out


def test_a_fresh_synthetic_run_and_its_release_validate(synthetic_run):
    results = json.loads((synthetic_run / "results.json").read_text())
    assert _errors("results", results) == []
    assert _errors("published", json.loads((synthetic_run / "published.json").read_text())) == []
    assert {s["status"] for s in results["scorers"]} == {"ok"}


@pytest.fixture(scope="module")
def supplied_run(tmp_path_factory) -> Path:
    """A supplied population (no ground truth), a scorer that raises, and no intervals."""
    folder = tmp_path_factory.mktemp("supplied")
    pop = synthesize("tiny", size=1500, seed=3)
    pop.people.drop(columns="reliability").to_csv(folder / "people.csv", index=False)
    pop.events.drop(columns="genuine").to_csv(folder / "events.csv", index=False)
    pop.ties.to_csv(folder / "ties.csv", index=False)
    out = folder / "out"
    status = main(["run", "--population", str(folder / "people.csv"), "--events", str(folder / "events.csv"),
                   "--ties", str(folder / "ties.csv"), "--horizon-months", str(pop.horizon_months),
                   "--scorer", "suining", "--scorer", "tests.audit.faulty_scorers:Raises",
                   "--bootstrap", "0", "--replay-sample", "100", "--out", str(out), "--quiet"])
    assert status == 1  # a scorer failed; the others ran
    return out


def test_a_supplied_run_with_a_failed_scorer_validates(supplied_run):
    results = json.loads((supplied_run / "results.json").read_text())
    assert _errors("results", results) == []
    assert results["population"]["synthetic"] is False
    statuses = {s["label"]: s["status"] for s in results["scorers"]}
    assert statuses["suining"] == "ok" and "failed" in statuses.values()
    ok = next(s for s in results["scorers"] if s["status"] == "ok")
    assert ok["appeal"]["available"] is False  # no ground truth in a supplied file
    assert ok["disparity"]["ground_truth"] is None


@pytest.fixture(scope="module")
def deployed_run(tmp_path_factory) -> Path:
    """A deployed system's file: only person_id and its own attributes, a score column and an outcome."""
    folder = tmp_path_factory.mktemp("deployed")
    rng = np.random.default_rng(5)
    n = 1200
    pd.DataFrame({
        "person_id": np.arange(1, n + 1),
        "race": rng.choice(["A", "B", "C"], n),
        "sex": rng.choice(["Male", "Female"], n),
        "decile_score": rng.integers(1, 11, n),
        "two_year_recid": rng.integers(0, 2, n),
    }).to_csv(folder / "people.csv", index=False)
    out = folder / "out"
    status = main(["run", "--population", str(folder / "people.csv"), "--by", "race", "--by", "sex",
                   "--score-column", "decile_score", "--adverse-from", "5", "--outcome", "two_year_recid",
                   "--bootstrap", "0", "--out", str(out), "--quiet"])
    assert status == 0
    return out


def test_a_deployed_systems_file_validates(deployed_run):
    results = json.loads((deployed_run / "results.json").read_text())
    assert _errors("results", results) == []
    population = results["population"]
    assert population["score_column"] == "decile_score" and population["outcome_column"] == "two_year_recid"
    (entry,) = results["scorers"]
    for section in ("appeal", "reversibility", "spillover", "contagion"):
        assert entry[section]["applicable"] is False  # no rules to re-run: the not-applicable record


def test_a_replay_section_is_either_complete_or_not_applicable(deployed_run):
    results = json.loads((deployed_run / "results.json").read_text())
    half = dict(results["scorers"][0]["reversibility"], applicable=True)  # claims to apply, holds no figures
    results["scorers"][0]["reversibility"] = half
    assert _errors("results", results)


# ----------------------------------------------------------------------------- the schema rejects


def _first_group(document: dict[str, Any]) -> dict[str, Any]:
    return document["scorers"][0]["disparity"]["education"]["groups"][0]


def test_schema_rejects_a_missing_required_key(example_results):
    document = copy.deepcopy(example_results)
    del _first_group(document)["impact_ratio"]
    errors = _errors("results", document)
    assert len(errors) == 1 and "'impact_ratio' is a required property" in errors[0]


def test_schema_rejects_a_wrong_type(example_results):
    document = copy.deepcopy(example_results)
    _first_group(document)["n"] = "3978"
    errors = _errors("results", document)
    assert len(errors) == 1 and errors[0].startswith("scorers/0/disparity/education/groups/0/n:")


def test_schema_rejects_a_key_the_model_does_not_know(example_results):
    document = copy.deepcopy(example_results)
    document["scorers"][0]["reversibility"]["recovery"]["curve"][0]["share"] = 0.5
    errors = _errors("results", document)
    assert len(errors) == 1 and "'share' was unexpected" in errors[0]


def test_schema_rejects_a_wrong_schema_version(example_results):
    document = copy.deepcopy(example_results)
    document["schema_version"] = 99
    assert len(_errors("results", document)) == 1


def test_schema_rejects_a_published_figure_without_its_ledger_entries():
    document = json.loads((EXAMPLE / "published.json").read_text())
    del document["scorers"][0]["groups"]["total"]["ledger_entries"]
    errors = _errors("published", document)
    assert len(errors) == 1 and "'ledger_entries' is a required property" in errors[0]


def test_keys_named_by_the_data_are_typed_too(example_results):
    """An attribute's section under its own key and a ``by_<attribute>`` list are checked, not waved through."""
    document = copy.deepcopy(example_results)
    appeal = document["scorers"][0]["appeal"]
    appeal["by_race"] = copy.deepcopy(appeal["by_education"])  # a supplied file's attribute: allowed
    assert _errors("results", document) == []
    appeal["by_race"][0]["filed"] = None
    document["scorers"][0]["disparity"]["education"]["eligible_groups"] = "four"
    errors = _errors("results", document)
    assert sorted(e.split(":")[0] for e in errors) == [
        "scorers/0/appeal/by_race/0/filed",
        "scorers/0/disparity/education/eligible_groups",
    ]


def test_interval_has_two_bounds(example_results):
    document = copy.deepcopy(example_results)
    _first_group(document)["favourable_rate_ci"] = [0.1]
    errors = _errors("results", document)
    assert len(errors) == 1 and errors[0].startswith("scorers/0/disparity/education/groups/0/favourable_rate_ci:")


def test_a_dynamics_section_and_a_failed_one_validate(example_results):
    """A simulation that ran and one that failed are each a record the schema knows, down to the yearly figures."""
    from audit.dynamics import dynamics_section, simulate
    from tests.audit.dynamics.scorers_for_dynamics import Tally

    document = copy.deepcopy(example_results)
    ran = dynamics_section(simulate(Tally(), "tiny", size=600, seed=0, years=1))
    document["scorers"][0]["dynamics"] = json.loads(json.dumps(ran))
    assert _errors("results", document) == []
    document["scorers"][0]["dynamics"]["by"]["education"]["years"][0]["gap"] = "wide"
    assert [e.split(":")[0] for e in _errors("results", document)] == ["scorers/0/dynamics/by/education/years/0/gap"]
    failed = {key: value for key, value in ran.items() if key in dynamics.DynamicsFailed.__annotations__}
    document["scorers"][0]["dynamics"] = json.loads(json.dumps({**failed, "status": "failed", "error": "it broke"}))
    assert _errors("results", document) == []


def test_an_observed_outcome_section_is_typed(deployed_run):
    """The deployed file's observed outcome (a decision, so error rates) validates; a rate of the wrong type does not."""
    results = json.loads((deployed_run / "results.json").read_text())
    section = results["scorers"][0]["observed_outcome"]
    assert section["available"] is True and section["attributes"] == ["race", "sex", "race×sex"]
    assert _errors("results", results) == []
    section["race"]["groups"][0]["false_positive_rate"] = "high"
    assert [e.split(":")[0] for e in _errors("results", results)] == [
        "scorers/0/observed_outcome/race/groups/0/false_positive_rate"]
