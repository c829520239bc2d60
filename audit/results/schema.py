"""JSON Schema (draft 2020-12) of ``results.json`` and ``published.json``, generated from the typed model.

The schema is not written by hand: :func:`document_schema` walks the
``TypedDict`` classes of :mod:`audit.results.model` (their keys, which are
required, their value types and docstrings, plus the declared extra keys and
key patterns) and writes one ``$defs`` entry per class. Records are closed
(``additionalProperties: false``) unless the model declares keys named by the
data, so a key the code writes but the model lacks fails validation, and a
model key the code stops writing fails too when it is required.

The generated schemas ship as package data in ``audit/results/schemas/``;
``python -m audit.results.schema`` writes them again after the model changes
(``--check`` only compares), and the test suite fails while they differ.
"""

import argparse
import inspect
import json
import sys
import types
from importlib import resources
from pathlib import Path
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from audit.results.model.common import EXTRA_ITEMS, KEY_PATTERNS, Length
from audit.results.model.published import PUBLISHED_SCHEMA_VERSION, PublishedDocument
from audit.results.model.run import RESULTS_SCHEMA_VERSION, ResultsDocument

__all__ = ["DOCUMENTS", "SCHEMA_DIALECT", "document_schema", "load_schema", "main", "record_keys", "schema_text"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Document name -> (its TypedDict, its schema_version, its title).
DOCUMENTS: dict[str, tuple[type, int, str]] = {
    "results": (ResultsDocument, RESULTS_SCHEMA_VERSION, "scs-audit results.json (exact, private)"),
    "published": (PublishedDocument, PUBLISHED_SCHEMA_VERSION, "scs-audit published.json (differentially private)"),
}

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def record_keys(record: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A TypedDict's keys with their value types (``NotRequired`` unwrapped) and its required keys."""
    hints = get_type_hints(record, include_extras=True)
    keys = {}
    for name, hint in hints.items():
        while get_origin(hint) in (NotRequired, Required):
            hint = get_args(hint)[0]
        keys[name] = hint
    return keys, frozenset(record.__required_keys__)  # type: ignore[attr-defined]


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, type] = {}

    def schema(self, tp: Any) -> dict[str, Any]:
        if tp is Any:
            return {}
        if tp in _SCALARS:
            return {"type": _SCALARS[tp]}
        if is_typeddict(tp):
            return self.record(tp)
        origin = get_origin(tp)
        args = get_args(tp)
        if origin is Annotated:
            out = self.schema(args[0])
            for meta in tp.__metadata__:
                if isinstance(meta, Length):
                    out |= {"minItems": meta.min_items, "maxItems": meta.max_items}
            return out
        if origin is Literal:
            return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
        if origin in (Union, types.UnionType):
            return self.union([self.schema(a) for a in args])
        if origin is list:
            return {"type": "array", "items": self.schema(args[0])}
        if origin is dict:
            if args[0] is not str:
                raise TypeError(f"{tp}: JSON object keys are strings; use dict[str, ...]")
            return {"type": "object", "additionalProperties": self.schema(args[1])}
        raise TypeError(f"{tp!r} has no JSON Schema mapping; use a TypedDict, list, dict[str, ...], a union, "
                        "Literal or a JSON scalar type")

    @staticmethod
    def union(parts: list[dict[str, Any]]) -> dict[str, Any]:
        if all(set(p) == {"type"} and isinstance(p["type"], str) for p in parts):
            return {"type": [p["type"] for p in parts]}
        return {"anyOf": parts}

    def record(self, record: type) -> dict[str, Any]:
        name = record.__name__
        if name in self.owners:
            if self.owners[name] is not record:
                raise TypeError(f"two records are named {name}: {self.owners[name].__module__} and {record.__module__}")
            return {"$ref": f"#/$defs/{name}"}
        self.owners[name] = record
        self.defs[name] = {}  # reserved before recursing
        keys, required = record_keys(record)
        out: dict[str, Any] = {"type": "object", "description": inspect.cleandoc(record.__doc__ or name)}
        out["properties"] = {key: self.schema(hint) for key, hint in keys.items()}
        out["required"] = [key for key in keys if key in required]
        if record in KEY_PATTERNS:
            pattern, value = KEY_PATTERNS[record]
            out["patternProperties"] = {pattern: self.schema(value)}
        out["additionalProperties"] = self.schema(EXTRA_ITEMS[record]) if record in EXTRA_ITEMS else False
        self.defs[name] = out
        return {"$ref": f"#/$defs/{name}"}


def document_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of the document ``name`` (``"results"`` or ``"published"``), from the model."""
    if name not in DOCUMENTS:
        raise ValueError(f"document {name!r}: give one of {', '.join(map(repr, DOCUMENTS))}")
    record, version, title = DOCUMENTS[name]
    builder = _Builder()
    builder.record(record)
    top = dict(builder.defs.pop(record.__name__))
    top["properties"] = dict(top["properties"], schema_version={"const": version})
    return {
        "$schema": SCHEMA_DIALECT,
        "title": title,
        "$comment": (f"schema_version {version}; generated from audit.results.model by "
                     "`python -m audit.results.schema`; do not edit by hand"),
        **top,
        "$defs": dict(sorted(builder.defs.items())),
    }


def schema_text(name: str) -> str:
    """The schema of ``name`` as the shipped file holds it (indented JSON, newline at the end)."""
    return json.dumps(document_schema(name), indent=2, ensure_ascii=False) + "\n"


def load_schema(name: str) -> dict[str, Any]:
    """The shipped schema of ``name`` (``"results"`` or ``"published"``), read from the package data."""
    if name not in DOCUMENTS:
        raise ValueError(f"document {name!r}: give one of {', '.join(map(repr, DOCUMENTS))}")
    text = resources.files("audit.results").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def main(argv: list[str] | None = None) -> int:
    """Write the shipped schemas from the model (``--check``: only report which differ; exit 1 if any)."""
    parser = argparse.ArgumentParser(prog="python -m audit.results.schema", description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when a shipped schema differs")
    args = parser.parse_args(argv)
    folder = Path(__file__).parent / "schemas"
    stale = []
    for name in DOCUMENTS:
        path = folder / f"{name}.schema.json"
        text = schema_text(name)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            folder.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'differs' if args.check else 'wrote'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
