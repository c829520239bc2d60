"""A run's results: ``results.json`` and the terminal summary.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.results.document import SCHEMA_VERSION, results_document, write_results
    from audit.results.summary import print_summary, render_summary

_EXPORTS = {
    "SCHEMA_VERSION": "audit.results.document",
    "results_document": "audit.results.document",
    "write_results": "audit.results.document",
    "print_summary": "audit.results.summary",
    "render_summary": "audit.results.summary",
}

__all__ = [
    "SCHEMA_VERSION",
    "print_summary",
    "render_summary",
    "results_document",
    "write_results",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
