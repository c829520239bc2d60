"""A run's results: ``results.json``, its typed model, its JSON Schema and the checked loader.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.results.document import SCHEMA_VERSION, results_document, write_results
    from audit.results.load import load_published, load_results
    from audit.results.model import PublishedDocument, ResultsDocument
    from audit.results.schema import load_schema

_EXPORTS = {
    "SCHEMA_VERSION": "audit.results.document",
    "results_document": "audit.results.document",
    "write_results": "audit.results.document",
    "PublishedDocument": "audit.results.model",
    "ResultsDocument": "audit.results.model",
    "load_published": "audit.results.load",
    "load_results": "audit.results.load",
    "load_schema": "audit.results.schema",
}

__all__ = [
    "SCHEMA_VERSION",
    "PublishedDocument",
    "ResultsDocument",
    "load_published",
    "load_results",
    "load_schema",
    "results_document",
    "write_results",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
