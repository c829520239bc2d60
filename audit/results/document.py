"""``results.json``: the exact, private results of a run.

Every JSON artefact records its schema version, the package version, the
population (spec, size, seed, fingerprint), each scorer's ``name@version`` and
params, and the run options.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from audit.output.artefacts import atomic_write_json, exact_artefact_mode, to_jsonable
from audit.runner import RunResult
from audit.version import package_version

__all__ = ["SCHEMA_VERSION", "results_document", "write_results", "package_version"]

SCHEMA_VERSION = 1


def results_document(result: RunResult) -> dict[str, Any]:
    """The JSON-ready dictionary of a run's exact results."""
    scorers = []
    for r in result.runs:
        entry = {**r.meta(), "status": "failed" if r.error else "ok"}
        if r.error:
            entry["error"] = r.error
        entry.update(r.sections)
        scorers.append(entry)
    return to_jsonable(
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


def write_results(result: RunResult, out_dir: str | Path) -> Path:
    """Write ``results.json`` atomically into ``out_dir`` (user-only when the data are real)."""
    document = results_document(result)
    return atomic_write_json(Path(out_dir) / "results.json", document, mode=exact_artefact_mode(document))
