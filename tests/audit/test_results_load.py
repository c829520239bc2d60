"""Reading results.json and published.json back as the typed model: a file of another shape is refused.

:mod:`audit.results.load` checks a document without a JSON Schema library; these tests
hold it to ``jsonschema`` itself on the shipped schema: the committed example passes both,
and for each broken copy the first problem it names is at the place ``jsonschema`` puts
its deepest error. ``scs-audit report`` on such a file exits 2 naming the file, the JSON
pointer and the fix, and writes nothing.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from audit.cli.commands import main
from audit.errors import InvalidDocument
from audit.results.load import document_problem, load_published, load_results, results_from
from audit.results.schema import load_schema

EXAMPLE = Path(__file__).resolve().parents[2] / "reports" / "example"


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLE / f"{name}.json").read_text(encoding="utf-8"))


def _jsonschema_pointers(name: str, document: Any) -> set[str]:
    """Where ``jsonschema`` finds errors, each at its deepest alternative (as the loader reports unions)."""
    found = set()
    for error in Draft202012Validator(load_schema(name)).iter_errors(document):
        while error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
        where = "".join(f"/{p}" for p in error.absolute_path)
        if error.validator == "required":  # jsonschema puts a missing key at its object, naming it in the message
            where += "/" + re.match(r"'(.+)' is a required property", error.message).group(1)
        elif error.validator == "additionalProperties":  # likewise an unknown key: "('colour' was unexpected)"
            where += "/" + re.search(r"\('(.+)' was unexpected\)", error.message).group(1)
        found.add(where)
    return found


def test_the_example_documents_load_as_the_typed_model():
    results = load_results(EXAMPLE / "results.json")
    published = load_published(EXAMPLE / "published.json")
    assert results["scorers"][0]["label"] == _example("results")["scorers"][0]["label"]
    assert published["scorers"][0]["epsilon"] == _example("published")["scorers"][0]["epsilon"]
    assert document_problem(_example("results"), "results") is None
    assert _jsonschema_pointers("results", _example("results")) == set()


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _delete(doc: dict[str, Any], path: tuple[Any, ...]) -> None:
    node = doc
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]


BREAKS = [
    ("a count as text", ("scorers", 0, "disparity", "education", "groups", 1, "n"), "12", None),
    ("a missing label", ("scorers", 1, "label"), None, "delete"),
    ("an interval of one bound", ("scorers", 0, "appeal", "by_education", 0, "remedy_rate_ci"), [0.5], None),
    ("an unknown population key", ("population", "colour"), "blue", None),
    ("a rate as a boolean", ("scorers", 0, "disparity", "income_quintile", "groups", 0, "favourable_rate"), True, None),
    ("a scorer status outside the enum", ("scorers", 0, "status"), "maybe", None),
]


@pytest.mark.parametrize("what, path, value, action", BREAKS, ids=[b[0] for b in BREAKS])
def test_the_first_problem_is_where_jsonschema_finds_it(what, path, value, action):
    doc = copy.deepcopy(_example("results"))
    _delete(doc, path) if action == "delete" else _set(doc, path, value)
    problem = document_problem(doc, "results")
    assert problem is not None, what
    expected = "".join(f"/{p}" for p in path)
    assert problem[0] == expected
    assert expected in _jsonschema_pointers("results", doc)


def test_another_schema_version_is_named_before_any_moved_key():
    doc = copy.deepcopy(_example("results"))
    doc["schema_version"] = 2
    del doc["scorers"]
    with pytest.raises(InvalidDocument) as caught:
        results_from(doc, source="old/results.json")
    message = str(caught.value)
    assert message.startswith("old/results.json: ")
    assert "/schema_version" in message and "schema_version is 2; this version reads 1" in message
    assert "re-run `scs-audit run --out DIR`" in message


def test_report_of_a_file_of_another_shape_exits_2_and_writes_nothing(tmp_path, capsys):
    shutil.copy(EXAMPLE / "published.json", tmp_path / "published.json")
    doc = _example("results")
    doc["scorers"][0]["disparity"]["education"]["groups"] = {"not": "a list"}
    (tmp_path / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "results.json") in err
    assert "at /scorers/0/disparity/education/groups expected array, found an object" in err
    assert "re-run `scs-audit run --out DIR`" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published.json", "results.json"]


def test_a_broken_published_file_is_named_too(tmp_path, capsys):
    shutil.copy(EXAMPLE / "results.json", tmp_path / "results.json")
    doc = _example("published")
    del doc["scorers"][0]["epsilon"]
    (tmp_path / "published.json").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "published.json") in err and "at /scorers/0/epsilon a required key is missing" in err
    assert "remove published.json" in err
    assert not (tmp_path / "report.html").exists()
