"""``results.json``: the exact, private results of a run.

Every JSON artefact records its schema version, the package version, the
population (spec, size, seed, fingerprint), each scorer's ``name@version`` and
params, and the run options. The document's shape is the typed model
:class:`audit.results.model.ResultsDocument`, and its JSON Schema ships in
``audit/results/schemas/results.schema.json``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

from audit.output.artefacts import atomic_write_json, exact_artefact_mode, to_jsonable
from audit.results.model.run import RESULTS_SCHEMA_VERSION, ResultsDocument
from audit.runner import RunResult
from audit.version import package_version

__all__ = ["SCHEMA_VERSION", "package_version", "results_document", "write_document", "write_results"]

#: Version of the results.json layout (:data:`audit.results.model.run.RESULTS_SCHEMA_VERSION`).
SCHEMA_VERSION = RESULTS_SCHEMA_VERSION


def results_document(result: RunResult) -> ResultsDocument:
    """The JSON-ready dictionary of a run's exact results."""
    scorers: list[dict[str, Any]] = []
    for r in result.runs:
        entry = {**r.meta(), "status": "failed" if r.error else "ok"}
        if r.error:
            entry["error"] = r.error
        entry.update(r.sections)
        scorers.append(entry)
    document = to_jsonable(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": "scs-audit results (exact, private)",
            "private": True,
            "package_version": package_version(),
            "created": result.started,
            "population": result.population,
            "options": dataclasses.asdict(result.options),
            "audited_attributes": list(result.layout.names),
            "seconds": {k: round(v, 4) for k, v in sorted(result.seconds.items())},
            "scorers": scorers,
        }
    )
    return cast(ResultsDocument, document)


def write_results(result: RunResult, out_dir: str | Path) -> Path:
    """Write ``results.json`` atomically into ``out_dir`` (user-only when the data are real)."""
    return write_document(results_document(result), out_dir)


def write_document(document: ResultsDocument, out_dir: str | Path) -> Path:
    """Write an already built results document as ``results.json`` into ``out_dir`` (atomically; user-only
    when the data are real), so a command that also renders it builds it once."""
    return atomic_write_json(Path(out_dir) / "results.json", document, mode=exact_artefact_mode(document))
