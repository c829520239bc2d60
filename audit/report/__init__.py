"""Reports people read: HTML and Markdown from results.json (and published.json), and scorer comparisons.

``write_report(directory)`` reads ``results.json`` (and ``published.json``
when present) from a run's output directory and writes ``report.html`` and
``report.md`` beside them, atomically; ``scs-audit report DIR`` calls it, so a
report can be re-rendered without re-running the audit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from audit.errors import InvalidArgument
from audit.report.build import build_report
from audit.report.findings import build_findings
from audit.report.html import render_html
from audit.report.markdown import render_markdown
from audit.report.model import Finding, Report

__all__ = [
    "REPORT_FILES",
    "Finding",
    "Report",
    "build_findings",
    "build_report",
    "read_documents",
    "render_html",
    "render_markdown",
    "run_documents",
    "write_report",
    "write_run_report",
]

#: Files a report writes into a run's directory.
REPORT_FILES = ("report.html", "report.md")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); re-run `scs-audit run` to rewrite it") from None
    except UnicodeDecodeError:
        raise InvalidArgument(f"{path}: not UTF-8 text; re-run `scs-audit run` to rewrite it") from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"{path}: expected a JSON object at the top, found {type(data).__name__}; re-run `scs-audit run`")
    return data


def read_documents(directory: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(results, published or None)`` from a run's output directory."""
    directory = Path(directory)
    results = directory / "results.json"
    if not results.is_file():
        raise InvalidArgument(f"{directory}: no results.json here; run `scs-audit run --out {directory}` first")
    published = directory / "published.json"
    return _read_json(results), (_read_json(published) if published.is_file() else None)


def write_report(directory: str | Path, results: dict[str, Any] | None = None,
                 published: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` into ``directory`` (atomically); returns their paths.

    Without ``results``, the documents are read from the directory.
    """
    from audit.output.artefacts import atomic_write_text, exact_artefact_mode

    directory = Path(directory)
    if results is None:
        results, published = read_documents(directory)
    mode = exact_artefact_mode(results)  # exact figures about real people: user-only
    report = build_report(results, published)
    if published is not None:
        report.extra["published"] = True
    html = atomic_write_text(directory / "report.html", render_html(report), mode=mode)
    md = atomic_write_text(directory / "report.md", render_markdown(report), mode=mode)
    return html, md


def _pending_document(path: Path) -> dict[str, Any] | None:
    """A JSON artefact as the current command will leave it.

    Inside :class:`audit.output.artefacts.deferred_writes` a file written by this command is
    still under its temporary name, and the one on disk is the previous run's
    (stale): read the pending one, or nothing. Outside, read the file on disk.
    """
    from audit.output import artefacts as io

    current = getattr(io, "_current", lambda: None)()
    if current is None:
        return _read_json(path) if path.is_file() else None
    tmp = current.pending.get(path.absolute())
    return _read_json(tmp) if tmp is not None and Path(tmp).is_file() else None


def run_documents(directory: str | Path, result: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(results, published or None)`` of a finished run, as this command leaves them in ``directory``."""
    from audit.results.document import results_document

    results = cast(dict[str, Any], results_document(result))  # the report reads any version's documents as dicts
    return results, _pending_document(Path(directory) / "published.json")


def write_run_report(directory: str | Path, result: Any) -> tuple[Path, Path]:
    """Write the report of a finished run (``scs-audit run``) beside its results.json and published.json."""
    results, published = run_documents(directory, result)
    return write_report(Path(directory), results, published)
