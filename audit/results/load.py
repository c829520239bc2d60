"""Read ``results.json`` and ``published.json`` back as the typed model, refusing files of another shape.

:func:`load_results` and :func:`load_published` parse a file, check its
``schema_version`` and then its whole shape against the JSON Schema shipped
with the package (:mod:`audit.results.schema`, generated from the model), and
return it as a :class:`~audit.results.model.ResultsDocument` or
:class:`~audit.results.model.PublishedDocument`. A file that is not such a
document raises :class:`~audit.errors.InvalidDocument` naming the file, the
JSON pointer (RFC 6901) of the first problem and the fix, so a report is never
built, half-written, from a file it would misread.

The check walks only the parts of JSON Schema the generator writes (``type``,
``const``, ``enum``, ``anyOf``, ``$ref``, ``properties``, ``required``,
``additionalProperties``, ``patternProperties``, ``items``, ``minItems``,
``maxItems``): the package needs no JSON Schema library at run time, and the
test suite checks the same files with ``jsonschema`` itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, cast

from audit.errors import InvalidDocument
from audit.results.model.published import PUBLISHED_SCHEMA_VERSION, PublishedDocument
from audit.results.model.run import RESULTS_SCHEMA_VERSION, ResultsDocument
from audit.results.schema import load_schema

__all__ = ["document_problem", "json_pointer", "load_published", "load_results", "published_from", "read_json",
           "results_from"]

DocumentName = Literal["results", "published"]

_VERSIONS: dict[str, int] = {"results": RESULTS_SCHEMA_VERSION, "published": PUBLISHED_SCHEMA_VERSION}
#: What rewrites each document.
_REWRITE = {
    "results": "re-run `scs-audit run --out DIR` with this version to write it again",
    "published": "re-run `scs-audit run --out DIR --epsilon ...` with this version to publish it again, "
                 "or remove published.json to report the exact results alone",
}


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; :class:`InvalidDocument` when it is not JSON, not UTF-8 or not an object."""
    name = "published" if path.name.startswith("published") else "results"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidDocument(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); {_REWRITE[name]}") from None
    except UnicodeDecodeError:
        raise InvalidDocument(f"{path}: not UTF-8 text; {_REWRITE[name]}") from None
    if not isinstance(data, dict):
        raise InvalidDocument(f"{path}: expected a JSON object at the top, found {type(data).__name__}; {_REWRITE[name]}")
    return data


def load_results(path: str | Path) -> ResultsDocument:
    """``results.json`` at ``path`` as the typed model (checked: version and shape)."""
    return results_from(read_json(Path(path)), source=str(path))


def load_published(path: str | Path) -> PublishedDocument:
    """``published.json`` at ``path`` as the typed model (checked: version and shape)."""
    return published_from(read_json(Path(path)), source=str(path))


def results_from(data: Any, *, source: str) -> ResultsDocument:
    """``data`` as a :class:`ResultsDocument` once checked; ``source`` names it in the error."""
    _check(data, "results", source)
    return cast(ResultsDocument, data)


def published_from(data: Any, *, source: str) -> PublishedDocument:
    """``data`` as a :class:`PublishedDocument` once checked; ``source`` names it in the error."""
    _check(data, "published", source)
    return cast(PublishedDocument, data)


def _check(data: Any, name: DocumentName, source: str) -> None:
    problem = document_problem(data, name)
    if problem is not None:
        where, what = problem
        raise InvalidDocument(f"{source}: not a {name}.json this version of scs-audit reads: at {where or '/'} "
                              f"{what}; {_REWRITE[name]}")


def document_problem(data: Any, name: DocumentName) -> tuple[str, str] | None:
    """The first problem of ``data`` as the document ``name``: ``(JSON pointer, what is wrong)``, or ``None``.

    ``schema_version`` is checked first, so a file of another version is named as such rather than by the
    first key that moved.
    """
    want = _VERSIONS[name]
    if not isinstance(data, dict):
        return "", f"expected an object, found {_json_type(data)}"
    if "schema_version" not in data:
        return "/schema_version", "the key is missing (a file without it is not a scs-audit document)"
    got = data["schema_version"]
    if got != want or isinstance(got, bool):
        return "/schema_version", f"schema_version is {json.dumps(got)}; this version reads {want}"
    schema = load_schema(name)
    return next(_problems(data, schema, schema["$defs"], ()), None)


def json_pointer(path: Sequence[Any]) -> str:
    """The JSON pointer (RFC 6901) of ``path``: ``("a", 0, "b/c")`` -> ``/a/0/b~1c``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    raise ValueError(f"JSON Schema type {kind!r} is not one the model generates")


def _problems(value: Any, schema: dict[str, Any], defs: dict[str, Any],
              path: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    """Every problem of ``value`` against ``schema`` (the generator's subset of JSON Schema), in document order."""
    if "$ref" in schema:
        yield from _problems(value, defs[schema["$ref"].rsplit("/", 1)[1]], defs, path)
        return
    if "anyOf" in schema:
        branches = [list(_problems(value, s, defs, path)) for s in schema["anyOf"]]
        if any(not b for b in branches):
            return
        # the branch that got furthest into the value explains best what was meant
        yield max((b[0] for b in branches), key=lambda p: p[0].count("/"))
        return
    if "const" in schema and value != schema["const"]:
        yield json_pointer(path), f"expected {json.dumps(schema['const'])}, found {json.dumps(value)}"
        return
    if "enum" in schema and value not in schema["enum"]:
        yield json_pointer(path), f"expected one of {', '.join(json.dumps(e) for e in schema['enum'])}, found {json.dumps(value)}"
        return
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is_type(value, k) for k in kinds):
            yield json_pointer(path), f"expected {' or '.join(kinds)}, found {_json_type(value)}"
            return
    if isinstance(value, dict) and ("properties" in schema or "additionalProperties" in schema):
        yield from _object_problems(value, schema, defs, path)
    if isinstance(value, list):
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        if lo is not None and len(value) < lo or hi is not None and len(value) > hi:
            yield json_pointer(path), f"expected {lo if lo == hi else f'{lo} to {hi}'} items, found {len(value)}"
            return
        if "items" in schema:
            for i, item in enumerate(value):
                yield from _problems(item, schema["items"], defs, (*path, i))


def _object_problems(value: dict[str, Any], schema: dict[str, Any], defs: dict[str, Any],
                     path: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    props: dict[str, Any] = schema.get("properties", {})
    for key in schema.get("required", ()):
        if key not in value:
            yield json_pointer((*path, key)), "a required key is missing"
    patterns = [(re.compile(p), s) for p, s in schema.get("patternProperties", {}).items()]
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in props:
            yield from _problems(item, props[key], defs, (*path, key))
            continue
        matched = [s for p, s in patterns if p.search(key)]
        for sub in matched:
            yield from _problems(item, sub, defs, (*path, key))
        if matched:
            continue
        if extra is False:
            yield json_pointer((*path, key)), "this key is not part of the document"
        elif isinstance(extra, dict):
            yield from _problems(item, extra, defs, (*path, key))
