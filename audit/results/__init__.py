"""A run's results: ``results.json``, its typed model and JSON Schema, and the terminal summary.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.results.document import SCHEMA_VERSION, results_document, write_results
    from audit.results.model import PublishedDocument, ResultsDocument
    from audit.results.schema import load_schema
    from audit.results.summary import print_summary, render_summary

_EXPORTS = {
    "SCHEMA_VERSION": "audit.results.document",
    "results_document": "audit.results.document",
    "write_results": "audit.results.document",
    "PublishedDocument": "audit.results.model",
    "ResultsDocument": "audit.results.model",
    "load_schema": "audit.results.schema",
    "print_summary": "audit.results.summary",
    "render_summary": "audit.results.summary",
}

__all__ = [
    "SCHEMA_VERSION",
    "PublishedDocument",
    "ResultsDocument",
    "load_schema",
    "print_summary",
    "render_summary",
    "results_document",
    "write_results",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
