"""Reports people read: HTML and Markdown from results.json (and published.json), and scorer comparisons.

``write_report(directory)`` reads ``results.json`` (and ``published.json``
when present) from a run's output directory and writes ``report.html`` and
``report.md`` beside them, atomically; ``scs-audit report DIR`` calls it, so a
report can be re-rendered without re-running the audit.
"""

from __future__ import annotations

from pathlib import Path

from audit.errors import InvalidArgument
from audit.report.build import build_report
from audit.report.findings import build_findings
from audit.report.html import render_html
from audit.report.markdown import render_markdown
from audit.report.model import Finding, Report
from audit.results.load import load_published, load_results, published_from, read_json
from audit.results.model import PublishedDocument, ResultsDocument

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


def read_documents(directory: str | Path) -> tuple[ResultsDocument, PublishedDocument | None]:
    """``(results, published or None)`` from a run's output directory, checked against the typed model.

    Raises
    ------
    InvalidDocument
        When a file is not JSON, or not a document of the version and shape this package writes: the
        message names the file, the JSON pointer of the first problem and how to write the file again.
    """
    directory = Path(directory)
    results = directory / "results.json"
    if not results.is_file():
        raise InvalidArgument(f"{directory}: no results.json here; run `scs-audit run --out {directory}` first")
    published = directory / "published.json"
    return load_results(results), (load_published(published) if published.is_file() else None)


def write_report(directory: str | Path, results: ResultsDocument | None = None,
                 published: PublishedDocument | None = None) -> tuple[Path, Path]:
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


def _pending_document(path: Path) -> PublishedDocument | None:
    """A JSON artefact as the current command will leave it.

    Inside :class:`audit.output.artefacts.deferred_writes` a file written by this command is
    still under its temporary name, and the one on disk is the previous run's
    (stale): read the pending one, or nothing. Outside, read the file on disk.
    """
    from audit.output import artefacts as io

    current = getattr(io, "_current", lambda: None)()
    if current is None:
        return load_published(path) if path.is_file() else None
    tmp = current.pending.get(path.absolute())
    return published_from(read_json(Path(tmp)), source=str(path)) if tmp is not None and Path(tmp).is_file() else None


def run_documents(directory: str | Path, results: ResultsDocument) -> tuple[ResultsDocument, PublishedDocument | None]:
    """``(results, published or None)`` of a finished run, as this command leaves them in ``directory``:
    ``results`` is the run's document, built once by the command; ``published.json`` is read as pending."""
    return results, _pending_document(Path(directory) / "published.json")


def write_run_report(directory: str | Path, results: ResultsDocument) -> tuple[Path, Path]:
    """Write the report of a finished run (``scs-audit run``) beside its results.json and published.json."""
    results, published = run_documents(directory, results)
    return write_report(Path(directory), results, published)
