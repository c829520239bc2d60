"""Digests of a small run's results.json figures, for the bit-for-bit test of speed-ups.

``python -m tests.audit._golden`` prints the digests of the run below; they are
the constants of ``tests/audit/test_golden_results.py``, computed on the code
before a speed-up so that the test shows the speed-up changed no figure.
A change that is meant to move figures (a new spec version, a new audit)
recomputes them and says so in its commit.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: The run: three chunks in a pool of two supervised workers, and a ground-truth
#: sample smaller than the population, so the sampled re-score path runs.
SIZE = 150_000
CHUNK_SIZE = 65_536
SEED = 7
TRUTH_SAMPLE = 40_000

#: Keys of results.json that are not figures: they differ between two runs of the same inputs.
NOT_FIGURES = ("created", "seconds")


def figures(document: dict[str, Any]) -> dict[str, Any]:
    """``results.json`` without its timings and creation date."""
    return {k: v for k, v in document.items() if k not in NOT_FIGURES}


def digest(value: Any) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of ``value`` (sorted keys, exact float repr)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def section_digests(document: dict[str, Any]) -> dict[str, str]:
    """``label/section`` -> digest for every scorer's sections, and ``run/key`` for every other key of the document."""
    figs = figures(document)
    out = {f"run/{k}": digest(v) for k, v in figs.items() if k != "scorers"}
    for entry in figs["scorers"]:
        for key, value in entry.items():
            out[f"{entry['label']}/{key}"] = digest(value)
    return out


def golden_run() -> dict[str, Any]:
    """results.json of the golden run (library call, supervised pool of two workers)."""
    from audit.disparity.audit import DisparityAudit
    from audit.engine.contract import AuditOptions
    from audit.results.document import results_document
    from audit.runner import RunConfig, default_audits, run

    options = AuditOptions(seed=SEED)
    audits = [DisparityAudit(truth_sample=TRUTH_SAMPLE), *default_audits(options)[1:]]
    config = RunConfig(size=SIZE, seed=SEED, chunk_size=CHUNK_SIZE, workers=2, isolate=True, options=options)
    return results_document(run(None, config, audits=audits))


if __name__ == "__main__":
    for key, value in sorted(section_digests(golden_run()).items()):
        print(f"    {key!r}: {value!r},")
